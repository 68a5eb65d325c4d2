"""Read a delivery and normalise it before any check: text to UTF-8 NFC, geometry to the storage CRS.

One fast path for every format: GDAL's Arrow stream (pyogrio ``read_arrow``). Shapefile text comes
through undecoded (``ENCODING=""``) so that the encoding is decided from the bytes themselves
(``choose_dbf_encoding``: the .cpg and LDID are honoured only when the bytes agree). The original bytes
of converted text are kept (``SourceFrame.raw``, as Latin-1 strings) for the loader's quarantine.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from danang_sdi.catalog.models import Layer, Severity
from danang_sdi.errors import SourceError
from danang_sdi.sources.encoding import (
    LABELS,
    EncodingGuess,
    choose_dbf_encoding,
    decode_text,
    detect_encoding,
    encoding_from_cpg,
    read_cpg,
)
from danang_sdi.sources.fields import FieldMapping, map_fields
from danang_sdi.sources.georef import CrsResult, normalise_crs
from danang_sdi.sources.notes import Note
from danang_sdi.sources.parts import Dataset, located
from danang_sdi.sources.vietnamese import vietnamese_score

UNCERTAIN_BELOW = 0.5  # encoding confidence under which the report warns
LEGACY_SAMPLE = 2000


@dataclass
class SourceFrame:
    """A delivery read and normalised: the frame plus what was found out on the way, and how."""

    frame: gpd.GeoDataFrame  # source field names, text in UTF-8 NFC, geometry in the storage CRS if known
    path: Path
    label: str  # name used in messages, e.g. "giao_nop.zip/thua_dat.shp"
    driver: str
    source_layer: str | None
    encoding: EncodingGuess
    crs: CrsResult
    mapping: FieldMapping
    raw: pd.DataFrame | None = None  # converted text columns, original bytes as Latin-1 strings
    notes: list[Note] = field(default_factory=list)

    @property
    def encoding_label(self) -> str:
        return LABELS.get(self.encoding.encoding, self.encoding.encoding)

    def to_dict(self) -> dict:
        """The ``source`` block of the JSON report."""
        return {
            "path": str(self.path),
            "dataset": self.label,
            "driver": self.driver,
            "layer": self.source_layer,
            "encoding": self.encoding_label,
            "encoding_reason": self.encoding.reason,
            "encoding_confidence": self.encoding.confidence,
            "crs": self.crs.code,
            "crs_reason": self.crs.reason,
            "crs_reason_vi": self.crs.reason_vi,
            "storage_crs": self.crs.storage_crs,
            "features": len(self.frame),
            "field_mapping": self.mapping.to_dict(),
        }


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__


def _read_table(dataset: Dataset) -> tuple[dict, pa.Table]:
    options = {"ENCODING": ""} if dataset.driver == "ESRI Shapefile" else {}
    try:
        return pyogrio.raw.read_arrow(dataset.path, layer=dataset.layer, **options)
    except Exception as error:  # pyogrio raises DataSourceError, DataLayerError, or GDAL's RuntimeError
        raise SourceError(
            f"{dataset.label}: cannot be read as {dataset.driver} ({_first_line(error)}); "
            "the file may be damaged: export or copy it again"
        ) from None


def _text_columns(table: pa.Table, skip: str) -> list[str]:
    return [
        f.name
        for f in table.schema
        if f.name != skip and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
    ]


def _as_bytes(column: pa.ChunkedArray) -> list[bytes | None]:
    binary = pa.large_binary() if pa.types.is_large_string(column.type) else pa.binary()
    return column.cast(binary).to_pylist()


def _valid_utf8(column: pa.ChunkedArray) -> bool:
    try:
        column.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _decode_column(values: list[bytes | None], encoding: str) -> tuple[pd.Series, int]:
    """Decode one column's bytes; returns the text and how many values had undecodable bytes."""
    cache: dict[bytes, str] = {}
    broken = 0
    out: list[str | None] = []
    for raw in values:
        if raw is None:
            out.append(None)
            continue
        text = cache.get(raw)
        if text is None:
            text = decode_text(raw, encoding, errors="replace", restore_case=True)
            cache[raw] = text
        broken += "\ufffd" in text
        out.append(text)
    return pd.Series(out, dtype="str"), broken


