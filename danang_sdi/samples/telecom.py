"""Synthetic telecom sites: operators' base stations on rooftops beside the real streets of the sample area.

Sites stand ``offset_m`` off a street (on a building), at least ``min_spacing_m`` apart whatever the
operator, as the city's shared-infrastructure rules push operators to spread and share. Landlords' names
and phone numbers are made up, like the parcel owners': restricted fields must look real to test that they
are never published.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import shapely

from danang_sdi.samples import networks
from danang_sdi.samples.context import Context, person_names, pick, weighted
from danang_sdi.samples.streets import Streets
from danang_sdi.samples.utilities import layer_frame
from danang_sdi.samples.wards import WardSplit

LAYER = "telecom_site"


def _candidates(lines: networks.Lines, step: float, offset: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``step`` metres along the lines, ``offset`` metres to a random side; and their line."""
    length = shapely.length(lines.geometry)
    count = (length // step).astype(int)
    owner = np.repeat(np.arange(len(lines)), count)
    dist = (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + 0.5) * step
    here = shapely.get_coordinates(shapely.line_interpolate_point(lines.geometry[owner], dist))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines.geometry[owner], dist + 0.5))
    direction = ahead - here
    norm = np.maximum(np.hypot(direction[:, 0], direction[:, 1]), 1e-9)[:, None]
    side = np.where(rng.random(len(here)) < 0.5, -1.0, 1.0)[:, None]
    left = np.column_stack([-direction[:, 1], direction[:, 0]]) / norm
    return shapely.points(np.round(here + side * offset * left, 3)), owner


def _spread(points: np.ndarray, count: int, spacing: float, rng) -> np.ndarray:
    """Indices of up to ``count`` points, in a random order, each ``spacing`` metres from those kept."""
    kept: list[int] = []
    for i in rng.permutation(len(points)).tolist():
        if all(shapely.distance(points[i], points[k]) >= spacing for k in kept):
            kept.append(i)
            if len(kept) == count:
                break
    return np.array(kept, dtype=np.int64)


def telecom_sites(
    streets: Streets, lines: networks.Lines, wards: WardSplit, rng, context: Context
) -> gpd.GeoDataFrame:
    """Facts: operator, site_code, site_name, site_type, technology, mast, mast_height, shared, permit,
    address, landlord, landlord_phone, ward_code, year, updated."""
    s = context.recipe(LAYER)["settings"]
    words = s["junction_names"]
    named = np.array(
        [bool(n) and not n.startswith(tuple(words["alleys"])) for n in streets.name[lines.street]]
    )
    lines = lines.take(np.flatnonzero(named))
    points, owner = _candidates(lines, s["candidate_step_m"], s["offset_m"], rng)
    keep = _spread(points, s["count"], s["min_spacing_m"], rng)
    order = np.lexsort((shapely.get_x(points[keep]), -np.round(shapely.get_y(points[keep]), -1)))
    keep = keep[order]
    points, street = points[keep], lines.street[owner[keep]]
    n = len(points)
    operator = weighted(rng, s["operators"], n)
    number = np.zeros(n, dtype=np.int64)
    for op in np.unique(operator):
        number[operator == op] = np.arange(1, int((operator == op).sum()) + 1)
    site_type = weighted(rng, s["site_types"], n)
    mast = np.array([str(weighted(rng, s["masts"][t], 1)[0]) for t in site_type], dtype=object)
    low, high = np.array([s["mast_height_m"][m] for m in mast], dtype=float).T
    names = [streets.name[i].removeprefix(words["prefix"]) for i in street]
    codes = wards.codes_at(points)
    units = {w.code: w for w in wards.wards}
    house = rng.integers(1, 300, n)
    facts = {
        "operator": operator,
        "site_code": np.array(
            [f"{s['code_prefix'][o]}{k:03d}" for o, k in zip(operator, number, strict=True)], dtype=object
        ),
        "site_name": np.array(
            [s["site_name"].format(street=nm, number=k) for nm, k in zip(names, number, strict=True)],
            dtype=object,
        ),
        "site_type": site_type,
        "technology": pick(rng, s["technologies"], n),
        "mast": mast,
        "mast_height": np.round(rng.uniform(low, high), 1),
        "shared": rng.random(n) < s["shared_share"],
        "permit": np.array(
            [s["permit_format"].format(number=int(k)) for k in rng.integers(100, 999, n)], dtype=object
        ),
        "address": np.array(
            [
                f"{h} {nm}, {units[c].name}, {units[c].district}"
                for h, nm, c in zip(house, names, codes, strict=True)
            ],
            dtype=object,
        ),
        "landlord": person_names(rng, n, context.vocabulary),
        "landlord_phone": np.array([f"09{v:08d}" for v in rng.integers(0, 10**8, n)], dtype=object),
        "ward_code": codes,
        "year": rng.integers(*s["years"], n),
        "updated": np.full(n, dt.date.fromisoformat(s["updated"]), dtype=object),
    }
    return layer_frame(context, LAYER, facts, points, rng)
