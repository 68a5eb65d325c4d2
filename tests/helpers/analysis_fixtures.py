"""A private catalog holding one real layer under a test id, filled through the real write path.

The layer is ``cadastral_parcel`` renamed, so the tests exercise every attribute type the catalog uses
(text, integer, number, date, a code list, a code list chosen by another attribute, multi-code values,
an enum, restricted fields) without touching the tables other tests and the demo use.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import yaml
from psycopg import sql

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Layer
from danang_sdi.settings import PROJECT_DIR, Settings
from danang_sdi.store import layer_tables
from danang_sdi.store.database import connect
from danang_sdi.store.loader import write_batch
from danang_sdi.store.schema import META_DDL
from tests.helpers.loader_fixtures import delivery

SOURCE_LAYER = "cadastral_parcel"


def private_catalog(directory: Path, layer_id: str) -> Path:
    """``layers/`` reduced to catalog.yml, the code lists and ``layer_id`` (a copy of cadastral_parcel)."""
    layers = PROJECT_DIR / "layers"
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(layers / "catalog.yml", directory / "catalog.yml")
    shutil.copytree(layers / "codes", directory / "codes", dirs_exist_ok=True)
    spec = yaml.safe_load((layers / f"{SOURCE_LAYER}.yml").read_text(encoding="utf-8"))
    spec["id"] = layer_id
    (directory / f"{layer_id}.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return directory


def parcels(n: int = 40) -> gpd.GeoDataFrame:
    """``n`` 20 m × 20 m parcels in Hải Châu in a 10-wide grid, with every kind of value, some missing."""
    i = np.arange(n)
    x0, y0 = 550000.0 + (i % 10) * 25.0, 1777000.0 + (i // 10) * 25.0
    squares = [
        shapely.MultiPolygon([shapely.box(x, y, x + 20.0, y + 20.0)]) for x, y in zip(x0, y0, strict=True)
    ]
    wards = np.where(i % 3 == 0, "20242", np.where(i % 3 == 1, "20245", "20248"))
    return gpd.GeoDataFrame(
        {
            "ma_xa": wards,
            "so_to": 1 + i // 10,
            "so_thua": 1 + i,
            "dien_tich": 400.0 + i * 0.25,
            "dien_tich_phap_ly": [None if k % 4 == 0 else 400.0 + k for k in i],
            "he_ma_loai_dat": np.where(i % 2 == 0, "TT27_2018", "TT08_2024"),
            "loai_dat": np.where(i % 5 == 0, "ODT+CLN", "ODT"),
            "so_to_cu": [None] * n,
            "so_thua_cu": [str(k) if k % 7 == 0 else None for k in i],
            "dia_chi": [f"Kiệt {k} Lê Lợi, Hải Châu" for k in i],
            "ten_chu": ["Nguyễn Thị Ánh" if k % 2 else None for k in i],
            "so_cccd": [None] * n,
            "so_dien_thoai": [None] * n,
            "so_giay_chung_nhan": [f"CS {k:06d}" for k in i],
            "ngay_cap_nhat": [dt.date(2020, 1, 1) + dt.timedelta(days=int(k) * 30) for k in i],
        },
        geometry=squares,
        crs="EPSG:5899",
    )


def fresh_table(settings: Settings, layer: Layer) -> None:
    with connect(settings) as conn:
        for statement in META_DDL:
            conn.execute(statement)
        for table in (layer_tables.table_name, layer_tables.history_table, layer_tables.quarantine_table):
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(table(layer)))
        for statement in layer_tables.all_statements(layer):
            conn.execute(statement)
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = %s", (layer.id,))


def drop_table(settings: Settings, layer: Layer) -> None:
    with connect(settings) as conn:
        for table in (layer_tables.table_name, layer_tables.history_table, layer_tables.quarantine_table):
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(table(layer)))
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = %s", (layer.id,))


def loaded_layer(db_settings: Settings, directory: Path, layer_id: str, frame: gpd.GeoDataFrame) -> Settings:
    """Settings whose catalog is the private one, with ``frame`` loaded into ``layer_id``'s table."""
    settings = replace(db_settings, layers_dir=private_catalog(directory, layer_id))
    layer = load_catalog(settings.layers_dir).get(layer_id)
    fresh_table(settings, layer)
    result = write_batch(settings, delivery(layer, frame, name=f"{layer_id}.gpkg"), mode="append")
    assert (result.status, result.inserted, result.quarantined) == ("done", len(frame), 0)
    return settings
