"""Synthetic street-based layers on the real OSM streets: roads, water, drainage, lighting, trees.

Each builder computes facts for its features and hands them to ``attribute_table`` (the recipe in
``recipes.yml`` maps them onto catalog attributes). Per-class choices (diameters, widths, materials) are
recipe settings keyed by the OSM highway class of the street a feature follows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from danang_sdi.samples import networks
from danang_sdi.samples.attributes import attribute_table
from danang_sdi.samples.context import Context, pick, weighted
from danang_sdi.samples.streets import Streets


def layer_frame(
    context: Context, layer_id: str, facts: dict[str, Any], geometry: np.ndarray, rng
) -> gpd.GeoDataFrame:
    """The layer's features: ``facts`` through its recipe, and ``geometry`` in its storage CRS."""
    layer = context.layer(layer_id)
    table = attribute_table(layer, facts, len(geometry), rng, context)
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geometry, crs=layer.storage_crs))


def _ids(prefix: str, n: int, start: int = 1) -> np.ndarray:
    return np.array([f"{prefix}{i:05d}" for i in range(start, start + n)], dtype=object)


def random_dates(rng: np.random.Generator, settings: Mapping[str, Any], n: int) -> np.ndarray:
    """``n`` dates between ``settings["updated_from"]`` and ``settings["updated_to"]``."""
    first = dt.date.fromisoformat(settings["updated_from"])
    days = (dt.date.fromisoformat(settings["updated_to"]) - first).days
    return np.array([first + dt.timedelta(days=int(d)) for d in rng.integers(0, days + 1, n)], dtype=object)


def _per_class(streets: Streets, street_index: np.ndarray, table: Mapping[str, Any], key: str) -> list[Any]:
    """``table[osm class][key]`` for each feature, links taking the value of their road class."""
    classes = [streets.highway[i].removesuffix("_link") for i in street_index]
    return [table.get(c, table["default"])[key] for c in classes]


def _choose(rng: np.random.Generator, options: list[list[Any]]) -> np.ndarray:
    """One value from each feature's own list of options."""
    return np.array([o[rng.integers(0, len(o))] for o in options], dtype=object)


def _uniform(rng: np.random.Generator, ranges: list[list[float]], decimals: int = 1) -> np.ndarray:
    low, high = np.array(ranges, dtype=float).T
    return np.round(rng.uniform(low, high), decimals)


def _street_names(streets: Streets, street_index: np.ndarray) -> np.ndarray:
    return np.array([streets.name[i] for i in street_index], dtype=object)


def road_centerlines(streets: Streets, lines: networks.Lines, rng, context: Context) -> gpd.GeoDataFrame:
    """Facts: segment_id, street_name, admin_class, urban_class, length, carriageway_width,
    sidewalk_width, right_of_way, lanes, surface, manager, year_built, osm_class, updated."""
    s = context.recipe("road_centerline")["settings"]
    n, by = len(lines), s["by_class"]
    width = _uniform(rng, _per_class(streets, lines.street, by, "width"))
    sidewalk = _uniform(rng, _per_class(streets, lines.street, by, "sidewalk"))
    lanes = _choose(rng, _per_class(streets, lines.street, by, "lanes"))
    facts = {
        "segment_id": _ids(s["id_prefix"], n),
        "street_name": _street_names(streets, lines.street),
        "admin_class": np.full(n, s["admin_class"], dtype=object),
        "urban_class": np.array(_per_class(streets, lines.street, by, "urban_class"), dtype=object),
        "length": np.round(shapely.length(lines.geometry), 1),
        "carriageway_width": width,
        "sidewalk_width": sidewalk,
        "right_of_way": np.round(width + 2 * sidewalk, 1),
        "lanes": lanes.astype(np.int64),
        "surface": _choose(rng, _per_class(streets, lines.street, by, "surface")),
        "manager": np.full(n, s["manager"], dtype=object),
        "year_built": rng.integers(*s["years"], n),
        "osm_class": np.array([streets.highway[i].removesuffix("_link") for i in lines.street], dtype=object),
        "updated": random_dates(rng, s, n),
    }
    return layer_frame(context, "road_centerline", facts, lines.geometry, rng)


