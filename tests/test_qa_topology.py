"""Coverage rules: what is an overlap or a gap, and what is not (noding, the outer edge, other partitions)."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Check, Layer
from danang_sdi.qa import topology
from danang_sdi.qa.base import Subject
from danang_sdi.qa.segments import Segments, _mix
from danang_sdi.qa.topology import Coverage, check_gap, check_overlap, invalid_edges
from tests.helpers.qa_fixtures import parcels, pull_edge, push_edge, square


@pytest.fixture(scope="module")
def layer() -> Layer:
    return load_catalog().get("cadastral_parcel")


def subject_of(frame: gpd.GeoDataFrame, layer: Layer) -> Subject:
    return Subject(layer=layer, frame=frame.reset_index(drop=True), name="t.gpkg")


OVERLAP = Check(rule="topology.overlap")
GAP = Check(rule="topology.gap", gap_width=0.2)


def flagged(issues) -> list[int]:
    return sorted(i.feature for i in issues)


def test_valid_coverage_has_neither(layer: Layer) -> None:
    subject = subject_of(parcels(4), layer)
    assert check_overlap(subject, OVERLAP) == [] and check_gap(subject, GAP) == []


def test_a_pushed_boundary_overlaps_both_sides(layer: Layer) -> None:
    frame = parcels(3)
    frame.loc[4, "geometry"] = push_edge(frame.geometry[4], 0.5)
    issues = check_overlap(subject_of(frame, layer), OVERLAP)
    assert flagged(issues) == [4, 5]
    assert "by 5.00 m²" in issues[0].message_en


def test_a_parcel_drawn_inside_another_overlaps(layer: Layer) -> None:
    frame = parcels(2)
    extra = frame.iloc[[0]].copy()
    extra["geometry"] = [shapely.box(550_002, 1_777_002, 550_008, 1_777_008)]
    frame = pd.concat([frame, extra], ignore_index=True)
    assert flagged(check_overlap(subject_of(frame, layer), OVERLAP)) == [0, 4]


def test_unmatched_vertices_on_a_shared_edge_are_not_an_overlap(layer: Layer) -> None:
    frame = parcels(2)
    a = frame.geometry[0]
    x0, y0, x1, y1 = a.bounds
    frame.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y0), (x1, (y0 + y1) / 2), (x1, y1), (x0, y1)])
    subject = subject_of(frame, layer)
    assert check_overlap(subject, OVERLAP) == [] and check_gap(subject, GAP) == []


def test_overlaps_between_partitions_are_not_reported(layer: Layer) -> None:
    frame = parcels(2)
    frame.loc[0, "geometry"] = push_edge(frame.geometry[0], 0.5)
    frame.loc[1, "ma_xa"] = "20245"  # the neighbour belongs to another commune's survey
    assert check_overlap(subject_of(frame, layer), Check(rule="topology.overlap", within=["ma_xa"])) == []
    assert flagged(check_overlap(subject_of(frame, layer), OVERLAP)) == [0, 1]


def test_a_narrow_gap_is_reported_on_both_sides_only(layer: Layer) -> None:
    frame = parcels(3)
    frame.loc[4, "geometry"] = pull_edge(frame.geometry[4], 0.1)
    issues = check_gap(subject_of(frame, layer), GAP)
    assert flagged(issues) == [4, 5]
    assert "20.0 m long" in issues[0].message_en
    assert check_overlap(subject_of(frame, layer), OVERLAP) == []


def test_gaps_wider_than_gap_width_and_the_outer_edge_are_not_gaps(layer: Layer) -> None:
    frame = parcels(3)
    frame.loc[4, "geometry"] = pull_edge(frame.geometry[4], 0.5)  # wider than 0.2 m: a real street, say
    frame.loc[2, "geometry"] = pull_edge(frame.geometry[2], 0.1)  # on the outer edge: nothing beyond
    assert check_gap(subject_of(frame, layer), GAP) == []


def test_invalid_and_empty_geometries_are_left_to_their_own_rules(layer: Layer) -> None:
    frame = parcels(2)
    x0, y0, x1, y1 = frame.geometry[0].bounds
    frame.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1 + 5, y1), (x1 + 5, y0), (x0, y1)])
    frame.loc[1, "geometry"] = None
    subject = subject_of(frame, layer)
    assert check_overlap(subject, OVERLAP) == [] and check_gap(subject, GAP) == []


def test_partitions_run_in_parallel_and_stay_fast(layer: Layer) -> None:
    """20,000 parcels in 40 sheets: both coverage rules well under a second each on this machine class."""
    side = 140
    cells = np.arange(side * side)
    frame = gpd.GeoDataFrame(
        {"ma_xa": "20242", "so_to": (cells // side) // 5, "so_thua": cells},
        geometry=[square(i // side, i % side, 5.0) for i in cells],
        crs="EPSG:5899",
    )
    frame.loc[7000, "geometry"] = push_edge(frame.geometry[7000], 0.5)
    subject = subject_of(frame, layer)
    started = time.perf_counter()
    issues = check_overlap(subject, Check(rule="topology.overlap", within=["so_to"]))
    issues += check_gap(subject, Check(rule="topology.gap", within=["so_to"], gap_width=0.2))
    assert flagged(issues) == [7000, 7001]
    assert time.perf_counter() - started < 5


def test_a_wedge_that_narrows_to_nothing_is_a_gap(layer: Layer) -> None:
    frame = parcels(3)
    x0, y0, x1, y1 = frame.geometry[4].bounds
    frame.loc[4, "geometry"] = shapely.Polygon([(x0, y0), (x1, y0), (x1 - 0.15, y1), (x0, y1)])
    assert flagged(check_gap(subject_of(frame, layer), GAP)) == [4, 5]


# --- the pre-filter: GEOS runs only where segments do not match, with the same answer -------------------


@pytest.fixture
def always_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small coverages would mostly take the plain pass; make them go through the pre-filter."""
    monkeypatch.setattr(topology, "PLAIN_SHARE", 1.0)


