"""``danang-sdi validate|load|batches rollback`` on raster layers, with the real SRTM DEM and the real PostGIS.

Loads go into ``cli_dem``, a copy of the catalog's ``dem`` entry under an id no other test touches, with a
home of their own (the COGs) in a temporary folder; the batch rows of ``cli_dem`` are removed before and after.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import rasterio
import yaml
from click.testing import CliRunner

from danang_sdi.cli.main import cli
from danang_sdi.settings import PROJECT_DIR
from danang_sdi.store.database import connect, database_url
from danang_sdi.store.schema import META_DDL

DEM = "dem-srtm-danang/danang_srtm_gl1.tif"
LAYER = "cli_dem"
REPO_ENV = {"DANANG_SDI_LAYERS": str(PROJECT_DIR / "layers")}


@pytest.fixture(scope="module")
def dem(shared_data: Path) -> Path:
    return shared_data / DEM


@pytest.fixture(scope="module")
def no_crs(dem: Path, tmp_path_factory) -> Path:
    """The DEM with its CRS stripped: the delivery a surveyor sends after a careless export."""
    target = tmp_path_factory.mktemp("no-crs") / "dem_no_crs.tif"
    with rasterio.open(dem) as src:
        profile, data = src.profile, src.read()
    profile.pop("crs")
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(data)
    return target


def flat(output: str) -> str:
    """The output with the terminal's line folding undone (long messages wrap inside the problems table)."""
    return " ".join(output.split())


def _unreadable(tmp_path: Path, case: str, dem: Path) -> Path:
    path = tmp_path / f"{case}.tif"
    path.write_bytes(b"" if case == "empty" else dem.read_bytes()[:20000])
    return path


