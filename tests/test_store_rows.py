"""A delivery as the rows a layer table holds: geometry in its stored form, and what cannot be stored."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from danang_sdi.catalog.models import Layer
from danang_sdi.settings import PROJECT_DIR
from danang_sdi.store import rows
from tests.helpers.loader_fixtures import TEST_LAYER, lamps, make_layer

CLOCKWISE = shapely.Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])
WITH_Z = shapely.Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5), (0, 0, 5)])
SAMPLES = PROJECT_DIR / "data_samples"


def polygon_layer() -> Layer:
    return Layer.model_validate({**TEST_LAYER, "id": "test_plot", "geometry": "MultiPolygon"})


def test_single_parts_become_one_part_multis_in_2d_and_counter_clockwise():
    layer = polygon_layer()
    delivered = np.array([CLOCKWISE, shapely.MultiPolygon([CLOCKWISE]), WITH_Z], dtype=object)
    stored = shapely.from_wkb(
        np.array(rows.wkb(layer, rows.stored_geometry(layer, delivered)).to_pylist(), dtype=object)
    )
    assert shapely.get_type_id(stored).tolist() == [6, 6, 6]
    assert not shapely.has_z(stored).any()
    assert shapely.equals(stored[0], CLOCKWISE) and shapely.equals(stored[2], shapely.force_2d(WITH_Z))
    assert all(shapely.is_ccw(shapely.get_exterior_ring(shapely.get_geometry(g, 0))) for g in stored)


def test_a_one_part_multi_is_stored_as_the_single_type_a_layer_asks_for():
    layer = make_layer()
    stored = rows.stored_geometry(layer, np.array([shapely.MultiPoint([(1, 2)]), shapely.Point(3, 4)]))
    assert [g.wkt for g in stored] == ["POINT (1 2)", "POINT (3 4)"]


def test_unstorable_names_each_feature_the_table_would_refuse():
    frame = lamps(5)
    frame.loc[1, "ma_cot"] = None
    frame.loc[2, "geometry"] = shapely.LineString([(0, 0), (1, 1)])
    frame.loc[3, "geometry"] = None
    layer = make_layer()
    found = rows.unstorable(layer, frame)
    assert {i: [r["rule"] for r in why] for i, why in found.items()} == {
        1: ["field.missing"],
        2: ["geometry.type"],
        3: ["geometry.type"],
    }


def test_text_longer_than_its_column_is_unstorable_and_a_missing_value_is_not():
    attributes = [dict(a, max_length=5) if a["name"] == "ghi_chu" else a for a in TEST_LAYER["attributes"]]
    layer = Layer.model_validate({**TEST_LAYER, "attributes": attributes})
    frame = lamps(3)
    frame["ghi_chu"] = pd.Series(["ngắn", "dài hơn năm", None], dtype="str")
    found = rows.unstorable(layer, frame)
    assert {i: [r["rule"] for r in why] for i, why in found.items()} == {1: ["field.range"]}


def test_repeated_keys_are_all_unstorable_but_a_unique_one_is_fine():
    frame = gpd.GeoDataFrame({"ma_cot": ["A", "B", "A", None, None]}, geometry=[shapely.Point(0, 0)] * 5)
    assert sorted(rows.repeated_keys(make_layer(), frame)) == [0, 2]


def _geos_way(layer: Layer, geoms: np.ndarray) -> list[bytes]:
    return rows.wkb(layer, rows.stored_geometry(layer, geoms)).to_pylist()


def test_stored_wkb_is_byte_for_byte_what_geos_writes():
    square_ccw = shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    holed = shapely.Polygon([(0, 0), (0, 9), (9, 9), (9, 0)], [[(1, 1), (2, 1), (2, 2), (1, 1)]])
    delivered = np.array(
        [
            CLOCKWISE,
            square_ccw,
            WITH_Z,
            holed,
            shapely.MultiPolygon([CLOCKWISE]),
            shapely.MultiPolygon([square_ccw, shapely.box(5, 5, 6, 6, ccw=False)]),
            shapely.Polygon(),
            shapely.Polygon(
                [(500_000.25, 1_780_000.5), (500_000.25, 1_780_010.75), (500_010.5, 1_780_000.5)]
            ),
        ],
        dtype=object,
    )
    for layer in (polygon_layer(), Layer.model_validate({**TEST_LAYER, "geometry": "Polygon"})):
        assert rows.stored_wkb(layer, delivered).to_pylist() == _geos_way(layer, delivered)
        simple = delivered[[0, 1, 7]]  # the numpy way only
        assert rows.stored_wkb(layer, simple).to_pylist() == _geos_way(layer, simple)


def test_stored_wkb_of_the_sample_parcels_matches_geos():
    parcels = gpd.read_file(SAMPLES / "parcels_clean.gpkg").geometry.values
    shuffled = np.asarray(parcels, dtype=object)[::-1]
    reversed_rings = shapely.orient_polygons(shuffled, exterior_cw=True)  # every ring clockwise
    layer = polygon_layer()
    for geoms in (shuffled, reversed_rings):
        assert rows.stored_wkb(layer, geoms).to_pylist() == _geos_way(layer, geoms)
