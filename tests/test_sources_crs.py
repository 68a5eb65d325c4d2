"""CRS detection (``danang_sdi.sources.crs``), the pinned VN-2000 → WGS 84 operation and the city outline."""

from __future__ import annotations

import doctest
import functools
import json
import time
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer
from shapely.geometry import shape

from danang_sdi.errors import ConfigError, CRSError
from danang_sdi.sources import crs as crs_module
from danang_sdi.sources import make_boundary, outline, transform
from danang_sdi.sources.crs import MAX_SAMPLE, candidate_crs, detect_crs, transformer
from danang_sdi.sources.outline import Outline, load_outline
from danang_sdi.sources.transform import operation_codes

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
BOUNDARIES = REPO / "layers" / "boundaries" / "danang.geojson"
GEOBOUNDARIES = SHARED / "admin-geoboundaries-vnm-adm1" / "geoBoundaries-VNM-ADM1.geojson"
DVHCVN = SHARED / "admin-dvhcvn-danang-districts" / "danang_districts_derived.geojson"
POWER_LINES = SHARED / "osm-vietnam-power" / "line.gpkg"

CITY_HALL_LONLAT = (108.2208, 16.0678)
CITY_HALL_5899 = (550175.0, 1777138.0)
OFFICIAL_CF = "-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278"
FLIPPED_PV = "-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278"
HANOI_LONLAT = (np.array([105.80, 105.83, 105.85, 105.86]), np.array([21.00, 21.02, 21.03, 21.05]))


def _dms(deg: int, minutes: int, seconds: float) -> float:
    return deg + minutes / 60 + seconds / 3600


def _seconds_part(value: float) -> float:
    return (value * 3600) % 60


@functools.cache
def _outline_geometry(outline_id: str) -> shapely.Geometry:
    collection = json.loads(BOUNDARIES.read_text(encoding="utf-8"))
    return shape(next(f for f in collection["features"] if f["id"] == outline_id)["geometry"])


def _towgs84_crs(params: str) -> CRS:
    return CRS(
        f"+proj=tmerc +lon_0=107.75 +k=0.9999 +x_0=500000 +ellps=WGS84 +towgs84={params} +units=m +type=crs"
    )


@pytest.fixture(scope="module")
def city_points() -> tuple[np.ndarray, np.ndarray]:
    """1,500 random points inside the merged city (the stored outline, not widened), in EPSG:5899."""
    lonlat = _outline_geometry("danang_2025")
    t = transformer("EPSG:4326", "EPSG:5899")
    metric = shapely.transform(lonlat, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    rng = np.random.default_rng(20250701)
    x0, y0, x1, y1 = metric.bounds
    xs, ys = [], []
    while sum(map(len, xs)) < 1500:
        x, y = rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)
        inside = shapely.contains_xy(metric, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
    return np.concatenate(xs)[:1500], np.concatenate(ys)[:1500]


def _expressed_in(points: tuple[np.ndarray, np.ndarray], code: str) -> tuple[np.ndarray, np.ndarray]:
    return transformer("EPSG:5899", code).transform(*points)


# --- the pinned transformation ---------------------------------------------------------------------------


def test_city_hall_projects_to_the_published_5899_coordinates() -> None:
    e, n = transformer("EPSG:4326", "EPSG:5899").transform(*CITY_HALL_LONLAT)
    assert abs(e - CITY_HALL_5899[0]) < 1.0
    assert abs(n - CITY_HALL_5899[1]) < 1.0


def test_ly_son_ls1_matches_tt_37_2019() -> None:
    lon, lat = transformer("EPSG:4326", "EPSG:4756").transform(_dms(109, 6, 7), _dms(15, 22, 29))
    # published VN-2000 values, to their 0.1" rounding
    assert abs(_seconds_part(lat) - 32.7) < 0.05 and int(lat * 60) % 60 == 22
    assert abs(_seconds_part(lon) - 0.5) < 0.05 and int(lon * 60) % 60 == 6
    # the EPSG:6960 values from the domain reference, to 0.005" (~15 cm)
    assert abs(_seconds_part(lat) - 32.72) < 0.005
    assert abs(_seconds_part(lon) - 0.48) < 0.005


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("EPSG:5899", "EPSG:4326"),
        ("EPSG:4326", "EPSG:5899"),
        ("EPSG:4756", "EPSG:4326"),
        ("EPSG:3405", "EPSG:32648"),
    ],
)
def test_vn2000_to_wgs84_goes_through_epsg_6960_only(src: str, dst: str) -> None:
    assert operation_codes(transformer(src, dst)) == {6960}


