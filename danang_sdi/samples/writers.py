"""Write a sample the way a surveyor's tool would: field aliases, legacy text, no ``.prj``, swapped axes, a zip.

Legacy text is written byte for byte: each value is encoded with ``danang_sdi.sources.encoding`` (TCVN3 or
VNI), the bytes are handed to GDAL as Latin-1 text (one character per byte, so GDAL writes them unchanged),
then the ``.cpg`` GDAL wrote is removed and the DBF language byte set as old tools left it.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from danang_sdi.catalog.models import Layer
from danang_sdi.errors import ConfigError
from danang_sdi.sources.encoding import decode_text, encode_text
from danang_sdi.sources.transform import transformer

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
ZIP_DATE = (2025, 6, 30, 8, 0, 0)
LDID_OFFSET = 29
DBF_DATE = (125, 6, 30)  # 2025-06-30, years since 1900
RESIZE = {"RESIZE": "YES"}  # DBF text fields as wide as their longest value, as GIS tools write them
FIXED_DATE = "2025-06-30T08:00:00Z"  # GeoPackage timestamps, so rebuilt files compare equal


@dataclass(frozen=True)
class Style:
    """How one delivery differs from a clean catalog file."""

    alias: int | None = None  # use each attribute's alias number `alias` as field name (None: catalog names)
    encoding: str = "utf-8"
    ldid: int | None = None  # DBF language byte to leave (legacy encodings only)
    prj: bool = True
    swap_xy: bool = False
    coordinates: str | None = None  # CRS the coordinates are really in, when not the layer's (label kept)
    output_crs: str | None = None  # reproject and label (e.g. OGC:CRS84 for a web GeoJSON)


def legacy_safe(text: str, encoding: str) -> bool:
    """Whether ``text`` survives a round trip through ``encoding`` (TCVN3 has no toned capitals)."""
    return decode_text(encode_text(text, encoding), encoding) == text


def renamed(frame: gpd.GeoDataFrame, layer: Layer, alias: int | None) -> gpd.GeoDataFrame:
    if alias is None:
        return frame
    names = {a.name: a.aliases[alias] if len(a.aliases) > alias else a.name for a in layer.attributes}
    return frame.rename(columns=names)


def _reproject(geometry: np.ndarray, src: str, dst: str, decimals: int = 9) -> np.ndarray:
    t = transformer(src, dst)
    return shapely.transform(
        geometry, lambda xy: np.round(np.column_stack(t.transform(xy[:, 0], xy[:, 1])), decimals)
    )


def _placed(frame: gpd.GeoDataFrame, layer: Layer, style: Style) -> gpd.GeoDataFrame:
    geometry = frame.geometry.to_numpy()
    crs = layer.storage_crs
    if style.coordinates:
        geometry = _reproject(geometry, crs, style.coordinates, 3)
    if style.output_crs:
        geometry = _reproject(geometry, crs, style.output_crs)
        crs = style.output_crs
    if style.swap_xy:
        geometry = shapely.transform(geometry, lambda xy: xy[:, ::-1])
    return frame.set_geometry(gpd.GeoSeries(geometry, crs=crs, index=frame.index))


def _legacy_text(frame: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name or out[column].dtype != object:
            continue
        out[column] = [
            encode_text(v, encoding).decode("latin-1") if isinstance(v, str) else v for v in out[column]
        ]
    return out


def _patch_dbf(dbf: Path, ldid: int | None) -> None:
    """Fix the DBF's last-update date (bytes 1-3), so rebuilt files are identical, and set its LDID."""
    with dbf.open("r+b") as f:
        f.seek(1)
        f.write(bytes(DBF_DATE))
        if ldid is not None:
            f.seek(LDID_OFFSET)
            f.write(bytes([ldid]))


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path, style: Style) -> None:
    for suffix in SHAPEFILE_PARTS:
        path.with_suffix(suffix).unlink(missing_ok=True)
    if style.encoding == "utf-8":
        pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile", use_arrow=True, layer_options=RESIZE)
    else:
        legacy = _legacy_text(frame, style.encoding)
        pyogrio.write_dataframe(
            legacy, path, driver="ESRI Shapefile", encoding="ISO-8859-1", layer_options=RESIZE
        )
        path.with_suffix(".cpg").unlink(missing_ok=True)
    _patch_dbf(path.with_suffix(".dbf"), style.ldid if style.encoding != "utf-8" else None)
    if not style.prj:
        path.with_suffix(".prj").unlink()


def _write_zip(frame: gpd.GeoDataFrame, path: Path, style: Style) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{path.stem}.shp"
        _write_shapefile(frame, shp, style)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                info = zipfile.ZipInfo(part.name, date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, part.read_bytes())


@contextmanager
def gdal_config(options: dict[str, str]) -> Iterator[None]:
    """GDAL config options set for one block, restored after."""
    before = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def write_sample(frame: gpd.GeoDataFrame, path: Path, layer: Layer, style: Style = Style()) -> list[str]:
    """Write ``frame`` (catalog names, storage CRS) to ``path`` in ``style``; return the file's field names."""
    out = renamed(_placed(frame, layer, style), layer, style.alias)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".shp":
        _write_shapefile(out, path, style)
        return list(pyogrio.read_info(path, encoding="ISO-8859-1")["fields"])
    if suffix == ".zip":
        _write_zip(out, path, style)
        return list(pyogrio.read_info(f"/vsizip/{path}", encoding="ISO-8859-1")["fields"])
    if style.encoding != "utf-8" or not style.prj:
        raise ConfigError(f"{path.name}: legacy text and a missing .prj only exist for shapefiles")
    path.unlink(missing_ok=True)
    if suffix == ".gpkg":
        with gdal_config({"OGR_CURRENT_DATE": FIXED_DATE}):
            pyogrio.write_dataframe(out, path, layer=path.stem, driver="GPKG", use_arrow=True)
    elif suffix == ".geojson":
        lonlat = out.crs is not None and out.crs.to_epsg() in (4326, None) and out.crs.is_geographic
        options = {"RFC7946": "YES"} if lonlat else {"COORDINATE_PRECISION": 3, "WRITE_NAME": "NO"}
        pyogrio.write_dataframe(out, path, driver="GeoJSON", use_arrow=True, layer_options=options)
    else:
        raise ConfigError(f"{path.name}: write .gpkg, .geojson, .shp or .zip")
    return [c for c in out.columns if c != out.geometry.name]
