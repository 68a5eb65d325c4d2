"""A MapLibre style (spec v8) of our own for the Shortbread base map: land, water, roads, buildings, and
labels in Vietnamese (OSM ``name``, which is Vietnamese in Viet Nam) or English (``name_en``).

Text needs SDF glyphs: ``glyphs`` is the URL template they are served from (by default the map server's
``/map/fonts/{fontstack}/{range}.pbf``). The style uses no sprite, so it needs no icon files.
"""

from __future__ import annotations

from collections.abc import Iterable

SOURCE = "basemap"
DEFAULT_GLYPHS = "/map/fonts/{fontstack}/{range}.pbf"
DEFAULT_FONT = "Noto Sans Regular"

_LAND_COLOURS = {
    "forest": "#add19e",
    "park": "#c8facc",
    "garden": "#cdebb0",
    "grass": "#cdebb0",
    "meadow": "#cdebb0",
    "grassland": "#cdebb0",
    "village_green": "#cdebb0",
    "recreation_ground": "#dffce2",
    "golf_course": "#def6c0",
    "playground": "#dffce2",
    "cemetery": "#aacbaf",
    "grave_yard": "#aacbaf",
    "residential": "#ece8e4",
    "commercial": "#f2dad9",
    "retail": "#ffd6d1",
    "industrial": "#ebdbe8",
    "railway": "#ebdbe8",
    "garages": "#dfddce",
    "farmland": "#eef0d5",
    "sand": "#f5e9c6",
    "beach": "#fff1ba",
    "construction": "#c7c7b4",
}
_SITE_COLOURS = {
    "school": "#fff8d6",
    "university": "#fff8d6",
    "college": "#fff8d6",
    "hospital": "#fde3e3",
    "parking": "#eeeeee",
    "construction": "#dcdcca",
}
# (group name, street kinds, colour, casing colour, width at z12, width at z18, first zoom)
_ROADS = (
    ("path", ["footway", "path", "steps", "cycleway", "track", "pedestrian"], "#fa8072", None, 0.5, 2.0, 14),
    ("service", ["service", "living_street"], "#ffffff", "#c8c8c8", 0.5, 6.0, 13),
    ("minor", ["residential", "unclassified", "busway", "bus_guideway"], "#ffffff", "#c0c0c0", 1.0, 12.0, 12),
    ("tertiary", ["tertiary"], "#ffffff", "#b0a89c", 1.5, 16.0, 10),
    ("secondary", ["secondary"], "#f7fabf", "#a8a36b", 2.0, 18.0, 9),
    ("primary", ["primary"], "#fcd6a4", "#c98e42", 2.5, 20.0, 8),
    ("trunk", ["trunk"], "#f9b29c", "#c26b52", 3.0, 22.0, 6),
    ("motorway", ["motorway"], "#e892a2", "#b84f62", 3.0, 22.0, 5),
)


def _text(language: str) -> list:
    first, second = ("name", "name_en") if language == "vi" else ("name_en", "name")
    return ["coalesce", ["get", first], ["get", second]]


def _width(low: float, high: float) -> list:
    return ["interpolate", ["exponential", 1.5], ["zoom"], 12, low, 18, high]


def _match_fill(colours: dict[str, str], default: str) -> list:
    expression: list = ["match", ["get", "kind"]]
    for kind, colour in colours.items():
        expression += [kind, colour]
    return [*expression, default]


def _road_layers() -> list[dict]:
    casings, fills = [], []
    for name, kinds, colour, casing, low, high, minzoom in _ROADS:
        selector = ["all", ["==", ["get", "rail"], False], ["match", ["get", "kind"], kinds, True, False]]
        base = {"source": SOURCE, "source-layer": "streets", "minzoom": minzoom, "filter": selector}
        if casing:
            casings.append(
                {
                    **base,
                    "id": f"road-{name}-casing",
                    "type": "line",
                    "layout": {"line-cap": "round", "line-join": "round"},
                    "paint": {"line-color": casing, "line-width": _width(low * 1.4 + 0.5, high * 1.2 + 1)},
                }
            )
        paint = {"line-color": colour, "line-width": _width(low, high)}
        if name == "path":
            paint["line-dasharray"] = [2, 1]
        fills.append(
            {**base, "id": f"road-{name}", "type": "line", "layout": {"line-join": "round"}, "paint": paint}
        )
    rail = {
        "id": "rail",
        "type": "line",
        "source": SOURCE,
        "source-layer": "streets",
        "filter": ["==", ["get", "rail"], True],
        "paint": {"line-color": "#909090", "line-width": _width(1, 3), "line-dasharray": [3, 2]},
    }
    return [*casings, *fills, rail]


