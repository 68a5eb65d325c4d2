"""TileJSON 3.0.0 for a tile archive, for ``/tiles/basemap.json`` (served later by ``danang-sdi serve``)."""

from __future__ import annotations

import json
from pathlib import Path

from danang_sdi.errors import TileError
from danang_sdi.tiles.archive import TileArchive

TILEJSON_VERSION = "3.0.0"


def tilejson(source: Path | dict[str, str], tiles_url: str, *, name: str | None = None) -> dict:
    """TileJSON 3.0.0 of an archive (a path) or of its MBTiles-style metadata (a dict).

    ``tiles_url`` is the XYZ template the server answers, e.g. ``https://host/tiles/basemap/{z}/{x}/{y}.pbf``.

    >>> meta = {"minzoom": "0", "maxzoom": "14", "bounds": "108.2,16.0,108.3,16.1",
    ...         "center": "108.25,16.05,13", "json": '{"vector_layers": []}', "name": "basemap"}
    >>> tilejson(meta, "/tiles/basemap/{z}/{x}/{y}.pbf")["bounds"]
    [108.2, 16.0, 108.3, 16.1]
    """
    metadata = TileArchive(Path(source)).metadata() if not isinstance(source, dict) else source
    try:
        vector_layers = json.loads(metadata.get("json", "{}")).get("vector_layers", [])
        bounds = [float(v) for v in metadata["bounds"].split(",")]
        lon, lat, zoom = metadata["center"].split(",")
        document = {
            "tilejson": TILEJSON_VERSION,
            "name": name or metadata.get("name", "basemap"),
            "description": metadata.get("description", ""),
            "version": metadata.get("version", "1"),
            "attribution": metadata.get("attribution", ""),
            "scheme": "xyz",
            "tiles": [tiles_url],
            "minzoom": int(metadata["minzoom"]),
            "maxzoom": int(metadata["maxzoom"]),
            "bounds": bounds,
            "center": [float(lon), float(lat), int(float(zoom))],
            "vector_layers": vector_layers,
        }
    except (KeyError, ValueError) as error:
        raise TileError(
            f"tile metadata is incomplete or malformed ({error}); rebuild with `danang-sdi tiles build`"
        ) from error
    if "schema" in metadata:
        document["schema"] = metadata["schema"]
    return document