def test_same_datum_needs_no_datum_transformation() -> None:
    assert operation_codes(transformer("EPSG:5899", "EPSG:5898")) == set()
    assert operation_codes(transformer("EPSG:32648", "EPSG:4326")) == set()


def test_towgs84_sign_trap_is_0_6_m_and_pinned_operation_avoids_it() -> None:
    pinned = transformer("EPSG:5899", "EPSG:4326").transform(*CITY_HALL_5899)
    back = Transformer.from_crs("EPSG:4326", "EPSG:5899", always_xy=True)

    def offset_m(params: str) -> float:
        lon, lat = Transformer.from_crs(_towgs84_crs(params), "EPSG:4326", always_xy=True).transform(
            *CITY_HALL_5899
        )
        e0, n0 = back.transform(*pinned)
        e1, n1 = back.transform(lon, lat)
        return float(np.hypot(e1 - e0, n1 - n0))

    assert offset_m(FLIPPED_PV) < 0.001  # Position Vector signs reproduce EPSG:6960
    assert 0.5 < offset_m(OFFICIAL_CF) < 0.7  # the official Coordinate Frame signs pasted into +towgs84

    # a .prj carrying the wrong +towgs84 is cleaned and still goes through EPSG:6960
    trap = transformer(_towgs84_crs(OFFICIAL_CF), "EPSG:4326")
    assert operation_codes(trap) == {6960}
    assert np.allclose(trap.transform(*CITY_HALL_5899), pinned, rtol=0, atol=1e-9)


def test_esri_prj_without_epsg_code_is_treated_as_5899() -> None:
    esri = (
        'PROJCS["VN_2000_KT_107-45_mui_3",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
        'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
        'PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
        'PARAMETER["Central_Meridian",107.75],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],'
        'UNIT["Meter",1.0]]'
    )
    got = transformer(esri, "EPSG:4326").transform(*CITY_HALL_5899)
    assert np.allclose(got, transformer("EPSG:5899", "EPSG:4326").transform(*CITY_HALL_5899), atol=1e-9)
    guess = detect_crs(np.array([CITY_HALL_5899[0]]), np.array([CITY_HALL_5899[1]]), esri)
    assert guess.status == "declared"
    assert "same as EPSG:5899" in guess.reason


@settings(max_examples=200, deadline=None)
@given(lon=st.floats(107.2, 108.75), lat=st.floats(14.98, 16.21))
def test_wgs84_vn2000_round_trip_is_sub_millimetre(lon: float, lat: float) -> None:
    assume(shapely.contains_xy(_outline_geometry("danang_2025"), lon, lat))
    forward, backward = transformer("EPSG:4326", "EPSG:5899"), transformer("EPSG:5899", "EPSG:4326")
    e, n = forward.transform(lon, lat)
    lon2, lat2 = backward.transform(e, n)
    e2, n2 = forward.transform(lon2, lat2)
    assert abs(lon2 - lon) * 107_000 < 1e-3 and abs(lat2 - lat) * 111_000 < 1e-3
    assert np.hypot(e2 - e, n2 - n) < 1e-3


# --- detection ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("truth", "expected"),
    [
        ("EPSG:5899", "EPSG:5899"),
        ("EPSG:5898", "EPSG:5898"),
        ("EPSG:9216", "EPSG:9216"),
        ("EPSG:3405", "EPSG:3405"),
        ("EPSG:3406", "EPSG:3406"),
        # WGS 84 and VN-2000 versions of a projection are ~0.2 km apart: the earlier candidate wins, the
        # truth is listed in also_fits
        ("EPSG:32648", "EPSG:3405"),
        ("EPSG:32649", "EPSG:3406"),
        ("EPSG:4326", "EPSG:4326"),
        ("EPSG:4756", "EPSG:4326"),
    ],
)
def test_detects_points_inside_the_city(city_points, truth: str, expected: str) -> None:
    guess = detect_crs(*_expressed_in(city_points, truth))
    assert guess.status == "detected"
    assert guess.code == expected
    assert not guess.swapped_xy
    assert guess.share_inside == 1.0
    assert truth == expected or any(name.startswith(f"{truth} ") for name in guess.also_fits)
    assert guess.reason.startswith(f"no CRS declared; coordinates fit {expected} (")
    assert "100% of 1500 sampled points inside Đà Nẵng" in guess.reason
    assert "điểm nằm trong Đà Nẵng" in guess.reason_vi


