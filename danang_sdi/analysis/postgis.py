"""Layers as GeoDataFrames straight from PostGIS, for analysts in Jupyter.

The query is composed with SQLAlchemy Core from catalog names only; every value the caller gives (a bbox,
a filter value) is a bound parameter, so no caller text ever becomes SQL. Reprojection happens in PostGIS
(``ST_Transform``), which in Đà Nẵng applies the same VN-2000 → WGS 84 operation (EPSG:6960) as
``danang_sdi.sources.transform``; ``tests/test_analysis_postgis.py`` checks that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from pyproj import CRS

from danang_sdi.analysis.frames import ID_COLUMN, typed_frame
from danang_sdi.catalog import Catalog, load_catalog
from danang_sdi.catalog.models import AttributeType, Layer
from danang_sdi.errors import ConfigError, DatabaseError
from danang_sdi.settings import Settings
from danang_sdi.store import database
from danang_sdi.store.layer_tables import DATA_SCHEMA, GEOMETRY_COLUMN, srid

SQL_TYPES: dict[AttributeType, Any] = {
    AttributeType.text: sa.Text(),
    AttributeType.integer: sa.BigInteger(),
    AttributeType.number: sa.Float(),
    AttributeType.boolean: sa.Boolean(),
    AttributeType.date: sa.Date(),
    AttributeType.datetime: sa.DateTime(timezone=True),
}

BBox = tuple[float, float, float, float]


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else Settings.from_env()


def catalog(settings: Settings | None = None) -> Catalog:
    """The layer catalog (``DANANG_SDI_LAYERS`` or the project's ``layers/``).

    Examples
    --------
    >>> catalog().get("water_pipe").geometry.value
    'MultiLineString'
    """
    return load_catalog(_settings(settings).layers_dir)


@lru_cache(maxsize=8)
def _engine(url: str) -> sa.Engine:
    return database.engine(Settings(database_url=url))


def engine(settings: Settings | None = None) -> sa.Engine:
    """One SQLAlchemy engine per database URL, kept for the life of the kernel."""
    return _engine(database.database_url(_settings(settings)))


def connect(settings: Settings | None = None) -> sa.Connection:
    """A SQLAlchemy connection to the SDI database, for raw SQL (``pd.read_sql``, ``gpd.read_postgis``).

    Use it in a ``with`` block so that it is closed: ``with danang_sdi.connect() as con: ...``.
    Layer tables are ``sdi_data.<layer id>`` with their geometry in ``geom`` (EPSG:5899).
    """
    try:
        return engine(settings).connect()
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[-1] if exc.orig else type(exc).__name__
        raise DatabaseError(f"cannot connect to the SDI database: {reason}") from exc


def epsg_of(crs: str | int | CRS) -> int:
    """The EPSG code PostGIS knows a CRS by (``OGC:CRS84`` → 4326, the same lon/lat order in PostGIS)."""
    parsed = CRS.from_user_input(crs)
    code = parsed.to_epsg() or (4326 if parsed.equals(CRS.from_user_input("OGC:CRS84")) else None)
    if code is None:
        raise ConfigError(f"CRS {crs!r} has no EPSG code; give one such as EPSG:5899, EPSG:4326 or EPSG:3857")
    return code


def _table(layer: Layer) -> sa.TableClause:
    columns = [sa.column(ID_COLUMN, sa.BigInteger())]
    columns += [sa.column(a.name, SQL_TYPES[a.type]) for a in layer.attributes]
    columns.append(sa.column(GEOMETRY_COLUMN))
    return sa.table(layer.id, *columns, schema=DATA_SCHEMA)


def _check_columns(layer: Layer, names: Sequence[str], what: str) -> None:
    known = [ID_COLUMN, *(a.name for a in layer.attributes)]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"{what} {', '.join(map(repr, unknown))} not among the attributes of {layer.id}; "
            f"known: {', '.join(known)}"
        )


def _conditions(layer: Layer, table: sa.TableClause, where: Mapping[str, Any]) -> list[sa.ColumnElement]:
    """``{column: value}`` → equality, a list or tuple → IN, None → IS NULL; values are bound parameters."""
    if not isinstance(where, Mapping):
        raise ConfigError("where must be a dict of column → value (a list of values means IN), not SQL text")
    _check_columns(layer, list(where), "where column(s)")
    conditions = []
    for name, value in where.items():
        column = table.c[name]
        if value is None:
            conditions.append(column.is_(None))
        elif isinstance(value, list | tuple | set | frozenset | pd.Index):
            conditions.append(column.in_(list(value)))
        else:
            conditions.append(column == value)
    return conditions


def _bbox_condition(geom: sa.ColumnElement, bbox: BBox, bbox_srid: int, storage: int) -> sa.ColumnElement:
    if len(bbox) != 4:
        raise ConfigError(f"bbox must be (west, south, east, north), got {bbox!r}")
    west, south, east, north = (float(v) for v in bbox)
    if west > east or south > north:
        raise ConfigError(f"bbox {bbox!r} is not (west, south, east, north): west > east or south > north")
    envelope = sa.func.ST_MakeEnvelope(west, south, east, north, bbox_srid)
    if bbox_srid != storage:
        envelope = sa.func.ST_Transform(envelope, storage)
    return sa.func.ST_Intersects(geom, envelope)


def layer_query(
    layer: Layer,
    bbox: BBox | None = None,
    where: Mapping[str, Any] | None = None,
    crs: str | int | CRS = "EPSG:5899",
    columns: Sequence[str] | None = None,
    bbox_crs: str | int | CRS | None = None,
    limit: int | None = None,
) -> sa.Select:
    """The SELECT behind ``read_layer``: fid, the chosen attributes, WKB geometry in ``crs``."""
    if isinstance(columns, str):
        raise ConfigError("columns must be a list of attribute names, not a string")
    table = _table(layer)
    names = [a.name for a in layer.attributes] if columns is None else list(columns)
    _check_columns(layer, names, "column(s)")
    storage, target = srid(layer.storage_crs), epsg_of(crs)
    geom = table.c[GEOMETRY_COLUMN]
    out_geom = geom if target == storage else sa.func.ST_Transform(geom, target)
    selected = [table.c[ID_COLUMN], *(table.c[n] for n in names if n != ID_COLUMN)]
    query = sa.select(*selected, sa.func.ST_AsBinary(out_geom).label("geometry"))
    if bbox is not None:
        query = query.where(_bbox_condition(geom, bbox, epsg_of(bbox_crs or crs), storage))
    if where:
        query = query.where(*_conditions(layer, table, where))
    query = query.order_by(table.c[ID_COLUMN])
    return query.limit(limit) if limit is not None else query


def read_layer(
    layer_id: str,
    bbox: BBox | None = None,
    where: Mapping[str, Any] | None = None,
    crs: str | int | CRS = "EPSG:5899",
    columns: Sequence[str] | None = None,
    *,
    bbox_crs: str | int | CRS | None = None,
    limit: int | None = None,
    names: bool = True,
    lang: str = "vi",
    settings: Settings | None = None,
) -> gpd.GeoDataFrame:
    """A catalog layer from PostGIS as a GeoDataFrame indexed by ``fid``, typed by the catalog.

    Parameters
    ----------
    layer_id : a catalog layer id, e.g. ``"cadastral_parcel"``.
    bbox : ``(west, south, east, north)`` in ``bbox_crs`` (default: ``crs``); features that intersect it.
    where : ``{column: value}``; a list of values means IN, None means IS NULL. Never SQL text.
    crs : output CRS, reprojected by PostGIS (default EPSG:5899, the storage CRS).
    columns : attributes to read (default all, restricted ones included: this reads the database directly).
    names : add ``<code column>_name`` with each code's name in ``lang`` (``vi`` or ``en``).

    Examples
    --------
    >>> pipes = read_layer("water_pipe", where={"vat_lieu": ["HDPE", "uPVC"]}, crs="EPSG:4326")  # doctest: +SKIP
    """
    settings = _settings(settings)
    cat = catalog(settings)
    layer = cat.get(layer_id)
    query = layer_query(layer, bbox, where, crs, columns, bbox_crs, limit)
    with connect(settings) as con:
        try:
            result = con.execute(query)
        except sa.exc.ProgrammingError as exc:
            if "does not exist" in str(exc.orig):
                raise DatabaseError(
                    f"layer {layer_id} has no table in the database yet: run 'danang-sdi db init', then load it"
                ) from exc
            raise
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    frame["geometry"] = shapely.from_wkb([bytes(b) for b in frame["geometry"]])
    output_crs = CRS.from_user_input(crs)
    return typed_frame(frame, layer, cat.code_lists_of(layer), output_crs, names=names, lang=lang)
