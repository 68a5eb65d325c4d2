"""``danang-sdi tiles build|extract``: the happy path and every bad input the issue names, one clear line each."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import osmium
import pytest

from danang_sdi.cli.main import cli
from danang_sdi.tiles.archive import TileArchive
from danang_sdi.tiles.grid import Tile, tile_bounds
from tests.helpers.tiles_fixtures import HAICHAU_PBF, Basemap, basemap

# Roughly the Hải Châu 1 ward around the Đà Nẵng cathedral: a small piece of the extract.
WARD_BBOX = "108.2180,16.0640,108.2240,16.0700"


@pytest.fixture(scope="module")
def pbf() -> Path:
    if not HAICHAU_PBF.is_file():
        pytest.skip(f"real OSM extract not found at {HAICHAU_PBF}")
    return HAICHAU_PBF


@pytest.fixture(scope="module")
def built(pbf: Path) -> Basemap:
    return basemap()


def run(runner, *args: object):
    return runner.invoke(cli, ["tiles", *map(str, args)])


def assert_one_line_error(result, phrase: str) -> None:
    assert result.exit_code != 0, result.output
    assert phrase in result.output, result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1, result.output


def test_build_writes_pmtiles_and_reports(runner, pbf, tmp_path):
    out = tmp_path / "hc.pmtiles"
    result = run(runner, "build", pbf, "-o", out, "--minzoom", 12, "--maxzoom", 14, "--processes", 1)
    assert result.exit_code == 0, result.output
    assert "tiles z12–z14" in result.output and out.is_file()
    assert {z for z, _, _, _ in TileArchive(out).tiles()} == {12, 13, 14}


def test_build_with_bbox_keeps_only_touching_tiles(runner, pbf, tmp_path):
    out = tmp_path / "ward.mbtiles"
    result = run(runner, "build", pbf, "-o", out, "--bbox", WARD_BBOX, "--minzoom", 14)
    assert result.exit_code == 0, result.output
    west, south, east, north = (float(v) for v in WARD_BBOX.split(","))
    for z, x, y, _ in TileArchive(out).tiles():
        box = tile_bounds(Tile(z, x, y))
        assert box.west <= east and box.east >= west and box.south <= north and box.north >= south


def test_not_a_pbf(runner, tmp_path):
    bad = tmp_path / "roads.osm.pbf"
    bad.write_text("<osm version='0.6'></osm>")
    assert_one_line_error(run(runner, "build", bad, "-o", tmp_path / "out.mbtiles"), "not an OSM PBF file")


def test_empty_file_and_empty_pbf(runner, tmp_path):
    empty = tmp_path / "empty.osm.pbf"
    empty.touch()
    assert_one_line_error(run(runner, "build", empty, "-o", tmp_path / "a.mbtiles"), "the file is empty")
    no_objects = tmp_path / "nothing.osm.pbf"
    osmium.SimpleWriter(str(no_objects)).close()
    assert_one_line_error(run(runner, "build", no_objects, "-o", tmp_path / "b.mbtiles"), "no map features")
    assert not (tmp_path / "b.mbtiles").exists() and not list(tmp_path.glob(".*partial"))


def test_truncated_pbf(runner, pbf, tmp_path):
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(pbf.read_bytes()[:5000])
    assert_one_line_error(run(runner, "build", cut, "-o", tmp_path / "out.mbtiles"), "osmium cannot read it")


def test_missing_input(runner, tmp_path):
    assert_one_line_error(
        run(runner, "build", tmp_path / "nope.osm.pbf", "-o", tmp_path / "o.mbtiles"), "no such file"
    )


def test_bbox_outside_the_data(runner, pbf, tmp_path):
    result = run(runner, "build", pbf, "-o", tmp_path / "out.mbtiles", "--bbox", "105.80,21.00,105.90,21.10")
    assert_one_line_error(result, "no features inside --bbox")
    assert "the data covers 108.1" in result.output


def test_malformed_bbox_is_a_usage_error(runner, pbf, tmp_path):
    result = run(runner, "build", pbf, "-o", tmp_path / "out.mbtiles", "--bbox", "108.2,16.0,108.3")
    assert result.exit_code == 2 and "west,south,east,north" in result.output


@pytest.mark.parametrize("suffix", ["out.mbtiles", "out.pmtiles", "outdir"])
def test_unwritable_output(runner, pbf, tmp_path, suffix):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert_one_line_error(run(runner, "build", pbf, "-o", blocker / suffix), "is a file, not a folder")
    assert_one_line_error(run(runner, "build", pbf, "-o", Path("/proc") / suffix), "cannot write")


def test_existing_output_needs_overwrite(runner, pbf, tmp_path):
    out = tmp_path / "out.mbtiles"
    out.write_text("keep me")
    assert_one_line_error(run(runner, "build", pbf, "-o", out), "pass --overwrite")
    assert out.read_text() == "keep me"


def test_extract_one_ward_by_bbox(runner, built, tmp_path):
    out = tmp_path / "ward.mbtiles"
    result = run(runner, "extract", built.mbtiles, out, "--bbox", WARD_BBOX)
    assert result.exit_code == 0, result.output
    full = {(z, x, y): data for z, x, y, data in TileArchive(built.mbtiles).tiles()}
    part = {(z, x, y): data for z, x, y, data in TileArchive(out).tiles()}
    assert 0 < len(part) < len(full) and all(full[key] == data for key, data in part.items())
    with sqlite3.connect(out) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
    assert meta["bounds"] == "108.218000,16.064000,108.224000,16.070000" and "vector_layers" in meta["json"]


def test_extract_by_boundary_file(runner, built, tmp_path):
    ward = tmp_path / "ward.geojson"
    ring = [[108.218, 16.064], [108.224, 16.064], [108.224, 16.070], [108.218, 16.064]]
    ward.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    out = tmp_path / "ward.pmtiles"
    result = run(runner, "extract", built.pmtiles, out, "--boundary", ward)
    assert result.exit_code == 0, result.output
    assert len(list(TileArchive(out).tiles())) > 0


def test_extract_bad_inputs(runner, built, tmp_path):
    assert_one_line_error(run(runner, "extract", built.mbtiles, tmp_path / "o.mbtiles"), "exactly one of")
    far = run(runner, "extract", built.mbtiles, tmp_path / "o.mbtiles", "--bbox", "105.80,21.00,105.90,21.10")
    assert_one_line_error(far, "no tile touches")
    assert_one_line_error(
        run(runner, "extract", tmp_path / "none.mbtiles", tmp_path / "o.mbtiles", "--bbox", WARD_BBOX),
        "no such tile archive",
    )
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "Point", "coordinates": [108.2, 16.0]}))
    assert_one_line_error(
        run(runner, "extract", built.mbtiles, tmp_path / "o.mbtiles", "--boundary", points), "no polygon"
    )
    utm = tmp_path / "utm.geojson"
    utm.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[550000, 1770000], [551000, 1770000], [551000, 1771000], [550000, 1770000]]],
            }
        )
    )
    assert_one_line_error(
        run(runner, "extract", built.mbtiles, tmp_path / "o.mbtiles", "--boundary", utm),
        "not longitude/latitude",
    )


def test_bad_zoom_range_and_reversed_bbox(runner, pbf, tmp_path):
    out = tmp_path / "out.mbtiles"
    assert_one_line_error(
        run(runner, "build", pbf, "-o", out, "--minzoom", 9, "--maxzoom", 3), "zoom range 9–3"
    )
    assert_one_line_error(run(runner, "build", pbf, "-o", out, "--maxzoom", 3), "raise --maxzoom")
    assert_one_line_error(
        run(runner, "build", pbf, "-o", out, "--bbox", "108.3,16.0,108.2,16.1"), "west < east"
    )
    assert not out.exists()