def plain_geos(geoms: np.ndarray, group: np.ndarray, width: float) -> np.ndarray:
    edges = np.empty(len(geoms), dtype=object)
    for label in np.unique(group):
        part = np.flatnonzero(group == label)
        edges[part] = shapely.coverage_invalid_edges(geoms[part], gap_width=width)
    return edges


def assert_as_geos(geoms, group, widths=(0.0, 0.2, 1.0)) -> list[int]:
    """``invalid_edges`` gives exactly GEOS's edges on every partition; returns the polygons flagged with
    the first width."""
    geoms, group = np.array(geoms, dtype=object), np.asarray(group)
    coverage = Coverage(np.arange(len(geoms)), geoms, group)
    for width in widths:
        expected = plain_geos(geoms, group, width)
        assert list(shapely.to_wkb(invalid_edges(coverage, width))) == list(shapely.to_wkb(expected)), width
    return np.flatnonzero(~shapely.is_empty(plain_geos(geoms, group, widths[0]))).tolist()


def jittered_block(n: int, seed: int) -> list[shapely.Polygon]:
    """A clean n x n coverage of irregular quadrilaterals (interior grid points moved at random)."""
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(np.arange(n + 1) * 10.0, np.arange(n + 1) * 10.0, indexing="ij"), axis=-1)
    grid[1:-1, 1:-1] += rng.uniform(-3, 3, (n - 1, n - 1, 2))
    grid = np.round(grid, 3)
    return [
        shapely.Polygon([grid[i, j], grid[i + 1, j], grid[i + 1, j + 1], grid[i, j + 1]])
        for i in range(n)
        for j in range(n)
    ]


def test_segments_match_whatever_the_ring_orientation_and_start() -> None:
    geoms = jittered_block(3, 1)
    clockwise = np.asarray(geoms[4].exterior.coords)[:-1][::-1]
    geoms[4] = shapely.Polygon(np.roll(clockwise, 2, axis=0))  # and starting at another corner
    geoms[1] = shapely.MultiPolygon([geoms[1]])
    segments = Segments.of(np.array(geoms, dtype=object))
    loose = segments.unmatched(np.zeros(9, dtype=np.intp))
    assert not loose[segments.owner == 4].any()  # the middle one matches all round
    assert loose.sum() == 12  # the outer edge


