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
from danang_sdi.qa.base import Subject
from danang_sdi.qa.topology import check_gap, check_overlap
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
