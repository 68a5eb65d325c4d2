"""Pydantic validation errors in words a catalog editor can act on: which key, where, what would fit.

``attributes[3] (so_to).minimum: Input should be a valid number (got 'fifteen')`` rather than pydantic's
``attributes.3.minimum`` and its URL; an unknown key gets a "did you mean" from the model's own fields.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel


def describe(model: type[BaseModel], data: Any, error: Any) -> str:
    """A pydantic error as a sentence: which key, where in the file, what is wrong and what would fit."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return f"unknown key {key!r}{_in(data, loc[:-1])} ({hint})"
    if kind == "missing":
        return f"missing required key {str(loc[-1])!r}{_in(data, loc[:-1])}"
    message = error["msg"].removeprefix("Value error, ")
    if kind in ("model_type", "dict_type"):
        return (
            f"{_path(data, loc) or 'the file'} should be a mapping of keys to values, not {error['input']!r}"
        )
    if loc and "input" in error and not isinstance(error["input"], dict | list):
        return f"{_path(data, loc)}: {message} (got {error['input']!r})"
    return f"{_path(data, loc)}: {message}" if loc else message


def without_explained_missing(model: type[BaseModel], errors: list) -> list:
    """Drop "missing 'type'" when the same mapping has an unknown 'typ': one typo, one message."""
    misspelt = set()
    for e in errors:
        if e["type"] == "extra_forbidden":
            parent = tuple(e["loc"][:-1])
            close = difflib.get_close_matches(str(e["loc"][-1]), _fields_at(model, parent), n=1)
            misspelt.update((parent, name) for name in close)
    return [
        e for e in errors if not (e["type"] == "missing" and (tuple(e["loc"][:-1]), e["loc"][-1]) in misspelt)
    ]


def _in(data: Any, loc: tuple) -> str:
    where = _path(data, loc)
    return f" in {where}" if where else ""


def _path(data: Any, loc: tuple) -> str:
    """``attributes[3] (so_to).type``: indexes with the item's name, so a reader finds it without counting."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
            label = next((node[k] for k in _LABELS if isinstance(node, dict) and k in node), None)
            parts.append(f"[{step}]" + (f" ({label})" if label is not None else ""))
        elif isinstance(node, dict):  # a key, present or missing
            parts.append(("." if parts else "") + step)
            node = node.get(step)
        # else: a pydantic union tag such as 'str' on a scalar; not part of the file's structure
    return "".join(parts)


_LABELS = ("name", "id", "code", "rule")


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Keys allowed at ``loc``, found by walking the model's field annotations."""
    current: Any = model
    for step in loc:
        if isinstance(step, int):
            continue
        fields = getattr(current, "model_fields", {})
        if step not in fields:
            return []
        current = _model_in(fields[step].annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
