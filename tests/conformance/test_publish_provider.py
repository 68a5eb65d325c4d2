"""The provider on its own (as pygeoapi's Starlette or Django apps would call it): offset paging and counts."""

from __future__ import annotations

import pytest

from danang_sdi.publish import config as publish_config
from danang_sdi.publish.provider import CatalogPostgreSQLProvider
from danang_sdi.publish.views import reader_account

pytestmark = pytest.mark.postgis


def provider(ogc_server, **number_matched) -> CatalogPostgreSQLProvider:
    definition = publish_config.provider(ogc_server.catalog.get("cadastral_parcel"), ogc_server.catalog)
    account = reader_account(ogc_server.settings)
    definition["data"] |= {
        "host": account.host,
        "port": account.port,
        "dbname": account.database,
        "password": account.password,
    }
    definition["number_matched"] |= number_matched
    return CatalogPostgreSQLProvider(definition)


def test_without_our_app_it_pages_by_offset(ogc_server):
    """No request state: no cursor link of its own, so pygeoapi's offset links keep working."""
    parcels = provider(ogc_server)
    first = parcels.query(offset=0, limit=10, skip_geometry=True)
    second = parcels.query(offset=10, limit=10, skip_geometry=True)
    assert "links" not in first
    assert [f["id"] for f in first["features"]] == list(range(1, 11))
    assert [f["id"] for f in second["features"]] == list(range(11, 21))
    assert first["numberMatched"] == len(ogc_server.parcels)


def test_number_matched_estimate_and_none(ogc_server):
    estimated = provider(ogc_server, exact_below=0).query(limit=1, skip_geometry=True)["numberMatched"]
    assert abs(estimated - len(ogc_server.parcels)) <= 0.05 * len(ogc_server.parcels)
    silent = provider(ogc_server, unfiltered="none").query(limit=1, skip_geometry=True)
    assert "numberMatched" not in silent
    hits = provider(ogc_server, unfiltered="none").query(resulttype="hits")
    assert hits["numberMatched"] == len(ogc_server.parcels)


def test_fields_are_the_catalog_schema_in_vietnamese(ogc_server):
    fields = provider(ogc_server).fields
    assert fields["so_to"]["title"] == "Số hiệu tờ bản đồ"
    assert "ten_chu" not in fields
