"""What the public server may read: one view per published layer in ``sdi_pub``, and a role that reads only them.

Each view ``sdi_pub.<layer>`` selects the feature id, the catalog's *public* attributes and the geometry of
``sdi_data.<layer>``; ``restricted`` (personal data) and ``internal`` attributes are not in it, so no query the
server can make reaches them. The server connects as ``sdi_reader``, which may connect to the database, use
``sdi_pub`` and SELECT its views, and nothing else (no other schema, no temporary tables, read-only sessions).
Its password is random and kept beside the admin's, in ``<home>/pg/reader-password`` (mode 600).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from danang_sdi.catalog import Catalog
from danang_sdi.catalog.models import Layer
from danang_sdi.errors import DatabaseError
from danang_sdi.settings import Settings
from danang_sdi.store import layer_tables, schema
from danang_sdi.store.database import cluster_record, connect, database_url

PUBLISH_SCHEMA = "sdi_pub"
READER_ROLE = "sdi_reader"
PRIVATE_SCHEMAS = (layer_tables.DATA_SCHEMA, schema.META_SCHEMA)
READER_STATEMENT_TIMEOUT = "30s"


@dataclass(frozen=True)
class ReaderAccount:
    """How the server reaches the database: same host, port and database as the admin, its own role."""

    host: str
    port: int
    database: str
    user: str
    password: str

    def url(self) -> str:
        from sqlalchemy.engine import make_url  # SQLAlchemy only when a URL is wanted (0.15 s to import)

        return (
            make_url(f"postgresql+psycopg://{self.host}:{self.port}/{self.database}")
            .set(username=self.user, password=self.password)
            .render_as_string(hide_password=False)
        )


@dataclass(frozen=True)
class PublishedViews:
    views: list[str]  # sdi_pub.<layer> now in place
    dropped: list[str]  # views of layers no longer published


def password_file(settings: Settings) -> Path:
    return cluster_record(settings) / "reader-password"


def reader_password(settings: Settings) -> str:
    """The reader's password, created (random, mode 600) on first use."""
    path = password_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24) + "\n")
        os.chmod(path, 0o600)
    return path.read_text().strip()


def reader_account(settings: Settings) -> ReaderAccount:
    from sqlalchemy.engine import make_url

    admin = make_url(database_url(settings))
    if not admin.host or not admin.database:
        raise DatabaseError(
            f"the database URL must name a host and a database to publish from (got {admin!r})"
        )
    return ReaderAccount(
        host=admin.host,
        port=admin.port or 5432,
        database=admin.database,
        user=READER_ROLE,
        password=reader_password(settings),
    )


def published_layers(catalog: Catalog) -> list[Layer]:
    return [layer for layer in catalog if layer.publish.ogcapi]


def view_name(layer: Layer) -> sql.Composable:
    return sql.Identifier(PUBLISH_SCHEMA, layer.id)


def view_statements(layer: Layer) -> list[sql.Composable]:
    """Drop and re-create the layer's view (CREATE OR REPLACE cannot drop a column that became restricted)."""
    columns = [
        layer_tables.ID_COLUMN,
        *(a.name for a in layer.published_attributes),
        layer_tables.GEOMETRY_COLUMN,
    ]
    return [
        sql.SQL("DROP VIEW IF EXISTS {}").format(view_name(layer)),
        sql.SQL("CREATE VIEW {} AS SELECT {} FROM {}").format(
            view_name(layer), sql.SQL(", ").join(map(sql.Identifier, columns)), layer_tables.table_name(layer)
        ),
        sql.SQL("COMMENT ON VIEW {} IS {}").format(
            view_name(layer), sql.Literal(f"{layer.name.en}: public attributes only (danang-sdi publish)")
        ),
        sql.SQL("GRANT SELECT ON {} TO {}").format(view_name(layer), sql.Identifier(READER_ROLE)),
    ]


def reader_statements(database: str, password: str) -> list[sql.Composable]:
    """Create or update the reader role and take away everything but CONNECT and the views' schema."""
    role = sql.Identifier(READER_ROLE)
    db = sql.Identifier(database)
    private = sql.SQL(", ").join(map(sql.Identifier, PRIVATE_SCHEMAS))
    return [
        sql.SQL(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) "
            "THEN CREATE ROLE {role} LOGIN; END IF; END $$"
        ).format(name=sql.Literal(READER_ROLE), role=role),
        sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD {}").format(
            role, sql.Literal(password)
        ),
        sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role),
        sql.SQL("ALTER ROLE {} SET statement_timeout = {}").format(
            role, sql.Literal(READER_STATEMENT_TIMEOUT)
        ),
        sql.SQL("ALTER ROLE {} SET search_path = {}, public").format(role, sql.Identifier(PUBLISH_SCHEMA)),
        # Pages of 100 features: JIT compilation (set off by PostGIS's high function costs) and parallel
        # workers cost more to start than they save, and make latency depend on the machine's load.
        sql.SQL("ALTER ROLE {} SET jit = off").format(role),
        sql.SQL("ALTER ROLE {} SET max_parallel_workers_per_gather = 0").format(role),
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, role),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC, {}").format(private, role),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM PUBLIC, {}").format(private, role),
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(PUBLISH_SCHEMA)),
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(PUBLISH_SCHEMA)),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(PUBLISH_SCHEMA), role),
    ]


def publish_views(settings: Settings, catalog: Catalog) -> PublishedViews:
    """Tables (if missing), the reader role and one view per published layer, in one transaction."""
    schema.init_database(settings, catalog)
    account = reader_account(settings)
    layers = published_layers(catalog)
    wanted = {layer.id for layer in layers}
    with connect(settings) as conn:
        try:
            for statement in reader_statements(account.database, account.password):
                conn.execute(statement)
            existing = {
                row[0]
                for row in conn.execute(
                    "SELECT table_name FROM information_schema.views WHERE table_schema = %s",
                    (PUBLISH_SCHEMA,),
                )
            }
            dropped = sorted(existing - wanted)
            for name in dropped:
                conn.execute(sql.SQL("DROP VIEW {}").format(sql.Identifier(PUBLISH_SCHEMA, name)))
            for layer in layers:
                for statement in view_statements(layer):
                    conn.execute(statement)
            _analyze_never_analyzed(conn)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatabaseError(
                f"could not create the publishing views in {PUBLISH_SCHEMA}: {reason}"
            ) from exc
    return PublishedViews(
        views=[f"{PUBLISH_SCHEMA}.{layer.id}" for layer in layers],
        dropped=[f"{PUBLISH_SCHEMA}.{name}" for name in dropped],
    )


def _analyze_never_analyzed(conn) -> None:
    """Give the planner row estimates (the server's cheap ``numberMatched``) for tables never analysed."""
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = 'r' AND c.reltuples < 0",
        (layer_tables.DATA_SCHEMA,),
    ).fetchall()
    for (name,) in rows:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(layer_tables.DATA_SCHEMA, name)))
