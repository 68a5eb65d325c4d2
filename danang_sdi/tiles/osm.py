"""Read an OSM PBF with osmium into a table of Shortbread features (shapely geometries in Web Mercator).

osmium resolves node locations and assembles multipolygons; ``classify.py`` says which layer each object
goes to. Geometries leave osmium as WKB and are parsed, repaired, projected and measured in bulk by shapely.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import shapely

from danang_sdi.errors import TileError
from danang_sdi.tiles import shortbread as sb
from danang_sdi.tiles.classify import Candidate, Classifier

log = logging.getLogger(__name__)

EARTH_CIRCUMFERENCE = 2 * math.pi * 6378137.0  # metres at the equator, Web Mercator
MAX_LATITUDE = 85.0511287798066
PARALLEL_READ_BYTES = 2_000_000
PBF_MAGIC_OFFSET = 4  # a PBF starts with a 4-byte length then the "OSMHeader" blob


@dataclass
class FeatureTable:
    """Features as columns. ``geometry`` is in normalised Web Mercator: x, y in [0, 1], y pointing south."""

    geometry: np.ndarray
    layer: np.ndarray
    minzoom: np.ndarray
    sort_value: np.ndarray
    properties: list[dict[str, object]]
    layers: tuple[sb.LayerSpec, ...]
    bounds: tuple[float, float, float, float]  # lon/lat of the features
    skipped: int = 0  # objects whose geometry osmium could not build (missing nodes, broken rings)

    def __len__(self) -> int:
        return len(self.geometry)


def to_mercator(coords: np.ndarray) -> np.ndarray:
    """lon/lat (n × 2) → normalised Web Mercator (n × 2)."""
    lon = coords[:, 0]
    lat = np.radians(np.clip(coords[:, 1], -MAX_LATITUDE, MAX_LATITUDE))
    x = (lon + 180.0) / 360.0
    y = 0.5 - np.log(np.tan(np.pi / 4 + lat / 2)) / (2 * np.pi)
    return np.column_stack([x, y])


def keep_one_dimension(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygons (or else the lines) of what ``make_valid`` returned: MVT has no geometry collections."""
    if shapely.get_type_id(geometry) != shapely.GeometryType.GEOMETRYCOLLECTION:
        return geometry
    parts = shapely.get_parts(geometry)
    types = shapely.get_type_id(parts)
    for family in (
        (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON),
        (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING),
    ):
        chosen = parts[np.isin(types, family)]
        if len(chosen):
            return shapely.union_all(chosen)
    return shapely.Point()


def check_pbf(path: Path) -> None:
    """Fail early, with one clear line, on a missing, empty or non-PBF input."""
    if not path.is_file():
        raise TileError(f"{path}: no such file; give an OpenStreetMap .osm.pbf extract")
    with path.open("rb") as stream:
        head = stream.read(32)
    if not head:
        raise TileError(f"{path}: the file is empty; give an OpenStreetMap .osm.pbf extract")
    if b"OSMHeader" not in head[PBF_MAGIC_OFFSET:]:
        raise TileError(
            f"{path}: not an OSM PBF file (no OSMHeader block); convert it with `osmium cat` first"
        )


def _boundary_ways(path: Path) -> dict[int, tuple[str, bool]]:
    """Way id → (lowest admin_level, disputed) for members of country/state boundary relations."""
    ways: dict[int, tuple[str, bool]] = {}
    for relation in osmium.FileProcessor(str(path), osmium.osm.RELATION):
        tags = relation.tags
        if tags.get("type") not in ("boundary", "multipolygon"):
            continue
        boundary, level = tags.get("boundary"), tags.get("admin_level", "")
        if boundary == "administrative" and level in ("2", "3", "4"):
            disputed = False
        elif boundary == "disputed" and level in ("", "2", "3", "4"):
            disputed, level = True, ""
        else:
            continue
        for member in relation.members:
            if member.type == "w":
                old_level, old_disputed = ways.get(member.ref, ("", False))
                best = min((value for value in (old_level, level) if value), default="", key=int)
                ways[member.ref] = (best, old_disputed or disputed)
    return ways


class _Collector:
    """Accumulates geometries (WKB or lon/lat) and the candidates that use them."""

    def __init__(self) -> None:
        self.wkb: list[str] = []
        self.points: list[tuple[float, float]] = []
        self.candidates: list[tuple[int, bool, bool, Candidate]] = []  # geometry id, is point, as centroid
        self.skipped = 0

    def extend(self, other: _Collector) -> None:
        """Append another share's features, renumbering its geometry ids."""
        points, shapes = len(self.points), len(self.wkb)
        self.candidates.extend(
            (index + (points if is_point else shapes), is_point, centroid, candidate)
            for index, is_point, centroid, candidate in other.candidates
        )
        self.points.extend(other.points)
        self.wkb.extend(other.wkb)
        self.skipped += other.skipped

    def add_point(self, lon: float, lat: float, found: list[tuple[str, Candidate]]) -> None:
        self.points.append((lon, lat))
        index = len(self.points) - 1
        self.candidates.extend((index, True, False, candidate) for _, candidate in found)

    def add_wkb(self, wkb: str, found: list[tuple[str, Candidate]]) -> None:
        self.wkb.append(wkb)
        index = len(self.wkb) - 1
        self.candidates.extend((index, False, kind == sb.CENTROID, candidate) for kind, candidate in found)


