"""The pygeoapi configuration generated from the catalog: content, validity, and the committed file."""

from __future__ import annotations

import datetime as dt
import importlib
import os
from dataclasses import replace

import pytest
from psycopg import sql

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Access
from danang_sdi.publish import config as publish_config
from danang_sdi.samples.deploy import load_samples
from danang_sdi.samples.parcels import generate_parcels
from danang_sdi.settings import PROJECT_DIR
from danang_sdi.store import database, schema
from tests.helpers.publish_data import database_settings, fill_layer

COMMITTED = PROJECT_DIR / "pygeoapi-config.yml"
SAMPLE_DATABASE = "danang_sdi_sample_deployment"
EPSG_5899 = "http://www.opengis.net/def/crs/EPSG/0/5899"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def config(catalog):
    return publish_config.build_config(catalog, {})


def test_one_collection_per_published_layer(catalog):
    layers = dict(catalog.layers)
    hidden = layers["bridge"]
    layers["bridge"] = hidden.model_copy(
        update={"publish": hidden.publish.model_copy(update={"ogcapi": False})}
    )
    resources = publish_config.build_config(replace(catalog, layers=layers), {})["resources"]
    assert "bridge" not in resources
    assert set(resources) == {layer.id for layer in catalog if layer.id != "bridge"}


def test_collection_is_bilingual_with_crs_and_our_provider(config, catalog):
    parcel = config["resources"]["cadastral_parcel"]
    assert parcel["title"] == {"vi": "Thửa đất địa chính", "en": "Cadastral parcel"}
    assert config["server"]["languages"] == ["vi", "en"]
    assert "VBDLIS" in parcel["keywords"]["vi"]
    provider = parcel["providers"][0]
    assert provider["storage_crs"] == EPSG_5899
    assert provider["crs"] == [
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "http://www.opengis.net/def/crs/EPSG/0/3857",
        EPSG_5899,
    ]
    assert provider["id_field"] == "fid" and provider["table"] == "cadastral_parcel"
    module, _, name = provider["name"].rpartition(".")
    assert getattr(importlib.import_module(module), name).__name__ == "CatalogPostgreSQLProvider"
    assert provider["data"]["user"] == "sdi_reader"
    assert provider["data"]["password"] == "${DANANG_SDI_READER_PASSWORD}"


def test_fields_are_the_public_attributes_with_catalog_types(config, catalog):
    layer = catalog.get("cadastral_parcel")
    fields = config["resources"]["cadastral_parcel"]["providers"][0]["fields"]
    public = [a.name for a in layer.attributes if a.access is Access.public]
    assert list(fields) == ["fid", *public]
    assert {"ten_chu", "so_cccd", "so_giay_chung_nhan"}.isdisjoint(fields)
    assert fields["so_to"]["type"] == "integer" and fields["so_to"]["minimum"] == 1
    assert fields["ngay_cap_nhat"]["format"] == "date"
    assert fields["dien_tich"]["x-ogc-unit"] == "m2"
    assert fields["ma_xa"]["enum"] == list(
        dict.fromkeys(c.code for c in catalog.code_list("admin_unit").codes)
    )
    assert "enum" not in fields["loai_dat"]  # several codes per value ("ODT+CLN")
    assert fields["so_to"]["title"] == {"vi": "Số hiệu tờ bản đồ", "en": "Map sheet number"}


def test_temporal_extent_only_where_the_layer_has_one(config):
    resources = config["resources"]
    assert resources["admin_commune"]["extents"]["temporal"] == {"begin": None, "end": None}
    assert resources["admin_commune"]["providers"][0]["temporal"] == {
        "start": "hieu_luc_tu",
        "end": "hieu_luc_den",
    }
    assert "temporal" not in resources["cadastral_parcel"]["extents"]


def test_empty_layer_gets_the_city_extent(config, catalog):
    bbox = config["resources"]["cadastral_parcel"]["extents"]["spatial"]["bbox"]
    assert bbox == catalog.info.extra["extent"]["mainland"]["bbox"]


def test_generated_config_passes_pygeoapi_schema(config):
    publish_config.validate(config)
    text = publish_config.to_yaml(config)
    assert "${DANANG_SDI_READER_PASSWORD}" in text


@pytest.mark.postgis
def test_extents_measured_from_the_data(db_settings, catalog):
    settings = database_settings(db_settings, "danang_sdi_publish_extent")
    schema.init_database(settings, catalog)
    parcels = generate_parcels(60, seed=3)
    fill_layer(settings, catalog.get("cadastral_parcel"), parcels)
    wards = parcels.head(2)[["geometry"]].assign(
        ma_xa=["20227", "20242"],
        ten=["A", "B"],
        loai=["phuong", "phuong"],
        ma_tinh=["48", "48"],
        hieu_luc_tu=[dt.date(2008, 1, 1), dt.date(2025, 7, 1)],
        hieu_luc_den=[dt.date(2025, 6, 30), None],
    )
    fill_layer(settings, catalog.get("admin_commune"), wards)
    extents = publish_config.measure_extents(settings, catalog)
    minx, miny, maxx, maxy = extents["cadastral_parcel"].bbox
    true = parcels.to_crs("OGC:CRS84").total_bounds
    assert minx <= true[0] and miny <= true[1] and true[2] <= maxx and true[3] <= maxy  # contains the data
    assert max(true[0] - minx, true[1] - miny, maxx - true[2], maxy - true[3]) < 5e-4  # ... within ~50 m
    assert all(round(v, 4) == v for v in (minx, miny, maxx, maxy))
    assert extents["admin_commune"].begin == dt.datetime(2008, 1, 1, tzinfo=dt.UTC)
    assert extents["admin_commune"].end is None  # one ward is still valid
    assert extents["bridge"].bbox is None


def sample_deployment(db_settings):
    """The sample deployment the committed file is made for: a fresh database holding the clean samples."""
    settings = database_settings(db_settings, SAMPLE_DATABASE)
    with database.connect(settings, autocommit=True, database="postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(SAMPLE_DATABASE)))
    settings = database_settings(db_settings, SAMPLE_DATABASE)
    catalog = load_catalog(settings.layers_dir)
    schema.init_database(settings, catalog)
    load_samples(settings, catalog)
    return settings, catalog


@pytest.mark.postgis
def test_committed_config_is_current(db_settings, tmp_path):
    """Regenerate for the sample deployment; DANANG_SDI_UPDATE_CONFIG=1 rewrites the committed file."""
    settings, catalog = sample_deployment(db_settings)
    target = COMMITTED if os.environ.get("DANANG_SDI_UPDATE_CONFIG") == "1" else tmp_path / "config.yml"
    publish_config.generate(settings, catalog, target, overwrite=True)
    assert COMMITTED.exists(), "pygeoapi-config.yml is missing: run this test with DANANG_SDI_UPDATE_CONFIG=1"
    assert target.read_text() == COMMITTED.read_text(), (
        "pygeoapi-config.yml is out of date with the catalog: run "
        "'DANANG_SDI_UPDATE_CONFIG=1 pytest tests/test_publish_config.py -k committed' and commit it"
    )
