"""A synthetic detailed plan (QHCT 1/500) drawn over the sample parcels: its lots and its boundary.

A renovation plan as Đà Nẵng approves them for old wards: the plan keeps the street pattern of the
cadastre but widens every street to a standard right of way (``right_of_way_m``, the smallest one at
least ``min_widening_m`` wider than the street is), opens a new street through the longest block, and
divides each block into lots of ``lot_width_m``. Every lot line is straight and ignores the parcel lines,
so frontage parcels lose a strip to the road lots and parcels on a lot line fall in two or three lots:
what a planner checks before the plan is carried out.

The plan is laid out in the lattice frame of the parcels (``grid``: axes along the streets) and then
rotated into EPSG:5899. Lots are the faces of the noded lot lines (``shapely.polygonize``), so neighbours
share their edges exactly, as the catalog's overlap and gap checks want.
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
from danang_sdi.samples.context import Context, weighted
from danang_sdi.samples.utilities import layer_frame

LAYER = "planning_lot"
BOUNDARY_LAYER = "planning_boundary"
PARCEL_LAYER = "cadastral_parcel"


@dataclass(frozen=True)
class Street:
    """A planned street in the lattice frame: along u (east–west) or v, its centre and right of way."""

    along_u: bool
    centre: float
    width: float


@dataclass(frozen=True)
class Plan:
    """The plan's boundary and lots in EPSG:5899, with the category and label of each lot."""

    boundary: shapely.Geometry
    lots: np.ndarray
    category: np.ndarray
    label: np.ndarray


def _to_lattice(geometry: np.ndarray) -> np.ndarray:
    angle = np.radians(grid.ROTATION_DEG)
    c, s = np.cos(angle), np.sin(angle)

    def turn(xy: np.ndarray) -> np.ndarray:
        d = xy - np.asarray(grid.ANCHOR_NE)
        return np.column_stack([d[:, 0] * c + d[:, 1] * s, -d[:, 0] * s + d[:, 1] * c])

    return shapely.transform(geometry, turn)


def _to_world(geometry: np.ndarray) -> np.ndarray:
    angle = np.radians(grid.ROTATION_DEG)
    c, s = np.cos(angle), np.sin(angle)

    def turn(uv: np.ndarray) -> np.ndarray:
        x = grid.ANCHOR_NE[0] + uv[:, 0] * c - uv[:, 1] * s
        y = grid.ANCHOR_NE[1] + uv[:, 0] * s + uv[:, 1] * c
        return np.column_stack([x, y])

    return shapely.set_precision(shapely.transform(geometry, turn), 0.001)


def _existing_streets(parcels: gpd.GeoDataFrame, context: Context) -> list[tuple[bool, float, float]]:
    """(along u, centre, width) of each street of the cadastre, from its road parcels, in the lattice frame."""
    recipe = context.recipe(PARCEL_LAYER)
    field = next(a for a, fact in recipe["facts"].items() if fact == "land_use")
    roads = parcels[parcels[field].isin(list(recipe["settings"]["land_use"]["road"]))]
    box = shapely.bounds(_to_lattice(roads.geometry.to_numpy()))
    along_u = (box[:, 2] - box[:, 0]) > (box[:, 3] - box[:, 1])
    found = []
    for axis, low, high in ((True, 1, 3), (False, 0, 2)):
        edges = box[along_u == axis][:, [low, high]]
        edges = edges[np.argsort(edges[:, 0])]
        groups = np.cumsum(np.concatenate([[True], np.diff(edges[:, 0]) > 1.0]))
        for g in np.unique(groups):
            lo, hi = np.median(edges[groups == g], axis=0)
            found.append((axis, float(lo + hi) / 2, float(hi - lo)))
    return found


def _planned_width(width: float, s: Mapping[str, Any]) -> float:
    wider = [w for w in s["right_of_way_m"] if w >= width + s["min_widening_m"]]
    return float(min(wider) if wider else max(s["right_of_way_m"]))