def test_5898_is_not_taken_for_5899(city_points) -> None:
    guess = detect_crs(*_expressed_in(city_points, "EPSG:5898"))
    assert guess.code == "EPSG:5898" and guess.also_fits == ()
    as_5899 = next(c for c in guess.candidates if c.crs == "EPSG:5899" and not c.swapped_xy)
    assert as_5899.in_range  # the coordinate ranges alone cannot tell the zones apart
    assert as_5899.share_inside < 0.9


def test_5899_is_not_taken_for_5898(city_points) -> None:
    guess = detect_crs(*city_points)
    as_5898 = next(c for c in guess.candidates if c.crs == "EPSG:5898" and not c.swapped_xy)
    assert guess.code == "EPSG:5899" and as_5898.in_range and as_5898.share_inside < 0.9


@pytest.mark.parametrize("truth", ["EPSG:5899", "EPSG:4326"])
def test_swapped_axes_are_detected(city_points, truth: str) -> None:
    x, y = _expressed_in(city_points, truth)
    guess = detect_crs(y, x)
    assert (guess.code, guess.swapped_xy) == (truth, True)
    kind = "northings" if truth == "EPSG:5899" else "latitudes"
    assert guess.reason.startswith(f"X and Y swapped: X holds {kind} around ")
    assert "X và Y bị đảo" in guess.reason_vi


def test_points_in_hanoi_fit_no_crs() -> None:
    x, y = transformer("EPSG:4326", "EPSG:5899").transform(*HANOI_LONLAT)
    with pytest.raises(CRSError) as caught:
        detect_crs(x, y)
    message = str(caught.value)
    assert message.startswith("no CRS fits: coordinates X 29")  # E ≈ 297–302 km
    assert "fall in Đà Nẵng under none of EPSG:5899, EPSG:5898" in message
    assert message.endswith("add a .prj or give --crs")


@pytest.mark.parametrize(
    ("truth", "declared", "expected", "swapped"),
    [
        ("EPSG:5898", "EPSG:5899", "EPSG:5898", False),
        ("EPSG:5899", "EPSG:4326", "EPSG:5899", False),
        ("EPSG:5899", "EPSG:32649", "EPSG:5899", False),
        ("EPSG:5899", "EPSG:6959", "EPSG:5899", False),  # the deprecated zone with swapped false origin
    ],
)
def test_a_wrong_declared_crs_is_caught(city_points, truth, declared, expected, swapped) -> None:
    guess = detect_crs(*_expressed_in(city_points, truth), declared)
    assert guess.status == "mismatch" and guess.mismatch
    assert (guess.code, guess.swapped_xy) == (expected, swapped)
    assert guess.declared == CRS.from_user_input(declared)
    assert guess.reason.startswith(f"declared {declared} (")
    assert "does not fit: only " in guess.reason and f"data looks like {expected} (" in guess.reason


def test_declared_crs_with_swapped_columns_is_caught(city_points) -> None:
    x, y = city_points
    guess = detect_crs(y, x, "EPSG:5899")
    assert (guess.status, guess.code, guess.swapped_xy) == ("mismatch", "EPSG:5899", True)
    assert "data looks like EPSG:5899 (VN-2000 / TM-3 107-45) with X/Y swapped: 100% inside" in guess.reason


def test_a_right_declared_crs_is_accepted_at_once(city_points) -> None:
    guess = detect_crs(*_expressed_in(city_points, "EPSG:32649"), "EPSG:32649")
    assert (guess.status, guess.code, guess.share_inside) == ("declared", "EPSG:32649", 1.0)
    assert len(guess.candidates) == 1  # no search when the declared CRS fits
    assert guess.reason == (
        "declared EPSG:32649 (WGS 84 / UTM zone 49N) fits: 100% of 1500 sampled points inside Đà Nẵng"
    )


