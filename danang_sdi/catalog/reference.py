"""What every key of a catalog file means, in one place: the JSON Schema and ``docs/catalog.md`` read it.

A test fails when a model gains a field that is not described here, so the reference cannot fall behind.
"""

from __future__ import annotations

from pydantic import BaseModel

from danang_sdi.catalog.models import (
    Agency,
    Attribute,
    CatalogInfo,
    Check,
    Code,
    CodeList,
    Group,
    Layer,
    Publish,
    RasterBand,
    RasterLayer,
    RasterPublish,
    Resolution,
    Temporal,
    Text,
    Tiles,
)

KEYS: dict[type[BaseModel], dict[str, str]] = {
    Layer: {
        "id": "Layer id: English snake_case, equal to the file name (`cadastral_parcel.yml`).",
        "name": "Name in Vietnamese and English (`vi`, `en`).",
        "description": "What the layer holds and for whom, in Vietnamese and English.",
        "group": "Data group, one of the `groups` of `catalog.yml`; the group gives the family.",
        "owner": "Code of the agency responsible for the data (an agency of `catalog.yml` that still exists).",
        "operator": "Code of the unit that runs the data day to day for the owner, if another one.",
        "geometry": "Geometry type: Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon.",
        "storage_crs": "CRS of the stored data; EPSG:5899 (VN-2000 / TM-3 107°45′) for the city.",
        "update_frequency": "continuous, daily, weekly, monthly, quarterly, yearly or on_change.",
        "provenance": "How sure the entry is: verified, third_party or inferred (see layers/README.md).",
        "source": "Where the layer definition comes from.",
        "natural_key": "Attributes that identify a feature in the real world, e.g. (ma_xa, so_to, so_thua).",
        "attributes": "The layer's fields, in order (see the attribute keys).",
        "checks": "Layer-level quality rules with severity and parameters (see the check keys).",
        "publish": "Whether and how the layer is published (OGC API Features, vector tiles).",
        "temporal": "Attributes holding the start and end of each feature's validity, if the layer has them.",
        "keywords": "Search words for the catalog and the OGC API collection.",
    },
    Attribute: {
        "name": "Field name, after the Vietnamese standards in snake_case without accents (`so_thua`).",
        "title": "Field title in Vietnamese and English.",
        "type": "text, integer, number, boolean, date or datetime.",
        "required": "A feature without a value is a finding.",
        "unit": "Unit of the value (m, m2, ha, mm, kV, W, %...).",
        "max_length": "Longest text allowed, in characters.",
        "minimum": "Smallest value allowed (integer and number only).",
        "maximum": "Largest value allowed (integer and number only).",
        "pattern": "Regular expression a text value must match in full.",
        "enum": "The only values allowed, for short fixed lists.",
        "code_list": "Id of the code list (`layers/codes/<id>.yml`) the value must come from.",
        "code_list_by": "Attribute whose value picks the code list (with `code_lists`).",
        "code_lists": "Value of `code_list_by` → code list id, e.g. TT27_2018 → land_use_tt27_2018.",
        "separator": "Several codes in one value are joined by this text, e.g. `+` in `ODT+CLN`.",
        "aliases": "Field names surveyors really use for this attribute (matched case-insensitively), "
        "including 10-character shapefile truncations.",
        "access": "public (published), internal (city staff only) or restricted (personal data, never published).",
        "severity": "Severity of this attribute's field findings: error or warning.",
        "description": "Longer explanation in Vietnamese and English.",
    },
    Check: {
        "rule": "Rule id: key.duplicate, geometry.empty, geometry.invalid, geometry.type, geometry.outside, "
        "geometry.sliver, topology.overlap, topology.gap, area.mismatch or network.dangle.",
        "severity": "error (the feature is refused) or warning (reported, still loaded).",
        "within": "Attributes that partition the layer: the rule compares features of one partition only.",
        "field": "area.mismatch: the attribute holding the recorded area.",
        "tolerance_pct": "area.mismatch: largest difference allowed, in percent of the geometric area.",
        "gap_width": "topology.gap: gaps narrower than this many metres are reported.",
        "min_area": "geometry.sliver: polygons smaller than this many m² are reported.",
        "snap_tolerance": "network.dangle: line ends closer than this many metres count as connected.",
    },
    Publish: {
        "ogcapi": "Published as an OGC API Features collection (restricted attributes never are).",
        "tiles": "Published in vector tiles between these zoom levels; absent means no tiles.",
    },
    Tiles: {
        "minzoom": "First zoom level with the layer (0-22).",
        "maxzoom": "Last zoom level (0-22).",
        "fill": "Areas drawn filled (default) or, when false, as outlines only (boundaries covering the map).",
    },
    Temporal: {"start": "Attribute holding the start of validity.", "end": "Attribute holding its end."},
    Text: {"vi": "Vietnamese text (UTF-8, NFC).", "en": "English text."},
    RasterLayer: {
        "kind": "Always `raster`: the file is a raster layer (`layers/rasters/<id>.yml`).",
        "id": "Layer id: English snake_case, equal to the file name, and no vector layer's id.",
        "name": "Name in Vietnamese and English (`vi`, `en`).",
        "description": "What the raster holds and for whom, in Vietnamese and English.",
        "group": "Data group, one of the `groups` of `catalog.yml`.",
        "owner": "Code of the agency responsible for the data (an agency of `catalog.yml` that still exists).",
        "operator": "Code of the unit that runs the data day to day for the owner, if another one.",
        "storage_crs": "CRS the raster is stored in, as a Cloud-Optimised GeoTIFF; EPSG:5899 for the city.",
        "update_frequency": "continuous, daily, weekly, monthly, quarterly, yearly or on_change.",
        "provenance": "How sure the entry is: verified, third_party or inferred.",
        "source": "Where the data or its definition comes from.",
        "resolution": "Pixel sizes accepted, in metres of the storage CRS after reprojection (`min`, `max`).",
        "dtype": "Stored data type (uint8, uint16, int16, uint32, int32, float32, float64); a delivery's "
        "type must convert to it without loss.",
        "nodata": "Stored nodata value; a delivery must declare its own, which is mapped to this one.",
        "bands": "The bands, in order (see the band keys); a delivery must have as many.",
        "resampling": "How pixels are resampled onto the stored grid: nearest, bilinear, cubic or average.",
        "compression": "Compression of the stored COG: deflate, lzw, zstd, jpeg or webp.",
        "publish": "Whether the raster is published (OGC API – Coverages).",
        "keywords": "Search words for the catalog and the OGC API collection.",
    },
    Resolution: {
        "min": "Smallest pixel size accepted, metres.",
        "max": "Largest pixel size accepted, metres.",
    },
    RasterBand: {
        "name": "Band name (snake_case), written into the stored file's band description.",
        "title": "Band title in Vietnamese and English.",
        "unit": "Unit of the values (m for elevations), written into the stored file.",
    },
    RasterPublish: {"ogcapi": "Published as an OGC API coverage (pygeoapi's rasterio provider) once loaded."},
    CodeList: {
        "id": "Code list id, equal to the file name.",
        "name": "Name in Vietnamese and English.",
        "source": "Legal text or other source of the codes.",
        "provenance": "verified, third_party or inferred.",
        "valid_from": "First day the list applies.",
        "valid_to": "Last day the list applies.",
        "codes": "The codes; (code, valid_from) is unique, so a code can come back in a later period.",
    },
    Code: {
        "code": "The code as written in the data.",
        "name": "Meaning in Vietnamese and English.",
        "group": "Group of the code (e.g. NNP/PNN/CSD for land use, phuong/xa for units).",
        "valid_from": "First day the code applies.",
        "valid_to": "Last day the code applies.",
        "successor": "Code that replaced it (the one valid the day after valid_to).",
        "parent": "Parent code, e.g. the district of a ward before 1/7/2025.",
    },
    CatalogInfo: {
        "id": "Catalog id.",
        "title": "Catalog title in Vietnamese and English.",
        "legal_basis": "Decisions the catalog rests on, and what of them was verified.",
        "provenance": "verified, third_party or inferred.",
        "version": "Catalog version.",
        "storage_crs": "Default storage CRS of the layers.",
        "publish_crs": "CRSs offered by the OGC API server.",
        "groups": "Data groups; each belongs to a family.",
        "agencies": "Owner and operator agencies, with validity dates and successors (2025 mergers).",
        "extra": "Other facts: extents, CRS exceptions, text encoding.",
    },
    Group: {
        "id": "Group id.",
        "name": "Name in Vietnamese and English.",
        "family": "administrative, cadastral, planning, traffic, utilities or base.",
    },
    Agency: {
        "code": "Agency code used by `owner` and `operator`.",
        "name": "Name in Vietnamese and English.",
        "valid_from": "Day the agency was created, if after the catalog started.",
        "valid_to": "Last day of the agency, if it was merged.",
        "successor": "Agency that took over its data.",
    },
}


def undocumented() -> list[str]:
    """``Model.field`` for every model field without a description (empty when the reference is complete)."""
    return [
        f"{model.__name__}.{name}"
        for model, docs in KEYS.items()
        for name in model.model_fields
        if not docs.get(name)
    ]
