"""Shared fixtures: the repository paths, the real third-party data, and a real private PostGIS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from danang_sdi.settings import PROJECT_DIR, Settings

SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"
TEST_HOME = PROJECT_DIR / ".sdi" / "test-home"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the clone (real OSM, boundaries, DEM); tests skip without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def db_settings() -> Iterator[Settings]:
    """Settings pointing at a real PostGIS: DANANG_SDI_DATABASE_URL if set, else a private test cluster.

    The test cluster lives in ``.sdi/test-home`` so that tests never touch the demo database.
    """
    from danang_sdi.store import cluster, database

    started = False
    if os.environ.get("DANANG_SDI_DATABASE_URL"):
        settings = Settings.from_env()
    else:
        settings = Settings(home=TEST_HOME)
        started = cluster.up(database.cluster_record(settings), say=lambda _msg: None).started
        database.ensure_database(settings)
    with database.connect(settings) as conn:
        assert conn.execute("SELECT postgis_lib_version()").fetchone()[0].startswith("3.")
    yield settings
    if started:  # stop what this test session started, and only that
        cluster.down(database.cluster_record(settings))


@pytest.fixture(scope="session")
def db_env(db_settings: Settings) -> dict[str, str]:
    """Environment for CLI runs against the test database."""
    env = {"DANANG_SDI_HOME": str(db_settings.home)}
    if db_settings.database_url:
        env["DANANG_SDI_DATABASE_URL"] = db_settings.database_url
    return env
