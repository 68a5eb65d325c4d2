"""Our numpy geometry encoder against ``mapbox_vector_tile.encode`` itself, on the real extract's tiles."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from danang_sdi.tiles import shortbread as sb
from danang_sdi.tiles.build import plan_jobs
from danang_sdi.tiles.encode import encode_tile, geometry_commands, reference_encode
from danang_sdi.tiles.mvt import TileOptions, fields_by_zoom, tile_layers
from danang_sdi.tiles.osm import FeatureTable, read_features
from tests.helpers.tiles_fixtures import HAICHAU_PBF


@pytest.fixture(scope="module")
def table() -> FeatureTable:
    if not HAICHAU_PBF.is_file():
        pytest.skip(f"real OSM extract not found at {HAICHAU_PBF}")
    return read_features(HAICHAU_PBF)


def test_tiles_are_byte_identical_to_mapbox_vector_tile_encode(table):
    options, fields = TileOptions(), fields_by_zoom(table.layers, sb.MAXZOOM)
    jobs = plan_jobs(table, 10, 14, None, options.buffer)
    compared = 0
    for job in jobs:
        layers = tile_layers(table, job.z, job.x, job.y, job.rows, options, fields)
        if layers:
            assert encode_tile(layers) == reference_encode(layers), f"tile {job.z}/{job.x}/{job.y}"
            compared += 1
    assert compared >= 10


def test_polygon_winding_and_holes_survive_a_round_trip():
    square_with_hole = shapely.Polygon(
        [(10, 10), (10, 90), (90, 90), (90, 10)], [[(30, 30), (70, 30), (70, 70), (30, 70)]]
    )
    oriented = shapely.orient_polygons(square_with_hole, exterior_cw=False)
    two = shapely.MultiPolygon([oriented, shapely.orient_polygons(shapely.box(200, 200, 300, 300))])
    geometries = np.array([oriented, two], dtype=object)
    tile = encode_tile([("test", geometries, [{"n": 1}, {"n": 2}])])
    decoded = mapbox_vector_tile.decode(tile, default_options={"y_coord_down": True})["test"]["features"]
    first = shapely.geometry.shape(decoded[0]["geometry"])
    assert first.equals(square_with_hole) and first.area == 6400 - 1600
    assert shapely.geometry.shape(decoded[1]["geometry"]).equals(two)


def test_lines_and_points_commands():
    line = np.array([shapely.LineString([(1, 1), (3, 1), (3, 4)])], dtype=object)
    assert geometry_commands(line) == (2, [[9, 2, 2, 18, 4, 0, 0, 6]])  # MoveTo(1) +1,+1 LineTo(2) +2,0 0,+3
    points = np.array([shapely.Point(5, 7), shapely.MultiPoint([(1, 1), (2, 2)])], dtype=object)
    assert geometry_commands(points) == (1, [[9, 10, 14], [17, 2, 2, 2, 2]])


def test_broken_osm_polygons_are_repaired_not_dropped():
    from danang_sdi.tiles.osm import keep_one_dimension

    bow_tie = shapely.from_wkt("POLYGON((0 0, 10 10, 10 0, 0 10, 0 0))")
    assert keep_one_dimension(shapely.make_valid(bow_tie)).area == 50
    mixed = shapely.from_wkt("GEOMETRYCOLLECTION(POLYGON((0 0, 1 0, 1 1, 0 0)), LINESTRING(5 5, 6 6))")
    assert keep_one_dimension(mixed).geom_type == "Polygon"
