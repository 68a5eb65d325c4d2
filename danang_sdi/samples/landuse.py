"""Synthetic current land-use zones (khoanh đất) of a land inventory, drawn from the sample parcels.

An inventory map groups neighbouring parcels of one main use into a zone, ward by ward: here each zone is
a connected group of parcels of the same ward and main land-use code (the first code of ``ODT+CLN``),
merged with ``shapely.coverage_union_all`` so zones share edges exactly, as the parcels do. Zones are
numbered per ward from the north-west, as inventory maps number them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from danang_sdi.samples.context import Context
from danang_sdi.samples.utilities import layer_frame

LAYER = "land_use_status"
PARCEL_LAYER = "cadastral_parcel"


def _parcel_field(context: Context, fact: str) -> str:
    return next(a for a, f in context.recipe(PARCEL_LAYER)["facts"].items() if f == fact)


def land_use_zones(parcels: gpd.GeoDataFrame, rng, context: Context) -> gpd.GeoDataFrame:
    """Facts: ward_code, year, survey, code_system, land_use, zone_number, area, updated."""
    s = context.recipe(LAYER)["settings"]
    ward = parcels[_parcel_field(context, "ward_code")].to_numpy(dtype=object)
    use = parcels[_parcel_field(context, "land_use")].str.split(s["mixed_use_separator"]).str[0]
    geoms = parcels.geometry.to_numpy()
    zones, zone_ward, zone_use = [], [], []
    for (w, u), rows in pd.Series(range(len(parcels))).groupby([ward, use.to_numpy(dtype=object)]):
        merged = shapely.coverage_union_all(geoms[rows.to_numpy()])
        parts = shapely.get_parts(merged)
        zones.extend(parts)
        zone_ward.extend([w] * len(parts))
        zone_use.extend([u] * len(parts))
    zones_arr = shapely.set_precision(np.array(zones, dtype=object), 0.001)
    frame = pd.DataFrame({"ward": zone_ward, "use": zone_use})
    where = shapely.point_on_surface(zones_arr)
    frame["north"] = -np.round(shapely.get_y(where), -1)
    frame["east"] = shapely.get_x(where)
    order = frame.sort_values(["ward", "north", "east"]).index.to_numpy()
    frame, zones_arr = frame.loc[order].reset_index(drop=True), zones_arr[order]
    n = len(frame)
    updated = pd.Timestamp(s["updated"]).date()
    facts = {
        "ward_code": frame["ward"].to_numpy(dtype=object),
        "year": np.full(n, s["year"]),
        "survey": np.full(n, s["survey"], dtype=object),
        "code_system": np.full(n, s["code_system"], dtype=object),
        "land_use": frame["use"].to_numpy(dtype=object),
        "zone_number": frame.groupby("ward").cumcount().to_numpy() + 1,
        "area": np.round(shapely.area(zones_arr), 1),
        "updated": np.full(n, updated, dtype=object),
    }
    return layer_frame(context, LAYER, facts, zones_arr, rng)
