"""``build_tiles``: OSM PBF → Shortbread vector tiles in an MBTiles, PMTiles or directory archive.

Read once (``osm.py``), plan which features touch which tile at every zoom (pure numpy on the feature
boxes), then cut the tiles (``mvt.py``) in worker processes forked from the reader, so the feature table is
shared copy-on-write and only row numbers travel to the workers. Each tile is gzip-compressed in the
worker; one that exceeds ``max_tile_bytes`` is cut again with coarser simplification until it fits.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import multiprocessing.pool
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from danang_sdi.errors import TileError
from danang_sdi.tiles import shortbread as sb
from danang_sdi.tiles.archive import archive_format, check_writable, open_writer
from danang_sdi.tiles.encode import EXTENT
from danang_sdi.tiles.grid import LngLatBBox, mercator_xy
from danang_sdi.tiles.grid import covering_pairs as _covering_pairs
from danang_sdi.tiles.mvt import TileOptions, fields_by_zoom, render_tile
from danang_sdi.tiles.osm import FeatureTable, check_pbf, read_features

MAX_TILE_BYTES = 500 * 1024
SERIAL_BELOW_ROWS = 50_000  # (feature, tile) pairs; below this one process cuts every tile
ATTRIBUTION = '<a href="https://www.openstreetmap.org/copyright">© OpenStreetMap contributors</a>'
Progress = Callable[[int, int], None]
_GEOMETRY_NAMES = {sb.AREA: "Polygon", sb.LINE: "LineString", sb.POINT: "Point", sb.CENTROID: "Point"}
LAYER_GEOMETRY = {  # the geometry type of each layer, for GDAL and QGIS (mapbox-geostats "tilestats")
    layer.name: names.pop()
    for layer in sb.LAYERS
    if len(names := {_GEOMETRY_NAMES[rule.geometry] for rule in sb.RULES if rule.layer == layer.name}) == 1
}


@dataclass
class BuildResult:
    """What a build wrote: archive, tile counts per zoom, sizes, the largest tile and the time it took."""

    output: Path
    format: str
    features: int
    tiles_per_zoom: dict[int, int] = field(default_factory=dict)
    total_bytes: int = 0
    largest: tuple[int, int, int, int] = (0, 0, 0, 0)  # z, x, y, bytes
    seconds: float = 0.0
    skipped_objects: int = 0

    @property
    def tiles(self) -> int:
        return sum(self.tiles_per_zoom.values())


@dataclass(frozen=True)
class _Job:
    z: int
    x: int
    y: int
    rows: np.ndarray


_TABLE: FeatureTable | None = None  # the worker's view of the features, inherited through fork
_OPTIONS = TileOptions()
_FIELDS: list = []
_MAX_BYTES = MAX_TILE_BYTES


def build_tiles(
    source: Path,
    output: Path,
    *,
    minzoom: int = 0,
    maxzoom: int = sb.MAXZOOM,
    bbox: tuple[float, float, float, float] | None = None,
    processes: int | None = None,
    overwrite: bool = False,
    max_tile_bytes: int = MAX_TILE_BYTES,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the Shortbread base map of ``source`` (an .osm.pbf) into ``output``.

    ``output`` ending in ``.mbtiles`` or ``.pmtiles`` picks that archive, anything else is a directory.
    ``bbox`` (west, south, east, north) keeps only the tiles and features that touch it.
    """
    started = time.perf_counter()
    source, output = Path(source), Path(output)
    if not 0 <= minzoom <= maxzoom <= sb.MAXZOOM:
        raise TileError(
            f"zoom range {minzoom}–{maxzoom} is not within 0–{sb.MAXZOOM} (Shortbread stops at z14)"
        )
    if bbox is not None:
        _check_bbox(bbox)
    check_pbf(source)
    check_writable(output, overwrite)
    writer = open_writer(output)
    try:
        table = read_features(source, bbox, processes=processes or os.cpu_count() or 1)
        result = BuildResult(output, archive_format(output), len(table), skipped_objects=table.skipped)
        jobs = plan_jobs(table, minzoom, maxzoom, bbox, TileOptions(maxzoom=sb.MAXZOOM).buffer)
        if not jobs:
            raise TileError(
                f"{source}: no feature is shown between z{minzoom} and z{maxzoom}; most Shortbread layers "
                "start at z10–z14, raise --maxzoom"
            )
        layer_zooms: dict[str, set[int]] = {}
        for z, x, y, data, layers in _render_all(table, jobs, processes, max_tile_bytes, progress):
            writer.write(z, x, y, data)
            result.tiles_per_zoom[z] = result.tiles_per_zoom.get(z, 0) + 1
            result.total_bytes += len(data)
            if len(data) > result.largest[3]:
                result.largest = (z, x, y, len(data))
            for name in layers:
                layer_zooms.setdefault(name, set()).add(z)
        if not result.tiles_per_zoom:
            raise TileError(f"{source}: every tile came out empty between z{minzoom} and z{maxzoom}")
        writer.close(tile_metadata(table, minzoom, maxzoom, bbox, layer_zooms, source))
    except BaseException:
        writer.abort()
        raise
    result.seconds = time.perf_counter() - started
    return result


