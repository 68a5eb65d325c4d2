"""The vectorised binary COPY encoder against psycopg's own encoder and the real PostGIS."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from psycopg import sql
from psycopg.copy import LibpqWriter

from danang_sdi.store.copy_binary import COPY_HEADER, COPY_TRAILER, copy_bytes, copy_chunks
from danang_sdi.store.database import connect

pytestmark = pytest.mark.postgis

UTC = dt.UTC
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TYPES = ["int4", "int8", "float8", "bool", "text", "date", "timestamptz", "bytea"]

# Every type, a NULL in every column, extremes, Vietnamese text, empty values, dates before 2000.
ROWS: list[tuple] = [
    (1, 2**62, 1.5, True, "Đà Nẵng", dt.date(1999, 12, 31), dt.datetime(2024, 5, 1, 7, 30, tzinfo=HCM), b"\x01\x00"),
    (-(2**31), -(2**63), -0.25, False, "", dt.date(1900, 1, 1), dt.datetime(1969, 7, 20, 20, 17, 40, 123456, tzinfo=UTC), b""),
    (None, None, None, None, None, None, None, None),
    (2**31 - 1, 2**63 - 1, math.inf, True, "Hội An – phố cổ\tTab\nnewline\\", dt.date(2000, 1, 1), dt.datetime(2000, 1, 1, tzinfo=UTC), b"\x00\x00"),
    (0, -1, -1e-300, False, "😀 ngõ 12/3", dt.date(1, 1, 1), dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), bytes(range(256))),
    (-5, 0, 0.0, None, "Sơn Trà", dt.date(2038, 1, 19), dt.datetime(2262, 4, 11, tzinfo=HCM), None),
]  # fmt: skip


def frame_columns(rows: list[tuple]) -> list[tuple[str, object]]:
    """The rows as typical pandas columns (nullable dtypes, NaN/NaT for missing)."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(TYPES)
    stamps = pd.Series(
        [pd.NaT if v is None else pd.Timestamp(v) for v in cols[6]], dtype="datetime64[us, UTC]"
    )
    return [
        ("int4", pd.Series(cols[0], dtype="Int32")),
        ("int8", pd.Series(cols[1], dtype="Int64")),
        ("float8", pd.Series([math.nan if v is None else v for v in cols[2]], dtype="float64")),
        ("bool", pd.Series(cols[3], dtype="boolean")),
        ("text", pd.Series(cols[4], dtype="str")),
        ("date", pd.Series(cols[5], dtype=object)),
        ("timestamptz", stamps.dt.tz_convert(HCM)),
        ("bytea", np.array(cols[7], dtype=object)),
    ]


class CapturingWriter(LibpqWriter):
    """Sends the COPY data to the server and keeps a copy of it."""

    def __init__(self, cursor):
        super().__init__(cursor)
        self.data = bytearray()

    def write(self, data) -> None:
        self.data += data
        super().write(data)


def create_table(conn, name: str, types: list[str]) -> sql.Composed:
    columns = [sql.SQL("c{} {}").format(sql.SQL(str(i)), sql.SQL(t)) for i, t in enumerate(types)]
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} ({})").format(sql.Identifier(name), sql.SQL(", ").join(columns))
    )
    return sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(sql.Identifier(name))


def copy_ours(conn, statement, columns, rows_per_chunk: int = 20_000) -> tuple[bytes, int]:
    """COPY our stream chunk by chunk; the bytes the server got and the number of pieces."""
    with conn.cursor() as cur:
        writer = CapturingWriter(cur)
        chunks = list(copy_chunks(columns, rows_per_chunk))
        with cur.copy(statement, writer=writer) as copy:
            for chunk in chunks:
                copy.write(chunk)
    return bytes(writer.data), len(chunks)


def copy_psycopg(conn, statement, types: list[str], rows: list[tuple]) -> bytes:
    with conn.cursor() as cur:
        writer = CapturingWriter(cur)
        with cur.copy(statement, writer=writer) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
    return bytes(writer.data)


