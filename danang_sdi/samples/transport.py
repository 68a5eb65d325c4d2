"""Traffic signals, accident black spots and bridges on the real streets of the OSM extract.

Signals are the OSM ``highway=traffic_signals`` nodes of the sample area, one point per junction (the
junction node of the street network within ``snap_m``; a signal far from any junction is a pedestrian
crossing). Black spots sit at real junctions of a main street, some of them near a school of the extract,
as school-gate crossings are in the police's lists. Bridges are the OSM bridge ways, whole. Counts, dates,
causes and equipment are made up (``recipes.yml``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from danang_sdi.samples import networks, osm_features
from danang_sdi.samples.context import Context, pick, weighted
from danang_sdi.samples.streets import MAJOR_CLASSES, Streets
from danang_sdi.samples.utilities import layer_frame, random_dates
from danang_sdi.samples.wards import WardSplit


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i:03d}" for i in range(1, n + 1)], dtype=object)


@dataclass(frozen=True)
class Junctions:
    """Street junctions (three or more street ends) of the sample area, with what meets there."""

    points: np.ndarray
    degree: np.ndarray
    names: list[list[str]]  # street names meeting there, the main street first
    major: np.ndarray  # a primary, secondary or tertiary street meets there

    def label(self, i: int, words: Mapping[str, Any]) -> str:
        """ "Ngã tư Lê Duẩn – Phan Châu Trinh": the kind of junction by its degree, then its streets."""
        kind = words["kinds"].get(int(self.degree[i]), words["kinds"][0])
        streets = [n for n in self.names[i] if not n.startswith(tuple(words["alleys"]))]
        named = streets if len(streets) >= 2 else self.names[i]
        return f"{kind} {' – '.join(n.removeprefix(words['prefix']) for n in named)}"

    def of_streets(self, alleys: list[str]) -> np.ndarray:
        """Mask of the junctions where two streets meet, not a street and alleys only."""
        return np.array([sum(not n.startswith(tuple(alleys)) for n in names) >= 2 for names in self.names])


def junctions(streets: Streets, lines: networks.Lines) -> Junctions:
    """The junctions of ``lines`` (the noded streets of the sample area)."""
    nodes = networks.nodes(lines)
    degree = nodes.degree()
    rank = {c: i for i, c in enumerate(MAJOR_CLASSES)}
    keep, names, major = [], [], []
    for node in np.flatnonzero(degree >= 3):
        at = lines.street[nodes.lines_at(node)]
        classes = [streets.highway[i].removesuffix("_link") for i in at]
        order = np.argsort([rank.get(c, len(rank)) for c in classes], kind="stable")
        found = list(dict.fromkeys(streets.name[at[i]] for i in order if streets.name[at[i]]))
        if len(found) < 2:  # a bend or a fork of one street: not a junction anyone names
            continue
        keep.append(node)
        names.append(found)
        major.append(any(c in rank for c in classes))
    index = np.array(keep, dtype=np.int64)
    return Junctions(nodes.points[index], degree[index], names, np.array(major, dtype=bool))


def _clusters(points: np.ndarray, distance: float) -> np.ndarray:
    """Cluster number of each point: points closer than ``distance`` (transitively) share one."""
    label = np.arange(len(points))
    left, right = shapely.STRtree(points).query(points, predicate="dwithin", distance=distance)
    changed = True
    while changed:
        smallest = np.minimum(label[left], label[right])
        changed = bool((smallest < label[left]).any())
        np.minimum.at(label, left, smallest)
    return np.unique(label, return_inverse=True)[1]


def traffic_signals(
    signals: np.ndarray, area: shapely.Geometry, junction: Junctions, wards: WardSplit, rng, context: Context
) -> gpd.GeoDataFrame:
    """Facts: signal_id, name, signal_type, phases, countdown, connected, main_street, ward_code, year,
    manager, updated."""
    s = context.recipe("traffic_signal")["settings"]
    signals = signals[shapely.contains(area, signals)]
    candidates = np.flatnonzero(junction.of_streets(s["junction_names"]["alleys"]))
    tree = shapely.STRtree(junction.points[candidates])
    which, distance = tree.query_nearest(signals, return_distance=True, all_matches=False)
    at_junction = np.full(len(signals), -1)
    at_junction[which[0]] = np.where(distance <= s["snap_m"], candidates[which[1]], -1)
    # A divided street makes two junction nodes of one crossing: one controller for both.
    used = np.unique(at_junction[at_junction >= 0])
    used = used[np.unique(_clusters(junction.points[used], s["snap_m"]), return_index=True)[1]]
    points, names, kinds, streets, phases = [], [], [], [], []
    for j in used:
        points.append(junction.points[j])
        names.append(junction.label(j, s["junction_names"]))
        kinds.append(s["junction_signal"])
        streets.append(junction.names[j][0])
        phases.append(int(rng.integers(2, min(junction.degree[j], 4) + 1)))
    loose = signals[at_junction < 0]
    cluster = _clusters(loose, s["snap_m"]) if len(loose) else np.array([], dtype=np.int64)
    for c in np.unique(cluster):
        members = loose[cluster == c]
        points.append(shapely.centroid(shapely.multipoints(members)))
        names.append(s["crossing_name"])
        kinds.append(s["crossing_signal"])
        streets.append(None)
        phases.append(2)
    geometry = shapely.set_precision(np.array(points, dtype=object), 0.001)
    n = len(geometry)
    facts = {
        "signal_id": _ids(s["id_prefix"], n),
        "name": np.array(names, dtype=object),
        "signal_type": np.array(kinds, dtype=object),
        "phases": np.array(phases),
        "countdown": rng.random(n) < s["countdown_share"],
        "connected": rng.random(n) < s["connected_share"],
        "main_street": np.array(streets, dtype=object),
        "ward_code": wards.codes_at(geometry),
        "year": rng.integers(*s["years"], n),
        "manager": np.full(n, s["manager"], dtype=object),
        "updated": random_dates(rng, s, n),
    }
    return layer_frame(context, "traffic_signal", facts, geometry, rng)


def blackspots(
    junction: Junctions, schools: tuple[np.ndarray, np.ndarray], wards: WardSplit, rng, context: Context
) -> gpd.GeoDataFrame:
    """Facts: spot_id, year, kind, location, street, accidents, deaths, injured, causes, remedies, status,
    ward_code, updated. One row per spot and year: spots still listed carry their earlier years too."""
    s = context.recipe("accident_blackspot")["settings"]
    school_points, school_names = schools
    candidates = np.flatnonzero(junction.major & junction.of_streets(s["junction_names"]["alleys"]))
    nearest, distance = shapely.STRtree(school_points).query_nearest(
        junction.points[candidates], return_distance=True, all_matches=False
    )
    school_of = np.full(len(candidates), -1)
    school_of[nearest[0]] = np.where(distance <= s["school_m"], nearest[1], -1)
    near, far = candidates[school_of >= 0], candidates[school_of < 0]
    chosen = np.sort(
        np.concatenate(
            [
                rng.choice(near, size=min(s["near_schools"], len(near)), replace=False),
                rng.choice(far, size=min(s["elsewhere"], len(far)), replace=False),
            ]
        )
    )
    school_at = dict(zip(candidates.tolist(), school_of.tolist(), strict=True))
    years = list(range(s["years"][0], s["years"][1] + 1))
    rows: list[dict[str, Any]] = []
    for number, j in enumerate(chosen.tolist(), start=1):
        kind = str(weighted(rng, s["kinds"], 1)[0])
        school = school_at[j]
        location = junction.label(j, s["junction_names"])
        if school >= 0 and school_names[school]:
            location += f" ({s['near_school'].format(school=school_names[school])})"
        listed = years[-1 - int(rng.integers(0, len(years))) :]
        for year in listed:
            accidents = int(rng.integers(*s["accidents"][kind]))
            deaths = int(rng.binomial(accidents, s["death_rate"]))
            rows.append(
                {
                    "spot_id": f"{s['id_prefix']}{number:03d}",
                    "year": year,
                    "kind": kind,
                    "location": location,
                    "street": junction.names[j][0],
                    "accidents": accidents,
                    "deaths": deaths,
                    "injured": int(accidents + rng.integers(0, accidents + 1)) - deaths,
                    "causes": s["school_cause"] if school >= 0 else str(pick(rng, s["causes"], 1)[0]),
                    "remedies": str(pick(rng, s["remedies"], 1)[0]),
                    "status": str(
                        weighted(rng, s["status"]["current" if year == years[-1] else "past"], 1)[0]
                    ),
                    "point": junction.points[j],
                }
            )
    geometry = shapely.set_precision(np.array([r.pop("point") for r in rows], dtype=object), 0.001)
    facts = {key: np.array([r[key] for r in rows], dtype=object) for key in rows[0]}
    facts["ward_code"] = wards.codes_at(geometry)
    facts["updated"] = np.array([dt.date(int(y), 12, 31) for y in facts["year"]], dtype=object)
    return layer_frame(context, "accident_blackspot", facts, geometry, rng)


def bridges(osm: Path, wards: WardSplit, rng, context: Context) -> gpd.GeoDataFrame:
    """The bridge ways of the OSM extract ``osm``. Facts: bridge_id, name, road, structure_class, structure,
    length, width, lanes, design_load, year, condition, ward_code, manager, updated. Known bridges take
    their facts from the recipe by name."""
    s = context.recipe("bridge")["settings"]
    found = osm_features.bridges(osm, s["min_length_m"])
    rows = []
    for b in found:
        known = s["known"].get(b.name or "", {})
        name = known.get("name", b.name)
        if known.get("by_direction"):
            start, end = shapely.get_coordinates(b.geometry)[[0, -1]]
            name = f"{name} ({s['directions'][bool(end[1] > start[1])]})"
        lanes = known.get("lanes") or int(b.tags.get("lanes", 2))
        start_date = b.tags.get("start_date", "")
        rows.append(
            {
                "name": name,
                "road": known.get("road", b.name),
                "structure_class": known.get("structure_class"),
                "structure": known.get("structure"),
                "length": round(float(shapely.length(b.geometry)), 1),
                "width": known.get("width", round(lanes * s["lane_m"] + s["kerbs_m"], 1)),
                "lanes": lanes,
                "design_load": known.get("design_load"),
                "year": int(start_date[:4]) if start_date[:4].isdigit() else known.get("year"),
            }
        )
    geometry = shapely.set_precision(np.array([b.geometry for b in found], dtype=object), 0.001)
    n = len(rows)
    facts = {key: np.array([r[key] for r in rows], dtype=object) for key in rows[0]}
    facts["bridge_id"] = _ids(s["id_prefix"], n)
    facts["condition"] = weighted(rng, s["conditions"], n)
    facts["ward_code"] = wards.codes_at(shapely.get_point(geometry, 0))
    facts["manager"] = np.full(n, s["manager"], dtype=object)
    facts["updated"] = random_dates(rng, s, n)
    return layer_frame(context, "bridge", facts, geometry, rng)
