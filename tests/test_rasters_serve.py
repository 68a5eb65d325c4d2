"""The DEM end to end as a planner gets it: ``danang-sdi load`` the real SRTM file, ``danang-sdi publish config``,
``danang-sdi serve``, then ``/collections/dem/coverage`` over HTTP (CoverageJSON and GeoTIFF).

Everything lives apart from the other tests: a database of its own in the test cluster (so the real layer id
``dem`` can be used) and a temporary home holding the COG; the server is stopped by its PID.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import requests
import yaml
from click.testing import CliRunner
from rasterio.io import MemoryFile

from danang_sdi.catalog import load_catalog
from danang_sdi.cli.main import cli
from danang_sdi.publish import views
from danang_sdi.store.database import connect
from danang_sdi.store.schema import init_database
from tests.helpers.publish_data import database_settings
from tests.helpers.serve_process import serving

pytestmark = pytest.mark.postgis
DATABASE = "danang_sdi_rasters_test"
DEM = "dem-srtm-danang/danang_srtm_gl1.tif"
SON_TRA = [108.25, 16.09, 108.30, 16.13]  # the Sơn Trà peninsula: about 700 m at its summit


@pytest.fixture(scope="module")
def published(db_settings, shared_data, tmp_path_factory) -> Iterator[tuple[dict[str, str], Path]]:
    """The DEM loaded into ``dem`` and the configuration written, by the CLI; yields (env, config path)."""
    work = tmp_path_factory.mktemp("dem-serve")
    shared = database_settings(db_settings, DATABASE)
    settings = replace(shared, home=work / "home")
    password = views.password_file(db_settings)
    views.reader_password(db_settings)  # the role's password is shared by every test server: never a new one
    (settings.home / "pg").mkdir(parents=True)
    shutil.copy(password, settings.home / "pg" / password.name)
    catalog = load_catalog(settings.layers_dir)
    init_database(settings, catalog)
    with connect(settings) as conn:
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = 'dem'")  # left by an interrupted run
    env = {
        "DANANG_SDI_HOME": str(settings.home),
        "DANANG_SDI_DATABASE_URL": settings.database_url,
        "DANANG_SDI_LAYERS": str(settings.layers_dir),
    }
    runner = CliRunner()
    loaded = runner.invoke(cli, ["load", str(shared_data / DEM), "--layer", "dem", "--lang", "en"], env=env)
    assert loaded.exit_code == 0, loaded.output
    config = work / "pygeoapi-config.yml"
    written = runner.invoke(cli, ["publish", "config", "-o", str(config)], env=env)
    assert written.exit_code == 0, written.output
    yield env, config
    with connect(settings) as conn:
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = 'dem'")
    shutil.rmtree(settings.home, ignore_errors=True)


def test_publish_config_adds_the_loaded_dem_as_a_coverage(published) -> None:
    env, config = published
    resources = yaml.safe_load(config.read_text(encoding="utf-8"))["resources"]
    provider = resources["dem"]["providers"][0]
    assert (provider["type"], provider["name"]) == ("coverage", "rasterio")
    assert provider["data"] == str(Path(env["DANANG_SDI_HOME"]) / "rasters" / "dem" / "current.tif")
    assert resources["dem"]["title"]["en"] == "Digital elevation model"
    assert "orthophoto" not in resources  # never loaded, so not published
    assert "cadastral_parcel" in resources  # the vector layers are still there


@pytest.fixture(scope="module")
def server(published, tmp_path_factory) -> Iterator[str]:
    """``danang-sdi serve`` on a free port, exactly as in production; stopped by its PID."""
    env, config = published
    log = tmp_path_factory.mktemp("dem-serve-log") / "server.log"
    with serving(config, env, log) as url:
        yield url


def test_the_dem_collection_is_listed_with_its_extent(server: str) -> None:
    collection = requests.get(f"{server}/collections/dem", params={"f": "json"}, timeout=60)
    assert collection.status_code == 200, collection.text[:300]
    body = collection.json()
    west, south, east, north = body["extent"]["spatial"]["bbox"][0]
    assert 108.0 < west < 108.1 and 15.8 < south < 15.9 and 108.3 < east < 108.4 and 16.1 < north < 16.2
    assert any(link["href"].split("?")[0].endswith("/collections/dem/coverage") for link in body["links"])


def test_coverage_as_coveragejson_holds_son_tra_elevations(server: str) -> None:
    bbox = ",".join(map(str, SON_TRA))
    response = requests.get(
        f"{server}/collections/dem/coverage", params={"f": "json", "bbox": bbox}, timeout=60
    )
    assert response.status_code == 200, response.text[:300]
    coverage = response.json()
    assert coverage["type"] == "Coverage"
    values = np.array([v for v in next(iter(coverage["ranges"].values()))["values"] if v is not None])
    assert len(values) > 100
    assert 550 < values.max() < 720 and values.min() < 50  # the summit, and the shore


def test_coverage_as_geotiff_is_in_the_storage_crs(server: str) -> None:
    bbox = ",".join(map(str, SON_TRA))
    response = requests.get(
        f"{server}/collections/dem/coverage", params={"f": "GTiff", "bbox": bbox}, timeout=60
    )
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("image/tiff")
    with MemoryFile(response.content) as memory, memory.open() as tiff:
        assert tiff.crs.to_epsg() == 5899 and tiff.dtypes[0] == "float32" and tiff.nodata == -9999
        assert 550 < tiff.read(1, masked=True).max() < 720
        west, south, east, north = tiff.bounds
        assert 553_000 < west < 557_000 and 1_777_000 < south < 1_781_000  # Sơn Trà in VN-2000 / TM-3
        assert east - west < 7_000 and north - south < 6_000
