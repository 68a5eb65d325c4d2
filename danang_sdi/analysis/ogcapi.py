"""Any OGC API – Features collection as a GeoDataFrame, over plain HTTP, following ``rel=next`` links.

Part 2 servers write coordinates in the axis order of the CRS asked for (EPSG:4326 is latitude first);
the frame always holds x/y (longitude/easting first). When the collection id is a layer of the local
catalog, the frame is typed exactly as ``read_layer`` types it, so the two can be compared row for row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import requests
import shapely
from pyproj import CRS

from danang_sdi.analysis.frames import ID_COLUMN, typed_frame
from danang_sdi.analysis.postgis import catalog
from danang_sdi.errors import ConfigError, SdiError
from danang_sdi.settings import Settings

GEOJSON_TYPES = ("application/geo+json", "application/json")
MAX_PAGES = 100_000


class ApiError(SdiError, OSError):
    """Raised when an OGC API server cannot be reached or answers with an error."""


def _crs_uri(crs: str | int | CRS) -> str:
    parsed = CRS.from_user_input(crs)
    authority = parsed.to_authority(min_confidence=90)
    if authority is None:
        raise ConfigError(f"CRS {crs!r} has no authority code to ask a server for")
    name, code = authority
    version = "1.3" if name == "OGC" else "0"
    return f"http://www.opengis.net/def/crs/{name}/{version}/{code}"


def _cql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def cql2_text(where: Mapping[str, Any]) -> str:
    """``{column: value}`` (a list means IN) → a CQL2 text filter, values quoted.

    >>> cql2_text({"vat_lieu": ["HDPE", "uPVC"], "duong_kinh_mm": 100})
    "vat_lieu IN ('HDPE', 'uPVC') AND duong_kinh_mm = 100"
    """
    parts = []
    for name, value in where.items():
        if value is None:
            parts.append(f"{name} IS NULL")
        elif isinstance(value, list | tuple | set | frozenset):
            parts.append(f"{name} IN ({', '.join(_cql_literal(v) for v in value)})")
        else:
            parts.append(f"{name} = {_cql_literal(value)}")
    return " AND ".join(parts)


def _next_link(page: dict) -> str | None:
    for link in page.get("links", []):
        if link.get("rel") == "next" and link.get("type", GEOJSON_TYPES[0]) in GEOJSON_TYPES:
            return link["href"]
    return None


def _get(session: requests.Session, url: str, params: dict | None, timeout: float) -> dict:
    try:
        response = session.get(url, params=params, timeout=timeout, headers={"Accept": GEOJSON_TYPES[0]})
    except requests.RequestException as exc:
        raise ApiError(f"cannot reach {url}: {exc}") from exc
    if response.status_code != 200:
        detail = response.text.strip().replace("\n", " ")[:300]
        raise ApiError(f"{response.url} answered HTTP {response.status_code}: {detail}")
    try:
        return response.json()
    except ValueError as exc:
        raise ApiError(
            f"{response.url} did not answer JSON ({response.headers.get('Content-Type')})"
        ) from exc


def fetch_features(
    url: str, collection: str, params: dict[str, Any], timeout: float = 60.0
) -> tuple[list[dict], int]:
    """Every feature of ``/collections/{collection}/items`` with ``params``; also the number of pages."""
    items = f"{url.rstrip('/')}/collections/{collection}/items"
    features: list[dict] = []
    with requests.Session() as session:
        page = _get(session, items, params, timeout)
        pages = 1
        features += page.get("features", [])
        while (link := _next_link(page)) is not None and page.get("features"):
            if pages >= MAX_PAGES:
                raise ApiError(
                    f"{items}: more than {MAX_PAGES} pages; narrow the request with bbox or filter"
                )
            page = _get(session, link, None, timeout)
            pages += 1
            features += page.get("features", [])
    return features, pages


def _swap_needed(crs: CRS) -> bool:
    return bool(crs.axis_info) and crs.axis_info[0].direction.lower() in ("north", "south")


def features_frame(features: Sequence[dict], crs: CRS) -> pd.DataFrame:
    """fid, properties and a shapely geometry column, x/y order whatever the CRS's axis order."""
    texts = [None if f.get("geometry") is None else json.dumps(f["geometry"]) for f in features]
    geometries = shapely.from_geojson(texts, on_invalid="raise")
    if _swap_needed(crs):
        geometries = shapely.transform(geometries, lambda xy: xy[:, ::-1])
    frame = pd.DataFrame([f.get("properties") or {} for f in features])
    frame[ID_COLUMN] = [f.get("id") for f in features]
    frame["geometry"] = geometries
    return frame


def read_api(
    url: str,
    collection: str,
    bbox: tuple[float, float, float, float] | None = None,
    filter: str | Mapping[str, Any] | None = None,
    crs: str | int | CRS | None = None,
    limit: int = 1000,
    *,
    bbox_crs: str | int | CRS | None = None,
    names: bool = True,
    lang: str = "vi",
    timeout: float = 60.0,
    settings: Settings | None = None,
) -> gpd.GeoDataFrame:
    """The features of an OGC API – Features collection, every page of them, as a GeoDataFrame.

    Parameters
    ----------
    url : the landing page, e.g. ``"http://localhost:5000"``.
    bbox : ``(west, south, east, north)`` in ``bbox_crs`` (default: CRS84 longitude/latitude).
    filter : CQL2 text, or ``{column: value}`` (a list means IN) turned into CQL2 text.
    crs : CRS to ask the server for (Part 2); default CRS84.
    limit : features per page; pages are followed through their ``next`` links.

    Examples
    --------
    >>> pipes = read_api("http://localhost:5000", "water_pipe", crs="EPSG:5899")  # doctest: +SKIP
    """
    params: dict[str, Any] = {"f": "json", "limit": int(limit)}
    if bbox is not None:
        params["bbox"] = ",".join(repr(float(v)) for v in bbox)
        if bbox_crs is not None:
            params["bbox-crs"] = _crs_uri(bbox_crs)
    if filter:
        params["filter"] = filter if isinstance(filter, str) else cql2_text(filter)
        params["filter-lang"] = "cql2-text"
    if crs is not None:
        params["crs"] = _crs_uri(crs)
    output_crs = CRS.from_user_input(crs if crs is not None else "OGC:CRS84")
    features, _pages = fetch_features(url, collection, params, timeout)
    frame = features_frame(features, output_crs)
    cat = catalog(settings)
    if collection in cat.layers:
        layer = cat.get(collection)
        return typed_frame(frame, layer, cat.code_lists_of(layer), output_crs, names=names, lang=lang)
    result = gpd.GeoDataFrame(frame.drop(columns=[ID_COLUMN]), geometry="geometry", crs=output_crs)
    result.index = pd.Index(frame[ID_COLUMN], name=ID_COLUMN)
    return result
