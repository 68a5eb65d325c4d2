"""Geometry rules, one feature at a time: empty, invalid, type, outside the city, sliver, area mismatch.

All tests are whole-array shapely 2 calls; GEOS's own reason and location are kept for invalid geometries.
"""

from __future__ import annotations

import re

import numpy as np
import shapely

from danang_sdi.catalog.models import Check, GeometryType
from danang_sdi.qa.base import Issue, Subject
from danang_sdi.qa.fields import show

DEFAULT_SLIVER_M2 = 1.0
DEFAULT_AREA_TOLERANCE_PCT = 5.0

_REASON = re.compile(r"^(?P<reason>.*?)\s*\[(?P<x>[-+0-9.eE]+)\s+(?P<y>[-+0-9.eE]+)(?:\s+[-+0-9.eE]+)?\]$")
REASONS_VI = {
    "Self-intersection": "tự cắt",
    "Ring Self-intersection": "vòng tự cắt",
    "Too few points": "quá ít điểm",
    "Hole lies outside shell": "lỗ nằm ngoài vòng ngoài",
    "Nested holes": "lỗ lồng nhau",
    "Interior is disconnected": "phần trong bị tách rời",
    "Nested shells": "vòng ngoài lồng nhau",
    "Duplicate Rings": "vòng trùng nhau",
    "Invalid Coordinate": "tọa độ không hợp lệ",
    "Ring is not closed": "vòng không khép kín",
}

# Geometry type ids (shapely.get_type_id) each layer type accepts; multi-types with one part are fine
# where the single type is asked for, and single types are fine where the multi-type is.
_POINT, _LINE, _POLYGON, _MPOINT, _MLINE, _MPOLYGON = 0, 1, 3, 4, 5, 6
ACCEPTED = {
    GeometryType.Point: ({_POINT}, {_MPOINT}),
    GeometryType.MultiPoint: ({_POINT, _MPOINT}, set()),
    GeometryType.LineString: ({_LINE}, {_MLINE}),
    GeometryType.MultiLineString: ({_LINE, _MLINE}, set()),
    GeometryType.Polygon: ({_POLYGON}, {_MPOLYGON}),
    GeometryType.MultiPolygon: ({_POLYGON, _MPOLYGON}, set()),
}


def check_empty(subject: Subject, check: Check) -> list[Issue]:
    rows = np.flatnonzero(~subject.present).tolist()
    return [
        subject.issue(
            "geometry.empty",
            check.severity,
            row,
            "không có hình học (rỗng); hãy vẽ lại đối tượng hoặc xóa bản ghi",
            "has no geometry (empty); draw the feature again or delete the record",
        )
        for row in rows
    ]


def _split_reason(text: str) -> tuple[str, str | None]:
    match = _REASON.match(text)
    if not match:
        return text, None
    x, y = float(match["x"]), float(match["y"])
    point = shapely.to_wkt(shapely.Point(x, y), rounding_precision=3, trim=True)
    return match["reason"], point


def invalid_rows(subject: Subject) -> np.ndarray:
    return np.flatnonzero(subject.present & ~subject.valid)


def check_invalid(subject: Subject, check: Check) -> list[Issue]:
    rows = invalid_rows(subject)
    if not len(rows):
        return []
    issues = []
    for row, text in zip(rows.tolist(), shapely.is_valid_reason(subject.geometry[rows]), strict=True):
        reason, point = _split_reason(str(text))
        where_en = f" at {point}" if point else ""
        where_vi = f" tại {point}" if point else ""
        reason_vi = REASONS_VI.get(reason, reason)
        issues.append(
            subject.issue(
                "geometry.invalid",
                check.severity,
                row,
                f"hình học không hợp lệ: {reason_vi} ({reason}){where_vi}; hãy sửa trong phần mềm biên tập "
                "hoặc dùng validate --fix (make_valid)",
                f"invalid geometry: {reason}{where_en}; fix it in the editor or use validate --fix (make_valid)",
                location=point or subject.points([row])[0],
            )
        )
    return issues


