"""read_layer against the real PostGIS: exact round trip, filters as bound values, bbox, CRS, names."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import shapely

import danang_sdi
from danang_sdi.analysis import read_layer
from danang_sdi.errors import ConfigError
from danang_sdi.sources.transform import transformer
from tests.helpers.analysis_fixtures import drop_table, loaded_layer, parcels

pytestmark = pytest.mark.postgis

LAYER = "test_analysis_parcel"


@pytest.fixture(scope="module")
def source():
    return parcels(40)


@pytest.fixture(scope="module")
def settings(db_settings, source, tmp_path_factory):
    settings = loaded_layer(db_settings, tmp_path_factory.mktemp("layers"), LAYER, source)
    yield settings
    drop_table(settings, danang_sdi.catalog(settings).get(LAYER))


def _plain(value):
    """One comparable Python value per cell, whatever the dtype that carries it."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value


def test_round_trip_is_exact(settings, source):
    frame = read_layer(LAYER, settings=settings)
    assert frame.crs.to_epsg() == 5899
    assert len(frame) == len(source)
    assert frame.index.name == "fid" and frame.index.is_monotonic_increasing
    for column in source.columns.drop("geometry"):
        assert [_plain(v) for v in frame[column]] == [_plain(v) for v in source[column]], column
    assert shapely.equals_exact(frame.geometry.values, source.geometry.values, tolerance=0).all()


def test_columns_carry_the_catalog_types(settings):
    frame = read_layer(LAYER, settings=settings)
    assert str(frame["so_to"].dtype) == "Int64"
    assert frame["dien_tich"].dtype == np.float64
    assert frame["dien_tich_phap_ly"].isna().sum() == 10
    assert frame["ngay_cap_nhat"].dtype.kind == "M"
    assert frame.loc[frame.index[1], "ngay_cap_nhat"] == pd.Timestamp(dt.date(2020, 1, 31))
    ward = frame["ma_xa"]
    assert isinstance(ward.dtype, pd.CategoricalDtype)
    assert ward.cat.categories[0] == "20194" and "20242" in ward.cat.categories  # the code list, in order
    assert list(frame["he_ma_loai_dat"].cat.categories) == ["TT27_2018", "TT08_2024"]  # an enum


def test_code_columns_get_their_names(settings):
    frame = read_layer(LAYER, settings=settings)
    assert frame.columns.get_loc("ma_xa_name") == frame.columns.get_loc("ma_xa") + 1
    assert set(frame.loc[frame["ma_xa"] == "20248", "ma_xa_name"]) == {"Phường Nam Dương"}
    mixed = frame.loc[frame["loai_dat"] == "ODT+CLN", "loai_dat_name"]
    assert set(mixed) == {"Đất ở tại đô thị + Đất trồng cây lâu năm"}
    english = read_layer(LAYER, columns=["ma_xa"], lang="en", settings=settings)
    assert set(english.loc[english["ma_xa"] == "20248", "ma_xa_name"]) == {"Nam Duong Ward"}
    bare = read_layer(LAYER, names=False, settings=settings)
    assert not [c for c in bare.columns if c.endswith("_name")]


def test_where_binds_values_never_sql(settings, source):
    assert (
        len(read_layer(LAYER, where={"ma_xa": "20245"}, settings=settings)) == (source.ma_xa == "20245").sum()
    )
    both = read_layer(LAYER, where={"ma_xa": ["20245", "20248"], "so_to": 2}, settings=settings)
    assert len(both) == 7 and set(both.so_to) == {2}
    assert len(read_layer(LAYER, where={"dien_tich_phap_ly": None}, settings=settings)) == 10
    injected = read_layer(LAYER, where={"ma_xa": "20245' OR '1'='1"}, settings=settings)
    assert injected.empty


@pytest.mark.parametrize(
    ("where", "phrase"),
    [({"ten_duong": "Lê Lợi"}, "'ten_duong' not among the attributes"), ("ma_xa = '20245'", "not SQL text")],
)
def test_bad_where_is_refused_clearly(settings, where, phrase):
    with pytest.raises(ConfigError, match=phrase):
        read_layer(LAYER, where=where, settings=settings)


def test_columns_are_checked_against_the_catalog(settings):
    frame = read_layer(LAYER, columns=["so_to", "so_thua"], settings=settings)
    assert list(frame.columns) == ["so_to", "so_thua", "geometry"]
    with pytest.raises(
        ConfigError, match=r"'owner' not among the attributes of test_analysis_parcel; known: fid"
    ):
        read_layer(LAYER, columns=["so_to", "owner"], settings=settings)


def test_bbox_in_the_storage_crs_and_in_lon_lat(settings, source):
    box = (550030.0, 1777030.0, 550060.0, 1777060.0)
    expected = int(shapely.intersects(source.geometry.values, shapely.box(*box)).sum())
    assert expected == 4
    assert len(read_layer(LAYER, bbox=box, settings=settings)) == expected
    to_lonlat = transformer("EPSG:5899", "EPSG:4326")
    west, south = to_lonlat.transform(box[0] + 1, box[1] + 1)
    east, north = to_lonlat.transform(box[2] - 1, box[3] - 1)
    lonlat = read_layer(LAYER, bbox=(west, south, east, north), bbox_crs="EPSG:4326", settings=settings)
    assert len(lonlat) == expected
    with pytest.raises(ConfigError, match="west > east"):
        read_layer(LAYER, bbox=box[2:] + box[:2], settings=settings)


def test_output_crs_uses_the_pinned_vn2000_operation(settings, source):
    frame = read_layer(LAYER, crs="EPSG:4326", limit=5, settings=settings)
    assert frame.crs.to_epsg() == 4326 and len(frame) == 5
    xy = shapely.get_coordinates(source.geometry.values[:5])
    lon, lat = transformer("EPSG:5899", "EPSG:4326").transform(xy[:, 0], xy[:, 1])
    got = shapely.get_coordinates(frame.geometry.values)
    assert np.abs(got[:, 0] - lon).max() < 1e-9 and np.abs(got[:, 1] - lat).max() < 1e-9


def test_connect_gives_raw_sql(settings):
    with danang_sdi.connect(settings) as con:
        count = pd.read_sql(f"SELECT count(*) AS n FROM sdi_data.{LAYER}", con)["n"].iloc[0]
    assert count == 40


def test_catalog_is_callable_and_import_is_cheap():
    import danang_sdi.catalog.models  # the subpackage becomes an attribute of danang_sdi

    assert danang_sdi.catalog().get("cadastral_parcel").natural_key == ["ma_xa", "so_to", "so_thua"]
    code = "import sys, danang_sdi; print(sorted(m for m in ('geopandas', 'sqlalchemy', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
