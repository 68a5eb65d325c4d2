"""Vector tiles and the map viewer on the OGC API server (``danang-sdi serve``), as one Flask blueprint.

- ``/tiles/basemap/{z}/{x}/{y}.pbf`` and ``/tiles/overlay/…``: gzip-encoded MVT; 204 for an empty tile
  inside the zoom range, 404 outside it.
- ``/tiles/basemap.json``, ``/tiles/overlay.json``: TileJSON 3.0 with absolute URLs built from the request.
- ``/tiles/basemap/style.json``: the base map's MapLibre style; ``/map/style.json``: base map and overlay.
- ``/tiles/basemap.pmtiles`` (or ``.mbtiles``): the archive itself, with HTTP Range (206) for PMTiles clients.
- ``/map/``: the viewer, ``/map/maplibre-gl.js|css`` from the npm package, ``/map/fonts/…``: label glyphs.

Archives are found at request time, so a base map or an overlay built after the server started is served
without a restart; the server works without any tiles too.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, Response, jsonify, request, send_file

from danang_sdi.errors import ConfigError, TileError
from danang_sdi.settings import PROJECT_DIR, Settings
from danang_sdi.tiles import glyphs
from danang_sdi.tiles.archive import TileArchive
from danang_sdi.tiles.overlay import overlay_path
from danang_sdi.tiles.overlay_style import viewer_style
from danang_sdi.tiles.source import TileSource
from danang_sdi.tiles.style import style
from danang_sdi.tiles.tilejson import tilejson
from danang_sdi.tiles.viewer import viewer_html

BASEMAP_ENV = "DANANG_SDI_TILES_BASEMAP"
OVERLAY_ENV = "DANANG_SDI_TILES_OVERLAY"
MAPLIBRE_ENV = "DANANG_SDI_MAPLIBRE_DIR"
MAPLIBRE_VERSION = "5.24.1"  # the version scripts/bootstrap.sh installs
MAPLIBRE_DIST = Path("npm") / "node_modules" / "maplibre-gl" / "dist"
MAPLIBRE_FILES = {"maplibre-gl.js": "text/javascript", "maplibre-gl.css": "text/css"}
MVT = "application/vnd.mapbox-vector-tile"
CACHE = "public, max-age=300"


@dataclass(frozen=True)
class MapFiles:
    """Where the server finds the two tile archives and MapLibre GL JS (any of them may be missing)."""

    basemap: Path
    overlay: Path
    maplibre: Path | None

    def to_env(self) -> dict[str, str]:
        env = {BASEMAP_ENV: str(self.basemap), OVERLAY_ENV: str(self.overlay)}
        if self.maplibre is not None:
            env[MAPLIBRE_ENV] = str(self.maplibre)
        return env

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> MapFiles:
        """The files named by the environment ``serve`` hands gunicorn, else those of ``DANANG_SDI_HOME``."""
        env = dict(os.environ if environ is None else environ)
        settings = Settings.from_env(env)
        maplibre = env.get(MAPLIBRE_ENV)
        return cls(
            basemap=Path(env.get(BASEMAP_ENV) or settings.home / "tiles" / "basemap.pmtiles"),
            overlay=Path(env.get(OVERLAY_ENV) or overlay_path(settings)),
            maplibre=Path(maplibre) if maplibre else find_maplibre(settings),
        )


def find_maplibre(settings: Settings) -> Path | None:
    """The ``dist`` folder of the maplibre-gl npm package, in ``<home>/npm`` or the project's ``.sdi/npm``."""
    for root in (settings.home, PROJECT_DIR / ".sdi"):
        folder = root / MAPLIBRE_DIST
        if (folder / "maplibre-gl.js").is_file():
            return folder
    return None


def map_files(settings: Settings, tiles: Path | None = None) -> MapFiles:
    """The files ``serve`` hands the server: ``tiles`` (``--tiles``) must be a readable archive."""
    basemap = Path(tiles) if tiles is not None else settings.home / "tiles" / "basemap.pmtiles"
    if tiles is not None or basemap.exists():
        try:
            TileArchive(basemap).metadata()
        except TileError as error:
            given = "--tiles" if tiles is not None else "base map"
            raise ConfigError(f"{given}: {error}; build one with 'danang-sdi tiles build'") from error
    return MapFiles(
        basemap=basemap.resolve(), overlay=overlay_path(settings), maplibre=find_maplibre(settings)
    )


