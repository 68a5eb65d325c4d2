"""The write path against the real PostGIS: all or nothing, history, rollback, quarantine, provenance."""

from __future__ import annotations

import subprocess
import sys
import time
from types import SimpleNamespace

import pandas as pd
import pytest
import shapely
from psycopg import sql

from danang_sdi.errors import DatabaseError
from danang_sdi.store import batches, layer_tables
from danang_sdi.store.database import connect
from danang_sdi.store.loader import LoadBusy, write_batch
from tests.helpers.loader_fixtures import delivery, lamps, make_layer

pytestmark = pytest.mark.postgis


@pytest.fixture
def layer(db_settings, request):
    """A fresh table (and history, quarantine) for each test, dropped afterwards."""
    spec = make_layer(f"test_lamp_{request.node.name[5:30].lower()}".replace("[", "_").replace("]", "_"))
    with connect(db_settings) as conn:
        for schema in ("sdi_meta", "sdi_data", "sdi_history", "sdi_quarantine"):
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        from danang_sdi.store.schema import META_DDL

        for statement in META_DDL:
            conn.execute(statement)
        _drop(conn, spec)
        for statement in layer_tables.all_statements(spec):
            conn.execute(statement)
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = %s", (spec.id,))
    yield spec
    with connect(db_settings) as conn:
        _drop(conn, spec)
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = %s", (spec.id,))


def _drop(conn, spec) -> None:
    for table in (layer_tables.table_name, layer_tables.history_table, layer_tables.quarantine_table):
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table(spec)))


def rows(settings, spec) -> list[tuple]:
    with connect(settings) as conn:
        return conn.execute(
            sql.SQL(
                "SELECT fid, ma_cot, cong_suat_w, ghi_chu, chu_so_huu, ST_AsText(geom) FROM {} ORDER BY fid"
            ).format(layer_tables.table_name(spec))
        ).fetchall()


def test_append_then_same_file_is_a_noop(db_settings, layer):
    data = delivery(layer, lamps(50))
    first = write_batch(db_settings, data, mode="append")
    assert (first.status, first.inserted, first.quarantined) == ("done", 50, 0)
    again = write_batch(db_settings, data, mode="append")
    assert again.status == "noop" and again.batch_id == first.batch_id
    assert "already loaded" in again.message
    assert len(rows(db_settings, layer)) == 50
    recorded = batches.get_batch(db_settings, first.batch_id)
    assert (
        recorded["status"] == "done" and recorded["inserted"] == 50 and recorded["source_crs"] == "EPSG:5899"
    )
    assert recorded["extent"].startswith("POLYGON")


def test_append_quarantines_keys_already_in_the_layer(db_settings, layer):
    write_batch(db_settings, delivery(layer, lamps(10)), mode="append")
    result = write_batch(db_settings, delivery(layer, lamps(10, start=5), name="more.geojson"), mode="append")
    assert (result.inserted, result.quarantined) == (5, 5)
    with connect(db_settings) as conn:
        reasons = conn.execute(
            sql.SQL("SELECT DISTINCT reasons->0->>'rule' FROM {} WHERE batch_id = %s").format(
                layer_tables.quarantine_table(layer)
            ),
            (result.batch_id,),
        ).fetchall()
    assert reasons == [("key.exists",)]


def test_upsert_changes_only_what_changed_and_rollback_restores_row_for_row(db_settings, layer):
    write_batch(db_settings, delivery(layer, lamps(100)), mode="append")
    before = rows(db_settings, layer)
    changed = lamps(100)
    changed.loc[[3, 7], "cong_suat_w"] = 150
    changed.loc[11, "geometry"] = shapely.Point(551234, 1777999)
    extra = lamps(5, start=100)
    delivered = pd.concat([changed, extra], ignore_index=True)
    upsert = write_batch(db_settings, delivery(layer, delivered, name="v2.geojson"), mode="upsert")
    assert (upsert.updated, upsert.inserted, upsert.unchanged) == (3, 5, 97)
    after = rows(db_settings, layer)
    assert len(after) == 105
    assert next(r for r in after if r[0] == before[3][0])[2] == 150

    result = batches.rollback(
        db_settings, SimpleNamespace(get=lambda _id: layer, rasters={}), upsert.batch_id
    )
    assert result.undone == [upsert.batch_id]
    assert rows(db_settings, layer) == before
    assert batches.get_batch(db_settings, upsert.batch_id)["status"] == "rolled_back"


