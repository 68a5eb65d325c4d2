"""OGC API – Features – Part 3: Filtering (19-079r2) and CQL2 (21-065r2): queryables, ``filter`` in SQL.

Every expected count comes from PostGIS itself, so a filter evaluated wrongly (or on the client) fails.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgis

LAYER = "/collections/cadastral_parcel"
TABLE = "sdi_data.cadastral_parcel"
PART3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"
RESTRICTED = {"ten_chu", "so_cccd", "so_dien_thoai", "so_giay_chung_nhan"}


def matched(ogc_server, cql: str, **params) -> dict:
    return ogc_server.json(f"{LAYER}/items", {"filter": cql, "limit": 5000, "skipGeometry": "true", **params})


def test_filter_conformance_classes_declared(ogc_server):
    """What QGIS and GDAL look for before they send a filter to the server."""
    conforms = set(ogc_server.json("/conformance")["conformsTo"])
    for uri in (
        f"{PART3}/filter",
        f"{PART3}/features-filter",
        f"{PART3}/queryables",
        f"{CQL2}/cql2-text",
        f"{CQL2}/basic-cql2",
        f"{CQL2}/advanced-comparison-operators",
        f"{CQL2}/basic-spatial-functions",
        f"{CQL2}/spatial-functions",
    ):
        assert uri in conforms, uri


def test_filter_queryables_from_the_catalog(ogc_server):
    """Types, code lists as enums, Vietnamese titles (English with lang=en), no restricted attribute."""
    response = ogc_server.get(f"{LAYER}/queryables")
    assert response.headers["Content-Type"].startswith("application/schema+json")
    properties = response.json()["properties"]
    assert not RESTRICTED & set(properties)
    assert properties["geometry"]["format"] == "geometry-multipolygon"
    assert properties["so_to"]["type"] == "integer"
    assert properties["so_to"]["title"] == "Số hiệu tờ bản đồ"
    assert properties["ngay_cap_nhat"] == {"type": "string", "format": "date", "title": "Ngày cập nhật"}
    assert properties["he_ma_loai_dat"]["enum"] == ["TT27_2018", "TT08_2024"]
    assert "20227" in properties["ma_xa"]["enum"]  # code list admin_unit
    english = ogc_server.json(f"{LAYER}/queryables", {"lang": "en"})["properties"]
    assert english["so_to"]["title"] == "Map sheet number"


def test_filter_schema_part5(ogc_server):
    """/schema (Part 5): roles, property order and units for QGIS' field types and aliases."""
    properties = ogc_server.json(f"{LAYER}/schema")["properties"]
    assert not RESTRICTED & set(properties)
    assert properties["fid"]["x-ogc-role"] == "id"
    assert properties["geometry"]["x-ogc-role"] == "primary-geometry"
    assert properties["dien_tich"]["x-ogc-unit"] == "m2"
    assert [properties[n]["x-ogc-propertySeq"] for n in ("fid", "ma_xa", "so_to")] == [1, 2, 3]
    temporal = ogc_server.json("/collections/admin_commune/schema")["properties"]
    assert temporal["hieu_luc_tu"]["x-ogc-role"] == "primary-interval-start"
    assert temporal["hieu_luc_den"]["x-ogc-role"] == "primary-interval-end"


@pytest.mark.parametrize(
    ("cql", "sql"),
    [
        ("loai_dat = 'ODT'", "loai_dat = 'ODT'"),
        ("so_to <> 7", "so_to <> 7"),
        ("dien_tich > 150.5", "dien_tich > 150.5"),
        ("so_to = 7 AND so_thua <= 240", "so_to = 7 AND so_thua <= 240"),
        ("so_to = 7 OR NOT (dien_tich < 300)", "so_to = 7 OR NOT (dien_tich < 300)"),
        ("ngay_cap_nhat >= DATE('2020-01-01')", "ngay_cap_nhat >= DATE '2020-01-01'"),
        ("so_to_cu IS NULL", "so_to_cu IS NULL"),
    ],
)
def test_filter_cql2_basic(ogc_server, cql, sql):
    expected = ogc_server.count(f"SELECT count(*) FROM {TABLE} WHERE {sql}")
    document = matched(ogc_server, cql)
    assert document["numberMatched"] == document["numberReturned"] == expected


@pytest.mark.parametrize(
    ("cql", "sql"),
    [
        ("dia_chi LIKE '%Bàu Hạc%'", "dia_chi LIKE '%%Bàu Hạc%%'"),
        ("dien_tich BETWEEN 100 AND 200", "dien_tich BETWEEN 100 AND 200"),
        ("loai_dat IN ('ODT', 'CLN', 'TMD')", "loai_dat IN ('ODT', 'CLN', 'TMD')"),
        ("so_to NOT IN (7, 8)", "so_to NOT IN (7, 8)"),
    ],
)
def test_filter_cql2_advanced_comparison_operators(ogc_server, cql, sql):
    expected = ogc_server.count(f"SELECT count(*) FROM {TABLE} WHERE {sql}")
    assert expected > 0
    assert matched(ogc_server, cql)["numberMatched"] == expected


SQUARE_CRS84 = (
    "POLYGON((108.2170 16.0650, 108.2190 16.0650, 108.2190 16.0670, 108.2170 16.0670, 108.2170 16.0650))"
)
SQUARE_SQL = f"ST_Transform(ST_GeomFromText('{SQUARE_CRS84}', 4326), 5899)"


