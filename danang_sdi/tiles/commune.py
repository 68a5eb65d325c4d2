"""One ward's or commune's polygon from the loaded boundaries, for ``tiles extract --commune CODE``.

The boundaries are the catalog layer ``admin_commune``: its first natural-key attribute holds the code and
its ``temporal`` attributes the validity, so a code reused after the 2025 reorganisation gives the unit
valid on the day asked (today by default).
"""

from __future__ import annotations

import datetime as dt

import psycopg
import shapely
from psycopg import sql

from danang_sdi.catalog import Catalog
from danang_sdi.errors import LayerNotFound, TileError
from danang_sdi.settings import Settings
from danang_sdi.store import layer_tables
from danang_sdi.store.database import connect

COMMUNE_LAYER = "admin_commune"


def commune_boundary(
    settings: Settings, catalog: Catalog, code: str, on: dt.date | None = None
) -> shapely.Geometry:
    """The (Multi)Polygon of commune ``code`` valid on ``on`` (default today), in WGS 84."""
    on = on or dt.date.today()
    try:
        layer = catalog.get(COMMUNE_LAYER)
    except LayerNotFound as error:
        raise TileError(
            f"the catalog has no layer {COMMUNE_LAYER}, so --commune cannot be used; give --boundary FILE"
        ) from error
    table = f"{layer_tables.DATA_SCHEMA}.{layer.id}"
    code_column = sql.Identifier(layer.natural_key[0])
    valid = sql.SQL("TRUE")
    if layer.temporal is not None:
        start = sql.Identifier(layer.temporal.start)
        valid = sql.SQL("({start} IS NULL OR {start} <= %(on)s)").format(start=start)
        if layer.temporal.end:
            valid += sql.SQL(" AND ({end} IS NULL OR {end} >= %(on)s)").format(
                end=sql.Identifier(layer.temporal.end)
            )
    query = sql.SQL(
        "SELECT count(*), count(*) FILTER (WHERE {code} = %(code)s), "
        "count(*) FILTER (WHERE {code} = %(code)s AND {valid}), "
        "ST_AsBinary(ST_Transform(ST_Union({geom}) FILTER (WHERE {code} = %(code)s AND {valid}), 4326)) "
        "FROM {table}"
    ).format(
        valid=valid,
        geom=sql.Identifier(layer_tables.GEOMETRY_COLUMN),
        table=layer_tables.table_name(layer),
        code=code_column,
    )
    with connect(settings) as conn:
        if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
            raise TileError(
                f"commune boundaries are not loaded ({table} does not exist): run 'danang-sdi db init', "
                f"load them with 'danang-sdi load FILE --layer {layer.id}', or give --boundary FILE"
            )
        try:
            loaded, matching, current, wkb = conn.execute(query, {"code": code, "on": on}).fetchone()
        except psycopg.Error as error:
            raise TileError(f"cannot read commune {code} from {table}: {error}".strip()) from error
    if not loaded:
        raise TileError(
            f"commune boundaries are not loaded ({table} is empty): load them with "
            f"'danang-sdi load FILE --layer {layer.id}', or give --boundary FILE"
        )
    if not matching:
        raise TileError(
            f"no commune {code} in {table} ({loaded} boundaries loaded): check the code, e.g. 20242"
        )
    if not current or wkb is None:
        raise TileError(
            f"commune {code} in {table} is not valid on {on.isoformat()} (merged or renamed in a "
            "reorganisation); use the code of the unit that replaced it"
        )
    return shapely.from_wkb(bytes(wkb))