def test_replace_deletes_what_is_gone_and_rollback_undoes_later_batches_too(db_settings, layer):
    first = write_batch(db_settings, delivery(layer, lamps(20)), mode="append")
    original = rows(db_settings, layer)
    replace = write_batch(db_settings, delivery(layer, lamps(15, power=60), name="r.geojson"), mode="replace")
    assert (replace.deleted, replace.updated, replace.inserted) == (5, 15, 0)
    later = write_batch(db_settings, delivery(layer, lamps(3, start=500), name="l.geojson"), mode="append")
    assert len(rows(db_settings, layer)) == 18

    result = batches.rollback(
        db_settings, SimpleNamespace(get=lambda _id: layer, rasters={}), replace.batch_id
    )
    assert result.undone == [later.batch_id, replace.batch_id]
    assert rows(db_settings, layer) == original
    assert batches.get_batch(db_settings, first.batch_id)["status"] == "done"


def test_replace_keeps_rows_whose_new_version_was_quarantined(db_settings, layer):
    write_batch(db_settings, delivery(layer, lamps(10)), mode="append")
    reasons = [{"rule": "field.range", "severity": "error", "message": "too bright"}]
    result = write_batch(
        db_settings,
        delivery(layer, lamps(10, power=9999), name="bad.geojson", rejected={4: reasons}),
        mode="replace",
    )
    assert (result.quarantined, result.deleted, result.updated) == (1, 0, 9)
    assert len(rows(db_settings, layer)) == 10


def test_quarantine_holds_the_rejected_features_with_their_original_text(db_settings, layer):
    frame = lamps(6, note="Đường Trần Phú")
    reasons = {
        2: [{"rule": "field.code", "severity": "error", "field": "ghi_chu", "message": "x"}],
        5: [{"rule": "geometry.empty"}],
    }
    result = write_batch(db_settings, delivery(layer, frame, rejected=reasons), mode="append")
    assert (result.inserted, result.quarantined) == (4, 2)
    with connect(db_settings) as conn:
        stored = conn.execute(
            sql.SQL(
                "SELECT feature_index, attributes->>'GHI_CHU', reasons->0->>'rule', natural_key->>'ma_cot' FROM {} ORDER BY 1"
            ).format(layer_tables.quarantine_table(layer))
        ).fetchall()
    assert stored == [
        (2, "Đường Trần Phú", "field.code", "HC-000002"),
        (5, "Đường Trần Phú", "geometry.empty", "HC-000005"),
    ]


def test_duplicate_keys_in_one_delivery_go_to_quarantine(db_settings, layer):
    frame = pd.concat([lamps(5), lamps(2, start=1)], ignore_index=True)
    result = write_batch(db_settings, delivery(layer, frame), mode="append")
    assert (result.inserted, result.quarantined) == (3, 4)


