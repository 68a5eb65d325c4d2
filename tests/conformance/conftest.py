"""A real OGC API server on 127.0.0.1 for the conformance and client tests, started once per session.

Its data live in a database of their own in the test cluster (``danang_sdi_publish_test``), so the loader's
tests can truncate the shared tables at the same time without disturbing these. The server runs exactly as
in production: ``danang-sdi publish config`` then ``danang-sdi serve`` (gunicorn), stopped by its PID.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
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

PARCELS = 2000
PARCEL_SEED = 7
STARTUP_SECONDS = 60


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/conformance", timeout=15).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still importing pygeoapi
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer within {STARTUP_SECONDS} s: {log.read_text()[-2000:]}")


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
    port = _free_port()
    log = work / "server.log"
    env = {
        **os.environ,
        "DANANG_SDI_HOME": str(settings.home),
        "DANANG_SDI_DATABASE_URL": settings.database_url,
        "DANANG_SDI_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    command = [str(Path(sys.executable).parent / "danang-sdi"), "serve", "--config", str(config_path)]
    command += ["--port", str(port), "--workers", "2"]
    with log.open("w") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield OgcServer(url, log, settings, catalog, parcels, wards)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