def read_features(
    path: Path,
    bbox: tuple[float, float, float, float] | None = None,
    classifier: Classifier | None = None,
    processes: int = 1,
) -> FeatureTable:
    """Read ``path`` and return its Shortbread features, optionally only those touching ``bbox`` (W,S,E,N).

    With ``processes`` ≥ 2 and a file over ``PARALLEL_READ_BYTES``, a forked child reads the nodes and half
    of the ways while this process reads the other half and the areas (tag handling is the slow part).
    """
    path = Path(path)
    check_pbf(path)
    classifier = classifier or Classifier()
    try:
        boundary_ways = _boundary_ways(path)
        if processes >= 2 and path.stat().st_size >= PARALLEL_READ_BYTES:
            collected = _collect_in_two(path, classifier, boundary_ways)
        else:
            collected = _collect(path, classifier, boundary_ways, share=0, shares=1)
    except RuntimeError as error:  # osmium's own parse errors
        raise TileError(
            f"{path}: osmium cannot read it ({error}); check the file with `osmium fileinfo`"
        ) from error
    if not collected.candidates:
        raise TileError(
            f"{path}: no map features (no tagged nodes, ways or areas the Shortbread schema uses)"
        )
    if collected.skipped:
        log.warning(
            "%s: %d objects skipped (missing node locations or broken rings)", path, collected.skipped
        )
    return _assemble(collected, classifier, bbox, collected.skipped, path)


_CHILD_JOB: tuple | None = (
    None  # (path, classifier, boundary ways) for the forked child; the rules hold lambdas
)


def _collect_child_share() -> _Collector:
    assert _CHILD_JOB is not None
    return _collect(*_CHILD_JOB, share=0, shares=2)


def _collect_in_two(
    path: Path, classifier: Classifier, boundary_ways: dict[int, tuple[str, bool]]
) -> _Collector:
    global _CHILD_JOB
    _CHILD_JOB = (path, classifier, boundary_ways)
    with warnings.catch_warnings():  # see build._fork_pool: the other threads are idle BLAS threads
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*fork.*")
        pool = multiprocessing.get_context("fork").Pool(1)
    try:
        child = pool.apply_async(_collect_child_share)
        collected = _collect(path, classifier, boundary_ways, share=1, shares=2)
        collected.extend(child.get())
    finally:
        pool.terminate()
        _CHILD_JOB = None
    return collected


def _collect(
    path: Path, classifier: Classifier, boundary_ways: dict[int, tuple[str, bool]], share: int, shares: int
) -> _Collector:
    """Features of the objects of one share: nodes go to share 0, areas to the last, ways by id."""
    factory = osmium.geom.WKBFactory()
    collector = _Collector()
    with_nodes, with_areas = share == 0, share == shares - 1
    entities = osmium.osm.WAY
    if with_nodes:
        entities |= osmium.osm.NODE
    if with_areas:
        entities |= osmium.osm.AREA
    processor = osmium.FileProcessor(str(path)).with_locations()
    if with_areas:
        processor = processor.with_areas()
    processor = (
        processor.with_filter(osmium.filter.EntityFilter(entities))
        .with_filter(osmium.filter.KeyFilter(*classifier.keys_for[sb.POINT]).enable_for(osmium.osm.NODE))
        .with_filter(osmium.filter.KeyFilter(*classifier.keys_for[sb.AREA]).enable_for(osmium.osm.AREA))
    )
    for obj in processor:
        if obj.is_node():
            found = classifier.classify(dict(obj.tags), sb.POINT)
            if found:
                location = obj.location
                collector.add_point(location.lon, location.lat, found)
            continue
        if obj.is_way():
            if shares > 1 and obj.id % shares != share:
                continue
            tags = dict(obj.tags)
            if obj.id in boundary_ways:
                level, disputed = boundary_ways[obj.id]
                tags["_admin_level"] = level
                tags["_disputed"] = "yes" if disputed else "no"
            if not tags:
                continue
            found = classifier.classify(tags, sb.LINE, closed=obj.is_closed())
            if not found:
                continue
            try:
                collector.add_wkb(factory.create_linestring(obj), found)
            except (osmium.InvalidLocationError, RuntimeError):
                collector.skipped += 1
            continue
        found = classifier.classify(dict(obj.tags), sb.AREA, from_way=obj.from_way())
        if found:
            try:
                collector.add_wkb(factory.create_multipolygon(obj), found)
            except (osmium.InvalidLocationError, RuntimeError):
                collector.skipped += 1
    return collector


