"""Build ``layers/boundaries/danang.geojson``, the simplified outline of Đà Nẵng used by CRS detection.

It is derived from the geoBoundaries VNM ADM1 release (public domain, 2008 boundaries) because that is
the openly licensed source; the dvhcvn district polygons are more detailed but their licence is unclear.
Hoàng Sa (parts east of 110°E) is left out: it lies outside EPSG:5899's area of use. Run from the repo root::

    .venv/bin/python -m danang_sdi.sources.make_boundary \\
        ../shared/data/admin-geoboundaries-vnm-adm1/geoBoundaries-VNM-ADM1.geojson \\
        layers/boundaries/danang.geojson
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from danang_sdi.sources.transform import transformer

WORK_CRS = "EPSG:5899"
SIMPLIFY_M = 150.0
"""Douglas-Peucker tolerance (m): far below the 26.8 km between TM-3 zones, near the source's own detail."""
HOANG_SA_WEST_LON = 110.0
DECIMALS = 5
"""About 1 m in lon/lat: more would be false precision for a 2008 boundary simplified by 150 m."""

OUTLINES = (
    {
        "id": "danang_2025",
        "label": "Đà Nẵng",
        "name": "Thành phố Đà Nẵng (từ 1/7/2025, không gồm đặc khu Hoàng Sa)",
        "name_en": "Da Nang city from 1 July 2025 (former Da Nang + former Quang Nam), without Hoang Sa",
        "valid_from": "2025-07-01",
        "iso": ("VN-DN", "VN-27"),
    },
    {
        "id": "danang_pre2025",
        "label": "Đà Nẵng (before 1/7/2025)",
        "name": "Thành phố Đà Nẵng (trước 1/7/2025, không gồm huyện Hoàng Sa)",
        "name_en": "Da Nang city before 1 July 2025, without Hoang Sa",
        "valid_to": "2025-06-30",
        "iso": ("VN-DN",),
    },
)


def _mainland(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geometry) if p.bounds[0] < HOANG_SA_WEST_LON and p.area > 0]
    return shapely.union_all(parts)


def _reproject(geometry: shapely.Geometry, src: str, dst: str) -> shapely.Geometry:
    t = transformer(src, dst)
    return shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def build(source: Path) -> dict:
    """The outline FeatureCollection (CRS84 lon/lat), built from a geoBoundaries ADM1 GeoJSON."""
    provinces = {
        f["properties"]["shapeISO"]: shape(f["geometry"])
        for f in json.loads(source.read_text(encoding="utf-8"))["features"]
        if f["properties"]["shapeISO"] in ("VN-DN", "VN-27")
    }
    features = []
    for spec in OUTLINES:
        lonlat = shapely.union_all([_mainland(provinces[iso]) for iso in spec["iso"]])
        metric = _reproject(lonlat, "EPSG:4326", WORK_CRS)
        simple = shapely.make_valid(shapely.simplify(metric, SIMPLIFY_M, preserve_topology=True))
        out = shapely.set_precision(_reproject(simple, WORK_CRS, "EPSG:4326"), 10**-DECIMALS)
        props = {k: v for k, v in spec.items() if k != "iso"}
        props |= {"source_iso": list(spec["iso"]), "vertices": int(shapely.get_num_coordinates(out))}
        props["area_km2"] = round(float(shapely.area(simple)) / 1e6, 1)
        features.append({"type": "Feature", "id": spec["id"], "properties": props, "geometry": mapping(out)})
    return {
        "type": "FeatureCollection",
        "name": "danang_boundaries",
        "attribution": "Administrative boundaries courtesy of geoBoundaries.org (VNM-ADM1, public domain)",
        "features": features,
    }


def render(collection: dict) -> str:
    """Compact, deterministic text, so rebuilding gives the same bytes."""
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


def write(collection: dict, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(collection), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="geoBoundaries-VNM-ADM1.geojson")
    parser.add_argument("target", type=Path, help="where to write danang.geojson")
    args = parser.parse_args(argv)
    collection = build(args.source)
    write(collection, args.target)
    for feature in collection["features"]:
        p = feature["properties"]
        print(f"{feature['id']}: {p['vertices']} vertices, {p['area_km2']} km²")


if __name__ == "__main__":
    main()