def test_declared_crs_with_impossible_coordinates_raises() -> None:
    x, y = transformer("EPSG:4326", "EPSG:5899").transform(*HANOI_LONLAT)
    with pytest.raises(CRSError, match=r"^declared EPSG:4326 \(WGS 84\) does not fit: .* not valid in it"):
        detect_crs(x, y, "EPSG:4326")


def test_declared_crs_elsewhere_is_kept_with_a_reason() -> None:
    x, y = transformer("EPSG:4326", "EPSG:3405").transform(*HANOI_LONLAT)
    guess = detect_crs(x, y, "EPSG:3405")
    assert (guess.status, guess.code, guess.share_inside) == ("declared_outside", "EPSG:3405", 0.0)
    assert "0% of 4 sampled points inside Đà Nẵng and no other CRS does better" in guess.reason


@pytest.mark.parametrize(
    ("xs", "ys", "phrase"),
    [
        ([], [], "no finite coordinates"),
        ([np.nan], [1.0], "no finite coordinates"),
        ([1, 2], [1], "2 x values"),
    ],
)
def test_bad_samples_raise_a_clear_error(xs, ys, phrase) -> None:
    with pytest.raises(CRSError, match=phrase):
        detect_crs(np.array(xs, dtype=float), np.array(ys, dtype=float))


def test_small_file_needs_the_claimed_commune_to_tell_5898_from_5899() -> None:
    """A compact file fits both zones inside the city; the commune it claims decides."""
    box = shapely.box(108.19, 16.03, 108.23, 16.07)  # Hải Châu
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(108.19, 108.23, 300), rng.uniform(16.03, 16.07, 300)
    x, y = transformer("EPSG:4326", "EPSG:5898").transform(lon, lat)
    city = detect_crs(x, y)
    assert city.code == "EPSG:5899" and any(a.startswith("EPSG:5898 ") for a in city.also_fits)
    assert "fit as well" in city.reason
    commune = detect_crs(x, y, outline=Outline.from_geometry("hai_chau", "Hải Châu", box, tolerance_m=500))
    assert commune.code == "EPSG:5898" and commune.also_fits == ()
    assert commune.reason.endswith("inside Hải Châu")


def test_560000_parcels_are_decided_well_under_a_second(city_points) -> None:
    x, y = (np.resize(v, 560_000) for v in city_points)
    detect_crs(x[:10], y[:10])  # warm the transformer cache, as any earlier file would
    start = time.perf_counter()
    guess = detect_crs(x, y)
    elapsed = time.perf_counter() - start
    assert guess.code == "EPSG:5899" and guess.sample_size == MAX_SAMPLE
    assert elapsed < 0.5, f"{elapsed:.3f} s"


def test_candidates_come_from_proj_db_in_tie_break_order() -> None:
    order = candidate_crs()
    assert order[:2] == ("EPSG:5899", "EPSG:5898")
    assert order[-3:] == ("EPSG:5897", "EPSG:4326", "EPSG:4756")
    assert order.index("EPSG:3405") < order.index("EPSG:32648") < order.index("EPSG:5897")
    provincial = order[2 : order.index("EPSG:3405")]
    assert provincial[:2] == ("EPSG:9216", "EPSG:9214")  # 107-30 (Kon Tum), 107-00 (Thừa Thiên Huế)
    assert all(CRS.from_user_input(c).name.startswith("VN-2000 / TM-3 ") for c in provincial)
    assert "EPSG:6959" not in order  # deprecated


# --- the real power-line GeoPackage ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def power_line_vertices() -> np.ndarray:
    if not POWER_LINES.exists():
        pytest.skip(f"shared data absent: {POWER_LINES}")
    import pyogrio

    # the Đà Nẵng area of SOURCE.md (107.9–108.35 E, 15.85–16.2 N) in the file's own UTM 48N coordinates
    frame = pyogrio.read_dataframe(POWER_LINES, bbox=(810_000, 1_754_000, 859_000, 1_794_000))
    assert len(frame) == 121
    return shapely.get_coordinates(frame.geometry.values)


