"""Turn source values into the catalog's attribute types, column by column, and say which ones would not go.

Surveyors' files store numbers as text ("12"), codes as numbers (20242.0), dates as "05/01/2024". Every
value that has an unambiguous reading in the attribute's type is converted; the others become null in
the typed column and are flagged, so that ``field.type`` can name them and later rules see clean types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from danang_sdi.catalog.models import Attribute, AttributeType

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "có", "co", "x", "đúng", "dung"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "không", "khong", "sai"})
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d")  # after ISO 8601
LOCAL_TIME = "Asia/Ho_Chi_Minh"  # a date-time written without an offset is Đà Nẵng's clock (UTC+7)
INT64_END = 2.0**63  # integers are int64 (bigint in the store): whole floats under 2**63 in size fit
TYPE_WORDS = {
    AttributeType.text: ("văn bản", "text"),
    AttributeType.integer: ("số nguyên", "an integer"),
    AttributeType.number: ("số", "a number"),
    AttributeType.boolean: ("giá trị đúng/sai", "a true/false value"),
    AttributeType.date: ("ngày (YYYY-MM-DD)", "a date (YYYY-MM-DD)"),
    AttributeType.datetime: ("ngày giờ (ISO 8601)", "a date and time (ISO 8601)"),
}


@dataclass(frozen=True)
class Coerced:
    """A column in its catalog type, and where the source value could not be read in that type."""

    values: pd.Series
    bad: np.ndarray  # bool per row: a value was there but is not of the attribute's type


def is_blank(values: pd.Series) -> np.ndarray:
    """Null, NaN, or text that is empty once trimmed."""
    blank = values.isna().to_numpy(dtype=bool)
    if _is_text(values):
        return blank | _is_empty(values.astype("str").str.strip())
    return blank


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values.dtype) or values.dtype == object


def _arrow_text(values: pd.Series) -> pa.ChunkedArray | None:
    """The pyarrow array behind a text column (pandas' default ``str``), or None for other storage.

    Arrow kernels on it skip the pandas layer (NaN semantics, masks, copies), which costs more than the
    kernel itself on a few hundred thousand values.
    """
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return pa.array(values.array)  # the column's own chunks, not a copy
    return None


def _is_empty(text: pd.Series) -> np.ndarray:
    """Per row: the text is "" (null is not empty)."""
    arrow = _arrow_text(text)
    if arrow is None:
        return text.eq("").to_numpy(dtype=bool, na_value=False)
    empty = pc.equal(pc.binary_length(arrow), 0)  # "" is the only text of 0 bytes
    if not pc.any(empty).as_py():  # the usual case, and much cheaper than building the mask
        return np.zeros(len(text), dtype=bool)
    return pc.fill_null(empty, False).to_numpy(zero_copy_only=False)


def _as_text(values: pd.Series) -> pd.Series:
    """Text of any column: whole floats lose their ``.0`` (codes read as numbers), dates become ISO."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("str").where(values.notna())
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values % 1 == 0) & (values.abs() < INT64_END)  # 1e20 stays "1e+20"
        text = values.astype("str")
        text[whole] = values[whole].astype("int64").astype("str")
        return text.where(values.notna())
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype("str").where(values.notna())
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.strftime("%Y-%m-%d").where(values.notna())
    text = values.astype("str").str.strip()
    drop = _is_empty(text) | (values.isna().to_numpy(dtype=bool) & text.notna().to_numpy(dtype=bool))
    return text.where(~drop) if drop.any() else text  # most columns have nothing to drop: skip the copy