def _assemble(
    collected: _Collector,
    classifier: Classifier,
    bbox: tuple[float, float, float, float] | None,
    skipped: int,
    path: Path,
) -> FeatureTable:
    shapes = shapely.from_wkb(np.array(collected.wkb, dtype=object)) if collected.wkb else np.empty(0, object)
    invalid = ~shapely.is_valid(shapes)
    if invalid.any():
        shapes[invalid] = [keep_one_dimension(g) for g in shapely.make_valid(shapes[invalid])]
    points = shapely.points(np.array(collected.points, dtype=float).reshape(-1, 2))

    geometry_id = np.fromiter(
        (c[0] for c in collected.candidates), dtype=np.int64, count=len(collected.candidates)
    )
    is_point = np.fromiter((c[1] for c in collected.candidates), dtype=bool, count=len(collected.candidates))
    as_centroid = np.fromiter(
        (c[2] for c in collected.candidates), dtype=bool, count=len(collected.candidates)
    )
    candidates = [c[3] for c in collected.candidates]

    lonlat = np.empty(len(candidates), dtype=object)
    lonlat[is_point] = points[geometry_id[is_point]]
    lonlat[~is_point] = shapes[geometry_id[~is_point]]
    if bbox is not None:
        keep = shapely.intersects(lonlat, shapely.box(*bbox))
        if not keep.any():
            west, south, east, north = shapely.total_bounds(lonlat)
            raise TileError(
                f"{path}: no features inside --bbox {','.join(f'{v:g}' for v in bbox)}; "
                f"the data covers {west:.5f},{south:.5f},{east:.5f},{north:.5f}"
            )
        lonlat, as_centroid = lonlat[keep], as_centroid[keep]
        candidates = [c for c, k in zip(candidates, keep, strict=True) if k]
    bounds = tuple(float(v) for v in shapely.total_bounds(lonlat))

    mercator = shapely.transform(lonlat, to_mercator)
    area_m2 = shapely.area(mercator) * EARTH_CIRCUMFERENCE**2
    if as_centroid.any():
        mercator[as_centroid] = shapely.point_on_surface(mercator[as_centroid])
    length_m = shapely.length(mercator) * EARTH_CIRCUMFERENCE

    minzoom = np.array([c.minzoom for c in candidates], dtype=np.int16)
    sort_value = np.array([c.sort_value for c in candidates], dtype=np.float64)
    layer = np.array([c.layer for c in candidates], dtype=np.int16)
    _grow_minzoom(candidates, minzoom, area_m2, length_m)
    properties = [c.properties for c in candidates]
    _add_areas(classifier.layers, layer, properties, sort_value, minzoom, area_m2)
    keep = minzoom <= sb.MAXZOOM
    return FeatureTable(
        geometry=mercator[keep],
        layer=layer[keep],
        minzoom=minzoom[keep],
        sort_value=sort_value[keep],
        properties=[p for p, k in zip(properties, keep, strict=True) if k],
        layers=classifier.layers,
        bounds=bounds,  # type: ignore[arg-type]
        skipped=skipped,
    )


def _grow_minzoom(
    candidates: list[Candidate], minzoom: np.ndarray, area_m2: np.ndarray, length_m: np.ndarray
) -> None:
    """Small water bodies and short rivers appear later (the reference profile's zmin_for_area/length)."""
    for measure in ("area", "length"):
        rows = [i for i, c in enumerate(candidates) if c.grow and c.grow[0] == measure]
        if not rows:
            continue
        pixels = np.array([candidates[i].grow[1] for i in rows])  # type: ignore[index]
        with np.errstate(divide="ignore"):
            if measure == "area":
                zoom = 0.5 * np.log2(pixels * EARTH_CIRCUMFERENCE**2 / (2**16 * area_m2[rows]))
            else:
                zoom = np.log2(pixels * EARTH_CIRCUMFERENCE / (2**8 * length_m[rows]))
        zoom = np.nan_to_num(zoom, nan=99, posinf=99, neginf=0)
        minzoom[rows] = np.maximum(minzoom[rows], np.floor(np.minimum(zoom, 99)).astype(np.int16))


def _add_areas(
    layers: tuple[sb.LayerSpec, ...],
    layer: np.ndarray,
    properties: list[dict[str, object]],
    sort_value: np.ndarray,
    minzoom: np.ndarray,
    area_m2: np.ndarray,
) -> None:
    """``way_area`` attributes, area sort orders and area-dependent label zooms."""
    for index, spec in enumerate(layers):
        rows = np.flatnonzero(layer == index)
        if not len(rows):
            continue
        sources = {f.source: f.name for f in spec.fields}
        for source, divisor, digits in (("way_area", 1.0, None), ("way_area_ha", 1e4, 1)):
            if (
                source in sources
            ):  # a new dict: candidates' properties are shared through the classifier cache
                for row in rows:
                    value = round(float(area_m2[row]) / divisor, digits)
                    properties[row] = {**properties[row], sources[source]: value}
        if spec.order == "-way_area":
            sort_value[rows] = -area_m2[rows]
        if spec.area_zooms:
            km2 = area_m2[rows] / 1e6
            zoom = np.full(len(rows), 99, dtype=np.int16)
            for threshold, threshold_zoom in reversed(spec.area_zooms):
                zoom[km2 >= threshold] = threshold_zoom
            minzoom[rows] = np.maximum(minzoom[rows], zoom)
