"""A real OGC API server on 127.0.0.1 for the conformance and client tests, started once per session.

Its data live in a database of their own in the test cluster (``danang_sdi_publish_test``), so the loader's
tests can truncate the shared tables at the same time without disturbing these. The server runs exactly as
in production: ``danang-sdi publish config`` then ``danang-sdi serve`` (gunicorn), stopped by its PID.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pytest
import requests
import shapely

from danang_sdi.catalog import Catalog, load_catalog
from danang_sdi.publish import config as publish_config
from danang_sdi.samples.parcels import generate_parcels
from danang_sdi.settings import Settings
from danang_sdi.store import database, schema
from tests.helpers.publish_data import database_settings, fill_layer
from tests.helpers.serve_process import serving

PARCELS = 2000
PARCEL_SEED = 7


@dataclass
class OgcServer:
    url: str
    log: Path
    settings: Settings = field(repr=False)
    catalog: Catalog = field(repr=False)
    parcels: gpd.GeoDataFrame = field(repr=False)  # what was loaded, restricted attributes included
    communes: gpd.GeoDataFrame = field(repr=False)

    def get(self, path: str, params: dict | None = None, **kwargs) -> requests.Response:
        return requests.get(f"{self.url}{path}", params=params, timeout=60, **kwargs)

    def json(self, path: str, params: dict | None = None) -> dict:
        response = self.get(path, params)
        assert response.status_code == 200, f"{path} {params}: {response.status_code} {response.text[:300]}"
        return response.json()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def count(self, query: str, params: tuple = ()) -> int:
        with database.connect(self.settings) as conn:
            return conn.execute(query, params).fetchone()[0]


def communes() -> gpd.GeoDataFrame:
    """Four ward polygons near city hall: two valid until 30/6/2025, two from 1/7/2025 on."""
    boxes = [shapely.box(549000 + i * 400, 1776500, 549400 + i * 400, 1776900) for i in range(4)]
    return gpd.GeoDataFrame(
        {
            "ma_xa": ["20227", "20230", "20242", "20233"],
            "ten": ["Thanh Bình", "Thuận Phước", "Hải Châu", "Thạch Thang"],
            "loai": ["phuong"] * 4,
            "ma_tinh": ["48"] * 4,
            "hieu_luc_tu": [
                dt.date(2008, 1, 1),
                dt.date(2008, 1, 1),
                dt.date(2025, 7, 1),
                dt.date(2025, 7, 1),
            ],
            "hieu_luc_den": [dt.date(2025, 6, 30), dt.date(2025, 6, 30), None, None],
        },
        geometry=boxes,
        crs="EPSG:5899",
    )


@pytest.fixture(scope="session")
def ogc_server(db_settings: Settings, tmp_path_factory) -> Iterator[OgcServer]:
    settings = database_settings(db_settings)
    catalog = load_catalog(settings.layers_dir)
    schema.init_database(settings, catalog)
    parcels = generate_parcels(PARCELS, seed=PARCEL_SEED)
    fill_layer(settings, catalog.get("cadastral_parcel"), parcels)
    wards = communes()
    fill_layer(settings, catalog.get("admin_commune"), wards)

    work = tmp_path_factory.mktemp("ogc-server")
    config_path = publish_config.generate(settings, catalog, work / "pygeoapi-config.yml").path
    log = work / "server.log"
    env = {"DANANG_SDI_HOME": str(settings.home), "DANANG_SDI_DATABASE_URL": settings.database_url}
    with serving(config_path, env, log, workers=2) as url:
        yield OgcServer(url, log, settings, catalog, parcels, wards)
