"""Personal data never leaves the database: not in any response, and not readable by the server's role."""

from __future__ import annotations

import re

import psycopg
import pytest

from danang_sdi.publish.views import reader_account
from danang_sdi.store.database import libpq_url

pytestmark = pytest.mark.postgis

LAYER = "/collections/cadastral_parcel"


def restricted(ogc_server) -> tuple[set[str], set[str]]:
    """Names of the non-public attributes, and some of their loaded values (owner names, ID numbers...)."""
    layer = ogc_server.catalog.get("cadastral_parcel")
    names = {a.name for a in layer.attributes if a.access.value != "public"}
    values: set[str] = set()
    for name in names:
        values |= {str(v) for v in ogc_server.parcels[name].dropna().head(40)}
    return names, values


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/openapi?f=json",
        "/collections",
        LAYER,
        f"{LAYER}/queryables",
        f"{LAYER}/schema",
        f"{LAYER}/items?limit=2000",
        f"{LAYER}/items?limit=50&f=html",
        f"{LAYER}/items?limit=50&f=csv",
        f"{LAYER}/items?limit=50&f=jsonld",
        f"{LAYER}/items/3",
        f"{LAYER}/items/3?f=html",
    ],
)
def test_no_restricted_attribute_in_any_response(ogc_server, path):
    names, values = restricted(ogc_server)
    assert "ten_chu" in names and len(values) > 40
    response = ogc_server.get(path)
    assert response.status_code == 200
    text = response.text
    if "json" in response.headers.get("Content-Type", ""):
        text = str(response.json())  # Vietnamese comes \\u-escaped in JSON
    for name in names:
        assert not re.search(rf"\b{name}\b", text), f"{path} names the restricted attribute {name}"
    leaked = {v for v in values if v in text}
    assert not leaked, f"{path} shows restricted values: {sorted(leaked)[:5]}"


def test_reader_role_can_only_select_the_views(ogc_server):
    account = reader_account(ogc_server.settings)
    with psycopg.connect(libpq_url(account.url()), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM sdi_pub.cadastral_parcel").fetchone()[0] == len(
            ogc_server.parcels
        )
        denied = [
            "SELECT count(*) FROM sdi_data.cadastral_parcel",
            "SELECT ten_chu FROM sdi_pub.cadastral_parcel",
            "SELECT * FROM sdi_meta.info",
            "CREATE TABLE public.x (i int)",
            "CREATE TEMP TABLE x (i int)",
            "DELETE FROM sdi_pub.cadastral_parcel",
            "UPDATE sdi_pub.cadastral_parcel SET so_to = 1",
        ]
        for statement in denied:
            with pytest.raises(psycopg.Error):
                conn.execute(statement)


def test_server_never_connects_as_the_loader(ogc_server):
    with psycopg.connect(libpq_url(reader_account(ogc_server.settings).url())) as conn:
        ogc_server.json(f"{LAYER}/items", {"limit": 1})
        users = {
            row[0]
            for row in conn.execute(
                "SELECT usename FROM pg_stat_activity WHERE application_name = 'pygeoapi' AND datname = current_database()"
            )
        }
    assert users == {"sdi_reader"}
