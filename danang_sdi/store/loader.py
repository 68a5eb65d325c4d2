"""The write path: one transaction per load, so a layer is never half-written.

Binary COPY of the features (geometry already in its stored form, ``store.rows``): straight into the
table for a layer's first load, else into a temporary staging table and then set-based SQL that merges
it into the layer (append / replace / upsert by natural key). Every change goes to the layer's history,
the rejected features to quarantine, and one row to ``sdi_meta.batch``. A killed loader or a lost connection aborts
the transaction: the layer stays as it was and no batch is recorded as done.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from danang_sdi.catalog.models import Layer
from danang_sdi.errors import DatabaseError, SdiError
from danang_sdi.settings import Settings
from danang_sdi.store import layer_tables as lt
from danang_sdi.store import rows
from danang_sdi.store.copy_binary import Column, copy_stream
from danang_sdi.store.database import connect
from danang_sdi.store.merge_sql import MODES, MergeSql, Mode, merge


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
    """One load's transaction in two steps, so that the writing can run while the delivery is validated.

    ``stage`` locks the layer and copies every storable feature: into an empty layer directly (a bulk load:
    indexes built once, after the COPY), otherwise into a staging table. ``finish`` takes the rejected
    features out again, quarantines them, merges (staging) and commits, or rolls back for a dry run.
    Nothing is visible to anyone else before ``finish`` commits; ``abort`` (or any failure) undoes it all.
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
        self.batch_id: int | None = None
        self.unstorable: dict[int, list[dict[str, Any]]] = {}
        self.bulk: BulkLoad | None = None

    def stage(self) -> BatchResult | None:
        """Lock the layer and COPY the features; a ``noop`` result when this file is already loaded."""
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
            self.batch_id = _insert_batch(self.conn, self.layer, self.source, self.mode)
            self.unstorable = rows.unstorable(self.layer, self.frame)
            # (dropping nothing from the whole frame would still copy it: 0.2 s for 560k features)
            frame = self.frame.drop(index=list(self.unstorable)) if self.unstorable else self.frame
            if _is_empty(self.conn, self.layer):
                self.bulk = BulkLoad.write(self.conn, self.layer, self.batch_id, frame)
            else:
                _copy_staging(self.conn, self.layer, frame)
        return None

    def finish(
        self, original: pd.DataFrame, rejected: dict[int, list[dict[str, Any]]], report: dict[str, Any]
    ) -> BatchResult:
        """Quarantine the rejected and unstorable features, merge the others, record the batch, commit."""
        conn = self.conn
        with self._failing():
            reasons = {**self.unstorable, **rejected}
            reasons |= rows.repeated_keys(self.layer, self.frame, leaving_out=reasons)
            quarantined = _quarantine(conn, self.layer, self.batch_id, reasons, self.frame, original)
            bounds = _bounds(self.frame.geometry.drop(index=list(reasons), errors="ignore"))
            if self.bulk is not None:
                counts = self.bulk.finish(conn, self.batch_id, list(reasons), bounds)
            else:
                conn.execute("DELETE FROM sdi_staging WHERE src_index = ANY(%s)", (list(reasons),))
                counts = merge(conn, self.layer, self.batch_id, self.mode, bounds)
            quarantined += counts.pop("quarantined", 0)
            _finish_batch(conn, self.batch_id, counts, quarantined, report)
            if self.dry_run:
                conn.rollback()
            else:
                conn.commit()
        conn.close()
        status = "dry_run" if self.dry_run else "done"
        return BatchResult(self.batch_id, self.layer.id, status, self.mode, quarantined=quarantined, **counts)

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


