"""``danang-sdi load`` end to end on the committed sample deliveries, against the real PostGIS."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import yaml
from psycopg import sql

from danang_sdi.catalog import load_catalog
from danang_sdi.cli.main import cli
from danang_sdi.settings import PROJECT_DIR
from danang_sdi.store import layer_tables
from danang_sdi.store.database import connect
from danang_sdi.store.schema import init_database

pytestmark = pytest.mark.postgis
SAMPLES = PROJECT_DIR / "data_samples"
MANIFEST = yaml.safe_load((SAMPLES / "manifest.yml").read_text(encoding="utf-8"))["files"]


@pytest.fixture
def empty_parcels(db_settings):
    """The catalog's tables, with cadastral_parcel and its batches emptied before and after."""
    catalog = load_catalog()
    init_database(db_settings, catalog)
    layer = catalog.get("cadastral_parcel")

    def wipe() -> None:
        with connect(db_settings) as conn:
            for table in (layer_tables.table_name, layer_tables.history_table, layer_tables.quarantine_table):
                conn.execute(sql.SQL("TRUNCATE {}").format(table(layer)))
            conn.execute("DELETE FROM sdi_meta.batch WHERE layer = 'cadastral_parcel'")

    wipe()
    yield layer
    wipe()


def count(db_settings, layer, table=layer_tables.table_name) -> int:
    with connect(db_settings) as conn:
        return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table(layer))).fetchone()[0]


def invoke(runner, db_env, *args):
    return runner.invoke(cli, ["load", *args, "--lang", "en"], env=db_env)


def test_clean_delivery_loads_whole_and_rolls_back(runner, db_env, db_settings, empty_parcels):
    result = invoke(runner, db_env, str(SAMPLES / "parcels_clean.gpkg"), "--layer", "cadastral_parcel")
    assert result.exit_code == 0, result.output
    features = MANIFEST["parcels_clean.gpkg"]["features"]
    assert f"{features:,} inserted, 0 updated, 0 unchanged, 0 deleted, 0 quarantined" in result.output
    assert count(db_settings, empty_parcels) == features

    listed = runner.invoke(
        cli, ["batches", "list", "--format", "json", "--layer", "cadastral_parcel"], env=db_env
    )
    batch = json.loads(listed.output)[0]
    assert (batch["status"], batch["inserted"], batch["file_name"]) == (
        "done",
        features,
        "parcels_clean.gpkg",
    )

    again = invoke(runner, db_env, str(SAMPLES / "parcels_clean.gpkg"), "--layer", "cadastral_parcel")
    assert again.exit_code == 0 and "already loaded" in again.output

    rolled = runner.invoke(cli, ["batches", "rollback", str(batch["id"]), "--yes"], env=db_env)
    assert rolled.exit_code == 0, rolled.output
    assert "restored to what it was before batch" in rolled.output
    assert count(db_settings, empty_parcels) == 0


def test_quarantine_holds_exactly_the_features_reported_as_errors(
    runner, db_env, db_settings, empty_parcels, tmp_path
):
    report_path = tmp_path / "report.json"
    result = invoke(
        runner, db_env, str(SAMPLES / "parcels_defects.gpkg"), "--layer", "cadastral_parcel",
        "--accept-warnings", "--json", str(report_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text(encoding="utf-8"))
    error_features = {i["feature"] for i in report["issues"] if i["severity"] == "error"}
    with connect(db_settings) as conn:
        quarantined = {
            r[0]
            for r in conn.execute(
                sql.SQL("SELECT feature_index FROM {}").format(layer_tables.quarantine_table(empty_parcels))
            )
        }
    assert quarantined == error_features
    assert count(db_settings, empty_parcels) == MANIFEST["parcels_defects.gpkg"]["features"] - len(
        error_features
    )


def test_legacy_text_is_stored_converted_and_quarantine_keeps_the_original_bytes(
    runner, db_env, db_settings, empty_parcels
):
    result = invoke(
        runner, db_env, str(SAMPLES / "parcels_tcvn3.shp"), "--layer", "cadastral_parcel", "--accept-warnings"
    )
    assert result.exit_code == 0, result.output
    with connect(db_settings) as conn:
        addresses = [
            r[0]
            for r in conn.execute("SELECT dia_chi FROM sdi_data.cadastral_parcel WHERE dia_chi IS NOT NULL")
        ]
        encoding = conn.execute(
            "SELECT source_encoding FROM sdi_meta.batch WHERE layer = 'cadastral_parcel'"
        ).fetchone()[0]
    clean = gpd.read_file(SAMPLES / "parcels_clean.gpkg")
    assert sorted(addresses) == sorted(clean["dia_chi"].dropna())
    assert "TCVN3" in encoding.upper()


def test_warnings_are_refused_without_accept_warnings(runner, db_env, db_settings, empty_parcels):
    result = invoke(runner, db_env, str(SAMPLES / "parcels_defects.gpkg"), "--layer", "cadastral_parcel")
    assert result.exit_code == 1
    assert "was not loaded into cadastral_parcel" in result.output and "--accept-warnings" in result.output
    assert count(db_settings, empty_parcels) == 0


def test_strict_refuses_a_delivery_with_errors(runner, db_env, db_settings, empty_parcels):
    result = invoke(
        runner, db_env, str(SAMPLES / "parcels_defects.gpkg"), "--layer", "cadastral_parcel", "--strict",
        "--accept-warnings",
    )  # fmt: skip
    assert result.exit_code == 1 and "--strict is set" in result.output
    assert count(db_settings, empty_parcels) == 0


def test_dry_run_and_upsert(runner, db_env, db_settings, empty_parcels):
    clean = str(SAMPLES / "parcels_clean.gpkg")
    dry = invoke(runner, db_env, clean, "--layer", "cadastral_parcel", "--dry-run")
    assert dry.exit_code == 0 and "dry run, nothing written" in dry.output
    assert count(db_settings, empty_parcels) == 0
    invoke(runner, db_env, clean, "--layer", "cadastral_parcel")
    same = invoke(
        runner,
        db_env,
        str(SAMPLES / "parcels_delivery.zip"),
        "--layer",
        "cadastral_parcel",
        "--mode",
        "upsert",
    )
    assert same.exit_code == 0, same.output
    assert "0 inserted, 0 updated, 300 unchanged" in same.output


def test_unreadable_input_exits_2(runner, db_env, tmp_path):
    empty = tmp_path / "empty.shp"
    empty.write_bytes(b"")
    result = invoke(runner, db_env, str(empty), "--layer", "cadastral_parcel")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "empty.shp" in result.output