def _check_bbox(bbox: tuple[float, float, float, float]) -> None:
    west, south, east, north = bbox
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise TileError(
            f"--bbox {','.join(f'{v:g}' for v in bbox)}: want west,south,east,north in degrees, west < east, south < north"
        )


def plan_jobs(
    table: FeatureTable,
    minzoom: int,
    maxzoom: int,
    bbox: tuple[float, float, float, float] | None,
    buffer: float,
) -> list[_Job]:
    """One job per tile that some feature's box touches, with the rows of those features; big tiles first."""
    bounds = shapely.bounds(table.geometry)
    jobs: list[_Job] = []
    for z in range(minzoom, maxzoom + 1):
        eligible = np.flatnonzero(table.minzoom <= z)
        if not len(eligible):
            continue
        feature, code = _covering_pairs(bounds[eligible], z, buffer / EXTENT)
        if bbox is not None:
            code, feature = _inside(code, feature, z, bbox)
        order = np.argsort(code, kind="stable")
        code, rows = code[order], eligible[feature[order]]
        cuts = np.flatnonzero(np.diff(code)) + 1
        n = 1 << z
        for tile_code, tile_rows in zip(code[np.concatenate([[0], cuts])], np.split(rows, cuts), strict=True):
            jobs.append(_Job(z, int(tile_code) // n, int(tile_code) % n, tile_rows))
    jobs.sort(key=lambda job: -len(job.rows))
    return jobs


def _inside(code: np.ndarray, feature: np.ndarray, z: int, bbox: tuple[float, float, float, float]):
    n = 1 << z
    x0, y0 = mercator_xy(bbox[0], bbox[3])
    x1, y1 = mercator_xy(bbox[2], bbox[1])
    x, y = code // n, code % n
    keep = (x >= int(x0 * n)) & (x <= int(x1 * n)) & (y >= int(y0 * n)) & (y <= int(y1 * n))
    return code[keep], feature[keep]


def _render_all(
    table: FeatureTable, jobs: list[_Job], processes: int | None, max_bytes: int, progress: Progress | None
) -> Iterator[tuple[int, int, int, bytes, list[str]]]:
    global _TABLE, _FIELDS, _MAX_BYTES
    _TABLE, _FIELDS, _MAX_BYTES = table, fields_by_zoom(table.layers, sb.MAXZOOM), max_bytes
    if processes is None:  # automatic: forking workers costs more than it saves on a small area
        small = sum(len(job.rows) for job in jobs) < SERIAL_BELOW_ROWS
        processes = 1 if small else os.cpu_count() or 1
    processes = max(1, min(processes, len(jobs)))
    pool = _fork_pool(processes) if processes > 1 else None
    try:
        if pool is None:
            results: Iterator = map(_render_job, jobs)
        else:
            results = pool.imap_unordered(_render_job, jobs, chunksize=max(1, len(jobs) // (processes * 16)))
        for done, rendered in enumerate(results, start=1):
            if progress:
                progress(done, len(jobs))
            if rendered is not None:
                yield rendered
    finally:
        if pool is not None:
            pool.terminate()
        _TABLE = None


def _fork_pool(processes: int) -> multiprocessing.pool.Pool:
    """Workers forked from this process share the feature table copy-on-write: nothing is pickled.

    Python 3.12 warns about fork() whenever another OS thread exists; here those are idle BLAS threads
    (osmium's reader threads have ended), which hold no lock a child could need.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*fork.*")
        return multiprocessing.get_context("fork").Pool(processes)


def _render_job(job: _Job) -> tuple[int, int, int, bytes, list[str]] | None:
    """Cut, encode and gzip one tile, coarsening it until it fits the size limit."""
    assert _TABLE is not None
    scale = 1.0
    for _attempt in range(8):
        rendered = render_tile(_TABLE, job.z, job.x, job.y, job.rows, _OPTIONS, _FIELDS, scale)
        if rendered is None:
            return None
        data, layers = rendered
        packed = gzip.compress(data, compresslevel=6, mtime=0)
        if len(packed) <= _MAX_BYTES:
            return job.z, job.x, job.y, packed, layers
        scale *= 4.0
    raise TileError(
        f"tile {job.z}/{job.x}/{job.y} stays over {_MAX_BYTES} bytes even simplified; use a smaller --maxzoom"
    )


def tile_metadata(
    table: FeatureTable,
    minzoom: int,
    maxzoom: int,
    bbox: tuple[float, float, float, float] | None,
    layer_zooms: dict[str, set[int]],
    source: Path,
) -> dict[str, str]:
    """MBTiles 1.3 metadata rows (also the PMTiles metadata and the directory's metadata.json)."""
    west, south, east, north = table.bounds
    if bbox is not None:
        west, south, east, north = (
            max(west, bbox[0]),
            max(south, bbox[1]),
            min(east, bbox[2]),
            min(north, bbox[3]),
        )
    vector_layers = [
        {
            "id": spec.name,
            "description": spec.description,
            "minzoom": min(layer_zooms[spec.name]),
            "maxzoom": max(layer_zooms[spec.name]),
            "fields": {f.name: f.type for f in spec.fields},
        }
        for spec in table.layers
        if spec.name in layer_zooms
    ]
    counts = np.bincount(table.layer, minlength=len(table.layers))
    tilestats = {
        "layerCount": len(vector_layers),
        "layers": [
            {
                "layer": spec.name,
                "count": int(counts[index]),
                "geometry": LAYER_GEOMETRY.get(spec.name, "Unknown"),
                "attributeCount": len(spec.fields),
                "attributes": [{"attribute": f.name, "type": f.type.lower()} for f in spec.fields],
            }
            for index, spec in enumerate(table.layers)
            if spec.name in layer_zooms
        ],
    }
    center_zoom = max(minzoom, min(maxzoom, 13))
    return {
        "name": f"{source.name.split('.')[0]} base map",
        "format": "pbf",
        "type": "baselayer",
        "version": "1",
        "description": f"OpenStreetMap base map, {sb.SCHEMA_NAME} schema {sb.SCHEMA_VERSION}, built by danang-sdi",
        "attribution": ATTRIBUTION,
        "minzoom": str(minzoom),
        "maxzoom": str(maxzoom),
        "bounds": ",".join(f"{v:.6f}" for v in LngLatBBox(west, south, east, north)),
        "center": f"{(west + east) / 2:.6f},{(south + north) / 2:.6f},{center_zoom}",
        "generator": "danang-sdi tiles build",
        "schema": f"{sb.SCHEMA_NAME} {sb.SCHEMA_VERSION}",
        "json": json.dumps({"vector_layers": vector_layers, "tilestats": tilestats}, ensure_ascii=False),
    }
