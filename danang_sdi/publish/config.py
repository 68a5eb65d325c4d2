"""The pygeoapi configuration, generated from the catalog and the extents of the data.

One collection per published layer (collection id = layer id), bilingual titles and descriptions
(pygeoapi's ``languages``), the layer's keywords, its spatial extent measured in PostGIS (rounded outward to
1e-4 degree so that the file only changes when the data moves), its temporal extent when the layer has one,
storage CRS EPSG:5899, the catalog's publishing CRSs, and our provider reading ``sdi_pub.<layer>`` as
``sdi_reader``. The database host, port, name and the reader's password are ``${VAR}`` references filled
in by ``danang-sdi serve``, so the file holds no secret and is the same on every machine. ``generate`` adds
the raster layers that have been loaded as coverages (pygeoapi's rasterio provider) reading
``<home>/rasters/<layer>/current.tif``: that path is this machine's, and a later load needs no new file.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from psycopg import sql
from pyproj import CRS

from danang_sdi.catalog import Catalog
from danang_sdi.catalog.models import Layer
from danang_sdi.errors import ConfigError
from danang_sdi.publish import fields as published_fields
from danang_sdi.publish.views import PUBLISH_SCHEMA, READER_ROLE, published_layers
from danang_sdi.settings import Settings
from danang_sdi.store import layer_tables
from danang_sdi.store.database import connect

PROVIDER_CLASS = "danang_sdi.publish.provider.CatalogPostgreSQLProvider"
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"
LANGUAGES = ["vi", "en"]
DEFAULT_ITEMS = 100
MAX_ITEMS = 10000
EXTENT_DECIMALS = 4
# numberMatched: planner estimate without a filter, exact count with one; estimates below exact_below are
# replaced by an exact count (cheap at that size, and small layers then report their true size).
NUMBER_MATCHED = {"unfiltered": "estimate", "filtered": "exact", "exact_below": 100000}

ENV = {
    "url": "${DANANG_SDI_PUBLIC_URL:-" + DEFAULT_PUBLIC_URL + "}",
    "host": "${DANANG_SDI_READER_HOST}",
    "port": "${DANANG_SDI_READER_PORT}",
    "database": "${DANANG_SDI_READER_DATABASE}",
    "password": "${DANANG_SDI_READER_PASSWORD}",
}


@dataclass(frozen=True)
class Extent:
    """A layer's extent: bbox in CRS84 (None when the table is empty) and validity period, if any."""

    bbox: tuple[float, float, float, float] | None = None
    begin: dt.datetime | None = None
    end: dt.datetime | None = None


def crs_uri(code: str) -> str:
    """``"EPSG:5899"`` → ``http://www.opengis.net/def/crs/EPSG/0/5899``; ``"OGC:CRS84"`` → the CRS84 URI."""
    authority, _, number = code.partition(":")
    if authority.upper() == "OGC" and number.upper() == "CRS84":
        return CRS84_URI
    if authority.upper() == "EPSG" and number.isdigit():
        return f"http://www.opengis.net/def/crs/EPSG/0/{number}"
    raise ConfigError(
        f"publishing CRS {code!r} is neither OGC:CRS84 nor EPSG:<code>; fix it in layers/catalog.yml"
    )


def _outward(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    scale = 10**EXTENT_DECIMALS
    minx, miny, maxx, maxy = bbox
    return (
        round(math.floor(minx * scale) / scale, EXTENT_DECIMALS),
        round(math.floor(miny * scale) / scale, EXTENT_DECIMALS),
        round(math.ceil(maxx * scale) / scale, EXTENT_DECIMALS),
        round(math.ceil(maxy * scale) / scale, EXTENT_DECIMALS),
    )


def measure_extents(settings: Settings, catalog: Catalog) -> dict[str, Extent]:
    """Extent of every published layer's data (densified before reprojection, so edges are not cut)."""
    extents: dict[str, Extent] = {}
    with connect(settings) as conn:
        for layer in published_layers(catalog):
            table = layer_tables.table_name(layer)
            row = conn.execute(
                sql.SQL(
                    "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform("
                    "ST_Segmentize(ST_SetSRID(ST_Extent({geom})::geometry, %s), 500), 4326) AS b FROM {table}) e"
                ).format(geom=sql.Identifier(layer_tables.GEOMETRY_COLUMN), table=table),
                (layer_tables.srid(layer.storage_crs),),
            ).fetchone()
            bbox = _outward(row) if row and row[0] is not None else None
            begin = end = None
            if layer.temporal:
                begin, end = _temporal_extent(conn, layer)
            extents[layer.id] = Extent(bbox=bbox, begin=begin, end=end)
    return extents


def _temporal_extent(conn, layer: Layer) -> tuple[dt.datetime | None, dt.datetime | None]:
    start = sql.Identifier(layer.temporal.start)
    end = sql.Identifier(layer.temporal.end) if layer.temporal.end else start
    row = conn.execute(
        sql.SQL(
            "SELECT min({start}), CASE WHEN bool_or({end} IS NULL) THEN NULL ELSE max({end}) END FROM {t}"
        ).format(start=start, end=end, t=layer_tables.table_name(layer))
    ).fetchone()
    return _instant(row[0]), _instant(row[1])


def _instant(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def fallback_bbox(catalog: Catalog) -> tuple[float, float, float, float]:
    """The city's extent from ``catalog.yml`` (``extra.extent.mainland``), else the storage CRS's area of use."""
    mainland = catalog.info.extra.get("extent", {}).get("mainland", {})
    if mainland.get("bbox") and crs_uri(mainland.get("crs", "OGC:CRS84")) == CRS84_URI:
        return tuple(mainland["bbox"])
    area = CRS.from_user_input(catalog.info.storage_crs).area_of_use
    return _outward((area.west, area.south, area.east, area.north))


def build_config(catalog: Catalog, extents: dict[str, Extent]) -> dict[str, Any]:
    """The whole pygeoapi configuration as a dict (what ``write_config`` writes)."""
    info = catalog.info
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": 5000},
            "url": ENV["url"],
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,
            "languages": list(LANGUAGES),
            "pretty_print": False,
            "limits": {"default_items": DEFAULT_ITEMS, "max_items": MAX_ITEMS},
            "map": {
                "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "attribution": "&copy; OpenStreetMap contributors",
            },
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": {"vi": info.title.vi, "en": info.title.en},
                "description": {"vi": info.legal_basis, "en": info.legal_basis},
                "keywords": {"vi": [g.name.vi for g in info.groups], "en": [g.name.en for g in info.groups]},
                "keywords_type": "theme",
                "terms_of_service": "",
                "url": ENV["url"],
            },
            "license": {
                "name": info.extra.get("license", "Set by each layer's owner agency"),
                "url": info.extra.get("license_url", ENV["url"]),
            },
            "provider": {"name": {"vi": info.title.vi, "en": info.title.en}},
            "contact": {"name": info.extra.get("contact", info.title.en)},
        },
        "resources": {
            layer.id: collection(layer, catalog, extents.get(layer.id, Extent()))
            for layer in published_layers(catalog)
        },
    }


