"""The JSON Schema of a layer file (``layers/schema.json``), for editors and for other tools.

Generated from the pydantic model, with every key described from ``reference.KEYS``.
"""

from __future__ import annotations

import json
from typing import Any

from danang_sdi.catalog.models import Layer
from danang_sdi.catalog.reference import KEYS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def layer_schema() -> dict[str, Any]:
    """The JSON Schema of ``layers/<id>.yml``.

    Examples
    --------
    >>> layer_schema()["properties"]["storage_crs"]["default"]
    'EPSG:5899'
    """
    schema = Layer.model_json_schema(mode="validation")
    definitions = schema.get("$defs", {})
    for model, docs in KEYS.items():
        target = schema if model is Layer else definitions.get(model.__name__)
        if target is None:
            continue
        for name, text in docs.items():
            if name in target.get("properties", {}):
                target["properties"][name]["description"] = text
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Đà Nẵng SDI catalog layer (layers/<id>.yml)",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def layer_schema_json() -> str:
    """``layer_schema()`` as stable, readable JSON text ending in a newline."""
    return json.dumps(layer_schema(), indent=2, ensure_ascii=False) + "\n"
