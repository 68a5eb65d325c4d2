"""``validate --fix``: write a cleaned GeoPackage in the storage CRS with the safe repairs only, and list them.

Safe means no judgement about the data: text decoded to UTF-8 NFC, geometry put in the storage CRS
(X/Y unswapped, reprojected), invalid geometries made valid (GEOS ``make_valid``, keeping the layer's
geometry family), single parts promoted to multi-parts when the layer is Multi*, and source fields renamed
to the catalog's names. Values are not changed, features are not dropped: what the report flags as
wrong in the data stays for the surveyor to correct.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from danang_sdi.catalog.models import GeometryType, Layer
from danang_sdi.errors import ConfigError, CRSError, SourceError
from danang_sdi.sources.reader import SourceFrame

SHOWN_FEATURES = 20
_FAMILY = {  # shapely type ids of the layer's geometry family: single, multi
    "Point": (0, 4),
    "LineString": (1, 5),
    "Polygon": (3, 6),
}
_MULTI = {
    GeometryType.MultiPoint: shapely.multipoints,
    GeometryType.MultiLineString: shapely.multilinestrings,
    GeometryType.MultiPolygon: shapely.multipolygons,
}


def _family(layer: Layer) -> tuple[int, int]:
    return _FAMILY[layer.geometry.value.removeprefix("Multi")]


def _listed(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:SHOWN_FEATURES])
    return shown + (f" and {len(rows) - SHOWN_FEATURES} more" if len(rows) > SHOWN_FEATURES else "")


def _keep_family(geometry: shapely.Geometry, family: tuple[int, int]) -> shapely.Geometry:
    """The parts of a make_valid result that belong to the layer's geometry family."""
    if shapely.get_type_id(geometry) in family:
        return geometry
    parts = [p for p in shapely.get_parts(shapely.get_parts(geometry)) if shapely.get_type_id(p) in family]
    return shapely.union_all(parts) if parts else geometry


def repair_geometry(geometry: np.ndarray, layer: Layer) -> tuple[np.ndarray, list[int], list[int]]:
    """Make invalid geometries valid and promote single parts; returns (geometry, repaired, promoted rows)."""
    geometry = geometry.copy()
    present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    invalid = np.flatnonzero(present & ~shapely.is_valid(geometry))
    family = _family(layer)
    for row, fixed in zip(invalid, shapely.make_valid(geometry[invalid], method="structure"), strict=True):
        geometry[row] = _keep_family(fixed, family)
    promoted: list[int] = []
    make_multi = _MULTI.get(layer.geometry)
    if make_multi is not None:
        single = np.flatnonzero(present & (shapely.get_type_id(geometry) == family[0]))
        if len(single):
            geometry[single] = make_multi(geometry[single], indices=np.arange(len(single)))
            promoted = single.tolist()
    return geometry, invalid.tolist(), promoted


def write_fixed(source: SourceFrame, layer: Layer, out: str | Path) -> list[str]:
    """Write ``source`` repaired to the GeoPackage ``out`` (layer named after the catalog layer); list the changes."""
    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise ConfigError(f"{out}: --fix writes a GeoPackage; give a file name ending in .gpkg")
    if not source.crs.projected:
        raise CRSError(
            f"{source.label}: no fixed copy written, because no CRS fits the data ({source.crs.reason}); "
            "add the right .prj and validate again"
        )
    changes: list[str] = []
    if source.raw is not None or source.encoding.encoding not in ("utf-8", "ascii"):
        changes.append(f"text: decoded from {source.encoding_label} to UTF-8 NFC ({source.encoding.reason})")
    changes += [f"text: {note.en}" for note in source.notes if note.rule == "encoding.nfc"]
    if source.crs.swapped:
        changes.append("coordinates: X and Y swapped back (X held northings)")
    if source.crs.reprojected or (source.crs.guess is not None and source.crs.guess.status != "declared"):
        changes.append(f"CRS: {source.crs.code} ({source.crs.reason}) → {source.crs.storage_crs}")
    geometry, repaired, promoted = repair_geometry(
        np.asarray(source.frame.geometry.array, dtype=object), layer
    )
    if repaired:
        changes.append(f"geometry: make_valid on feature {_listed(repaired)}")
    if promoted:
        changes.append(f"geometry: {len(promoted)} single parts written as {layer.geometry.value}")
    renames = source.mapping.renamed
    taken = set(source.mapping.columns.values())
    clashes = {c: f"{c}_nguon" for c in source.mapping.unmapped if c in taken}
    if renames:
        changes.append("fields: " + ", ".join(f"{old} → {new}" for old, new in renames.items()))
    if clashes:
        changes.append("fields: " + ", ".join(f"{old} → {new} (name taken)" for old, new in clashes.items()))
    frame = source.frame.rename(columns={**renames, **clashes})
    frame = frame.set_geometry(gpd.GeoSeries(geometry, index=frame.index), crs=source.crs.storage_crs)
    present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    foreign = np.flatnonzero(present & ~np.isin(shapely.get_type_id(geometry), _family(layer))).tolist()
    geometry_type = layer.geometry.value
    if foreign:  # a conformant GeoPackage layer has one geometry type: keep the odd features, say so
        geometry_type = "Unknown"
        changes.append(
            f"layer: generic geometry type, because feature {_listed(foreign)} is not {layer.geometry.value}"
        )
    try:
        with warnings.catch_warnings():  # GDAL's notes on laundering go to the list above, not to stderr
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(frame, out, layer=layer.id, driver="GPKG", geometry_type=geometry_type)
    except Exception as error:  # GDAL reports write failures with several exception types
        raise SourceError(f"{out}: cannot write the fixed GeoPackage ({error}); check the folder") from None
    changes.append(f"written: {out} (layer {layer.id}, {len(frame):,} features, {source.crs.storage_crs})")
    return changes
