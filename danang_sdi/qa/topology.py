"""Coverage rules for polygon layers: topology.overlap and topology.gap (GEOS ≥ 3.12 coverage validation).

``shapely.coverage_invalid_edges`` flags, per polygon, the edges that do not match a neighbour's exactly,
in one pass over the whole coverage (about 3 s for 560,000 parcels). It does not say *why* an edge is
bad, so the few flagged polygons are then classified locally:

- overlap: the polygon's interior meets a neighbour's over more than a trace of area;
- gap: a flagged edge runs within ``gap_width`` of a neighbour without touching it, in one stretch longer
  than ``gap_width`` (the long side of a narrow gap, not the end of a wider opening). Edges along the
  outside of the coverage are never gaps.

Both run per partition (``within``: e.g. one map sheet), so that two sheets drawn over each other, or
the seams between them, are not reported as parcels overlapping.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from danang_sdi.catalog.models import Check
from danang_sdi.qa.base import Issue, Subject, wkt_points

MIN_OVERLAP_M2 = 0.01  # below this an overlap is rounding noise
MIN_GAP_EDGE_M = 0.01
TOUCH_M = 0.001  # closer than this, two boundaries touch (coordinates are rarely finer than 1 mm)
DEFAULT_GAP_WIDTH_M = 0.5
SHOWN_OTHERS = 5


@dataclass(frozen=True)
class Coverage:
    """The polygons a coverage rule looks at: row numbers, geometries and partition labels."""

    rows: np.ndarray
    geoms: np.ndarray
    group: np.ndarray  # partition number of each polygon

    def partitions(self) -> list[np.ndarray]:
        """Positions (into ``rows``) of each partition's polygons."""
        if len(self.rows) == 0:
            return []
        order = np.argsort(self.group, kind="stable")
        bounds = np.flatnonzero(np.diff(self.group[order])) + 1
        return np.split(order, bounds)


def coverage_of(subject: Subject, within: list[str]) -> Coverage | None:
    """Valid, non-empty polygons, labelled by their partition; None when the layer has no such rule to run."""
    if not subject.projected or any(name in subject.absent for name in within):
        return None
    geoms = subject.geometry
    polygonal = np.isin(shapely.get_type_id(geoms), [3, 6])
    usable = subject.valid & polygonal
    rows = np.flatnonzero(usable)
    if within:
        labels = subject.frame[within].iloc[rows]
        group = labels.groupby(within, sort=False, dropna=False).ngroup().to_numpy()
    else:
        group = np.zeros(len(rows), dtype=np.intp)
    return Coverage(rows, geoms[rows], group)


def invalid_edges(coverage: Coverage, gap_width: float) -> np.ndarray:
    """The invalid edges of every polygon (empty where it is fine), partitions spread over the CPU cores.

    GEOS releases the GIL, so threads run partitions in parallel (about 2x on two cores).
    """
    edges = np.empty(len(coverage.rows), dtype=object)
    parts = coverage.partitions()

    def run(part: np.ndarray) -> None:
        edges[part] = shapely.coverage_invalid_edges(coverage.geoms[part], gap_width=gap_width)

    if len(parts) < 2:
        for part in parts:
            run(part)
        return edges
    with ThreadPoolExecutor(max_workers=min(len(parts), os.cpu_count() or 1)) as pool:
        list(pool.map(run, sorted(parts, key=len, reverse=True)))
    return edges


def _neighbours(coverage: Coverage, positions: np.ndarray, predicate: str, distance: float | None = None):
    """Pairs (flagged position, other position) in the same partition, self-pairs dropped."""
    tree = shapely.STRtree(coverage.geoms)
    if distance is None:
        left, right = tree.query(coverage.geoms[positions], predicate=predicate)
    else:
        left, right = tree.query(coverage.geoms[positions], predicate=predicate, distance=distance)
    left = positions[left]
    keep = (left != right) & (coverage.group[left] == coverage.group[right])
    return left[keep], right[keep]


def _group(left: np.ndarray, right: np.ndarray) -> dict[int, np.ndarray]:
    """The ``right`` values of each ``left`` value."""
    if not len(left):
        return {}
    order = np.argsort(left, kind="stable")
    keys, starts = np.unique(left[order], return_index=True)
    return dict(zip(keys.tolist(), np.split(right[order], starts[1:]), strict=True))