@pytest.mark.usefixtures("always_filter")
def test_a_duplicated_polygon_is_found_though_each_of_its_segments_has_a_reversed_twin() -> None:
    geoms = jittered_block(5, 2)
    assert assert_as_geos([*geoms, geoms[12]], [0] * 26) == [12, 25]
    apart = shapely.box(100, 0, 110, 10)  # alone, drawn twice: each segment has a twin the same way round
    assert assert_as_geos([*geoms, apart, apart], [0] * 27) == [25, 26]


@pytest.mark.usefixtures("always_filter")
def test_segments_matched_only_by_another_sheet_do_not_count() -> None:
    """Columns of sheet 1 on either side of a 0.1 m column of sheet 2, all vertices shared: parcels 4 and
    10 have a reversed twin for every segment, but sheet 1 alone has a narrow gap there."""
    xs, ys = [0.0, 10.0, 20.0, 20.1, 30.0, 40.0], [0.0, 10.0, 20.0, 30.0]
    geoms = [shapely.box(xs[c], ys[r], xs[c + 1], ys[r + 1]) for c in range(5) for r in range(3)]
    sheet = [2 if c == 2 else 1 for c in range(5) for r in range(3)]
    assert assert_as_geos(geoms, [0] * 15) == []
    assert assert_as_geos(geoms, sheet, widths=(0.2,)) == [3, 4, 5, 9, 10, 11]


@pytest.mark.usefixtures("always_filter")
def test_a_polygon_drawn_inside_one_whose_edges_all_match_is_found(layer: Layer) -> None:
    geoms = jittered_block(5, 3)
    inner = shapely.buffer(shapely.point_on_surface(geoms[12]), 0.5, quad_segs=1)
    assert assert_as_geos([*geoms, inner], [0] * 26) == [25]  # the outer one's own edges are fine
    frame = parcels(5)
    extra = frame.iloc[[12]].copy()
    extra["geometry"] = [shapely.box(550_045, 1_777_045, 550_048, 1_777_048)]
    frame = pd.concat([frame, extra], ignore_index=True)
    assert flagged(check_overlap(subject_of(frame, layer), OVERLAP)) == [12, 25]


@pytest.mark.usefixtures("always_filter")
def test_a_vertex_on_one_side_only(layer: Layer) -> None:
    geoms = jittered_block(5, 4)
    ring = np.asarray(geoms[12].exterior.coords)
    middle = (ring[1] + ring[2]) / 2
    on_edge = shapely.Polygon(np.vstack([ring[:2], [middle], ring[2:]]))
    assert assert_as_geos([*geoms[:12], on_edge, *geoms[13:]], [0] * 25) == [12, 17]
    frame = parcels(5)
    frame.loc[12, "geometry"] = push_edge(frame.geometry[12], -0.1)  # a notch 0.1 m deep in its east edge
    subject = subject_of(frame, layer)
    assert flagged(check_gap(subject, GAP)) == [12, 13] and check_overlap(subject, OVERLAP) == []


@pytest.mark.usefixtures("always_filter")
def test_gaps_between_sheets_and_inside_a_sheet(layer: Layer) -> None:
    frame = parcels(5)
    frame["so_to"] = np.where(np.arange(25) % 5 < 3, 1, 2)  # a seam between columns 2 and 3
    frame.loc[12, "geometry"] = pull_edge(frame.geometry[12], 0.1)  # towards the other sheet
    frame.loc[16, "geometry"] = pull_edge(frame.geometry[16], 0.1)  # inside sheet 1
    subject = subject_of(frame, layer)
    by_sheet = Check(rule="topology.gap", within=["so_to"], gap_width=0.2)
    assert flagged(check_gap(subject, by_sheet)) == [16, 17]
    assert flagged(check_gap(subject, GAP)) == [12, 13, 16, 17]
    geoms = frame.geometry.to_numpy()
    assert_as_geos(list(geoms), frame["so_to"].to_numpy())