def test_features_the_table_cannot_hold_go_to_quarantine_not_into_an_error(db_settings, layer):
    """Without validation (the Python API's write_batch): a missing key, a line in a point layer."""
    for existing in (0, 5):  # a first (bulk) load, then a load merged through the staging table
        frame = lamps(6, start=100 + 10 * existing)
        frame.loc[1, "ma_cot"] = None
        frame.loc[4, "geometry"] = shapely.LineString([(550000, 1777000), (550001, 1777001)])
        if existing:
            write_batch(db_settings, delivery(layer, lamps(existing)), mode="append")
        result = write_batch(db_settings, delivery(layer, frame, name=f"n{existing}.geojson"), mode="append")
        assert (result.inserted, result.quarantined) == (4, 2)
        with connect(db_settings) as conn:
            stored = conn.execute(
                sql.SQL(
                    "SELECT feature_index, reasons->0->>'rule' FROM {} WHERE batch_id = %s ORDER BY 1"
                ).format(layer_tables.quarantine_table(layer)),
                (result.batch_id,),
            ).fetchall()
        assert stored == [(1, "field.missing"), (4, "geometry.type")]
        with connect(db_settings) as conn:
            conn.execute(sql.SQL("TRUNCATE {}").format(layer_tables.table_name(layer)))


def test_a_first_load_records_its_inserts_as_one_run_and_rolls_back_to_an_empty_layer(db_settings, layer):
    reasons = {3: [{"rule": "field.code", "severity": "error", "message": "x"}]}
    first = write_batch(db_settings, delivery(layer, lamps(40), rejected=reasons), mode="upsert")
    assert (first.inserted, first.quarantined) == (39, 1)
    stored = rows(db_settings, layer)
    assert [r[1] for r in stored][:4] == ["HC-000000", "HC-000001", "HC-000002", "HC-000004"]
    with connect(db_settings) as conn:
        history = conn.execute(
            sql.SQL("SELECT op, fid, fid_last FROM {} WHERE batch_id = %s").format(
                layer_tables.history_table(layer)
            ),
            (first.batch_id,),
        ).fetchall()
    assert len(history) == 1 and history[0][0] == "I"
    assert all(history[0][1] <= r[0] <= history[0][2] for r in stored) and len(stored) == 39
    changed = lamps(41)
    changed.loc[[0, 1], "cong_suat_w"] = 7
    later = write_batch(db_settings, delivery(layer, changed, name="v2.geojson"), mode="upsert")
    assert (later.updated, later.inserted) == (2, 2)  # HC-000003 comes in now, and HC-000040
    catalog = SimpleNamespace(get=lambda _id: layer, rasters={})
    assert batches.rollback(db_settings, catalog, first.batch_id).undone == [later.batch_id, first.batch_id]
    assert rows(db_settings, layer) == []
    second = write_batch(db_settings, delivery(layer, lamps(2), name="again.geojson"), mode="append")
    assert second.inserted == 2 and indexes(db_settings, layer) == {"_pkey", "_geom_gist", "_natural_key"}


def test_dry_run_writes_nothing(db_settings, layer):
    result = write_batch(db_settings, delivery(layer, lamps(30)), mode="append", dry_run=True)
    assert (result.status, result.inserted) == ("dry_run", 30)
    assert rows(db_settings, layer) == []
    assert batches.list_batches(db_settings, layer=layer.id) == []


def test_injection_through_values_and_file_names_is_only_data(db_settings, layer):
    evil = "x'); DROP TABLE sdi_meta.batch; --"
    frame = lamps(3, note=evil)
    frame.loc[0, "ma_cot"] = "'; DELETE FROM sdi_data.test; --"
    result = write_batch(db_settings, delivery(layer, frame, name=f"{evil}.shp"), mode="append")
    assert result.inserted == 3
    stored = rows(db_settings, layer)
    assert stored[0][1] == "'; DELETE FROM sdi_data.test; --" and stored[1][3] == evil
    assert batches.get_batch(db_settings, result.batch_id)["file_name"] == f"{evil}.shp"


def test_a_second_load_into_the_same_layer_stops_clearly(db_settings, layer):
    with connect(db_settings) as holder, holder.transaction():
        holder.execute("SELECT pg_advisory_xact_lock(hashtext('danang_sdi.load:' || %s))", (layer.id,))
        with pytest.raises(LoadBusy, match=f"another load into {layer.id} is in progress"):
            write_batch(db_settings, delivery(layer, lamps(3)), mode="append")


