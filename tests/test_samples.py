"""The synthetic samples: deterministic, valid where clean, defective exactly where the manifest says."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import yaml

from danang_sdi.cli.main import cli
from danang_sdi.samples import MANIFEST, build_samples, generate_parcels, read_plan
from danang_sdi.samples.build import default_osm_path
from danang_sdi.samples.context import Context
from danang_sdi.samples.networks import free_ends
from danang_sdi.samples.writers import legacy_safe
from danang_sdi.settings import PROJECT_DIR
from danang_sdi.sources.encoding import decode_text

SAMPLES = PROJECT_DIR / "data_samples"
MANIFEST_DATA = yaml.safe_load((SAMPLES / MANIFEST).read_text(encoding="utf-8"))
ENTRIES = MANIFEST_DATA["files"]


@pytest.fixture(scope="module")
def osm_extract(shared_data: Path) -> Path:
    path = default_osm_path()
    if not path.is_file():
        pytest.skip(f"OSM extract not found at {path}")
    return path


def test_generation_is_deterministic_and_seeded():
    first, again, other = (
        generate_parcels(120, seed=3),
        generate_parcels(120, seed=3),
        generate_parcels(120, seed=4),
    )
    pd.testing.assert_frame_equal(first.drop(columns="geometry"), again.drop(columns="geometry"))
    assert shapely.equals_exact(first.geometry.array, again.geometry.array, tolerance=0).all()
    assert not shapely.equals_exact(first.geometry.array, other.geometry.array, tolerance=0).all()


def test_clean_parcels_are_a_valid_coverage_in_hai_chau():
    parcels = generate_parcels(2000, seed=1)
    geoms = parcels.geometry.array
    assert len(parcels) == 2000 and parcels.crs.to_epsg() == 5899
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)
    assert not parcels.duplicated(["ma_xa", "so_to", "so_thua"]).any()
    west, south, east, north = parcels.total_bounds
    assert west > 548_000 and east < 552_000 and south > 1_775_000 and north < 1_779_000  # Hải Châu
    assert set(parcels["ma_xa"]) <= {c.code for c in Context().code_list("admin_unit").codes}


def test_recorded_area_matches_geometry_within_one_percent():
    parcels = generate_parcels(1000, seed=2)
    error = np.abs(parcels["dien_tich"] - parcels.area) / parcels.area
    assert error.max() < 0.01


def test_ten_thousand_parcels_are_fast():
    started = time.perf_counter()
    parcels = generate_parcels(10_000, seed=5)
    assert len(parcels) == 10_000
    assert time.perf_counter() - started < 5.0


def test_text_filter_keeps_only_legacy_safe_words():
    parcels = generate_parcels(300, seed=1, text_ok=lambda text: legacy_safe(text, "tcvn3"))
    text = pd.concat([parcels["dia_chi"], parcels["ten_chu"]]).dropna()
    assert all(legacy_safe(value, "tcvn3") for value in text)
    assert not legacy_safe("Ông Ích Khiêm", "tcvn3")  # a toned capital: TCVN3 writes it lower case


def test_manifest_lists_files_that_exist_with_their_parts():
    assert {spec["file"] for spec in read_plan()["files"]} == set(ENTRIES)
    for name, entry in ENTRIES.items():
        path = SAMPLES / name
        assert path.is_file(), name
        if path.suffix == ".shp":
            assert path.with_suffix(".dbf").is_file() and path.with_suffix(".shx").is_file()
            assert path.with_suffix(".prj").is_file() == (entry["crs_declared"] is not None), name
            assert path.with_suffix(".cpg").is_file() == (entry["encoding"] == "utf-8"), name
    size = sum(p.stat().st_size for p in SAMPLES.iterdir())
    assert size < 3_000_000


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_samples_decode_to_the_exact_unicode_source(encoding: str):
    name = f"parcels_{encoding}.shp"
    entry = ENTRIES[name]
    assert entry["encoding"] == encoding
    raw = pyogrio.read_dataframe(SAMPLES / name, encoding="ISO-8859-1", read_geometry=False)
    source = generate_parcels(
        entry["features"], MANIFEST_DATA["seed"], text_ok=lambda t: legacy_safe(t, encoding)
    )
    decoded_some = 0
    for field, attribute in entry["fields"].items():
        if source[attribute].dtype != object or not source[attribute].map(type).eq(str).any():
            continue
        for stored, expected in zip(raw[field], source[attribute], strict=True):
            if isinstance(expected, str):
                assert decode_text(stored.encode("latin-1"), encoding) == expected
                decoded_some += not expected.isascii()
    assert decoded_some > 300  # Vietnamese text, not just codes


def test_street_names_come_from_the_osm_extract(osm_extract: Path):
    names = set(
        pyogrio.read_dataframe(osm_extract, layer="lines", columns=["name"], read_geometry=False)["name"]
    )
    assert all(f"Đường {street}" in names for street in Context().vocabulary["streets"])


def test_committed_samples_are_what_the_generator_makes(osm_extract: Path, tmp_path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL truncating field names to 10 characters
        manifest = build_samples(tmp_path, osm=osm_extract)
    assert manifest == MANIFEST_DATA
    for name in ENTRIES:
        committed, rebuilt = SAMPLES / name, tmp_path / name
        if name.endswith(".zip"):
            committed, rebuilt = f"/vsizip/{committed}", f"/vsizip/{rebuilt}"
        options = {"encoding": "ISO-8859-1"} if ENTRIES[name]["encoding"] != "utf-8" else {}
        left = pyogrio.read_dataframe(committed, **options)
        right = pyogrio.read_dataframe(rebuilt, **options)
        pd.testing.assert_frame_equal(left.drop(columns="geometry"), right.drop(columns="geometry"))
        assert shapely.equals_exact(left.geometry.array, right.geometry.array, tolerance=1e-9).all(), name


def test_clean_networks_have_no_free_ends():
    for name, entry in ENTRIES.items():
        if entry["layer"] in ("water_pipe", "drainage_conduit", "road_centerline") and not entry["defects"]:
            lines = gpd.read_file(SAMPLES / name).geometry.to_numpy()
            assert len(free_ends(lines)) == 0, name


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_validate_reports_exactly_the_planted_defects(name: str):
    from danang_sdi.qa.validate import validate_file

    entry = ENTRIES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        report = validate_file(SAMPLES / name, entry["layer"])
    found = sorted({(issue.rule, issue.feature) for issue in report.issues}, key=str)
    planted = sorted({(d["rule"], d["feature"]) for d in entry["defects"]}, key=str)
    assert found == planted
    fields = {(d["rule"], d["feature"]): d["field"] for d in entry["defects"]}
    for issue in report.issues:
        assert issue.field == fields[(issue.rule, issue.feature)], issue.message_en
    if entry["crs_detectable"]:
        expected = "EPSG:4326" if entry["crs"] == "OGC:CRS84" else entry["crs"]
        assert report.source["crs"] == expected


def test_cli_writes_a_parcel_file_and_refuses_to_overwrite(runner, tmp_path: Path):
    out = tmp_path / "parcels.gpkg"
    result = runner.invoke(cli, ["samples", "parcels", "--count", "50", "--seed", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 50 parcels" in result.output
    assert pyogrio.read_info(out)["features"] == 50
    again = runner.invoke(cli, ["samples", "parcels", "--count", "50", "-o", str(out)])
    assert again.exit_code == 2
    assert "give --overwrite" in again.output


def _clean(layer_id: str) -> gpd.GeoDataFrame:
    """The layer's first clean sample, as ``load_samples`` picks it, read with catalog field names."""
    from danang_sdi.samples.deploy import clean_samples

    path = next(p for p, layer in clean_samples(SAMPLES).items() if layer == layer_id)
    frame = gpd.read_file(path).to_crs("EPSG:5899")
    return frame.rename(columns=ENTRIES[path.name]["fields"])


