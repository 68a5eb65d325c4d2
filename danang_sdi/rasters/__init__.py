"""Raster layers (``layers/rasters/``): GeoTIFF deliveries checked, stored as COGs in EPSG:5899, published.

>>> import danang_sdi as sdi
>>> report = sdi.validate_raster("dem.tif", "dem")  # doctest: +SKIP
>>> result = sdi.load_raster(settings, "dem.tif", "dem")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import RasterLayer
from danang_sdi.rasters import checks, store
from danang_sdi.rasters.checks import RasterReport
from danang_sdi.rasters.store import RasterLoadResult, RasterRefused, current_raster, refresh_current
from danang_sdi.settings import Settings

__all__ = [
    "RasterLoadResult",
    "RasterRefused",
    "RasterReport",
    "current_raster",
    "load_raster",
    "refresh_current",
    "validate_raster",
]


def _layer(layer: RasterLayer | str, settings: Settings | None) -> RasterLayer:
    if isinstance(layer, RasterLayer):
        return layer
    return load_catalog((settings or Settings.from_env()).layers_dir).raster(layer)


def validate_raster(
    path: str | Path, layer: RasterLayer | str, settings: Settings | None = None
) -> RasterReport:
    """Check a GeoTIFF against a raster layer (a ``RasterLayer`` or its id); see ``rasters.checks``."""
    return checks.validate_raster(path, _layer(layer, settings))


def load_raster(
    settings: Settings, path: str | Path, layer: RasterLayer | str, force: bool = False
) -> RasterLoadResult:
    """Validate, store as a COG and record a raster delivery; see ``rasters.store``."""
    return store.load_raster(settings, path, _layer(layer, settings), force=force)
