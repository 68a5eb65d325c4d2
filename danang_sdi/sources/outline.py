"""The city outline that CRS detection tests sample points against.

The outline comes from ``layers/boundaries/danang.geojson`` (see its README): a 2008 boundary simplified
by 150 m, so it is only good to a few kilometres. It is therefore held in EPSG:5899 and widened by
``TOLERANCE_M``: coastal and border features still count as inside, while the 26.8 km between TM-3
zones and the hundreds of kilometres between UTM zones stay far above that tolerance.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely
from shapely.geometry import shape

from danang_sdi.errors import ConfigError
from danang_sdi.settings import Settings
from danang_sdi.sources.transform import transformer

OUTLINE_CRS = "EPSG:5899"
TOLERANCE_M = 2000.0
DEFAULT_OUTLINE = "danang_2025"


class Outline(NamedTuple):
    """An area to test coordinates against, in ``crs`` (metres), already widened and prepared."""

    id: str
    label: str
    geometry: shapely.Geometry
    crs: str = OUTLINE_CRS

    @classmethod
    def from_geometry(
        cls,
        id: str,
        label: str,
        geometry: shapely.Geometry,
        crs: str = "EPSG:4326",
        tolerance_m: float = TOLERANCE_M,
    ) -> Outline:
        """Build an outline from any polygon (e.g. the commune a file claims), lon/lat by default.

        >>> square = shapely.box(108.20, 16.05, 108.23, 16.08)
        >>> Outline.from_geometry("hai_chau", "Hải Châu", square).crs
        'EPSG:5899'
        """
        t = transformer(crs, OUTLINE_CRS)
        metric = shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
        widened = shapely.buffer(metric, tolerance_m) if tolerance_m > 0 else metric
        shapely.prepare(widened)
        return cls(id=id, label=label, geometry=widened)

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north in degrees (WGS 84)."""
        xy = shapely.get_coordinates(self.geometry)
        lon, lat = transformer(self.crs, "EPSG:4326").transform(xy[:, 0], xy[:, 1])
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())


def default_boundaries_path() -> Path:
    """``boundaries/danang.geojson`` in the project's layers folder."""
    return Settings().layers_dir / "boundaries" / "danang.geojson"


@lru_cache(maxsize=8)
def load_outline(outline_id: str = DEFAULT_OUTLINE, path: Path | None = None) -> Outline:
    """Load one outline (``danang_2025`` = the merged city, ``danang_pre2025`` = the old city).

    Raises ``ConfigError`` when the file or the outline is missing.

    >>> load_outline().label
    'Đà Nẵng'
    """
    source = path or default_boundaries_path()
    try:
        collection = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{source}: cannot read the city outline ({exc}); rebuild it with "
            "`python -m danang_sdi.sources.make_boundary`"
        ) from exc
    for feature in collection.get("features", []):
        if feature.get("id") == outline_id:
            label = feature.get("properties", {}).get("label", outline_id)
            return Outline.from_geometry(outline_id, label, shape(feature["geometry"]))
    known = ", ".join(str(f.get("id")) for f in collection.get("features", []))
    raise ConfigError(f"{source}: no outline {outline_id!r} (known: {known})")