@dataclass
class BulkLoad:
    """The first load of a layer: COPY straight into the table, its indexes dropped and built again once.

    PostgreSQL's advice for populating a table. The rows get their ``fid`` from the table's own identity
    sequence, reserved in advance, so that features rejected later can be taken out again by ``fid``.
    """

    layer: Layer
    fids: pd.Series  # feature index → fid
    key_pending: bool  # the delivery repeats a natural key: the unique key waits for the quarantine

    @classmethod
    def write(
        cls, conn: psycopg.Connection, layer: Layer, batch_id: int, frame: gpd.GeoDataFrame
    ) -> BulkLoad:
        for statement in lt.drop_indexes(layer):
            conn.execute(statement)
        fids = pd.Series(_reserve_fids(conn, layer, len(frame)), index=frame.index)
        batches = rows.copy_batches(layer, frame, ("int8", fids.to_numpy()))
        copy_into(conn, lt.table_name(layer), [lt.ID_COLUMN, *rows.copy_names(layer)], batches)
        if len(fids):
            conn.execute(
                MergeSql(layer, batch_id).history_of_inserted_run(int(fids.iloc[0]), int(fids.iloc[-1]))
            )
        conn.execute(lt.add_primary_key(layer))
        conn.execute(lt.geometry_index_definition(layer))
        key_pending = bool(rows.repeated_keys(layer, frame))
        if not key_pending:
            conn.execute(lt.add_natural_key(layer))
        return cls(layer, fids, key_pending)

    def finish(
        self, conn: psycopg.Connection, batch_id: int, rejected: list[int], new_bounds: tuple | None
    ) -> dict[str, int]:
        """Take the rejected features out again; what is left is this batch's inserts."""
        gone = self.fids.reindex(rejected).dropna().astype("int64").tolist()
        q = MergeSql(self.layer, batch_id)
        if gone:
            conn.execute(sql.SQL("DELETE FROM {} WHERE fid = ANY(%s)").format(q.table), (gone,))
        if self.key_pending:
            conn.execute(lt.add_natural_key(self.layer))
        conn.execute(q.batch_extent(new_bounds))
        return {"inserted": len(self.fids) - len(gone), "updated": 0, "unchanged": 0, "deleted": 0}


def _is_empty(conn: psycopg.Connection, layer: Layer) -> bool:
    return conn.execute(
        sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(lt.table_name(layer))
    ).fetchone()[0]


def _reserve_fids(conn: psycopg.Connection, layer: Layer, count: int) -> np.ndarray:
    """``count`` consecutive ids from the table's identity sequence (the table is locked: nobody else draws)."""
    table = lt.table_name(layer).as_string(conn)
    sequence = conn.execute("SELECT pg_get_serial_sequence(%s, %s)", (table, lt.ID_COLUMN)).fetchone()[0]
    first = conn.execute("SELECT nextval(%s::regclass)", (sequence,)).fetchone()[0]
    if count > 1:
        conn.execute("SELECT setval(%s::regclass, %s)", (sequence, first + count - 1))
    return np.arange(first, first + count, dtype=np.int64)


def _bounds(geometry: gpd.GeoSeries) -> tuple[float, float, float, float] | None:
    bounds = geometry.total_bounds
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


def _insert_batch(
    conn: psycopg.Connection, layer: Layer, src: SourceInfo, mode: Mode, failure: str | None = None
) -> int:
    """The batch row with the delivery's provenance: done (its counts and end come with ``_finish_batch``),
    or failed and finished at once, with why."""
    return conn.execute(
        "INSERT INTO sdi_meta.batch (layer, file_name, sha256, mode, status, os_user, started, finished, "
        "source_driver, source_encoding, source_crs, crs_reason, message) "
        "VALUES (%(layer)s, %(file)s, %(sha)s, %(mode)s, %(status)s, %(user)s, clock_timestamp(), "
        "CASE WHEN %(status)s = 'failed' THEN clock_timestamp() END, "
        "%(driver)s, %(encoding)s, %(crs)s, %(crs_reason)s, %(message)s) RETURNING id",
        {
            "layer": layer.id,
            "file": src.file_name,
            "sha": src.sha256,
            "mode": mode,
            "status": "done" if failure is None else "failed",
            "user": getpass.getuser(),
            "driver": src.driver,
            "encoding": src.encoding,
            "crs": src.crs,
            "crs_reason": src.crs_reason,
            "message": failure,
        },
    ).fetchone()[0]


