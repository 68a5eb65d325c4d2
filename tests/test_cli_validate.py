"""``danang-sdi validate``: exit codes 0/1/2, the terminal summary, --json, --html, --fix, --lang."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from danang_sdi.cli.main import cli
from tests.helpers.qa_fixtures import parcels, with_defects, write
from tests.test_sources_reader import UNREADABLE


def run(runner: CliRunner, *args: str):
    return runner.invoke(cli, ["validate", *args])


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return write(parcels(3), tmp_path / "clean.gpkg")


@pytest.fixture
def defects(tmp_path: Path) -> Path:
    return write(with_defects()[0], tmp_path / "thua_dat.gpkg")


def test_a_clean_file_exits_0(runner: CliRunner, clean: Path) -> None:
    result = run(runner, str(clean), "--layer", "cadastral_parcel", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "VALID: no problems found" in result.output
    assert "EPSG:5899" in result.output


def test_problems_exit_1_with_counts_and_first_problems(runner: CliRunner, defects: Path) -> None:
    result = run(runner, str(defects), "--layer", "cadastral_parcel", "--lang", "en", "--limit", "3")
    assert result.exit_code == 1
    assert "NOT VALID: 13 errors, 6 warnings" in result.output
    assert "topology.overlap" in result.output and "code not in its code list" in result.output
    assert 'loai_dat "XYZ" is not in code list land_use_tt08_2024' in result.output
    assert "Traceback" not in result.output


def test_vietnamese_is_the_default_language(runner: CliRunner, defects: Path) -> None:
    result = run(runner, str(defects), "--layer", "cadastral_parcel")
    assert result.exit_code == 1
    assert "KHÔNG HỢP LỆ" in result.output and "không có trong danh mục mã" in result.output


@pytest.mark.parametrize(
    "case", ["truncated .shp", "missing .dbf", "empty zip", "a directory", "0-byte .shp"]
)
def test_unreadable_input_exits_2_with_one_sentence(runner: CliRunner, tmp_path: Path, case: str) -> None:
    make, phrase = UNREADABLE[case]
    result = run(runner, str(make(tmp_path)), "--layer", "cadastral_parcel")
    assert result.exit_code == 2
    assert phrase in result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_an_unknown_layer_is_named(runner: CliRunner, clean: Path) -> None:
    result = run(runner, str(clean), "--layer", "cadastral_parcels")
    assert result.exit_code == 1
    assert "unknown layer 'cadastral_parcels' (did you mean 'cadastral_parcel'?)" in result.output


def test_json_report_has_the_documented_shape(runner: CliRunner, defects: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run(runner, str(defects), "--layer", "cadastral_parcel", "--json", str(out))
    assert result.exit_code == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) == {"valid", "layer", "source", "stats", "issues"}
    assert report["valid"] is False and report["layer"] == "cadastral_parcel"
    source = report["source"]
    assert {"path", "driver", "encoding", "crs", "crs_reason", "features", "field_mapping"} <= set(source)
    assert (source["driver"], source["encoding"], source["crs"], source["features"]) == (
        "GPKG",
        "UTF-8",
        "EPSG:5899",
        26,
    )
    assert report["stats"]["by_rule"]["key.duplicate"] == {"error": 0, "warning": 2}
    issue = next(i for i in report["issues"] if i["rule"] == "geometry.invalid")
    assert set(issue) == {"severity", "rule", "feature", "key", "field", "message", "location"}
    assert issue["feature"] == 11 and issue["severity"] == "error"
    assert set(issue["message"]) == {"vi", "en"}
    assert re.fullmatch(r"POINT \([0-9.]+ [0-9.]+\)", issue["location"])


def test_html_report_is_self_contained_with_a_map(runner: CliRunner, defects: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run(runner, str(defects), "--layer", "cadastral_parcel", "--html", str(out), "--lang", "en")
    assert result.exit_code == 1
    page = out.read_text(encoding="utf-8")
    assert "<svg" in page and page.count("<circle") >= 15
    assert "<script" not in page and "<link" not in page
    assert re.findall(r"https?://", page) == ["http://"]  # only the SVG namespace, no CDN, no tiles
    assert "1 problems outside the city are not drawn" in page
    assert "id='i1'" in page and 'href="#i1"' in page


def test_existing_outputs_need_overwrite(runner: CliRunner, clean: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("{}")
    result = run(runner, str(clean), "--layer", "cadastral_parcel", "--json", str(out))
    assert result.exit_code == 2
    assert "already exists; add --overwrite" in result.output
    assert out.read_text() == "{}"
    result = run(runner, str(clean), "--layer", "cadastral_parcel", "--json", str(out), "--overwrite")
    assert result.exit_code == 0 and json.loads(out.read_text())["valid"] is True


def test_fix_writes_a_clean_geopackage_in_5899(runner: CliRunner, tmp_path: Path) -> None:
    frame, _ = with_defects()
    frame = frame.rename(columns={"so_thua": "SoThuTuThua"})
    source = frame.set_geometry(
        shapely.transform(frame.geometry.array, lambda xy: xy[:, ::-1])
    )  # X/Y swapped
    path = write(source, tmp_path / "giao_nop.gpkg")
    out = tmp_path / "fixed.gpkg"
    result = run(runner, str(path), "--layer", "cadastral_parcel", "--fix", str(out), "--lang", "en")
    assert result.exit_code == 1
    assert "make_valid on feature 11" in result.output
    assert "X and Y swapped back" in result.output
    assert "SoThuTuThua → so_thua" in result.output
    assert "generic geometry type, because feature 12 is not MultiPolygon" in result.output
    fixed = pyogrio.read_dataframe(out, layer="cadastral_parcel")
    assert fixed.crs.to_epsg() == 5899
    assert "so_thua" in fixed.columns and len(fixed) == len(frame)
    assert bool(fixed.geometry.dropna().is_valid.all())
    assert fixed.geometry.iloc[11].geom_type == "MultiPolygon"  # the bow tie, made valid: two triangles
    assert len(fixed.geometry.iloc[11].geoms) == 2
    assert fixed.geometry.iloc[0].bounds[:2] == (550_000.0, 1_777_000.0)


def test_fix_refuses_another_format(runner: CliRunner, clean: Path, tmp_path: Path) -> None:
    result = run(runner, str(clean), "--layer", "cadastral_parcel", "--fix", str(tmp_path / "out.shp"))
    assert result.exit_code == 2
    assert "--fix writes a GeoPackage" in result.output
