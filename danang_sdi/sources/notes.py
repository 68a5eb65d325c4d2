"""What normalising a delivery found out (``encoding.*``, ``crs.*``): each becomes a report issue."""

from __future__ import annotations

from dataclasses import dataclass

from danang_sdi.catalog.models import Severity


@dataclass(frozen=True)
class Note:
    """A finding about the whole file, in Vietnamese and English, with its rule id and severity."""

    rule: str
    severity: Severity
    vi: str
    en: str
