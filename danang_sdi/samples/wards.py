"""A synthetic ward split of the sample area: 1 km squares carrying real ward codes and names of the catalog.

The parcels already take their ward from these squares (``parcels.wards_and_sheets``: 1 km zones of four
250 m sheets, nearest the anchor first, Hải Châu's wards in code order), so every sample placed here gets
the ward the parcels would give it, and the ``admin_commune`` sample is that split drawn as polygons. The
real ward boundaries are not used: the only copy at hand has no clear licence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from danang_sdi.samples import grid
from danang_sdi.samples.context import Context, Ward
from danang_sdi.samples.parcels import SHEET_M, ZONE_SHEETS, wards_and_sheets
from danang_sdi.samples.utilities import layer_frame

LAYER = "admin_commune"
ZONE_M = SHEET_M * ZONE_SHEETS


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


@dataclass(frozen=True)
class WardSplit:
    """The 1 km ward squares covering an extent, each with its ward (valid before the 2025 reform)."""

    squares: np.ndarray  # Polygons, EPSG:5899
    wards: list[Ward]  # the ward of each square
    zones: np.ndarray  # (n, 2) zone column and row of each square, counted from the parcels' anchor

    @classmethod
    def covering(cls, extent: shapely.Geometry, context: Context, settings: Mapping[str, Any]) -> WardSplit:
        west, south, east, north = shapely.bounds(extent)
        zx = np.arange(*_zone_range(west, east, grid.ANCHOR_NE[0]))
        zy = np.arange(*_zone_range(south, north, grid.ANCHOR_NE[1]))
        zones = np.array([(x, y) for x in zx for y in zy], dtype=np.int64)
        lo = np.asarray(grid.ANCHOR_NE) + zones * ZONE_M
        centres = lo + ZONE_M / 2
        wards = context.wards(settings)
        ward_index, _ = wards_and_sheets(centres, len(wards))
        squares = shapely.box(lo[:, 0], lo[:, 1], lo[:, 0] + ZONE_M, lo[:, 1] + ZONE_M)
        return cls(squares, [wards[i] for i in ward_index], zones)

    def codes_at(self, points: np.ndarray) -> np.ndarray:
        """The ward code at each point, as the parcels count zones (a point outside takes the nearest square)."""
        xy = shapely.get_coordinates(points)
        zone = np.floor((xy - np.asarray(grid.ANCHOR_NE)) / ZONE_M).astype(np.int64)
        zone = np.clip(zone, self.zones.min(axis=0), self.zones.max(axis=0))
        row = {(int(x), int(y)): i for i, (x, y) in enumerate(self.zones)}
        codes = np.array([w.code for w in self.wards], dtype=object)
        return codes[[row[(int(x), int(y))] for x, y in zone]]

    def ward_at(self, geometry: shapely.Geometry) -> Ward:
        """The ward at a point inside ``geometry``."""
        code = self.codes_at(np.array([shapely.point_on_surface(geometry)]))[0]
        return next(w for w in self.wards if w.code == code)


def _zone_range(low: float, high: float, anchor: float) -> tuple[int, int]:
    return int(np.floor((low - anchor) / ZONE_M)), int(np.floor((high - anchor) / ZONE_M)) + 1


def admin_communes(split: WardSplit, rng, context: Context) -> gpd.GeoDataFrame:
    """The wards of ``split`` before the reform and, merged by successor, the wards after it.

    Facts: code, name, unit_type, district, province, area_km2, valid_from, valid_to, legal_basis.
    """
    s = context.recipe(LAYER)["settings"]
    units = context.code_list(s["wards"]["code_list"])
    before_end = _date(s["wards"]["valid_on"])
    reform = _date(s["reform"]["from"])
    old = [units.get(w.code, on=before_end) for w in split.wards]
    rows: list[dict[str, Any]] = []
    geoms: list[shapely.Geometry] = []
    for code in sorted({c.code for c in old}):
        members = [i for i, c in enumerate(old) if c.code == code]
        unit = old[members[0]]
        geoms.append(shapely.coverage_union_all(split.squares[members]))
        rows.append(
            {
                "code": code,
                "name": unit.name.vi,
                "unit_type": unit.group,
                "district": unit.parent,
                "valid_from": _date(s["established"]),
                "valid_to": unit.valid_to,
                "legal_basis": None,
            }
        )
    successors = sorted({c.successor for c in old if c.successor})
    for code in successors:
        members = [i for i, c in enumerate(old) if c.successor == code]
        unit = units.get(code, on=reform)
        if unit is None:
            continue
        geoms.append(shapely.coverage_union_all(split.squares[members]))
        rows.append(
            {
                "code": code,
                "name": unit.name.vi,
                "unit_type": unit.group,
                "district": None,
                "valid_from": reform,
                "valid_to": None,
                "legal_basis": s["reform"]["legal_basis"],
            }
        )
    n = len(rows)
    geometry = np.array(geoms, dtype=object)
    facts = {key: np.array([r[key] for r in rows], dtype=object) for key in rows[0]}
    facts["province"] = np.full(n, s["province"], dtype=object)
    facts["area_km2"] = np.round(shapely.area(geometry) / 1e6, 3)
    return layer_frame(context, LAYER, facts, geometry, rng)
