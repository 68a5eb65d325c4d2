"""``validate --html``: one self-contained page (no CDN, no script) with the summary, a map and the issues.

The map is inline SVG drawn in the storage CRS (EPSG:5899 is a conformal projection in metres, so shapes
keep their proportions): problem features in grey, each issue as a dot linked to its row in the table.
"""

from __future__ import annotations

import datetime as dt
import html
from importlib import resources
from pathlib import Path
from string import Template

import numpy as np
import shapely

from danang_sdi import __version__
from danang_sdi.qa.base import Issue
from danang_sdi.qa.report import Report
from danang_sdi.qa.rules import RULES

MAP_WIDTH = 960
MAX_ROWS = 5000  # table rows; the JSON report has them all
TEXT = {
    "vi": {"title": "Báo cáo kiểm tra dữ liệu", "valid": "HỢP LỆ", "invalid": "KHÔNG HỢP LỆ", "errors": "lỗi",
           "warnings": "cảnh báo", "counts": "Số vấn đề theo quy tắc", "map": "Bản đồ các vấn đề",
           "table": "Danh sách vấn đề", "rule": "Quy tắc", "severity": "Mức", "feature": "Đối tượng",
           "key": "Khóa", "field": "Trường", "message": "Nội dung", "location": "Vị trí", "none": "Không có vấn đề nào.",
           "cut": "Chỉ hiện {shown:,} trên {total:,} vấn đề; xem báo cáo JSON để có đầy đủ.",
           "nomap": "Không có vị trí nào để vẽ.", "far": "{n} vấn đề nằm ngoài thành phố không vẽ trên bản đồ.", "file": "Tệp", "layer": "Lớp", "features": "Số đối tượng",
           "encoding": "Bảng mã", "crs": "Hệ tọa độ", "unmapped": "Trường không khớp", "missing": "Trường thiếu"},
    "en": {"title": "Data validation report", "valid": "VALID", "invalid": "NOT VALID", "errors": "errors",
           "warnings": "warnings", "counts": "Problems per rule", "map": "Map of the problems",
           "table": "Problems", "rule": "Rule", "severity": "Severity", "feature": "Feature", "key": "Key",
           "field": "Field", "message": "Message", "location": "Location", "none": "No problems found.",
           "cut": "Showing {shown:,} of {total:,} problems; the JSON report has them all.",
           "nomap": "Nothing to draw.", "far": "{n} problems outside the city are not drawn on the map.", "file": "File", "layer": "Layer", "features": "Features",
           "encoding": "Encoding", "crs": "CRS", "unmapped": "Fields not in catalog", "missing": "Missing fields"},
}  # fmt: skip


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _facts(report: Report, t: dict[str, str], lang: str) -> str:
    s = report.source
    reason = s["crs_reason_vi"] if lang == "vi" else s["crs_reason"]
    rows = [
        (t["file"], f"{s['dataset']} ({s['driver']})"),
        (t["layer"], report.layer),
        (t["features"], f"{report.features:,}"),
        (t["encoding"], f"{s['encoding']}: {s['encoding_reason']}"),
        (t["crs"], f"{s['crs'] or '?'} → {s['storage_crs']}: {reason}"),
        (t["unmapped"], ", ".join(s["field_mapping"]["unmapped"]) or "-"),
        (t["missing"], ", ".join(s["field_mapping"]["missing"]) or "-"),
    ]
    return "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)


def _counts(report: Report, t: dict[str, str], lang: str) -> str:
    if not report.issues:
        return f"<p>{_e(t['none'])}</p>"
    head = f"<tr><th>{_e(t['rule'])}</th><th></th><th>{_e(t['errors'])}</th><th>{_e(t['warnings'])}</th></tr>"
    rows = "".join(
        f"<tr><td><code>{_e(rule)}</code></td><td>{_e(RULES[rule](lang) if rule in RULES else '')}</td>"
        f"<td class='n'>{n['error']:,}</td><td class='n'>{n['warning']:,}</td></tr>"
        for rule, n in report.counts().items()
    )
    return f"<table>{head}{rows}</table>"


def _path(geometry: shapely.Geometry, project) -> str:
    """SVG path data for the rings and lines of a geometry."""
    parts = []
    for part in shapely.get_parts(geometry):
        rings = [part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part]
        for ring in rings:
            xy = project(shapely.get_coordinates(ring))
            if len(xy):
                closed = "Z" if ring.geom_type == "LinearRing" else ""
                parts.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in xy) + closed)
    return " ".join(parts)


