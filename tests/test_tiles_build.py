"""The base map of the real Hải Châu extract, z0–14, read back with mapbox-vector-tile and with GDAL."""

from __future__ import annotations

import json
import sqlite3
import unicodedata

import mapbox_vector_tile
import osmium
import pyogrio
import pytest
import shapely
from pmtiles.reader import MmapSource
from pmtiles.reader import Reader as PMTilesReader

from danang_sdi.tiles.archive import TileArchive
from danang_sdi.tiles.build import MAX_TILE_BYTES
from danang_sdi.tiles.grid import Tile, tile_bounds, tiles_in_bbox, tms_row
from tests.helpers.tiles_fixtures import HAICHAU_PBF, Basemap, basemap

# First zoom of each layer in the Shortbread 1.0 document (typed from the document, not from our table).
LAYER_MINZOOM = {
    "water_polygons": 4,
    "water_polygons_labels": 0,
    "land": 7,
    "sites": 14,
    "buildings": 14,
    "addresses": 14,
    "pois": 14,
    "streets": 5,
    "street_polygons": 11,
    "street_labels": 10,
    "bridges": 12,
    "pier_polygons": 12,
    "place_labels": 4,
    "public_transport": 11,
    "boundaries": 0,
}
STREET_KIND_MINZOOM = {
    "motorway": 5, "trunk": 6, "primary": 8, "secondary": 9, "tertiary": 10, "unclassified": 12,
    "residential": 12, "living_street": 13, "service": 13, "pedestrian": 13, "track": 13, "footway": 13,
    "steps": 13, "path": 13, "cycleway": 13,
}  # fmt: skip
LAND_KIND_MINZOOM = {
    "grass": 11,
    "park": 11,
    "residential": 10,
    "commercial": 10,
    "industrial": 10,
    "golf_course": 11,
}


@pytest.fixture(scope="module")
def built() -> Basemap:
    if not HAICHAU_PBF.is_file():
        pytest.skip(f"real OSM extract not found at {HAICHAU_PBF}")
    return basemap()


@pytest.fixture(scope="module")
def decoded(built: Basemap) -> dict[tuple[int, int, int], dict]:
    return {
        (z, x, y): mapbox_vector_tile.decode(data) for z, x, y, data in TileArchive(built.mbtiles).tiles()
    }


def test_every_zoom_has_tiles_and_z14_covers_the_extract(built, decoded):
    zooms = {z for z, _, _ in decoded}
    assert zooms >= set(range(8, 15))
    inner = tiles_in_bbox(
        tile_bounds(Tile(0, 0, 0))._replace(west=108.2047, south=16.0469, east=108.2244, north=16.0652), 14
    )
    assert {(t.z, t.x, t.y) for t in inner} <= set(decoded)


def test_layers_appear_only_from_their_schema_zoom(decoded):
    seen: dict[str, int] = {}
    for (z, _, _), layers in decoded.items():
        for name in layers:
            assert z >= LAYER_MINZOOM.get(name, 0), f"{name} at z{z}"
            seen[name] = min(seen.get(name, 99), z)
    assert {"streets", "street_labels", "buildings", "pois", "addresses", "land", "water_polygons"} <= set(
        seen
    )
    assert seen["buildings"] == 14 and seen["streets"] == 8  # primary roads are the biggest here


def test_street_and_land_kinds_respect_their_zooms(decoded):
    kinds_seen = set()
    for (z, _, _), layers in decoded.items():
        for feature in layers.get("streets", {}).get("features", []):
            kind = feature["properties"]["kind"]
            kinds_seen.add(kind)
            assert z >= STREET_KIND_MINZOOM[kind], f"{kind} at z{z}"
            if z < 14:
                assert "oneway" not in feature["properties"]  # a z14 attribute
            if z < 11:
                assert set(feature["properties"]) == {"kind", "rail"}
        for feature in layers.get("land", {}).get("features", []):
            kind = feature["properties"]["kind"]
            assert z >= LAND_KIND_MINZOOM.get(kind, 7), f"land {kind} at z{z}"
    assert {"primary", "tertiary", "residential", "service", "footway"} <= kinds_seen


def test_named_streets_carry_their_vietnamese_names(decoded):
    names = {
        feature["properties"].get("name")
        for (z, _, _), layers in decoded.items()
        if z == 14
        for feature in layers.get("street_labels", {}).get("features", [])
    }
    assert {"Đường 2 Tháng 9", "Đường Nguyễn Tri Phương", "Đường Hoàng Diệu"} <= names
    assert all(unicodedata.is_normalized("NFC", name) for name in names if name)


def test_no_tile_is_over_500_kb_and_all_are_gzip(built):
    with sqlite3.connect(built.mbtiles) as db:
        sizes = db.execute(
            "SELECT max(length(tile_data)), min(substr(tile_data, 1, 2) = x'1f8b') FROM tiles"
        ).fetchone()
    assert sizes[0] <= MAX_TILE_BYTES and sizes[1] == 1
    assert built.result.largest[3] == sizes[0]