def _start_big_load(db_settings, layer, copying: str = 'COPY "sdi_staging"%'):
    worker = subprocess.Popen(
        [sys.executable, "tests/helpers/load_worker.py", str(db_settings.home), layer.id, "400000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    with connect(db_settings, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            found = watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE %s AND state = 'active'", (copying,)
            ).fetchone()
            if found:
                return worker, found[0]
            if worker.poll() is not None:
                pytest.fail(f"the load finished before it could be interrupted: {worker.stderr.read()}")
            time.sleep(0.02)
    worker.kill()
    pytest.fail("the load never reached its COPY")


def _wait_backend_gone(db_settings, pid: int) -> None:
    with connect(db_settings, autocommit=True) as watcher:
        for _ in range(500):
            if not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
            time.sleep(0.02)


@pytest.mark.skipif(
    bool(__import__("os").environ.get("DANANG_SDI_DATABASE_URL")), reason="worker uses the private cluster"
)
def test_kill_9_mid_load_leaves_the_layer_as_before(db_settings, layer):
    write_batch(db_settings, delivery(layer, lamps(10)), mode="append")
    before = rows(db_settings, layer)
    worker, backend = _start_big_load(db_settings, layer)
    worker.kill()  # SIGKILL
    worker.wait()
    _wait_backend_gone(db_settings, backend)
    assert rows(db_settings, layer) == before
    statuses = [b["status"] for b in batches.list_batches(db_settings, layer=layer.id)]
    assert statuses == ["done"]  # the first load only; the killed one is absent


def indexes(settings, spec) -> set[str]:
    with connect(settings) as conn:
        found = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
            (layer_tables.DATA_SCHEMA, spec.id),
        ).fetchall()
    return {name.removeprefix(spec.id) for (name,) in found}


@pytest.mark.skipif(
    bool(__import__("os").environ.get("DANANG_SDI_DATABASE_URL")), reason="worker uses the private cluster"
)
def test_kill_9_mid_first_load_leaves_the_layer_empty_with_its_indexes(db_settings, layer):
    assert indexes(db_settings, layer) == {"_pkey", "_geom_gist", "_natural_key"}
    worker, backend = _start_big_load(db_settings, layer, copying=f'COPY "sdi_data"."{layer.id}"%')
    worker.kill()
    worker.wait()
    _wait_backend_gone(db_settings, backend)
    assert rows(db_settings, layer) == []
    assert indexes(db_settings, layer) == {"_pkey", "_geom_gist", "_natural_key"}
    assert batches.list_batches(db_settings, layer=layer.id) == []


@pytest.mark.skipif(
    bool(__import__("os").environ.get("DANANG_SDI_DATABASE_URL")), reason="worker uses the private cluster"
)
def test_lost_connection_mid_load_leaves_the_layer_as_before(db_settings, layer):
    write_batch(db_settings, delivery(layer, lamps(10)), mode="append")
    before = rows(db_settings, layer)
    worker, backend = _start_big_load(db_settings, layer)
    with connect(db_settings, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
    _out, err = worker.communicate(timeout=120)
    assert worker.returncode != 0
    assert "nothing was written" in err
    assert rows(db_settings, layer) == before
    statuses = [b["status"] for b in batches.list_batches(db_settings, layer=layer.id)]
    assert "done" not in statuses[:-1] and statuses[-1] == "done"
    assert set(statuses[:-1]) <= {"failed"}


def test_database_errors_name_the_file_and_layer(db_settings, layer):
    with connect(db_settings) as conn:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CHECK (cong_suat_w < 1000)").format(layer_tables.table_name(layer))
        )
    with pytest.raises(
        DatabaseError, match=r"loading lamps\.geojson into test_lamp_.* failed, nothing was written"
    ):
        write_batch(db_settings, delivery(layer, lamps(3, power=5000)), mode="append")
    assert rows(db_settings, layer) == []
    assert [b["status"] for b in batches.list_batches(db_settings, layer=layer.id)] == ["failed"]
