"""Tile archives: MBTiles 1.3, PMTiles v3 and a ``{z}/{x}/{y}.pbf`` directory; writers and readers.

Writers build into a temporary sibling and move it into place on ``close``, so a failed build leaves
nothing half-written. Tiles arrive gzip-compressed; the directory layout stores them uncompressed with
a tippecanoe-style ``metadata.json``, which is what pygeoapi's MVT-tippecanoe provider serves as is.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from pmtiles.reader import MmapSource, all_tiles
from pmtiles.reader import Reader as PMTilesReader
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer as PMTilesWriter

from danang_sdi.errors import TileError
from danang_sdi.tiles.grid import tms_row


def archive_format(path: Path) -> str:
    """``mbtiles``, ``pmtiles`` or ``dir`` from the output name (anything without those suffixes is a directory)."""
    suffix = Path(path).suffix.lower()
    return {".mbtiles": "mbtiles", ".pmtiles": "pmtiles"}.get(suffix, "dir")


def check_writable(path: Path, overwrite: bool) -> None:
    """Fail before any work when the output cannot be written."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise TileError(f"{path}: already exists; pass --overwrite to replace it")
    parent = path.absolute().parent
    if parent.exists() and not parent.is_dir():
        raise TileError(f"{path}: cannot write, {parent} is a file, not a folder")
    if not parent.is_dir():
        raise TileError(f"{path}: cannot write, folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TileError(f"{path}: cannot write, folder {parent} is not writable")


class ArchiveWriter:
    """Base: ``write(z, x, y, gzipped_mvt)`` for each tile, then ``close(metadata)`` (MBTiles-style strings)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.temporary = self.path.with_name(f".{self.path.name}.partial")
        _remove(self.temporary)

    def write(self, z: int, x: int, y: int, data: bytes) -> None:
        raise NotImplementedError

    def close(self, metadata: dict[str, str]) -> None:
        self._finish(metadata)
        _remove(self.path)
        os.replace(self.temporary, self.path)

    def abort(self) -> None:
        _remove(self.temporary)

    def _finish(self, metadata: dict[str, str]) -> None:
        raise NotImplementedError


class MBTilesWriter(ArchiveWriter):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.db = sqlite3.connect(self.temporary)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA application_id = 0x4d504258;
            CREATE TABLE metadata (name TEXT, value TEXT);
            CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
            """
        )

    def write(self, z: int, x: int, y: int, data: bytes) -> None:
        self.db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, tms_row(z, y), data))

    def _finish(self, metadata: dict[str, str]) -> None:
        self.db.executemany("INSERT INTO metadata VALUES (?, ?)", list(metadata.items()))
        self.db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        self.db.commit()
        self.db.close()

    def abort(self) -> None:
        self.db.close()
        super().abort()


class PMTilesArchiveWriter(ArchiveWriter):
    """Buffers tiles, then writes them in Hilbert (tile id) order so runs and duplicates are shared."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.temporary.touch()  # fail now, not after the build, when the folder refuses files
        self.tiles: list[tuple[int, bytes]] = []

    def write(self, z: int, x: int, y: int, data: bytes) -> None:
        self.tiles.append((zxy_to_tileid(z, x, y), data))

    def _finish(self, metadata: dict[str, str]) -> None:
        self.tiles.sort(key=lambda item: item[0])
        west, south, east, north = (float(v) for v in metadata["bounds"].split(","))
        lon, lat, zoom = metadata["center"].split(",")
        header = {
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP,
            "min_lon_e7": round(west * 1e7),
            "min_lat_e7": round(south * 1e7),
            "max_lon_e7": round(east * 1e7),
            "max_lat_e7": round(north * 1e7),
            "center_zoom": int(zoom),
            "center_lon_e7": round(float(lon) * 1e7),
            "center_lat_e7": round(float(lat) * 1e7),
        }
        pm_metadata = {k: v for k, v in metadata.items() if k != "json"}
        pm_metadata.update(json.loads(metadata.get("json", "{}")))
        with open(self.temporary, "wb") as stream:
            writer = PMTilesWriter(stream)
            for tile_id, data in self.tiles:
                writer.write_tile(tile_id, data)
            writer.finalize(header, pm_metadata)


class DirectoryWriter(ArchiveWriter):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.temporary.mkdir()

    def write(self, z: int, x: int, y: int, data: bytes) -> None:
        folder = self.temporary / str(z) / str(x)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{y}.pbf").write_bytes(gzip.decompress(data))

    def _finish(self, metadata: dict[str, str]) -> None:
        self.temporary.mkdir(parents=True, exist_ok=True)
        (self.temporary / "metadata.json").write_text(
            json.dumps(metadata, ensure_ascii=False, indent=1), "utf-8"
        )


def open_writer(path: Path) -> ArchiveWriter:
    kind = archive_format(path)
    writer = {"mbtiles": MBTilesWriter, "pmtiles": PMTilesArchiveWriter, "dir": DirectoryWriter}[kind]
    try:
        return writer(path)
    except (OSError, sqlite3.Error) as error:
        raise TileError(f"{path}: cannot write ({error})") from error


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


class TileArchive:
    """Read any of the three layouts: ``metadata()`` (MBTiles-style) and ``tiles()`` → (z, x, y, mvt bytes)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise TileError(f"{self.path}: no such tile archive")
        self.format = archive_format(self.path) if self.path.is_file() else "dir"
        if self.format == "dir" and not (self.path / "metadata.json").is_file():
            raise TileError(
                f"{self.path}: not a tile archive (.mbtiles, .pmtiles or a folder with metadata.json)"
            )

    def metadata(self) -> dict[str, str]:
        try:
            if self.format == "mbtiles":
                with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
                    return dict(db.execute("SELECT name, value FROM metadata").fetchall())
            if self.format == "pmtiles":
                return _pmtiles_metadata(self.path)
            return json.loads((self.path / "metadata.json").read_text("utf-8"))
        except (sqlite3.Error, ValueError, KeyError, OSError) as error:
            raise TileError(f"{self.path}: not a readable {self.format} tile archive ({error})") from error

    def tiles(self) -> Iterator[tuple[int, int, int, bytes]]:
        """Every tile, uncompressed, with its XYZ address."""
        if self.format == "mbtiles":
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
                for z, x, row, data in db.execute(
                    "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
                ):
                    yield z, x, tms_row(z, row), _gunzip(data)
        elif self.format == "pmtiles":
            with open(self.path, "rb") as stream:
                for (z, x, y), data in all_tiles(MmapSource(stream)):
                    yield z, x, y, _gunzip(data)
        else:
            for tile in sorted(self.path.glob("*/*/*.pbf")):
                yield (
                    int(tile.parent.parent.name),
                    int(tile.parent.name),
                    int(tile.stem),
                    _gunzip(tile.read_bytes()),
                )


def _gunzip(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _pmtiles_metadata(path: Path) -> dict[str, str]:
    with open(path, "rb") as stream:
        reader = PMTilesReader(MmapSource(stream))
        header, metadata = reader.header(), reader.metadata()
    scale = 1e7
    result = {
        k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items() if k != "vector_layers"
    }
    result.setdefault(
        "minzoom", str(header["min_zoom"])
    )  # the build's range; the header has the tiles' range
    result.setdefault("maxzoom", str(header["max_zoom"]))
    result.update(
        bounds=",".join(
            str(header[key] / scale) for key in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")
        ),
        center=f"{header['center_lon_e7'] / scale},{header['center_lat_e7'] / scale},{header['center_zoom']}",
        json=json.dumps({"vector_layers": metadata.get("vector_layers", [])}),
    )
    return result