def collection(layer: Layer, catalog: Catalog, extent: Extent) -> dict[str, Any]:
    group = catalog.group(layer)
    resource: dict[str, Any] = {
        "type": "collection",
        "title": {"vi": layer.name.vi, "en": layer.name.en},
        "description": {"vi": layer.description.vi, "en": layer.description.en},
        "keywords": {"vi": [*layer.keywords, group.name.vi], "en": [*layer.keywords, group.name.en]},
        "extents": {"spatial": {"bbox": list(extent.bbox or fallback_bbox(catalog)), "crs": CRS84_URI}},
        "providers": [provider(layer, catalog)],
    }
    if layer.temporal:
        resource["extents"]["temporal"] = {"begin": extent.begin, "end": extent.end}
    return resource


def provider(layer: Layer, catalog: Catalog) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "type": "feature",
        "name": PROVIDER_CLASS,
        "data": {
            "host": ENV["host"],
            "port": ENV["port"],
            "dbname": ENV["database"],
            "user": READER_ROLE,
            "password": ENV["password"],
            "search_path": [PUBLISH_SCHEMA, "public"],
        },
        "id_field": layer_tables.ID_COLUMN,
        "table": layer.id,
        "geom_field": layer_tables.GEOMETRY_COLUMN,
        "geometry_type": layer.geometry.value,
        "storage_crs": crs_uri(layer.storage_crs),
        "crs": [crs_uri(code) for code in catalog.info.publish_crs],
        "include_extra_query_parameters": True,
        "number_matched": dict(NUMBER_MATCHED),
        "fields": published_fields.layer_fields(layer, catalog.code_list),
    }
    if layer.temporal:
        definition["temporal"] = {"start": layer.temporal.start, "end": layer.temporal.end}
    return definition


HEADER = (
    "# pygeoapi configuration generated by `danang-sdi publish config` from the catalog (layers/) and the\n"
    "# extents of the data. Do not edit by hand: change the catalog and regenerate. ${VAR} values are filled in\n"
    "# by `danang-sdi serve` (database host/port/name, the sdi_reader password, the public URL).\n"
)


class _Dumper(yaml.SafeDumper):
    """Lists of plain values on one (wrapped) line: code lists stay readable in the file."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(v, str | int | float | bool) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def to_yaml(config: dict[str, Any]) -> str:
    return HEADER + yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def validate(config: dict[str, Any]) -> None:
    """pygeoapi's own JSON Schema check of the configuration; ConfigError naming the failing key."""
    from jsonschema.exceptions import ValidationError
    from pygeoapi.config import validate_config

    try:
        validate_config(config)
    except ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ConfigError(f"generated pygeoapi configuration is invalid at {where}: {exc.message}") from exc


def write_config(config: dict[str, Any], path: Path, overwrite: bool = False) -> Path:
    if path.exists() and not overwrite:
        raise ConfigError(f"{path} exists: pass --overwrite to replace it")
    validate(config)
    try:
        path.write_text(to_yaml(config), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
    return path


@dataclass(frozen=True)
class GeneratedConfig:
    path: Path
    collections: list[str]
    views: list[str]


def generate(settings: Settings, catalog: Catalog, output: Path, overwrite: bool = False) -> GeneratedConfig:
    """``danang-sdi publish config``: publishing views, extents from the data, then the YAML file.

    Raster layers that have been loaded are added as coverages (``rasters.publish.coverage_resources``).
    """
    from danang_sdi.publish.views import publish_views
    from danang_sdi.rasters.publish import coverage_resources

    if output.exists() and not overwrite:
        raise ConfigError(f"{output} exists: pass --overwrite to replace it")
    views = publish_views(settings, catalog)
    config = build_config(catalog, measure_extents(settings, catalog))
    config["resources"].update(coverage_resources(settings, catalog))
    write_config(config, output, overwrite=overwrite)
    return GeneratedConfig(path=output, collections=list(config["resources"]), views=views.views)
