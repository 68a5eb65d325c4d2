"""The overlay of the city's own layers: rendered from the publishing views with ST_AsMVT, and kept current
load by load (only the tiles a batch's extent touches are rendered again), on the real sample deliveries."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import pytest

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Access
from danang_sdi.cli.main import cli
from danang_sdi.errors import TileError
from danang_sdi.samples.deploy import SAMPLES_DIR
from danang_sdi.store.batches import rollback
from danang_sdi.store.database import connect
from danang_sdi.store.ingest import load_file
from danang_sdi.store.schema import init_database
from danang_sdi.tiles.archive import TileArchive
from danang_sdi.tiles.commune import commune_boundary
from danang_sdi.tiles.overlay import build_overlay, overlay_path, update_overlay
from danang_sdi.tiles.overlay_render import tiled_layers, zooms_of
from tests.helpers.overlay_data import CURRENT_WARD, FORMER_WARD, sample_database
from tests.helpers.publish_data import database_settings

pytestmark = pytest.mark.postgis
DATABASE = "danang_sdi_tiles_test"
PARCELS = "cadastral_parcel"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def overlay(db_settings, catalog, tmp_path_factory):
    """The sample database and its overlay, built once for the module (tests that change data restore it)."""
    settings = sample_database(db_settings, catalog, DATABASE, tmp_path_factory.mktemp("overlay-home"))
    result = build_overlay(settings, catalog)
    return settings, result


def hashes(path: Path) -> dict[tuple[int, int, int], str]:
    return {(z, x, y): hashlib.sha256(data).hexdigest() for z, x, y, data in TileArchive(path).tiles()}


def decoded(path: Path):
    for z, x, y, data in TileArchive(path).tiles():
        yield z, x, y, mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def test_every_tiled_layer_with_data_is_in_the_overlay_in_its_zoom_range(overlay, catalog):
    settings, result = overlay
    assert result.output == overlay_path(settings) and result.tiles > 0
    seen: dict[str, set[int]] = {}
    for z, _x, _y, tile in decoded(result.output):
        for name in tile:
            seen.setdefault(name, set()).add(z)
    with connect(settings) as conn:
        loaded = {
            layer.id
            for layer in tiled_layers(catalog)
            if conn.execute(f"SELECT count(*) FROM sdi_pub.{layer.id}").fetchone()[0]
        }
    assert len(loaded) >= 5 and set(seen) == loaded
    for name, zooms in seen.items():
        assert zooms <= set(zooms_of(catalog.get(name))), name
    metadata = TileArchive(result.output).metadata()
    assert int(metadata["minzoom"]) == min(zooms_of(layer).start for layer in tiled_layers(catalog))


def test_tiles_carry_only_public_attributes(overlay, catalog):
    _settings, result = overlay
    checked = set()
    for _z, _x, _y, tile in decoded(result.output):
        for name, layer_tile in tile.items():
            layer = catalog.get(name)
            public = {a.name for a in layer.published_attributes}
            hidden = {a.name for a in layer.attributes if a.access is not Access.public}
            for feature in layer_tile["features"]:
                assert set(feature["properties"]) <= public, name
                assert not set(feature["properties"]) & hidden, name
                assert isinstance(feature["id"], int) and feature["id"] > 0
            checked.add(name)
    parcels = catalog.get(PARCELS)
    assert PARCELS in checked and any(a.access is Access.restricted for a in parcels.attributes)


def test_points_are_where_the_database_has_them(overlay):
    """A street light's position decoded from a z18 tile is within a few centimetres of PostGIS's own."""
    settings, result = overlay
    z, x, y, tile = next(t for t in decoded(result.output) if t[0] == 18 and "street_light" in t[3])
    feature = tile["street_light"]["features"][0]
    px, py = feature["geometry"]["coordinates"]
    n = 1 << z
    lon = (x + px / 4096) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + py / 4096) / n))))
    with connect(settings) as conn:
        want = conn.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, 4326) g FROM sdi_pub.street_light "
            "WHERE fid = %s) s",
            (feature["id"],),
        ).fetchone()
    assert abs(lon - want[0]) < 1e-6 and abs(lat - want[1]) < 1e-6


def test_a_load_rewrites_only_the_tiles_it_touched_and_a_rollback_undoes_them(overlay, catalog, tmp_path):
    settings, result = overlay
    before = hashes(result.output)
    parcels = gpd.read_file(SAMPLES_DIR / "parcels_clean.gpkg").iloc[:3].copy()
    parcels["loai_dat"] = "TMD"
    parcels.geometry = parcels.geometry.translate(2.0, 0.0)
    delivery = tmp_path / "three_parcels.gpkg"
    parcels.to_file(delivery)

    outcome = load_file(settings, delivery, PARCELS, "upsert", catalog=catalog, accept_warnings=True)
    assert outcome.batch.status == "done" and outcome.batch.updated == 3
    after = hashes(result.output)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    parcel_tiles = {key for key in before if key[0] in zooms_of(catalog.get(PARCELS))}
    assert changed, "the load changed no tile of the overlay"
    assert {z for z, _x, _y in changed} == set(zooms_of(catalog.get(PARCELS)))
    assert len(changed) < len(parcel_tiles) < len(before)  # most tiles, even of that layer, were left alone
    for z, x, y, tile in decoded(result.output):
        if (z, x, y) in changed and z == 18:
            assert "TMD" in {f["properties"]["loai_dat"] for f in tile[PARCELS]["features"]}

    full = build_overlay(settings, catalog, tmp_path / "full.mbtiles")
    assert hashes(full.output) == after  # the incremental result is exactly a rebuild's

    again = update_overlay(settings, catalog, outcome.batch.batch_id)
    assert (again.rewritten, again.removed) == (0, 0) and 0 < again.examined < len(before)

    rollback(settings, catalog, outcome.batch.batch_id)
    assert hashes(result.output) == before


def test_cli_overlay_refuses_to_clobber_then_rebuilds_and_updates_one_batch(overlay, runner, db_env):
    settings, result = overlay
    env = {**db_env, "DANANG_SDI_HOME": str(settings.home), "DANANG_SDI_DATABASE_URL": settings.database_url}
    refused = runner.invoke(cli, ["tiles", "overlay"], env=env)
    assert refused.exit_code == 1 and "pass --rebuild" in refused.output
    rebuilt = runner.invoke(cli, ["tiles", "overlay", "--rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"{result.tiles} tiles" in rebuilt.output
    update = runner.invoke(cli, ["tiles", "overlay", "--batch", "1"], env=env)
    assert update.exit_code == 0 and "0 rewritten, 0 removed" in update.output
    missing = runner.invoke(cli, ["tiles", "overlay", "--batch", "999999"], env=env)
    assert missing.exit_code == 1 and "there is no batch 999999" in missing.output


def test_extract_one_commune_valid_today(overlay, runner, db_env, tmp_path):
    settings, result = overlay
    env = {**db_env, "DANANG_SDI_HOME": str(settings.home), "DANANG_SDI_DATABASE_URL": settings.database_url}
    out = tmp_path / "ward.mbtiles"
    done = runner.invoke(
        cli, ["tiles", "extract", str(result.output), str(out), "--commune", CURRENT_WARD], env=env
    )
    assert done.exit_code == 0, done.output
    kept = TileArchive(out)
    assert 0 < sum(1 for _ in kept.tiles()) < result.tiles
    west, south, east, north = (float(v) for v in kept.metadata()["bounds"].split(","))
    assert 108.19 < west < east < 108.25 and 16.03 < south < north < 16.09

    expired = runner.invoke(cli, ["tiles", "extract", str(result.output), str(tmp_path / "o.mbtiles"),
                                  "--commune", FORMER_WARD], env=env)  # fmt: skip
    assert expired.exit_code == 1 and "is not valid on" in expired.output
    unknown = runner.invoke(cli, ["tiles", "extract", str(result.output), str(tmp_path / "o.mbtiles"),
                                  "--commune", "99999"], env=env)  # fmt: skip
    assert unknown.exit_code == 1 and "no commune 99999" in unknown.output
    both = runner.invoke(cli, ["tiles", "extract", str(result.output), str(tmp_path / "o.mbtiles"),
                               "--commune", CURRENT_WARD, "--bbox", "108.2,16.0,108.3,16.1"], env=env)  # fmt: skip
    assert both.exit_code == 2 and "exactly one of" in both.output


def test_extract_by_commune_says_when_no_boundaries_are_loaded(db_settings, catalog):
    settings = database_settings(db_settings, "danang_sdi_tiles_empty")
    init_database(settings, catalog)
    with connect(settings) as conn:
        conn.execute("TRUNCATE sdi_data.admin_commune")
    with pytest.raises(TileError, match=r"commune boundaries are not loaded .* is empty"):
        commune_boundary(settings, catalog, CURRENT_WARD)
    with connect(settings) as conn:
        conn.execute("DROP TABLE sdi_data.admin_commune CASCADE")
    with pytest.raises(TileError, match=r"does not exist.*--boundary FILE"):
        commune_boundary(settings, catalog, CURRENT_WARD)
