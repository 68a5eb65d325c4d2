"""read_api against the real publishing stack: the same rows as read_layer, pages followed, filters, CRS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

import danang_sdi
from danang_sdi.analysis import ApiError, read_api, read_layer
from danang_sdi.analysis.ogcapi import cql2_text, fetch_features
from tests.helpers.analysis_fixtures import drop_table, loaded_layer, parcels
from tests.helpers.ogcapi_server import running_server

pytestmark = [pytest.mark.postgis, pytest.mark.slow]

LAYER = "test_api_parcel"


@pytest.fixture(scope="module")
def deployment(db_settings, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("api")
    settings = loaded_layer(db_settings, workdir / "layers", LAYER, parcels(45))
    catalog = danang_sdi.catalog(settings)
    with running_server(db_settings, catalog, workdir) as url:
        yield settings, url
    drop_table(settings, catalog.get(LAYER))


def _published_columns(settings) -> list[str]:
    layer = danang_sdi.catalog(settings).get(LAYER)
    return [a.name for a in layer.published_attributes]


def test_same_rows_as_read_layer(deployment):
    settings, url = deployment
    columns = _published_columns(settings)
    from_db = read_layer(LAYER, crs="EPSG:5899", columns=columns, settings=settings)
    from_api = read_api(url, LAYER, crs="EPSG:5899", limit=10, settings=settings)
    assert "ten_chu" not in from_api.columns  # restricted: never on the public server
    assert list(from_api.columns) == list(from_db.columns)
    pd.testing.assert_frame_equal(
        pd.DataFrame(from_api.drop(columns="geometry")), pd.DataFrame(from_db.drop(columns="geometry"))
    )
    assert from_api.crs.to_epsg() == 5899
    assert shapely.equals_exact(from_api.geometry.values, from_db.geometry.values, tolerance=1e-6).all()


def test_pages_are_followed(deployment):
    _settings, url = deployment
    features, pages = fetch_features(url, LAYER, {"f": "json", "limit": 10})
    assert len(features) == 45 and len({f["id"] for f in features}) == 45
    assert pages >= 5  # 10 per page; a server may also link to a last, empty page


def test_lat_lon_axis_order_is_turned_to_x_y(deployment):
    settings, url = deployment
    lonlat = read_api(url, LAYER, crs="EPSG:4326", settings=settings)
    crs84 = read_api(url, LAYER, settings=settings)
    xy = shapely.get_coordinates(lonlat.geometry.values)
    assert 108.0 < xy[:, 0].min() < 108.5 and 15.5 < xy[:, 1].min() < 16.5
    assert np.abs(xy - shapely.get_coordinates(crs84.geometry.values)).max() < 1e-9


def test_filter_and_bbox_are_sent_to_the_server(deployment):
    settings, url = deployment
    where = {"ma_xa": ["20245", "20248"], "so_to": 2}
    assert cql2_text(where) == "ma_xa IN ('20245', '20248') AND so_to = 2"
    filtered = read_api(url, LAYER, filter=where, settings=settings)
    assert list(filtered.index) == list(
        read_layer(LAYER, where=where, columns=["ma_xa"], settings=settings).index
    )
    box = (550030.0, 1777030.0, 550060.0, 1777060.0)
    boxed = read_api(url, LAYER, bbox=box, bbox_crs="EPSG:5899", crs="EPSG:5899", settings=settings)
    assert list(boxed.index) == list(read_layer(LAYER, bbox=box, columns=["ma_xa"], settings=settings).index)


def test_server_errors_are_one_clear_line(deployment):
    settings, url = deployment
    with pytest.raises(ApiError, match="answered HTTP 404"):
        read_api(url, "no_such_layer", settings=settings)
