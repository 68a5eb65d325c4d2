"""Real street centrelines of central Đà Nẵng, from the OpenStreetMap extract, in EPSG:5899.

Pipes, conduits, lights, trees and planning blocks are laid along these streets, so the samples have
the real street pattern of Hải Châu. OSM data is © OpenStreetMap contributors, ODbL: anything derived
from it (the committed samples) carries that attribution (see ``data_samples/README.md``).

The GDAL OSM driver (inside pyogrio) reads the ``.pbf``; osmium reads its header box, the area the
extract is complete for. Ways are clipped to that box and reprojected through EPSG:6960
(``danang_sdi.sources.transform``), rounded to the millimetre. Ways that meet at an OSM node keep an
identical vertex there, so the network stays connected after the transformation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import pyogrio
import shapely

from danang_sdi.errors import SourceError
from danang_sdi.sources.transform import transformer

OSM_EXTRACT = Path("osm-danang-haichau") / "danang_haichau.osm.pbf"  # under ../shared/data
STREET_CLASSES = (
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "residential",
    "unclassified",
    "living_street",
)
MAJOR_CLASSES = ("primary", "secondary", "tertiary")
CRS = "EPSG:5899"


@dataclass(frozen=True)
class Streets:
    """Street centrelines in EPSG:5899, sorted by OSM id, one LineString each."""

    geometry: np.ndarray
    name: np.ndarray  # object: str or None
    highway: np.ndarray  # OSM highway class
    osm_id: np.ndarray  # int64
    box: shapely.Geometry  # the extract's complete area, EPSG:5899

    def __len__(self) -> int:
        return len(self.geometry)

    def major(self) -> np.ndarray:
        """Mask of the streets of class primary, secondary or tertiary (with their links)."""
        base = np.array([h.removesuffix("_link") for h in self.highway], dtype=object)
        return np.isin(base, MAJOR_CLASSES)


def _header_box(path: Path) -> tuple[float, float, float, float]:
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    try:
        box = reader.header().box()
    finally:
        reader.close()
    if not box.valid():
        raise SourceError(f"{path}: the OSM header has no bounding box; cannot tell the complete area")
    return box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat


def to_5899(geometry: np.ndarray) -> np.ndarray:
    t = transformer("EPSG:4326", CRS)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([x, y]), 3)

    return shapely.transform(geometry, project)


def read_streets(path: Path) -> Streets:
    """Streets of ``path`` (an OSM ``.pbf``) clipped to its header box, in EPSG:5899.

    Raises ``SourceError`` when the file cannot be read.
    """
    try:
        frame = pyogrio.read_dataframe(
            path, layer="lines", columns=["osm_id", "name", "highway"], use_arrow=True
        )
    except (OSError, pyogrio.errors.DataSourceError) as exc:
        raise SourceError(f"{path}: cannot read the OSM extract ({exc})") from exc
    frame = frame[frame["highway"].isin(STREET_CLASSES)]
    box = shapely.box(*_header_box(path))
    clipped = shapely.intersection(frame.geometry.to_numpy(), box)
    parts, owner = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    osm_id = frame["osm_id"].astype("int64").to_numpy()[owner]
    order = np.lexsort((shapely.get_x(shapely.get_point(parts, 0)), osm_id))
    names = frame["name"].to_numpy(dtype=object)[owner]
    return Streets(
        geometry=to_5899(parts[order]),
        name=np.array([n if isinstance(n, str) and n else None for n in names[order]], dtype=object),
        highway=frame["highway"].to_numpy(dtype=object)[owner][order],
        osm_id=osm_id[order],
        box=to_5899(np.array([box]))[0],
    )