def read_back(conn, name: str) -> list[tuple]:
    conn.execute("SET TIME ZONE 'UTC'")
    return conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(name))).fetchall()


def same_rows(got: list[tuple], expected: list[tuple]) -> bool:
    """Equal values; datetimes compared as instants (the server answers in its own zone)."""
    return [tuple(map(_plain, row)) for row in got] == [tuple(map(_plain, row)) for row in expected]


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def test_bytes_equal_psycopg_and_round_trip(db_settings):
    with connect(db_settings) as conn:
        ours_sql = create_table(conn, "ours", TYPES)
        theirs_sql = create_table(conn, "theirs", TYPES)
        ours, _ = copy_ours(conn, ours_sql, frame_columns(ROWS))
        theirs = copy_psycopg(conn, theirs_sql, TYPES, ROWS)
        assert ours == theirs
        assert ours == copy_bytes(frame_columns(ROWS))
        assert same_rows(read_back(conn, "ours"), ROWS)
        assert same_rows(read_back(conn, "theirs"), ROWS)


def test_many_rows_in_several_chunks_equal_psycopg(db_settings):
    """Random values with random NULLs, in chunks that do not divide the row count."""
    rng = np.random.default_rng(5899)
    n = 3_001
    null = rng.random((len(TYPES), n)) < 0.2
    null[:, :50] = False  # the first chunk has no NULL at all: the fixed-width fast path
    words = np.array(["Liên Chiểu", "Thanh Khê", "", "Ngũ Hành Sơn", "Cẩm Lệ", "Hòa Vang"])
    values = [
        rng.integers(-(2**31), 2**31, n).tolist(),
        rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64).tolist(),
        rng.normal(0, 1e6, n).tolist(),
        (rng.random(n) < 0.5).tolist(),
        [w + str(i) * (i % 3) for i, w in enumerate(rng.choice(words, n))],
        [dt.date(1850, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 80_000, n)],
        [dt.datetime(1950, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=int(u)) for u in rng.integers(0, 3 * 10**15, n)],
        [rng.bytes(int(k)) for k in rng.integers(0, 200, n)],
    ]  # fmt: skip
    rows = [tuple(None if null[c, r] else values[c][r] for c in range(len(TYPES))) for r in range(n)]
    with connect(db_settings) as conn:
        ours_sql = create_table(conn, "ours", TYPES)
        theirs_sql = create_table(conn, "theirs", TYPES)
        ours, pieces = copy_ours(conn, ours_sql, frame_columns(rows), rows_per_chunk=1_000)
        assert pieces == 1 + 4 + 1  # header, 4 chunks, trailer
        assert ours == copy_psycopg(conn, theirs_sql, TYPES, rows)
        assert same_rows(read_back(conn, "ours"), rows)


def test_round_trip_in_chunks_smaller_than_the_rows(db_settings):
    with connect(db_settings) as conn:
        statement = create_table(conn, "chunked", TYPES)
        data, pieces = copy_ours(conn, statement, frame_columns(ROWS), rows_per_chunk=4)
        assert pieces == 4 and data.startswith(COPY_HEADER) and data.endswith(COPY_TRAILER)
        assert same_rows(read_back(conn, "chunked"), ROWS)


def test_zero_rows(db_settings):
    assert list(copy_chunks(frame_columns([]))) == [COPY_HEADER, COPY_TRAILER]
    assert copy_bytes([]) == COPY_HEADER + COPY_TRAILER
    with connect(db_settings) as conn:
        ours, _ = copy_ours(conn, create_table(conn, "ours", TYPES), frame_columns([]))
        assert ours == copy_psycopg(conn, create_table(conn, "theirs", TYPES), TYPES, [])
        assert read_back(conn, "ours") == []


