"""The sample deployment the notebooks run against: a database of its own, filled from ``data_samples/``.

Every clean sample delivery of ``data_samples/manifest.yml`` goes through the real ``load`` path
(``danang_sdi.samples.deploy.load_samples``); the real SRTM DEM is loaded as the ``dem`` raster. The database is separate from the test database, so the notebooks see the
samples and nothing else, and other tests' tables are never touched.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from psycopg import sql
from sqlalchemy.engine import make_url

from danang_sdi.catalog import Catalog
from danang_sdi.rasters import load_raster
from danang_sdi.samples.deploy import load_samples
from danang_sdi.settings import Settings
from danang_sdi.store import database
from danang_sdi.store.schema import init_database

DATABASE = "danang_sdi_notebooks"
DEM = Path("dem-srtm-danang") / "danang_srtm_gl1.tif"


def _drop(settings: Settings) -> None:
    """Drop the samples database, ending the sessions still on it (a kernel's, the server's pool)."""
    name = make_url(settings.database_url).database
    with database.connect(settings, autocommit=True, database="postgres") as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _recreate(settings: Settings) -> None:
    _drop(settings)
    database.ensure_database(settings)


def deploy_samples(db_settings: Settings, catalog: Catalog, home: Path, shared_data: Path | None) -> Settings:
    """A fresh database named ``DATABASE`` in the test cluster, with every clean sample and the DEM loaded."""
    url = make_url(database.database_url(db_settings)).set(database=DATABASE)
    settings = replace(db_settings, home=home, database_url=url.render_as_string(hide_password=False))
    _recreate(settings)
    init_database(settings, catalog)
    for layer_id, outcome in load_samples(settings, catalog).items():
        assert outcome.batch.status == "done" and outcome.batch.inserted > 0, layer_id
        assert outcome.batch.quarantined == 0, layer_id
    if shared_data is not None and (shared_data / DEM).is_file():
        load_raster(settings, shared_data / DEM, catalog.raster("dem"))
    return settings


def drop_samples(settings: Settings) -> None:
    _drop(settings)
