"""Raster layers with the real SRTM DEM: validation (CRS missing or wrong, extent, nodata, bands), COG loading
into a batch, the pinned VN-2000 operation, and the coverage that pygeoapi's rasterio provider serves."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine

from danang_sdi.catalog import load_catalog
from danang_sdi.errors import LayerNotFound
from danang_sdi.rasters import RasterRefused, current_raster, load_raster, validate_raster
from danang_sdi.rasters.cog import is_cog
from danang_sdi.rasters.grid import pinned_operation
from danang_sdi.rasters.publish import coverage_resources
from danang_sdi.settings import PROJECT_DIR
from danang_sdi.sources.transform import transformer
from danang_sdi.store.database import connect, database_url
from danang_sdi.store.schema import META_DDL

DEM = "dem-srtm-danang/danang_srtm_gl1.tif"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """The real catalog, plus the DEM's entry under a test id whose batches no other test touches."""
    directory = tmp_path_factory.mktemp("layers")
    layers = PROJECT_DIR / "layers"
    shutil.copy(layers / "catalog.yml", directory / "catalog.yml")
    shutil.copytree(layers / "rasters", directory / "rasters")
    spec = yaml.safe_load((layers / "rasters" / "dem.yml").read_text(encoding="utf-8"))
    spec["id"] = "test_dem"
    (directory / "rasters" / "test_dem.yml").write_text(
        yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8"
    )
    return load_catalog(directory)


@pytest.fixture(scope="module")
def dem(shared_data) -> Path:
    return shared_data / DEM


def _copy(source: Path, target: Path, **changes) -> Path:
    """A copy of ``source`` with profile entries changed (``crs=None`` drops the CRS)."""
    with rasterio.open(source) as src:
        profile, data = src.profile, src.read()
    profile.update(changes)
    if changes.get("crs", "kept") is None:
        profile.pop("crs")
    with rasterio.open(target, "w", **profile) as dst:
        dst.write(data)
    return target


def _rules(report) -> list[str]:
    return [i.rule for i in report.errors]


def test_the_real_dem_is_valid(catalog, dem):
    report = validate_raster(dem, catalog.raster("dem"))
    assert report.ok, report.issues
    assert report.crs == "EPSG:4326" and report.nodata == -32768 and report.dtype == "int16"
    assert report.grid.crs == "EPSG:5899" and 30.0 < report.grid.resolution < 30.6
    west, south, east, north = report.grid.bounds
    assert 534_000 < west < 536_000 and 1_782_000 < north < 1_784_000
    assert 1_754_000 < south < 1_756_000 and 560_000 < east < 562_000


def test_no_crs_is_refused_with_the_crs_to_assign(catalog, dem, tmp_path):
    stripped = _copy(dem, tmp_path / "dem_no_crs.tif", crs=None)
    report = validate_raster(stripped, catalog.raster("dem"))
    assert _rules(report) == ["raster.crs_missing"]
    message = report.errors[0].message_en
    assert message.startswith("dem_no_crs.tif has no coordinate reference system")
    assert "look like EPSG:4326" in message and "gdal_edit.py -a_srs EPSG:4326" in message


@pytest.mark.parametrize("wrong", ["EPSG:32648", "EPSG:5899"])
def test_a_wrong_crs_is_refused_naming_the_right_one(catalog, dem, tmp_path, wrong):
    mislabelled = _copy(dem, tmp_path / "dem_wrong.tif", crs=wrong)
    report = validate_raster(mislabelled, catalog.raster("dem"))
    assert _rules(report) == ["raster.crs_mismatch"]
    message = report.errors[0].message_en
    assert f"declared {wrong}" in message and "does not fit" in message and "looks like EPSG:4326" in message