def copy_into(
    conn: psycopg.Connection, table: sql.Composable, names: list[str], batches: Iterable[list[Column]]
) -> None:
    """Binary COPY of batches of (type, values) columns into ``table``'s ``names``, encoded in bulk; a
    writer thread sends each chunk while the next batch is prepared."""
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in names)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(table, columns)
    with conn.cursor() as cur, cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        for chunk in copy_stream(batches):
            copy.write(chunk)


def _copy_staging(conn: psycopg.Connection, layer: Layer, frame: gpd.GeoDataFrame) -> None:
    definitions = [sql.SQL("src_index integer")]
    definitions += [
        sql.SQL("{} {}").format(sql.Identifier(a.name), lt.column_type(a)) for a in layer.attributes
    ]
    srid = sql.Literal(lt.srid(layer.storage_crs))  # the type modifier gives the WKB its SRID
    definitions += [sql.SQL("geom geometry(Geometry, {})").format(srid), sql.SQL("fid bigint")]
    conn.execute(
        sql.SQL("CREATE TEMP TABLE sdi_staging ({}) ON COMMIT DROP").format(sql.SQL(", ").join(definitions))
    )
    batches = rows.copy_batches(layer, frame, ("int4", frame.index.to_numpy()))
    copy_into(conn, sql.Identifier("sdi_staging"), ["src_index", *rows.copy_names(layer)], batches)
    conn.execute("ANALYZE sdi_staging")


def _quarantine(
    conn: psycopg.Connection,
    layer: Layer,
    batch_id: int,
    reasons: dict[int, list[dict[str, Any]]],
    frame: gpd.GeoDataFrame,
    original: pd.DataFrame,
) -> int:
    """The rejected features with their attributes as read, their geometry as delivered, and why."""
    records = []
    for index, why in reasons.items():
        attributes = original.loc[index].to_dict() if index in original.index else {}
        geometry = frame.geometry.get(index)
        key = {k: _json_value(frame.at[index, k]) if k in frame else None for k in layer.natural_key}
        records.append(
            (
                batch_id,
                int(index),
                json.dumps(key, ensure_ascii=False),
                json.dumps({k: _json_value(v) for k, v in attributes.items()}, ensure_ascii=False),
                None if geometry is None or geometry.is_empty else shapely.to_wkb(geometry),
                json.dumps(why, ensure_ascii=False, default=str),
            )
        )
    srid = lt.srid(layer.storage_crs)
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                "INSERT INTO {} (batch_id, feature_index, natural_key, attributes, geom, reasons) "
                "VALUES (%s, %s, %s, %s, ST_GeomFromWKB(%s, {}), %s)"
            ).format(lt.quarantine_table(layer), sql.Literal(srid)),
            records,
        )
    return len(records)


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


def _finish_batch(
    conn: psycopg.Connection, batch_id: int, counts: dict[str, int], quarantined: int, report: dict[str, Any]
) -> None:
    conn.execute(
        "UPDATE sdi_meta.batch SET inserted = %s, updated = %s, unchanged = %s, deleted = %s, quarantined = %s, "
        "report = %s, finished = clock_timestamp() WHERE id = %s",
        (
            counts["inserted"],
            counts["updated"],
            counts["unchanged"],
            counts["deleted"],
            quarantined,
            json.dumps(report, ensure_ascii=False, default=str),
            batch_id,
        ),
    )


def _record_failure(settings: Settings, layer: Layer, src: SourceInfo, mode: Mode, error: Exception) -> None:
    """Say in the batch table that a load failed, when the database can still be reached."""
    try:
        with connect(settings) as conn:
            _insert_batch(conn, layer, src, mode, failure=str(error).strip()[:2000])
    except (psycopg.Error, DatabaseError):
        pass  # the database is gone: the batch is absent, which is what it should be
