"""pygeoapi's bbox and filter reprojection, with the PROJ transformers kept instead of rebuilt per request.

``pygeoapi.crs.transform_bbox`` and ``modify_pygeofilter`` call ``pyproj.Transformer.from_crs`` on every
request: about 20 ms each time here, as PROJ searches its database for the best VN-2000 operation
(EPSG:6960). These versions give the same results (same CRSs, same axis order, same operation) from a
transformer built once per CRS pair. ``pygeoapi_extensions.install`` puts them in place of the originals.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import fields, is_dataclass
from functools import lru_cache

import numpy as np
import pygeofilter.ast
import pygeofilter.values
import pyproj
import shapely
from pygeoapi.crs import _inplace_replace_geometry_filter_name, get_crs
from shapely.geometry import mapping, shape


@lru_cache(maxsize=64)
def crs(uri: str) -> pyproj.CRS:
    return get_crs(uri)


@lru_cache(maxsize=64)
def transformer(source: str, target: str, always_xy: bool = False) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs(source), crs(target), always_xy=always_xy)


def _key(value: str | pyproj.CRS) -> str:
    return value if isinstance(value, str) else value.to_wkt()


def transform_bbox(bbox: list, from_crs: str | pyproj.CRS, to_crs: str | pyproj.CRS, always_xy=False) -> list:
    """Same contract as ``pygeoapi.crs.transform_bbox``: the two corners, in the CRSs' own axis order."""
    source, target = _key(from_crs), _key(to_crs)
    if target_epsg(target) == 3857:  # as pygeoapi: clip to Web Mercator's latitude range
        bbox = [bbox[0], max(-85.0511, bbox[1]), bbox[2], min(85.0511, bbox[3])]
    transform = (
        transformer(source, target, always_xy).transform
        if isinstance(from_crs, str) and isinstance(to_crs, str)
        else pyproj.Transformer.from_crs(from_crs, to_crs, always_xy=always_xy).transform
    )
    n = len(bbox) // 2
    return list(transform(*bbox[:n]) + transform(*bbox[n:]))


def target_epsg(uri: str) -> int | None:
    try:
        return crs(uri).to_epsg()
    except pyproj.exceptions.CRSError:
        return None


def modify_pygeofilter(
    ast_tree: pygeofilter.ast.Node,
    *,
    filter_crs_uri: str,
    storage_crs_uri: str | None = None,
    geometry_column_name: str | None = None,
) -> pygeofilter.ast.Node:
    """Same contract as ``pygeoapi.crs.modify_pygeofilter``: geometries to the storage CRS, ``geometry``
    renamed to the provider's geometry column."""
    tree = bbox_literals_as_polygons(deepcopy(ast_tree))
    if storage_crs_uri:
        _transform_geometries(tree, filter_crs_uri, storage_crs_uri)
    if geometry_column_name:
        _inplace_replace_geometry_filter_name(tree, geometry_column_name)
    return tree


def bbox_literals_as_polygons(node):
    """CQL2 ``BBOX(x1, y1, x2, y2)`` (parsed by pygeofilter as a function call) as a polygon literal, which
    the reprojection below and pygeofilter's SQL backend handle; needed for basic-spatial-functions."""
    if isinstance(node, pygeofilter.ast.Function) and node.name.lower() == "bbox":
        numbers = [float(a) for a in node.arguments if isinstance(a, int | float)]
        if len(numbers) != len(node.arguments) or len(numbers) not in (4, 6):
            return node
        minx, miny, maxx, maxy = (
            (numbers[0], numbers[1], numbers[3], numbers[4]) if len(numbers) == 6 else numbers
        )
        ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
        return pygeofilter.values.Geometry({"type": "Polygon", "coordinates": [ring]})
    if is_dataclass(node) and isinstance(node, pygeofilter.ast.Node):
        for item in fields(node):
            value = getattr(node, item.name)
            if isinstance(value, list):
                setattr(node, item.name, [bbox_literals_as_polygons(v) for v in value])
            else:
                setattr(node, item.name, bbox_literals_as_polygons(value))
    return node


def _transform_geometries(node: pygeofilter.ast.Node, filter_crs_uri: str, storage_crs_uri: str) -> None:
    storage = crs(storage_crs_uri)
    authority, code = storage.to_authority()
    for sub_node in getattr(node, "get_sub_nodes", lambda: [])():
        if not isinstance(sub_node, pygeofilter.values.Geometry):
            _transform_geometries(sub_node, filter_crs_uri, storage_crs_uri)
            continue
        inline = sub_node.geometry.get("crs", {}).get("properties", {}).get("name")  # EWKT's SRID=...
        source_uri = inline or filter_crs_uri
        if crs(source_uri) != storage:
            forward = transformer(source_uri, storage_crs_uri)

            def move(xy: np.ndarray, forward=forward) -> np.ndarray:
                return np.column_stack(forward.transform(xy[:, 0], xy[:, 1]))

            sub_node.geometry = mapping(shapely.transform(shape(sub_node.geometry), move))
        sub_node.geometry["crs"] = {"properties": {"name": f"urn:ogc:def:crs:{authority}::{code}"}}
