"""The write path: one transaction per load, so a layer is never half-written.

Binary COPY of WKB into a temporary staging table, then set-based SQL that merges it into the layer
(append / replace / upsert by natural key), writes every change to the layer's history, the rejected
features to quarantine and one row to ``sdi_meta.batch``. A killed loader or a lost connection aborts
the transaction: the layer stays as it was and no batch is recorded as done.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from danang_sdi.catalog.models import AttributeType, Layer
from danang_sdi.errors import DatabaseError, SdiError
from danang_sdi.settings import Settings
from danang_sdi.store import layer_tables as lt
from danang_sdi.store.database import connect
from danang_sdi.store.merge_sql import MODES, Mode, merge

COPY_TYPES: dict[AttributeType, str] = {
    AttributeType.text: "text",
    AttributeType.integer: "int8",
    AttributeType.number: "float8",
    AttributeType.boolean: "bool",
    AttributeType.date: "date",
    AttributeType.datetime: "timestamptz",
}


class LoadBusy(SdiError, RuntimeError):
    """Raised when another load into the same layer holds the layer's lock."""


@dataclass(frozen=True)
class SourceInfo:
    """Where a delivery came from, as recorded with its batch."""

    file_name: str
    sha256: str
    driver: str | None = None
    encoding: str | None = None
    crs: str | None = None
    crs_reason: str | None = None


@dataclass(frozen=True)
class LoadInput:
    """A delivery ready to write: the normalised features, what was read before repair, and the rejects.

    ``frame`` has one column per catalog attribute and its geometry in the layer's storage CRS.
    ``original`` holds the attributes as read (source field names, before any repair), same index.
    ``rejected`` maps a feature index to the error findings that keep it out of the layer.
    """

    layer: Layer
    frame: gpd.GeoDataFrame
    original: pd.DataFrame
    rejected: dict[int, list[dict[str, Any]]]
    source: SourceInfo
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    batch_id: int | None
    layer: str
    status: Literal["done", "noop", "dry_run"]
    mode: Mode
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    message: str = ""


def write_batch(
    settings: Settings, data: LoadInput, mode: Mode = "append", dry_run: bool = False, force: bool = False
) -> BatchResult:
    """Write one delivery in one transaction (rolled back at the end when ``dry_run``)."""
    writer = BatchWriter(settings, data.layer, data.frame, data.source, mode, dry_run=dry_run, force=force)
    return writer.stage() or writer.finish(data.original, data.rejected, data.report)


