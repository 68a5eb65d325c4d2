"""A delivery → a Cloud-Optimised GeoTIFF on the layer's grid, type and nodata.

GDAL warps band to band between two datasets (chunked, so an orthophoto larger than memory is fine) into a
tiled temporary GeoTIFF, then GDAL's COG driver writes the final file with its overviews. The band names and
units of the catalog go into the file, where pygeoapi's coverage provider reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import rasterio
import rasterio.shutil
from rasterio.enums import Resampling
from rasterio.warp import reproject

from danang_sdi.catalog.models import RasterLayer
from danang_sdi.rasters.grid import TargetGrid, warp_options

WARP_MEMORY_MB = 256
BLOCK_SIZE = 512
PREDICTORS = {"deflate": "YES", "lzw": "YES", "zstd": "YES"}  # horizontal/floating-point predictor
READ_SIDE = 1024


@dataclass(frozen=True)
class CogInfo:
    path: Path
    bytes: int
    overviews: list[int]
    minimum: list[float | None]  # per band, on a decimated read; None when the band is all nodata
    maximum: list[float | None]


def _work_profile(layer: RasterLayer, grid: TargetGrid) -> dict:
    return {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": len(layer.bands),
        "dtype": layer.dtype.value,
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": layer.nodata,
        "tiled": True,
        "blockxsize": BLOCK_SIZE,
        "blockysize": BLOCK_SIZE,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }


def _label_bands(dst: rasterio.io.DatasetWriter, layer: RasterLayer) -> None:
    for index, band in enumerate(layer.bands, start=1):
        dst.set_band_description(index, band.name)
        if band.unit:
            dst.set_band_unit(index, band.unit)
        dst.update_tags(index, long_name=band.title.en, title_vi=band.title.vi, units=band.unit or "")


def _statistics(path: Path) -> tuple[list[float | None], list[float | None]]:
    with rasterio.open(path) as src:
        scale = max(1.0, max(src.width, src.height) / READ_SIDE)
        shape = (src.count, max(1, int(src.height / scale)), max(1, int(src.width / scale)))
        data = src.read(out_shape=shape, masked=True)
    low = [None if band.mask.all() else float(band.min()) for band in data]
    high = [None if band.mask.all() else float(band.max()) for band in data]
    return low, high


class _UnknownWarpOption(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "does not support option COORDINATE_OPERATION" not in record.getMessage()


@contextmanager
def _quiet_unknown_warp_option() -> Iterator[None]:
    logger, quiet = logging.getLogger("rasterio._env"), _UnknownWarpOption()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def write_cog(source: Path, layer: RasterLayer, grid: TargetGrid, output: Path) -> CogInfo:
    """Warp ``source`` onto ``grid`` (pinned VN-2000 operation) and write ``output`` as a COG."""
    work = output.with_name(output.stem + ".warp.tif")
    try:
        with rasterio.open(source) as src, rasterio.open(work, "w", **_work_profile(layer, grid)) as dst:
            indexes = list(range(1, len(layer.bands) + 1))
            # rasterio hands COORDINATE_OPERATION to the transformer (which uses it) and to the warp options
            # (which say they do not know it): only the second is noise.
            with _quiet_unknown_warp_option():
                reproject(
                    source=rasterio.band(src, indexes),
                    destination=rasterio.band(dst, indexes),
                    src_nodata=src.nodata,
                    dst_nodata=layer.nodata,
                    resampling=Resampling[layer.resampling],
                    warp_mem_limit=WARP_MEMORY_MB,
                    num_threads=2,
                    **warp_options(src.crs, grid.crs),
                )
            _label_bands(dst, layer)
        options = {
            "compress": layer.compression.upper(),
            "blocksize": BLOCK_SIZE,
            "overview_resampling": "AVERAGE" if layer.resampling != "nearest" else "NEAREST",
            "BIGTIFF": "IF_SAFER",
        }
        if layer.compression in PREDICTORS:
            options["predictor"] = PREDICTORS[layer.compression]
        rasterio.shutil.copy(work, output, driver="COG", **options)
    finally:
        work.unlink(missing_ok=True)
    with rasterio.open(output) as cog:
        overviews = cog.overviews(1)
    minimum, maximum = _statistics(output)
    return CogInfo(output, output.stat().st_size, overviews, minimum, maximum)


def is_cog(path: Path) -> bool:
    """Whether GDAL reads the file as laid out by its COG driver."""
    with rasterio.open(path) as src:
        return src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
