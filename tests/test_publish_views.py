"""The publishing views: public attributes only, rebuilt when the catalog changes, read by sdi_reader alone."""

from __future__ import annotations

import stat
from dataclasses import replace

import psycopg
import pytest

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Access
from danang_sdi.publish import views
from danang_sdi.store.database import connect, libpq_url
from tests.helpers.publish_data import database_settings

pytestmark = pytest.mark.postgis


@pytest.fixture(scope="module")
def settings(db_settings):
    return database_settings(db_settings, "danang_sdi_publish_views")


def view_columns(settings, name: str) -> list[str]:
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'sdi_pub' "
            "AND table_name = %s ORDER BY ordinal_position",
            (name,),
        ).fetchall()
    return [r[0] for r in rows]


def with_layer(catalog, layer):
    return replace(catalog, layers={**catalog.layers, layer.id: layer})


def test_views_hold_the_public_attributes_only(settings):
    catalog = load_catalog(settings.layers_dir)
    result = views.publish_views(settings, catalog)
    assert len(result.views) == len(views.published_layers(catalog))
    for layer in catalog:
        public = [a.name for a in layer.attributes if a.access is Access.public]
        assert view_columns(settings, layer.id) == ["fid", *public, "geom"], layer.id
    assert "ten_chu" not in view_columns(settings, "cadastral_parcel")


def test_an_attribute_made_restricted_leaves_the_view(settings):
    catalog = load_catalog(settings.layers_dir)
    parcel = catalog.get("cadastral_parcel")
    attributes = [
        a.model_copy(update={"access": Access.restricted}) if a.name == "dia_chi" else a
        for a in parcel.attributes
    ]
    views.publish_views(settings, with_layer(catalog, parcel.model_copy(update={"attributes": attributes})))
    assert "dia_chi" not in view_columns(settings, "cadastral_parcel")
    views.publish_views(settings, catalog)
    assert "dia_chi" in view_columns(settings, "cadastral_parcel")


def test_a_layer_no_longer_published_loses_its_view(settings):
    catalog = load_catalog(settings.layers_dir)
    bridge = catalog.get("bridge")
    hidden = bridge.model_copy(update={"publish": bridge.publish.model_copy(update={"ogcapi": False})})
    result = views.publish_views(settings, with_layer(catalog, hidden))
    assert result.dropped == ["sdi_pub.bridge"]
    assert view_columns(settings, "bridge") == []
    assert views.publish_views(settings, catalog).dropped == []


def test_reader_password_is_private_and_works(settings):
    views.publish_views(settings, load_catalog(settings.layers_dir))
    mode = stat.S_IMODE(views.password_file(settings).stat().st_mode)
    assert mode == 0o600
    account = views.reader_account(settings)
    with psycopg.connect(libpq_url(account.url())) as conn:
        assert conn.execute(
            "SELECT current_user, current_setting('default_transaction_read_only')"
        ).fetchone() == (
            "sdi_reader",
            "on",
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT 1 FROM sdi_data.cadastral_parcel LIMIT 1")
