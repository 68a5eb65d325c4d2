"""Keyset cursors: round trips, tied to their sort order, and refused when forged or stale."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Date, Float, Integer, MetaData, Table, Text
from sqlalchemy.dialects import postgresql

from danang_sdi.publish import keyset

FIELDS = {
    "fid": {"type": "integer"},
    "so_to": {"type": "integer"},
    "dien_tich": {"type": "number"},
    "dia_chi": {"type": "string"},
    "ngay_cap_nhat": {"type": "string", "format": "date"},
}
TABLE = Table(
    "t",
    MetaData(),
    Column("fid", Integer),
    Column("so_to", Integer),
    Column("dien_tich", Float),
    Column("dia_chi", Text),
    Column("ngay_cap_nhat", Date),
)


def sql(expression) -> str:
    return str(expression.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_default_order_is_the_id_and_pages_by_range():
    order = keyset.ordering([], "fid")
    assert order.signature == "fid"
    assert sql(order.after(TABLE.c, [1234])) == "t.fid > 1234"
    assert [sql(c) for c in order.clauses(TABLE.c)] == ["t.fid ASC"]


def test_sortby_adds_the_id_as_tie_breaker_and_nulls_last():
    order = keyset.ordering([{"property": "dien_tich", "order": "-"}], "fid")
    assert order.signature == "-dien_tich,fid"
    assert [sql(c) for c in order.clauses(TABLE.c)] == ["t.dien_tich DESC NULLS LAST", "t.fid ASC"]
    after = sql(order.after(TABLE.c, [150.5, 42]))
    assert after == "t.dien_tich < 150.5 OR t.dien_tich IS NULL OR t.dien_tich = 150.5 AND t.fid > 42"
    assert sql(order.after(TABLE.c, [None, 42])) == "t.dien_tich IS NULL AND t.fid > 42"


@given(
    so_to=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    area=st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    address=st.one_of(st.none(), st.text()),
    day=st.one_of(st.none(), st.dates()),
    fid=st.integers(min_value=1, max_value=2**63 - 1),
)
def test_cursor_round_trip(so_to, area, address, day, fid):
    sortby = [{"property": p, "order": "+"} for p in ("so_to", "dien_tich", "dia_chi", "ngay_cap_nhat")]
    order = keyset.ordering(sortby, "fid")
    values = [so_to, area, address, day, fid]
    token = keyset.encode_cursor(order, values)
    assert token.isascii() and "=" not in token and "/" not in token and "+" not in token
    assert keyset.decode_cursor(token, order, FIELDS) == values


@pytest.mark.parametrize(
    ("token", "phrase"),
    [
        ("garbage!", "not a value this server produced"),
        ("e30", "not a value this server produced"),  # {}
        (keyset.encode_cursor(keyset.ordering([], "fid"), [5]), "another sort order"),
        (
            keyset.encode_cursor(keyset.Ordering((keyset.SortKey("so_to"), keyset.SortKey("fid"))), ["x", 1]),
            "wrong type",
        ),
    ],
)
def test_bad_cursor_is_refused(token, phrase):
    order = keyset.ordering([{"property": "so_to", "order": "+"}], "fid")
    with pytest.raises(keyset.CursorError, match=phrase):
        keyset.decode_cursor(token, order, FIELDS)


def test_dates_travel_as_iso_text():
    order = keyset.ordering([{"property": "ngay_cap_nhat", "order": "-"}], "fid")
    token = keyset.encode_cursor(order, [dt.date(2024, 8, 1), 7])
    assert keyset.decode_cursor(token, order, FIELDS) == [dt.date(2024, 8, 1), 7]
