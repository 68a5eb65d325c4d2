"""Line networks along the real streets: road centrelines, water pipes and drainage conduits.

Pipes and conduits are the street centrelines moved by a fixed vector (pipes lie beside the axis, conduits
on the other side): a translation keeps every junction exact, so the networks are as connected as the OSM
streets. A clean network has no dangles (see ``looped``); ``t_junction_ends`` finds where to plant one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops

from danang_sdi.samples.streets import Streets

SAMPLE_HALF_SIZE_M = 500.0  # the samples cover 1 km x 1 km in the middle of the OSM extract
DANGLE_GAP_M = 1.5  # a planted dangle stops this short: above every snap tolerance of the catalog
PIPE_SHIFT_M = (1.5, 1.5)
CONDUIT_SHIFT_M = (-1.5, -1.5)
CONDUIT_LENGTH_M = 40.0  # manhole spacing


@dataclass(frozen=True)
class Lines:
    """Lines with the street they follow (index into the ``Streets`` they came from)."""

    geometry: np.ndarray
    street: np.ndarray

    def __len__(self) -> int:
        return len(self.geometry)

    def take(self, index: np.ndarray) -> Lines:
        return Lines(self.geometry[index], self.street[index])


def sample_area(streets: Streets) -> shapely.Geometry:
    """The 1 km square in the middle of the extract that every street-based sample covers."""
    centre = shapely.centroid(streets.box)
    x, y = round(centre.x), round(centre.y)
    h = SAMPLE_HALF_SIZE_M
    return shapely.box(x - h, y - h, x + h, y + h)


def clip(streets: Streets, area: shapely.Geometry, mask: np.ndarray | None = None) -> Lines:
    """Streets (optionally only ``mask``) clipped to ``area``, one LineString per part, rounded to mm."""
    index = np.arange(len(streets)) if mask is None else np.flatnonzero(mask)
    clipped = shapely.intersection(streets.geometry[index], area)
    parts, owner = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0.5)
    return Lines(shapely.set_precision(parts[keep], 0.001), index[owner[keep]])


def noded(lines: Lines) -> Lines:
    """The network split at every junction and crossing: one line per edge, each keeping its street."""
    merged = shapely.union_all(lines.geometry, grid_size=0.001)
    edges = shapely.get_parts(merged)
    edges = edges[(shapely.get_type_id(edges) == 1) & (shapely.length(edges) > 0)]
    middle = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    hit_edge, hit_line = shapely.STRtree(lines.geometry).query(middle, predicate="dwithin", distance=0.01)
    street = np.full(len(edges), -1)
    first = np.unique(hit_edge, return_index=True)[1]
    street[hit_edge[first]] = lines.street[hit_line[first]]
    keep = street >= 0
    order = np.lexsort((shapely.get_y(middle[keep]), shapely.get_x(middle[keep])))
    return Lines(edges[keep][order], street[keep][order])


def ends(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both end points of every line, and the line each belongs to."""
    points = np.concatenate([shapely.get_point(geometry, 0), shapely.get_point(geometry, -1)])
    return points, np.concatenate([np.arange(len(geometry))] * 2)


def free_ends(geometry: np.ndarray, tolerance: float = 0.0) -> np.ndarray:
    """Indices (into ``ends``) of ends with no other line within ``tolerance``: dangles to the validator."""
    points, owner = ends(geometry)
    tree = shapely.STRtree(geometry)
    near_p, near_l = tree.query(points, predicate="dwithin", distance=max(tolerance, 1e-9))
    connected = np.zeros(len(points), dtype=bool)
    connected[near_p[owner[near_p] != near_l]] = True
    return np.flatnonzero(~connected)


def looped(lines: Lines) -> Lines:
    """Drop lines with a free end until every end meets another line (the 2-core of the network).

    The catalog's ``network.dangle`` rule reports every line end that meets no other line, so a clean
    network has no dead ends: what is left are the loops, as a looped water network is designed.
    """
    while True:
        bad = free_ends(lines.geometry)
        if not len(bad):
            return lines
        _, owner = ends(lines.geometry)
        lines = lines.take(np.setdiff1d(np.arange(len(lines)), owner[bad]))


def shifted(lines: Lines, by: tuple[float, float]) -> Lines:
    moved = shapely.transform(lines.geometry, lambda xy: np.round(xy + np.asarray(by), 3))
    return Lines(moved, lines.street)


def split_every(lines: Lines, step: float) -> Lines:
    """Cut each line into pieces of about ``step`` metres (equal pieces per line), as conduits between manholes."""
    lengths = shapely.length(lines.geometry)
    pieces = np.maximum(np.round(lengths / step), 1).astype(int)
    owner = np.repeat(np.arange(len(lines)), pieces)
    k = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    start = k / pieces[owner]
    end = (k + 1) / pieces[owner]
    geoms = [
        shapely.ops.substring(lines.geometry[o], s, e, normalized=True)
        for o, s, e in zip(owner.tolist(), start.tolist(), end.tolist(), strict=True)
    ]
    snapped = shapely.set_precision(np.array(geoms, dtype=object), 0.001)
    return Lines(snapped, lines.street[owner])


def junction_ends(geometry: np.ndarray, min_others: int = 2) -> np.ndarray:
    """Ends (indices into ``ends``) where at least ``min_others`` other lines meet.

    Cutting such an end short (or pushing it past the junction) leaves exactly one dangle, on that line:
    the others still meet each other. The place to plant one.
    """
    points, owner = ends(geometry)
    p, line = shapely.STRtree(geometry).query(points, predicate="intersects")
    other = owner[p] != line
    count = np.bincount(p[other], minlength=len(points))
    return np.flatnonzero(count >= min_others)


def moved_end(line: shapely.LineString, at_start: bool, by: float) -> shapely.LineString:
    """``line`` with one end pulled back (``by`` < 0) or pushed on (``by`` > 0) along its last segment."""
    xy = shapely.get_coordinates(line)
    if at_start:
        xy = xy[::-1]
    direction = xy[-1] - xy[-2]
    length = float(np.hypot(*direction))
    if by < 0 and length + by <= 0.05:
        raise ValueError("last segment too short to pull the end back")
    xy = xy.copy()
    xy[-1] = np.round(xy[-1] + direction / length * by, 3)
    return shapely.linestrings(xy[::-1] if at_start else xy)


@dataclass(frozen=True)
class Nodes:
    """The nodes of a noded network: every line end once, and the nodes each line runs between."""

    points: np.ndarray
    start: np.ndarray  # node index of each line's first point
    end: np.ndarray  # node index of each line's last point

    def __len__(self) -> int:
        return len(self.points)

    def degree(self) -> np.ndarray:
        return np.bincount(np.concatenate([self.start, self.end]), minlength=len(self.points))

    def lines_at(self, node: int) -> np.ndarray:
        return np.flatnonzero((self.start == node) | (self.end == node))


def nodes(lines: Lines) -> Nodes:
    """The nodes of ``lines`` (noded, as ``noded`` makes them): ends that coincide are one node."""
    n = len(lines)
    points = np.concatenate([shapely.get_point(lines.geometry, 0), shapely.get_point(lines.geometry, -1)])
    unique, where = np.unique(shapely.to_wkb(shapely.set_precision(points, 0.001)), return_inverse=True)
    return Nodes(shapely.from_wkb(unique), where[:n], where[n:])
