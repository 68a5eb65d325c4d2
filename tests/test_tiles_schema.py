"""The Shortbread 1.0 rules table, checked against facts typed from the schema document (not from the table)."""

from __future__ import annotations

import unicodedata

import pytest

from danang_sdi.tiles import shortbread as sb
from danang_sdi.tiles.classify import SORT_VALUES, SOURCES, Classifier


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def features(classifier: Classifier, tags: dict, geometry: str = sb.LINE, **kwargs) -> dict[str, tuple]:
    """layer name → (geometry, minzoom, properties) for one object."""
    found = classifier.classify(tags, geometry, **kwargs)
    return {classifier.layers[c.layer].name: (kind, c.minzoom, c.properties) for kind, c in found}


# (highway value, streets kind, streets minzoom) from schema 1.0, layer "streets"
STREET_ZOOMS = [
    ("motorway", "motorway", 5),
    ("trunk", "trunk", 6),
    ("primary", "primary", 8),
    ("secondary", "secondary", 9),
    ("tertiary", "tertiary", 10),
    ("unclassified", "unclassified", 12),
    ("residential", "residential", 12),
    ("busway", "busway", 12),
    ("living_street", "living_street", 13),
    ("service", "service", 13),
    ("pedestrian", "pedestrian", 13),
    ("track", "track", 13),
    ("footway", "footway", 13),
    ("steps", "steps", 13),
    ("path", "path", 13),
    ("cycleway", "cycleway", 13),
]


@pytest.mark.parametrize(("highway", "kind", "zoom"), STREET_ZOOMS)
def test_street_kinds_and_zooms_follow_the_schema(classifier, highway, kind, zoom):
    layers = features(classifier, {"highway": highway})
    assert layers["streets"][1] == zoom
    assert layers["streets"][2]["kind"] == kind
    assert "street_labels" not in layers  # no name, no ref: nothing to label


def test_link_roads_take_their_class_and_the_link_flag(classifier):
    props = features(classifier, {"highway": "primary_link"})["streets"][2]
    assert props["kind"] == "primary" and props["link"] is True


def test_rail_with_service_comes_later_than_main_line(classifier):
    assert features(classifier, {"railway": "rail"})["streets"][1] == 8
    assert features(classifier, {"railway": "rail", "service": "yard"})["streets"][1] == 10
    assert features(classifier, {"railway": "rail", "oneway": "yes"})["streets"][2]["oneway"] is False


def test_named_street_gets_a_label_with_vietnamese_name(classifier):
    layers = features(classifier, {"highway": "primary", "name": "Đường 2 Tháng 9", "name:en": "2/9 Street"})
    _kind, zoom, props = layers["street_labels"]
    assert zoom == 12
    assert props["name"] == "Đường 2 Tháng 9" and props["name_en"] == "2/9 Street"
    assert props["name_de"] == "Đường 2 Tháng 9"  # schema: falls back to name


def test_decomposed_vietnamese_names_are_stored_in_nfc(classifier):
    decomposed = unicodedata.normalize("NFD", "Đường Nguyễn Tri Phương")
    props = features(classifier, {"highway": "residential", "name": decomposed})["street_labels"][2]
    assert props["name"] == unicodedata.normalize("NFC", decomposed)
    assert unicodedata.is_normalized("NFC", props["name"])


def test_ref_lists_become_lines(classifier):
    props = features(classifier, {"highway": "trunk", "ref": "QL1A;AH1"})["street_labels"][2]
    assert (props["ref"], props["ref_rows"], props["ref_cols"]) == ("QL1A\nAH1", 2, 4)


def test_closed_highway_is_a_line_unless_area_yes(classifier):
    assert "streets" in features(classifier, {"highway": "footway"}, closed=True)
    assert "streets" not in features(classifier, {"highway": "footway", "area": "yes"}, closed=True)
    area = features(classifier, {"highway": "pedestrian", "area": "yes", "name": "Quảng trường"}, sb.AREA)
    assert area["street_polygons"][1] == 14
    assert area["streets_polygons_labels"][0] == sb.CENTROID
    assert "street_polygons" not in features(classifier, {"highway": "pedestrian"}, sb.AREA)


def test_buildings_and_pois_only_at_z14(classifier):
    layers = features(classifier, {"building": "yes", "amenity": "school", "name": "Trường"}, sb.AREA)
    assert layers["buildings"][1] == 14
    assert layers["pois"][:2] == (sb.CENTROID, 14)
    assert layers["sites"][1:] == (14, {"kind": "school"})
    assert "buildings" not in features(classifier, {"building": "no"}, sb.AREA)


