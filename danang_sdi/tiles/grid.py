"""The Web Mercator tile grid (XYZ, as in mercantile), as small pure functions on plain values."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

MAX_LATITUDE = 85.0511287798066


class Tile(NamedTuple):
    z: int
    x: int
    y: int


class LngLatBBox(NamedTuple):
    """West, south, east, north in degrees (WGS 84)."""

    west: float
    south: float
    east: float
    north: float


def tms_row(z: int, y: int) -> int:
    """The MBTiles ``tile_row`` of XYZ row ``y``: MBTiles counts rows from the south.

    >>> tms_row(14, 0)
    16383
    """
    return (1 << z) - 1 - y


def mercator_xy(lon: float, lat: float) -> tuple[float, float]:
    """lon/lat → normalised Web Mercator (x east, y south, both in [0, 1]).

    >>> mercator_xy(0.0, 0.0)
    (0.5, 0.5)
    """
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    y = 0.5 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)
    return (lon + 180.0) / 360.0, y


def tile_bounds(tile: Tile) -> LngLatBBox:
    """The lon/lat box of a tile.

    >>> tile_bounds(Tile(0, 0, 0)).west
    -180.0
    """
    n = 1 << tile.z

    def lat(y: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))

    return LngLatBBox(
        tile.x / n * 360.0 - 180.0, lat(tile.y + 1), (tile.x + 1) / n * 360.0 - 180.0, lat(tile.y)
    )


def tiles_in_bbox(bbox: LngLatBBox, z: int) -> list[Tile]:
    """Every tile of zoom ``z`` that touches ``bbox``.

    >>> tiles_in_bbox(LngLatBBox(108.2, 16.04, 108.22, 16.06), 10)
    [Tile(z=10, x=819, y=465)]
    """
    n = 1 << z
    x0, y0 = mercator_xy(bbox.west, bbox.north)
    x1, y1 = mercator_xy(bbox.east, bbox.south)
    columns = range(max(0, math.floor(x0 * n)), min(n - 1, math.floor(x1 * n)) + 1)
    rows = range(max(0, math.floor(y0 * n)), min(n - 1, math.floor(y1 * n)) + 1)
    return [Tile(z, x, y) for x in columns for y in rows]


def covering_pairs(bounds: np.ndarray, z: int, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """(feature, tile code) pairs whose boxes overlap at zoom ``z``; code = x · 2^z + y.

    ``bounds`` is an n × 4 array of normalised Mercator boxes; ``margin`` widens each tile by that fraction
    of its side (the tile buffer).
    """
    n = 1 << z
    x0 = np.clip(np.floor(bounds[:, 0] * n - margin), 0, n - 1).astype(np.int64)
    x1 = np.clip(np.floor(bounds[:, 2] * n + margin), 0, n - 1).astype(np.int64)
    y0 = np.clip(np.floor(bounds[:, 1] * n - margin), 0, n - 1).astype(np.int64)
    y1 = np.clip(np.floor(bounds[:, 3] * n + margin), 0, n - 1).astype(np.int64)
    width = x1 - x0 + 1
    counts = width * (y1 - y0 + 1)
    feature = np.repeat(np.arange(len(bounds)), counts)
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    x = x0[feature] + step % width[feature]
    y = y0[feature] + step // width[feature]
    return feature, x * n + y