def test_validate_the_real_dem_exits_0_with_its_facts(runner: CliRunner, dem: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(
        cli, ["validate", str(dem), "--layer", "dem", "--lang", "en", "--json", str(out)], env=REPO_ENV
    )
    assert result.exit_code == 0, result.output
    assert "VALID: no problems found" in result.output
    assert "EPSG:4326 → EPSG:5899" in result.output and "864 × 900 pixels" in result.output
    assert "int16 → float32" in result.output and "-32768 → -9999" in result.output
    assert "853 × 918 pixels, 30.26 m, EPSG:5899" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["ok"] is True and report["layer"] == "dem" and report["grid"]["crs"] == "EPSG:5899"


def test_validate_a_dem_without_crs_exits_1_naming_the_crs_to_assign(runner: CliRunner, no_crs: Path) -> None:
    result = runner.invoke(cli, ["validate", str(no_crs), "--layer", "dem", "--lang", "en"], env=REPO_ENV)
    assert result.exit_code == 1
    assert "NOT VALID: 1 errors, 0 warnings" in result.output and "raster.crs_missing" in result.output
    assert "dem_no_crs.tif has no coordinate reference system" in flat(result.output)
    assert "look like EPSG:4326: assign it with gdal_edit.py -a_srs EPSG:4326 dem_no_crs.tif" in flat(
        result.output
    )
    assert "Traceback" not in result.output


def test_vietnamese_is_the_default_language(runner: CliRunner, no_crs: Path) -> None:
    result = runner.invoke(cli, ["validate", str(no_crs), "--layer", "dem"], env=REPO_ENV)
    assert result.exit_code == 1
    assert "KHÔNG HỢP LỆ" in result.output and "không có hệ tọa độ" in flat(result.output)


@pytest.mark.parametrize(
    ("case", "phrase"),
    [
        ("empty", "not a raster file rasterio can read"),
        ("truncated", "a truncated or damaged file does this"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "load"])
def test_an_unreadable_tif_exits_2_with_one_sentence(
    runner: CliRunner, dem: Path, tmp_path: Path, case: str, phrase: str, command: str
) -> None:
    path = _unreadable(tmp_path, case, dem)
    result = runner.invoke(cli, [command, str(path), "--layer", "dem"], env=REPO_ENV)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {path}") and phrase in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_vector_only_options_are_refused(runner: CliRunner, dem: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = runner.invoke(cli, ["validate", str(dem), "--layer", "dem", "--html", str(html)], env=REPO_ENV)
    assert result.exit_code == 2 and "--html: for vector layers only; dem is a raster layer" in result.output
    result = runner.invoke(cli, ["load", str(dem), "--layer", "dem", "--mode", "upsert"], env=REPO_ENV)
    assert result.exit_code == 2 and "--mode upsert: for vector layers only" in result.output
    assert not html.exists()


def test_an_unknown_layer_names_the_raster_layers(runner: CliRunner, dem: Path) -> None:
    result = runner.invoke(cli, ["validate", str(dem), "--layer", "dm"], env=REPO_ENV)
    assert result.exit_code == 1
    assert "unknown layer 'dm' (did you mean 'dem'?)" in result.output
    assert "raster layers: dem, orthophoto" in result.output


@pytest.fixture(scope="module")
def env(db_settings, db_env, tmp_path_factory) -> Iterator[dict[str, str]]:
    """The catalog with ``cli_dem`` added, a home of its own, the test database by its URL."""
    layers = tmp_path_factory.mktemp("layers")
    shutil.copy(PROJECT_DIR / "layers" / "catalog.yml", layers / "catalog.yml")
    (layers / "rasters").mkdir()
    spec = yaml.safe_load((PROJECT_DIR / "layers" / "rasters" / "dem.yml").read_text(encoding="utf-8"))
    spec["id"] = LAYER
    (layers / "rasters" / f"{LAYER}.yml").write_text(
        yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8"
    )
    url = database_url(db_settings)
    with connect(db_settings) as conn:
        for statement in META_DDL:
            conn.execute(statement)
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = %s", (LAYER,))  # left by an interrupted run
    home = tmp_path_factory.mktemp("home")
    yield {
        **db_env,
        "DANANG_SDI_HOME": str(home),
        "DANANG_SDI_DATABASE_URL": url,
        "DANANG_SDI_LAYERS": str(layers),
    }
    with connect(db_settings) as conn:
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = %s", (LAYER,))
    shutil.rmtree(home, ignore_errors=True)


def _batches(db_settings) -> list[tuple[int, str]]:
    with connect(db_settings) as conn:
        return conn.execute(
            "SELECT id, status FROM sdi_meta.batch WHERE layer = %s ORDER BY id", (LAYER,)
        ).fetchall()


def _current(env: dict[str, str]) -> Path:
    return Path(env["DANANG_SDI_HOME"]) / "rasters" / LAYER / "current.tif"


@pytest.mark.postgis
def test_load_refuses_a_dem_without_crs_and_stores_nothing(runner, env, db_settings, no_crs) -> None:
    result = runner.invoke(cli, ["load", str(no_crs), "--layer", LAYER, "--lang", "en"], env=env)
    assert result.exit_code == 1
    assert "Error: dem_no_crs.tif refused for layer cli_dem: dem_no_crs.tif has no coordinate reference" in (
        result.stderr
    )
    assert "gdal_edit.py -a_srs EPSG:4326" in result.stderr and "Traceback" not in result.output
    assert _batches(db_settings) == [] and not (Path(env["DANANG_SDI_HOME"]) / "rasters" / LAYER).exists()


@pytest.mark.postgis
def test_load_dry_run_writes_nothing(runner, env, db_settings, dem) -> None:
    result = runner.invoke(cli, ["load", str(dem), "--layer", LAYER, "--dry-run", "--lang", "en"], env=env)
    assert result.exit_code == 0, result.output
    assert "cli_dem would change (dry run, nothing written)" in result.output
    assert "a COG of 853 × 918 pixels of 30.26 m in EPSG:5899" in result.output
    assert _batches(db_settings) == [] and not _current(env).exists()


@pytest.mark.postgis
def test_load_then_roll_back_moves_current_tif_back(runner, env, db_settings, dem) -> None:
    def load(*extra: str):
        return runner.invoke(cli, ["load", str(dem), "--layer", LAYER, "--lang", "en", *extra], env=env)

    first = load()
    assert first.exit_code == 0, first.output
    [(first_id, status)] = _batches(db_settings)
    assert (
        status == "done" and f"cli_dem batch {first_id}: danang_srtm_gl1.tif stored as a COG" in first.output
    )
    assert _current(env).resolve().name == f"{first_id}.tif"
    with rasterio.open(_current(env)) as cog:
        assert (cog.crs.to_epsg(), cog.dtypes[0], cog.nodata) == (5899, "float32", -9999.0)

    again = load()
    assert again.exit_code == 0 and f"already loaded into cli_dem as batch {first_id}" in again.output
    forced = load("--force")
    assert forced.exit_code == 0, forced.output
    second_id = _batches(db_settings)[-1][0]
    assert second_id > first_id and _current(env).resolve().name == f"{second_id}.tif"

    listed = runner.invoke(cli, ["batches", "list", "--layer", LAYER, "--format", "json"], env=env)
    assert [b["id"] for b in json.loads(listed.output)] == [second_id, first_id]

    rolled = runner.invoke(cli, ["batches", "rollback", str(second_id), "--yes"], env=env)
    assert rolled.exit_code == 0, rolled.output
    assert f"cli_dem: restored to what it was before batch {second_id}" in rolled.output
    assert f"cli_dem now serves {first_id}.tif" in rolled.output
    assert _batches(db_settings) == [(first_id, "done"), (second_id, "rolled_back")]
    assert _current(env).resolve().name == f"{first_id}.tif"

    last = runner.invoke(cli, ["batches", "rollback", str(first_id), "--yes"], env=env)
    assert last.exit_code == 0, last.output
    assert "cli_dem now serves nothing (no load of it is left)" in last.output
    assert not _current(env).exists() and not _current(env).is_symlink()
    assert (Path(env["DANANG_SDI_HOME"]) / "rasters" / LAYER / f"{first_id}.tif").is_file()  # kept

    twice = runner.invoke(cli, ["batches", "rollback", str(first_id), "--yes"], env=env)
    assert twice.exit_code == 1 and "only a done batch can be rolled back" in twice.output
