"""Tiny cadastral deliveries for the validator's tests: a clean 5 x 5 block of parcels, and defects planted in it.

Parcels are 20 m squares near Đà Nẵng city hall (EPSG:5899), sharing their corners exactly (a valid
coverage), with the catalog's attribute names or the aliases surveyors use. Every planted defect sits on
its own feature, so a test can demand the exact set of (rule, feature) the validator reports.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ORIGIN = (550_000.0, 1_777_000.0)  # EPSG:5899, Hải Châu
SIDE = 20.0
N = 5  # parcels per side
CLEAN = {"ma_xa": "20242", "he_ma_loai_dat": "TT08_2024", "loai_dat": "ODT", "dia_chi": "Phường Hải Châu"}


def square(row: int, col: int, side: float = SIDE) -> shapely.Polygon:
    x, y = ORIGIN[0] + col * side, ORIGIN[1] + row * side
    return shapely.box(x, y, x + side, y + side)


def parcels(n: int = N) -> gpd.GeoDataFrame:
    """A clean block of ``n * n`` parcels: unique keys, codes from the lists, recorded area = drawn area."""
    rows = []
    for index in range(n * n):
        rows.append({**CLEAN, "so_to": 7, "so_thua": index + 1, "dien_tich": SIDE * SIDE})
    geometry = [square(i // n, i % n) for i in range(n * n)]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometry, crs="EPSG:5899")


def push_edge(polygon: shapely.Polygon, by: float) -> shapely.Polygon:
    """Move the middle of the east edge ``by`` metres east (into the neighbour when positive)."""
    x0, y0, x1, y1 = polygon.bounds
    return shapely.Polygon([(x0, y0), (x1, y0), (x1 + by, (y0 + y1) / 2), (x1, y1), (x0, y1)])


def pull_edge(polygon: shapely.Polygon, by: float) -> shapely.Polygon:
    """Move the whole east edge ``by`` metres west, leaving a gap of that width to the neighbour."""
    x0, y0, x1, y1 = polygon.bounds
    return shapely.box(x0, y0, x1 - by, y1)


def with_defects() -> tuple[gpd.GeoDataFrame, set[tuple[str, int]]]:
    """The clean block with one defect per feature, and the (rule, feature) pairs a validator must report.

    ``so_to`` is written as text so that one value can be "7a" (a type error).
    """
    frame = parcels()
    frame["so_to"] = frame["so_to"].astype(str)
    geoms = frame.geometry.to_numpy().copy()
    expected: set[tuple[str, int]] = set()

    def plant(rule: str, feature: int, column: str | None = None, value: object = None) -> None:
        if column is not None:
            frame.loc[feature, column] = value
        expected.add((rule, feature))

    plant("field.code", 1, "loai_dat", "XYZ")
    plant("field.range", 2, "so_thua", 0)
    plant("field.pattern", 3, "ma_xa", "2024")
    expected.add(("field.code", 3))  # "2024" is not a commune code either
    plant("field.missing", 4, "loai_dat", None)
    plant("field.type", 5, "so_to", "7a")
    plant("field.code", 6, "he_ma_loai_dat", "TT99")
    plant("key.duplicate", 7, "so_thua", 9)
    plant("key.duplicate", 8)  # feature 8 is so_thua 9 already
    geoms[10] = None
    plant("geometry.empty", 10)
    x0, y0, x1, y1 = geoms[11].bounds
    geoms[11] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # bow tie
    plant("geometry.invalid", 11)
    geoms[12] = shapely.LineString(geoms[12].exterior.coords)
    plant("geometry.type", 12)
    geoms[14] = shapely.affinity.translate(geoms[14], 100_000, 0)  # a slipped digit: out at sea
    plant("geometry.outside", 14)
    geoms[15] = push_edge(geoms[15], 0.8)  # into 16
    plant("topology.overlap", 15)
    plant("topology.overlap", 16)
    geoms[22] = pull_edge(geoms[22], 0.1)  # away from 23
    plant("topology.gap", 22)
    plant("topology.gap", 23)
    plant("area.mismatch", 24, "dien_tich", 520.0)
    sliver = {**CLEAN, "so_to": "7", "so_thua": 99, "dien_tich": 0.5}
    frame = pd.concat([frame, pd.DataFrame([sliver])], ignore_index=True)
    geoms = np.append(
        geoms, shapely.Polygon([(549_990, 1_777_000), (549_991, 1_777_000), (549_990, 1_777_001)])
    )
    plant("geometry.sliver", len(frame) - 1)
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=list(geoms), crs="EPSG:5899"), expected


def as_surveyor_names(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same data under the names real exports use (aliases), as a shapefile would cut them."""
    return frame.rename(
        columns={
            "ma_xa": "MaXa",
            "so_to": "SoHieuToBa",
            "so_thua": "SoThuTuThu",
            "dien_tich": "DienTich",
            "he_ma_loai_dat": "HeMaLoaiDa",
            "loai_dat": "KyHieuMucD",
            "dia_chi": "DiaChi",
        }
    )


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs) -> Path:
    """Write with pyogrio; GDAL's notes on names cut to 10 characters for shapefiles are expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (RuntimeWarning, UserWarning))
        frame.to_file(path, engine="pyogrio", **kwargs)
    return path
