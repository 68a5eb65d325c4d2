"""A database of its own with the clean samples loaded (the real load path), ward boundaries and the
publishing views, for the overlay and map viewer tests.

Its ``home`` is a temporary folder (so the overlay these tests build is never the one other tests' loads
would update), holding a copy of the test cluster's reader password (the role is shared by the cluster).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import geopandas as gpd
import shapely
from psycopg import sql
from sqlalchemy.engine import make_url

from danang_sdi.catalog import Catalog
from danang_sdi.publish.views import password_file, publish_views, reader_password
from danang_sdi.samples.deploy import load_samples
from danang_sdi.settings import Settings
from danang_sdi.store import database, schema
from tests.helpers.publish_data import fill_layer

COMMUNE_LAYER = "admin_commune"
CURRENT_WARD = "20242"  # valid from 1/7/2025 on
FORMER_WARD = "20227"  # valid until 30/6/2025


def communes() -> gpd.GeoDataFrame:
    """Four ward squares over the samples near city hall: two before the 2025 reorganisation, two after."""
    boxes = [shapely.box(549000 + i * 400, 1776500, 549400 + i * 400, 1776900) for i in range(4)]
    return gpd.GeoDataFrame(
        {
            "ma_xa": [FORMER_WARD, "20230", CURRENT_WARD, "20233"],
            "ten": ["Thanh Bình", "Thuận Phước", "Hải Châu", "Thạch Thang"],
            "loai": ["phuong"] * 4,
            "ma_tinh": ["48"] * 4,
            "dan_so": [21000, 18000, 95000, 40000],
            "hieu_luc_tu": [dt.date(2008, 1, 1)] * 2 + [dt.date(2025, 7, 1)] * 2,
            "hieu_luc_den": [dt.date(2025, 6, 30)] * 2 + [None, None],
        },
        geometry=boxes,
        crs="EPSG:5899",
    )


def sample_database(db_settings: Settings, catalog: Catalog, name: str, home: Path) -> Settings:
    """A fresh database ``name`` in the test cluster with the samples, the wards and the views."""
    reader_password(db_settings)
    (home / "pg").mkdir(parents=True, exist_ok=True)
    shutil.copy(password_file(db_settings), home / "pg" / "reader-password")
    url = make_url(database.database_url(db_settings)).set(database=name)
    settings = Settings(
        home=home, layers_dir=db_settings.layers_dir, database_url=url.render_as_string(hide_password=False)
    )
    with database.connect(db_settings, autocommit=True, database="postgres") as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    database.ensure_database(settings)
    schema.init_database(settings, catalog)
    for layer_id, outcome in load_samples(settings, catalog).items():
        assert outcome.batch.status == "done" and outcome.batch.inserted > 0, layer_id
    fill_layer(settings, catalog.get(COMMUNE_LAYER), communes())
    publish_views(settings, catalog)
    return settings
