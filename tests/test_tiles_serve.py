"""The tile and viewer routes of ``danang-sdi serve`` (``publish.tiles_routes``) on the real Hải Châu base map,
through Flask's test client: headers, empty tiles, zoom limits, TileJSON, styles, HTTP Range, glyphs."""

from __future__ import annotations

import gzip
import json
import shutil

import mapbox_vector_tile
import pytest
from flask import Flask

from danang_sdi.cli.main import cli
from danang_sdi.publish import tiles_routes
from danang_sdi.publish.tiles_routes import MapFiles
from danang_sdi.tiles.archive import MBTilesWriter, TileArchive
from danang_sdi.tiles.overlay_style import overlay_layers
from tests.helpers.tiles_fixtures import HAICHAU_PBF, Basemap, basemap

TILE = (14, 13117, 7451)  # a tile of the extract with buildings and streets
EMPTY = (14, 13000, 7451)  # inside the zoom range, far from the extract


@pytest.fixture(scope="module")
def built() -> Basemap:
    if not HAICHAU_PBF.is_file():
        pytest.skip(f"real OSM extract not found at {HAICHAU_PBF}")
    return basemap()


def client_for(basemap_path, overlay_path, maplibre=None):
    app = Flask(__name__)
    tiles_routes.install(app, MapFiles(basemap=basemap_path, overlay=overlay_path, maplibre=maplibre))
    return app.test_client()


@pytest.fixture
def overlay_file(tmp_path):
    """A one-tile overlay with a point layer, as ``tiles overlay`` writes it (gzip MVT, MBTiles metadata)."""
    path = tmp_path / "overlay.mbtiles"
    writer = MBTilesWriter(path)
    tile = mapbox_vector_tile.encode([{"name": "street_light", "features": [{"geometry": "POINT(10 10)"}]}])
    writer.write(*TILE, gzip.compress(tile))
    vector_layers = [
        {"id": "street_light", "minzoom": 14, "maxzoom": 18, "fields": {}, "geometry_type": "Point"}
    ]
    writer.close(
        {"name": "overlay", "format": "pbf", "minzoom": "14", "maxzoom": "18", "bounds": "108.2,16.0,108.3,16.1",
         "center": "108.25,16.05,15", "json": json.dumps({"vector_layers": vector_layers})}
    )  # fmt: skip
    return path


