"""network.dangle: line ends that meet no other line within the catalog's snap tolerance."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Check, Layer
from danang_sdi.qa.base import Subject
from danang_sdi.qa.network import check_dangles, dangling_ends

X, Y = 550_000.0, 1_777_000.0
DANGLE = Check(rule="network.dangle", snap_tolerance=0.5)


@pytest.fixture(scope="module")
def pipes() -> Layer:
    return load_catalog().get("water_pipe")


def _subject(lines: list, layer: Layer) -> Subject:
    return Subject(layer=layer, frame=gpd.GeoDataFrame(geometry=lines, crs="EPSG:5899"), name="ong.shp")


def _line(*points: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X + x, Y + y) for x, y in points])


def test_a_line_stopping_short_of_a_junction_dangles_at_that_end(pipes: Layer) -> None:
    main = _line((0, 0), (100, 0))
    branch = _line((50, 50), (50, 1.5))  # 1.5 m short of the main
    issues = check_dangles(_subject([main, branch], pipes), DANGLE)
    ends = {(i.feature, i.location) for i in issues}
    assert (1, "POINT (550050 1777001.5)") in ends
    assert issues[0].rule == "network.dangle" and "0.5 m" in issues[0].message_en


def test_lines_meeting_within_the_tolerance_do_not_dangle_there(pipes: Layer) -> None:
    main = _line((0, 0), (100, 0))
    branch = _line((50, 50), (50, 0.3))  # within 0.5 m: snapped in the field
    loop = _line((200, 0), (210, 0), (210, 10), (200, 0))  # a closed ring has no free end
    owners, points = dangling_ends(_subject([main, branch, loop], pipes).geometry, 0.5)
    assert sorted(owners.tolist()) == [0, 0, 1]  # the main's two ends and the branch's far end
    assert (X + 50, Y + 50) in [(p.x, p.y) for p in points]


def test_multilines_are_judged_part_by_part(pipes: Layer) -> None:
    joined = shapely.MultiLineString([[(X, Y), (X + 10, Y)], [(X + 10, Y), (X + 20, Y)]])
    owners, points = dangling_ends(_subject([joined], pipes).geometry, 0.5)
    assert owners.tolist() == [0, 0]  # the two outer ends; the joint is connected
    assert sorted(p.x for p in points) == [X, X + 20]
