"""danang_sdi: Đà Nẵng's spatial data infrastructure toolkit.

catalog → validate → load into PostGIS → publish (OGC API Features, vector tiles) → analyse.

The analyst's functions are imported on first use, so ``import danang_sdi`` stays cheap::

    import danang_sdi as sdi
    sdi.catalog()                       # the layer catalog (also the package danang_sdi.catalog)
    report = sdi.validate("thua_dat.shp", "cadastral_parcel")   # report.ok, report.to_frame()
    sdi.read_layer("water_pipe", crs="EPSG:4326")
    sdi.read_api("http://localhost:5000", "water_pipe")
    with sdi.connect() as con: ...      # raw SQL
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> "module:attribute" that defines it, imported on first access
_LAZY: dict[str, str] = {
    "validate": "danang_sdi.qa.validate:validate",
    "load": "danang_sdi.store.ingest:load",
    "rollback": "danang_sdi.store.batches:undo",
    "read_layer": "danang_sdi.analysis:read_layer",
    "read_api": "danang_sdi.analysis:read_api",
    "connect": "danang_sdi.analysis:connect",
    "validate_raster": "danang_sdi.rasters:validate_raster",
    "load_raster": "danang_sdi.rasters:load_raster",
}

__all__ = ["__version__", "catalog", *_LAZY]


def __getattr__(name: str) -> Any:
    if name == "catalog":  # the subpackage, callable: danang_sdi.catalog() reads the catalog
        return importlib.import_module("danang_sdi.catalog")
    if name in _LAZY:
        module, _, attribute = _LAZY[name].partition(":")
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'danang_sdi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
