"""TileJSON 3.0, the MapLibre style and the viewer page that ``danang-sdi serve`` will publish."""

from __future__ import annotations

import json

import pytest

from danang_sdi.tiles import shortbread as sb
from danang_sdi.tiles.style import SOURCE, style
from danang_sdi.tiles.tilejson import tilejson
from danang_sdi.tiles.viewer import viewer_html
from tests.helpers.tiles_fixtures import HAICHAU_PBF, Basemap, basemap

TILES_URL = "http://127.0.0.1:5000/tiles/basemap/{z}/{x}/{y}.pbf"


@pytest.fixture(scope="module")
def built() -> Basemap:
    if not HAICHAU_PBF.is_file():
        pytest.skip(f"real OSM extract not found at {HAICHAU_PBF}")
    return basemap()


@pytest.mark.parametrize("archive", ["mbtiles", "pmtiles", "directory"])
def test_tilejson_of_each_archive(built, archive):
    document = tilejson(getattr(built, archive), TILES_URL)
    assert document["tilejson"] == "3.0.0" and document["tiles"] == [TILES_URL]
    assert (document["minzoom"], document["maxzoom"]) == (0, 14)
    west, south, east, north = document["bounds"]
    assert west < document["center"][0] < east and south < document["center"][1] < north
    ids = {layer["id"] for layer in document["vector_layers"]}
    assert {"streets", "buildings", "street_labels"} <= ids
    assert "OpenStreetMap" in document["attribution"]
    json.dumps(document)


def _expression_fields(expression) -> set[str]:
    if isinstance(expression, list):
        found = {expression[1]} if expression[:1] == ["get"] and isinstance(expression[1], str) else set()
        for part in expression:
            found |= _expression_fields(part)
        return found
    if isinstance(expression, dict):
        return set().union(*(_expression_fields(v) for v in expression.values())) if expression else set()
    return set()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_style_uses_only_schema_layers_and_fields(language):
    document = style("/tiles/basemap.json", language=language)
    assert document["version"] == 8 and document["sources"][SOURCE] == {
        "type": "vector",
        "url": "/tiles/basemap.json",
    }
    ids = [layer["id"] for layer in document["layers"]]
    assert len(ids) == len(set(ids))
    fields = {layer.name: {f.name for f in layer.fields} for layer in sb.LAYERS}
    for layer in document["layers"]:
        if layer["type"] == "background":
            continue
        source_layer = layer["source-layer"]
        assert source_layer in fields, layer["id"]
        used = (
            _expression_fields(layer.get("filter"))
            | _expression_fields(layer.get("layout"))
            | _expression_fields(layer.get("paint"))
        )
        assert used <= fields[source_layer], (layer["id"], used - fields[source_layer])
    assert {layer["source-layer"] for layer in document["layers"] if "source-layer" in layer} >= {
        "water_polygons", "land", "buildings", "streets", "street_labels", "place_labels"
    }  # fmt: skip


def test_labels_are_vietnamese_first_by_default():
    labels = {
        layer["id"]: layer for layer in style("/tiles/basemap.json")["layers"] if layer["type"] == "symbol"
    }
    assert labels["street-labels"]["layout"]["text-field"] == [
        "coalesce",
        ["get", "name"],
        ["get", "name_en"],
    ]
    english = {
        layer["id"]: layer for layer in style("/x.json", language="en")["layers"] if layer["type"] == "symbol"
    }
    assert english["street-labels"]["layout"]["text-field"][1] == ["get", "name_en"]
    with pytest.raises(ValueError, match="language"):
        style("/x.json", language="fr")


def test_viewer_loads_maplibre_and_the_style_from_relative_paths():
    html = viewer_html()
    assert 'src="maplibre-gl.js"' in html and 'href="maplibre-gl.css"' in html
    assert '|| "style.json"' in html and 'lang="vi"' in html  # /map/style.json: base map and overlay


def test_style_can_drop_layers_the_archive_lacks(built):
    present = [layer["id"] for layer in tilejson(built.mbtiles, TILES_URL)["vector_layers"]]
    document = style("/tiles/basemap.json", source_layers=present)
    used = {layer["source-layer"] for layer in document["layers"] if "source-layer" in layer}
    assert used <= set(present) and "boundaries" not in used  # the extract has no country/state boundary
    assert document["layers"][0]["type"] == "background"


@pytest.mark.parametrize("module", ["grid", "tilejson", "style", "viewer"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"danang_sdi.tiles.{module}"))
    assert result.attempted > 0 and result.failed == 0
