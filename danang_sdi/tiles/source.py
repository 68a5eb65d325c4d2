"""Random access to one tile of an archive, for the tile server: ``TileSource(path).get(z, x, y)``.

The archive may be rebuilt while the server runs (``tiles build --overwrite`` and ``tiles overlay``
replace the file; a load rewrites tiles of the overlay in place): MBTiles is read through a fresh
read-only SQLite connection per request, and a PMTiles file is mapped again when its inode or size
changes, so a request never sees half of an old archive and half of a new one.
"""

from __future__ import annotations

import functools
import gzip
import mmap
import os
import sqlite3
import threading
from pathlib import Path

from pmtiles.tile import deserialize_directory, deserialize_header, find_tile, zxy_to_tileid

from danang_sdi.errors import TileError
from danang_sdi.tiles.archive import TileArchive, archive_format
from danang_sdi.tiles.grid import tms_row

GZIP_MAGIC = b"\x1f\x8b"


class TileSource:
    """One archive (MBTiles, PMTiles or a ``{z}/{x}/{y}.pbf`` folder); tiles come back gzip-compressed."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._metadata: dict[str, str] = {}
        self._pmtiles: _PMTilesFile | None = None

    @property
    def format(self) -> str:
        return archive_format(self.path) if not self.path.is_dir() else "dir"

    def exists(self) -> bool:
        return self.path.exists()

    def metadata(self) -> dict[str, str]:
        """MBTiles-style metadata, read again when the archive changed."""
        self._refresh()
        return self._metadata

    def zoom_range(self) -> tuple[int, int]:
        metadata = self.metadata()
        return int(metadata["minzoom"]), int(metadata["maxzoom"])

    def get(self, z: int, x: int, y: int) -> bytes | None:
        """The gzip-compressed tile, or None when the archive has no tile there (an empty tile)."""
        if not (0 <= x < (1 << z) and 0 <= y < (1 << z)):
            return None
        self._refresh()
        kind = self.format
        try:
            if kind == "mbtiles":
                with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30) as db:
                    row = db.execute(
                        "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                        (z, x, tms_row(z, y)),
                    ).fetchone()
                data = row[0] if row else None
            elif kind == "pmtiles":
                assert self._pmtiles is not None
                data = self._pmtiles.get(z, x, y)
            else:
                tile = self.path / str(z) / str(x) / f"{y}.pbf"
                data = tile.read_bytes() if tile.is_file() else None
        except (sqlite3.Error, OSError) as error:
            raise TileError(f"{self.path}: cannot read tile {z}/{x}/{y} ({error})") from error
        if not data:
            return None
        return data if data[:2] == GZIP_MAGIC else gzip.compress(data, compresslevel=6, mtime=0)

    def _refresh(self) -> None:
        try:
            info = os.stat(self.path / "metadata.json" if self.path.is_dir() else self.path)
        except OSError as error:
            raise TileError(f"{self.path}: no such tile archive") from error
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        with self._lock:
            if stamp == self._stamp:
                return
            self._metadata = TileArchive(self.path).metadata()
            if self.format == "pmtiles":
                self._pmtiles = _PMTilesFile(self.path)
            self._stamp = stamp


class _PMTilesFile:
    """A memory-mapped PMTiles v3 archive with its directories decoded once each."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as stream:
            self.data = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        self.header = deserialize_header(self.data[0:127])
        self._directory = functools.lru_cache(maxsize=256)(self._read_directory)

    def _read_directory(self, offset: int, length: int) -> list:
        return deserialize_directory(self.data[offset : offset + length])

    def get(self, z: int, x: int, y: int) -> bytes | None:
        tile_id = zxy_to_tileid(z, x, y)
        header = self.header
        offset, length = header["root_offset"], header["root_length"]
        for _depth in range(4):
            entry = find_tile(self._directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                start = header["tile_data_offset"] + entry.offset
                return self.data[start : start + entry.length]
            offset, length = header["leaf_directory_offset"] + entry.offset, entry.length
        return None