def _label(
    layer_id: str, source_layer: str, language: str, font: str, minzoom: int, size: list | float, **extra
) -> dict:
    layout = {
        "text-field": _text(language),
        "text-font": [font],
        "text-size": size,
        **extra.pop("layout", {}),
    }
    return {
        "id": layer_id,
        "type": "symbol",
        "source": SOURCE,
        "source-layer": source_layer,
        "minzoom": minzoom,
        "layout": layout,
        "paint": {
            "text-color": "#333333",
            "text-halo-color": "#ffffff",
            "text-halo-width": 1.5,
            **extra.pop("paint", {}),
        },
        **extra,
    }


def style(
    tilejson_url: str,
    *,
    glyphs: str = DEFAULT_GLYPHS,
    language: str = "vi",
    font: str = DEFAULT_FONT,
    name: str = "Đà Nẵng — bản đồ nền OpenStreetMap",
    center: tuple[float, float] = (108.2208, 16.0544),
    zoom: float = 13,
    source_layers: Iterable[str] | None = None,
) -> dict:
    """The style document. ``tilejson_url`` points at the TileJSON of the base map (``/tiles/basemap.json``).

    ``source_layers`` (the ids of the TileJSON's ``vector_layers``) drops the style layers whose data the
    archive does not have, which MapLibre would otherwise report as errors.

    >>> style("/tiles/basemap.json")["sources"]["basemap"]["url"]
    '/tiles/basemap.json'
    """
    if language not in ("vi", "en"):
        raise ValueError(f"language {language!r}: use 'vi' or 'en'")
    layers = [
        {"id": "background", "type": "background", "paint": {"background-color": "#f2efe9"}},
        {
            "id": "land",
            "type": "fill",
            "source": SOURCE,
            "source-layer": "land",
            "paint": {"fill-color": _match_fill(_LAND_COLOURS, "#e8e4dc")},
        },
        {
            "id": "sites",
            "type": "fill",
            "source": SOURCE,
            "source-layer": "sites",
            "paint": {"fill-color": _match_fill(_SITE_COLOURS, "#ebe7e0"), "fill-opacity": 0.8},
        },
        {
            "id": "water",
            "type": "fill",
            "source": SOURCE,
            "source-layer": "water_polygons",
            "paint": {"fill-color": "#aad3df"},
        },
        {
            "id": "waterways",
            "type": "line",
            "source": SOURCE,
            "source-layer": "water_lines",
            "paint": {"line-color": "#aad3df", "line-width": _width(1, 6)},
        },
        {
            "id": "piers",
            "type": "fill",
            "source": SOURCE,
            "source-layer": "pier_polygons",
            "paint": {"fill-color": "#f2efe9"},
        },
        {
            "id": "bridges",
            "type": "fill",
            "source": SOURCE,
            "source-layer": "bridges",
            "paint": {"fill-color": "#dddddd"},
        },
        {
            "id": "street-areas",
            "type": "fill",
            "source": SOURCE,
            "source-layer": "street_polygons",
            "paint": {"fill-color": "#ffffff", "fill-outline-color": "#c8c8c8"},
        },
        *_road_layers(),
        {
            "id": "buildings",
            "type": "fill",
            "source": SOURCE,
            "source-layer": "buildings",
            "paint": {"fill-color": "#d9d0c9", "fill-outline-color": "#c4b6ab"},
        },
        {
            "id": "boundaries",
            "type": "line",
            "source": SOURCE,
            "source-layer": "boundaries",
            "paint": {"line-color": "#9e9cab", "line-width": 1.5, "line-dasharray": [4, 2]},
        },
        _label(
            "street-labels",
            "street_labels",
            language,
            font,
            12,
            ["interpolate", ["linear"], ["zoom"], 13, 10, 18, 14],
            layout={"symbol-placement": "line", "text-max-angle": 30},
        ),
        _label(
            "water-labels", "water_polygons_labels", language, font, 14, 12, paint={"text-color": "#4a6fa5"}
        ),
        _label("pois", "pois", language, font, 16, 11, paint={"text-color": "#6b4f3a"}),
        _label(
            "addresses",
            "addresses",
            language,
            font,
            17,
            10,
            layout={"text-field": ["get", "housenumber"]},
            paint={"text-color": "#8c7b6b"},
        ),
        _label(
            "places",
            "place_labels",
            language,
            font,
            4,
            ["match", ["get", "kind"], ["capital", "state_capital", "city"], 18, ["town", "suburb"], 15, 13],
            layout={"text-transform": "uppercase", "text-letter-spacing": 0.05},
        ),
    ]
    if source_layers is not None:
        present = set(source_layers)
        layers = [
            layer
            for layer in layers
            if layer.get("source-layer", "") in present or layer["type"] == "background"
        ]
    return {
        "version": 8,
        "name": name,
        "metadata": {"schema": "Shortbread 1.0", "language": language},
        "center": list(center),
        "zoom": zoom,
        "glyphs": glyphs,
        "sources": {SOURCE: {"type": "vector", "url": tilejson_url}},
        "layers": layers,
    }
