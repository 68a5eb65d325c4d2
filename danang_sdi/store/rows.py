"""A delivery as the rows a layer table can hold: geometry in its stored form, and what cannot be stored.

The geometry is put in the column's form on the client (2D, the column's type, rings counter-clockwise
as in RFC 7946) and sent as WKB, so the database stores it as is. Features the table's constraints
would refuse (NOT NULL, varchar length, geometry type, a natural key repeated in the delivery) are found
here, before any write, so that one of them never aborts a whole load: they go to quarantine with why.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from danang_sdi.catalog.models import AttributeType, GeometryType, Layer, Severity
from danang_sdi.store import layer_tables as lt
from danang_sdi.store.copy_binary import binary_array

COPY_TYPES: dict[AttributeType, str] = {
    AttributeType.text: "text",
    AttributeType.integer: "int8",
    AttributeType.number: "float8",
    AttributeType.boolean: "bool",
    AttributeType.date: "date",
    AttributeType.datetime: "timestamptz",
}
TYPE_IDS = {
    GeometryType.Point: 0,
    GeometryType.LineString: 1,
    GeometryType.Polygon: 3,
    GeometryType.MultiPoint: 4,
    GeometryType.MultiLineString: 5,
    GeometryType.MultiPolygon: 6,
}
BATCH_ROWS = 50_000  # rows prepared at a time while the COPY runs
SINGLE_OF = {
    GeometryType.MultiPoint: GeometryType.Point,
    GeometryType.MultiLineString: GeometryType.LineString,
    GeometryType.MultiPolygon: GeometryType.Polygon,
}


def _one_part_multis(layer: Layer, geoms: np.ndarray) -> np.ndarray:
    """Where a single-type layer gets a multi of one part: stored as that part."""
    if layer.geometry in SINGLE_OF:
        return np.zeros(len(geoms), dtype=bool)
    multi = TYPE_IDS[GeometryType("Multi" + layer.geometry.value)]
    return (shapely.get_type_id(geoms) == multi) & (shapely.get_num_geometries(geoms) == 1)


def stored_geometry(layer: Layer, geoms: np.ndarray) -> np.ndarray:
    """The geometries as the column keeps them, but for single parts of a multi-type (see ``wkb``).

    One-part multis become the single type a single-type layer asks for; polygon rings are oriented
    as RFC 7946 says, so that the same shape from a shapefile (clockwise) or a GeoPackage compares equal
    and an upsert does not see a change that is not there.
    """
    geoms = np.asarray(geoms, dtype=object)
    one_part = np.flatnonzero(_one_part_multis(layer, geoms))
    if len(one_part):
        geoms = geoms.copy()
        geoms[one_part] = shapely.get_geometry(geoms[one_part], 0)
    if layer.geometry.value.endswith("Polygon"):
        geoms = shapely.orient_polygons(geoms)  # exterior counter-clockwise, holes clockwise
    return geoms


def storable_type(layer: Layer, geoms: np.ndarray) -> np.ndarray:
    """Which delivered geometries the column takes in their stored form: its type, the single type of a
    multi-type column, or a one-part multi of a single-type column."""
    accepted = [TYPE_IDS[layer.geometry]] + (
        [TYPE_IDS[SINGLE_OF[layer.geometry]]] if layer.geometry in SINGLE_OF else []
    )
    return np.isin(shapely.get_type_id(geoms), accepted) | _one_part_multis(layer, geoms)


def wkb(layer: Layer, geoms: np.ndarray) -> pa.Array:
    """2D WKB for a binary COPY, single parts wrapped as one-part multis where the column is a multi-type.

    The wrapping is a fixed 9-byte header in front of the part's own WKB: no geometry is rebuilt. The
    column's type modifier gives the rows its SRID.
    """
    data = pa.array(shapely.to_wkb(geoms, output_dimension=2), type=pa.binary())
    if layer.geometry not in SINGLE_OF:
        return data
    header = struct.pack("<BII", 1, TYPE_IDS[layer.geometry], 1)  # little-endian, type, one part
    prefix = np.full(len(geoms), b"", dtype=object)  # not a numpy bytes array: it drops trailing zeros
    prefix[shapely.get_type_id(geoms) == TYPE_IDS[SINGLE_OF[layer.geometry]]] = header
    prefix = pa.array(prefix, type=pa.binary())
    return pc.binary_join_element_wise(prefix, data, pa.scalar(b"", pa.binary()))


def stored_wkb(layer: Layer, geoms: np.ndarray) -> pa.Array:
    """``wkb(layer, stored_geometry(layer, geoms))``, the common case written in numpy.

    A polygon of one ring (nearly every parcel) is written from its coordinates, reversed where the ring
    runs clockwise; GEOS copying, orienting and writing each of them costs more than the whole COPY
    encoding. Everything else goes the GEOS way.
    """
    geoms = np.asarray(geoms, dtype=object)
    simple = _one_ring_polygons(layer, geoms)
    if not simple.any():
        return wkb(layer, stored_geometry(layer, geoms))
    fast = _one_ring_wkb(geoms[simple], wrapped=layer.geometry is GeometryType.MultiPolygon)
    if simple.all():
        return fast
    rest = wkb(layer, stored_geometry(layer, geoms[~simple])).cast(pa.large_binary())
    position = np.empty(len(geoms), dtype=np.int64)
    position[simple] = np.arange(len(fast))
    position[~simple] = len(fast) + np.arange(len(rest))
    return pa.concat_arrays([fast, rest]).take(pa.array(position))


def _one_ring_polygons(layer: Layer, geoms: np.ndarray) -> np.ndarray:
    """Non-empty polygons without holes, in a polygon layer: what ``_one_ring_wkb`` writes."""
    if layer.geometry not in (GeometryType.Polygon, GeometryType.MultiPolygon):
        return np.zeros(len(geoms), dtype=bool)
    polygon = shapely.get_type_id(geoms) == TYPE_IDS[GeometryType.Polygon]
    candidates = geoms[polygon]
    polygon[polygon] = (shapely.get_num_interior_rings(candidates) == 0) & ~shapely.is_empty(candidates)
    return polygon


_RING_HEADER = [("order", "u1"), ("type", "<u4"), ("rings", "<u4"), ("points", "<u4")]
_WRAPPED_RING_HEADER = [("multi_order", "u1"), ("multi_type", "<u4"), ("parts", "<u4"), *_RING_HEADER]


def _one_ring_wkb(polygons: np.ndarray, wrapped: bool) -> pa.Array:
    """Little-endian 2D WKB of polygons without holes, exterior counter-clockwise, optionally wrapped as
    one-part MultiPolygons."""
    xy, owner = shapely.get_coordinates(polygons, return_index=True)
    counts = np.bincount(owner, minlength=len(polygons))
    starts = np.cumsum(counts) - counts
    # Orientation: the shoelace sum, around each ring's first vertex for precision.
    x, y = xy[:, 0] - xy[starts, 0][owner], xy[:, 1] - xy[starts, 1][owner]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    same_ring = owner[:-1] == owner[1:]
    clockwise = np.bincount(owner[:-1][same_ring], cross[same_ring], minlength=len(polygons)) < 0
    if clockwise.any():
        flip = clockwise[owner]
        index = np.arange(len(xy))
        index[flip] = (2 * starts + counts - 1)[owner[flip]] - index[flip]
        xy = xy[index]
    header = np.empty(len(polygons), dtype=_WRAPPED_RING_HEADER if wrapped else _RING_HEADER)
    header["order"], header["rings"], header["points"] = 1, 1, counts  # little-endian, one ring
    header["type"] = TYPE_IDS[GeometryType.Polygon]
    if wrapped:
        header["multi_order"], header["parts"] = 1, 1
        header["multi_type"] = TYPE_IDS[GeometryType.MultiPolygon]
    coordinates = binary_array(np.ascontiguousarray(xy, dtype="<f8"), counts * 16)
    header_bytes = binary_array(header, np.full(len(polygons), header.dtype.itemsize))
    return pc.binary_join_element_wise(header_bytes, coordinates, pa.scalar(b"", pa.large_binary()))


def _reason(rule: str, message: str) -> list[dict[str, Any]]:
    return [{"rule": rule, "severity": "error", "message": message}]


def unstorable(layer: Layer, frame: gpd.GeoDataFrame) -> dict[int, list[dict[str, Any]]]:
    """Features the layer table cannot hold whatever else is delivered, by index, with why.

    Validation reports each of these as an error too; finding them here keeps the write path safe when
    it is called without validation.
    """
    found: dict[int, list[dict[str, Any]]] = {}

    def add(mask: np.ndarray, rule: str, message: str) -> None:
        for index in frame.index[mask]:
            found.setdefault(int(index), []).extend(_reason(rule, message))

    add(
        ~storable_type(
            layer, frame.geometry.values
        ),  # a missing geometry (type -1) too: the column is NOT NULL
        "geometry.type",
        f"the table holds {layer.geometry.value} geometries only",
    )
    for attribute in layer.attributes:
        values = frame[attribute.name] if attribute.name in frame else pd.Series(None, index=frame.index)
        if attribute.required and attribute.severity is Severity.error:
            add(values.isna().to_numpy(), "field.missing", f"{attribute.name} is required")
        if attribute.type is AttributeType.text and attribute.max_length:
            too_long = values.astype("string").str.len() > attribute.max_length
            add(
                too_long.fillna(False).to_numpy(dtype=bool),
                "field.range",
                f"{attribute.name} is longer than the column",
            )
    return found


def repeated_keys(
    layer: Layer, frame: pd.DataFrame, leaving_out: Iterable[int] = ()
) -> dict[int, list[dict[str, Any]]]:
    """Features whose natural key another one of ``frame`` (but those ``leaving_out``) shares: the unique
    key can hold none of them."""
    if not set(layer.natural_key) <= set(frame.columns):
        return {}
    keys = frame[list(layer.natural_key)].drop(index=list(leaving_out), errors="ignore")
    repeated = keys.index[keys.notna().all(axis=1) & keys.duplicated(keep=False)]
    why = _reason("key.duplicate", "the natural key appears more than once in this delivery")
    return {int(index): why for index in repeated}


def copy_names(layer: Layer) -> list[str]:
    """The table columns ``copy_batches`` fills, after its first one."""
    return [*(a.name for a in layer.attributes), lt.GEOMETRY_COLUMN]


def copy_batches(
    layer: Layer, frame: gpd.GeoDataFrame, first: tuple[str, np.ndarray], size: int = BATCH_ROWS
) -> Iterator[list[tuple[str, Any]]]:
    """(COPY type, values) of ``first``, every attribute and the stored geometry, ``size`` rows at a time.

    A generator: each slice's geometry is put in its stored form only when the COPY asks for it, so the
    database reads one slice while the next is prepared.
    """
    kind, values = first
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size]
        columns = [
            (COPY_TYPES[a.type], part[a.name] if a.name in part else pd.Series(None, index=part.index))
            for a in layer.attributes
        ]
        geometry = stored_wkb(layer, part.geometry.values)
        yield [(kind, values[start : start + size]), *columns, ("bytea", geometry)]