def install(app: Flask, files: MapFiles) -> None:
    """Add the tile and viewer routes to ``app``."""
    sources = {"basemap": TileSource(files.basemap), "overlay": TileSource(files.overlay)}
    blueprint = Blueprint("danang_sdi_tiles", __name__)

    def root() -> str:
        return request.url_root.rstrip("/")

    def available(name: str) -> TileSource | None:
        source = sources.get(name)
        return source if source is not None and source.exists() else None

    @blueprint.route("/tiles/<name>.json")
    def tile_json(name: str):
        source = available(name)
        if source is None:
            return _missing(name)
        document = tilejson(source.metadata(), f"{root()}/tiles/{name}/{{z}}/{{x}}/{{y}}.pbf", name=name)
        return _json(document)

    @blueprint.route("/tiles/<name>/<int:z>/<int:x>/<int:y>.pbf")
    def tile(name: str, z: int, x: int, y: int):
        source = available(name)
        if source is None:
            return _missing(name)
        minzoom, maxzoom = source.zoom_range()
        if not minzoom <= z <= maxzoom or not (x < (1 << z) and y < (1 << z)):
            return _error(404, f"no tile {z}/{x}/{y}: the {name} tiles cover zooms {minzoom}–{maxzoom}")
        data = source.get(z, x, y)
        if data is None:
            return _cors(Response(status=204, headers={"Cache-Control": CACHE}))
        headers = {"Content-Type": MVT, "Cache-Control": CACHE, "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
        else:
            data = gzip.decompress(data)
        response = Response(data, headers=headers)
        response.set_etag(hashlib.md5(data, usedforsecurity=False).hexdigest())
        return _cors(response.make_conditional(request))

    @blueprint.route("/tiles/basemap/style.json")
    def basemap_style():
        source = available("basemap")
        if source is None:
            return _missing("basemap")
        return _json(
            style(
                f"{root()}/tiles/basemap.json", glyphs=_glyphs_url(root()), source_layers=_layer_ids(source)
            )
        )

    @blueprint.route("/tiles/<name>.<suffix>")
    def archive(name: str, suffix: str):
        source = available(name)
        if source is None or source.format != suffix or not source.path.is_file():
            return _error(404, f"no {name}.{suffix} here: see /tiles/{name}.json")
        media = "application/vnd.pmtiles" if suffix == "pmtiles" else "application/vnd.sqlite3"
        return _cors(send_file(source.path, mimetype=media, conditional=True, etag=True, max_age=300))

    @blueprint.route("/map/")
    def viewer():
        return Response(viewer_html(), mimetype="text/html")

    @blueprint.route("/map/style.json")
    def map_style():
        basemap, overlay = available("basemap"), available("overlay")
        overlay_meta = overlay.metadata() if overlay else {}
        overlay_layers = tilejson(overlay_meta, "")["vector_layers"] if overlay else []
        center = overlay_meta.get("center", "").split(",") if overlay else []
        document = viewer_style(
            f"{root()}/tiles/basemap.json" if basemap else None,
            _layer_ids(basemap) if basemap else None,
            f"{root()}/tiles/overlay.json" if overlay else None,
            overlay_layers,
            glyphs=_glyphs_url(root()),
            center=(float(center[0]), float(center[1])) if len(center) == 3 else None,
            zoom=float(center[2]) if len(center) == 3 else None,
        )
        return _json(document)

    @blueprint.route("/map/<any(" + ", ".join(f'"{n}"' for n in MAPLIBRE_FILES) + "):filename>")
    def maplibre(filename: str):
        if files.maplibre is None or not (files.maplibre / filename).is_file():
            return _error(
                404,
                f"maplibre-gl is not installed: run scripts/bootstrap.sh (npm install --prefix .sdi/npm "
                f"maplibre-gl@{MAPLIBRE_VERSION}) or set {MAPLIBRE_ENV}",
            )
        return send_file(files.maplibre / filename, mimetype=MAPLIBRE_FILES[filename], max_age=3600)

    @blueprint.route("/map/fonts/<fontstack>/<glyph_range>.pbf")
    def fonts(fontstack: str, glyph_range: str):
        try:
            start = glyphs.parse_range(glyph_range)
        except ValueError as error:
            return _error(404, str(error))
        if len(fontstack) > 200:
            return _error(404, "font stack name too long")
        data = glyphs.fontstack_range(fontstack, start)
        response = Response(
            data, mimetype="application/x-protobuf", headers={"Cache-Control": "public, max-age=86400"}
        )
        return _cors(response)

    app.register_blueprint(blueprint)


def _glyphs_url(root: str) -> str:
    return f"{root}/map/fonts/{{fontstack}}/{{range}}.pbf"


def _layer_ids(source: TileSource) -> list[str]:
    return [layer["id"] for layer in tilejson(source.metadata(), "")["vector_layers"]]


def _missing(name: str) -> Response:
    hint = {
        "basemap": "build it with 'danang-sdi tiles build OSM.pbf -o <home>/tiles/basemap.pmtiles' or serve --tiles",
        "overlay": "render it with 'danang-sdi tiles overlay'",
    }.get(name, "the tile sets are basemap and overlay")
    return _error(404, f"no {name} tiles on this server: {hint}")


def _json(document: dict) -> Response:
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-cache"
    return _cors(response)


def _error(status: int, description: str) -> Response:
    response = jsonify({"code": "NotFound" if status == 404 else "Error", "description": description})
    response.status_code = status
    return _cors(response)


def _cors(response: Response) -> Response:
    response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response
