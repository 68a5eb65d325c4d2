"""The sample deployment the notebooks run against: a database of its own, filled from ``data_samples/``.

Every clean sample delivery of ``data_samples/manifest.yml`` is read and normalised by the validation
pipeline (``read_source``, ``build_subject``) and written by the store's write path; the real SRTM DEM is
loaded as the ``dem`` raster. The database is separate from the test database, so the notebooks see the
samples and nothing else, and other tests' tables are never touched.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import yaml
from psycopg import sql
from sqlalchemy.engine import make_url

from danang_sdi.catalog import Catalog
from danang_sdi.qa.validate import build_subject
from danang_sdi.rasters import load_raster
from danang_sdi.settings import PROJECT_DIR, Settings
from danang_sdi.sources.reader import read_source
from danang_sdi.store import database
from danang_sdi.store.loader import LoadInput, SourceInfo, write_batch
from danang_sdi.store.schema import init_database

SAMPLES = PROJECT_DIR / "data_samples"
DATABASE = "danang_sdi_notebooks"
DEM = Path("dem-srtm-danang") / "danang_srtm_gl1.tif"


def clean_samples() -> dict[str, str]:
    """Sample file → layer id: the first delivery without defects of each layer (the others repeat it)."""
    manifest = yaml.safe_load((SAMPLES / "manifest.yml").read_text(encoding="utf-8"))
    chosen: dict[str, str] = {}
    for name, entry in manifest["files"].items():
        if not entry.get("defects"):
            chosen.setdefault(entry["layer"], name)
    return {name: layer for layer, name in chosen.items()}


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


def _load(settings: Settings, catalog: Catalog, path: Path, layer_id: str) -> int:
    layer = catalog.get(layer_id)
    source = read_source(path, layer)
    subject = build_subject(source, layer, catalog.code_lists_of(layer))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    data = LoadInput(
        layer=layer,
        frame=subject.frame,
        original=subject.originals,
        rejected={},
        source=SourceInfo(file_name=path.name, sha256=digest, crs=layer.storage_crs),
    )
    result = write_batch(settings, data, mode="append")
    assert result.status == "done" and result.quarantined == 0, result
    return result.inserted


def deploy_samples(db_settings: Settings, catalog: Catalog, home: Path, shared_data: Path | None) -> Settings:
    """A fresh database named ``DATABASE`` in the test cluster, with every clean sample and the DEM loaded."""
    url = make_url(database.database_url(db_settings)).set(database=DATABASE)
    settings = replace(db_settings, home=home, database_url=url.render_as_string(hide_password=False))
    _recreate(settings)
    init_database(settings, catalog)
    for name, layer_id in clean_samples().items():
        assert _load(settings, catalog, SAMPLES / name, layer_id) > 0, name
    if shared_data is not None and (shared_data / DEM).is_file():
        load_raster(settings, shared_data / DEM, catalog.raster("dem"))
    return settings


def drop_samples(settings: Settings) -> None:
    _drop(settings)