def _listed(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:SHOWN_OTHERS])
    return shown + (", …" if len(rows) > SHOWN_OTHERS else "")


def check_overlap(subject: Subject, check: Check) -> list[Issue]:
    coverage = coverage_of(subject, check.within)
    if coverage is None:
        return []
    edges = invalid_edges(coverage, 0.0)
    flagged = np.flatnonzero(~shapely.is_empty(edges))
    if not len(flagged):
        return []
    left, right = _neighbours(coverage, flagged, "intersects")
    pairs = np.unique(np.sort(np.column_stack([left, right]), axis=1), axis=0)  # each pair once
    shared = shapely.intersection(coverage.geoms[pairs[:, 0]], coverage.geoms[pairs[:, 1]])
    areas = shapely.area(shared)
    real = areas > MIN_OVERLAP_M2
    pairs, shared, areas = pairs[real], shared[real], areas[real]
    # Both sides of each overlap get an issue (a parcel drawn inside another only flags its own edges).
    left, right = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    shared, areas = np.concatenate([shared, shared]), np.concatenate([areas, areas])
    issues = []
    for position, mine in _group(left, np.arange(len(left))).items():
        others = sorted(int(coverage.rows[r]) for r in right[mine])
        biggest = mine[np.argmax(areas[mine])]
        point = wkt_points(shapely.point_on_surface(shared[biggest : biggest + 1]))[0]
        total = float(areas[mine].sum())
        issues.append(
            subject.issue(
                "topology.overlap",
                check.severity,
                int(coverage.rows[position]),
                f"chồng lấn {total:.2f} m² lên đối tượng {_listed(others)}; hãy sửa ranh giới chung",
                f"overlaps feature {_listed(others)} by {total:.2f} m²; fix the shared boundary",
                location=point,
            )
        )
    return issues


def check_gap(subject: Subject, check: Check) -> list[Issue]:
    coverage = coverage_of(subject, check.within)
    width = check.gap_width if check.gap_width is not None else DEFAULT_GAP_WIDTH_M
    if coverage is None or width <= 0:
        return []
    edges = invalid_edges(coverage, width)
    flagged = np.flatnonzero(~shapely.is_empty(edges))
    if not len(flagged):
        return []
    left, right = _neighbours(coverage, flagged, "dwithin", distance=width)
    # Cheap first pass: bad edges lying on a neighbour's boundary (unmatched vertices) or inside it
    # (overlaps) are no gap; only polygons with enough edge left over go through the exact test.
    covered = shapely.length(shapely.intersection(edges[left], coverage.geoms[right]))
    shared = np.bincount(np.searchsorted(flagged, left), weights=covered, minlength=len(flagged))
    loose = shapely.length(edges[flagged]) - shared
    near_by = _group(left, right)
    issues = []
    for position in flagged[loose > width].tolist():
        near = near_by.get(position)
        if near is None:
            continue
        # A gap's side: bad edge that runs within `width` of a neighbour without touching it, for longer
        # than `width` in one stretch (the ends of a wider opening, or a corner near the outer edge, do not).
        neighbours = shapely.union_all(coverage.geoms[near])
        apart = shapely.difference(edges[position], shapely.buffer(neighbours, TOUCH_M))
        stretches = shapely.get_parts(
            shapely.line_merge(shapely.intersection(apart, shapely.buffer(neighbours, width)))
        )
        lengths = shapely.length(stretches)
        long = lengths > max(width, MIN_GAP_EDGE_M)
        if not long.any():
            continue
        gap = shapely.multilinestrings(stretches[long])
        length = float(lengths[long].sum())
        beside = near[shapely.dwithin(coverage.geoms[near], gap, width)]
        others = sorted(int(coverage.rows[r]) for r in beside)
        longest = stretches[long][np.argmax(lengths[long])]
        point = wkt_points(shapely.line_interpolate_point(np.array([longest]), 0.5, normalized=True))[0]
        issues.append(
            subject.issue(
                "topology.gap",
                check.severity,
                int(coverage.rows[position]),
                f"khe hở hẹp (< {width:g} m, dài {length:.1f} m) với đối tượng {_listed(others)}; "
                "hãy bắt dính ranh giới chung",
                f"narrow gap (< {width:g} m, {length:.1f} m long) next to feature {_listed(others)}; "
                "snap the shared boundary",
                location=point,
            )
        )
    return issues
