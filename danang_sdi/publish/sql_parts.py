"""SQL pieces the provider composes: output geometry in a requested CRS, bbox, datetime and property filters.

Everything the client sends reaches PostgreSQL as a bound parameter; coordinates are reprojected by PostGIS
(``ST_Transform``: PROJ's best operation, EPSG:6960 for VN-2000 → WGS 84), and axes are swapped in SQL for
CRSs whose first axis is northing or latitude (EPSG:4326), as OGC API Features Part 2 requires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dateutil.parser import isoparse
from pygeoapi.crs import get_crs
from pyproj import CRS
from sqlalchemy import ColumnElement, func, or_

CRS84_URIS = ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "http://www.opengis.net/def/crs/OGC/1.3/CRS84h")
GEOGRAPHIC_DECIMALS = 8  # ~1 mm
PROJECTED_DECIMALS = 3  # 1 mm
# A bbox edge is straight in its own CRS, curved in the storage CRS: a vertex every ~1 km keeps the error
# under a centimetre, while a city-block bbox stays a 4-vertex polygon (cheap to intersect).
DENSIFY_DEGREES = 0.01
DENSIFY_METRES = 1000.0


@dataclass(frozen=True)
class OutputCrs:
    """How to write coordinates in one CRS: its SRID in PostGIS, whether to swap axes, how many decimals."""

    srid: int
    swap_axes: bool
    geographic: bool

    @property
    def decimals(self) -> int:
        return GEOGRAPHIC_DECIMALS if self.geographic else PROJECTED_DECIMALS


@lru_cache(maxsize=64)
def output_crs(uri: str) -> OutputCrs:
    if uri in CRS84_URIS:
        return OutputCrs(4326, False, True)
    crs: CRS = get_crs(uri)
    srid = crs.to_epsg()
    if srid is None:
        raise ValueError(f"CRS {uri} has no EPSG code PostGIS could use")
    first_axis = crs.axis_info[0].direction.lower() if crs.axis_info else "east"
    return OutputCrs(srid, first_axis in ("north", "south"), crs.is_geographic)


def geometry_json(column: ColumnElement, storage_srid: int, target_uri: str | None) -> ColumnElement:
    """GeoJSON text of ``column`` in ``target_uri`` (storage CRS when None)."""
    if target_uri is None:
        return func.ST_AsGeoJSON(column, PROJECTED_DECIMALS)
    target = output_crs(target_uri)
    expression = column if target.srid == storage_srid else func.ST_Transform(column, target.srid)
    if target.swap_axes:
        expression = func.ST_FlipCoordinates(expression)
    return func.ST_AsGeoJSON(expression, target.decimals)


def envelope(bbox: list[float], bbox_crs_uri: str, storage_srid: int) -> ColumnElement:
    """The bbox as a polygon in the storage CRS, densified before reprojection (not two reprojected corners)."""
    minx, miny, maxx, maxy = (bbox[0], bbox[1], bbox[3], bbox[4]) if len(bbox) == 6 else bbox[:4]
    source = output_crs(bbox_crs_uri)
    if source.swap_axes:
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    box = func.ST_MakeEnvelope(minx, miny, maxx, maxy, source.srid)
    if source.srid == storage_srid:
        return box
    step = DENSIFY_DEGREES if source.geographic else DENSIFY_METRES
    return func.ST_Transform(func.ST_Segmentize(box, step), storage_srid)


def parse_instant(text: str) -> dt.datetime | None:
    """One end of an OGC ``datetime`` value; None for an open end (``..`` or empty)."""
    if text in ("", ".."):
        return None
    value = isoparse(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def datetime_condition(value: str, start: ColumnElement, end: ColumnElement | None) -> ColumnElement | None:
    """Features whose validity [start, end] meets the instant or interval ``value`` (open ``end`` = still valid)."""
    if "/" in value:
        first, last = value.split("/", 1)
        low, high = parse_instant(first), parse_instant(last)
    else:
        low = high = parse_instant(value)
    conditions = []
    if high is not None:
        conditions.append(start <= high)
    if low is not None:
        conditions.append(start >= low if end is None else or_(end >= low, end.is_(None)))
    if not conditions:
        return None
    return conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]


def typed_value(text: str, schema: Mapping[str, Any]) -> Any:
    """A query-string value as the property's JSON Schema type; ValueError when it is not one."""
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{text!r} is not true or false")
        return text.lower() in ("true", "1")
    if fmt == "date":
        return dt.date.fromisoformat(text)
    if fmt == "date-time":
        return parse_instant(text)
    return text
