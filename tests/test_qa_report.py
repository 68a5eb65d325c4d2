"""The report object: validity, order, counts, the frame, JSON and the HTML page."""

from __future__ import annotations

import json
from pathlib import Path

from danang_sdi.catalog.models import Severity
from danang_sdi.qa.base import Issue
from danang_sdi.qa.html import render_html
from danang_sdi.qa.report import Report, sort_issues

SOURCE = {
    "path": "t.gpkg", "dataset": "t.gpkg", "driver": "GPKG", "layer": None, "encoding": "UTF-8",
    "encoding_reason": "spec", "encoding_confidence": 1.0, "crs": "EPSG:5899", "crs_reason": "declared",
    "crs_reason_vi": "khai báo", "storage_crs": "EPSG:5899", "features": 3,
    "field_mapping": {"mapped": {}, "how": {}, "unmapped": [], "missing": []},
}  # fmt: skip


def _issue(rule: str, feature: int | None, severity: Severity = Severity.error) -> Issue:
    return Issue(rule=rule, severity=severity, message_vi=f"vi {rule}", message_en=f"en {rule}", feature=feature,
                 location=None if feature is None else f"POINT ({550000 + feature} 1777000)")  # fmt: skip


def _report(issues: list[Issue]) -> Report:
    return Report(layer="cadastral_parcel", source=SOURCE, issues=sort_issues(issues), features=3)


def test_warnings_alone_leave_a_delivery_valid() -> None:
    report = _report([_issue("key.duplicate", 1, Severity.warning)])
    assert report.ok and report.to_dict()["valid"] is True
    assert not _report([_issue("field.code", 2)]).ok


def test_file_issues_come_first_then_features_in_rule_order() -> None:
    report = _report([_issue("area.mismatch", 2), _issue("field.code", 2), _issue("crs.missing", None),
                      _issue("geometry.invalid", 0)])  # fmt: skip
    assert [(i.rule, i.feature) for i in report.issues] == [
        ("crs.missing", None), ("geometry.invalid", 0), ("field.code", 2), ("area.mismatch", 2)
    ]  # fmt: skip
    assert report.counts()["field.code"] == {"error": 1, "warning": 0}
    assert report.stats["features_with_errors"] == 2


def test_frame_and_json(tmp_path: Path) -> None:
    report = _report([_issue("field.code", 2), _issue("crs.missing", None, Severity.warning)])
    frame = report.to_frame()
    assert frame["feature"].tolist()[1] == 2 and str(frame["feature"].dtype) == "Int64"
    text = report.to_json(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == json.loads(text)
    assert json.loads(text)["issues"][1]["message"] == {"vi": "vi field.code", "en": "en field.code"}


def test_html_without_problems_says_so() -> None:
    page = render_html(_report([]), lang="en")
    assert "No problems found." in page and "VALID" in page and "<svg" not in page