def _shapefile_text(
    dataset: Dataset, table: pa.Table, columns: list[str]
) -> tuple[EncodingGuess, dict[str, pd.Series], pd.DataFrame | None, list[Note]]:
    guess = choose_dbf_encoding(dataset.path)
    notes: list[Note] = []
    name = LABELS.get(guess.encoding, guess.encoding)
    codec = "utf-8" if guess.encoding == "ascii" else guess.encoding
    decoded: dict[str, pd.Series] = {}
    raw: dict[str, pd.Series] = {}
    broken = 0
    for column in columns:
        if codec == "utf-8" and _valid_utf8(table.column(column)):
            decoded[column] = table.column(column).to_pandas().astype("str")  # fast path: no Python loop
            continue
        values = _as_bytes(table.column(column))
        decoded[column], bad = _decode_column(values, codec)
        broken += bad
        if codec != "utf-8" or bad:
            raw[column] = pd.Series([None if v is None else v.decode("latin-1") for v in values], dtype="str")
    if codec not in ("utf-8",):
        notes.append(
            Note(
                "encoding.legacy",
                Severity.warning,
                f"chữ được mã hóa {name} ({guess.reason}); đã chuyển sang Unicode UTF-8 NFC; "
                "lần sau hãy giao nộp bằng UTF-8 (TCVN 6909:2001)",
                f"text is encoded in {name} ({guess.reason}); converted to Unicode UTF-8 NFC; "
                "deliver UTF-8 next time (TCVN 6909:2001)",
            )
        )
    cpg = read_cpg(dataset.path)
    claimed = encoding_from_cpg(cpg) if cpg else None
    if claimed and guess.encoding not in ("ascii", claimed):
        notes.append(
            Note(
                "encoding.mismatch",
                Severity.warning,
                f"tệp .cpg ghi {cpg} nhưng chữ thực tế là {name}; hãy sửa hoặc xóa tệp .cpg",
                f"the .cpg says {cpg} but the text is {name}; correct or delete the .cpg",
            )
        )
    if guess.confidence < UNCERTAIN_BELOW and guess.encoding != "ascii":
        notes.append(
            Note(
                "encoding.uncertain",
                Severity.warning,
                f"không chắc chắn về bảng mã {name} (độ tin cậy {guess.confidence:.2f}: {guess.reason}); "
                "hãy kiểm tra tên tiếng Việt trong báo cáo",
                f"encoding {name} is uncertain (confidence {guess.confidence:.2f}: {guess.reason}); "
                "check the Vietnamese names in this report",
            )
        )
    if broken:
        notes.append(
            Note(
                "encoding.invalid",
                Severity.error,
                f"{broken} giá trị chứa byte không hợp lệ trong bảng mã {name} (thay bằng �); "
                "hãy xuất lại tệp với bảng mã đúng",
                f"{broken} values hold bytes that are not valid {name} (shown as �); "
                "export the file again with the right encoding",
            )
        )
    return guess, decoded, pd.DataFrame(raw) if raw else None, notes


def _first_distinct_non_ascii(series: pd.Series, limit: int) -> list[str]:
    """The first ``limit`` distinct non-ASCII values of a column, in order of first appearance.

    Same as ``unique()[:limit]`` of the non-null non-ASCII values, but only hashes a growing head of the
    column: the first ``limit`` distinct values of a head that has that many are those of the column.
    """
    values = pa.array(series, type=pa.large_string(), from_pandas=True)
    non_ascii = pc.invert(pc.string_is_ascii(values))  # null for null values, which filter drops
    if not pc.any(non_ascii).as_py():
        return []
    size = 4 * limit
    while True:
        distinct = pc.unique(values.slice(0, size).filter(non_ascii.slice(0, size)))
        if len(distinct) >= limit or size >= len(values):
            return distinct.slice(0, limit).to_pylist()
        size *= 4


