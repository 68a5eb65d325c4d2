"""``load``: read, normalise and validate a delivery, then write it in one transaction.

Features with errors go to quarantine unless ``strict`` refuses the whole delivery. Problems that concern
the whole file (no CRS fits, a required field absent) refuse it too: no feature of it could be trusted.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from danang_sdi.bulk import bulk_work, yielding_pool
from danang_sdi.catalog import Catalog, load_catalog
from danang_sdi.catalog.models import Severity
from danang_sdi.errors import SdiError
from danang_sdi.qa.base import Issue, Subject
from danang_sdi.qa.report import Report, sort_issues
from danang_sdi.qa.validate import build_subject, validate_source
from danang_sdi.settings import Settings
from danang_sdi.sources.parts import SHAPEFILE_PARTS
from danang_sdi.sources.reader import SourceFrame, read_source
from danang_sdi.store.loader import BatchResult, BatchWriter, Mode, SourceInfo
from danang_sdi.store.rows import repeated_keys


class LoadRefused(SdiError, ValueError):
    """Raised when a delivery is not loaded at all (strict mode, file-level errors, unaccepted warnings)."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class LoadOutcome:
    report: Report
    batch: BatchResult


def file_sha256(path: Path) -> str:
    """The delivery's fingerprint: for a shapefile, all its parts (a new .dbf is a new delivery)."""
    path = Path(path)
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts = sorted(p for p in path.parent.glob(f"{path.stem}.*") if p.suffix.lower() in SHAPEFILE_PARTS)
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.suffix.lower().encode())
        with part.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _refusal(report: Report, strict: bool, accept_warnings: bool) -> str | None:
    file_errors = [i for i in report.errors if i.feature is None]
    if file_errors:
        return f"{len(file_errors)} problem(s) concern the whole file, e.g. {file_errors[0].message_en}"
    if strict and report.errors:
        return f"{len(report.errors)} error(s) and --strict is set"
    if report.warnings and not accept_warnings:
        return (
            f"{len(report.warnings)} warning(s), e.g. {report.warnings[0].message_en}; "
            "review them (danang-sdi validate), then load again with --accept-warnings"
        )
    return None


def rejected_features(report: Report) -> dict[int, list[dict]]:
    """Feature index → the error issues that keep it out of the layer."""
    rejected: dict[int, list[dict]] = {}
    for issue in report.errors:
        if issue.feature is not None:
            rejected.setdefault(issue.feature, []).append(issue.to_dict())
    return rejected


def unstorable_duplicates(subject: Subject, report: Report) -> list[Issue]:
    """Features sharing a natural key cannot all be stored (the layer's key is unique): make them errors.

    Validation calls a repeated key a warning where the catalog says so (parcel numbers do repeat in real
    sheets); the load must still keep them out, and the report then says why they are in quarantine.
    """
    repeated = repeated_keys(subject.layer, subject.frame, leaving_out=rejected_features(report))
    shown = ", ".join(subject.layer.natural_key)
    return [
        subject.issue(
            "key.duplicate",
            Severity.error,
            index,
            f"khóa ({shown}) lặp lại trong tệp nên không thể lưu; sửa số hiệu rồi nộp lại",
            f"the key ({shown}) appears more than once in the file, so it cannot be stored; fix the numbers and deliver again",
        )
        for index in repeated
    ]


def _original(source: SourceFrame) -> pd.DataFrame:
    """Attributes as the file has them (its field names), with the undecoded bytes of converted text."""
    original = pd.DataFrame(source.frame.drop(columns=source.frame.geometry.name))
    if source.raw is not None:
        original = original.join(source.raw.add_prefix("raw:"))
    return original


@bulk_work()
def load_file(
    settings: Settings,
    path: str | Path,
    layer_id: str,
    mode: Mode = "append",
    *,
    catalog: Catalog | None = None,
    source_layer: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    accept_warnings: bool = False,
    force: bool = False,
) -> LoadOutcome:
    """Validate the delivery at ``path`` for ``layer_id`` and write it (see ``write_batch`` for the modes)."""
    catalog = catalog or load_catalog(settings.layers_dir)
    layer = catalog.get(layer_id)
    path = Path(path)
    # The hashing runs beside the reading, the COPY beside the checks (shapely and psycopg release the GIL),
    # and the checks give way to it: the indexes can only be built once the COPY is in, while the checks
    # have time to spare. Nothing is visible until finish.
    with ThreadPoolExecutor(max_workers=1) as pool, yielding_pool() as checks:
        digest = pool.submit(file_sha256, path)
        source = read_source(path, layer, source_layer=source_layer)
        code_lists = catalog.code_lists_of(layer)
        subject = build_subject(source, layer, code_lists)
        info = SourceInfo(
            file_name=source.label,
            sha256=digest.result(),
            driver=source.driver,
            encoding=source.encoding_label,
            crs=source.crs.code,
            crs_reason=source.crs.reason,
        )
        writer = BatchWriter(settings, layer, subject.frame, info, mode, dry_run=dry_run, force=force)
        staged = pool.submit(writer.stage)
        try:
            report = checks.submit(validate_source, source, layer, code_lists, subject).result()
            duplicates = unstorable_duplicates(subject, report)  # while the indexes are being built
            noop = staged.result()
            if noop is not None:
                return LoadOutcome(report, noop)
            reason = _refusal(report, strict, accept_warnings)
            if reason:
                raise LoadRefused(f"{source.label} was not loaded into {layer.id}: {reason}", report)
            report.issues = sort_issues(report.issues + duplicates)
        except BaseException:
            wait([staged])
            writer.abort()
            raise
    batch = writer.finish(_original(source), rejected_features(report), report.to_dict())
    if batch.status == "done":
        from danang_sdi.tiles.overlay import refresh_overlay  # the overlay's tiles follow the data

        refresh_overlay(settings, catalog, [batch.batch_id])
    return LoadOutcome(report, batch)


def load(path: str | Path, layer: str, mode: Mode = "append", **options) -> BatchResult:
    """The analyst's one-liner: ``danang_sdi.load("thua_dat.zip", "cadastral_parcel", mode="upsert")``."""
    return load_file(Settings.from_env(), path, layer, mode, **options).batch