def _layout(parcels: gpd.GeoDataFrame, s: Mapping[str, Any], context: Context):
    """The plan's extent (u0, v0, u1, v1) and streets, in the lattice frame."""
    existing = _existing_streets(parcels, context)
    across = sorted(c for along_u, c, _ in existing if not along_u)  # west to east
    along = sorted((c for along_u, c, _ in existing if along_u), reverse=True)  # north to south
    extent = shapely.bounds(shapely.union_all(_to_lattice(parcels.geometry.to_numpy())))
    u0, v0 = across[s["west_street"] - 1], along[s["south_street"] - 1]
    u1, v1 = np.round(extent[2]), np.round(extent[3])
    streets = [
        Street(a, c, _planned_width(w, s)) for a, c, w in existing if (v0 <= c <= v1 if a else u0 <= c <= u1)
    ]
    cuts = sorted([u0, u1, *(st.centre for st in streets if not st.along_u)])
    runs = np.diff(cuts)
    widest = int(np.argmax(runs))
    streets.append(Street(False, cuts[widest] + runs[widest] / 2, float(s["new_street_m"])))
    return (u0, v0, u1, v1), streets


def _strip(street: Street, extent) -> shapely.Geometry:
    u0, v0, u1, v1 = extent
    h = street.width / 2
    if street.along_u:
        return shapely.box(u0, street.centre - h, u1, street.centre + h)
    return shapely.box(street.centre - h, v0, street.centre + h, v1)


def _lot_cuts(block: shapely.Geometry, rng, widths: tuple[float, float]) -> list[shapely.Geometry]:
    """Lines across a block (along v) every ``widths`` metres; the last lot takes what is left."""
    u0, v0, u1, v1 = shapely.bounds(block)
    lines, u = [], u0
    while True:
        u += rng.uniform(*widths)
        if u1 - u < widths[0] * 0.75:
            return lines
        lines.append(shapely.LineString([(u, v0), (u, v1)]))


