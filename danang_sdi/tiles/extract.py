"""Offline packages: copy the tiles of an archive that touch one area (a bbox, a GeoJSON boundary, a commune).

Tiles are copied whole (no re-clipping), so a package shows exactly what the full base map shows there.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import shape

from danang_sdi.errors import TileError
from danang_sdi.tiles.archive import TileArchive, check_writable, open_writer
from danang_sdi.tiles.grid import LngLatBBox, Tile, tile_bounds


@dataclass(frozen=True)
class ExtractResult:
    output: Path
    tiles: int
    total_bytes: int
    bounds: LngLatBBox


def read_boundary(path: Path) -> shapely.Geometry:
    """The union of the polygons of a GeoJSON file (FeatureCollection, Feature or geometry; WGS 84)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as error:
        raise TileError(f"{path}: no such boundary file; give a GeoJSON polygon in WGS 84") from error
    except (OSError, ValueError) as error:
        raise TileError(f"{path}: not a readable GeoJSON file ({error})") from error
    if not isinstance(document, dict):
        raise TileError(f"{path}: not a GeoJSON object")
    if document.get("type") == "FeatureCollection":
        geometries = [f.get("geometry") for f in document.get("features", [])]
    elif document.get("type") == "Feature":
        geometries = [document.get("geometry")]
    else:
        geometries = [document]
    try:
        shapes = [shape(g) for g in geometries if g]
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as error:
        raise TileError(f"{path}: a geometry cannot be read ({error})") from error
    polygons = [s for s in shapes if s.geom_type in ("Polygon", "MultiPolygon") and not s.is_empty]
    if not polygons:
        raise TileError(f"{path}: no polygon in the file; the boundary must be a (Multi)Polygon")
    area = shapely.union_all(shapely.make_valid(polygons))
    west, south, east, north = area.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise TileError(
            f"{path}: coordinates are not longitude/latitude (bounds {area.bounds}); reproject to WGS 84"
        )
    return area


def extract_tiles(
    source: Path,
    output: Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    boundary: Path | None = None,
    area: shapely.Geometry | None = None,
    overwrite: bool = False,
) -> ExtractResult:
    """Write the tiles of ``source`` that touch ``bbox``, the polygon in ``boundary`` or ``area`` (WGS 84)."""
    if sum(given is not None for given in (bbox, boundary, area)) != 1:
        raise TileError("give exactly one of --bbox W,S,E,N, --boundary FILE.geojson or --commune CODE")
    if bbox is not None:
        area = shapely.box(*bbox)
    elif boundary is not None:
        area = read_boundary(Path(boundary))
    assert area is not None
    archive = TileArchive(Path(source))
    metadata = archive.metadata()
    check_writable(Path(output), overwrite)
    shapely.prepare(area)
    writer = open_writer(Path(output))
    count = size = 0
    try:
        for z, x, y, data in archive.tiles():
            if area.intersects(shapely.box(*tile_bounds(Tile(z, x, y)))):
                packed = gzip.compress(data, compresslevel=6, mtime=0)
                writer.write(z, x, y, packed)
                count, size = count + 1, size + len(packed)
        if not count:
            west, south, east, north = area.bounds
            raise TileError(
                f"{source}: no tile touches {west:.5f},{south:.5f},{east:.5f},{north:.5f}; "
                f"the archive covers {metadata.get('bounds', 'an unknown area')}"
            )
        bounds = _clip_bounds(metadata.get("bounds"), area.bounds)
        center_zoom = metadata.get("center", "0,0,13").split(",")[-1]
        writer.close(
            {
                **metadata,
                "name": f"{metadata.get('name', 'basemap')} (extract)",
                "bounds": ",".join(f"{v:.6f}" for v in bounds),
                "center": f"{(bounds.west + bounds.east) / 2:.6f},{(bounds.south + bounds.north) / 2:.6f},{center_zoom}",
            }
        )
    except BaseException:
        writer.abort()
        raise
    return ExtractResult(Path(output), count, size, bounds)


def _clip_bounds(archive_bounds: str | None, area: tuple[float, float, float, float]) -> LngLatBBox:
    if not archive_bounds:
        return LngLatBBox(*area)
    west, south, east, north = (float(v) for v in archive_bounds.split(","))
    clipped = LngLatBBox(max(west, area[0]), max(south, area[1]), min(east, area[2]), min(north, area[3]))
    return clipped if clipped.west < clipped.east and clipped.south < clipped.north else LngLatBBox(*area)