def test_power_lines_are_truly_wgs84_utm_48n(power_line_vertices) -> None:
    """The label is right: every vertex lands back on OSM's 1e-7° grid through EPSG:32648."""
    x, y = power_line_vertices[:, 0], power_line_vertices[:, 1]

    def on_osm_grid(code: str) -> float:
        lon, lat = transformer(code, "EPSG:4326").transform(x, y)
        off = np.maximum(np.abs(lon * 1e7 - np.round(lon * 1e7)), np.abs(lat * 1e7 - np.round(lat * 1e7)))
        return float(np.mean(off < 0.01))

    assert on_osm_grid("EPSG:32648") == 1.0
    assert on_osm_grid("EPSG:3405") == 0.0
    lon, _ = transformer("EPSG:32648", "EPSG:4326").transform(x, y)
    assert np.mean(lon > 108.0) > 0.5  # most lie east of zone 48, outside EPSG:32648's area of use


def test_power_lines_declared_crs_is_kept(power_line_vertices) -> None:
    guess = detect_crs(power_line_vertices[:, 0], power_line_vertices[:, 1], "EPSG:32648")
    assert (guess.status, guess.code, guess.swapped_xy) == ("declared", "EPSG:32648", False)
    assert guess.share_inside > 0.8  # lines run on north into Thừa Thiên Huế
    assert "lie outside its area of use (102–108°E)" in guess.reason


def test_power_lines_without_prj_are_found_in_utm_48n(power_line_vertices) -> None:
    guess = detect_crs(power_line_vertices[:, 0], power_line_vertices[:, 1])
    assert guess.code == "EPSG:3405"
    assert any(a.startswith("EPSG:32648 ") for a in guess.also_fits)
    assert not any("32649" in a or "5899" in a for a in guess.also_fits)


def test_power_lines_moved_to_zone_49_by_hand_are_caught(power_line_vertices) -> None:
    guess = detect_crs(power_line_vertices[:, 0], power_line_vertices[:, 1], "EPSG:32649")
    assert guess.status == "mismatch" and guess.code in ("EPSG:3405", "EPSG:32648")


# --- the outline ---------------------------------------------------------------------------------------------


def test_outline_file_is_small_and_leaves_out_hoang_sa() -> None:
    assert BOUNDARIES.stat().st_size < 50_000
    merged, old = _outline_geometry("danang_2025"), _outline_geometry("danang_pre2025")
    assert 100 <= shapely.get_num_coordinates(merged) + shapely.get_num_coordinates(old) <= 600
    assert merged.bounds[2] < 109.0 and old.bounds[2] < 108.5  # Hoàng Sa is at 111–113 E
    assert shapely.area(shapely.difference(old, merged)) < 0.01 * shapely.area(old)
    for lonlat, name in [
        (CITY_HALL_LONLAT, "city hall"),
        ((108.335, 15.880), "Hội An"),
        ((108.47, 15.57), "Tam Kỳ"),
    ]:
        inside_old = shapely.contains_xy(old, *lonlat)
        assert shapely.contains_xy(merged, *lonlat), name
        assert inside_old == (name == "city hall"), name


def test_outline_file_is_rebuilt_identically() -> None:
    if not GEOBOUNDARIES.exists():
        pytest.skip(f"shared data absent: {GEOBOUNDARIES}")
    assert make_boundary.render(make_boundary.build(GEOBOUNDARIES)) == BOUNDARIES.read_text(encoding="utf-8")


def test_old_city_outline_agrees_with_dvhcvn() -> None:
    if not DVHCVN.exists():
        pytest.skip(f"shared data absent: {DVHCVN}")
    collection = json.loads(DVHCVN.read_text(encoding="utf-8"))
    city = shape(next(f for f in collection["features"] if f["properties"]["level"] == 1)["geometry"])
    mainland = Outline.from_geometry(
        "dvhcvn",
        "dvhcvn",
        shapely.union_all([p for p in shapely.get_parts(city) if p.bounds[0] < 110]),
        tolerance_m=0,
    ).geometry
    ours = load_outline("danang_pre2025").geometry
    assert shapely.area(shapely.intersection(mainland, ours)) / shapely.area(mainland) > 0.95


def test_missing_outline_raises_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read the city outline"):
        load_outline(path=tmp_path / "nothing.geojson")
    with pytest.raises(ConfigError, match=r"no outline 'hoang_sa' \(known: danang_2025, danang_pre2025\)"):
        load_outline("hoang_sa")


@pytest.mark.parametrize("module", [crs_module, outline, transform])
def test_docstring_examples_run(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
