"""The pygeoapi collections of the raster layers: OGC API – Coverages through pygeoapi's rasterio provider.

Each loaded raster layer whose catalog entry says ``publish: {ogcapi: true}`` becomes one collection that
reads ``<home>/rasters/<layer>/current.tif``, so a new load is served without regenerating the configuration.
``danang_sdi.publish.config.generate`` adds them with ``config["resources"].update(coverage_resources(...))``.
"""

from __future__ import annotations

from typing import Any

import rasterio
from rasterio.warp import transform_bounds

from danang_sdi.catalog import Catalog
from danang_sdi.catalog.models import RasterLayer
from danang_sdi.rasters.store import current_raster
from danang_sdi.settings import Settings

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DENSIFY = 21


def _bbox_crs84(path) -> list[float]:
    with rasterio.open(path) as src:
        west, south, east, north = transform_bounds(src.crs, "OGC:CRS84", *src.bounds, densify_pts=DENSIFY)
    return [round(west, 5), round(south, 5), round(east, 5), round(north, 5)]


def coverage_resource(settings: Settings, catalog: Catalog, layer: RasterLayer) -> dict[str, Any] | None:
    """The pygeoapi resource of one raster layer, or None while nothing is loaded into it."""
    path = current_raster(settings, layer.id)
    if path is None:
        return None
    group = catalog.group(layer)
    return {
        "type": "collection",
        "title": {"vi": layer.name.vi, "en": layer.name.en},
        "description": {"vi": layer.description.vi, "en": layer.description.en},
        "keywords": {"vi": [*layer.keywords, group.name.vi], "en": [*layer.keywords, group.name.en]},
        "extents": {"spatial": {"bbox": _bbox_crs84(path), "crs": CRS84_URI}},
        "providers": [
            {
                "type": "coverage",
                "name": "rasterio",
                "data": str(path.resolve().parent / path.name),
                "options": {"DATA_ENCODING": "COMPRESSED=YES"},
                "format": {"name": "GTiff", "mimetype": "image/tiff"},
            }
        ],
    }


def coverage_resources(settings: Settings, catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Collection id → pygeoapi resource, for every published raster layer that has been loaded."""
    resources = {}
    for layer in catalog.rasters.values():
        if layer.publish.ogcapi and (resource := coverage_resource(settings, catalog, layer)) is not None:
            resources[layer.id] = resource
    return resources