class BatchWriter:
    """One load's transaction in two steps, so that the COPY can run while the delivery is validated.

    ``stage`` locks the layer and copies every feature into the staging table; ``finish`` moves the
    rejected ones to quarantine, merges the rest and commits (or rolls back for a dry run). Nothing is
    visible to anyone else before ``finish`` commits; ``abort`` (or any failure) rolls it all back.
    """

    def __init__(
        self, settings: Settings, layer: Layer, frame: gpd.GeoDataFrame, source: SourceInfo, mode: Mode = "append",
        *, dry_run: bool = False, force: bool = False,
    ) -> None:  # fmt: skip
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.settings, self.layer, self.frame, self.source = settings, layer, frame, source
        self.mode, self.dry_run, self.force = mode, dry_run, force
        self.conn: psycopg.Connection | None = None

    def stage(self) -> BatchResult | None:
        """Lock the layer and COPY the features; a ``noop`` result when this file is already loaded."""
        self.started = dt.datetime.now(dt.UTC)
        self.conn = connect(self.settings)
        with self._failing():
            _lock_layer(self.conn, self.layer)
            previous = same_file_batch(self.conn, self.layer.id, self.source.sha256)
            if previous is not None and not self.force:
                self.abort()
                return BatchResult(
                    previous, self.layer.id, "noop", self.mode,
                    message=f"this file was already loaded into {self.layer.id} as batch {previous}: nothing to do "
                    "(use --force to load it again)",
                )  # fmt: skip
            _copy_staging(self.conn, self.layer, self.frame)
        return None

    def finish(
        self, original: pd.DataFrame, rejected: dict[int, list[dict[str, Any]]], report: dict[str, Any]
    ) -> BatchResult:
        """Quarantine the rejected features, merge the others, record the batch, commit."""
        conn = self.conn
        with self._failing():
            data = LoadInput(self.layer, self.frame, original, rejected, self.source, report)
            batch_id = _insert_batch(conn, data, self.mode, self.started)
            quarantined = _quarantine(conn, self.layer, batch_id, data)
            if rejected:
                conn.execute("DELETE FROM sdi_staging WHERE src_index = ANY(%s)", (list(rejected),))
            accepted = self.frame.drop(index=list(rejected), errors="ignore")
            counts = merge(conn, self.layer, batch_id, self.mode, _bounds(accepted))
            quarantined += counts.pop("quarantined", 0)
            _finish_batch(conn, batch_id, counts, quarantined)
            if self.dry_run:
                conn.rollback()
            else:
                conn.commit()
        conn.close()
        status = "dry_run" if self.dry_run else "done"
        return BatchResult(batch_id, self.layer.id, status, self.mode, quarantined=quarantined, **counts)

    def abort(self) -> None:
        if self.conn is not None and not self.conn.closed:
            self.conn.rollback()
            self.conn.close()

    @contextmanager
    def _failing(self) -> Iterator[None]:
        """Any failure: roll back, say so in the batch table if the database is still there, one clear error."""
        try:
            yield
        except psycopg.Error as exc:
            self.abort()
            _record_failure(self.settings, self.layer, self.source, self.mode, exc)
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatabaseError(
                f"loading {self.source.file_name} into {self.layer.id} failed, nothing was written: {reason}"
            ) from exc
        except BaseException:
            self.abort()
            raise


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    bounds = frame.total_bounds
    return tuple(float(b) for b in bounds) if np.isfinite(bounds).all() else None


def _lock_layer(conn: psycopg.Connection, layer: Layer) -> None:
    got = conn.execute(
        "SELECT pg_try_advisory_xact_lock(hashtext('danang_sdi.load:' || %s))", (layer.id,)
    ).fetchone()[0]
    if not got:
        raise LoadBusy(
            f"another load into {layer.id} is in progress: wait until it finishes, then run this one again"
        )


def same_file_batch(conn: psycopg.Connection, layer_id: str, sha256: str) -> int | None:
    """The done batch that already loaded this file (same sha256) into this layer, if any."""
    row = conn.execute(
        "SELECT id FROM sdi_meta.batch WHERE layer = %s AND sha256 = %s AND status = 'done' ORDER BY id DESC LIMIT 1",
        (layer_id, sha256),
    ).fetchone()
    return row[0] if row else None


def _insert_batch(conn: psycopg.Connection, data: LoadInput, mode: Mode, started: dt.datetime) -> int:
    src = data.source
    return conn.execute(
        "INSERT INTO sdi_meta.batch (layer, file_name, sha256, mode, status, os_user, started, source_driver, "
        "source_encoding, source_crs, crs_reason, report) "
        "VALUES (%s, %s, %s, %s, 'done', %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            data.layer.id,
            src.file_name,
            src.sha256,
            mode,
            getpass.getuser(),
            started,
            src.driver,
            src.encoding,
            src.crs,
            src.crs_reason,
            json.dumps(data.report, ensure_ascii=False, default=str),
        ),
    ).fetchone()[0]


def _python_values(series: pd.Series, kind: AttributeType) -> list[Any]:
    """Plain Python values for COPY: None for every flavour of missing, ints as ints."""
    values = series.astype(object).where(series.notna(), None).tolist()
    if kind is AttributeType.integer:
        return [None if v is None else int(v) for v in values]
    if kind is AttributeType.number:
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]
    if kind is AttributeType.text:
        return [None if v is None else str(v) for v in values]
    if kind is AttributeType.date:
        return [None if v is None else pd.Timestamp(v).date() for v in values]
    if kind is AttributeType.datetime:
        return [None if v is None else pd.Timestamp(v).to_pydatetime() for v in values]
    return [None if v is None else bool(v) for v in values]


