"""``danang-sdi serve``: check everything a server needs, then hand over to gunicorn.

Before gunicorn starts, the configuration is read with its ``${VAR}`` values filled in and validated, the
database is reached as ``sdi_reader`` and every published view is found, the port is checked, and the
OpenAPI description is generated (pygeoapi's, amended by ``pygeoapi_extensions``), and a base map given
with ``--tiles`` must be a readable archive. Each failure is one ``ConfigError`` or ``DatabaseError`` line;
a running server is a gunicorn master that the caller stops by PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg import sql

from danang_sdi.errors import ConfigError, DatabaseError
from danang_sdi.publish import config as publish_config
from danang_sdi.publish import pygeoapi_extensions, tiles_routes
from danang_sdi.publish.views import PUBLISH_SCHEMA, ReaderAccount, reader_account
from danang_sdi.settings import Settings
from danang_sdi.store.database import libpq_url, mask_url

DEFAULT_CONFIG = Path("pygeoapi-config.yml")
APP = "danang_sdi.publish.app:create_app()"


@dataclass(frozen=True)
class ServerPlan:
    """The gunicorn command line and its environment, ready to run."""

    command: list[str]
    env: dict[str, str]
    url: str
    openapi: Path
    map_files: tiles_routes.MapFiles | None = None


def reader_environment(account: ReaderAccount, public_url: str) -> dict[str, str]:
    """The ``${VAR}`` values of the generated configuration."""
    return {
        "DANANG_SDI_READER_HOST": account.host,
        "DANANG_SDI_READER_PORT": str(account.port),
        "DANANG_SDI_READER_DATABASE": account.database,
        "DANANG_SDI_READER_PASSWORD": account.password,
        "DANANG_SDI_PUBLIC_URL": os.environ.get("DANANG_SDI_PUBLIC_URL") or public_url,
    }


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def load_config(path: Path) -> dict[str, Any]:
    """The configuration with ``${VAR}`` filled in from the environment, validated by pygeoapi's schema."""
    from pygeoapi.util import yaml_load

    if not path.is_file():
        raise ConfigError(
            f"no pygeoapi configuration at {path}: run 'danang-sdi publish config' or pass --config"
        )
    try:
        with path.open(encoding="utf-8") as handle:
            config = yaml_load(handle)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where} is not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:  # yaml_load raises EnvironmentError for an unset ${VAR}
        raise ConfigError(f"{path}: {exc}") from exc
    if not isinstance(config, dict) or "resources" not in config:
        raise ConfigError(f"{path} is not a pygeoapi configuration (no 'resources')")
    try:
        publish_config.validate(config)
    except ConfigError as exc:
        raise ConfigError(
            f"{path}: {exc}".replace("generated pygeoapi configuration", "configuration")
        ) from exc
    return config


def check_database(account: ReaderAccount, config: dict[str, Any]) -> None:
    """Connect as the reader and find every view the configuration serves."""
    url = account.url()
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=5) as conn:
            for resource in config["resources"].values():
                for provider in resource.get("providers", []):
                    table = provider.get("table")
                    if provider.get("type") != "feature" or not table:
                        continue
                    found = conn.execute(
                        "SELECT to_regclass(%s)", (sql.Identifier(PUBLISH_SCHEMA, table).as_string(conn),)
                    ).fetchone()[0]
                    if found is None:
                        raise DatabaseError(
                            f"view {PUBLISH_SCHEMA}.{table} does not exist: run 'danang-sdi publish views'"
                        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(
            f"cannot connect to the database at {mask_url(url)}: {reason} "
            "(is it running? has 'danang-sdi publish views' created sdi_reader?)"
        ) from exc


def check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port"
            ) from exc


def write_openapi(config: dict[str, Any], path: Path) -> Path:
    from pygeoapi.openapi import get_oas

    document = pygeoapi_extensions.amend_openapi(get_oas(config), config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def prepare(
    settings: Settings, config_path: Path, host: str, port: int, workers: int = 2, tiles: Path | None = None
) -> ServerPlan:
    """Check the configuration, the database, the port and the tiles; write the OpenAPI document; build the
    command. ``tiles`` is the base map archive (default ``<home>/tiles/basemap.pmtiles`` when it exists)."""
    config_path = config_path.resolve()
    files = tiles_routes.map_files(settings, tiles)
    account = reader_account(settings)
    public_url = f"http://{host}:{port}"
    values = reader_environment(account, public_url)
    with environment(values):
        config = load_config(config_path)
        check_database(account, config)
        check_port(host, port)
        openapi = write_openapi(config, settings.home / "publish" / "openapi.json")
    env = {
        **os.environ,
        **values,
        **files.to_env(),
        "PYGEOAPI_CONFIG": str(config_path),
        "PYGEOAPI_OPENAPI": str(openapi),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--no-control-socket",
        "--preload",  # import pygeoapi once, before forking: workers answer their first request at once
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--timeout",
        "60",
        APP,
    ]
    return ServerPlan(
        command=command, env=env, url=values["DANANG_SDI_PUBLIC_URL"], openapi=openapi, map_files=files
    )


def run(plan: ServerPlan) -> None:
    """Replace this process by gunicorn (its PID is the server's PID)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(plan.command[0], plan.command, plan.env)
