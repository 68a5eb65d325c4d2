"""The toolkit's schemas in PostGIS, created by ``danang-sdi db init`` (idempotent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from danang_sdi import __version__
from danang_sdi.settings import Settings
from danang_sdi.store import layer_tables
from danang_sdi.store.database import connect

if TYPE_CHECKING:
    from danang_sdi.catalog import Catalog

META_SCHEMA = "sdi_meta"

META_DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}",
    f"CREATE SCHEMA IF NOT EXISTS {layer_tables.DATA_SCHEMA}",
    f"CREATE SCHEMA IF NOT EXISTS {layer_tables.HISTORY_SCHEMA}",
    f"CREATE SCHEMA IF NOT EXISTS {layer_tables.QUARANTINE_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.info (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated timestamptz NOT NULL DEFAULT now()
    )""",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.batch (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        layer text NOT NULL,
        file_name text NOT NULL,
        sha256 char(64) NOT NULL,
        mode text NOT NULL CHECK (mode IN ('append', 'replace', 'upsert')),
        status text NOT NULL CHECK (status IN ('done', 'failed', 'rolled_back')),
        inserted integer NOT NULL DEFAULT 0,
        updated integer NOT NULL DEFAULT 0,
        unchanged integer NOT NULL DEFAULT 0,
        deleted integer NOT NULL DEFAULT 0,
        quarantined integer NOT NULL DEFAULT 0,
        os_user text NOT NULL,
        db_user text NOT NULL DEFAULT current_user,
        started timestamptz NOT NULL,
        finished timestamptz,
        source_driver text,
        source_encoding text,
        source_crs text,
        crs_reason text,
        extent geometry(Polygon, 5899),
        report jsonb,
        message text,
        rolled_back timestamptz
    )""",
    f"CREATE INDEX IF NOT EXISTS batch_layer ON {META_SCHEMA}.batch (layer, id)",
]


def init_database(settings: Settings, catalog: Catalog | None = None) -> list[str]:
    """Create what is missing, one table per catalog layer; return the objects created (empty on a re-run)."""
    if catalog is None:
        from danang_sdi.catalog import load_catalog

        catalog = load_catalog(settings.layers_dir)
    with connect(settings) as conn:
        before = _existing_relations(conn)
        for statement in META_DDL:
            conn.execute(statement)
        for layer in catalog.layers.values():
            for statement in layer_tables.all_statements(layer):
                conn.execute(statement)
        conn.execute(
            f"INSERT INTO {META_SCHEMA}.info (key, value) VALUES ('toolkit_version', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated = now() "
            f"WHERE {META_SCHEMA}.info.value IS DISTINCT FROM EXCLUDED.value",
            (__version__,),
        )
        created = sorted(_existing_relations(conn) - before)
    return created


def _existing_relations(conn) -> set[str]:
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname LIKE 'sdi%' AND c.relkind IN ('r', 'v', 'p') "
        "UNION SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sdi%'"
    ).fetchall()
    return {r[0] for r in rows}
