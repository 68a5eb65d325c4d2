"""``danang-sdi catalog list|show|export`` run for real on ``layers/`` (or a copy), through the top-level CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.markdown import EXPORT_COMMAND, catalog_markdown
from danang_sdi.catalog.schema import layer_schema_json
from danang_sdi.cli.main import cli
from danang_sdi.settings import PROJECT_DIR

LAYERS = PROJECT_DIR / "layers"
REPO_ENV = {"DANANG_SDI_LAYERS": str(LAYERS)}
FAMILIES = {"administrative", "cadastral", "planning", "traffic", "utilities"}
REQUIRED_LAYERS = {
    "admin_commune", "cadastral_parcel", "land_use_status", "planning_boundary", "planning_lot",
    "road_centerline", "bridge", "traffic_signal", "accident_blackspot", "water_pipe", "water_node",
    "drainage_conduit", "manhole", "street_light", "urban_tree", "power_line", "telecom_site",
}  # fmt: skip


@pytest.fixture
def layers_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(LAYERS, tmp_path / "layers"))


def test_list_json_has_every_layer_with_group_geometry_and_crs(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["catalog", "list", "--format", "json"], env=REPO_ENV)
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert set(rows) >= REQUIRED_LAYERS
    assert {row["family"] for row in rows.values()} >= FAMILIES
    for row in rows.values():
        assert row["group"] and row["geometry"] and row["storage_crs"] == "EPSG:5899"
    parcel = rows["cadastral_parcel"]
    assert (parcel["group"], parcel["family"], parcel["geometry"]) == (
        "dia_chinh",
        "cadastral",
        "MultiPolygon",
    )
    assert parcel["owner"] == "SNNMT" and parcel["published"] is True
    assert parcel["tiles"] == {"minzoom": 14, "maxzoom": 18, "fill": True}


def test_list_table(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["catalog", "list"], env=REPO_ENV)
    assert result.exit_code == 0, result.output
    assert (
        "17 layers" in result.stdout
        and "cadastral_parcel" in result.stdout
        and "Thửa đất địa chính" in result.stdout
    )


def test_show_text_lists_attributes_access_and_aliases(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["catalog", "show", "cadastral_parcel"], env=REPO_ENV)
    assert result.exit_code == 0, result.output
    for phrase in ("so_thua", "SoHieuToBanDo", "restricted", "land_use_tt27_2018", "topology.overlap"):
        assert phrase in result.stdout


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_show_as_data(runner: CliRunner, fmt: str) -> None:
    result = runner.invoke(cli, ["catalog", "show", "planning_lot", "--format", fmt], env=REPO_ENV)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout) if fmt == "json" else yaml.safe_load(result.stdout)
    assert data["id"] == "planning_lot" and data["natural_key"] == ["ma_do_an", "giai_doan", "ky_hieu_lo"]


def test_show_unknown_layer_fails_with_the_known_ones(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["catalog", "show", "parcel"], env=REPO_ENV)
    assert result.exit_code == 1
    assert "unknown layer 'parcel'" in result.output and "cadastral_parcel" in result.output
    assert "Traceback" not in result.output


def test_a_new_layer_file_appears_in_list(runner: CliRunner, layers_copy: Path) -> None:
    text = (
        (layers_copy / "manhole.yml").read_text(encoding="utf-8").replace("id: manhole", "id: fire_hydrant")
    )
    (layers_copy / "fire_hydrant.yml").write_text(text, encoding="utf-8")
    result = runner.invoke(
        cli, ["catalog", "list", "--format", "json"], env={"DANANG_SDI_LAYERS": str(layers_copy)}
    )
    assert result.exit_code == 0, result.output
    ids = [row["id"] for row in json.loads(result.stdout) if row["kind"] == "vector"]
    assert "fire_hydrant" in ids and len(ids) == len(REQUIRED_LAYERS) + 1


def test_raster_layers_are_listed_and_shown_with_their_kind(runner: CliRunner) -> None:
    listed = runner.invoke(cli, ["catalog", "list", "--format", "json"], env=REPO_ENV)
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["cadastral_parcel"]["kind"] == "vector"
    dem = rows["dem"]
    assert (dem["kind"], dem["geometry"], dem["dtype"], dem["bands"]) == (
        "raster",
        "raster",
        "float32",
        ["elevation"],
    )
    assert dem["storage_crs"] == "EPSG:5899" and dem["family"] == "base" and dem["tiles"] is None
    table = runner.invoke(cli, ["catalog", "list"], env=REPO_ENV)
    assert "17 layers, 2 raster layers" in table.stdout and "raster uint8" in table.stdout
    shown = runner.invoke(cli, ["catalog", "show", "dem"], env=REPO_ENV)
    assert shown.exit_code == 0, shown.output
    for phrase in (
        "dem (raster)",
        "raster float32",
        "pixels 0.5-35 m",
        "nodata -9999",
        "elevation",
        "Độ cao",
    ):
        assert phrase in shown.stdout
    data = json.loads(
        runner.invoke(cli, ["catalog", "show", "orthophoto", "--format", "json"], env=REPO_ENV).stdout
    )
    assert data["kind"] == "raster" and [b["name"] for b in data["bands"]] == ["red", "green", "blue"]


def test_a_broken_catalog_is_one_line_with_file_and_line(runner: CliRunner, layers_copy: Path) -> None:
    path = layers_copy / "bridge.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("owner: SXD", "owner: SXDD"), encoding="utf-8")
    result = runner.invoke(cli, ["catalog", "list"], env={"DANANG_SDI_LAYERS": str(layers_copy)})
    assert result.exit_code == 1
    assert "bridge.yml line 8: unknown owner 'SXDD'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_export_json_schema_to_stdout(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["catalog", "export", "--format", "json-schema"], env=REPO_ENV)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "natural_key" in schema["required"] and "description" in schema["properties"]["owner"]


def test_export_does_not_replace_a_file_without_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "catalog.md"
    target.write_text("mine", encoding="utf-8")
    args = ["catalog", "export", "--format", "markdown", "-o", str(target)]
    result = runner.invoke(cli, args, env=REPO_ENV)
    assert result.exit_code == 2 and "add --overwrite" in result.output
    assert target.read_text(encoding="utf-8") == "mine"
    result = runner.invoke(cli, [*args, "--overwrite"], env=REPO_ENV)
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("# Da Nang shared spatial data catalog")


def test_docs_catalog_md_is_up_to_date() -> None:
    committed = (PROJECT_DIR / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert committed == catalog_markdown(load_catalog(LAYERS)), (
        f"docs/catalog.md is out of date; run: {EXPORT_COMMAND}"
    )


def test_layers_schema_json_is_up_to_date() -> None:
    committed = (LAYERS / "schema.json").read_text(encoding="utf-8")
    command = "danang-sdi catalog export --format json-schema -o layers/schema.json --overwrite"
    assert committed == layer_schema_json(), f"layers/schema.json is out of date; run: {command}"