def water_pipes(streets: Streets, lines: networks.Lines, rng, context: Context) -> gpd.GeoDataFrame:
    """Facts: pipe_id, diameter, material, pipe_type, pressure, depth, length, dma, year_laid, status, updated."""
    s = context.recipe("water_pipe")["settings"]
    n, by = len(lines), s["by_class"]
    pipe_type = np.array(_per_class(streets, lines.street, by, "pipe_type"), dtype=object)
    centroid = shapely.centroid(lines.geometry)
    zone = (shapely.get_x(centroid) > np.median(shapely.get_x(centroid))).astype(int) * 2 + (
        shapely.get_y(centroid) > np.median(shapely.get_y(centroid))
    )
    facts = {
        "pipe_id": _ids(s["id_prefix"], n),
        "diameter": _choose(rng, _per_class(streets, lines.street, by, "diameters")).astype(np.int64),
        "material": _choose(rng, [s["materials"][t] for t in pipe_type]),
        "pipe_type": pipe_type,
        "pressure": np.array([s["pressure_bar"][t] for t in pipe_type], dtype=float),
        "depth": np.round(rng.uniform(0.7, 1.6, n), 2),
        "length": np.round(shapely.length(lines.geometry), 1),
        "dma": np.array(s["dma_zones"], dtype=object)[zone],
        "year_laid": rng.integers(*s["years"], n),
        "status": weighted(rng, s["status"], n),
        "updated": random_dates(rng, s, n),
    }
    return layer_frame(context, "water_pipe", facts, lines.geometry, rng)