def _legacy_inside_unicode(decoded: dict[str, pd.Series]) -> EncodingGuess | None:
    """TCVN3/VNI text already turned into Unicode by a cp1252 reading ("§µ N½ng"): the guess, or None."""
    samples: list[str] = []
    for series in decoded.values():
        samples += _first_distinct_non_ascii(series, LEGACY_SAMPLE)
    if not samples or vietnamese_score(samples) >= 0.5:
        return None
    raw: list[bytes] = []
    for text in samples:
        for codec in ("cp1252", "latin-1"):
            try:
                raw.append(text.encode(codec))
                break
            except UnicodeEncodeError:
                continue
    guess = detect_encoding(raw) if raw else None
    if guess is None or guess.encoding not in ("tcvn3", "vni") or guess.confidence < UNCERTAIN_BELOW:
        return None
    return guess


def _repair_legacy(series: pd.Series, encoding: str) -> pd.Series:
    def fix(text: str) -> str:
        for codec in ("cp1252", "latin-1"):
            try:
                return decode_text(text.encode(codec), encoding, restore_case=True)
            except UnicodeEncodeError:
                continue
        return text

    unique = series.dropna().unique()
    mapping = {value: fix(value) for value in unique if not value.isascii()}
    return series.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v).astype("str")


def _unicode_text(
    dataset: Dataset, table: pa.Table, columns: list[str]
) -> tuple[EncodingGuess, dict[str, pd.Series], pd.DataFrame | None, list[Note]]:
    decoded = {c: table.column(c).to_pandas().astype("str") for c in columns}
    guess = EncodingGuess("utf-8", 1.0, f"{dataset.driver} text is UTF-8 by specification")
    legacy = _legacy_inside_unicode(decoded)
    if legacy is None:
        return guess, decoded, None, []
    name = LABELS[legacy.encoding]
    raw = pd.DataFrame(decoded)
    repaired = {c: _repair_legacy(s, legacy.encoding) for c, s in decoded.items()}
    note = Note(
        "encoding.legacy",
        Severity.warning,
        f"chữ {name} đã bị đọc nhầm thành Unicode (ví dụ §µ N½ng); đã chuyển lại đúng ({legacy.reason}); "
        "lần sau hãy chuyển mã trước khi xuất tệp",
        f"{name} text was read as if it were Unicode (like §µ N½ng); converted back ({legacy.reason}); "
        "convert the encoding before exporting next time",
    )
    reason = f"{dataset.driver} text is UTF-8, but it held {name} read as cp1252: {legacy.reason}"
    return EncodingGuess(legacy.encoding, legacy.confidence, reason, legacy.scores), repaired, raw, [note]


# Characters that are NFC whatever stands around them: unchanged by NFC and never the second half of a
# composition. Latin below the combining marks and Latin Extended Additional (ạ ả ấ … ỹ) are: text in
# them, as composed Vietnamese is, needs no closer look (tests check this against unicodedata).
ALWAYS_NFC = ((0x0000, 0x02FF), (0x1E00, 0x1EFF))


def _beyond_always_nfc(values: pa.Array) -> np.ndarray:
    """Which values hold a character outside ``ALWAYS_NFC``, told from their UTF-8 lead bytes: below 0xCC
    (U+0000–U+02FF), or 0xE1 followed by 0xB8–0xBB (U+1E00–U+1EFF)."""
    offsets = np.frombuffer(values.buffers()[1], np.int64)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    offsets = offsets - offsets[0]
    leads = np.flatnonzero(data >= 0xCC)
    following = data[np.minimum(leads + 1, len(data) - 1)]
    beyond = leads[(data[leads] != 0xE1) | (following < 0xB8) | (following > 0xBB)]
    found = np.zeros(len(values), dtype=bool)
    found[np.searchsorted(offsets, beyond, side="right") - 1] = True
    return found


