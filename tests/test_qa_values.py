"""Source values to catalog types: what converts, what is flagged for field.type, what counts as blank."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from danang_sdi.catalog.models import Attribute, Text
from danang_sdi.qa import values
from danang_sdi.qa.values import coerce

T = Text(vi="x", en="x")


def _attr(kind: str) -> Attribute:
    return Attribute(name="a", title=T, type=kind)


@pytest.mark.parametrize(
    ("kind", "source", "typed", "bad"),
    [
        (
            "integer",
            ["12", "12a", "", None, "4.0", "4.5"],
            [12, None, None, None, 4, None],
            [0, 1, 0, 0, 0, 1],
        ),
        ("integer", [1.0, 2.5, np.nan], [1, None, None], [0, 1, 0]),
        ("number", ["12,5", "x", "3"], [12.5, None, 3.0], [0, 1, 0]),
        ("text", [20242.0, np.nan, 3.5], ["20242", None, "3.5"], [0, 0, 0]),
        ("text", ["  ODT ", " ", None], ["ODT", None, None], [0, 0, 0]),
        ("boolean", ["Có", "không", "maybe", "1"], [True, False, None, True], [0, 0, 1, 0]),
    ],
)
def test_coercion(kind: str, source: list, typed: list, bad: list) -> None:
    result = coerce(pd.Series(source), _attr(kind))
    got = [None if pd.isna(v) else v for v in result.values.tolist()]
    assert got == typed
    assert result.bad.tolist() == [bool(b) for b in bad]


def test_dates_read_iso_and_vietnamese_day_first() -> None:
    result = coerce(pd.Series(["2024-01-05", "05/01/2024", "31/12/2023", "soon", None]), _attr("date"))
    assert [None if pd.isna(v) else v.date().isoformat() for v in result.values] == [
        "2024-01-05", "2024-01-05", "2023-12-31", None, None
    ]  # fmt: skip
    assert result.bad.tolist() == [False, False, False, True, False]


def test_docstring_examples_run() -> None:
    assert doctest.testmod(values).failed == 0


def test_repeated_text_is_read_once_per_value_and_every_row_gets_its_own() -> None:
    index = pd.Index([10, 11, 12, 13, 14, 15, 16])
    source = pd.Series(["05/01/2024", None, "soon", "05/01/2024", " ", "soon", "2024-01-05"], index=index)
    result = coerce(source, _attr("date"))
    assert result.values.index.equals(index)
    assert [None if pd.isna(v) else v.date().isoformat() for v in result.values] == [
        "2024-01-05", None, None, "2024-01-05", None, None, "2024-01-05"
    ]  # fmt: skip
    assert result.bad.tolist() == [False, False, True, False, False, True, False]
    numbers = coerce(pd.Series(["7", "7", None, "7a", "7"], dtype="str"), _attr("integer"))
    assert numbers.values.tolist() == [7, 7, pd.NA, pd.NA, 7]
    assert numbers.bad.tolist() == [False, False, False, True, False]


def test_infinity_is_not_an_integer() -> None:
    result = coerce(pd.Series([np.inf, -np.inf, 3.0, np.nan]), _attr("integer"))
    assert result.values.tolist() == [pd.NA, pd.NA, 3, pd.NA]
    assert result.bad.tolist() == [True, True, False, False]


def test_text_blanks_and_missing_objects_become_null() -> None:
    source = pd.Series([" ODT ", "", "  ", None, pd.NaT, np.nan, 12], dtype=object)
    result = coerce(source, _attr("text"))
    assert [None if pd.isna(v) else v for v in result.values] == ["ODT", None, None, None, None, None, "12"]
    assert not result.bad.any()
    assert values.is_blank(source).tolist() == [False, True, True, True, True, True, False]


def test_whole_numbers_beyond_int64_are_not_integers() -> None:
    result = coerce(pd.Series([1e20, -1e20, np.inf, 3.0, np.nan]), _attr("integer"))
    assert result.values.tolist() == [pd.NA, pd.NA, pd.NA, 3, pd.NA]
    assert result.bad.tolist() == [True, True, True, False, False]
    text = coerce(pd.Series(["1e20", "3", "-inf", "9" * 25]), _attr("integer"))
    assert text.values.tolist() == [pd.NA, 3, pd.NA, pd.NA]
    assert text.bad.tolist() == [True, False, True, True]
    codes = coerce(pd.Series([1e20, 20242.0]), _attr("text"))  # a huge float read as text keeps its value
    assert codes.values.tolist() == ["1e+20", "20242"]


def test_dates_mixing_offsets_and_day_first_read_each_as_written() -> None:
    source = pd.Series(
        ["2024-01-05T10:20:30Z", "05/01/2024", "2024-01-05T01:00:00+07:00", "2024-01-05", "soon", None]
    )
    result = coerce(source, _attr("date"))
    assert [None if pd.isna(v) else v.date().isoformat() for v in result.values] == [
        "2024-01-05", "2024-01-05", "2024-01-05", "2024-01-05", None, None
    ]  # fmt: skip
    assert result.bad.tolist() == [False, False, False, False, True, False]
    same = coerce(pd.Series(["2024-01-05T01:00:00+07:00", "06/01/2024"]), _attr("date"))  # one offset
    assert [v.date().isoformat() for v in same.values] == ["2024-01-05", "2024-01-06"]


def test_datetimes_mixing_offsets_become_utc_and_those_without_one_are_local_time() -> None:
    source = pd.Series(
        ["2024-01-05T10:20:30Z", "2024-01-05T17:20:30+07:00", "05/01/2024", "2024-01-05T10:20:30", "soon"]
    )
    result = coerce(source, _attr("datetime"))
    assert str(result.values.dt.tz) == "UTC"
    assert [None if pd.isna(v) else v.isoformat() for v in result.values] == [
        "2024-01-05T10:20:30+00:00", "2024-01-05T10:20:30+00:00", "2024-01-04T17:00:00+00:00",
        "2024-01-05T03:20:30+00:00", None,
    ]  # fmt: skip
    assert result.bad.tolist() == [False, False, False, False, True]
    typed = pd.Series(pd.to_datetime(["2024-01-05T17:20:30+07:00"]))  # already a datetime in the source
    assert coerce(typed, _attr("datetime")).values.tolist() == [pd.Timestamp("2024-01-05T10:20:30Z")]
    naive = pd.Series(pd.to_datetime(["2024-01-05T17:20:30"]))  # a naive datetime column: Đà Nẵng's clock
    assert coerce(naive, _attr("datetime")).values.tolist() == [pd.Timestamp("2024-01-05T10:20:30Z")]
