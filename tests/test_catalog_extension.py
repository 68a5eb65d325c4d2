"""Adding a layer is adding a YAML file: the new layer appears in every command without any Python change."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pytest
import shapely
import yaml
from psycopg import sql

from danang_sdi.catalog import load_catalog
from danang_sdi.cli.main import cli
from danang_sdi.store import database
from tests.helpers.publish_data import database_settings

pytestmark = pytest.mark.postgis

BUS_STOP = {
    "id": "bus_stop",
    "name": {"vi": "Điểm dừng xe buýt", "en": "Bus stop"},
    "description": {"vi": "Điểm dừng, nhà chờ xe buýt công cộng", "en": "Public bus stops and shelters"},
    "group": "giao_thong",
    "owner": "SXD",
    "geometry": "Point",
    "storage_crs": "EPSG:5899",
    "update_frequency": "yearly",
    "natural_key": ["ma_diem"],
    "attributes": [
        {"name": "ma_diem", "title": {"vi": "Mã điểm dừng", "en": "Stop id"}, "type": "text", "required": True,
         "aliases": ["MaDiem", "MA_DIEM"]},
        {"name": "ten", "title": {"vi": "Tên", "en": "Name"}, "type": "text", "aliases": ["Ten", "TEN"]},
        {"name": "co_nha_cho", "title": {"vi": "Có nhà chờ", "en": "Has a shelter"}, "type": "boolean"},
    ],
    "checks": [{"rule": "geometry.outside"}, {"rule": "key.duplicate"}],
    "publish": {"ogcapi": True},
}  # fmt: skip


@pytest.fixture
def extended(tmp_path, db_settings):
    """A copy of the catalog with one more layer, a delivery for it, and a database of its own."""
    layers = tmp_path / "layers"
    shutil.copytree(load_catalog().path, layers)
    (layers / "bus_stop.yml").write_text(yaml.safe_dump(BUS_STOP, allow_unicode=True), encoding="utf-8")
    stops = gpd.GeoDataFrame(
        {"MaDiem": ["BS-01", "BS-02", "BS-03"], "Ten": ["Chợ Hàn", "Cầu Rồng", "Nhà hát Trưng Vương"],
         "co_nha_cho": [True, False, True]},
        geometry=shapely.points([550175, 550420, 550010], [1777138, 1776900, 1777500]),
        crs="EPSG:5899",
    )  # fmt: skip
    delivery = tmp_path / "diem_dung.geojson"
    stops.to_file(delivery, driver="GeoJSON")
    settings = database_settings(db_settings, "danang_sdi_extension_test")
    env = {
        "DANANG_SDI_LAYERS": str(layers),
        "DANANG_SDI_HOME": str(settings.home),
        "DANANG_SDI_DATABASE_URL": settings.database_url,
    }
    yield env, delivery, tmp_path
    with database.connect(settings, autocommit=True, database="postgres") as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            ("danang_sdi_extension_test",),
        )
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier("danang_sdi_extension_test"))
        )


def test_a_new_yaml_layer_reaches_every_command(runner, extended):
    env, delivery, tmp = extended
    listed = runner.invoke(cli, ["catalog", "list", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert any(entry["id"] == "bus_stop" for entry in json.loads(listed.output))

    init = runner.invoke(cli, ["db", "init"], env=env)
    assert init.exit_code == 0, init.output
    assert "sdi_data.bus_stop" in init.output

    checked = runner.invoke(cli, ["validate", str(delivery), "--layer", "bus_stop", "--lang", "en"], env=env)
    assert checked.exit_code == 0, checked.output
    assert "MaDiem→ma_diem" in checked.output

    loaded = runner.invoke(cli, ["load", str(delivery), "--layer", "bus_stop", "--lang", "en"], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "3 inserted" in loaded.output

    config = tmp / "pygeoapi-config.yml"
    published = runner.invoke(cli, ["publish", "config", "-o", str(config)], env=env)
    assert published.exit_code == 0, published.output
    resources = yaml.safe_load(config.read_text(encoding="utf-8"))["resources"]
    assert "bus_stop" in resources
    assert "Điểm dừng xe buýt" in json.dumps(resources["bus_stop"], ensure_ascii=False)
