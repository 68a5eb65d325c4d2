"""MapLibre style layers for the overlay, and the viewer's style: the base map with the city's layers on it.

The style is made from the overlay's TileJSON ``vector_layers`` (id, zoom range, geometry type), so a layer
added to the catalog is drawn without a change here: areas as a light fill with an outline (parcels,
planning lots; outline only where the catalog says ``fill: false``, e.g. ward boundaries), lines as lines (roads, pipes), points as circles (street lights, trees), each layer in a
colour of its own, above the base map's areas and roads and under its labels.
"""

from __future__ import annotations

from danang_sdi.tiles.style import DEFAULT_GLYPHS, style

SOURCE = "overlay"
PALETTE = (
    "#d7301f",
    "#2b8cbe",
    "#238b45",
    "#88419d",
    "#ec7014",
    "#02818a",
    "#ce1256",
    "#6a51a3",
    "#b15928",
    "#1f78b4",
    "#33a02c",
    "#e31a1c",
)


def overlay_layers(vector_layers: list[dict], source: str = SOURCE) -> list[dict]:
    """Style layers for every overlay layer (ids ``overlay-<layer>-<kind>``), in the given order.

    >>> [layer["type"] for layer in overlay_layers([{"id": "lots", "geometry_type": "Polygon"}])]
    ['fill', 'line']
    """
    layers: list[dict] = []
    for index, vector_layer in enumerate(vector_layers):
        colour = PALETTE[index % len(PALETTE)]
        base = {"source": source, "source-layer": vector_layer["id"]}
        if "minzoom" in vector_layer:
            base["minzoom"] = vector_layer["minzoom"]
        if "maxzoom" in vector_layer:
            base["maxzoom"] = vector_layer["maxzoom"] + 1  # MapLibre's maxzoom is exclusive
        prefix = f"overlay-{vector_layer['id']}"
        kind = vector_layer.get("geometry_type", "Polygon")
        if kind == "Polygon" and vector_layer.get("fill", True):
            layers.append(
                {
                    **base,
                    "id": f"{prefix}-fill",
                    "type": "fill",
                    "paint": {"fill-color": colour, "fill-opacity": 0.12},
                }
            )
        if kind == "Polygon":
            layers.append(
                {
                    **base,
                    "id": f"{prefix}-outline",
                    "type": "line",
                    "paint": {"line-color": colour, "line-width": 1},
                }
            )
        elif kind == "LineString":
            width = ["interpolate", ["linear"], ["zoom"], 12, 1, 18, 3]
            layers.append(
                {
                    **base,
                    "id": f"{prefix}-line",
                    "type": "line",
                    "paint": {"line-color": colour, "line-width": width},
                }
            )
        else:
            radius = ["interpolate", ["linear"], ["zoom"], 14, 2.5, 18, 6]
            paint = {
                "circle-color": colour,
                "circle-radius": radius,
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1,
            }
            layers.append({**base, "id": f"{prefix}-point", "type": "circle", "paint": paint})
    return layers


def viewer_style(
    basemap_tilejson: str | None,
    basemap_layers: list[str] | None,
    overlay_tilejson: str | None,
    overlay_vector_layers: list[dict],
    *,
    glyphs: str = DEFAULT_GLYPHS,
    center: tuple[float, float] | None = None,
    zoom: float | None = None,
) -> dict:
    """The base map (when there is one) with the overlay layers above its areas and roads, under its labels."""
    document = style(
        basemap_tilejson or "", glyphs=glyphs, source_layers=basemap_layers if basemap_tilejson else []
    )
    if not basemap_tilejson:
        document["sources"] = {}
    document["name"] = "Đà Nẵng — bản đồ nền và dữ liệu dùng chung"
    if center is not None:
        document["center"] = list(center)
    if zoom is not None:
        document["zoom"] = zoom
    if overlay_tilejson:
        document["sources"][SOURCE] = {"type": "vector", "url": overlay_tilejson}
        layers = document["layers"]
        first_label = next((i for i, layer in enumerate(layers) if layer["type"] == "symbol"), len(layers))
        layers[first_label:first_label] = overlay_layers(overlay_vector_layers)
    return document
