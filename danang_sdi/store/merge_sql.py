"""The SQL of one merge: staging table → layer, by natural key, writing history as it goes.

Every statement is composed from the catalog's identifiers with ``psycopg.sql`` (never from input values);
modes: append (new keys only; keys already in the layer go to quarantine), upsert (insert new, update what
changed, leave the rest), replace (upsert, then delete what the delivery no longer has, except rows whose
new version was quarantined).
"""

from __future__ import annotations

from typing import Literal

import psycopg
from psycopg import sql

from danang_sdi.catalog.models import Layer
from danang_sdi.store import layer_tables as lt

Mode = Literal["append", "replace", "upsert"]
MODES: tuple[Mode, ...] = ("append", "replace", "upsert")


def merge(
    conn: psycopg.Connection, layer: Layer, batch_id: int, mode: Mode, new_bounds: tuple | None
) -> dict[str, int]:
    """Set-based merge of the staging table into the layer, writing history as it goes."""
    q = MergeSql(layer, batch_id)
    conn.execute(q.match_existing())
    counts = {"inserted": 0, "updated": 0, "unchanged": 0, "deleted": 0, "quarantined": 0}
    if mode == "append":
        counts["quarantined"] += conn.execute(q.existing_keys_to_quarantine()).rowcount
    else:
        counts["updated"] = conn.execute(q.history_of_updates()).rowcount
        conn.execute(q.apply_updates())
        matched = conn.execute("SELECT count(*) FROM sdi_staging WHERE fid IS NOT NULL").fetchone()[0]
        counts["unchanged"] = matched - counts["updated"]
    counts["inserted"] = conn.execute(q.inserts()).rowcount
    if mode == "replace":
        counts["deleted"] = conn.execute(q.deletes()).rowcount
    conn.execute(q.batch_extent(new_bounds))
    return counts