def test_filter_cql2_s_intersects(ogc_server):
    """basic-spatial-functions: S_INTERSECTS with a CRS84 polygon, evaluated by PostGIS."""
    expected = ogc_server.count(f"SELECT count(*) FROM {TABLE} WHERE ST_Intersects(geom, {SQUARE_SQL})")
    assert 0 < expected < len(ogc_server.parcels)
    assert matched(ogc_server, f"S_INTERSECTS(geometry, {SQUARE_CRS84})")["numberMatched"] == expected
    point = ogc_server.count(
        f"SELECT count(*) FROM {TABLE} WHERE ST_Intersects(geom, "
        "ST_Transform(ST_SetSRID(ST_MakePoint(108.218, 16.066), 4326), 5899))"
    )
    assert matched(ogc_server, "S_INTERSECTS(geometry, POINT(108.218 16.066))")["numberMatched"] == point == 1


def test_filter_cql2_s_intersects_bbox_literal(ogc_server):
    """basic-spatial-functions also takes a BBOX literal (CRS84, or filter-crs)."""
    expected = ogc_server.count(
        f"SELECT count(*) FROM {TABLE} WHERE ST_Intersects(geom, "
        "ST_Transform(ST_MakeEnvelope(108.2170, 16.0650, 108.2190, 16.0670, 4326), 5899))"
    )
    document = matched(ogc_server, "S_INTERSECTS(geometry, BBOX(108.2170, 16.0650, 108.2190, 16.0670))")
    assert document["numberMatched"] == expected > 0


@pytest.mark.parametrize(
    "function", ["S_WITHIN", "S_DISJOINT", "S_CONTAINS", "S_TOUCHES", "S_EQUALS", "S_OVERLAPS", "S_CROSSES"]
)
def test_filter_cql2_spatial_functions(ogc_server, function):
    postgis = {name: "ST_" + name[2:].title() for name in ("S_WITHIN", "S_DISJOINT", "S_CONTAINS")}
    postgis |= {
        name: "ST_" + name[2:].title() for name in ("S_TOUCHES", "S_EQUALS", "S_OVERLAPS", "S_CROSSES")
    }
    expected = ogc_server.count(f"SELECT count(*) FROM {TABLE} WHERE {postgis[function]}(geom, {SQUARE_SQL})")
    assert matched(ogc_server, f"{function}(geometry, {SQUARE_CRS84})")["numberMatched"] == expected


def test_filter_crs_parameter(ogc_server):
    """filter-crs: a polygon written in EPSG:5899 selects the same parcels as its CRS84 twin."""
    corners = ogc_server.count(
        f"SELECT count(*) FROM {TABLE} WHERE ST_Intersects(geom, ST_MakeEnvelope(549800, 1776900, 550000, 1777100, 5899))"
    )
    polygon = "POLYGON((549800 1776900, 550000 1776900, 550000 1777100, 549800 1777100, 549800 1776900))"
    document = matched(
        ogc_server,
        f"S_INTERSECTS(geometry, {polygon})",
        **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/5899"},
    )
    assert document["numberMatched"] == corners > 0


def test_filter_combined_with_bbox_and_properties(ogc_server):
    bbox = "108.2170,16.0650,108.2190,16.0670"
    expected = ogc_server.count(
        f"SELECT count(*) FROM {TABLE} WHERE loai_dat = 'ODT' AND so_to = 7 AND ST_Intersects(geom, "
        "ST_Transform(ST_Segmentize(ST_MakeEnvelope(108.2170, 16.0650, 108.2190, 16.0670, 4326), 0.000125), 5899))"
    )
    document = matched(ogc_server, "loai_dat = 'ODT'", bbox=bbox, so_to=7)
    assert document["numberMatched"] == expected


def test_filter_values_are_bound_not_spliced(ogc_server):
    """SQL in a literal stays a value: no injection, no error, no rows, and the table is still there."""
    document = matched(ogc_server, "loai_dat = 'ODT; DROP VIEW sdi_pub.cadastral_parcel; --'")
    assert document["numberMatched"] == 0
    quoted = ogc_server.json(f"{LAYER}/items", {"dia_chi": "x' OR '1'='1", "limit": 5})
    assert quoted["numberMatched"] == 0
    assert ogc_server.json(f"{LAYER}/items", {"limit": 1})["numberMatched"] == len(ogc_server.parcels)


@pytest.mark.parametrize(
    "cql",
    [
        "ten_chu = 'Nguyễn Văn A'",  # restricted: not a queryable
        "no_such_field = 1",
        "loai_dat ==== 'ODT'",
        "S_INTERSECTS(geometry, POLYGON((0 0, 1 1)))",
    ],
)
def test_filter_invalid_is_400(ogc_server, cql):
    response = ogc_server.get(f"{LAYER}/items", {"filter": cql})
    assert response.status_code == 400, response.text[:300]


def test_filter_lang_cql2_text_accepted_others_refused(ogc_server):
    ok = ogc_server.get(f"{LAYER}/items", {"filter": "so_to = 7", "filter-lang": "cql2-text", "limit": 1})
    assert ok.status_code == 200
    assert ogc_server.get(f"{LAYER}/items", {"filter": "so_to = 7", "filter-lang": "sql"}).status_code == 400
