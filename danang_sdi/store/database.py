"""Which database the toolkit uses, and connections to it.

``DANANG_SDI_DATABASE_URL`` wins; without it the private cluster of ``danang_sdi.store.cluster`` is used.
Passwords never appear in what we print: use ``mask_url``. URLs are parsed with the standard library:
SQLAlchemy, 0.2 s to import, is only loaded where an engine is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from danang_sdi.errors import DatabaseError
from danang_sdi.settings import Settings
from danang_sdi.store import cluster

if TYPE_CHECKING:
    import sqlalchemy as sa


def cluster_record(settings: Settings) -> Path:
    return settings.home / "pg"


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL in use, with its password."""
    if settings.database_url:
        return settings.database_url
    files = cluster.ClusterFiles(cluster_record(settings))
    if files.port is None or not files.password_file.exists():
        raise DatabaseError("the private database has not been created yet: run 'danang-sdi db up'")
    return files.url()


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def libpq_url(url: str, database: str | None = None) -> str:
    """The URL as libpq takes it: scheme ``postgresql`` (no ``+driver``), optionally another database."""
    parts = urlsplit(url)._replace(scheme="postgresql")
    if database:
        parts = parts._replace(path=f"/{database}")
    return parts.geturl()


def connect(settings: Settings, autocommit: bool = False, database: str | None = None) -> psycopg.Connection:
    """A psycopg 3 connection, or a DatabaseError that names the (masked) URL and the reason."""
    url = database_url(settings)
    try:
        return psycopg.connect(libpq_url(url, database), autocommit=autocommit, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot connect to the database at {mask_url(url)}: {reason}") from exc


def engine(settings: Settings) -> sa.Engine:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    url = make_url(database_url(settings))
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return sa.create_engine(url, connect_args={"connect_timeout": 5})


def ensure_database(settings: Settings) -> None:
    """Create the toolkit's database and the postgis extension in the private cluster (idempotent)."""
    name = urlsplit(database_url(settings)).path.lstrip("/")
    with connect(settings, autocommit=True, database="postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with connect(settings, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


@dataclass(frozen=True)
class DatabaseStatus:
    url: str  # masked
    managed: bool
    running: bool
    postgresql: str | None = None
    postgis: str | None = None
    size: str | None = None
    data_dir: Path | None = None


def status(settings: Settings) -> DatabaseStatus:
    managed = settings.manages_cluster
    data_dir = None
    if managed:
        files = cluster.ClusterFiles(cluster_record(settings))
        data_dir = files.data
        if files.port is None or not cluster.is_running(files.data):
            url = mask_url(files.url()) if files.port and files.password_file.exists() else "(not created)"
            return DatabaseStatus(url=url, managed=True, running=False, data_dir=data_dir)
    url = database_url(settings)
    with connect(settings) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        postgis = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    return DatabaseStatus(
        url=mask_url(url),
        managed=managed,
        running=True,
        postgresql=pg,
        postgis=postgis[0] if postgis else None,
        size=size,
        data_dir=data_dir,
    )
