"""The map viewer in a real browser: ``danang-sdi serve`` (gunicorn) with the Hải Châu base map and the
overlay of the loaded samples, opened in Debian's headless Chromium (driven by Playwright, no browser
download). The map must become idle with no console error and draw features of the base map and of at
least three of the city's layers, labels included (glyphs made by the server)."""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import pytest
import requests

from danang_sdi.catalog import load_catalog
from danang_sdi.publish import config as publish_config
from danang_sdi.publish.tiles_routes import find_maplibre
from danang_sdi.samples.deploy import SAMPLES_DIR
from danang_sdi.store.ingest import load_file
from danang_sdi.tiles.archive import TileArchive
from danang_sdi.tiles.build import build_tiles
from danang_sdi.tiles.overlay import build_overlay
from tests.helpers.overlay_data import sample_database
from tests.helpers.serve_process import serving
from tests.helpers.tiles_fixtures import HAICHAU_PBF

pytestmark = [pytest.mark.postgis, pytest.mark.slow]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DATABASE = "danang_sdi_map_test"


class MapServer:
    def __init__(self, url: str, home: Path, settings, log: Path) -> None:
        self.url, self.home, self.settings, self.log = url, home, settings, log

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=30, **kwargs)


@pytest.fixture(scope="module")
def server(db_settings, tmp_path_factory):
    if not shutil.which(str(CHROMIUM)):
        pytest.skip(
            f"Debian's chromium is not installed at {CHROMIUM} (scripts/bootstrap.sh --test installs it)"
        )
    if not HAICHAU_PBF.is_file():
        pytest.skip(f"real OSM extract not found at {HAICHAU_PBF}")
    work = tmp_path_factory.mktemp("map-viewer")
    home = work / "home"
    catalog = load_catalog()
    settings = sample_database(db_settings, catalog, DATABASE, home)
    assert find_maplibre(settings) is not None, "maplibre-gl is not installed: run scripts/bootstrap.sh"
    (home / "tiles").mkdir()
    build_tiles(HAICHAU_PBF, home / "tiles" / "basemap.pmtiles", processes=1)
    build_overlay(settings, catalog)
    config = publish_config.generate(settings, catalog, work / "pygeoapi-config.yml").path
    log = work / "server.log"
    env = {"DANANG_SDI_HOME": str(home), "DANANG_SDI_DATABASE_URL": settings.database_url}
    with serving(config, env, log) as url:
        yield MapServer(url, home, settings, log)


def test_tiles_tilejson_and_the_pmtiles_archive_over_http(server):
    tilejson = server.get("/tiles/overlay.json").json()
    assert tilejson["tiles"] == [f"{server.url}/tiles/overlay/{{z}}/{{x}}/{{y}}.pbf"]
    z, x, y, _data = next(
        t for t in TileArchive(server.home / "tiles" / "overlay.mbtiles").tiles() if t[0] == 16
    )
    tile = server.get(f"/tiles/overlay/{z}/{x}/{y}.pbf", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert tile.status_code == 200 and tile.headers["Content-Encoding"] == "gzip"
    assert mapbox_vector_tile.decode(gzip.decompress(tile.raw.read()))
    archive = (server.home / "tiles" / "basemap.pmtiles").read_bytes()
    header = server.get("/tiles/basemap.pmtiles", headers={"Range": "bytes=0-126"})
    assert header.status_code == 206 and header.content == archive[:127]
    assert header.headers["Content-Range"] == f"bytes 0-126/{len(archive)}"
    assert server.get("/tiles/basemap/15/0/0.pbf").status_code == 404
    assert server.get("/collections?f=json").status_code == 200  # OGC API Features is still there


def test_viewer_draws_base_map_and_city_layers_without_console_errors(server, tmp_path):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    fonts: list[int] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a new, empty user data dir
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport={"width": 1024, "height": 768},
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on("response", lambda r: fonts.append(r.status) if "/map/fonts/" in r.url else None)
            page.goto(f"{server.url}/map/")
            page.wait_for_function("() => typeof map !== 'undefined' && map.loaded()", timeout=60_000)
            page.evaluate("() => new Promise((done) => { map.once('idle', done); map.triggerRepaint(); })")
            rendered = page.evaluate(
                "() => map.queryRenderedFeatures().map((f) => [f.source, f.sourceLayer, f.layer.type])"
            )
            shot = page.screenshot()
        finally:
            context.close()
    assert not problems, problems
    layers = {(source, layer) for source, layer, _kind in rendered}
    overlay = {layer for source, layer in layers if source == "overlay"}
    basemap = {layer for source, layer in layers if source == "basemap"}
    assert len(overlay) >= 3, overlay
    assert {"buildings", "streets"} <= basemap, basemap
    assert any(kind == "symbol" for _s, _l, kind in rendered), "no label was placed"
    assert fonts and set(fonts) == {200}
    colours = Image.open(io.BytesIO(shot)).convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 500  # a drawn map, not a blank page


def test_a_load_reaches_the_served_overlay_without_a_restart(server, tmp_path):
    catalog = load_catalog()
    archive = server.home / "tiles" / "overlay.mbtiles"
    keys = [(z, x, y) for z, x, y, _d in TileArchive(archive).tiles() if z == 18]
    before = {key: server.get("/tiles/overlay/{}/{}/{}.pbf".format(*key)).headers["ETag"] for key in keys}
    parcels = gpd.read_file(SAMPLES_DIR / "parcels_clean.gpkg").iloc[:2].copy()
    parcels["loai_dat"] = "TMD"
    parcels.to_file(tmp_path / "two_parcels.gpkg")
    outcome = load_file(
        server.settings, tmp_path / "two_parcels.gpkg", "cadastral_parcel", "upsert", catalog=catalog
    )
    assert outcome.batch.status == "done"
    after = {key: server.get("/tiles/overlay/{}/{}/{}.pbf".format(*key)).headers["ETag"] for key in keys}
    changed = [key for key in keys if before[key] != after[key]]
    assert 0 < len(changed) < len(keys)
