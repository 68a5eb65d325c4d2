"""Rendering the city's own layers as vector tiles in PostGIS (``ST_AsMVT``), for ``tiles.overlay``.

Every layer the catalog publishes with ``publish.tiles`` is read from its publishing view ``sdi_pub.<layer>``
(public attributes only, as the OGC API server reads them) and becomes one MVT layer named after it, in the
catalog's zoom range. A tile of the overlay is the concatenation of its layers' single-layer tiles, which
is itself a valid tile (an MVT tile is a list of layers). Rendering is a pure function of the database:
re-rendering a tile after a load gives exactly what a full build would.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable

import numpy as np
import psycopg
from psycopg import sql

from danang_sdi.catalog import Catalog
from danang_sdi.catalog.models import Layer
from danang_sdi.errors import TileError
from danang_sdi.publish.views import PUBLISH_SCHEMA, published_layers
from danang_sdi.store import layer_tables
from danang_sdi.tiles.grid import covering_pairs

EXTENT = 4096
BUFFER = 64  # tile units of geometry kept beyond the tile's edge (no seams at tile borders)
MARGIN = BUFFER / EXTENT
WEB_MERCATOR_HALF = math.pi * 6378137.0  # half the width of the EPSG:3857 square, metres
CHUNK = 256  # tiles per query
_FAMILY_ORDER = {"Polygon": 0, "LineString": 1, "Point": 2}


def geometry_family(layer: Layer) -> str:
    """Polygon, LineString or Point (multi-geometries count as their single kind)."""
    return layer.geometry.value.removeprefix("Multi")


def tiled_layers(catalog: Catalog) -> list[Layer]:
    """Published layers with ``publish.tiles``, areas first, then lines, then points (the drawing order)."""
    layers = [layer for layer in published_layers(catalog) if layer.publish.tiles is not None]
    return sorted(layers, key=lambda layer: _FAMILY_ORDER[geometry_family(layer)])


def zooms_of(layer: Layer) -> range:
    tiles = layer.publish.tiles
    assert tiles is not None
    return range(tiles.minzoom, tiles.maxzoom + 1)


def check_views(conn: psycopg.Connection, layers: Iterable[Layer]) -> None:
    """Every layer's publishing view must exist: tiles read what the public server reads, nothing else."""
    missing = [
        f"{PUBLISH_SCHEMA}.{layer.id}"
        for layer in layers
        if conn.execute("SELECT to_regclass(%s)", (f"{PUBLISH_SCHEMA}.{layer.id}",)).fetchone()[0] is None
    ]
    if missing:
        raise TileError(
            f"publishing view(s) {', '.join(missing)} do not exist: run 'danang-sdi publish views' first"
        )


def normalised_bounds(rows: Iterable[tuple]) -> np.ndarray:
    """EPSG:3857 boxes (xmin, ymin, xmax, ymax) → normalised Mercator boxes (x0, y0 north, x1, y1 south)."""
    boxes = np.array([row for row in rows if row[0] is not None], dtype=np.float64).reshape(-1, 4)
    scale = 2 * WEB_MERCATOR_HALF
    return np.column_stack(
        [
            boxes[:, 0] / scale + 0.5,
            0.5 - boxes[:, 3] / scale,
            boxes[:, 2] / scale + 0.5,
            0.5 - boxes[:, 1] / scale,
        ]
    )