def _map(report: Report, issues: list[tuple[int, Issue]], t: dict[str, str], lang: str) -> str:
    located = [(n, i, shapely.from_wkt(i.location)) for n, i in issues if i.location]
    far = [n for n, i, _ in located if i.rule == "geometry.outside"]
    if len(far) < len(located):  # features far away would shrink the rest to a dot: list them instead
        located = [(n, i, p) for n, i, p in located if i.rule != "geometry.outside"]
        outside = {i.feature for _, i in issues if i.rule == "geometry.outside"}
        shapes = [g for feature, g in report.shapes.items() if feature not in outside]
    else:
        far, shapes = [], list(report.shapes.values())
    geoms = [p for _, _, p in located] + shapes
    if not geoms:
        return f"<p>{_e(t['nomap'])}</p>"
    x0, y0, x1, y1 = shapely.total_bounds(np.array(geoms, dtype=object))
    pad = max(x1 - x0, y1 - y0, 10.0) * 0.05
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    scale = MAP_WIDTH / max(x1 - x0, 1e-9)
    height = max(int((y1 - y0) * scale), 200)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - x0) * scale, (y1 - xy[:, 1]) * scale])

    tolerance = 0.5 / scale
    drawn = [f'<path class="shape" d="{_path(shapely.simplify(g, tolerance), project)}"/>' for g in shapes]
    for n, issue, point in located:
        ((cx, cy),) = project(shapely.get_coordinates(point))
        drawn.append(
            f'<a href="#i{n}"><circle class="{issue.severity.value}" cx="{cx:.1f}" cy="{cy:.1f}" r="4">'
            f"<title>{_e(issue.rule)}: {_e(issue.message(lang))}</title></circle></a>"
        )
    metres = 10 ** np.floor(np.log10(max((x1 - x0) / 5, 1e-3)))
    bar = f'<line x1="10" y1="{height - 10}" x2="{10 + metres * scale:.1f}" y2="{height - 10}" stroke="#000" stroke-width="3"/>'
    label = f'<text x="10" y="{height - 16}" font-size="11">{metres:g} m</text>'
    note = f"<p class='note'>{_e(t['far'].format(n=len(far)))}</p>" if far else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_WIDTH} {height}" width="{MAP_WIDTH}" '
        f'height="{height}">{"".join(drawn)}{bar}{label}</svg>{note}'
    )


def _table(report: Report, issues: list[tuple[int, Issue]], t: dict[str, str], lang: str) -> str:
    if not report.issues:
        return f"<p>{_e(t['none'])}</p>"
    columns = ("#", t["severity"], t["rule"], t["feature"], t["key"], t["field"], t["message"], t["location"])
    head = "<tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr>"
    rows = []
    for n, i in issues:
        key = ", ".join(f"{k}={v}" for k, v in (i.key or {}).items())
        rows.append(
            f"<tr id='i{n}'><td class='n'>{n}</td><td class='{i.severity.value}'>{i.severity.value}</td>"
            f"<td><code>{_e(i.rule)}</code></td><td class='n'>{_e(i.feature)}</td><td>{_e(key)}</td>"
            f"<td>{_e(i.field)}</td><td>{_e(i.message(lang))}</td><td><code>{_e(i.location)}</code></td></tr>"
        )
    note = ""
    if len(report.issues) > len(issues):
        note = f"<p class='note'>{_e(t['cut'].format(shown=len(issues), total=len(report.issues)))}</p>"
    return f"{note}<table>{head}{''.join(rows)}</table>"


def render_html(report: Report, lang: str = "vi") -> str:
    """The report as one HTML page that needs nothing else (no network, no script)."""
    t = TEXT[lang]
    issues = list(enumerate(report.issues[:MAX_ROWS], start=1))
    template = Template(resources.files("danang_sdi.qa").joinpath("templates/report.html").read_text("utf-8"))
    return template.substitute(
        lang=lang,
        title=_e(f"{t['title']}: {report.source['dataset']} → {report.layer}"),
        verdict_class="ok" if report.ok else "bad",
        verdict=_e(t["valid"] if report.ok else t["invalid"]),
        tally=_e(f"{len(report.errors):,} {t['errors']}, {len(report.warnings):,} {t['warnings']}"),
        facts=_facts(report, t, lang),
        counts_title=_e(t["counts"]),
        counts=_counts(report, t, lang),
        map_title=_e(t["map"]),
        map=_map(report, issues, t, lang),
        table_title=_e(t["table"]),
        table=_table(report, issues, t, lang),
        version=_e(__version__),
        generated=_e(dt.datetime.now().astimezone().isoformat(timespec="seconds")),
    )


def write_html(report: Report, path: str | Path, lang: str = "vi") -> Path:
    path = Path(path)
    path.write_text(render_html(report, lang), encoding="utf-8")
    return path