def check_type(subject: Subject, check: Check) -> list[Issue]:
    geoms = subject.geometry
    expected = subject.layer.geometry
    accepted, single_part = ACCEPTED[expected]
    type_ids = shapely.get_type_id(geoms)
    ok = np.isin(type_ids, list(accepted))
    if single_part:
        ok |= np.isin(type_ids, list(single_part)) & (shapely.get_num_geometries(geoms) == 1)
    rows = np.flatnonzero(subject.present & ~ok).tolist()
    issues = []
    for row, point in zip(rows, subject.points(rows), strict=True):
        found = shapely.get_type_id(geoms[row])
        name = geoms[row].geom_type
        parts = (
            f" ({shapely.get_num_geometries(geoms[row])} parts)"
            if found in (_MPOINT, _MLINE, _MPOLYGON)
            else ""
        )
        issues.append(
            subject.issue(
                "geometry.type",
                check.severity,
                row,
                f"kiểu hình học {name}{parts} không đúng, lớp này cần {expected.value}; hãy tách hoặc vẽ lại",
                f"geometry type {name}{parts} is wrong, this layer needs {expected.value}; split or redraw it",
                location=point,
            )
        )
    return issues


def check_outside(subject: Subject, check: Check) -> list[Issue]:
    if not subject.projected or subject.outline is None:
        return []
    outside = subject.present & ~shapely.intersects(subject.outline, subject.geometry)
    rows = np.flatnonzero(outside).tolist()
    issues = []
    for row, point in zip(rows, subject.points(rows), strict=True):
        km = shapely.distance(subject.outline, subject.geometry[row]) / 1000
        issues.append(
            subject.issue(
                "geometry.outside",
                check.severity,
                row,
                f"nằm ngoài thành phố Đà Nẵng (cách ranh giới {km:,.1f} km); hãy kiểm tra hệ tọa độ hoặc X/Y bị đảo",
                f"lies outside Đà Nẵng ({km:,.1f} km beyond its edge); check the CRS or swapped X/Y coordinates",
                location=point,
            )
        )
    return issues


def check_sliver(subject: Subject, check: Check) -> list[Issue]:
    if not subject.projected:
        return []
    limit = check.min_area if check.min_area is not None else DEFAULT_SLIVER_M2
    areas = shapely.area(subject.geometry)
    polygonal = np.isin(shapely.get_type_id(subject.geometry), [_POLYGON, _MPOLYGON])
    rows = np.flatnonzero(subject.valid & polygonal & (areas < limit)).tolist()
    issues = []
    for row, point in zip(rows, subject.points(rows), strict=True):
        issues.append(
            subject.issue(
                "geometry.sliver",
                check.severity,
                row,
                f"mảnh vụn: diện tích {areas[row]:.2f} m² nhỏ hơn {limit:g} m²; hãy gộp vào thửa bên cạnh hoặc xóa",
                f"sliver: area {areas[row]:.2f} m² is below {limit:g} m²; merge it into its neighbour or delete it",
                location=point,
            )
        )
    return issues


def check_area(subject: Subject, check: Check) -> list[Issue]:
    if not subject.projected or check.field is None or check.field in subject.absent:
        return []
    tolerance = check.tolerance_pct if check.tolerance_pct is not None else DEFAULT_AREA_TOLERANCE_PCT
    recorded = subject.frame[check.field].astype("float64").to_numpy(na_value=np.nan)
    measured = shapely.area(subject.geometry)
    polygonal = np.isin(shapely.get_type_id(subject.geometry), [_POLYGON, _MPOLYGON])
    usable = subject.valid & polygonal & np.isfinite(recorded) & (measured > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.abs(recorded - measured) / measured * 100  # relative to the drawn area
    rows = np.flatnonzero(usable & (pct > tolerance)).tolist()
    issues = []
    for row, point in zip(rows, subject.points(rows), strict=True):
        value = show(subject.original(check.field, row))
        issues.append(
            subject.issue(
                "area.mismatch",
                check.severity,
                row,
                f"{check.field} {value} m² lệch {pct[row]:.1f}% so với diện tích hình học {measured[row]:.1f} m² "
                f"(cho phép {tolerance:g}%); hãy kiểm tra diện tích ghi hoặc ranh thửa",
                f"{check.field} {value} m² differs by {pct[row]:.1f}% from the geometry's area "
                f"{measured[row]:.1f} m² (tolerance {tolerance:g}%); check the recorded area or the boundary",
                field=check.field,
                location=point,
            )
        )
    return issues
