"""Plant known defects in a clean sample, each at a known feature, for the validator's tests.

Each defect is one realistic mistake (a boundary pushed into the neighbour, a typo in a code, a digit
slipped in a northing...) planted so that it triggers its rule and nothing else: geometric defects that
would disturb neighbours go on the outer edge of the coverage, and recorded areas follow reshaped
parcels. ``plant`` returns what it planted; the build writes that list into ``manifest.yml``.

Fields come from the plan (``plan.yml``) or the catalog (the area check's field, the natural key), never
from this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from danang_sdi.catalog.models import Layer
from danang_sdi.errors import ConfigError
from danang_sdi.samples import networks

EDGE_SHIFT_M = {"overlap": 0.8, "gap": -0.1}  # gap narrower than every catalog gap_width
CORNER_M = {"bowtie": 1.0, "sliver": 1.2}  # sliver legs: 0.72 m², below the 1 m² sliver limit
OUTSIDE_SHIFT_M = (100_000.0, 0.0)  # a slipped digit in the easting: 550 km -> 650 km, out at sea
AREA_FACTOR = 1.3
BAD_CODE = "OTD"  # "ODT" with two letters swapped


@dataclass(frozen=True)
class Planted:
    """One planted defect: the rule that must report it, on which feature and field."""

    rule: str
    feature: int
    field: str | None
    defect: str
    note: str

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "feature": self.feature,
            "field": self.field,
            "defect": self.defect,
            "note": self.note,
        }


class Planter:
    """Plants defects in one frame, keeping track of the features already used."""

    def __init__(self, frame: gpd.GeoDataFrame, layer: Layer) -> None:
        self.frame = frame.copy()
        self.layer = layer
        self.used: set[int] = set()
        self.planted: list[Planted] = []
        self._original = frame.geometry.to_numpy().copy()  # neighbours are judged on the clean layout
        self._tree = shapely.STRtree(self._original)

    # --- choosing features -------------------------------------------------------------------
    def _geoms(self) -> np.ndarray:
        return self.frame.geometry.to_numpy()

    def _partition(self) -> np.ndarray:
        check = self.layer.check("topology.gap") or self.layer.check("topology.overlap")
        within = check.within if check else []
        if not within:
            return np.zeros(len(self.frame), dtype=np.intp)
        return self.frame.groupby(within, sort=False, dropna=False).ngroup().to_numpy()

    def _touching(self, index: int) -> np.ndarray:
        found = self._tree.query(self._original[index], predicate="intersects")
        return np.setdiff1d(found, [index])

    def _set_geometry(self, index: int, geometry: shapely.Geometry) -> None:
        self.frame.iloc[index, self.frame.columns.get_loc(self.frame.geometry.name)] = geometry

    def _free(self, index: int) -> bool:
        return index not in self.used and not self.used.intersection(self._touching(index).tolist())

    @cached_property
    def _outline(self) -> shapely.Geometry:
        return shapely.boundary(shapely.coverage_union_all(self._original))

    def _on_edge(self) -> np.ndarray:
        """Features touching the outside of the coverage (their boundary meets the union's boundary)."""
        return shapely.length(shapely.intersection(shapely.boundary(self._original), self._outline)) > 1.0

    def choose(self, near: int, where: np.ndarray | None = None) -> int:
        ok = np.ones(len(self.frame), dtype=bool) if where is None else where
        for index in [*range(near, len(self.frame)), *range(0, near)]:
            if ok[index] and self._free(index):
                return index
        raise ConfigError(f"no feature left to plant a defect near {near} in layer {self.layer.id}")

    def _mark(
        self, rule: str, index: int, field: str | None, defect: str, note: str, *, use: bool = True
    ) -> None:
        if use:
            self.used.add(index)
        self.planted.append(Planted(rule, int(index), field, defect, note))

    def _set(self, index: int, column: str, value: object) -> None:
        self.frame.iloc[index, self.frame.columns.get_loc(column)] = value

    def _record_area(self, index: int) -> None:
        check = self.layer.check("area.mismatch")
        if check and check.field:
            self._set(index, check.field, round(float(shapely.area(self._geoms()[index])), 2))

    # --- polygon defects ---------------------------------------------------------------------
    def _shared_edge(self, i: int) -> tuple[int, int, int]:
        """A neighbour j in the same partition and the ring positions (a, a+1) of their shared edge in i."""
        geoms, part = self._geoms(), self._partition()
        ring = shapely.get_coordinates(shapely.get_exterior_ring(geoms[i]))
        for j in self._touching(i):
            if part[j] != part[i] or j in self.used:
                continue
            other = shapely.boundary(geoms[j])
            on = shapely.intersects(shapely.points(ring), shapely.buffer(other, 1e-6))
            for a in range(len(ring) - 1):
                if on[a] and on[a + 1] and np.hypot(*(ring[a + 1] - ring[a])) > 4.0:
                    return int(j), a, a + 1
        raise ConfigError(f"feature {i} of layer {self.layer.id} shares no long edge with a neighbour")

    def edge_bump(self, defect: str, near: int) -> None:
        """Push (overlap) or pull (gap) the middle of an edge shared with a neighbour; both are reported."""
        inner = ~self._on_edge()
        while True:
            i = self.choose(near, inner)
            try:
                j, a, b = self._shared_edge(i)
                break
            except ConfigError:
                inner[i] = False
        geom = self._geoms()[i]
        ring = shapely.get_coordinates(shapely.get_exterior_ring(geom))
        start, end = ring[a], ring[b]
        direction = (end - start) / np.hypot(*(end - start))
        outward = np.array([direction[1], -direction[0]])  # rings are counter-clockwise: right is outside
        if shapely.is_ccw(shapely.get_exterior_ring(geom)) is False:
            outward = -outward
        shift = EDGE_SHIFT_M[defect] * outward
        p1, p2 = start + 0.3 * (end - start) + shift, start + 0.7 * (end - start) + shift
        new_ring = np.vstack([ring[: a + 1], np.round([p1, p2], 3), ring[b:]])
        self._set_geometry(i, shapely.polygons(new_ring))
        self._record_area(i)
        rule = "topology.overlap" if defect == "overlap" else "topology.gap"
        what = "pushed 0.8 m into" if defect == "overlap" else "pulled 0.1 m away from"
        self._mark(rule, i, None, defect, f"middle of the boundary with feature {j} {what} it")
        self._mark(rule, j, None, defect, f"its neighbour {i} was reshaped")

    def _corner(self, i: int) -> tuple[np.ndarray, int]:
        """Ring of ``i`` without its closing point, and the position of its most outer corner."""
        ring = shapely.get_coordinates(shapely.get_exterior_ring(self._geoms()[i]))[:-1]
        shared = shapely.intersects(shapely.points(ring), shapely.buffer(self._outline, 1e-6))
        others = self._original[self._touching(i)]
        free = shared & ~np.any(
            [shapely.intersects(shapely.points(ring), shapely.buffer(g, 1e-6)) for g in others], axis=0
        )
        before, after = np.roll(ring, 1, axis=0) - ring, np.roll(ring, -1, axis=0) - ring
        cosine = (before * after).sum(axis=1) / (np.hypot(*before.T) * np.hypot(*after.T))
        corners = np.flatnonzero(free & (cosine > -0.5))  # a real corner, not a vertex on a straight edge
        if not len(corners):
            raise ConfigError(f"feature {i} has no corner of its own")
        return ring, int(corners[0])

    def corner(self, defect: str, near: int) -> None:
        """bowtie: the outline crosses itself at a corner; sliver: a 0.7 m² corner split off as a new parcel."""
        edge = self._on_edge()
        while True:
            i = self.choose(near, edge)
            try:
                ring, k = self._corner(i)
                break
            except ConfigError:
                edge[i] = False
        prev, here, nxt = ring[k - 1], ring[k], ring[(k + 1) % len(ring)]
        leg = CORNER_M[defect]
        p = here + leg * (nxt - here) / np.hypot(*(nxt - here))
        q = here + leg * (prev - here) / np.hypot(*(prev - here))
        p, q = np.round(p, 3), np.round(q, 3)
        rest = np.vstack([ring[k + 1 :], ring[:k]])
        if defect == "bowtie":  # ... prev, p, q, next ...: the two new edges cross near the corner
            self._set_geometry(i, shapely.polygons(np.vstack([rest, [p, q], rest[:1]])))
            self._mark(
                "geometry.invalid", i, None, defect, "self-intersecting outline at a corner (digitising kink)"
            )
            return
        self._set_geometry(i, shapely.polygons(np.vstack([[p], rest, [q], [p]])))
        self._record_area(i)
        sliver = self.frame.iloc[[i]].copy()
        sliver.iloc[0, sliver.columns.get_loc(sliver.geometry.name)] = shapely.polygons(
            np.vstack([q, here, p, q])
        )
        key = self.layer.natural_key[-1]
        sliver.iloc[0, sliver.columns.get_loc(key)] = int(self.frame[key].max()) + 1
        self.frame = pd.concat([self.frame, sliver], ignore_index=True)
        last = len(self.frame) - 1
        self._record_area(last)
        self.used.add(i)
        self._mark("geometry.sliver", last, None, defect, f"a 0.7 m² corner of feature {i}, split off")

    def simple(self, defect: str, near: int, field: str | None) -> None:
        """Defects of one feature that move nothing else."""
        on_edge = defect in ("empty", "outside")
        i = self.choose(near, self._on_edge() if on_edge else None)
        action: dict[str, Callable[[], tuple[str, str | None, str]]] = {
            "empty": lambda: self._empty(i),
            "outside": lambda: self._outside(i),
            "bad_code": lambda: self._value(
                i, field, BAD_CODE, "field.code", f'code "{BAD_CODE}" is not in the list'
            ),
            "missing": lambda: self._value(i, field, None, "field.missing", "required value left empty"),
            "out_of_range": lambda: self._value(i, field, 0, "field.range", "0, below the minimum"),
            "area_mismatch": lambda: self._area(i),
            "duplicate_key": lambda: self._duplicate(i),
        }
        if defect not in action:
            raise ConfigError(f"plan.yml: unknown defect {defect!r}")
        rule, used_field, note = action[defect]()
        self._mark(rule, i, used_field, defect, note)

    def _empty(self, i: int) -> tuple[str, None, str]:
        self._set_geometry(i, shapely.from_wkt("POLYGON EMPTY"))
        return "geometry.empty", None, "geometry left empty"

    def _outside(self, i: int) -> tuple[str, None, str]:
        self._set_geometry(i, shapely.transform(self._geoms()[i], lambda xy: xy + np.array(OUTSIDE_SHIFT_M)))
        return "geometry.outside", None, "easting typed 100 km too large (650 km for 550 km)"

    def _value(
        self, i: int, field: str | None, value: object, rule: str, note: str
    ) -> tuple[str, str | None, str]:
        if field is None:
            raise ConfigError("plan.yml: this defect needs a field")
        self._set(i, field, value)
        return rule, field, note

    def _area(self, i: int) -> tuple[str, str, str]:
        check = self.layer.check("area.mismatch")
        if check is None or check.field is None:
            raise ConfigError(f"layer {self.layer.id} has no area.mismatch check")
        self._set(i, check.field, round(float(shapely.area(self._geoms()[i])) * AREA_FACTOR, 1))
        return "area.mismatch", check.field, "recorded area 30 % above the drawn one"

    def _duplicate(self, i: int) -> tuple[str, None, str]:
        keys = self.layer.natural_key
        head = self.frame[keys[:-1]].astype(str).agg("|".join, axis=1).to_numpy()
        same = [k for k in range(i) if head[k] == head[i] and k not in self.used]
        if not same:
            raise ConfigError(f"no earlier feature shares the key prefix of feature {i}")
        k = same[-1]
        self._set(i, keys[-1], self.frame[keys[-1]].iloc[k])
        self._mark("key.duplicate", k, None, "duplicate_key", f"feature {i} repeats its key", use=False)
        return "key.duplicate", None, f"repeats the natural key of feature {k}"

    # --- line defects ------------------------------------------------------------------------
    def dangle(self, defect: str, near: int) -> None:
        """undershoot: a line stops 1.5 m short of a junction; overshoot: it runs 1.5 m past it."""
        geoms = self._geoms()
        candidates = networks.junction_ends(geoms)
        owner = np.concatenate([np.arange(len(geoms))] * 2)
        for end in np.roll(candidates, -int(np.searchsorted(owner[candidates], near))):
            i = int(owner[end])
            if not self._free(i) or shapely.length(geoms[i]) < 10:
                continue
            by = -networks.DANGLE_GAP_M if defect == "undershoot" else networks.DANGLE_GAP_M
            try:
                self._set_geometry(i, networks.moved_end(geoms[i], end < len(geoms), by))
            except ValueError:
                continue
            what = "stops 1.5 m short of" if defect == "undershoot" else "runs 1.5 m past"
            self._mark("network.dangle", i, None, defect, f"line {what} a junction")
            return
        raise ConfigError(f"no junction left to plant a {defect} in layer {self.layer.id}")


def plant(frame: gpd.GeoDataFrame, layer: Layer, specs: list[dict]) -> tuple[gpd.GeoDataFrame, list[Planted]]:
    """Apply ``specs`` (``{defect, near, field?}`` from ``plan.yml``) in order; return the frame and the list."""
    planter = Planter(frame, layer)
    for spec in specs:
        defect, near = spec["defect"], int(spec.get("near", 0))
        if defect in EDGE_SHIFT_M:
            planter.edge_bump(defect, near)
        elif defect in CORNER_M:
            planter.corner(defect, near)
        elif defect in ("undershoot", "overshoot"):
            planter.dangle(defect, near)
        else:
            planter.simple(defect, near, spec.get("field"))
    planted = sorted(planter.planted, key=lambda p: (p.feature, p.rule))
    return planter.frame, planted
