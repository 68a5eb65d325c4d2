"""network.dangle for line networks (pipes, roads): a line end that no other line comes near.

Real networks have dead ends (cul-de-sacs, end caps), so the catalog makes this a warning; a dangle a
few centimetres short of a junction is the digitising error it is meant to catch.
"""

from __future__ import annotations

import numpy as np
import shapely

from danang_sdi.catalog.models import Check
from danang_sdi.qa.base import Issue, Subject, wkt_points

DEFAULT_SNAP_M = 0.5
_LINE, _MLINE = 1, 5


def dangling_ends(lines: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """For an array of (multi)lines: the index of each dangling end's line, and the end point itself."""
    parts, owner = shapely.get_parts(lines, return_index=True)
    starts, ends = shapely.get_point(parts, 0), shapely.get_point(parts, -1)
    points = np.concatenate([starts, ends])
    part_of = np.concatenate([np.arange(len(parts)), np.arange(len(parts))])
    closed = np.tile(shapely.equals(starts, ends), 2)
    tree = shapely.STRtree(parts)
    near_point, near_part = tree.query(points, predicate="dwithin", distance=tolerance)
    connected = closed.copy()
    connected[near_point[near_part != part_of[near_point]]] = True
    dangling = np.flatnonzero(~connected)
    return owner[part_of[dangling]], points[dangling]


def check_dangles(subject: Subject, check: Check) -> list[Issue]:
    if not subject.projected:
        return []
    tolerance = check.snap_tolerance if check.snap_tolerance is not None else DEFAULT_SNAP_M
    geoms = subject.geometry
    rows = np.flatnonzero(subject.present & np.isin(shapely.get_type_id(geoms), [_LINE, _MLINE]))
    if not len(rows):
        return []
    owners, points = dangling_ends(geoms[rows], tolerance)
    issues = []
    for row, point in zip(rows[owners].tolist(), wkt_points(points), strict=True):
        issues.append(
            subject.issue(
                "network.dangle",
                check.severity,
                row,
                f"đầu tuyến tại {point} không nối với tuyến nào trong phạm vi {tolerance:g} m; "
                "hãy bắt dính vào mạng lưới nếu đây không phải điểm cuối thật",
                f"line end at {point} meets no other line within {tolerance:g} m; "
                "snap it to the network unless it is a real dead end",
                location=point,
            )
        )
    return issues
