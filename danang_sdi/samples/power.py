"""Synthetic 22 kV feeders along the real streets: open rings out of one made-up 110 kV substation.

Urban medium-voltage networks in Vietnam are rings run open: two feeders leave the substation by
different streets and meet at a tie switch, so either can carry the other's load. Each ring here is the
shortest street route from the substation to a tie point and the shortest route that uses none of its
streets; every feeder ends on another (at the substation or the tie), so a clean sample has no dangle.
The real power lines of ``../shared/data`` are not used.
"""

from __future__ import annotations

import datetime as dt
import heapq

import geopandas as gpd
import numpy as np
import shapely

from danang_sdi.samples import networks
from danang_sdi.samples.context import Context
from danang_sdi.samples.utilities import layer_frame

LAYER = "power_line"


def shortest_route(
    nodes: networks.Nodes, length: np.ndarray, source: int, target: int, banned=()
) -> list[int]:
    """Lines of the shortest route from node ``source`` to ``target`` avoiding ``banned`` lines ([] if none)."""
    links: dict[int, list[tuple[int, int]]] = {}
    for line, (a, b) in enumerate(zip(nodes.start.tolist(), nodes.end.tolist(), strict=True)):
        if line not in banned:
            links.setdefault(a, []).append((b, line))
            links.setdefault(b, []).append((a, line))
    best = {source: 0.0}
    came: dict[int, tuple[int, int]] = {}
    queue = [(0.0, source)]
    while queue:
        cost, node = heapq.heappop(queue)
        if node == target:
            break
        if cost > best[node]:
            continue
        for other, line in links.get(node, []):
            step = cost + float(length[line])
            if step < best.get(other, np.inf):
                best[other], came[other] = step, (node, line)
                heapq.heappush(queue, (step, other))
    if target not in came:
        return []
    route, node = [], target
    while node != source:
        node, line = came[node]
        route.append(line)
    return route[::-1]


def _node_near(nodes: networks.Nodes, area: shapely.Geometry, at: list[float]) -> int:
    west, south, east, north = shapely.bounds(area)
    point = shapely.Point(west + at[0] * (east - west), south + at[1] * (north - south))
    return int(shapely.STRtree(nodes.points).query_nearest(point)[0])


def feeders(lines: networks.Lines, area: shapely.Geometry, rng, context: Context) -> gpd.GeoDataFrame:
    """Facts: line_id, name, voltage, underground, circuits, conductor, substation, corridor, length,
    year, updated."""
    s = context.recipe(LAYER)["settings"]
    nodes = networks.nodes(lines)
    length = shapely.length(lines.geometry)
    source = _node_near(nodes, area, s["substation_at"])
    routes = []
    for tie_at in s["ties_at"]:
        tie = _node_near(nodes, area, tie_at)
        first = shortest_route(nodes, length, source, tie)
        second = shortest_route(nodes, length, source, tie, banned=set(first))
        if first and second:
            routes.extend([first, second])
    shift = np.asarray(s["shift_m"])
    geometry = np.array(
        [
            shapely.multilinestrings(
                shapely.get_parts(
                    shapely.line_merge(
                        shapely.transform(
                            shapely.multilinestrings(lines.geometry[r]), lambda xy: np.round(xy + shift, 3)
                        )
                    )
                )
            )
            for r in routes
        ],
        dtype=object,
    )
    n = len(geometry)
    numbers = np.array(s["feeder_numbers"][:n])
    underground = rng.random(n) < s["underground_share"]
    first_day = dt.date.fromisoformat(s["updated"])
    facts = {
        "line_id": np.array([s["id_format"].format(number=k) for k in numbers], dtype=object),
        "name": np.array(
            [s["name_format"].format(number=k, substation=s["substation"]) for k in numbers], dtype=object
        ),
        "voltage": np.full(n, s["voltage_kv"], dtype=float),
        "underground": underground,
        "circuits": np.ones(n, dtype=np.int64),
        "conductor": np.where(underground, s["conductor"]["underground"], s["conductor"]["overhead"]),
        "substation": np.full(n, s["substation"], dtype=object),
        "corridor": np.where(underground, s["corridor_m"]["underground"], s["corridor_m"]["overhead"]),
        "length": np.round(shapely.length(geometry), 1),
        "year": rng.integers(*s["years"], n),
        "updated": np.full(n, first_day, dtype=object),
    }
    return layer_frame(context, LAYER, facts, geometry, rng)
