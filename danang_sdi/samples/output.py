"""Write generated parcels to a file fast (pyogrio with Arrow), for the benchmark and for load tests."""

from __future__ import annotations

from pathlib import Path

import pyogrio

from danang_sdi.errors import ConfigError
from danang_sdi.samples.parcels import generate_parcels

DRIVERS = {".gpkg": "GPKG", ".fgb": "FlatGeobuf", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON"}


def write_parcels(count: int, path: Path, *, seed: int = 0, overwrite: bool = False) -> Path:
    """Generate ``count`` parcels and write them to ``path`` (.gpkg, .fgb, .shp or .geojson).

    Raises ``ConfigError`` for an unknown extension, or when ``path`` exists and ``overwrite`` is False.
    """
    driver = DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise ConfigError(f"{path}: write parcels to one of {', '.join(DRIVERS)}")
    if count < 1:
        raise ConfigError(f"--count must be at least 1, not {count}")
    if path.exists() and not overwrite:
        raise ConfigError(f"{path} exists; give --overwrite to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = generate_parcels(count, seed)
    if path.exists():
        path.unlink()
    options = {"RESIZE": "YES"} if driver == "ESRI Shapefile" else None
    pyogrio.write_dataframe(frame, path, driver=driver, use_arrow=True, layer_options=options)
    return path
