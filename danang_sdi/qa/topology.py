"""Coverage rules for polygon layers: topology.overlap and topology.gap (GEOS ≥ 3.12 coverage validation).

``shapely.coverage_invalid_edges`` flags, per polygon, the edges that do not match a neighbour's exactly.
It does not say *why* an edge is bad, so the few flagged polygons are then classified locally:

- overlap: the polygon's interior meets a neighbour's over more than a trace of area;
- gap: a flagged edge runs within ``gap_width`` of a neighbour without touching it, in one stretch longer
  than ``gap_width`` (the long side of a narrow gap, not the end of a wider opening). Edges along the
  outside of the coverage are never gaps.

Both run per partition (``within``: e.g. one map sheet), so that two sheets drawn over each other, or
the seams between them, are not reported as parcels overlapping.

GEOS on every polygon is the slow part (about 3.5 CPU-seconds for 560,000 parcels), so ``invalid_edges``
first matches the segments with numpy and runs GEOS only around those that do not match (seams between
partitions, the outer edge, defects), with the same result; and when both rules partition alike, the
overlap rule takes the gap rule's pass (what is flagged with a gap width includes what is flagged without).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from danang_sdi.catalog.models import Check
from danang_sdi.qa.base import Issue, Subject, wkt_points
from danang_sdi.qa.segments import Segments

MIN_OVERLAP_M2 = 0.01  # below this an overlap is rounding noise
MIN_GAP_EDGE_M = 0.01
TOUCH_M = 0.001  # closer than this, two boundaries touch (coordinates are rarely finer than 1 mm)
DEFAULT_GAP_WIDTH_M = 0.5
SHOWN_OTHERS = 5
EMPTY_EDGES = shapely.from_wkt("LINESTRING EMPTY")
PLAIN_SHARE = 0.5  # GEOS on every polygon when the pre-filter would leave more than this share of them


@dataclass(frozen=True)
class Coverage:
    """The polygons a coverage rule looks at: row numbers, geometries and partition labels."""

    rows: np.ndarray
    geoms: np.ndarray
    group: np.ndarray  # partition number of each polygon

    def partitions(self, positions: np.ndarray) -> list[np.ndarray]:
        """``positions`` (into ``rows``) split by partition."""
        if len(positions) == 0:
            return []
        order = positions[np.argsort(self.group[positions], kind="stable")]
        bounds = np.flatnonzero(np.diff(self.group[order])) + 1
        return np.split(order, bounds)


def _memo(subject: Subject, key: tuple, make: Callable):
    """``make()`` once per subject: both coverage rules share the polygons, their index and GEOS's verdict."""
    if key not in subject.memo:
        subject.memo[key] = make()
    return subject.memo[key]


def coverage_of(subject: Subject, within: list[str]) -> Coverage | None:
    """Valid, non-empty polygons, labelled by their partition; None when the layer has no such rule to run."""
    if not subject.projected or any(name in subject.absent for name in within):
        return None
    return _memo(subject, ("topology.coverage", tuple(within)), lambda: _coverage(subject, within))


def _coverage(subject: Subject, within: list[str]) -> Coverage:
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


def _tree(subject: Subject, coverage: Coverage) -> shapely.STRtree:
    """An index of the coverage's polygons (the same polygons whatever the partition)."""
    return _memo(subject, ("topology.tree",), lambda: shapely.STRtree(coverage.geoms))


def gap_width_of(check: Check) -> float:
    return check.gap_width if check.gap_width is not None else DEFAULT_GAP_WIDTH_M


def coverage_edges(subject: Subject, coverage: Coverage, within: list[str], width: float) -> np.ndarray:
    """``invalid_edges`` of the subject's coverage, once per partition and gap width."""

    def make() -> np.ndarray:
        segments = _memo(subject, ("topology.segments",), lambda: Segments.of(coverage.geoms))
        return invalid_edges(coverage, width, segments, _tree(subject, coverage))

    return _memo(subject, ("topology.edges", tuple(within), width), make)


def _run(coverage: Coverage, positions: np.ndarray, gap_width: float) -> np.ndarray:
    """GEOS's invalid edges of the polygons at ``positions`` (in that order), partition by partition.

    GEOS releases the GIL, so threads run partitions in parallel (about 2x on two cores).
    """
    found = np.empty(len(coverage.rows), dtype=object)
    parts = coverage.partitions(positions)

    def run(part: np.ndarray) -> None:
        found[part] = shapely.coverage_invalid_edges(coverage.geoms[part], gap_width=gap_width)

    if len(parts) < 2:
        for part in parts:
            run(part)
    else:
        with ThreadPoolExecutor(max_workers=min(len(parts), os.cpu_count() or 1)) as pool:
            list(pool.map(run, sorted(parts, key=len, reverse=True)))
    return found[positions]


