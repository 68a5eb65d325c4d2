"""The real publishing stack (views, reader role, generated config, gunicorn + pygeoapi) on a free local port.

Only the views of the given catalog's layers are created or dropped, so tests that publish a private
catalog do not disturb the views other tests rely on.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from psycopg import sql
from sqlalchemy.engine import make_url

from danang_sdi.catalog import Catalog
from danang_sdi.publish import config as publish_config
from danang_sdi.publish import server, views
from danang_sdi.settings import Settings
from danang_sdi.store.database import connect, database_url
from tests.helpers.serve_process import free_port, running

START_TIMEOUT = 60.0


def _publish(settings: Settings, catalog: Catalog) -> None:
    account = views.reader_account(settings)
    with connect(settings) as conn:
        for statement in views.reader_statements(account.database, account.password):
            conn.execute(statement)
        for layer in views.published_layers(catalog):
            for statement in views.view_statements(layer):
                conn.execute(statement)


def _unpublish(settings: Settings, catalog: Catalog) -> None:
    with connect(settings) as conn:
        for layer in views.published_layers(catalog):
            conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(views.view_name(layer)))


@contextlib.contextmanager
def running_server(
    db_settings: Settings,
    catalog: Catalog,
    workdir: Path,
    database: str | None = None,
    extra_resources: dict | None = None,
) -> Iterator[str]:
    """Publish ``catalog``'s layers (from ``database``, default the test one) and serve them.

    Yields the landing page URL; stops the server and drops the views after. ``extra_resources`` are added
    to the generated configuration (the raster coverages).
    """
    shared_password = views.password_file(db_settings)
    views.reader_password(db_settings)  # the role's password is shared: never make a new one
    home = workdir / "home"
    (home / "pg").mkdir(parents=True, exist_ok=True)
    shutil.copy(shared_password, home / "pg" / shared_password.name)
    url = make_url(database_url(db_settings))
    if database:
        url = url.set(database=database)
    settings = replace(db_settings, home=home, database_url=url.render_as_string(hide_password=False))
    _publish(settings, catalog)
    try:
        yield from _serve(settings, catalog, workdir, extra_resources or {})
    finally:
        _unpublish(settings, catalog)


def _serve(settings: Settings, catalog: Catalog, workdir: Path, extra_resources: dict) -> Iterator[str]:
    config = workdir / "pygeoapi-config.yml"
    document = publish_config.build_config(catalog, {})
    document["resources"].update(extra_resources)
    publish_config.write_config(document, config, overwrite=True)
    plan = server.prepare(settings, config, "127.0.0.1", free_port(), workers=1)
    with running(
        plan.command, plan.env, plan.url, workdir / "server.log", probe="/collections?f=json"
    ) as url:
        yield url