def test_address_is_not_repeated_for_a_poi(classifier):
    poi = features(classifier, {"amenity": "cafe", "addr:housenumber": "12"}, sb.POINT)
    assert set(poi) == {"pois"} and poi["pois"][2]["housenumber"] == "12"
    plain = features(classifier, {"addr:housenumber": "12", "addr:street": "Hoàng Diệu"}, sb.POINT)
    assert plain["addresses"][1:] == (14, {"housenumber": "12"})


def test_poi_extra_attributes_only_for_their_keys(classifier):
    cafe = features(classifier, {"amenity": "cafe", "cuisine": "coffee_shop"}, sb.POINT)["pois"][2]
    assert cafe["cuisine"] == "coffee_shop" and "religion" not in cafe
    bank = features(classifier, {"amenity": "bank", "atm": "yes"}, sb.POINT)["pois"][2]
    assert bank["atm"] is True
    assert "pois" not in features(classifier, {"amenity": "parking_space"}, sb.POINT)


@pytest.mark.parametrize(
    ("tags", "kind", "zoom"),
    [
        ({"natural": "water", "water": "river"}, "river", 4),
        ({"natural": "water", "water": "pond"}, "water", 4),
        ({"landuse": "reservoir"}, "reservoir", 4),
        ({"waterway": "dock"}, "dock", 10),
    ],
)
def test_water_polygons(classifier, tags, kind, zoom):
    _, minzoom, props = features(classifier, tags, sb.AREA)["water_polygons"]
    assert (props["kind"], minzoom) == (kind, zoom)


@pytest.mark.parametrize(
    ("tags", "kind", "zoom"),
    [
        ({"landuse": "forest"}, "forest", 7),
        ({"natural": "wood"}, "forest", 7),
        ({"landuse": "residential"}, "residential", 10),
        ({"landuse": "grass"}, "grass", 11),
        ({"leisure": "park"}, "park", 11),
        ({"landuse": "cemetery"}, "cemetery", 13),
        ({"natural": "beach"}, "beach", 10),
    ],
)
def test_land(classifier, tags, kind, zoom):
    _, minzoom, props = features(classifier, tags, sb.AREA)["land"]
    assert (props["kind"], minzoom) == (kind, zoom)


def test_places_and_capitals(classifier):
    city = features(classifier, {"place": "city", "name": "Đà Nẵng"}, sb.POINT)["place_labels"]
    assert city[1:] == (
        6,
        {
            "kind": "city",
            "name": "Đà Nẵng",
            "name_en": "Đà Nẵng",
            "name_de": "Đà Nẵng",
            "population": 100_000,
        },
    )
    capital = features(
        classifier, {"place": "city", "capital": "yes", "name": "Hà Nội", "population": "8,500,000"}, sb.POINT
    )
    assert capital["place_labels"][1] == 4 and capital["place_labels"][2]["kind"] == "capital"
    assert capital["place_labels"][2]["population"] == 8_500_000
    assert "place_labels" not in features(classifier, {"place": "suburb"}, sb.POINT)  # no name


def test_boundaries_come_from_relation_membership(classifier):
    assert features(classifier, {"_admin_level": "2", "_disputed": "no"})["boundaries"][1:] == (
        0,
        {"admin_level": 2, "maritime": False, "disputed": False},
    )
    assert features(classifier, {"_admin_level": "4", "_disputed": "yes"})["boundaries"][1] == 7


def test_every_rule_and_field_is_wired():
    layer_names = {layer.name for layer in sb.LAYERS}
    assert all(rule.layer in layer_names for rule in sb.RULES)
    assert all(f.source in SOURCES for layer in sb.LAYERS for f in layer.fields)
    assert all(layer.order is None or layer.order.lstrip("-") in SORT_VALUES for layer in sb.LAYERS)
    assert layer_names >= {
        "water_polygons",
        "land",
        "sites",
        "buildings",
        "streets",
        "street_labels",
        "place_labels",
        "boundaries",
        "pois",
        "addresses",
    }


def test_results_are_cached_by_tag_set(classifier):
    first = classifier.classify({"building": "yes"}, sb.AREA)
    assert classifier.classify({"building": "yes"}, sb.AREA) is first
