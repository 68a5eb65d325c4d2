"""Geometry rules on one feature at a time: type (single/multi parts), invalid reasons, outside, sliver, area."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Check, GeometryType, Layer
from danang_sdi.qa.base import Subject
from danang_sdi.qa.geometry import check_area, check_invalid, check_outside, check_sliver, check_type
from danang_sdi.sources.outline import load_outline
from tests.helpers.qa_fixtures import parcels, square


@pytest.fixture(scope="module")
def parcel() -> Layer:
    return load_catalog().get("cadastral_parcel")


def subject_of(geometry: list, layer: Layer, **columns) -> Subject:
    frame = gpd.GeoDataFrame(columns, geometry=geometry, crs="EPSG:5899")
    return Subject(layer=layer, frame=frame, name="t.gpkg", outline=load_outline().geometry)


def features(issues) -> list[int]:
    return [i.feature for i in issues]


def test_single_and_multi_parts_per_layer_type(parcel: Layer) -> None:
    one, two = square(0, 0), square(0, 2)
    geometry = [
        one,
        shapely.MultiPolygon([one]),
        shapely.MultiPolygon([one, two]),
        shapely.Point(550_000, 1_777_000),
    ]
    polygon_layer = parcel.model_copy(update={"geometry": GeometryType.Polygon})
    assert features(check_type(subject_of(geometry, polygon_layer), Check(rule="geometry.type"))) == [2, 3]
    issues = check_type(subject_of(geometry, parcel), Check(rule="geometry.type"))  # MultiPolygon layer
    assert features(issues) == [3]
    assert "Point" in issues[0].message_en and "MultiPolygon" in issues[0].message_en


def test_invalid_geometry_keeps_geos_reason_and_location_in_both_languages(parcel: Layer) -> None:
    ring = shapely.Polygon(
        [(550_000, 1_777_000), (550_010, 1_777_010), (550_010, 1_777_000), (550_000, 1_777_010)]
    )
    issues = check_invalid(subject_of([square(0, 0), ring], parcel), Check(rule="geometry.invalid"))
    assert features(issues) == [1]
    assert issues[0].location == "POINT (550005 1777005)"
    assert "Self-intersection at POINT (550005 1777005)" in issues[0].message_en
    assert "tự cắt" in issues[0].message_vi


def test_outside_is_judged_against_the_widened_city_outline(parcel: Layer) -> None:
    inside, sea = square(0, 0), shapely.affinity.translate(square(0, 0), 100_000, 0)
    issues = check_outside(subject_of([inside, sea], parcel), Check(rule="geometry.outside"))
    assert features(issues) == [1]
    assert "km beyond its edge" in issues[0].message_en


def test_sliver_limit_comes_from_the_catalog(parcel: Layer) -> None:
    tiny = shapely.box(550_000, 1_777_000, 550_000.5, 1_777_004)  # 2 m²
    assert (
        features(check_sliver(subject_of([tiny], parcel), Check(rule="geometry.sliver", min_area=1.0))) == []
    )
    assert features(
        check_sliver(subject_of([tiny], parcel), Check(rule="geometry.sliver", min_area=5.0))
    ) == [0]


def test_area_mismatch_is_relative_to_the_drawn_area(parcel: Layer) -> None:
    frame = parcels(2)  # 400 m² each
    subject = Subject(layer=parcel, frame=frame, name="t.gpkg")
    frame["dien_tich"] = [400.0, 419.0, 421.0, None]
    check = Check(rule="area.mismatch", field="dien_tich", tolerance_pct=5)
    issues = check_area(subject, check)
    assert features(issues) == [2]
    assert "differs by 5.2%" in issues[0].message_en
