"""OGC API – Features – Part 1: Core (17-069r4), abstract tests A.2 (core), A.3 (GeoJSON) and A.4 (OpenAPI 3.0).

Each test is named after the abstract test it covers; several abstract tests share one request.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgis

LAYER = "/collections/cadastral_parcel"
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"


def rels(document: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in document["links"]}


def next_href(document: dict) -> str | None:
    return next((link["href"] for link in document["links"] if link["rel"] == "next"), None)


def test_ats_core_root_op_and_success(ogc_server):
    """A.2.2 / A.2.3: the landing page links the API definition, the conformance declaration and the data."""
    landing = ogc_server.json("/", {"f": "json"})
    links = rels(landing)
    for rel in ("service-desc", "conformance", "data", "self"):
        assert rel in links, f"landing page has no {rel!r} link"
    assert links["conformance"]["href"] == f"{ogc_server.url}/conformance"
    assert links["data"]["href"] == f"{ogc_server.url}/collections"
    assert landing["title"] == "Danh mục dữ liệu không gian dùng chung thành phố Đà Nẵng"
    assert ogc_server.json("/", {"f": "json", "lang": "en"})["title"] == "Da Nang shared spatial data catalog"


def test_ats_core_api_definition_op_and_success(ogc_server):
    """A.2.4 / A.2.5 and A.4 (OpenAPI 3.0): the definition documents our paging and filter parameters."""
    api = ogc_server.json("/openapi", {"f": "json"})
    assert api["openapi"].startswith("3.0")
    items = api["paths"][f"{LAYER}/items"]["get"]["parameters"]
    names = {p.get("name") for p in items if isinstance(p, dict)}
    assert {"cursor", "filter", "filter-lang", "filter-crs"} <= names
    assert "ten_chu" not in names


def test_ats_core_conformance_op_and_success(ogc_server):
    """A.2.6 / A.2.7: core, GeoJSON and OpenAPI are declared; Part 4 (not implemented) is not."""
    conforms = ogc_server.json("/conformance")["conformsTo"]
    assert {CORE, GEOJSON, OAS30} <= set(conforms)
    assert not any("ogcapi-features-4" in uri for uri in conforms)


def test_ats_core_fc_md_op_and_success(ogc_server):
    """A.2.8 / A.2.9: /collections lists every layer the catalog publishes, by its catalog id."""
    document = ogc_server.json("/collections")
    ids = {c["id"] for c in document["collections"]}
    published = {layer.id for layer in ogc_server.catalog if layer.publish.ogcapi}
    assert ids == published
    assert "self" in rels(document)


def test_ats_core_sfc_md_op_and_success(ogc_server):
    """A.2.10 / A.2.11: one collection: items link, spatial extent around the data, Vietnamese and English."""
    collection = ogc_server.json(LAYER)
    assert collection["id"] == "cadastral_parcel"
    assert collection["title"] == "Thửa đất địa chính"
    assert ogc_server.json(LAYER, {"lang": "en"})["title"] == "Cadastral parcel"
    assert any(link["rel"] == "items" for link in collection["links"])
    minx, miny, maxx, maxy = collection["extent"]["spatial"]["bbox"][0]
    assert 108.1 < minx < maxx < 108.4 and 15.9 < miny < maxy < 16.2
    assert "địa chính" in collection["keywords"]


def test_ats_core_fc_op_and_response(ogc_server):
    """A.2.12 / A.2.19 / A.2.20: a FeatureCollection with numberReturned, numberMatched and timeStamp."""
    response = ogc_server.get(f"{LAYER}/items", {"limit": 10})
    assert response.status_code == 200
    document = response.json()
    assert document["type"] == "FeatureCollection"
    assert document["numberReturned"] == len(document["features"]) == 10
    assert document["numberMatched"] == len(ogc_server.parcels)
    assert "timeStamp" in document
    assert "self" in rels(document) and "next" in rels(document)


def test_ats_core_fc_limit_definition_and_response(ogc_server):
    """A.2.13 / A.2.14: limit is honoured; an invalid limit is a 400."""
    for limit in (1, 7, 250):
        document = ogc_server.json(f"{LAYER}/items", {"limit": limit, "skipGeometry": "true"})
        assert document["numberReturned"] == limit
    for bad in ("abc", "0", "-5"):
        assert ogc_server.get(f"{LAYER}/items", {"limit": bad}).status_code == 400, bad


def test_ats_core_fc_bbox_definition_and_response(ogc_server):
    """A.2.15 / A.2.16: features intersecting a CRS84 bbox, and only those (counted by PostGIS)."""
    bbox = (108.2170, 16.0650, 108.2190, 16.0670)
    document = ogc_server.json(f"{LAYER}/items", {"bbox": ",".join(map(str, bbox)), "limit": 1000})
    expected = ogc_server.count(
        "SELECT count(*) FROM sdi_data.cadastral_parcel WHERE ST_Intersects(geom, "
        "ST_Transform(ST_Segmentize(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 0.000125), 5899))",
        bbox,
    )
    assert 0 < expected < len(ogc_server.parcels)
    assert document["numberMatched"] == document["numberReturned"] == expected
    for bad in ("1,2,3", "a,b,c,d", "108.2,16.1,108.3,16.0"):
        assert ogc_server.get(f"{LAYER}/items", {"bbox": bad}).status_code == 400, bad


def test_ats_core_fc_time_definition_and_response(ogc_server):
    """A.2.17 / A.2.18: datetime selects the wards valid at an instant or during an interval."""
    items = "/collections/admin_commune/items"
    before = ogc_server.json(items, {"datetime": "2020-01-01"})
    assert sorted(f["properties"]["ten"] for f in before["features"]) == ["Thanh Bình", "Thuận Phước"]
    after = ogc_server.json(items, {"datetime": "2026-01-01T00:00:00Z"})
    assert sorted(f["properties"]["ten"] for f in after["features"]) == ["Hải Châu", "Thạch Thang"]
    spanning = ogc_server.json(items, {"datetime": "2025-06-01/2025-08-01"})
    assert spanning["numberReturned"] == 4
    assert ogc_server.get(items, {"datetime": "not-a-date"}).status_code == 400


def test_ats_core_fc_links_next_through_the_whole_layer(ogc_server):
    """A.2.21 (links): following ``next`` returns every feature exactly once, and the last page has no next."""
    seen: list[int] = []
    href = f"{ogc_server.url}{LAYER}/items?limit=300&skipGeometry=true"
    pages = 0
    while href:
        response = ogc_server.get(href.removeprefix(ogc_server.url))
        assert response.status_code == 200
        document = response.json()
        assert document["numberReturned"] == len(document["features"])
        seen += [f["id"] for f in document["features"]]
        href = next_href(document)
        pages += 1
    assert len(seen) == len(set(seen)) == len(ogc_server.parcels)
    assert pages == -(-len(ogc_server.parcels) // 300)


def test_ats_core_fc_links_next_with_sortby_and_filter(ogc_server):
    """Keyset paging also holds for a sort on a non-unique property with NULLs, combined with a filter."""
    params = {"limit": 97, "sortby": "-dien_tich_phap_ly", "filter": "so_to > 1", "skipGeometry": "true"}
    first = ogc_server.json(f"{LAYER}/items", params)
    features, document = list(first["features"]), first
    while next_href(document):
        document = ogc_server.json(next_href(document).removeprefix(ogc_server.url))
        features += document["features"]
    expected = ogc_server.count("SELECT count(*) FROM sdi_data.cadastral_parcel WHERE so_to > 1")
    assert len(features) == len({f["id"] for f in features}) == expected == first["numberMatched"]
    values = [f["properties"]["dien_tich_phap_ly"] for f in features]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True)
    assert values[len(present) :] == [None] * (len(values) - len(present))  # NULLs last


def test_ats_core_f_op_and_success(ogc_server):
    """A.2.22 / A.2.23: one feature by id; an unknown id is a 404."""
    feature = ogc_server.json(f"{LAYER}/items/5")
    assert feature["type"] == "Feature" and feature["id"] == 5
    assert feature["geometry"]["type"] == "MultiPolygon"
    for unknown in ("999999", "abc", "99999999999999999999"):
        assert ogc_server.get(f"{LAYER}/items/{unknown}").status_code == 404, unknown
    assert ogc_server.get("/collections/no_such_layer/items").status_code == 404


def test_ats_core_query_param_invalid_and_unknown(ogc_server):
    """Requirements /req/core/query-param-invalid and -unknown: 400, never a silent full download."""
    for params in (
        {"foo": "bar"},
        {"so_to": "seven"},
        {"sortby": "nope"},
        {"cursor": "garbage"},
        {"offset": "-1"},
    ):
        response = ogc_server.get(f"{LAYER}/items", params)
        assert response.status_code == 400, params
        assert "description" in response.json()


def test_ats_core_property_equality_filter(ogc_server):
    """Part 1 property filter: ``?so_to=7`` returns that sheet's parcels only."""
    document = ogc_server.json(f"{LAYER}/items", {"so_to": 7, "limit": 1000, "skipGeometry": "true"})
    expected = ogc_server.count("SELECT count(*) FROM sdi_data.cadastral_parcel WHERE so_to = 7")
    assert document["numberMatched"] == document["numberReturned"] == expected > 0
    assert {f["properties"]["so_to"] for f in document["features"]} == {7}


def test_ats_geojson_content(ogc_server):
    """A.3.1 / A.3.2: items and a single item are GeoJSON, served as application/geo+json."""
    for path in (f"{LAYER}/items?limit=2", f"{LAYER}/items/1"):
        response = ogc_server.get(path)
        assert response.headers["Content-Type"].startswith("application/geo+json"), path
        document = response.json()
        features = document.get("features", [document])
        for feature in features:
            assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
            assert feature["geometry"]["type"] == "MultiPolygon"


def test_properties_and_hits(ogc_server):
    """``properties`` selects what is returned; ``resulttype=hits`` counts without features."""
    document = ogc_server.json(f"{LAYER}/items", {"properties": "so_to,loai_dat", "limit": 3})
    assert [set(f["properties"]) for f in document["features"]] == [{"so_to", "loai_dat"}] * 3
    hits = ogc_server.json(f"{LAYER}/items", {"resulttype": "hits", "so_to": 7})
    assert hits["features"] == [] and hits["numberMatched"] == ogc_server.count(
        "SELECT count(*) FROM sdi_data.cadastral_parcel WHERE so_to = 7"
    )
    assert ogc_server.get(f"{LAYER}/items", {"properties": "ten_chu"}).status_code == 400
