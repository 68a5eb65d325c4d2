"""Batches: what was loaded, when, by whom, and undoing a load.

Rolling back batch B restores the layer to what it was before B. Later loads into the same layer were made
on top of B, so they are undone first, newest first, and the result says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg import sql
from psycopg.rows import dict_row

from danang_sdi.errors import SdiError
from danang_sdi.settings import Settings
from danang_sdi.store import layer_tables as lt
from danang_sdi.store.database import connect
from danang_sdi.store.loader import LoadBusy

if TYPE_CHECKING:
    from danang_sdi.catalog import Catalog

SUMMARY_COLUMNS = (
    "id, layer, file_name, mode, status, inserted, updated, unchanged, deleted, quarantined, os_user, "
    "started, finished"
)


class BatchNotFound(SdiError, KeyError):
    """Raised when a batch id is not in ``sdi_meta.batch``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def list_batches(settings: Settings, layer: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    with connect(settings) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM sdi_meta.batch WHERE %(layer)s::text IS NULL OR layer = %(layer)s "
            "ORDER BY id DESC LIMIT %(limit)s",
            {"layer": layer, "limit": limit},
        )
        return cur.fetchall()


def get_batch(settings: Settings, batch_id: int) -> dict[str, Any]:
    with connect(settings) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"SELECT {SUMMARY_COLUMNS}, sha256, source_driver, source_encoding, source_crs, crs_reason, "
            "message, rolled_back, ST_AsText(extent) AS extent, report FROM sdi_meta.batch WHERE id = %s",
            (batch_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise BatchNotFound(f"there is no batch {batch_id}: see 'danang-sdi batches list'")
    return row


@dataclass(frozen=True)
class RollbackResult:
    layer: str
    undone: list[int]  # newest first; the last one is the batch asked for
    raster: bool = False  # a raster layer: its files stay, ``current.tif`` moves back
    current: Path | None = None  # the raster the layer serves now (None: no load of it is left)


def rollback(settings: Settings, catalog: Catalog, batch_id: int) -> RollbackResult:
    """Undo ``batch_id`` and every later done batch of its layer, in one transaction.

    For a raster layer the batches are marked rolled back, then ``current.tif`` is pointed at the newest
    batch still done (the COG files themselves are kept).
    """
    batch = get_batch(settings, batch_id)
    if batch["status"] != "done":
        raise SdiError(f"batch {batch_id} is {batch['status']}: only a done batch can be rolled back")
    raster = batch["layer"] in catalog.rasters
    layer = None if raster else catalog.get(batch["layer"])
    layer_id = batch["layer"]
    with connect(settings) as conn, conn.transaction():
        got = conn.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext('danang_sdi.load:' || %s))", (layer_id,)
        ).fetchone()[0]
        if not got:
            raise LoadBusy(f"a load into {layer_id} is in progress: roll back when it has finished")
        undone = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM sdi_meta.batch WHERE layer = %s AND status = 'done' AND id >= %s ORDER BY id DESC",
                (layer_id, batch_id),
            )
        ]
        for each in undone if layer is not None else []:
            for statement in _undo_statements(layer, each):
                conn.execute(statement)
        conn.execute(
            "UPDATE sdi_meta.batch SET status = 'rolled_back', rolled_back = clock_timestamp() WHERE id = ANY(%s)",
            (undone,),
        )
    if not raster:
        from danang_sdi.tiles.overlay import refresh_overlay  # the overlay's tiles follow the data

        refresh_overlay(settings, catalog, undone)
        return RollbackResult(layer_id, undone)
    from danang_sdi.rasters import refresh_current

    return RollbackResult(layer_id, undone, raster=True, current=refresh_current(settings, layer_id))


def _undo_statements(layer, batch_id: int) -> list[sql.Composable]:
    table, history, b = lt.table_name(layer), lt.history_table(layer), sql.Literal(batch_id)
    cols = [sql.Identifier(a.name) for a in layer.attributes]
    col_list = sql.SQL(", ").join(cols)
    assignments = sql.SQL(", ").join(sql.SQL("{0} = h.{0}").format(c) for c in cols)
    return [
        sql.SQL(
            "DELETE FROM {t} t USING {h} h WHERE h.batch_id = {b} AND h.op = 'I' AND h.fid_last IS NULL "
            "AND t.fid = h.fid"
        ).format(t=table, h=history, b=b),
        sql.SQL(
            "DELETE FROM {t} t USING {h} h WHERE h.batch_id = {b} AND h.op = 'I' "
            "AND t.fid BETWEEN h.fid AND h.fid_last"
        ).format(t=table, h=history, b=b),
        sql.SQL(
            "UPDATE {t} t SET {assign}, geom = h.geom FROM {h} h WHERE h.batch_id = {b} AND h.op = 'U' AND t.fid = h.fid"
        ).format(t=table, assign=assignments, h=history, b=b),
        sql.SQL(
            "INSERT INTO {t} (fid, {cols}, geom) OVERRIDING SYSTEM VALUE "
            "SELECT fid, {cols}, geom FROM {h} WHERE batch_id = {b} AND op = 'D'"
        ).format(t=table, cols=col_list, h=history, b=b),
    ]


def undo(batch_id: int) -> RollbackResult:
    """The analyst's one-liner: ``danang_sdi.rollback(batch_id)`` with the environment's settings."""
    from danang_sdi.catalog import load_catalog

    settings = Settings.from_env()
    return rollback(settings, load_catalog(settings.layers_dir), batch_id)