def _is_nfc(values: pa.Array) -> bool:
    """Whether every value is NFC. Those with a character outside ``ALWAYS_NFC`` are checked in one call:
    joined by newlines (a newline never composes with or reorders its neighbours), their text is NFC
    exactly when each of them is."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.large_string())
    beyond = _beyond_always_nfc(values) & values.is_valid().to_numpy(zero_copy_only=False)
    if not beyond.any():
        return True
    present = values.filter(pa.array(beyond))
    lists = pa.LargeListArray.from_arrays(pa.array([0, len(present)], type=pa.int64()), present)
    return unicodedata.is_normalized(
        "NFC", pc.binary_join(lists, pa.scalar("\n", pa.large_string()))[0].as_py()
    )


def _nfc(decoded: dict[str, pd.Series]) -> tuple[dict[str, pd.Series], int]:
    """Compose decomposed Vietnamese (NFD, "tổ hợp") into NFC; returns the columns and how many values changed."""
    changed = 0
    out: dict[str, pd.Series] = {}
    for column, series in decoded.items():
        values = pa.array(series, type=pa.large_string(), from_pandas=True)
        if not _is_nfc(values):  # rare (NFD deliveries): compose every value and count those that changed
            composed = pc.utf8_normalize(values, form="NFC")
            changed += pc.sum(pc.not_equal(values, composed)).as_py() or 0
            series = pd.Series(composed.to_pandas(), index=series.index).astype("str")
        out[column] = series
    return out, changed


def _frame(
    table: pa.Table, meta: dict, text: dict[str, pd.Series], geometry_name: str, crs: CrsResult
) -> gpd.GeoDataFrame:
    others = [c for c in table.column_names if c != geometry_name and c not in text]
    plain = (
        table.select(others).to_pandas(date_as_object=False)
        if others
        else pd.DataFrame(index=range(table.num_rows))
    )
    columns = {c: (text[c] if c in text else plain[c]) for c in table.column_names if c != geometry_name}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(crs.geometry, index=frame.index), crs=crs.frame_crs)


def read_source(path: str | Path, layer: Layer, *, source_layer: str | None = None) -> SourceFrame:
    """Read ``path`` and normalise it for ``layer``: encoding, CRS, field names.

    Raises ``SourceError`` (one sentence) when the input cannot be read at all.
    """
    with located(path, source_layer=source_layer, default_layer=layer.id) as dataset:
        meta, table = _read_table(dataset)
        geometry_name = meta.get("geometry_name") or "wkb_geometry"
        columns = _text_columns(table, geometry_name)
        if dataset.driver == "ESRI Shapefile":
            guess, text, raw, notes = _shapefile_text(dataset, table, columns)
        else:
            guess, text, raw, notes = _unicode_text(dataset, table, columns)
    text, composed = _nfc(text)
    if composed:
        notes.append(
            Note(
                "encoding.nfc",
                Severity.warning,
                f"{composed} giá trị viết ở dạng Unicode tổ hợp (NFD); đã chuẩn hóa sang dựng sẵn (NFC)",
                f"{composed} values were in decomposed Unicode (NFD); normalised to composed form (NFC)",
            )
        )
    if geometry_name in table.column_names:
        wkb = table.column(geometry_name).to_numpy(zero_copy_only=False)
        try:
            geometry = shapely.from_wkb(wkb, on_invalid="fix")
        except shapely.errors.GEOSException as error:
            raise SourceError(
                f"{dataset.label}: geometries cannot be decoded ({_first_line(error)})"
            ) from None
    else:
        geometry = np.full(table.num_rows, None, dtype=object)
    crs = normalise_crs(geometry, meta.get("crs"), layer.storage_crs)
    notes += crs.notes
    frame = _frame(table, meta, text, geometry_name, crs)
    columns = [c for c in frame.columns if c != "geometry"]
    return SourceFrame(
        frame=frame,
        path=Path(path),
        label=dataset.label,
        driver=dataset.driver,
        source_layer=dataset.layer,
        encoding=guess,
        crs=crs,
        mapping=map_fields(columns, layer),
        raw=raw,
        notes=notes,
    )