def _near(
    coverage: Coverage, tree: shapely.STRtree, bounds: np.ndarray, owner: np.ndarray, reach: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (``owner`` of a box, polygon of the same partition whose envelope comes within ``reach`` of
    that box): all that GEOS could look at, and a little more."""
    left, right = tree.query(shapely.box(*(bounds + np.array([-reach, -reach, reach, reach])).T))
    keep = coverage.group[owner[left]] == coverage.group[right]
    return owner[left[keep]], right[keep]


def invalid_edges(
    coverage: Coverage,
    gap_width: float,
    segments: Segments | None = None,
    tree: shapely.STRtree | None = None,
) -> np.ndarray:
    """The invalid edges of every polygon (empty where it is fine): exactly what
    ``shapely.coverage_invalid_edges`` says on each partition, without running it on every polygon.

    1. Polygons whose segments all match are fine.
    2. The others (candidates) go through GEOS with every polygon that comes within reach of their
       unmatched segments: that finds all their invalid edges, but as a matched segment may miss its
       partner there, also maybe a few more. So a candidate that comes out clean is clean, and one that
       had all its neighbours with it has GEOS's exact answer.
    3. The flagged candidates that missed a neighbour run again with all of them.
    """
    edges = np.full(len(coverage.rows), EMPTY_EDGES, dtype=object)
    if not len(edges):
        return edges
    segments = Segments.of(coverage.geoms) if segments is None else segments
    tree = shapely.STRtree(coverage.geoms) if tree is None else tree
    reach = gap_width + TOUCH_M  # a little further than GEOS looks, against rounding
    loose = segments.unmatched(coverage.group)
    x, y = (segments.x0[loose], segments.x1[loose]), (segments.y0[loose], segments.y1[loose])
    bounds = np.column_stack([np.minimum(*x), np.minimum(*y), np.maximum(*x), np.maximum(*y)])
    candidates = np.unique(segments.owner[loose])
    seen = np.union1d(candidates, _near(coverage, tree, bounds, segments.owner[loose], reach)[1])
    if len(seen) > PLAIN_SHARE * len(edges):  # most of the coverage anyway: one plain pass is cheaper
        return _run(coverage, np.arange(len(edges)), gap_width)
    found = _run(coverage, seen, gap_width)[np.searchsorted(seen, candidates)]
    flagged = candidates[~shapely.is_empty(found)]
    edges[flagged] = found[~shapely.is_empty(found)]
    owner, other = _near(coverage, tree, shapely.bounds(coverage.geoms[flagged]), flagged, reach)
    short = np.unique(owner[~np.isin(other, seen)])
    if len(short):
        again = np.union1d(short, other[np.isin(owner, short)])
        edges[short] = _run(coverage, again, gap_width)[np.searchsorted(again, short)]
    return edges


def _neighbours(
    coverage: Coverage,
    tree: shapely.STRtree,
    positions: np.ndarray,
    predicate: str,
    distance: float | None = None,
):
    """Pairs (flagged position, other position) in the same partition, self-pairs dropped."""
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
    issues = _overlaps(subject, check)
    _release(subject, check)
    return issues


def check_gap(subject: Subject, check: Check) -> list[Issue]:
    issues = _gaps(subject, check)
    _release(subject, check)
    return issues


def _release(subject: Subject, check: Check) -> None:
    """After the layer's last coverage rule, drop what the rules shared (the segments take some 50 bytes a
    vertex), as the subject may live on while it is loaded."""
    rules = [c for c in subject.layer.checks if c.rule in ("topology.overlap", "topology.gap")]
    if rules and check == rules[-1]:
        for key in [key for key in subject.memo if key[0].startswith("topology.")]:
            del subject.memo[key]


def _overlaps(subject: Subject, check: Check) -> list[Issue]:
    coverage = coverage_of(subject, check.within)
    if coverage is None:
        return []
    # The edges flagged with a gap width include those flagged without: share the gap rule's pass.
    gap = subject.layer.check("topology.gap")
    width = gap_width_of(gap) if gap is not None and gap.within == check.within else 0.0
    edges = coverage_edges(subject, coverage, check.within, width)
    flagged = np.flatnonzero(~shapely.is_empty(edges))
    if not len(flagged):
        return []
    left, right = _neighbours(coverage, _tree(subject, coverage), flagged, "intersects")
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


def _gaps(subject: Subject, check: Check) -> list[Issue]:
    coverage = coverage_of(subject, check.within)
    width = gap_width_of(check)
    if coverage is None or width <= 0:
        return []
    edges = coverage_edges(subject, coverage, check.within, width)
    flagged = np.flatnonzero(~shapely.is_empty(edges))
    if not len(flagged):
        return []
    left, right = _neighbours(coverage, _tree(subject, coverage), flagged, "dwithin", distance=width)
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