def tiles_touching(bounds: np.ndarray, z: int) -> list[tuple[int, int]]:
    """The (x, y) of zoom ``z`` whose buffered square meets any of the boxes (twice the buffer, to be safe)."""
    if not len(bounds):
        return []
    _feature, codes = covering_pairs(bounds, z, 2 * MARGIN)
    n = 1 << z
    return [(int(code // n), int(code % n)) for code in np.unique(codes)]


def feature_bounds(conn: psycopg.Connection, layer: Layer) -> np.ndarray:
    """The normalised Mercator box of every feature of the layer's view."""
    query = sql.SQL(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
        "(SELECT ST_Transform(ST_Envelope({geom}), 3857)::box2d AS b FROM {view} WHERE {geom} IS NOT NULL) s"
    ).format(geom=sql.Identifier(layer_tables.GEOMETRY_COLUMN), view=sql.Identifier(PUBLISH_SCHEMA, layer.id))
    return normalised_bounds(conn.execute(query).fetchall())


def _tile_query(layer: Layer) -> sql.Composed:
    columns = [layer_tables.ID_COLUMN, *(a.name for a in layer.published_attributes)]
    geom = sql.Identifier(layer_tables.GEOMETRY_COLUMN)
    return sql.SQL(
        "SELECT t.x, t.y, (SELECT ST_AsMVT(q, %(name)s, {extent}, 'mvt_geom', %(fid)s ORDER BY q.{fid}) FROM ("
        " SELECT {columns}, ST_AsMVTGeom(ST_Transform(v.{geom}, 3857), ST_TileEnvelope(%(z)s::int, t.x, t.y),"
        " {extent}, {buffer}, true) AS mvt_geom FROM {view} v"
        " WHERE v.{geom} && ST_Transform(ST_TileEnvelope(%(z)s::int, t.x, t.y, margin => %(margin)s), %(srid)s::int)"
        ") q WHERE q.mvt_geom IS NOT NULL)"
        " FROM unnest(%(xs)s::int[], %(ys)s::int[]) AS t(x, y)"
    ).format(
        columns=sql.SQL(", ").join(sql.SQL("v.{}").format(sql.Identifier(c)) for c in columns),
        geom=geom,
        fid=sql.Identifier(layer_tables.ID_COLUMN),
        view=sql.Identifier(PUBLISH_SCHEMA, layer.id),
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
    )


def render_layer(
    conn: psycopg.Connection, layer: Layer, z: int, tiles: list[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The layer's single-layer MVT (uncompressed) of each of ``tiles`` at zoom ``z`` that has features."""
    query = _tile_query(layer)
    rendered: dict[tuple[int, int], bytes] = {}
    for start in range(0, len(tiles), CHUNK):
        chunk = tiles[start : start + CHUNK]
        params = {
            "name": layer.id,
            "fid": layer_tables.ID_COLUMN,
            "z": z,
            "margin": MARGIN,
            "srid": layer_tables.srid(layer.storage_crs),
            "xs": [x for x, _ in chunk],
            "ys": [y for _, y in chunk],
        }
        try:
            rows = conn.execute(query, params).fetchall()
        except psycopg.Error as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise TileError(f"cannot render {PUBLISH_SCHEMA}.{layer.id} at zoom {z}: {reason}") from error
        rendered.update({(x, y): bytes(data) for x, y, data in rows if data})
    return rendered


def render_tiles(
    conn: psycopg.Connection, layers: list[Layer], z: int, tiles: dict[str, list[tuple[int, int]]]
) -> dict[tuple[int, int], bytes]:
    """Gzip-compressed overlay tiles of zoom ``z``: ``tiles`` gives, per layer id, the tiles to render it in."""
    parts: dict[tuple[int, int], list[bytes]] = {}
    for layer in layers:
        if z in zooms_of(layer) and tiles.get(layer.id):
            for key, data in render_layer(conn, layer, z, tiles[layer.id]).items():
                parts.setdefault(key, []).append(data)
    return {key: gzip.compress(b"".join(chunks), compresslevel=6, mtime=0) for key, chunks in parts.items()}


def overlay_metadata(conn: psycopg.Connection, layers: list[Layer]) -> dict[str, str]:
    """MBTiles metadata: zoom range, bounds of the data, and one ``vector_layers`` entry per layer."""
    boxes = []
    for layer in layers:
        query = sql.SQL(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Transform("
            "ST_SetSRID(ST_Extent({geom})::geometry, %s::int), 4326) AS e FROM {view}) s"
        ).format(
            geom=sql.Identifier(layer_tables.GEOMETRY_COLUMN), view=sql.Identifier(PUBLISH_SCHEMA, layer.id)
        )
        row = conn.execute(query, (layer_tables.srid(layer.storage_crs),)).fetchone()
        if row and row[0] is not None:
            boxes.append(row)
    if not boxes:
        raise TileError(
            "no published layer with tiles has any feature: load deliveries first (danang-sdi load, samples load)"
        )
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    vector_layers = [
        {
            "id": layer.id,
            "description": f"{layer.name.vi} / {layer.name.en}",
            "minzoom": zooms_of(layer).start,
            "maxzoom": zooms_of(layer).stop - 1,
            "fields": {layer_tables.ID_COLUMN: "Number"}
            | {a.name: _field_type(a.type.value) for a in layer.published_attributes},
            "geometry_type": geometry_family(layer),
            "fill": layer.publish.tiles.fill,
        }
        for layer in layers
    ]
    minzoom = min(zooms_of(layer).start for layer in layers)
    maxzoom = max(zooms_of(layer).stop - 1 for layer in layers)
    return {
        "name": "overlay",
        "description": "Lớp dữ liệu dùng chung của thành phố / the city's shared layers (public attributes)",
        "version": "1",
        "format": "pbf",
        "type": "overlay",
        "attribution": "Thành phố Đà Nẵng",
        "minzoom": str(minzoom),
        "maxzoom": str(maxzoom),
        "bounds": f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}",
        "center": f"{(west + east) / 2:.6f},{(south + north) / 2:.6f},{max(minzoom, min(15, maxzoom))}",
        "json": json.dumps({"vector_layers": vector_layers}, ensure_ascii=False),
    }


def _field_type(kind: str) -> str:
    return {"integer": "Number", "number": "Number", "boolean": "Boolean"}.get(kind, "String")
