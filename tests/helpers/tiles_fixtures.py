"""The real Hải Châu extract built once per test process (z0–14) into MBTiles, PMTiles and a folder.

Several test modules use it; ``functools.cache`` makes the three builds happen once however many
modules ask, and the folder is removed when the process exits.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from danang_sdi.settings import PROJECT_DIR
from danang_sdi.tiles.build import BuildResult, build_tiles

HAICHAU_PBF = PROJECT_DIR.parent / "shared" / "data" / "osm-danang-haichau" / "danang_haichau.osm.pbf"


@dataclass(frozen=True)
class Basemap:
    folder: Path
    mbtiles: Path
    pmtiles: Path
    directory: Path
    result: BuildResult


@functools.cache
def basemap() -> Basemap:
    folder = Path(tempfile.mkdtemp(prefix="danang-sdi-tiles-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    result = build_tiles(HAICHAU_PBF, folder / "haichau.mbtiles", processes=2)
    build_tiles(HAICHAU_PBF, folder / "haichau.pmtiles", processes=1)
    build_tiles(HAICHAU_PBF, folder / "haichau", processes=1)
    return Basemap(folder, folder / "haichau.mbtiles", folder / "haichau.pmtiles", folder / "haichau", result)
