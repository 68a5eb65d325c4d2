"""Loading a raster: validate, write the COG, record the batch, switch the layer's current file, all or nothing.

Files live under ``<home>/rasters/<layer>/<batch id>.tif``; ``current.tif`` is a symbolic link to the file
of the newest done batch, which is what the coverage server reads, so a load or a rollback needs no server
restart. The COG is written under a temporary name first and takes its batch name inside the transaction
that records the batch: a failure leaves neither a batch row nor a file, and the link where it was.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psycopg

from danang_sdi.catalog.models import RasterLayer
from danang_sdi.errors import DatabaseError, SdiError
from danang_sdi.rasters.checks import RasterReport, validate_raster
from danang_sdi.rasters.cog import CogInfo, write_cog
from danang_sdi.settings import Settings
from danang_sdi.store.database import connect
from danang_sdi.store.layer_tables import srid
from danang_sdi.store.loader import same_file_batch

CURRENT = "current.tif"
MODE = "replace"  # a raster load replaces the layer's current raster; older files stay for rollback


class RasterRefused(SdiError, ValueError):
    """Raised when a raster fails validation: the message lists its errors, ``report`` has everything."""

    def __init__(self, message: str, report: RasterReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class RasterLoadResult:
    batch_id: int
    layer: str
    status: Literal["done", "noop"]
    path: Path  # the stored COG
    report: RasterReport
    message: str = ""


def layer_dir(settings: Settings, layer_id: str) -> Path:
    return settings.home / "rasters" / layer_id


def current_raster(settings: Settings, layer_id: str) -> Path | None:
    """The COG the layer serves now (``<home>/rasters/<layer>/current.tif``), or None before any load."""
    link = layer_dir(settings, layer_id) / CURRENT
    return link if link.exists() else None


def _point_current(directory: Path, batch_id: int | None) -> None:
    link = directory / CURRENT
    if batch_id is None:
        link.unlink(missing_ok=True)
        return
    staged = directory / f".{CURRENT}.{os.getpid()}"
    staged.unlink(missing_ok=True)
    staged.symlink_to(f"{batch_id}.tif")
    os.replace(staged, link)


def refresh_current(settings: Settings, layer_id: str) -> Path | None:
    """Point ``current.tif`` at the newest done batch of the layer (after a rollback, say)."""
    with connect(settings) as conn:
        row = conn.execute(
            "SELECT max(id) FROM sdi_meta.batch WHERE layer = %s AND status = 'done'", (layer_id,)
        ).fetchone()
    _point_current(layer_dir(settings, layer_id), row[0])
    return current_raster(settings, layer_id)


def _refusal(report: RasterReport) -> RasterRefused:
    errors = "; ".join(i.message_en for i in report.errors)
    return RasterRefused(f"{report.file} refused for layer {report.layer}: {errors}", report)


def _record(report: RasterReport, cog: CogInfo) -> dict[str, Any]:
    return {
        **report.to_dict(),
        "stored": {
            "bytes": cog.bytes,
            "overviews": cog.overviews,
            "minimum": cog.minimum,
            "maximum": cog.maximum,
        },
    }


def _insert_batch(
    conn: psycopg.Connection, layer: RasterLayer, source: Path, report: RasterReport, cog: CogInfo
) -> int:
    west, south, east, north = report.grid.bounds
    return conn.execute(
        "INSERT INTO sdi_meta.batch (layer, file_name, sha256, mode, status, inserted, os_user, started, finished, "
        "source_driver, source_crs, crs_reason, extent, report) VALUES (%s, %s, %s, %s, 'done', 1, %s, "
        "clock_timestamp(), clock_timestamp(), %s, %s, %s, ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, %s), 5899), %s) "
        "RETURNING id",
        (
            layer.id,
            source.name,
            report.sha256,
            MODE,
            getpass.getuser(),
            report.driver,
            report.crs,
            report.crs_reason,
            west,
            south,
            east,
            north,
            srid(layer.storage_crs),
            json.dumps(_record(report, cog), ensure_ascii=False, default=str),
        ),
    ).fetchone()[0]


def load_raster(
    settings: Settings, path: str | Path, layer: RasterLayer, force: bool = False
) -> RasterLoadResult:
    """Validate ``path``, store it as the layer's current COG and record the batch (``mode`` replace).

    Raises ``RasterRefused`` (with the report) when validation finds an error; loading the same file again
    is a no-op unless ``force``.
    """
    source = Path(path)
    report = validate_raster(source, layer)
    if not report.ok:
        raise _refusal(report)
    directory = layer_dir(settings, layer.id)
    with connect(settings) as conn:
        previous = same_file_batch(conn, layer.id, report.sha256)
    if previous is not None and not force:
        return RasterLoadResult(
            previous,
            layer.id,
            "noop",
            directory / f"{previous}.tif",
            report,
            f"this file was already loaded into {layer.id} as batch {previous}: nothing to do (use --force)",
        )
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f".{report.sha256[:16]}.{os.getpid()}.partial.tif"
    final: Path | None = None
    before = os.readlink(directory / CURRENT) if (directory / CURRENT).is_symlink() else None
    try:
        cog = write_cog(source, layer, report.grid, partial)
        with connect(settings) as conn, conn.transaction():
            batch_id = _insert_batch(conn, layer, source, report, cog)
            final = directory / f"{batch_id}.tif"
            os.replace(partial, final)
            _point_current(directory, batch_id)
    except psycopg.Error as exc:
        _undo(directory, partial, final, before)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(
            f"loading {source.name} into {layer.id} failed, nothing was stored: {reason}"
        ) from exc
    except BaseException:
        _undo(directory, partial, final, before)
        raise
    return RasterLoadResult(batch_id, layer.id, "done", final, report)


def _undo(directory: Path, partial: Path, final: Path | None, before: str | None) -> None:
    partial.unlink(missing_ok=True)
    if final is not None:
        final.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        link = directory / CURRENT
        link.unlink(missing_ok=True)
        if before is not None:
            link.symlink_to(before)
