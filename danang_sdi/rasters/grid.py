"""The grid a raster is stored on, and the coordinate operation GDAL must use to get there.

GDAL picks its own VN-2000 → WGS 84 operation unless told; ``pinned_operation`` hands it EPSG:6960 as a
PROJ pipeline (``COORDINATE_OPERATION``), in the axis order of the authority definitions, which is the order
GDAL's warper feeds it. Pixels are square, their size rounded to the centimetre, and the grid is snapped to
multiples of it, so two deliveries of the same area share one grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import rasterio
from affine import Affine
from pyproj import CRS
from pyproj.transformer import TransformerGroup
from rasterio.warp import aligned_target, calculate_default_transform

from danang_sdi.errors import CRSError
from danang_sdi.sources.transform import VN2000_TO_WGS84, clean_vn2000, is_vn2000, operation_codes

RESOLUTION_DECIMALS = 2


@lru_cache(maxsize=32)
def _pinned(source_wkt: str, target_wkt: str) -> str | None:
    source = clean_vn2000(CRS.from_wkt(source_wkt))
    target = clean_vn2000(CRS.from_wkt(target_wkt))
    if is_vn2000(source) == is_vn2000(target):
        return None
    for candidate in TransformerGroup(source, target, always_xy=False).transformers:
        if VN2000_TO_WGS84 in operation_codes(candidate):
            return candidate.to_proj4()
    raise CRSError(
        f"no transformation from {source.name} to {target.name} goes through EPSG:{VN2000_TO_WGS84} "
        "(VN-2000 to WGS 84, QĐ 05/2007)"
    )


def pinned_operation(source: Any, target: Any) -> str | None:
    """The PROJ pipeline GDAL must use between two CRSs, or None when no VN-2000 datum shift is involved.

    >>> "helmert" in pinned_operation("EPSG:4326", "EPSG:5899")
    True
    """
    return _pinned(CRS.from_user_input(source).to_wkt(), CRS.from_user_input(target).to_wkt())


def warp_options(source: Any, target: Any) -> dict[str, str]:
    operation = pinned_operation(source, target)
    return {"COORDINATE_OPERATION": operation} if operation else {}


@dataclass(frozen=True)
class TargetGrid:
    crs: str
    transform: Affine
    width: int
    height: int
    resolution: float  # metres, square pixels

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        west, north = self.transform @ (0, 0)
        east, south = self.transform @ (self.width, self.height)
        return (west, south, east, north)

    def to_dict(self) -> dict[str, Any]:
        return {
            "crs": self.crs,
            "width": self.width,
            "height": self.height,
            "resolution_m": self.resolution,
            "bounds": [round(v, 3) for v in self.bounds],
        }


def target_grid(src: rasterio.DatasetReader, crs: str) -> TargetGrid:
    """The storage grid of ``src`` in ``crs``: GDAL's default pixel size, square, snapped to its multiples."""
    transform, width, height = calculate_default_transform(
        src.crs, crs, src.width, src.height, *src.bounds, **warp_options(src.crs, crs)
    )
    resolution = round(max(abs(transform.a), abs(transform.e)), RESOLUTION_DECIMALS) or abs(transform.a)
    snapped, width, height = aligned_target(transform, width, height, resolution)
    return TargetGrid(crs=crs, transform=snapped, width=width, height=height, resolution=resolution)