@pytest.mark.usefixtures("always_filter")
def test_a_strip_of_another_sheet_between_two_parcels_is_a_gap_in_their_sheet(layer: Layer) -> None:
    """Parcels 4 and 5 of sheet 7 share no edge: a 0.1 m strip of sheet 8 runs between them."""
    frame = parcels(3)
    frame.loc[4, "geometry"] = pull_edge(frame.geometry[4], 0.1)
    _, y0, x1, y1 = frame.geometry[4].bounds
    strip = frame.iloc[[4]].copy()
    strip["geometry"], strip["so_to"] = [shapely.box(x1, y0, x1 + 0.1, y1)], 8
    frame = pd.concat([frame, strip], ignore_index=True)
    subject = subject_of(frame, layer)
    assert check_gap(subject, GAP) == []  # one coverage: the strip fills the gap
    assert flagged(check_gap(subject, Check(rule="topology.gap", within=["so_to"], gap_width=0.2))) == [4, 5]
    assert_as_geos(list(frame.geometry.to_numpy()), frame["so_to"].to_numpy())


@pytest.mark.usefixtures("always_filter")
def test_a_polygon_whose_partner_was_left_out_runs_again_with_all_its_neighbours() -> None:
    """P (1) has one unmatched vertex on its west edge, so GEOS first sees it with what lies near that
    edge only: its east edge then lacks its partner N (2), a 0.5 m strip, and runs within 1 m of W (3).
    GEOS flags that edge; run again with N, P keeps its west edge only."""
    xs = [0.0, 10.0, 20.0, 20.5, 30.0]
    top = shapely.Polygon([*[(x, 20.0) for x in xs], (30.0, 30.0), (0.0, 30.0)])
    bottom = shapely.Polygon([(0.0, 0.0), (30.0, 0.0), *[(x, 10.0) for x in xs[::-1]]])
    a, n, w = shapely.box(0, 10, 10, 20), shapely.box(20, 10, 20.5, 20), shapely.box(20.5, 10, 30, 20)
    p = shapely.Polygon([(10, 10), (20, 10), (20, 20), (10, 20), (10, 15)])
    geoms = np.array([a, p, n, w, top, bottom], dtype=object)
    coverage = Coverage(np.arange(6), geoms, np.zeros(6, dtype=np.intp))
    first = shapely.coverage_invalid_edges(geoms[[0, 1, 3, 4, 5]], gap_width=1.0)[1]
    assert shapely.length(first) > 10  # the west edge and the east one
    assert assert_as_geos(list(geoms), [0] * 6) == [0, 1]
    assert shapely.length(invalid_edges(coverage, 1.0)[1]) == pytest.approx(10)


