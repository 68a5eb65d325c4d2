"""The toolkit's schemas in PostGIS, created by ``danang-sdi db init`` (idempotent)."""

from __future__ import annotations

from danang_sdi import __version__
from danang_sdi.settings import Settings
from danang_sdi.store.database import connect

META_SCHEMA = "sdi_meta"

META_DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {META_SCHEMA}.info (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated timestamptz NOT NULL DEFAULT now()
    )""",
]


def init_database(settings: Settings) -> list[str]:
    """Create what is missing; return the names of the objects created (empty on a re-run)."""
    created: list[str] = []
    with connect(settings) as conn:
        before = _existing_relations(conn)
        for statement in META_DDL:
            conn.execute(statement)
        conn.execute(
            f"INSERT INTO {META_SCHEMA}.info (key, value) VALUES ('toolkit_version', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated = now() "
            f"WHERE {META_SCHEMA}.info.value IS DISTINCT FROM EXCLUDED.value",
            (__version__,),
        )
        after = _existing_relations(conn)
        created = sorted(after - before)
    return created


def _existing_relations(conn) -> set[str]:
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname LIKE 'sdi%' AND c.relkind IN ('r', 'v', 'p') "
        "UNION SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sdi%'"
    ).fetchall()
    return {r[0] for r in rows}


def existing_relations(settings: Settings) -> set[str]:
    with connect(settings) as conn:
        return _existing_relations(conn)