class MergeSql:
    """The statements of one merge, composed from the layer's identifiers (never from input values)."""

    def __init__(self, layer: Layer, batch_id: int) -> None:
        self.layer = layer
        self.batch = sql.Literal(batch_id)
        self.table = lt.table_name(layer)
        self.history = lt.history_table(layer)
        self.quarantine = lt.quarantine_table(layer)
        self.cols = [sql.Identifier(a.name) for a in layer.attributes]
        self.keys = [sql.Identifier(k) for k in layer.natural_key]
        self.srid = sql.Literal(lt.srid(layer.storage_crs))

    def _list(self, prefix: str, names: list[sql.Identifier]) -> sql.Composable:
        return sql.SQL(", ").join(sql.SQL(prefix + ".{}").format(n) for n in names)

    def _key_match(self, a: str, b: str) -> sql.Composable:
        return sql.SQL(" AND ").join(sql.SQL(f"{a}.{{0}} = {b}.{{0}}").format(k) for k in self.keys)

    def _key_json(self, alias: str) -> sql.Composable:
        pairs = sql.SQL(", ").join(
            sql.SQL("{}, {}.{}").format(sql.Literal(k), sql.Identifier(alias), sql.Identifier(k))
            for k in self.layer.natural_key
        )
        return sql.SQL("jsonb_build_object({})").format(pairs)

    def _attrs_json(self, alias: str) -> sql.Composable:
        return sql.SQL("to_jsonb({}) - 'geom' - 'fid' - 'src_index'").format(sql.Identifier(alias))

    @staticmethod
    def _reason(rule: str, message: str) -> sql.Composable:
        return sql.SQL(
            "jsonb_build_array(jsonb_build_object('rule', {}, 'severity', 'error', 'message', {}))"
        ).format(sql.Literal(rule), sql.Literal(message))

    def match_existing(self) -> sql.Composable:
        return sql.SQL("UPDATE sdi_staging s SET fid = t.fid FROM {t} t WHERE {match}").format(
            t=self.table, match=self._key_match("s", "t")
        )

    def existing_keys_to_quarantine(self) -> sql.Composable:
        return sql.SQL(
            "WITH moved AS (DELETE FROM sdi_staging s WHERE s.fid IS NOT NULL RETURNING s.*) "
            "INSERT INTO {q} (batch_id, feature_index, natural_key, attributes, geom, reasons) "
            "SELECT {b}, m.src_index, {key_json}, {attrs}, m.geom, {why} FROM moved m"
        ).format(
            q=self.quarantine,
            b=self.batch,
            key_json=self._key_json("m"),
            attrs=self._attrs_json("m"),
            why=self._reason(
                "key.exists", "a feature with this natural key is already in the layer (use --mode upsert)"
            ),
        )

    def _changed(self) -> sql.Composable:
        return sql.SQL("({t_cols}, t.geom) IS DISTINCT FROM ({s_cols}, s.geom)").format(
            t_cols=self._list("t", self.cols), s_cols=self._list("s", self.cols)
        )

    def history_of_updates(self) -> sql.Composable:
        return sql.SQL(
            "INSERT INTO {h} (batch_id, op, fid, {cols}, geom) SELECT {b}, 'U', t.fid, {t_cols}, t.geom "
            "FROM {t} t JOIN sdi_staging s ON s.fid = t.fid WHERE {changed}"
        ).format(
            h=self.history,
            cols=sql.SQL(", ").join(self.cols),
            b=self.batch,
            t_cols=self._list("t", self.cols),
            t=self.table,
            changed=self._changed(),
        )

    def apply_updates(self) -> sql.Composable:
        assignments = sql.SQL(", ").join(sql.SQL("{0} = s.{0}").format(c) for c in self.cols)
        return sql.SQL(
            "UPDATE {t} t SET {assign}, geom = s.geom FROM sdi_staging s WHERE s.fid = t.fid AND {changed}"
        ).format(t=self.table, assign=assignments, changed=self._changed())

    def inserts(self) -> sql.Composable:
        return sql.SQL(
            "WITH ins AS (INSERT INTO {t} ({cols}, geom) SELECT {s_cols}, s.geom FROM sdi_staging s WHERE s.fid IS NULL "
            "RETURNING fid) INSERT INTO {h} (batch_id, op, fid) SELECT {b}, 'I', fid FROM ins"
        ).format(
            t=self.table,
            cols=sql.SQL(", ").join(self.cols),
            s_cols=self._list("s", self.cols),
            h=self.history,
            b=self.batch,
        )

    def history_of_inserted_run(self, first: int, last: int) -> sql.Composable:
        """A first load's inserts, ids ``first`` … ``last``, as one history row."""
        return sql.SQL(
            "INSERT INTO {h} (batch_id, op, fid, fid_last) VALUES ({b}, 'I', {first}, {last})"
        ).format(h=self.history, b=self.batch, first=sql.Literal(first), last=sql.Literal(last))

    def deletes(self) -> sql.Composable:
        """Replace: rows absent from the delivery go, except those whose feature was quarantined."""
        quarantined_key = sql.SQL(" AND ").join(
            sql.SQL("(q.natural_key ->> {})::text = t.{}::text").format(sql.Literal(k), sql.Identifier(k))
            for k in self.layer.natural_key
        )
        return sql.SQL(
            "WITH del AS (DELETE FROM {t} t WHERE NOT EXISTS (SELECT 1 FROM sdi_staging s WHERE s.fid = t.fid) "
            "AND NOT EXISTS (SELECT 1 FROM {q} q WHERE q.batch_id = {b} AND {qk}) RETURNING t.*) "
            "INSERT INTO {h} (batch_id, op, fid, {cols}, geom) SELECT {b}, 'D', fid, {cols}, geom FROM del"
        ).format(
            t=self.table,
            q=self.quarantine,
            b=self.batch,
            qk=quarantined_key,
            h=self.history,
            cols=sql.SQL(", ").join(self.cols),
        )

    def batch_extent(self, new_bounds: tuple[float, float, float, float] | None) -> sql.Composable:
        """The envelope of everything the batch touched, old and new geometries: the tiles to rebuild."""
        old = sql.SQL(
            "SELECT ST_Transform(h.geom, 5899) AS g FROM {h} h WHERE h.batch_id = {b} AND h.geom IS NOT NULL"
        ).format(h=self.history, b=self.batch)
        if new_bounds is not None:
            envelope = sql.SQL("ST_Transform(ST_MakeEnvelope({}, {}, {}, {}, {}), 5899)").format(
                *map(sql.Literal, new_bounds), self.srid
            )
            old = sql.SQL("{} UNION ALL SELECT {}").format(old, envelope)
        return sql.SQL(
            "UPDATE sdi_meta.batch SET extent = (SELECT ST_SetSRID(ST_Expand(ST_Extent(g), 1)::geometry, 5899) "
            "FROM ({}) touched) WHERE id = {}"
        ).format(old, self.batch)