def _lot_shapes(extent, streets: list[Street], rng, s: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The lots (lattice frame) and which of them are street lots.

    A face in an east–west street belongs to it (crossings included); a face in a cross street, to that
    street between the same two east–west streets; any other face is a lot of its own.
    """
    outline = shapely.box(*extent)
    strips = [shapely.intersection(_strip(st, extent), outline) for st in streets]
    blocks = shapely.get_parts(shapely.difference(outline, shapely.union_all(strips)))
    blocks = blocks[np.lexsort((shapely.bounds(blocks)[:, 0], -shapely.bounds(blocks)[:, 3]))]
    cuts = [c for b in blocks for c in _lot_cuts(b, rng, tuple(s["lot_width_m"]))]
    edges = [shapely.boundary(outline), *map(shapely.boundary, strips), *cuts]
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(edges))))
    inside = shapely.point_on_surface(faces)
    owner = np.array([f"lot{i}" for i in range(len(faces))], dtype=object)
    crossings = np.sort([st.centre for st in streets if st.along_u])
    for k in np.argsort([st.along_u for st in streets], kind="stable"):  # east–west streets last: they win
        hit = np.flatnonzero(shapely.contains(strips[k], inside))
        segment = (
            np.zeros(len(hit))
            if streets[k].along_u
            else np.searchsorted(crossings, shapely.get_y(inside[hit]))
        )
        owner[hit] = [f"street{k}-{int(i)}" for i in segment]
    names, group = np.unique(owner, return_inverse=True)
    lots = np.array([shapely.coverage_union_all(faces[group == g]) for g in range(len(names))], dtype=object)
    return lots, np.char.startswith(names.astype(str), "street")


def _categories(lots: np.ndarray, is_road: np.ndarray, rng, s: Mapping[str, Any]) -> np.ndarray:
    """Street lots are road land; the others drawn from ``categories``, then a few made public lots."""
    category = weighted(rng, s["categories"], len(lots))
    category[is_road] = s["road_category"]
    lot_area = shapely.area(lots)
    for code, count in s["public_lots"].items():
        taken = np.isin(category, list(s["public_lots"]))
        free = np.flatnonzero(~is_road & ~taken & (lot_area >= s["public_lot_min_m2"]))
        category[rng.choice(free, size=min(count, len(free)), replace=False)] = code
    return category


def plan_over(parcels: gpd.GeoDataFrame, rng, context: Context) -> Plan:
    """Lay the plan of ``recipes.yml`` over ``parcels`` (the cadastral sample)."""
    s = context.recipe(LAYER)["settings"]
    extent, streets = _layout(parcels, s, context)
    lots, is_road = _lot_shapes(extent, streets, rng, s)
    category = _categories(lots, is_road, rng, s)
    centre = shapely.centroid(lots)  # lots numbered from the north-west, per label prefix
    order = np.lexsort((np.round(shapely.get_x(centre)), -np.round(shapely.get_y(centre), -1)))
    lots, category = _to_world(lots[order]), category[order]
    label = np.empty(len(lots), dtype=object)
    for code in np.unique(category):
        here = np.flatnonzero(category == code)
        label[here] = [f"{s['labels'][code]}-{i:02d}" for i in range(1, len(here) + 1)]
    return Plan(shapely.coverage_union_all(lots), lots, category, label)


def _indicators(category: np.ndarray, rng, table: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Coverage, floors, height, floor-area ratio and setback of each lot, from its category's ranges."""
    n = len(category)
    out = {k: np.full(n, np.nan) for k in ("coverage", "floors_min", "floors_max", "height_max", "far_max")}
    out["setback"] = np.full(n, np.nan)
    for i, code in enumerate(category):
        spec = table.get(code)
        if spec is None:  # roads and other lots without building rules
            continue
        floors = int(rng.integers(spec["floors_max"][0], spec["floors_max"][1] + 1))
        coverage = float(np.round(rng.uniform(*spec["coverage"])))
        out["coverage"][i] = coverage
        out["floors_min"][i] = spec["floors_min"]
        out["floors_max"][i] = floors
        out["height_max"][i] = round(floors * 3.6 + 2, 1)
        out["far_max"][i] = round(coverage / 100 * floors, 1)
        out["setback"][i] = float(rng.choice(spec["setback_m"]))
    return out


def planning_lots(plan: Plan, rng, context: Context) -> gpd.GeoDataFrame:
    """Facts: plan_id, decision, decision_date, plan_level, stage, lot_label, category, area, coverage,
    floors_min, floors_max, height_max, far_max, setback, updated."""
    s = context.recipe(LAYER)["settings"]
    n = len(plan.lots)
    decided = dt.date.fromisoformat(s["decision_date"])
    facts = {
        "plan_id": np.full(n, s["plan_id"], dtype=object),
        "decision": np.full(n, s["decision"], dtype=object),
        "decision_date": np.full(n, decided, dtype=object),
        "plan_level": np.full(n, s["plan_level"], dtype=object),
        "stage": np.full(n, s["stage"], dtype=object),
        "lot_label": plan.label,
        "category": plan.category,
        "area": np.round(shapely.area(plan.lots), 1),
        **_indicators(plan.category, rng, s["indicators"]),
        "updated": np.full(n, decided, dtype=object),
    }
    return layer_frame(context, LAYER, facts, plan.lots, rng)


def planning_boundaries(plan: Plan, ward_name: str, rng, context: Context) -> gpd.GeoDataFrame:
    """The plan's boundary. Facts: plan_id, name, plan_level, scale, decision, decision_date, authority,
    area_ha, status, updated."""
    s = context.recipe(LAYER)["settings"]
    b = context.recipe(BOUNDARY_LAYER)["settings"]
    decided = dt.date.fromisoformat(s["decision_date"])
    facts = {
        "plan_id": np.array([s["plan_id"]], dtype=object),
        "name": np.array([b["name"].format(ward=ward_name)], dtype=object),
        "plan_level": np.array([s["plan_level"]], dtype=object),
        "scale": np.array([b["scale"]]),
        "decision": np.array([s["decision"]], dtype=object),
        "decision_date": np.array([decided], dtype=object),
        "authority": np.array([b["authority"]], dtype=object),
        "area_ha": np.round(shapely.area(np.array([plan.boundary])) / 10_000, 2),
        "status": np.array([b["status"]], dtype=object),
        "updated": np.array([decided], dtype=object),
    }
    return layer_frame(context, BOUNDARY_LAYER, facts, np.array([plan.boundary]), rng)