def test_a_raster_elsewhere_is_outside_the_city(catalog, dem, tmp_path):
    hanoi = Affine(1 / 3600, 0, 105.80, 0, -1 / 3600, 21.05)
    moved = _copy(dem, tmp_path / "dem_hanoi.tif", transform=hanoi)
    report = validate_raster(moved, catalog.raster("dem"))
    assert _rules(report) == ["raster.outside"]
    assert "lies outside Đà Nẵng" in report.errors[0].message_en


def test_nodata_bands_type_and_resolution_are_checked(catalog, dem, tmp_path):
    no_nodata = _copy(dem, tmp_path / "dem_no_nodata.tif", nodata=None)
    report = validate_raster(no_nodata, catalog.raster("dem"))
    assert _rules(report) == ["raster.nodata"] and "gdal_edit.py -a_nodata" in report.errors[0].message_en
    as_photo = validate_raster(dem, catalog.raster("orthophoto"))
    assert _rules(as_photo) == ["raster.bands", "raster.dtype", "raster.resolution"]
    assert "outside 0.05–1 m" in as_photo.errors[-1].message_en


def _orthophoto(path: Path) -> Path:
    """A 3-band 0.5 m image in WGS 84 / UTM 49N over Hải Châu, with a nodata border: a datum shift to warp."""
    east, north = transformer("EPSG:4326", "EPSG:32649").transform(108.2208, 16.0678)
    rng = np.random.default_rng(7)
    data = rng.integers(1, 255, size=(3, 400, 400), dtype=np.uint8)
    data[:, :20, :] = 0
    profile = {
        "driver": "GTiff", "width": 400, "height": 400, "count": 3, "dtype": "uint8", "nodata": 0,
        "crs": "EPSG:32649", "transform": Affine(0.5, 0, east - 100, 0, -0.5, north + 100),
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def test_pinned_operation_is_epsg_6960_in_authority_axis_order():
    operation = pinned_operation("EPSG:4326", "EPSG:5899")
    assert "+proj=axisswap +order=2,1" in operation and "+x=-191.90441429" in operation
    assert pinned_operation("EPSG:32648", "EPSG:4326") is None


def test_catalog_refuses_unknown_raster(catalog):
    with pytest.raises(LayerNotFound, match="known raster layers: dem, orthophoto, test_dem"):
        catalog.raster("ortho")


@pytest.fixture(scope="module")
def settings(db_settings, catalog, tmp_path_factory):
    settings = replace(
        db_settings,
        home=tmp_path_factory.mktemp("home"),
        layers_dir=catalog.path,
        database_url=database_url(db_settings),
    )
    with connect(settings) as conn:
        for statement in META_DDL:
            conn.execute(statement)
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = 'test_dem'")  # left by an interrupted run
    yield settings
    with connect(settings) as conn:
        conn.execute("DELETE FROM sdi_meta.batch WHERE layer = 'test_dem'")


@pytest.fixture(scope="module")
def loaded(settings, catalog, dem):
    return load_raster(settings, dem, catalog.raster("test_dem"))


@pytest.mark.postgis
def test_load_writes_a_cog_in_5899_and_records_the_batch(settings, loaded):
    assert loaded.status == "done"
    assert loaded.path == settings.home / "rasters" / "test_dem" / f"{loaded.batch_id}.tif"
    assert current_raster(settings, "test_dem").resolve() == loaded.path.resolve()
    assert is_cog(loaded.path)
    with rasterio.open(loaded.path) as cog:
        assert (cog.crs.to_epsg(), cog.dtypes[0], cog.nodata, cog.count) == (5899, "float32", -9999.0, 1)
        assert cog.descriptions == ("elevation",) and cog.units == ("m",) and cog.overviews(1)
    with connect(settings) as conn:
        row = conn.execute(
            "SELECT status, mode, source_crs, sha256, ST_XMin(extent), report->'stored'->'maximum'->>0 "
            "FROM sdi_meta.batch WHERE id = %s",
            (loaded.batch_id,),
        ).fetchone()
    assert row[:4] == ("done", "replace", "EPSG:4326", loaded.report.sha256)
    assert 534_000 < row[4] < 536_000 and 600 < float(row[5]) < 700  # Sơn Trà's summit


@pytest.mark.postgis
def test_stored_elevations_sit_where_the_pinned_transformation_puts_them(loaded, dem):
    rng = np.random.default_rng(3)
    with rasterio.open(dem) as src:
        lon = rng.uniform(src.bounds.left + 0.01, src.bounds.right - 0.01, 300)
        lat = rng.uniform(src.bounds.bottom + 0.01, src.bounds.top - 0.01, 300)
        original = np.array([v[0] for v in src.sample(zip(lon, lat, strict=True))], dtype=float)
    east, north = transformer("EPSG:4326", "EPSG:5899").transform(lon, lat)
    with rasterio.open(loaded.path) as cog:
        stored = np.array([v[0] for v in cog.sample(zip(east, north, strict=True))], dtype=float)
    assert np.median(np.abs(stored - original)) < 1.5


@pytest.mark.postgis
def test_same_file_again_is_a_noop(settings, loaded, catalog, dem):
    again = load_raster(settings, dem, catalog.raster("test_dem"))
    assert (again.status, again.batch_id) == (
        "noop",
        loaded.batch_id,
    ) and "already loaded" in again.message


@pytest.mark.postgis
def test_refused_raster_leaves_nothing_behind(settings, loaded, catalog, dem, tmp_path):
    stripped = _copy(dem, tmp_path / "test_no_crs.tif", crs=None)
    before = sorted((settings.home / "rasters" / "test_dem").iterdir())
    with pytest.raises(
        RasterRefused, match=r"test_no_crs\.tif refused for layer test_dem: .*has no coordinate"
    ):
        load_raster(settings, stripped, catalog.raster("test_dem"))
    assert sorted((settings.home / "rasters" / "test_dem").iterdir()) == before
    with connect(settings) as conn:
        assert not conn.execute("SELECT 1 FROM sdi_meta.batch WHERE file_name = 'test_no_crs.tif'").fetchone()


@pytest.mark.postgis
def test_orthophoto_across_datums(settings, catalog, tmp_path):
    photo = _orthophoto(tmp_path / "test_ortho_utm49.tif")
    result = load_raster(settings, photo, catalog.raster("orthophoto"))
    try:
        with rasterio.open(result.path) as cog:
            assert (cog.crs.to_epsg(), cog.count, cog.res) == (5899, 3, (0.5, 0.5))
            assert cog.descriptions == ("red", "green", "blue")
            centre = transformer("EPSG:4326", "EPSG:5899").transform(108.2208, 16.0678)
            left, bottom, right, top = cog.bounds
            assert left < centre[0] < right and bottom < centre[1] < top
    finally:
        with connect(settings) as conn:
            conn.execute("DELETE FROM sdi_meta.batch WHERE id = %s", (result.batch_id,))


@pytest.mark.postgis
def test_published_as_a_coverage_pygeoapi_can_read(settings, loaded, catalog):
    from pygeoapi.provider.rasterio_ import RasterioProvider

    resources = coverage_resources(settings, catalog)
    assert "test_dem" in resources and "dem" not in resources  # only what has been loaded
    resource = resources["test_dem"]
    west, south, east, north = resource["extents"]["spatial"]["bbox"]
    assert 108.0 < west < 108.1 and 15.8 < south < 15.9 and 108.3 < east < 108.4 and 16.1 < north < 16.2
    definition = resource["providers"][0]
    assert definition["data"].endswith("rasters/test_dem/current.tif")
    provider = RasterioProvider(definition)
    assert provider.get_fields()["1"]["type"] == "float"
    coverage = provider.query(bbox=[108.20, 16.05, 108.21, 16.06], bbox_crs=4326, format_="json")
    values = coverage["ranges"][next(iter(coverage["ranges"]))]["values"]
    assert 10 < len(values) < 2000 and all(v is None or -30 < v < 700 for v in values)
