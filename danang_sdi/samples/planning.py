"""Synthetic planning lots: the real city blocks of Hải Châu, as a zoning plan (QHPK) would draw them.

Blocks are the faces of the noded OSM street network inside the sample area (``shapely.polygonize``), so
neighbouring lots share their edges exactly; faces below ``min_lot_m2`` (traffic islands, slivers between
carriageways) are merged into the neighbour they share most boundary with. Lot labels, categories and
indicators are facts mapped through ``recipes.yml``.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import shapely

from danang_sdi.samples import networks
from danang_sdi.samples.attributes import attribute_table
from danang_sdi.samples.context import Context, weighted

LAYER = "planning_lot"


def _blocks(lines: networks.Lines, area: shapely.Geometry, min_area: float) -> np.ndarray:
    noded = shapely.union_all(np.concatenate([lines.geometry, [shapely.boundary(area)]]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = shapely.set_precision(faces, 0.001)
    faces = faces[shapely.area(faces) > 0]
    while True:
        areas = shapely.area(faces)
        small = np.flatnonzero(areas < min_area)
        if not len(small):
            return faces
        i = small[np.argmin(areas[small])]
        shared = shapely.length(shapely.intersection(shapely.boundary(faces[i]), shapely.boundary(faces)))
        shared[i] = 0
        j = int(np.argmax(shared))
        if shared[j] == 0:  # isolated: drop it
            faces = np.delete(faces, i)
            continue
        merged = shapely.coverage_union_all(np.array([faces[i], faces[j]]))
        faces[j] = merged
        faces = np.delete(faces, i)


def planning_lots(lines: networks.Lines, area: shapely.Geometry, rng, context: Context) -> gpd.GeoDataFrame:
    """Facts: plan_id, decision, decision_date, plan_level, stage, lot_label, category, area, coverage,
    floors_min, floors_max, height_max, far_max, setback, updated."""
    s = context.recipe(LAYER)["settings"]
    blocks = _blocks(lines, area, s["min_lot_m2"])
    c = shapely.centroid(blocks)
    order = np.lexsort((np.round(shapely.get_x(c), -1), -np.round(shapely.get_y(c), -2)))
    blocks = blocks[order]
    n = len(blocks)
    lot_area = shapely.area(blocks)
    category = weighted(rng, s["categories"], n)
    big = lot_area >= s["public_lot_m2"]
    category[big] = weighted(rng, s["public_categories"], int(big.sum()))
    floors_max = rng.integers(*s["floors"], n)
    coverage = np.round(rng.uniform(*s["coverage_pct"], n), 0)
    letters = np.array(list("ABCDEFGHK"), dtype=object)[np.arange(n) // 20 % 9]
    labels = np.array([f"{a}{i % 20 + 1}" for a, i in zip(letters, range(n), strict=True)], dtype=object)
    facts = {
        "plan_id": np.full(n, s["plan_id"], dtype=object),
        "decision": np.full(n, s["decision"], dtype=object),
        "decision_date": np.full(n, dt.date.fromisoformat(s["decision_date"]), dtype=object),
        "plan_level": np.full(n, s["plan_level"], dtype=object),
        "stage": np.full(n, s["stage"], dtype=object),
        "lot_label": labels,
        "category": category,
        "area": np.round(lot_area, 1),
        "coverage": coverage,
        "floors_min": np.ones(n, dtype=np.int64),
        "floors_max": floors_max,
        "height_max": np.round(floors_max * 3.6 + 2, 1),
        "far_max": np.round(coverage / 100 * floors_max, 1),
        "setback": rng.choice(np.array(s["setbacks_m"], dtype=float), n),
        "updated": np.full(n, dt.date.fromisoformat(s["decision_date"]), dtype=object),
    }
    layer = context.layer(LAYER)
    table = attribute_table(layer, facts, n, rng, context)
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(blocks, crs=layer.storage_crs))
