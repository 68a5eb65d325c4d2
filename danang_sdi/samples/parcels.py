"""Synthetic cadastral parcels: the lattice coverage of ``grid`` plus the facts of a cadastral register.

Wards are 1 km zones (sheets of 250 m, the 1:500 urban sheet), taken from the catalog's pre-2025 ward
list, Hải Châu's first; sheets are numbered per ward, parcels per sheet from the north-west, as surveyors
number them. Recorded areas are the geometric areas rounded to 0.1 m². Owners, ID and phone numbers are
made up (``vocabulary.json``): restricted fields must look real to test that they are never published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from danang_sdi.samples import grid
from danang_sdi.samples.attributes import attribute_table
from danang_sdi.samples.context import Context, Ward, person_names, pick, weighted

LAYER = "cadastral_parcel"
SHEET_M = 250.0
ZONE_SHEETS = 4  # a ward zone is 4 x 4 sheets
TextFilter = Callable[[str], bool]


def _group_rank(keys: list[np.ndarray], order_keys: list[np.ndarray]) -> np.ndarray:
    """1-based rank of each row within its group (``keys``), ordered by ``order_keys`` (last key first)."""
    order = np.lexsort([*order_keys, *keys])
    sorted_keys = np.column_stack([k[order] for k in keys])
    new_group = np.concatenate([[True], (sorted_keys[1:] != sorted_keys[:-1]).any(axis=1)])
    starts = np.flatnonzero(new_group)
    group_start = starts[np.cumsum(new_group) - 1]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - group_start + 1
    return rank


def wards_and_sheets(centroid: np.ndarray, n_wards: int) -> tuple[np.ndarray, np.ndarray]:
    """Ward index (into the ward list) and sheet number per parcel, by where its centroid falls."""
    sx = np.floor((centroid[:, 0] - grid.ANCHOR_NE[0]) / SHEET_M).astype(np.int64)
    sy = np.floor((centroid[:, 1] - grid.ANCHOR_NE[1]) / SHEET_M).astype(np.int64)
    zx, zy = sx // ZONE_SHEETS, sy // ZONE_SHEETS
    zones, zone_of = np.unique(np.column_stack([zx, zy]), axis=0, return_inverse=True)
    zone_rank = np.argsort(
        np.argsort(np.hypot(zones[:, 0] + 0.5, zones[:, 1] + 0.5), kind="stable"), kind="stable"
    )
    zone = zone_rank[zone_of.ravel()]
    ward = zone % n_wards
    # Sheets numbered per ward: zone by zone, then rows from the north, then from the west.
    sheets, sheet_of = np.unique(np.column_stack([ward, zone, -sy, sx]), axis=0, return_inverse=True)
    first = np.searchsorted(sheets[:, 0], sheets[:, 0], side="left")
    return ward, (np.arange(len(sheets)) - first + 1)[sheet_of.ravel()]


def _digits(rng: np.random.Generator, n: int, count: int) -> pd.Series:
    return pd.Series(rng.integers(0, 10**count, n)).astype(str).str.zfill(count)


def parcel_facts(
    cov: grid.Coverage, rng: np.random.Generator, context: Context, text_ok: TextFilter | None = None
) -> dict[str, np.ndarray]:
    """The register facts of each parcel of ``cov`` (see ``recipes.yml`` for which attribute takes which)."""
    settings = context.recipe(LAYER)["settings"]
    words = context.vocabulary
    if text_ok is not None:
        words = {k: [w for w in v if text_ok(w)] for k, v in words.items()}
    wards: list[Ward] = [w for w in context.wards(settings["wards"]) if text_ok is None or text_ok(w.name)]
    n = len(cov)
    ward_idx, sheet = wards_and_sheets(cov.centroid, len(wards))
    number = _group_rank([ward_idx, sheet], [cov.col, -cov.row])
    area = shapely.area(cov.geometry)

    is_road = cov.kind == grid.ROAD
    is_big = cov.kind == grid.BIG_LOT
    land_use = weighted(rng, settings["land_use"]["lot"], n)
    land_use[is_big] = weighted(rng, settings["land_use"]["big_lot"], int(is_big.sum()))
    land_use[is_road] = weighted(rng, settings["land_use"]["road"], int(is_road.sum()))

    streets = np.array(words["streets"], dtype=object)
    street_of = streets[(cov.street * 7 + 3) % len(streets)]  # neighbouring streets get different names
    ward_name = np.array([w.name for w in wards], dtype=object)[ward_idx]
    district = np.array([w.district for w in wards], dtype=object)[ward_idx]
    tail = pd.Series(ward_name) + ", " + pd.Series(district)
    house = pd.Series(cov.house_number).astype(str) + " "
    address = (house.where(~is_road, "") + pd.Series(street_of) + ", " + tail).to_numpy(dtype=object)

    people = person_names(rng, n, words)
    public = is_road | is_big
    holder = np.where(public, ("UBND " + pd.Series(ward_name)).to_numpy(dtype=object), people)
    born = rng.integers(1950, 2005, n)
    century = np.where(born >= 2000, 2, 0) + (rng.random(n) < 0.5)
    id_number = "048" + pd.Series(century).astype(str) + pd.Series(born % 100).astype(str).str.zfill(2)
    id_number = (id_number + _digits(rng, n, 6)).where(~public, None)
    phone = ("09" + _digits(rng, n, 8)).where((rng.random(n) < 0.6) & ~public, None)
    series = pick(rng, settings["certificate_series"], n)
    certificate = (pd.Series(series) + " " + _digits(rng, n, 6)).where(~is_road, None)
    days = (
        dt.date.fromisoformat(settings["updated_to"]) - dt.date.fromisoformat(settings["updated_from"])
    ).days
    updated = pd.Series(
        pd.to_datetime(settings["updated_from"]) + pd.to_timedelta(rng.integers(0, days + 1, n), unit="D")
    ).dt.date
    renumbered = rng.random(n) < settings["renumbered_share"]
    old_sheet = pd.Series(np.maximum(sheet - 1, 1)).astype(str).where(renumbered, None)
    old_number = pd.Series(number + rng.integers(1, 40, n)).astype(str).where(renumbered, None)
    legal = np.where(rng.random(n) < 0.8, np.round(area, 1), np.round(area * rng.uniform(0.96, 1.0, n), 1))

    return {
        "ward_code": np.array([w.code for w in wards], dtype=object)[ward_idx],
        "sheet": sheet,
        "parcel_number": number,
        "area": np.round(area, 1),
        "legal_area": np.where(is_road, np.nan, legal),
        "code_system": weighted(rng, settings["code_systems"], n),
        "land_use": land_use,
        "old_sheet": old_sheet.to_numpy(dtype=object),
        "old_parcel_number": old_number.to_numpy(dtype=object),
        "address": address,
        "holder_name": holder,
        "id_number": id_number.to_numpy(dtype=object),
        "phone": phone.to_numpy(dtype=object),
        "certificate": certificate.to_numpy(dtype=object),
        "updated": updated.to_numpy(dtype=object),
    }


def generate_parcels(
    n: int, seed: int = 0, *, context: Context | None = None, text_ok: TextFilter | None = None
) -> gpd.GeoDataFrame:
    """``n`` cadastral parcels forming a valid coverage in Hải Châu and beyond, EPSG:5899, deterministic.

    ``text_ok`` restricts the words used (e.g. to text a legacy encoding can hold).

    Examples
    --------
    >>> parcels = generate_parcels(50, seed=1)
    >>> len(parcels), parcels.crs.to_epsg(), bool(shapely.coverage_is_valid(parcels.geometry.array))
    (50, 5899, True)
    """
    context = context or Context()
    cov = grid.build_coverage(n, seed)
    keep = np.lexsort((cov.col, -cov.row))[:n]  # whole rows from the north: the rest stays gap-free
    cov = grid.Coverage(**{name: getattr(cov, name)[np.sort(keep)] for name in cov.__dataclass_fields__})
    rng = np.random.default_rng([seed, 1])
    layer = context.layer(LAYER)
    facts = parcel_facts(cov, rng, context, text_ok)
    table = attribute_table(layer, facts, n, rng, context)
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(cov.geometry, crs=layer.storage_crs))
