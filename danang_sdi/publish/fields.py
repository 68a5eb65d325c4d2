"""The JSON Schema of a layer's published properties, from the catalog (OGC API Features Part 5 ``/schema``).

Types and formats follow the catalog's attribute types, code lists become ``enum``, bounds and patterns carry
over, and titles and descriptions stay bilingual (``{"vi": ..., "en": ...}``) until a response picks the
request's language with ``localize``. Only public attributes appear: the same list as the ``sdi_pub`` views.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from danang_sdi.catalog.models import Attribute, AttributeType, CodeList, GeometryType, Layer
from danang_sdi.store.layer_tables import ID_COLUMN

JSON_TYPES: dict[AttributeType, tuple[str, str | None]] = {
    AttributeType.text: ("string", None),
    AttributeType.integer: ("integer", None),
    AttributeType.number: ("number", None),
    AttributeType.boolean: ("boolean", None),
    AttributeType.date: ("string", "date"),
    AttributeType.datetime: ("string", "date-time"),
}

ID_TITLE = {"vi": "Mã đối tượng", "en": "Feature id"}

DEFAULT_LANGUAGE = "vi"


def geometry_format(geometry: GeometryType) -> str:
    """Part 5 format of the primary geometry, e.g. ``geometry-multipolygon``."""
    return f"geometry-{geometry.value.lower()}"


def attribute_schema(attribute: Attribute, code_list: Callable[[str], CodeList]) -> dict[str, Any]:
    json_type, json_format = JSON_TYPES[attribute.type]
    schema: dict[str, Any] = {"type": json_type}
    if json_format:
        schema["format"] = json_format
    schema["title"] = {"vi": attribute.title.vi, "en": attribute.title.en}
    if attribute.description:
        schema["description"] = {"vi": attribute.description.vi, "en": attribute.description.en}
    enum = _enum(attribute, code_list)
    if enum:
        schema["enum"] = enum
    if attribute.max_length:
        schema["maxLength"] = attribute.max_length
    if attribute.minimum is not None:
        schema["minimum"] = attribute.minimum
    if attribute.maximum is not None:
        schema["maximum"] = attribute.maximum
    if attribute.pattern and not enum:
        schema["pattern"] = attribute.pattern
    if attribute.unit:
        schema["x-ogc-unit"] = attribute.unit
    return schema


def _enum(attribute: Attribute, code_list: Callable[[str], CodeList]) -> list[Any] | None:
    """Allowed values; none when one value may hold several codes (``separator``)."""
    if attribute.separator:
        return None
    if attribute.enum:
        return list(attribute.enum)
    codes = [c.code for list_id in attribute.code_list_ids for c in code_list(list_id).codes]
    return list(dict.fromkeys(codes)) or None


def layer_fields(layer: Layer, code_list: Callable[[str], CodeList]) -> dict[str, dict[str, Any]]:
    """Property name → schema, feature id first, in catalog order (``x-ogc-propertySeq``)."""
    fields: dict[str, dict[str, Any]] = {
        ID_COLUMN: {"type": "integer", "title": dict(ID_TITLE), "x-ogc-role": "id", "readOnly": True}
    }
    for attribute in layer.published_attributes:
        fields[attribute.name] = attribute_schema(attribute, code_list)
    if layer.temporal and layer.temporal.start in fields:
        role = "primary-interval-start" if layer.temporal.end else "primary-instant"
        fields[layer.temporal.start]["x-ogc-role"] = role
        if layer.temporal.end and layer.temporal.end in fields:
            fields[layer.temporal.end]["x-ogc-role"] = "primary-interval-end"
    for seq, schema in enumerate(fields.values(), start=1):
        schema["x-ogc-propertySeq"] = seq
    return fields


def localize(value: Any, language: str) -> Any:
    """Pick one language out of ``{"vi": ..., "en": ...}`` texts, recursively; Vietnamese by default."""
    if isinstance(value, Mapping):
        if set(value) == {"vi", "en"} and all(isinstance(v, str) for v in value.values()):
            return value.get(language) or value[DEFAULT_LANGUAGE]
        return {k: localize(v, language) for k, v in value.items()}
    if isinstance(value, list):
        return [localize(v, language) for v in value]
    return value
