"""Real OpenStreetMap objects the samples are placed on: traffic-signal nodes, schools, road bridges.

Read from the same extract as the streets (``streets.OSM_EXTRACT``) with the GDAL OSM driver, reprojected to
EPSG:5899 like the streets. © OpenStreetMap contributors, ODbL (see ``data_samples/README.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

from danang_sdi.errors import SourceError
from danang_sdi.samples.streets import STREET_CLASSES, to_5899

_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def tags(other_tags: object) -> dict[str, str]:
    """The GDAL OSM driver's ``other_tags`` (an hstore text) as a dict."""
    return dict(_TAG.findall(other_tags)) if isinstance(other_tags, str) else {}


def _read(path: Path, layer: str, columns: list[str]) -> pd.DataFrame:
    try:
        return pyogrio.read_dataframe(path, layer=layer, columns=columns, use_arrow=True)
    except (OSError, pyogrio.errors.DataSourceError) as exc:
        raise SourceError(f"{path}: cannot read layer {layer!r} of the OSM extract ({exc})") from exc


@dataclass(frozen=True)
class Bridge:
    """One road bridge way: its deck line (EPSG:5899), name, OSM highway class and tags."""

    geometry: shapely.LineString
    name: str | None
    highway: str
    osm_id: int
    tags: dict[str, str]


def traffic_signals(path: Path) -> np.ndarray:
    """Points of the nodes tagged ``highway=traffic_signals``, EPSG:5899, in OSM id order."""
    frame = _read(path, "points", ["osm_id", "highway"])
    frame = frame[frame["highway"] == "traffic_signals"]
    order = np.argsort(frame["osm_id"].astype("int64").to_numpy(), kind="stable")
    return to_5899(frame.geometry.to_numpy()[order])


def schools(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A point inside each school (``amenity=school`` areas and nodes) and its name, EPSG:5899."""
    areas = _read(path, "multipolygons", ["osm_id", "osm_way_id", "name", "amenity"])
    areas = areas[areas["amenity"] == "school"]
    nodes = _read(path, "points", ["osm_id", "name", "other_tags"])
    nodes = nodes[[tags(t).get("amenity") == "school" for t in nodes["other_tags"]]]
    points = np.concatenate([shapely.point_on_surface(areas.geometry.to_numpy()), nodes.geometry.to_numpy()])
    names = np.concatenate([areas["name"].to_numpy(dtype=object), nodes["name"].to_numpy(dtype=object)])
    return to_5899(points), np.array([n if isinstance(n, str) else None for n in names], dtype=object)


def bridges(path: Path, min_length_m: float) -> list[Bridge]:
    """Street ways tagged ``bridge`` at least ``min_length_m`` long, whole (not clipped), in OSM id order."""
    frame = _read(path, "lines", ["osm_id", "name", "highway", "other_tags"])
    frame = frame[frame["highway"].isin(STREET_CLASSES)]
    found = []
    for row, geometry in zip(frame.itertuples(index=False), to_5899(frame.geometry.to_numpy()), strict=True):
        way_tags = tags(row.other_tags)
        if way_tags.get("bridge", "no") == "no" or shapely.length(geometry) < min_length_m:
            continue
        name = row.name if isinstance(row.name, str) and row.name else None
        found.append(Bridge(geometry, name, row.highway, int(row.osm_id), way_tags))
    return sorted(found, key=lambda b: b.osm_id)
