"""Fill a layer's table directly (COPY), standing in for ``danang-sdi load`` in the publishing tests."""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import pandas as pd
import shapely
from psycopg import sql
from sqlalchemy.engine import make_url

from danang_sdi.catalog.models import Layer
from danang_sdi.settings import Settings
from danang_sdi.store import database, layer_tables
from danang_sdi.store.database import connect

PUBLISH_DATABASE = "danang_sdi_publish_test"

MULTI = {"MultiPolygon": shapely.multipolygons, "MultiLineString": shapely.multilinestrings}


def _value(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def fill_layer(settings: Settings, layer: Layer, frame: gpd.GeoDataFrame, replace: bool = True) -> int:
    """Write ``frame`` (in the layer's storage CRS) into ``sdi_data.<layer>``; returns the row count."""
    names = [a.name for a in layer.attributes if a.name in frame.columns]
    geometry = frame.geometry.array
    if layer.geometry.value in MULTI:
        single = shapely.get_type_id(geometry) != shapely.get_type_id(
            MULTI[layer.geometry.value]([geometry[0]])
        )
        geometry = geometry.copy()
        geometry[single] = [MULTI[layer.geometry.value]([g]) for g in geometry[single]]
    srid = layer_tables.srid(layer.storage_crs)
    ewkb = shapely.to_wkb(shapely.set_srid(geometry, srid), hex=True, include_srid=True)
    columns = sql.SQL(", ").join(map(sql.Identifier, [*names, layer_tables.GEOMETRY_COLUMN]))
    with connect(settings) as conn:
        if replace:
            conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(layer_tables.table_name(layer)))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(layer_tables.table_name(layer), columns)
        with conn.cursor().copy(copy_sql) as copy:
            for values, wkb in zip(frame[names].itertuples(index=False), ewkb, strict=True):
                copy.write_row([*(_value(v) for v in values), wkb])
        conn.execute(sql.SQL("ANALYZE {}").format(layer_tables.table_name(layer)))
    return len(frame)


def stamp_dates(frame: gpd.GeoDataFrame, column: str, start: dt.date, days: int) -> gpd.GeoDataFrame:
    """Spread ``column`` over ``days`` days from ``start`` (temporal tests want known dates)."""
    frame = frame.copy()
    frame[column] = [start + dt.timedelta(days=i % days) for i in range(len(frame))]
    return frame


def database_settings(db_settings: Settings, name: str = PUBLISH_DATABASE) -> Settings:
    """A database of its own in the test cluster (created on first use), so that the loader's tests can
    truncate the shared tables while the publishing tests read theirs."""
    url = make_url(database.database_url(db_settings)).set(database=name)
    settings = Settings(
        home=db_settings.home,
        layers_dir=db_settings.layers_dir,
        database_url=url.render_as_string(hide_password=False),
    )
    database.ensure_database(settings)
    return settings