def water_nodes(pipes: gpd.GeoDataFrame, rng, context: Context) -> gpd.GeoDataFrame:
    """Valves at pipe starts, hydrants along the larger pipes. Facts: node_id, kind, diameter, valve_state,
    elevation, pipe_id, dma, year_laid, updated (pipe attributes are read through the pipe recipe)."""
    s = context.recipe("water_node")["settings"]
    pipe_facts = {v: k for k, v in context.recipe("water_pipe")["facts"].items()}
    geoms = pipes.geometry.to_numpy()
    valve_at = np.flatnonzero(rng.random(len(geoms)) < s["valve_share"])
    big = np.flatnonzero(pipes[pipe_facts["diameter"]].to_numpy() >= s["hydrant_min_diameter"])
    length = shapely.length(geoms[big])
    per_pipe = (length // s["hydrant_spacing_m"]).astype(int)
    h_owner = np.repeat(big, per_pipe)
    h_dist = np.arange(per_pipe.sum()) - np.repeat(np.cumsum(per_pipe) - per_pipe, per_pipe) + 0.5
    hydrants = shapely.line_interpolate_point(geoms[h_owner], h_dist * s["hydrant_spacing_m"])
    owner = np.concatenate([valve_at, h_owner])
    points = shapely.set_precision(np.concatenate([shapely.get_point(geoms[valve_at], 0), hydrants]), 0.001)
    n, nv = len(points), len(valve_at)
    kind = np.array(["valve"] * nv + ["hydrant"] * (n - nv), dtype=object)
    facts = {
        "node_id": _ids(s["id_prefix"], n),
        "kind": np.array([s["kinds"][k] for k in kind], dtype=object),
        "diameter": pipes[pipe_facts["diameter"]].to_numpy()[owner].astype(np.int64),
        "valve_state": np.where(kind == "valve", weighted(rng, s["valve_states"], n), None),
        "elevation": np.round(rng.uniform(2.0, 6.0, n), 2),
        "pipe_id": pipes[pipe_facts["pipe_id"]].to_numpy()[owner],
        "dma": pipes[pipe_facts["dma"]].to_numpy()[owner],
        "year_laid": pipes[pipe_facts["year_laid"]].to_numpy()[owner].astype(np.int64),
        "updated": random_dates(rng, s, n),
    }
    return layer_frame(context, "water_node", facts, points, rng)


def drainage(lines: networks.Lines, rng, context: Context) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Conduits between manholes (every ~40 m) and the manholes at their ends.

    Conduit facts: conduit_id, system, shape, section, material, invert_start, invert_end, slope, length,
    manhole_start, manhole_end, catchment, year_built, updated. Manhole facts: manhole_id, kind, system,
    cover_level, invert_level, size, cover_material, condition, updated.
    """
    s = context.recipe("drainage_conduit")["settings"]
    m = context.recipe("manhole")["settings"]
    pieces = networks.split_every(lines, networks.CONDUIT_LENGTH_M)
    geoms = pieces.geometry
    n = len(geoms)
    starts, stops = shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)
    both = np.concatenate([starts, stops])
    unique_wkb, where = np.unique(shapely.to_wkb(both), return_inverse=True)
    holes = shapely.from_wkb(unique_wkb)
    hole_ids = _ids(m["id_prefix"], len(holes))
    ground = np.round(rng.uniform(2.5, 5.0, len(holes)), 2)
    depth = np.round(rng.uniform(1.2, 2.4, len(holes)), 2)
    invert = ground - depth
    first, last = where[:n], where[n:]
    length = np.round(shapely.length(geoms), 1)
    fall = invert[first] - invert[last]
    shape = weighted(rng, s["shapes"], n)
    box = shape == s["box_shape"]
    section = np.where(box, pick(rng, s["box_sections"], n), pick(rng, s["pipe_sections"], n))
    system = weighted(rng, s["systems"], n)
    conduit_facts = {
        "conduit_id": _ids(s["id_prefix"], n),
        "system": system,
        "shape": shape,
        "section": section,
        "material": np.where(box, s["box_material"], weighted(rng, s["pipe_materials"], n)),
        "invert_start": np.round(invert[first], 2),
        "invert_end": np.round(invert[last], 2),
        "slope": np.round(np.clip(100 * fall / np.maximum(length, 0.1), -20, 20), 2),
        "length": length,
        "manhole_start": hole_ids[first],
        "manhole_end": hole_ids[last],
        "catchment": pick(rng, s["catchments"], n),
        "year_built": rng.integers(*s["years"], n),
        "updated": random_dates(rng, s, n),
    }
    k = len(holes)
    hole_system = np.full(k, None, dtype=object)
    hole_system[first] = system
    hole_facts = {
        "manhole_id": hole_ids,
        "kind": weighted(rng, m["kinds"], k),
        "system": hole_system,
        "cover_level": ground,
        "invert_level": np.round(invert, 2),
        "size": pick(rng, m["sizes"], k),
        "cover_material": weighted(rng, m["cover_materials"], k),
        "condition": weighted(rng, m["conditions"], k),
        "updated": random_dates(rng, m, k),
    }
    conduits = layer_frame(context, "drainage_conduit", conduit_facts, geoms, rng)
    manholes = layer_frame(context, "manhole", hole_facts, shapely.set_precision(holes, 0.001), rng)
    return conduits, manholes


def _along(lines: networks.Lines, spacing: float, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``spacing`` metres along each line, ``offset`` metres to its left; and their line."""
    length = shapely.length(lines.geometry)
    count = np.maximum((length // spacing).astype(int), 0)
    owner = np.repeat(np.arange(len(lines)), count)
    dist = (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + 0.5) * spacing
    g = lines.geometry[owner]
    here = shapely.get_coordinates(shapely.line_interpolate_point(g, dist))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(g, dist + 0.5))
    direction = ahead - here
    norm = np.hypot(direction[:, 0], direction[:, 1])[:, None]
    left = np.column_stack([-direction[:, 1], direction[:, 0]]) / np.where(norm > 0, norm, 1)
    return shapely.points(np.round(here + offset * left, 3)), lines.street[owner]


def street_lights(streets: Streets, lines: networks.Lines, rng, context: Context) -> gpd.GeoDataFrame:
    """Facts: pole_id, lamp, watts, lamps, height, pole_type, cabinet, control, street_name, year, updated."""
    s = context.recipe("street_light")["settings"]
    points, street = _along(lines, s["spacing_m"], s["offset_m"])
    n = len(points)
    cabinets = pd.Series(street).rank(method="dense").astype(int).to_numpy()
    facts = {
        "pole_id": _ids(s["id_prefix"], n),
        "lamp": weighted(rng, s["lamps"], n),
        "watts": pick(rng, s["watts"], n).astype(np.int64),
        "lamps": weighted(rng, s["lamps_per_pole"], n).astype(np.int64),
        "height": pick(rng, s["heights_m"], n).astype(float),
        "pole_type": weighted(rng, s["pole_types"], n),
        "cabinet": np.array([f"{s['cabinet_prefix']}{c:03d}" for c in cabinets], dtype=object),
        "control": weighted(rng, s["controls"], n),
        "street_name": _street_names(streets, street),
        "year": rng.integers(*s["years"], n),
        "updated": random_dates(rng, s, n),
    }
    return layer_frame(context, "street_light", facts, points, rng)


def urban_trees(streets: Streets, lines: networks.Lines, rng, context: Context) -> gpd.GeoDataFrame:
    """Facts: tree_id, species, scientific_name, trunk_cm, height, crown, planted, condition, category,
    street_name, updated."""
    s = context.recipe("urban_tree")["settings"]
    points, street = _along(lines, s["spacing_m"], s["offset_m"])
    n = len(points)
    species = pick(rng, context.vocabulary["trees"], n)
    planted = rng.integers(*s["years"], n)
    age = 2025 - planted
    facts = {
        "tree_id": _ids(s["id_prefix"], n),
        "species": np.array([v.split("|")[0] for v in species], dtype=object),
        "scientific_name": np.array([v.split("|")[1] for v in species], dtype=object),
        "trunk_cm": np.round(np.clip(age * rng.uniform(0.8, 1.6, n), 5, 150), 0),
        "height": np.round(np.clip(age * rng.uniform(0.3, 0.5, n), 2, 25), 1),
        "crown": np.round(np.clip(age * rng.uniform(0.15, 0.3, n), 1, 15), 1),
        "planted": planted,
        "condition": weighted(rng, s["conditions"], n),
        "category": weighted(rng, s["categories"], n),
        "street_name": _street_names(streets, street),
        "updated": random_dates(rng, s, n),
    }
    return layer_frame(context, "urban_tree", facts, points, rng)
