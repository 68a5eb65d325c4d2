"""Put a delivery's geometries in the storage CRS: check or find the CRS (``detect_crs``), unswap X/Y, reproject.

The outcome says which CRS was used and why, in both languages, and carries the ``crs.*`` notes for the
report. When no CRS fits, the geometries stay as they are and ``projected`` is False: rules that measure
in metres are skipped rather than run on meaningless numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS

from danang_sdi.catalog.models import Severity
from danang_sdi.errors import CRSError
from danang_sdi.sources.crs import CRSGuess, detect_crs
from danang_sdi.sources.notes import Note
from danang_sdi.sources.transform import transformer

SAMPLE = 2000


@dataclass
class CrsResult:
    """Geometries in ``storage_crs`` (when ``projected``) and the story of how they got there."""

    geometry: np.ndarray
    storage_crs: str
    code: str | None  # the CRS the data was found to be in
    reason: str
    reason_vi: str
    projected: bool
    guess: CRSGuess | None = None
    swapped: bool = False
    reprojected: bool = False
    notes: list[Note] = field(default_factory=list)

    @property
    def frame_crs(self) -> str | None:
        return self.storage_crs if self.projected else self.code


def _sample_points(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    present = np.flatnonzero(~(shapely.is_missing(geometry) | shapely.is_empty(geometry)))
    if len(present) > SAMPLE:
        present = present[np.linspace(0, len(present) - 1, SAMPLE).astype(np.intp)]
    bounds = shapely.bounds(geometry[present])
    return (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2


def _same(a: CRS | str, b: CRS | str) -> bool:
    return CRS.from_user_input(a).equals(CRS.from_user_input(b), ignore_axis_order=True)


def _note(rule: str, severity: Severity, vi: str, en: str) -> Note:
    return Note(rule, severity, vi, en)


def _notes(guess: CRSGuess) -> list[Note]:
    notes = []
    if guess.status == "detected":
        notes.append(
            _note(
                "crs.missing",
                Severity.warning,
                f"không có tệp .prj; {guess.reason_vi}; hãy kèm tệp .prj khi giao nộp",
                f"no .prj; {guess.reason}; include the .prj file with the delivery",
            )
        )
    elif guess.status == "mismatch":
        notes.append(
            _note(
                "crs.mismatch",
                Severity.error,
                f"{guess.reason_vi}; hãy sửa tệp .prj (validate --fix ghi bản đã sửa)",
                f"{guess.reason}; correct the .prj (validate --fix writes a corrected copy)",
            )
        )
    if guess.swapped_xy:
        notes.append(
            _note(
                "crs.swapped",
                Severity.warning,
                "tọa độ X và Y bị đảo (X là tọa độ bắc); đã đổi lại trước khi kiểm tra",
                "X and Y are swapped (X holds northings); swapped back before checking",
            )
        )
    return notes


def normalise_crs(geometry: np.ndarray, declared: str | None, storage_crs: str) -> CrsResult:
    """Check ``declared`` (or find the CRS when None) and bring ``geometry`` into ``storage_crs``."""
    xs, ys = _sample_points(geometry)
    if not len(xs):
        code = declared
        return CrsResult(
            geometry, storage_crs, code, "no geometry to test a CRS on", "không có hình học để kiểm tra hệ tọa độ",
            projected=bool(declared) and _same(declared, storage_crs),
        )  # fmt: skip
    try:
        guess = detect_crs(xs, ys, declared)
    except CRSError as error:
        note = _note(
            "crs.undetermined",
            Severity.error,
            f"không xác định được hệ tọa độ: {error}; các kiểm tra đo đạc (ngoài ranh, diện tích, chồng lấn) "
            "đã bỏ qua",
            f"cannot tell the CRS: {error}; measuring checks (outside, area, overlap) were skipped",
        )
        return CrsResult(
            geometry, storage_crs, declared, str(error), str(error), projected=False, notes=[note]
        )
    result = CrsResult(
        geometry, storage_crs, guess.code, guess.reason, guess.reason_vi, projected=True, guess=guess,
        notes=_notes(guess),
    )  # fmt: skip
    if guess.swapped_xy:
        result.geometry = shapely.transform(geometry, lambda xy: xy[:, ::-1])
        result.swapped = True
    if not _same(guess.crs, storage_crs):
        t = transformer(guess.crs, storage_crs)
        result.geometry = shapely.transform(
            result.geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
        )
        result.reprojected = True
    return result
