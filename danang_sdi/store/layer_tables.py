"""One PostGIS table per catalog layer, derived from its YAML: columns, geometry, GiST index, natural key.

Identifiers come from the catalog and are still composed with ``psycopg.sql.Identifier``, never with string
formatting. Re-running adds what the catalog gained (new layers, new attributes) and changes nothing else.
"""

from __future__ import annotations

from psycopg import sql

from danang_sdi.catalog.models import Attribute, AttributeType, Layer, Severity

DATA_SCHEMA = "sdi_data"
GEOMETRY_COLUMN = "geom"
ID_COLUMN = "fid"

POSTGRES_TYPES: dict[AttributeType, str] = {
    AttributeType.text: "text",
    AttributeType.integer: "bigint",
    AttributeType.number: "double precision",
    AttributeType.boolean: "boolean",
    AttributeType.date: "date",
    AttributeType.datetime: "timestamptz",
}


def srid(crs: str) -> int:
    """``"EPSG:5899"`` → 5899."""
    authority, _, code = crs.partition(":")
    if authority.upper() != "EPSG" or not code.isdigit():
        raise ValueError(f"storage CRS {crs!r} is not of the form EPSG:<code>")
    return int(code)


def column_type(attribute: Attribute) -> sql.Composable:
    if attribute.type is AttributeType.text and attribute.max_length:
        return sql.SQL("varchar({})").format(sql.Literal(attribute.max_length))
    return sql.SQL(POSTGRES_TYPES[attribute.type])


def column_definition(attribute: Attribute) -> sql.Composable:
    # NOT NULL only where a missing value is an error: such features go to quarantine, never to the table.
    not_null = attribute.required and attribute.severity is Severity.error
    return sql.SQL("{} {}{}").format(
        sql.Identifier(attribute.name), column_type(attribute), sql.SQL(" NOT NULL" if not_null else "")
    )


def table_name(layer: Layer) -> sql.Composable:
    return sql.Identifier(DATA_SCHEMA, layer.id)


def geometry_index(layer: Layer) -> sql.Composable:
    return sql.Identifier(DATA_SCHEMA, f"{layer.id}_geom_gist")


def natural_key(layer: Layer) -> sql.Composable:
    return sql.SQL("CONSTRAINT {} UNIQUE ({})").format(
        sql.Identifier(f"{layer.id}_natural_key"), sql.SQL(", ").join(map(sql.Identifier, layer.natural_key))
    )


def geometry_index_definition(layer: Layer) -> sql.Composable:
    return sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gist ({})").format(
        sql.Identifier(f"{layer.id}_geom_gist"), table_name(layer), sql.Identifier(GEOMETRY_COLUMN)
    )


def primary_key(layer: Layer) -> sql.Composable:
    return sql.SQL("CONSTRAINT {} PRIMARY KEY ({})").format(
        sql.Identifier(f"{layer.id}_pkey"), sql.Identifier(ID_COLUMN)
    )


def drop_indexes(layer: Layer) -> list[sql.Composable]:
    """Before a bulk load into an empty table: building these once afterwards beats 500,000 insertions."""
    return [
        sql.SQL("DROP INDEX IF EXISTS {}").format(geometry_index(layer)),
        *(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
                table_name(layer), sql.Identifier(f"{layer.id}_{name}")
            )
            for name in ("natural_key", "pkey")
        ),
    ]


def add_primary_key(layer: Layer) -> sql.Composable:
    return sql.SQL("ALTER TABLE {} ADD {}").format(table_name(layer), primary_key(layer))


def add_natural_key(layer: Layer) -> sql.Composable:
    return sql.SQL("ALTER TABLE {} ADD {}").format(table_name(layer), natural_key(layer))


def create_table(layer: Layer) -> list[sql.Composable]:
    """Statements that create the layer's table and indexes if they are missing."""
    geometry = sql.SQL("geometry({}, {})").format(
        sql.SQL(layer.geometry.value), sql.Literal(srid(layer.storage_crs))
    )
    columns = [
        sql.SQL("{} bigint GENERATED ALWAYS AS IDENTITY").format(sql.Identifier(ID_COLUMN)),
        *(column_definition(a) for a in layer.attributes),
        sql.SQL("{} {} NOT NULL").format(sql.Identifier(GEOMETRY_COLUMN), geometry),
        primary_key(layer),  # PostgreSQL's own name for it, given so that a bulk load can rebuild it
        natural_key(layer),
    ]
    return [
        sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(table_name(layer), sql.SQL(", ").join(columns)),
        geometry_index_definition(layer),
        *add_missing_columns(layer),
    ]


def add_missing_columns(layer: Layer) -> list[sql.Composable]:
    """For a table created from an older catalog: attributes added since, nullable (old rows have no value)."""
    return [
        sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
            table_name(layer), sql.Identifier(a.name), column_type(a)
        )
        for a in layer.attributes
    ]


HISTORY_SCHEMA = "sdi_history"
QUARANTINE_SCHEMA = "sdi_quarantine"


def history_table(layer: Layer) -> sql.Composable:
    return sql.Identifier(HISTORY_SCHEMA, layer.id)


def quarantine_table(layer: Layer) -> sql.Composable:
    return sql.Identifier(QUARANTINE_SCHEMA, layer.id)


def create_history_table(layer: Layer) -> list[sql.Composable]:
    """Every insert (I), update (U) and delete (D) of a layer row, with the row as it was before (U, D).

    That old image is what ``batches rollback`` writes back; for an insert only the ``fid`` is needed. A
    layer's first load records its inserts as one row for the run of ids ``fid`` … ``fid_last`` it was
    given (one row, not 500,000; ids it gave to features taken out before the commit never existed).
    """
    geometry = sql.SQL("geometry({}, {})").format(
        sql.SQL(layer.geometry.value), sql.Literal(srid(layer.storage_crs))
    )
    columns = [
        sql.SQL("history_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
        sql.SQL("batch_id bigint NOT NULL"),
        sql.SQL("op char(1) NOT NULL CHECK (op IN ('I', 'U', 'D'))"),
        sql.SQL("at timestamptz NOT NULL DEFAULT now()"),
        sql.SQL("{} bigint NOT NULL").format(sql.Identifier(ID_COLUMN)),
        sql.SQL("fid_last bigint"),
        *(sql.SQL("{} {}").format(sql.Identifier(a.name), column_type(a)) for a in layer.attributes),
        sql.SQL("{} {}").format(sql.Identifier(GEOMETRY_COLUMN), geometry),
    ]
    return [
        sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
            history_table(layer), sql.SQL(", ").join(columns)
        ),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING brin (batch_id)").format(
            sql.Identifier(f"{layer.id}_history_batch"), history_table(layer)
        ),
        *(
            sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                history_table(layer), sql.Identifier(a.name), column_type(a)
            )
            for a in layer.attributes
        ),
        sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS fid_last bigint").format(history_table(layer)),
    ]


def create_quarantine_table(layer: Layer) -> list[sql.Composable]:
    """Rejected features with their attributes as read (before any repair), the geometry and the reasons."""
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "batch_id bigint NOT NULL, "
            "feature_index integer NOT NULL, "
            "natural_key jsonb, "
            "attributes jsonb NOT NULL, "
            "geom geometry, "
            "reasons jsonb NOT NULL)"
        ).format(quarantine_table(layer)),
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING brin (batch_id)").format(
            sql.Identifier(f"{layer.id}_quarantine_batch"), quarantine_table(layer)
        ),
    ]


def all_statements(layer: Layer) -> list[sql.Composable]:
    return [*create_table(layer), *create_history_table(layer), *create_quarantine_table(layer)]
