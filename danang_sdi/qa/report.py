"""The validation report: one ``Issue`` per problem, counts per rule, and the source's normalising story.

``Report.to_dict()`` is the JSON schema of ``--json``: ``valid``, ``layer``, ``source`` {path, driver,
encoding, crs, crs_reason, features, field_mapping}, ``stats`` and ``issues``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from danang_sdi.catalog.models import Severity
from danang_sdi.qa.base import Issue
from danang_sdi.qa.rules import ORDER

FRAME_COLUMNS = ["severity", "rule", "feature", "key", "field", "message_vi", "message_en", "location"]


def sort_issues(issues: list[Issue]) -> list[Issue]:
    """File-level issues first, then by feature, then in rule order."""
    return sorted(
        issues,
        key=lambda i: (i.feature is not None, i.feature or 0, ORDER.get(i.rule, len(ORDER)), i.field or ""),
    )


@dataclass
class Report:
    """What ``validate`` found in one delivery for one catalog layer."""

    layer: str
    source: dict[str, Any]
    issues: list[Issue]
    features: int
    rules_run: list[str] = field(default_factory=list)
    rules_skipped: dict[str, str] = field(default_factory=dict)  # rule -> why
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    fixes: list[str] | None = None  # what --fix changed, when it ran
    shapes: dict[int, Any] = field(default_factory=dict, repr=False)  # problem features' geometry (for maps)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.warning]

    @property
    def ok(self) -> bool:
        """True when no issue has severity error (warnings do not make a delivery invalid)."""
        return not any(i.severity is Severity.error for i in self.issues)

    def counts(self) -> dict[str, dict[str, int]]:
        """Issues per rule and severity, rules in registry order."""
        counter = Counter((i.rule, i.severity.value) for i in self.issues)
        rules = sorted({rule for rule, _ in counter}, key=lambda r: ORDER.get(r, len(ORDER)))
        return {rule: {s.value: counter[(rule, s.value)] for s in Severity} for rule in rules}

    @property
    def stats(self) -> dict[str, Any]:
        flagged = {i.feature for i in self.issues if i.feature is not None and i.severity is Severity.error}
        return {
            "features": self.features,
            "issues": len(self.issues),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "features_with_errors": len(flagged),
            "by_rule": self.counts(),
            "rules_run": list(self.rules_run),
            "rules_skipped": dict(self.rules_skipped),
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per issue (columns: severity, rule, feature, key, field, message_vi, message_en, location)."""
        rows = [
            (i.severity.value, i.rule, i.feature, i.key, i.field, i.message_vi, i.message_en, i.location)
            for i in self.issues
        ]
        frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
        frame["feature"] = frame["feature"].astype("Int64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        result = {
            "valid": self.ok,
            "layer": self.layer,
            "source": self.source,
            "stats": self.stats,
            "issues": [i.to_dict() for i in self.issues],
        }
        if self.fixes is not None:
            result["fixes"] = list(self.fixes)
        return result

    def to_json(self, path: str | Path | None = None) -> str:
        """The report as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=str)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text