@pytest.mark.parametrize("archive", ["mbtiles", "pmtiles", "directory"])
def test_tiles_of_each_archive_gzip_204_and_404(built, archive, tmp_path):
    client = client_for(getattr(built, archive), tmp_path / "none.mbtiles")
    response = client.get("/tiles/basemap/{}/{}/{}.pbf".format(*TILE), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert (
        response.headers["Content-Encoding"] == "gzip"
        and response.headers["Access-Control-Allow-Origin"] == "*"
    )
    layers = mapbox_vector_tile.decode(gzip.decompress(response.data))
    assert {"buildings", "streets"} <= set(layers)
    etag = response.headers["ETag"]
    again = client.get(
        "/tiles/basemap/{}/{}/{}.pbf".format(*TILE),
        headers={"If-None-Match": etag, "Accept-Encoding": "gzip"},
    )
    assert again.status_code == 304
    plain = client.get("/tiles/basemap/{}/{}/{}.pbf".format(*TILE))  # a client that takes no gzip
    assert "Content-Encoding" not in plain.headers and mapbox_vector_tile.decode(plain.data) == layers
    assert client.get("/tiles/basemap/{}/{}/{}.pbf".format(*EMPTY)).status_code == 204
    too_deep = client.get("/tiles/basemap/15/26234/14902.pbf")
    assert too_deep.status_code == 404 and "zooms 0–14" in too_deep.json["description"]
    assert client.get("/tiles/basemap/3/9/0.pbf").status_code == 404  # x outside the grid


def test_tilejson_and_style_use_absolute_urls_of_the_request(built, tmp_path):
    client = client_for(built.pmtiles, tmp_path / "none.mbtiles")
    document = client.get("/tiles/basemap.json", base_url="http://maps.example:8080").json
    assert document["tiles"] == ["http://maps.example:8080/tiles/basemap/{z}/{x}/{y}.pbf"]
    assert document["tilejson"] == "3.0.0" and document["maxzoom"] == 14
    style = client.get("/tiles/basemap/style.json", base_url="http://maps.example:8080").json
    assert style["sources"]["basemap"]["url"] == "http://maps.example:8080/tiles/basemap.json"
    assert style["glyphs"] == "http://maps.example:8080/map/fonts/{fontstack}/{range}.pbf"
    present = {layer["id"] for layer in document["vector_layers"]}
    assert {layer["source-layer"] for layer in style["layers"] if "source-layer" in layer} <= present


def test_pmtiles_archive_is_served_with_http_range(built, tmp_path):
    client = client_for(built.pmtiles, tmp_path / "none.mbtiles")
    whole = built.pmtiles.read_bytes()
    header = client.get("/tiles/basemap.pmtiles", headers={"Range": "bytes=0-126"})
    assert header.status_code == 206 and header.data == whole[:127]
    assert header.headers["Content-Range"] == f"bytes 0-126/{len(whole)}"
    assert header.headers["Accept-Ranges"] == "bytes" and header.data[:7] == b"PMTiles"
    middle = client.get("/tiles/basemap.pmtiles", headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206 and middle.data == whole[1000:2000]
    assert client.get("/tiles/basemap.pmtiles").data == whole
    beyond = client.get("/tiles/basemap.pmtiles", headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416
    assert client.get("/tiles/basemap.mbtiles").status_code == 404  # the archive is a .pmtiles


def test_map_style_puts_the_overlay_under_the_labels(built, overlay_file):
    client = client_for(built.pmtiles, overlay_file)
    style = client.get("/map/style.json").json
    assert set(style["sources"]) == {"basemap", "overlay"}
    ids = [layer["id"] for layer in style["layers"]]
    first_label = next(i for i, layer in enumerate(style["layers"]) if layer["type"] == "symbol")
    assert ids.index("overlay-street_light-point") < first_label
    assert style["center"] == [108.25, 16.05] and style["zoom"] == 15
    tile = client.get("/tiles/overlay/{}/{}/{}.pbf".format(*TILE), headers={"Accept-Encoding": "gzip"})
    assert "street_light" in mapbox_vector_tile.decode(gzip.decompress(tile.data))
    assert client.get("/tiles/overlay.json").json["vector_layers"][0]["geometry_type"] == "Point"


def test_overlay_layers_follow_geometry_and_zoom_range():
    layers = overlay_layers(
        [
            {"id": "lots", "geometry_type": "Polygon", "minzoom": 13, "maxzoom": 18},
            {"id": "roads", "geometry_type": "LineString"},
            {"id": "lights", "geometry_type": "Point", "minzoom": 15, "maxzoom": 16},
        ]
    )
    assert [(layer["id"], layer["type"]) for layer in layers] == [
        ("overlay-lots-fill", "fill"),
        ("overlay-lots-outline", "line"),
        ("overlay-roads-line", "line"),
        ("overlay-lights-point", "circle"),
    ]
    assert layers[-1]["maxzoom"] == 17  # MapLibre's maxzoom is exclusive: z16 tiles still show
    assert (
        len({layer["paint"].get("line-color") or layer["paint"].get("circle-color") for layer in layers[1:]})
        == 3
    )


def test_without_tiles_the_server_says_how_to_make_them(tmp_path):
    client = client_for(tmp_path / "basemap.pmtiles", tmp_path / "overlay.mbtiles")
    missing = client.get("/tiles/basemap.json")
    assert missing.status_code == 404 and "danang-sdi tiles build" in missing.json["description"]
    assert "danang-sdi tiles overlay" in client.get("/tiles/overlay/15/1/1.pbf").json["description"]
    style = client.get("/map/style.json").json
    assert style["version"] == 8 and style["sources"] == {} and style["layers"][0]["type"] == "background"
    viewer = client.get("/map/")
    assert viewer.status_code == 200 and b"maplibre-gl.js" in viewer.data
    script = client.get("/map/maplibre-gl.js")
    assert script.status_code == 404 and "scripts/bootstrap.sh" in script.json["description"]


def test_maplibre_files_come_from_the_npm_package_folder(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "maplibre-gl.js").write_text("var maplibregl = {};")
    (dist / "maplibre-gl.css").write_text(".maplibregl-map {}")
    client = client_for(tmp_path / "b.pmtiles", tmp_path / "o.mbtiles", maplibre=dist)
    script = client.get("/map/maplibre-gl.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript" and b"maplibregl" in script.data
    assert client.get("/map/maplibre-gl.css").mimetype == "text/css"
    assert client.get("/map/package.json").status_code == 404


def test_glyph_ranges_for_vietnamese_labels(tmp_path):
    client = client_for(tmp_path / "b.pmtiles", tmp_path / "o.mbtiles")
    for glyph_range in ("0-255", "256-511", "7680-7935"):
        response = client.get(f"/map/fonts/Noto Sans Regular/{glyph_range}.pbf")
        assert response.status_code == 200 and response.mimetype == "application/x-protobuf"
        assert len(response.data) > 10_000
    assert client.get("/map/fonts/Noto Sans Regular/0-511.pbf").status_code == 404
    assert client.get("/map/fonts/Noto Sans Regular/100-355.pbf").status_code == 404


def test_a_rebuilt_archive_is_served_without_restart(built, tmp_path):
    path = tmp_path / "basemap.mbtiles"
    shutil.copy(built.mbtiles, path)
    client = client_for(path, tmp_path / "o.mbtiles")
    assert client.get("/tiles/basemap.json").json["maxzoom"] == 14
    smaller = tmp_path / "smaller.mbtiles"
    writer = MBTilesWriter(smaller)
    for z, x, y, data in TileArchive(built.mbtiles).tiles():
        if z <= 12:
            writer.write(z, x, y, gzip.compress(data))
    writer.close({**TileArchive(built.mbtiles).metadata(), "maxzoom": "12"})
    smaller.replace(path)
    assert client.get("/tiles/basemap.json").json["maxzoom"] == 12
    assert client.get("/tiles/basemap/{}/{}/{}.pbf".format(*TILE)).status_code == 404


def test_serve_refuses_a_missing_tiles_archive(runner, tmp_path):
    result = runner.invoke(
        cli,
        ["serve", "--tiles", str(tmp_path / "nope.pmtiles"), "--config", str(tmp_path / "c.yml")],
        env={"DANANG_SDI_HOME": str(tmp_path)},
    )
    assert result.exit_code == 2 and "no such tile archive" in result.output
