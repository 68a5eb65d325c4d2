"""key.duplicate: two features with the same natural key (the same parcel number in one map sheet)."""

from __future__ import annotations

import numpy as np

from danang_sdi.catalog.models import Check
from danang_sdi.qa.base import Issue, Subject

SHOWN_OTHERS = 5


def check_duplicates(subject: Subject, check: Check) -> list[Issue]:
    names = list(subject.layer.natural_key)
    if any(name in subject.absent for name in names) or not len(subject.frame):
        return []  # field.missing says so; a partial key would pair up unrelated features
    keys = subject.frame[names]
    complete = keys.notna().all(axis=1).to_numpy()
    repeated = complete & keys.duplicated(keep=False).to_numpy()
    rows = np.flatnonzero(repeated)
    if not len(rows):
        return []
    groups = keys.iloc[rows].groupby(names, sort=False).indices
    issues = []
    points = dict(zip(rows.tolist(), subject.points(rows), strict=True))
    for members in groups.values():
        features = rows[members].tolist()
        for row in features:
            others = [f for f in features if f != row]
            listed = ", ".join(str(f) for f in others[:SHOWN_OTHERS]) + (
                ", …" if len(others) > SHOWN_OTHERS else ""
            )
            key = ", ".join(names)
            issues.append(
                subject.issue(
                    "key.duplicate",
                    check.severity,
                    row,
                    f"khóa ({key}) trùng với đối tượng {listed}; hãy đánh số lại một trong các thửa",
                    f"key ({key}) is also used by feature {listed}; renumber one of them",
                    location=points[row],
                )
            )
    return issues