def test_every_catalog_layer_has_a_clean_sample():
    clean = {e["layer"] for e in ENTRIES.values() if not e["defects"]}
    assert clean == {layer.id for layer in Context().catalog}


def test_the_detailed_plan_cuts_across_the_parcels():
    parcels, lots, plan = _clean("cadastral_parcel"), _clean("planning_lot"), _clean("planning_boundary")
    assert shapely.coverage_is_valid(lots.geometry.array)
    assert abs(lots.area.sum() - plan.area.sum()) < 0.01  # the lots fill their plan's boundary
    assert set(lots["ma_do_an"]) == set(plan["ma_do_an"])
    shared = parcels.overlay(lots[["ky_hieu_lo", "geometry"]], keep_geom_type=True)
    shared = shared[shared.area >= 1.0]
    lots_per_parcel = shared.groupby(["so_to", "so_thua"])["ky_hieu_lo"].nunique()
    assert len(lots_per_parcel) >= len(parcels) / 3 and shared["ky_hieu_lo"].nunique() == len(lots)
    assert (lots_per_parcel >= 2).mean() > 0.5 and (lots_per_parcel == 3).any()


def test_wards_of_the_ward_split_are_those_of_the_parcels():
    parcels, communes = _clean("cadastral_parcel"), _clean("admin_commune")
    before = communes[communes["hieu_luc_den"].notna()]
    found = gpd.sjoin(
        parcels.set_geometry(parcels.centroid), before[["ma_xa", "geometry"]], predicate="within"
    )
    assert len(found) == len(parcels) and (found["ma_xa_left"] == found["ma_xa_right"]).all()
    after = communes[communes["hieu_luc_den"].isna()]
    assert after.union_all().within(before.union_all().buffer(0.01))  # merged wards of the 2025 reform


def test_land_use_zones_are_the_parcels_grouped_by_main_use():
    parcels, zones = _clean("cadastral_parcel"), _clean("land_use_status")
    assert abs(zones.area.sum() - parcels.area.sum()) < 0.01
    assert shapely.coverage_is_valid(zones.geometry.array)
    main_use = parcels["loai_dat"].str.split("+").str[0]
    assert set(zones["loai_dat"]) == set(main_use) and len(zones) < len(parcels) / 3


def test_osm_based_samples_stand_on_real_osm_objects(osm_extract: Path):
    from danang_sdi.samples import osm_features

    settings = Context().recipe("traffic_signal")["settings"]
    signals = _clean("traffic_signal")
    osm_signals = shapely.multipoints(osm_features.traffic_signals(osm_extract))
    assert (signals.distance(osm_signals) <= settings["snap_m"]).all()
    bridges = _clean("bridge")
    ways = [b.geometry for b in osm_features.bridges(osm_extract, 100.0)]
    assert len(bridges) == len(ways) and "Cầu Rồng" in set(bridges["ten_cau"])
    assert all(
        shapely.equals_exact(g, w, tolerance=0.001) for g, w in zip(bridges.geometry, ways, strict=True)
    )
    schools, _ = osm_features.schools(osm_extract)
    spots = _clean("accident_blackspot")
    assert (spots.distance(shapely.multipoints(schools)) <= 300).any()
