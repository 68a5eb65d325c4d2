"""Cut one tile: clip, simplify, snap to the tile grid, thin, merge, order, then encode (``encode.py``).

mapbox-vector-tile neither clips nor simplifies, and its own quantisation and winding checks run per
coordinate in Python. So everything geometric happens here first, on whole arrays with shapely 2, and
the encoder only writes integer coordinates that are already clipped, valid and correctly wound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from danang_sdi.tiles import shortbread as sb
from danang_sdi.tiles.encode import EXTENT, encode_tile
from danang_sdi.tiles.osm import FeatureTable, keep_one_dimension

_POINT, _LINE, _POLYGON = 0, 1, 2
_TYPE_OF_ID = np.array([_POINT, _LINE, _LINE, _POLYGON, _POINT, _LINE, _POLYGON, -1], dtype=np.int8)


@dataclass(frozen=True)
class TileOptions:
    """How tiles are cut. Units are tile units (``EXTENT`` per tile side; 16 units = 1 screen pixel)."""

    maxzoom: int = sb.MAXZOOM
    buffer: float = 64.0
    tolerance: float = 1.0  # simplification below maxzoom
    tolerance_maxzoom: float = 0.5
    min_area: float = 64.0  # polygons smaller than this are dropped below maxzoom (¼ screen pixel)
    min_length: float = 8.0  # lines shorter than this are dropped below maxzoom (½ screen pixel)


def fields_by_zoom(layers: tuple[sb.LayerSpec, ...], maxzoom: int) -> list[list[frozenset[str] | None]]:
    """For each layer and zoom, the attribute names written there (``None`` = all of them)."""
    table = []
    for layer in layers:
        per_zoom: list[frozenset[str] | None] = []
        for z in range(maxzoom + 1):
            names = frozenset(f.name for f in layer.fields if f.minzoom <= z)
            per_zoom.append(None if len(names) == len(layer.fields) else names)
        table.append(per_zoom)
    return table


Layer = tuple[str, np.ndarray, list[dict[str, object]]]  # name, geometries in tile units, attributes


def render_tile(
    table: FeatureTable,
    z: int,
    x: int,
    y: int,
    rows: np.ndarray,
    options: TileOptions,
    fields: list[list[frozenset[str] | None]],
    scale: float = 1.0,
) -> tuple[bytes, list[str]] | None:
    """The MVT bytes (uncompressed) of tile z/x/y and its layer names, or None when nothing is left.

    ``scale`` multiplies the simplification tolerance and the size thresholds: the builder raises it when a
    tile comes out too big.
    """
    layers = tile_layers(table, z, x, y, rows, options, fields, scale)
    if not layers:
        return None
    return encode_tile(layers), [name for name, _, _ in layers]


def tile_layers(
    table: FeatureTable,
    z: int,
    x: int,
    y: int,
    rows: np.ndarray,
    options: TileOptions,
    fields: list[list[frozenset[str] | None]],
    scale: float = 1.0,
) -> list[Layer]:
    """The layers of one tile, ready to encode: features cut, thinned, merged and in rendering order."""
    if not len(rows):
        return []
    rows = rows[np.lexsort((table.sort_value[rows], table.layer[rows]))]
    geometry = _cut(table.geometry[rows], z, x, y, options, scale)
    kind = _TYPE_OF_ID[shapely.get_type_id(geometry)]
    keep = ~shapely.is_empty(geometry) & (kind >= 0)
    if z < options.maxzoom or scale > 1:
        keep &= ~((kind == _POLYGON) & (shapely.area(geometry) < options.min_area * scale))
    rows, geometry, kind = rows[keep], geometry[keep], kind[keep]
    layers: list[Layer] = []
    for layer_index in np.flatnonzero(np.bincount(table.layer[rows])):
        in_layer = table.layer[rows] == layer_index
        spec = table.layers[layer_index]
        shapes, properties = _layer_features(
            table,
            rows[in_layer],
            geometry[in_layer],
            kind[in_layer],
            spec,
            fields[layer_index][z],
            z,
            options,
            scale,
        )
        if shapes:
            geometries = np.empty(len(shapes), dtype=object)
            geometries[:] = shapes
            layers.append((spec.name, geometries, properties))
    return layers


def _cut(geometry: np.ndarray, z: int, x: int, y: int, options: TileOptions, scale: float) -> np.ndarray:
    """Clip to the buffered tile, move to tile units, simplify and snap to the integer grid (all vectorised).

    Douglas-Peucker and plain rounding are several times faster than GEOS's topology-preserving variants;
    the few geometries they break (checked with ``is_valid``) are redone with GEOS's precision reducer.
    """
    size = EXTENT * 2**z
    origin = np.array([x * EXTENT, y * EXTENT], dtype=np.float64)
    local = shapely.transform(geometry, lambda coords: coords * size - origin)
    low, high = -options.buffer, EXTENT + options.buffer
    clipped = shapely.clip_by_rect(local, low, low, high, high)
    tolerance = (options.tolerance if z < options.maxzoom else options.tolerance_maxzoom) * scale
    simplified = shapely.simplify(clipped, tolerance, preserve_topology=False)
    snapped = shapely.remove_repeated_points(shapely.transform(simplified, np.rint))
    broken = ~shapely.is_valid(snapped) & ~shapely.is_empty(snapped)
    if broken.any():
        snapped[broken] = [
            keep_one_dimension(g) for g in shapely.set_precision(shapely.make_valid(clipped[broken]), 1.0)
        ]
    return shapely.orient_polygons(snapped, exterior_cw=False)


def _layer_features(
    table: FeatureTable,
    rows: np.ndarray,
    geometry: np.ndarray,
    kind: np.ndarray,
    spec: sb.LayerSpec,
    names: frozenset[str] | None,
    z: int,
    options: TileOptions,
    scale: float,
) -> tuple[list, list[dict[str, object]]]:
    """Attributes of this zoom, and lines with equal attributes merged into one feature (fewer MoveTo and
    fewer tag lists); features stay in the layer's sort order."""
    properties = [table.properties[row] for row in rows]
    if names is not None:  # attribute dicts are shared between features, so filter each one once
        filtered: dict[int, dict[str, object]] = {}
        for p in properties:
            if id(p) not in filtered:
                filtered[id(p)] = {k: v for k, v in p.items() if k in names}
        properties = [filtered[id(p)] for p in properties]
    if not (spec.merge_lines and (kind == _LINE).any()):
        return list(geometry), properties
    sort_value = table.sort_value[rows]
    features = [(sort_value[i], i, geometry[i], properties[i]) for i in np.flatnonzero(kind != _LINE)]
    lines = np.flatnonzero(kind == _LINE)
    groups: dict[tuple, int] = {}
    group_of = np.array(
        [groups.setdefault((sort_value[i], *properties[i].items()), len(groups)) for i in lines],
        dtype=np.int64,
    )
    first = np.full(len(groups), len(rows), dtype=np.int64)
    np.minimum.at(first, group_of, lines)
    parts, part_of = shapely.get_parts(geometry[lines], return_index=True)
    part_group = group_of[part_of]
    order = np.argsort(part_group, kind="stable")
    merged = shapely.line_merge(
        shapely.multilinestrings(parts[order], indices=part_group[order]), directed=True
    )
    min_length = options.min_length * scale if z < options.maxzoom or scale > 1 else 0.0
    long_enough = shapely.length(merged) >= min_length
    features.extend(
        (sort_value[i], i, g, properties[i])
        for i, g, keep in zip(first, merged, long_enough, strict=True)
        if keep
    )
    features.sort(key=lambda f: (f[0], f[1]))
    return [f[2] for f in features], [f[3] for f in features]
