"""Everything we change in pygeoapi's behaviour, in one place, applied to its Flask app without forking it.

1. Conformance: declare OGC API Features Part 3 (``filter``, ``features-filter``) and the CQL2 classes our
   provider implements and the test suite exercises, so QGIS and GDAL send filters to the server; withdraw
   Part 4 (create/replace/delete), since the published views are read-only.
2. Request state: hand the provider the raw query (for its keyset ``next`` link and the bbox polygon).
3. Responses: ``/queryables`` and ``/schema`` carry the catalog's property schema in the request's language
   and the layer's geometry type; a last page loses the offset-based ``next`` link pygeoapi adds when it
   cannot know that the provider has no more features; features are served as ``application/geo+json``.
4. OpenAPI: the items operation documents ``cursor``, ``filter``, ``filter-lang``, ``filter-crs`` and,
   for layers with a validity period, ``datetime``.
5. Speed: pygeoapi's bbox and filter reprojection use cached PROJ transformers (``crs_cache``), same results.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request
from pygeoapi.api import itemtypes

from danang_sdi.catalog.models import GeometryType
from danang_sdi.publish import crs_cache, request_state
from danang_sdi.publish.fields import DEFAULT_LANGUAGE, geometry_format, localize

FEATURES_3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"
ADDED_CONFORMANCE = [
    f"{FEATURES_3}/filter",
    f"{FEATURES_3}/features-filter",
    f"{CQL2}/advanced-comparison-operators",
    f"{CQL2}/basic-spatial-functions",
    f"{CQL2}/basic-spatial-functions-plus",
    f"{CQL2}/spatial-functions",
]
WITHDRAWN_CONFORMANCE = ["http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete"]

QUERYABLES_ENDPOINT = "pygeoapi.collection_queryables"
SCHEMA_ENDPOINT = "pygeoapi.collection_schema"
ITEMS_ENDPOINT = "pygeoapi.collection_items"
GEOJSON = "application/geo+json"


def cache_transformers() -> None:
    """Replace the two per-request ``Transformer.from_crs`` calls of pygeoapi's items handler."""
    itemtypes.transform_bbox = crs_cache.transform_bbox
    itemtypes.modify_pygeofilter = crs_cache.modify_pygeofilter


def declare_conformance() -> None:
    """Amend pygeoapi's list of feature conformance classes (read at each ``/conformance`` request)."""
    classes = itemtypes.CONFORMANCE_CLASSES_FEATURES
    for uri in WITHDRAWN_CONFORMANCE:
        while uri in classes:
            classes.remove(uri)
    classes.extend(uri for uri in ADDED_CONFORMANCE if uri not in classes)


def install(app: Flask, config: dict[str, Any]) -> None:
    """Apply the extensions to pygeoapi's Flask ``app`` serving ``config``."""
    declare_conformance()
    cache_transformers()
    base_url = str(config["server"]["url"]).rstrip("/")
    resources = config["resources"]

    @app.before_request
    def _open_state() -> None:
        state = request_state.RequestState(base_url, request.path, list(request.args.items(multi=True)))
        request.environ["danang_sdi.state_token"] = request_state.begin(state)
        request.environ["danang_sdi.state"] = state

    @app.teardown_request
    def _close_state(_error) -> None:
        token = request.environ.pop("danang_sdi.state_token", None)
        if token is not None:
            request_state.end(token)

    @app.after_request
    def _amend(response: Response) -> Response:
        if response.status_code != 200 or not _is_json(response):
            return response
        endpoint = request.endpoint
        collection = (request.view_args or {}).get("collection_id")
        provider = _feature_provider(resources.get(collection))
        if provider is None:
            return response
        if endpoint in (QUERYABLES_ENDPOINT, SCHEMA_ENDPOINT):
            language = _language(response)
            document = json.loads(response.get_data())
            amend_schema(document, provider, language, queryables=endpoint == QUERYABLES_ENDPOINT)
            response.set_data(json.dumps(document, ensure_ascii=False))
        elif endpoint == ITEMS_ENDPOINT:
            if request.environ["danang_sdi.state"].last_page:
                document = json.loads(response.get_data())
                document["links"] = [link for link in document.get("links", []) if link.get("rel") != "next"]
                response.set_data(json.dumps(document, separators=(",", ":")))
            if _media_type(response) == "application/json":
                response.headers["Content-Type"] = GEOJSON
        return response


def _media_type(response: Response) -> str:
    """pygeoapi replaces the headers with a plain dict, so read Content-Type from it directly."""
    return str(response.headers.get("Content-Type", "")).split(";")[0].strip()


def _is_json(response: Response) -> bool:
    media_type = _media_type(response)
    return media_type == "application/json" or media_type.endswith("+json")


def _language(response: Response) -> str:
    return (response.headers.get("Content-Language") or DEFAULT_LANGUAGE)[:2].lower()


def _feature_provider(resource: dict[str, Any] | None) -> dict[str, Any] | None:
    if not resource:
        return None
    return next(
        (p for p in resource.get("providers", []) if p.get("type") == "feature" and "fields" in p),
        None,
    )


def amend_schema(document: dict[str, Any], provider: dict[str, Any], language: str, queryables: bool) -> None:
    """The catalog's property schemas (titles in ``language``) and the typed primary geometry."""
    fields = localize(provider["fields"], language)
    properties: dict[str, Any] = {
        "geometry": {
            "title": "Hình học" if language == DEFAULT_LANGUAGE else "Geometry",
            "format": geometry_format_of(provider),
            "x-ogc-role": "primary-geometry",
        }
    }
    for name, schema in fields.items():
        if queryables:
            schema = {k: v for k, v in schema.items() if k not in ("x-ogc-propertySeq", "readOnly")}
        properties[name] = schema
    document["properties"] = properties
    if queryables:
        document["additionalProperties"] = False


def geometry_format_of(provider: dict[str, Any]) -> str:
    return geometry_format(GeometryType(provider["geometry_type"]))


def amend_openapi(document: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Document our extra items parameters in pygeoapi's generated OpenAPI description."""
    extra = [
        _parameter(
            "cursor", "Where the page starts: copy it from the 'next' link (keyset paging).", "string"
        ),
        _parameter("filter", "CQL2 text filter (OGC API Features Part 3), e.g. loai_dat = 'ODT'.", "string"),
        _parameter("filter-lang", "Language of filter.", "string", enum=["cql2-text", "cql-text"]),
        _parameter("filter-crs", "CRS of the filter's geometries (default CRS84).", "string"),
    ]
    for collection_id, resource in config["resources"].items():
        provider = _feature_provider(resource)
        path = document.get("paths", {}).get(f"/collections/{collection_id}/items", {})
        if provider is None or "get" not in path:
            continue
        parameters = path["get"].setdefault("parameters", [])
        names = {p.get("name") for p in parameters if isinstance(p, dict)}
        wanted = list(extra)
        if provider.get("temporal"):
            wanted.append(
                _parameter(
                    "datetime", "Features valid at an instant or during an interval (RFC 3339).", "string"
                )
            )
        parameters.extend(p for p in wanted if p["name"] not in names)
    return document


def _parameter(name: str, description: str, kind: str, enum: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    if enum:
        schema["enum"] = enum
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
    }
