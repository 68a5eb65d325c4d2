"""Keyset paging: a page starts strictly after the sort key of the previous page's last feature.

With the default order (feature id) the next page is ``WHERE fid > :last ORDER BY fid LIMIT n``, an index
range scan that costs the same at any depth, where OFFSET reads and throws away every row before the page.
A ``sortby`` adds its keys in front of the id (the tie-breaker); NULLs sort last in both directions. The cursor
is the last key as URL-safe base64 JSON, tied to the sort order it was made for.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, or_


class CursorError(ValueError):
    """Raised when a ``cursor`` parameter was not made by this server for this sort order."""


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class Ordering:
    keys: tuple[SortKey, ...]  # the id is always the last key

    @property
    def signature(self) -> str:
        return ",".join(("-" if k.descending else "") + k.name for k in self.keys)

    def clauses(
        self, columns: Mapping[str, ColumnElement], sort_after_filter: bool = False
    ) -> list[ColumnElement]:
        """ORDER BY clauses. ``sort_after_filter`` hides the id's index from the planner (``fid + 0``): for a
        small spatial selection, sorting its rows beats walking the id index until enough of them turn up."""
        out = []
        for key in self.keys:
            column = columns[key.name]
            if sort_after_filter and not key.nullable:
                column = column + 0
            clause = column.desc() if key.descending else column.asc()
            out.append(clause.nulls_last() if key.nullable else clause)
        return out

    def after(self, columns: Mapping[str, ColumnElement], values: list[Any]) -> ColumnElement:
        """Rows strictly after ``values`` in this order."""
        alternatives = []
        for i, key in enumerate(self.keys):
            value = values[i]
            if value is None:  # NULLs sort last: only ties on this key can still follow
                continue
            column = columns[key.name]
            step = column < value if key.descending else column > value
            if key.nullable:
                step = or_(step, column.is_(None))
            ties = [_equal(columns[k.name], values[j]) for j, k in enumerate(self.keys[:i])]
            alternatives.append(and_(*ties, step))
        return or_(*alternatives)


def _equal(column: ColumnElement, value: Any) -> ColumnElement:
    return column.is_(None) if value is None else column == value


def ordering(sortby: list[dict[str, str]], id_field: str) -> Ordering:
    """pygeoapi's ``sortby`` (``[{"property": ..., "order": "+"|"-"}]``) plus the id as tie-breaker."""
    keys = [SortKey(s["property"], s.get("order") == "-", s["property"] != id_field) for s in sortby]
    if not any(k.name == id_field for k in keys):
        keys.append(SortKey(id_field, False, False))
    return Ordering(tuple(keys))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def encode_cursor(order: Ordering, values: list[Any]) -> str:
    payload = json.dumps({"s": order.signature, "k": [_jsonable(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(token: str, order: Ordering, field_types: Mapping[str, Mapping[str, Any]]) -> list[Any]:
    """The sort key values in ``token``, typed as the fields are; CursorError when it does not fit."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        signature, values = payload["s"], payload["k"]
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise CursorError(
            "cursor is not a value this server produced (follow the 'next' link as given)"
        ) from exc
    if signature != order.signature or not isinstance(values, list) or len(values) != len(order.keys):
        raise CursorError("cursor was made for another sort order (keep sortby unchanged while paging)")
    try:
        return [_typed(v, field_types.get(k.name, {})) for k, v in zip(order.keys, values, strict=True)]
    except (TypeError, ValueError) as exc:
        raise CursorError("cursor holds a value of the wrong type") from exc


def _typed(value: Any, schema: Mapping[str, Any]) -> Any:
    if value is None:
        return None
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("integer expected")
        return value
    if kind == "number":
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TypeError("boolean expected")
        return value
    if fmt == "date":
        return dt.date.fromisoformat(value)
    if fmt == "date-time":
        return dt.datetime.fromisoformat(value)
    if not isinstance(value, str):
        raise TypeError("string expected")
    return value