def _copy_staging(conn: psycopg.Connection, layer: Layer, frame: gpd.GeoDataFrame) -> None:
    columns = [a.name for a in layer.attributes]
    definitions = [sql.SQL("src_index integer")]
    definitions += [
        sql.SQL("{} {}").format(sql.Identifier(a.name), lt.column_type(a)) for a in layer.attributes
    ]
    definitions += [sql.SQL("wkb bytea"), sql.SQL("fid bigint")]
    conn.execute(
        sql.SQL("CREATE TEMP TABLE sdi_staging ({}) ON COMMIT DROP").format(sql.SQL(", ").join(definitions))
    )
    values = [frame.index.astype(int).tolist()]
    values += [
        _python_values(frame[a.name], a.type) if a.name in frame else [None] * len(frame)
        for a in layer.attributes
    ]
    values.append(shapely.to_wkb(np.asarray(frame.geometry.values), output_dimension=2).tolist())
    copy_sql = sql.SQL("COPY sdi_staging ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.SQL(", ").join(map(sql.Identifier, ["src_index", *columns, "wkb"]))
    )
    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
        copy.set_types(["int4", *(COPY_TYPES[a.type] for a in layer.attributes), "bytea"])
        for row in zip(*values, strict=True):
            copy.write_row(row)
    conn.execute("ANALYZE sdi_staging")


def _quarantine(conn: psycopg.Connection, layer: Layer, batch_id: int, data: LoadInput) -> int:
    if not data.rejected:
        return 0
    keys = layer.natural_key
    rows = []
    for index, reasons in data.rejected.items():
        original = data.original.loc[index].to_dict() if index in data.original.index else {}
        geometry = data.frame.geometry.get(index)
        key = {k: _json_value(data.frame.at[index, k]) if k in data.frame else None for k in keys}
        rows.append(
            (
                batch_id,
                int(index),
                json.dumps(key, ensure_ascii=False),
                json.dumps({k: _json_value(v) for k, v in original.items()}, ensure_ascii=False),
                None if geometry is None or geometry.is_empty else shapely.to_wkb(geometry),
                json.dumps(reasons, ensure_ascii=False, default=str),
            )
        )
    srid = lt.srid(layer.storage_crs)
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                "INSERT INTO {} (batch_id, feature_index, natural_key, attributes, geom, reasons) "
                "VALUES (%s, %s, %s, %s, ST_GeomFromWKB(%s, {}), %s)"
            ).format(lt.quarantine_table(layer), sql.Literal(srid)),
            rows,
        )
    return len(rows)


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def _finish_batch(conn: psycopg.Connection, batch_id: int, counts: dict[str, int], quarantined: int) -> None:
    conn.execute(
        "UPDATE sdi_meta.batch SET inserted = %s, updated = %s, unchanged = %s, deleted = %s, quarantined = %s, "
        "finished = clock_timestamp() WHERE id = %s",
        (
            counts["inserted"],
            counts["updated"],
            counts["unchanged"],
            counts["deleted"],
            quarantined,
            batch_id,
        ),
    )


def _record_failure(settings: Settings, layer: Layer, src: SourceInfo, mode: Mode, error: Exception) -> None:
    """Say in the batch table that a load failed, when the database can still be reached."""
    try:
        with connect(settings) as conn:
            conn.execute(
                "INSERT INTO sdi_meta.batch (layer, file_name, sha256, mode, status, os_user, started, finished, "
                "source_driver, source_encoding, source_crs, message) "
                "VALUES (%s, %s, %s, %s, 'failed', %s, clock_timestamp(), clock_timestamp(), %s, %s, %s, %s)",
                (
                    layer.id,
                    src.file_name,
                    src.sha256,
                    mode,
                    getpass.getuser(),
                    src.driver,
                    src.encoding,
                    src.crs,
                    str(error).strip()[:2000],
                ),
            )
    except (psycopg.Error, DatabaseError):
        pass  # the database is gone: the batch is absent, which is what it should be