def _per_distinct(text: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``parse(text)``, calling ``parse`` once per distinct value instead of once per row.

    A column repeats few values (sheet numbers, dates, yes/no), and parsing text costs far more than finding
    the distinct values. ``parse`` must treat each value on its own.
    """
    row_value, distinct = pd.factorize(text)  # -1: null
    parsed = parse(pd.Series(distinct, dtype=text.dtype))
    typed = pd.api.extensions.take(parsed.array, row_value, allow_fill=True)  # -1 becomes null
    return pd.Series(typed, index=text.index, name=text.name)


def _as_number(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    return _per_distinct(_as_text(values), _parse_number)


def _parse_number(text: pd.Series) -> pd.Series:
    text = text.str.replace(",", ".", regex=False)  # 12,5 as written in Vietnam
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _as_boolean(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    return _per_distinct(_as_text(values), _parse_boolean)


def _parse_boolean(text: pd.Series) -> pd.Series:
    words = text.str.casefold()
    result = pd.Series(pd.NA, index=text.index, dtype="boolean")
    result[words.isin(TRUE_WORDS).to_numpy(dtype=bool)] = True
    result[words.isin(FALSE_WORDS).to_numpy(dtype=bool)] = False
    return result


def _as_datetime(values: pd.Series, *, date_only: bool) -> pd.Series:
    """A date: the day as written (naive, at midnight), whatever its offset. A datetime: an instant in UTC,
    read on Đà Nẵng's clock where the value has no offset."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _per_distinct(_as_text(values), partial(_parse_datetime, date_only=date_only))
    if date_only:
        return (values.dt.tz_localize(None) if values.dt.tz is not None else values).dt.normalize()
    return values.dt.tz_convert("UTC") if values.dt.tz is not None else _on_local_clock(values)


def _on_local_clock(naive: pd.Series) -> pd.Series:
    return naive.dt.tz_localize(LOCAL_TIME).dt.tz_convert("UTC")


def _parse_datetime(text: pd.Series, *, date_only: bool) -> pd.Series:
    """ISO 8601 first, then the day-first and compact forms, each only for what is still unread."""
    if date_only:
        result = _iso_wall_time(text)
    else:  # values with an offset are instants; the others are read on the local clock
        result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
        offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True, na=False)
        result[offset] = pd.to_datetime(text[offset], format="ISO8601", utc=True, errors="coerce")
        result[~offset] = _on_local_clock(_iso_wall_time(text[~offset]))
    for fmt in DATE_FORMATS:
        todo = result.isna() & text.notna()
        if not todo.any():
            break
        read = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        result[todo] = read if date_only else _on_local_clock(read)
    return result.dt.normalize() if date_only else result


def _iso_wall_time(text: pd.Series) -> pd.Series:
    """ISO 8601 as the clock read where it was written: 2024-01-05T01:00+07:00 is 5 January, not the 4th."""
    try:
        result = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:  # offsets differ between values ("Z", "+07:00", none): read each one on its own
        return pd.Series([_one_wall_time(value) for value in text], index=text.index, dtype="datetime64[us]")
    return result.dt.tz_localize(None) if result.dt.tz is not None else result


def _one_wall_time(value: str) -> pd.Timestamp:
    try:
        return pd.to_datetime(value, format="ISO8601").tz_localize(None)
    except ValueError:  # includes out of bounds
        return pd.NaT


def _not_int64(number: np.ndarray) -> np.ndarray:
    """Not a whole number that int64 holds: 4.5, ±inf, 1e20, but not NaN; trunc is cheaper than ``x % 1``."""
    with np.errstate(invalid="ignore"):
        return ~np.isnan(number) & ((np.trunc(number) != number) | ~(np.abs(number) < INT64_END))


def coerce(values: pd.Series, attribute: Attribute) -> Coerced:
    """Convert one source column to ``attribute.type``; blanks become null and are not "bad".

    Examples
    --------
    >>> from danang_sdi.catalog.models import Attribute, Text
    >>> a = Attribute(name="so_thua", title=Text(vi="x", en="x"), type="integer")
    >>> c = coerce(pd.Series(["12", "12a", "", "4.5"]), a)
    >>> c.values.tolist(), c.bad.tolist()
    ([12, <NA>, <NA>, <NA>], [False, True, False, True])
    """
    kind = attribute.type
    if kind is AttributeType.text:  # any value reads as text: nothing is bad, blanks need no finding
        return Coerced(_as_text(values), np.zeros(len(values), dtype=bool))
    blank = is_blank(values)
    if kind in (AttributeType.integer, AttributeType.number):
        number = _as_number(values)
        bad = number.isna().to_numpy(dtype=bool) & ~blank
        if kind is AttributeType.integer:
            not_int = _not_int64(number.to_numpy())
            if not_int.any():
                bad |= not_int
                number = number.mask(not_int)
            typed = number.astype("Int64")
        else:
            typed = number
        return Coerced(typed, bad)
    if kind is AttributeType.boolean:
        typed = _as_boolean(values)
    else:
        typed = _as_datetime(values, date_only=kind is AttributeType.date)
    return Coerced(typed, typed.isna().to_numpy(dtype=bool) & ~blank)