def test_other_input_shapes(db_settings):
    """Lists, numpy, Arrow and pandas flavours; naive times are UTC, nanoseconds are floored."""
    stamps = pd.to_datetime(["1969-12-31 23:59:59.9999995", None, "2024-02-29 12:00:00.000001999"])
    columns = [
        ("int4", np.array([7, -7, 0], dtype=np.int16)),
        ("int8", pd.Series([3.0, None, -4.0])),  # integers that became floats through NaN
        ("float8", pa.chunked_array([[1.25], [None, math.nan]])),
        ("bool", [True, None, False]),
        ("text", pd.Series([12, None, "x"], dtype=object)),  # numbers among strings
        ("text", pd.Series(["a", "b", "a"], dtype="category")),
        ("date", pd.Series(stamps)),
        ("date", pa.array(["2001-02-03", None, "1999-12-31"])),
        ("timestamptz", pd.Series(stamps)),  # naive, nanoseconds
        ("timestamptz", [dt.datetime(2020, 1, 1, 7, tzinfo=HCM), None, dt.datetime(1999, 1, 2)]),
        ("bytea", pa.array([b"\x00", None, b"wkb"], pa.binary())),
        ("geometry", [None, None, None]),
    ]
    expected = [
        (7, 3, 1.25, True, "12", "a", dt.date(1969, 12, 31), dt.date(2001, 2, 3),
         dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), dt.datetime(2020, 1, 1, tzinfo=UTC),
         b"\x00", None),
        (-7, None, None, None, None, "b", None, None, None, None, None, None),
        (0, -4, None, False, "x", "a", dt.date(2024, 2, 29), dt.date(1999, 12, 31),
         dt.datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=UTC), dt.datetime(1999, 1, 2, tzinfo=UTC), b"wkb", None),
    ]  # fmt: skip
    types = ["int4", "int8", "float8", "bool", "text", "text", "date", "date", "timestamptz", "timestamptz"]
    with connect(db_settings) as conn:
        statement = create_table(conn, "shapes", [*types, "bytea", "geometry"])
        copy_ours(conn, statement, columns)
        assert same_rows(read_back(conn, "shapes"), expected)


def test_multipolygon_geometry_from_ewkb(db_settings):
    square = shapely.box(545_000, 1_775_000, 545_100, 1_775_100)
    shapes = [
        shapely.MultiPolygon([square]),
        shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.Polygon([(2, 2), (3, 2), (3, 3.5), (2, 2)])]),
        None,
        shapely.MultiPolygon([square.buffer(10, quad_segs=32)]),
    ]
    ewkb = shapely.to_wkb(shapely.set_srid(np.array(shapes, dtype=object), 5899), include_srid=True)
    assert ewkb[2] is None
    with connect(db_settings) as conn:
        statement = create_table(conn, "parcels", ["int4", "geometry(MultiPolygon, 5899)"])
        copy_ours(conn, statement, [("int4", range(len(shapes))), ("geometry", ewkb)])
        got = conn.execute(
            "SELECT ST_AsText(c1), ST_SRID(c1), ST_AsEWKB(c1) FROM parcels ORDER BY c0"
        ).fetchall()
    assert [row[1] for row in got] == [5899, 5899, None, 5899]
    for shape, (text, _srid, back), sent in zip(shapes, got, ewkb, strict=True):
        if shape is None:
            assert text is None and back is None
        else:
            assert shapely.from_wkt(text).equals_exact(shape, 0) and bytes(back) == sent


def test_bad_columns_raise_value_error():
    with pytest.raises(ValueError, match="unsupported COPY type 'int2'"):
        copy_chunks([("int2", [1])])
    with pytest.raises(ValueError, match="different lengths"):
        copy_chunks([("int4", [1, 2]), ("text", ["a"])])
    with pytest.raises(ValueError, match="rows_per_chunk"):
        copy_chunks([("int4", [1])], rows_per_chunk=0)
    with pytest.raises(ValueError):  # does not fit: raised before any COPY starts
        copy_chunks([("int4", [2**31])])
    with pytest.raises(ValueError):
        copy_chunks([("int8", [2.5])])
