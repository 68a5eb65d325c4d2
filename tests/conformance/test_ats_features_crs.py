"""OGC API – Features – Part 2: Coordinate Reference Systems by Reference (18-058r1), abstract tests A.1–A.6.

VN-2000 → WGS 84 must be the official EPSG:6960 operation, and EPSG:4326 coordinates are latitude first.
"""

from __future__ import annotations

import pytest
from pyproj import Transformer

pytestmark = pytest.mark.postgis

LAYER = "/collections/cadastral_parcel"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
CRS_CLASS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"


def first_ring(feature: dict) -> list[list[float]]:
    return feature["geometry"]["coordinates"][0][0]


def test_ats_crs_conformance(ogc_server):
    assert CRS_CLASS in ogc_server.json("/conformance")["conformsTo"]


def test_ats_crs_fc_md_crs_list_and_storage_crs(ogc_server):
    """A.2 / A.3: every collection lists CRS84, EPSG:4326, EPSG:3857 and EPSG:5899, and stores in EPSG:5899."""
    for collection in ogc_server.json("/collections")["collections"]:
        assert collection["crs"][0] == CRS84, collection["id"]
        assert {CRS84, EPSG.format(4326), EPSG.format(3857), EPSG.format(5899)} <= set(collection["crs"])
        assert collection["storageCrs"] == EPSG.format(5899)


def test_ats_crs_fc_crs_action_storage_crs(ogc_server):
    """A.4: ``crs`` = storage CRS returns the stored VN-2000 coordinates (easting, northing), untouched."""
    feature = ogc_server.json(f"{LAYER}/items/5", {"crs": EPSG.format(5899)})
    stored = ogc_server.parcels.geometry.iloc[4]
    x, y = first_ring(feature)[0]
    sx, sy = stored.exterior.coords[0]
    assert (x, y) == pytest.approx((sx, sy), abs=0.001)


def test_ats_crs_fc_crs_action_wgs84_uses_epsg_6960(ogc_server):
    """A.4: EPSG:4326 is latitude, longitude and matches PROJ's EPSG:6960 pipeline; CRS84 is longitude first."""
    native = first_ring(ogc_server.json(f"{LAYER}/items/5", {"crs": EPSG.format(5899)}))
    lat_lon = first_ring(ogc_server.json(f"{LAYER}/items/5", {"crs": EPSG.format(4326)}))
    lon_lat = first_ring(ogc_server.json(f"{LAYER}/items/5"))  # default: CRS84
    to_wgs84 = Transformer.from_crs("EPSG:5899", "EPSG:4326")  # authority order: lat, lon
    for (e, n), (lat, lon), (lon2, lat2) in zip(native, lat_lon, lon_lat, strict=True):
        expected_lat, expected_lon = to_wgs84.transform(e, n)
        assert (lat, lon) == pytest.approx((expected_lat, expected_lon), abs=1e-7)
        assert (lon2, lat2) == pytest.approx((expected_lon, expected_lat), abs=1e-7)
        assert 15.9 < lat < 16.2 and 108.1 < lon < 108.4


def test_ats_crs_fc_crs_action_web_mercator(ogc_server):
    ring = first_ring(ogc_server.json(f"{LAYER}/items/5", {"crs": EPSG.format(3857)}))
    x, y = ring[0]
    assert 12.03e6 < x < 12.06e6 and 1.80e6 < y < 1.83e6


def test_ats_crs_ogc_crs_header(ogc_server):
    """A.5: the Content-Crs header names the CRS of the coordinates, CRS84 when none was asked for."""
    assert ogc_server.get(f"{LAYER}/items", {"limit": 1}).headers["Content-Crs"] == f"<{CRS84}>"
    response = ogc_server.get(f"{LAYER}/items", {"limit": 1, "crs": EPSG.format(5899)})
    assert response.headers["Content-Crs"] == f"<{EPSG.format(5899)}>"


def test_ats_crs_crs_invalid(ogc_server):
    """An unsupported or malformed CRS is a 400."""
    for crs in (EPSG.format(32649), "EPSG:4326", "nonsense"):
        assert ogc_server.get(f"{LAYER}/items", {"crs": crs}).status_code == 400, crs
    response = ogc_server.get(f"{LAYER}/items", {"bbox": "1,2,3,4", "bbox-crs": EPSG.format(32649)})
    assert response.status_code == 400


def test_ats_crs_bbox_crs_action(ogc_server):
    """A.6: the same area as a CRS84, EPSG:4326 (lat first) and EPSG:5899 bbox selects the same parcels."""
    lon_lat = (108.2170, 16.0650, 108.2190, 16.0670)
    by_crs84 = ogc_server.json(f"{LAYER}/items", {"bbox": ",".join(map(str, lon_lat)), "limit": 1000})
    lat_lon = (lon_lat[1], lon_lat[0], lon_lat[3], lon_lat[2])
    by_4326 = ogc_server.json(
        f"{LAYER}/items", {"bbox": ",".join(map(str, lat_lon)), "bbox-crs": EPSG.format(4326), "limit": 1000}
    )
    ids = {f["id"] for f in by_crs84["features"]}
    assert ids and ids == {f["id"] for f in by_4326["features"]}

    to_5899 = Transformer.from_crs("OGC:CRS84", "EPSG:5899", always_xy=True)
    minx, miny = to_5899.transform(lon_lat[0], lon_lat[1])
    maxx, maxy = to_5899.transform(lon_lat[2], lon_lat[3])
    inner = (minx + 30, miny + 30, maxx - 30, maxy - 30)  # well inside: rotation between grids is ~0.1°
    by_5899 = ogc_server.json(
        f"{LAYER}/items", {"bbox": ",".join(map(str, inner)), "bbox-crs": EPSG.format(5899), "limit": 1000}
    )
    inner_ids = {f["id"] for f in by_5899["features"]}
    assert inner_ids and inner_ids <= ids
    expected = ogc_server.count(
        "SELECT count(*) FROM sdi_data.cadastral_parcel WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 5899))",
        inner,
    )
    assert len(inner_ids) == expected