def test_mbtiles_rows_are_tms_flipped(built):
    with sqlite3.connect(built.mbtiles) as db:
        rows = db.execute(
            "SELECT zoom_level, tile_column, tile_row FROM tiles WHERE zoom_level = 14"
        ).fetchall()
    # Hải Châu (16.05 N) at z14 is XYZ row ~7451; TMS counts from the south: 2^14 - 1 - 7451 = 8932.
    assert all(8900 < row < 8950 for _, _, row in rows)
    xyz = {(z, x, tms_row(z, row)) for z, x, row in rows}
    pm = PMTilesReader(MmapSource(open(built.pmtiles, "rb")))  # noqa: SIM115
    for z, x, y in xyz:
        assert pm.get(z, x, y) is not None, (z, x, y)
        assert (built.directory / str(z) / str(x) / f"{y}.pbf").is_file()


def test_the_three_archives_hold_the_same_tiles(built):
    tiles = {
        path: {(z, x, y): data for z, x, y, data in TileArchive(path).tiles()}
        for path in (built.mbtiles, built.pmtiles, built.directory)
    }
    assert tiles[built.mbtiles] == tiles[built.pmtiles] == tiles[built.directory]


def test_metadata_has_vector_layers_and_bounds(built):
    meta = TileArchive(built.mbtiles).metadata()
    assert meta["format"] == "pbf" and meta["minzoom"] == "0" and meta["maxzoom"] == "14"
    layers = {layer["id"]: layer for layer in json.loads(meta["json"])["vector_layers"]}
    assert layers["buildings"]["minzoom"] == 14 and layers["streets"]["fields"]["kind"] == "String"
    west, south, east, north = (float(v) for v in meta["bounds"].split(","))
    assert 108.18 < west < 108.21 and 108.22 < east < 108.25 and 16.0 < south < north < 16.1
    directory_meta = json.loads((built.directory / "metadata.json").read_text("utf-8"))
    assert directory_meta["json"] == meta["json"]  # what pygeoapi's MVT-tippecanoe provider reads


@pytest.mark.parametrize("archive", ["mbtiles", "pmtiles", "directory"])
def test_gdal_reads_the_archive_at_the_right_place(built, archive):
    path = getattr(built, archive)
    path = f"MVT:{path / '14'}" if archive == "directory" else str(path)
    layers = dict(pyogrio.list_layers(path).tolist())
    assert layers["buildings"] == "MultiPolygon" and layers["street_labels"] == "MultiLineString"
    labels = pyogrio.read_dataframe(path, layer="street_labels")
    assert "Đường Nguyễn Tri Phương" in set(labels["name"])
    buildings = pyogrio.read_dataframe(path, layer="buildings")
    assert buildings.crs.to_epsg() == 3857
    west, south, east, north = buildings.to_crs(4326).total_bounds
    assert 108.18 < west < east < 108.25 and 16.0 < south < north < 16.1


def test_buildings_come_back_where_osm_has_them(built):
    """Every OSM building's inner point lies in a decoded z14 building: no flip, shift or lost winding."""
    factory = osmium.geom.WKBFactory()
    originals = [
        shapely.from_wkb(factory.create_multipolygon(area))
        for area in osmium.FileProcessor(str(HAICHAU_PBF))
        .with_areas()
        .with_filter(osmium.filter.KeyFilter("building"))
        if area.is_area()
    ]
    decoded = pyogrio.read_dataframe(str(built.mbtiles), layer="buildings").to_crs(4326)
    tree = shapely.STRtree(decoded.geometry.values)
    points = shapely.point_on_surface(originals)
    found = tree.query(points, predicate="within")
    assert len(set(found[0])) >= 0.97 * len(originals)
    assert decoded.geometry.is_valid.all()


def test_a_tile_over_the_size_limit_is_coarsened_until_it_fits(built, tmp_path):
    from danang_sdi.errors import TileError
    from danang_sdi.tiles.build import build_tiles

    limit = 15_000  # the densest z14 tile is about 28 kB at full detail
    assert built.result.largest[3] > limit
    result = build_tiles(
        HAICHAU_PBF, tmp_path / "small.mbtiles", minzoom=13, max_tile_bytes=limit, processes=1
    )
    assert 0 < result.largest[3] <= limit and result.tiles_per_zoom[14] == built.result.tiles_per_zoom[14]
    with pytest.raises(TileError, match="stays over 300 bytes"):
        build_tiles(HAICHAU_PBF, tmp_path / "tiny.mbtiles", minzoom=14, max_tile_bytes=300, processes=1)
    assert not (tmp_path / "tiny.mbtiles").exists()


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")  # from pygeoapi itself
def test_pygeoapi_mvt_tippecanoe_provider_serves_the_folder(built):
    from pygeoapi.provider.mvt_tippecanoe import MVTTippecanoeProvider

    provider = MVTTippecanoeProvider(
        {
            "name": "MVT-tippecanoe",
            "type": "tile",
            "data": str(built.directory),
            "options": {"zoom": {"min": 0, "max": 14}, "schemes": ["WebMercatorQuad"]},
            "format": {"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"},
        }
    )
    z, x, y, _ = built.result.largest
    tile = provider.get_tiles(tileset="WebMercatorQuad", z=z, y=y, x=x, format_="pbf")
    assert "streets" in mapbox_vector_tile.decode(tile)  # served as stored: plain MVT, no gzip
    metadata = provider.get_vendor_metadata(
        "basemap", "http://127.0.0.1:5000", None, "WebMercatorQuad", "", "", []
    )
    assert metadata["maxzoom"] == 14 and len(metadata["vector_layers"]) >= 10