@pytest.mark.usefixtures("always_filter")
@pytest.mark.parametrize("seed", range(4))
def test_the_pre_filter_gives_geos_answer_on_a_messy_coverage(seed: int) -> None:
    rng = np.random.default_rng(seed)
    geoms = jittered_block(12, seed)
    sheet = [(i // 12 // 4) * 3 + (i % 12) // 4 for i in range(len(geoms))]
    picks = rng.choice(len(geoms), 40, replace=False)
    for k, i in enumerate(picks):
        ring = np.asarray(geoms[i].exterior.coords)
        match k % 10:
            case 0:  # a corner moved
                ring[2] += rng.uniform(-0.4, 0.4, 2)
                geoms[i] = shapely.Polygon(ring)
            case 1:  # drawn twice
                geoms.append(geoms[i])
                sheet.append(sheet[i])
            case 2:  # a small parcel drawn inside
                geoms.append(shapely.buffer(shapely.point_on_surface(geoms[i]), 0.3, quad_segs=1))
                sheet.append(sheet[i])
            case 3:  # a vertex on one side only, a little off the line
                middle = (ring[0] + ring[1]) / 2 + rng.uniform(-0.05, 0.05, 2)
                geoms[i] = shapely.Polygon(np.vstack([ring[:1], [middle], ring[1:]]))
            case 4:  # clockwise
                geoms[i] = shapely.Polygon(ring[::-1])
            case 5:  # multi-part
                geoms[i] = shapely.MultiPolygon([geoms[i]])
            case 6:  # a hole, filled by another parcel
                hole = shapely.buffer(shapely.point_on_surface(geoms[i]), 0.4, quad_segs=1)
                geoms[i] = shapely.Polygon(ring, [np.asarray(hole.exterior.coords)])
                geoms.append(hole)
                sheet.append(sheet[i])
            case 7:  # filed under another sheet
                sheet[i] = (sheet[i] + 1) % 9
            case 8:  # shrunk: gaps all round
                geoms[i] = shapely.affinity.scale(geoms[i], 0.98, 0.98)
            case 9:  # a repeated vertex
                geoms[i] = shapely.Polygon(np.vstack([ring[:2], ring[1:]]))
    valid = shapely.is_valid(geoms)
    assert valid.sum() > 140
    assert_as_geos(np.array(geoms)[valid], np.array(sheet)[valid], widths=(0.0, 0.3))
    assert_as_geos(np.array(geoms)[valid], np.zeros(valid.sum(), dtype=np.intp), widths=(0.0, 0.3))


def test_coordinates_not_hashes_decide_what_matches() -> None:
    """Pairs of segments under one hash: only a reversed twin in the same partition matches."""

    def pair(first, second, labels=(0, 0), flip=(False, False)) -> list[bool]:
        (x0, y0, x1, y1), (u0, v0, u1, v1) = first, second
        segments = Segments(
            x0=np.array([x0, u0]),
            y0=np.array([y0, v0]),
            x1=np.array([x1, u1]),
            y1=np.array([y1, v1]),
            flip=np.array(flip),
            owner=np.array([0, 1]),
            key=_mix(np.array(labels, dtype=np.uint64)),  # one hash once the partition is mixed in
            sure=np.ones(2, bool),
        )
        return segments.unmatched(np.array(labels)).tolist()

    assert pair((0, 0, 1, 0), (1, 0, 0, 0)) == [False, False]
    assert pair((0, 0, 1, 0), (0, 0, 1, 0), flip=(True, False)) == [False, False]  # stored the other way
    assert pair((0, 0, 1, 0), (0, 0, 1, 0)) == [True, True]  # the same way round: a duplicate
    assert pair((0, 0, 1, 0), (1, 0, 0, 0), labels=(0, 1)) == [True, True]  # another partition
    assert pair((0, 0, 1, 0), (1, 5, 0, 5)) == [True, True]  # same x, another y
    assert pair((0, 0, 0, 1), (5, 1, 5, 0)) == [True, True]  # same y, another x
    assert pair((0, 0, 1, 0), (1, 0, 0, 0.001)) == [True, True]


def test_the_plain_pass_gives_the_same_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    geoms = np.array(jittered_block(6, 9), dtype=object)
    geoms[14] = push_edge(geoms[14], 0.5)
    coverage = Coverage(np.arange(36), geoms, np.zeros(36, dtype=np.intp))
    monkeypatch.setattr(topology, "PLAIN_SHARE", 0.0)
    plain = shapely.to_wkb(invalid_edges(coverage, 0.2))
    monkeypatch.setattr(topology, "PLAIN_SHARE", 1.0)
    assert list(shapely.to_wkb(invalid_edges(coverage, 0.2))) == list(plain)


def test_overlap_and_gap_share_one_pass_when_they_partition_alike(layer: Layer, monkeypatch) -> None:
    checks = [
        Check(rule="topology.overlap", within=["so_to"]),
        Check(rule="topology.gap", within=["so_to"], gap_width=0.2),
    ]
    same = layer.model_copy(update={"checks": checks})
    frame = parcels(4)
    frame.loc[5, "geometry"] = push_edge(frame.geometry[5], 0.5)
    frame.loc[9, "geometry"] = pull_edge(frame.geometry[9], 0.1)
    subject = subject_of(frame, same)
    calls = []
    run = topology._run
    monkeypatch.setattr(topology, "_run", lambda *args: calls.append(args[2]) or run(*args))
    assert flagged(check_overlap(subject, same.checks[0])) == [5, 6]
    assert set(calls) == {0.2}  # the overlap rule ran with the gap rule's width ...
    done = len(calls)
    assert flagged(check_gap(subject, same.checks[1])) == [9, 10]
    assert len(calls) == done  # ... and the gap rule took that pass
    assert subject.memo == {}  # the layer's last coverage rule let go of what they shared
    other = subject_of(frame, layer)  # the catalog partitions them differently
    calls.clear()
    check_overlap(other, Check(rule="topology.overlap", within=["so_to"]))
    assert set(calls) == {0.0}
