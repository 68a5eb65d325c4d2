"""Which text encoding a surveyor's DBF really uses, and turning its bytes into Unicode NFC.

Vietnamese shapefiles arrive in UTF-8, cp1258 (Windows Vietnamese, with combining tone marks),
TCVN3 (ABC, ``.VnTime`` fonts) or VNI (``VNI-Times``), often with no ``.cpg`` file and with an LDID
byte that lies (GDAL writes 87, "ANSI", on everything). So a claim from the ``.cpg`` or the LDID is
honoured only when the bytes agree with it; otherwise the encoding is detected by decoding the
text with each candidate and scoring how Vietnamese the result looks.

How the reader uses it: ``guess = choose_dbf_encoding(shp)``; for ``"utf-8"`` read with
``encoding="UTF-8"``, for ``"ascii"`` read as is, otherwise read with ``encoding="latin1"`` (every
byte becomes the character with the same number, losslessly) and call
``repair_frame(frame, guess.encoding)``.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from danang_sdi.errors import ConfigError, SourceError
from danang_sdi.sources.charmaps import TONES, decode_tcvn3, decode_vni, encode_tcvn3, encode_vni
from danang_sdi.sources.dbf import (
    LDID_CODECS,
    dbf_path_for,
    iter_dbf_text,
    read_cpg,
    read_dbf_header,
    read_dbf_ldid,
)
from danang_sdi.sources.vietnamese import VIETNAMESE_LETTERS, vietnamese_score

__all__ = [
    "CANDIDATES",
    "LDID_CODECS",
    "EncodingGuess",
    "choose_dbf_encoding",
    "decode_text",
    "detect_encoding",
    "encode_text",
    "encoding_from_cpg",
    "normalise_encoding",
    "read_cpg",
    "read_dbf_ldid",
    "repair_frame",
    "repair_text",
    "restore_tcvn3_capitals",
]

CANDIDATES = ("utf-8", "cp1258", "tcvn3", "vni")
"""The encodings detection chooses between, in the order that breaks ties."""
VIETNAMESE_THRESHOLD = 0.5
"""Below this score a decoding does not look Vietnamese."""
MAX_SCORED = 2000
"""Distinct non-ASCII values scored at most; more only cost time (about 0.1 s per 1000 values)."""
LABELS = {"utf-8": "UTF-8", "cp1258": "cp1258", "tcvn3": "TCVN3", "vni": "VNI", "ascii": "ASCII"}

_ALIASES = {
    "utf-8": ("utf-8", "utf8", "65001"),
    "cp1258": ("cp1258", "windows-1258", "1258", "ansi-1258"),
    "tcvn3": ("tcvn3", "tcvn", "tcvn-3", "abc", "vn3", "tcvn5712-3", ".vntime", "vntime"),
    "vni": ("vni", "vni-windows", "vni-win", "vni-times"),
    "ascii": ("ascii", "us-ascii"),
}
_ALIAS_TO_NAME = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_TONE_MARKS = frozenset(TONES[1:])
# surrogateescape turns an undefined byte b into U+DC00+b; Windows turns it into the C1 control U+00b.
_ESCAPED_TO_C1 = {0xDC00 + code: chr(code) for code in range(0x80, 0x100)}


@dataclass(frozen=True, slots=True)
class EncodingGuess:
    """The encoding chosen for some text, how sure we are (0–1) and why, with each candidate's score."""

    encoding: str
    confidence: float
    reason: str
    scores: Mapping[str, float] = field(default_factory=dict)


def normalise_encoding(name: str) -> str:
    """Return the canonical name of an encoding: utf-8, cp1258, tcvn3, vni, ascii or a Python codec name.

    Examples
    --------
    >>> normalise_encoding("UTF8"), normalise_encoding("Windows-1258"), normalise_encoding("ABC")
    ('utf-8', 'cp1258', 'tcvn3')
    """
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in _ALIAS_TO_NAME:
        return _ALIAS_TO_NAME[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise ConfigError(
            f"unknown text encoding {name!r}; use utf-8, cp1258, tcvn3, vni or a Python codec name"
        ) from None


def encoding_from_cpg(text: str) -> str | None:
    """Translate the content of a .cpg file (ArcGIS/GDAL conventions) into an encoding name, or None.

    Examples
    --------
    >>> encoding_from_cpg("UTF-8"), encoding_from_cpg("ANSI 1258"), encoding_from_cpg("88591")
    ('utf-8', 'cp1258', 'iso8859-1')
    """
    key = text.strip().upper()
    digits = re.fullmatch(r"(?:ANSI|CP|WINDOWS|OEM)?[ \-_]?(\d{3,5})", key)
    if digits:
        number = int(digits[1])
        if number == 65001:
            return "utf-8"
        if 437 <= number <= 950 or 1250 <= number <= 1258:
            return normalise_encoding(f"cp{number}")
    iso = re.fullmatch(r"(?:ISO)?[ \-_]?8859[ \-_]?(\d{1,2})", key)
    if iso:
        return normalise_encoding(f"iso8859-{iso[1]}")
    try:
        return normalise_encoding(text)
    except ConfigError:
        return None


def _decode_utf8(raw: bytes, errors: str) -> str:
    """Decode UTF-8, dropping a multi-byte character cut off at the end (DBF fields are cut by bytes)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.end == len(raw) and error.reason == "unexpected end of data":
            return raw[: error.start].decode("utf-8", errors)
        return raw.decode("utf-8", errors)


def _encode_cp1258(text: str) -> bytes:
    """Encode as Windows does for cp1258: a precomposed letter where one exists, else letter + tone mark."""
    out = bytearray()
    for index, char in enumerate(text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
        tones = "".join(c for c in decomposed if c in _TONE_MARKS)
        try:
            out += (base + tones).encode("cp1258")
        except UnicodeEncodeError:
            raise UnicodeEncodeError(
                "cp1258", text, index, index + 1, f"{char!r} has no cp1258 code"
            ) from None
    return bytes(out)


def restore_tcvn3_capitals(text: str) -> str:
    """Upper-case the Vietnamese lower-case letters (ấ, ở...) of words otherwise written in capitals.

    TCVN3 has no codes for toned capitals, so "ĐẤT" decodes as "ĐấT". A word counts as written in
    capitals when it has at least two other letters and all of them are upper case; "Hà" stays.

    Examples
    --------
    >>> restore_tcvn3_capitals("ĐấT ở TạI Hà NộI")
    'ĐẤT ở TẠI Hà NỘI'
    """

    def fix(match: re.Match[str]) -> str:
        word = match[0]
        others = [char for char in word if char.upper() == char or char.upper() not in VIETNAMESE_LETTERS]
        toned = len(word) - len(others)
        if toned and len(others) >= 2 and all(char.isupper() for char in others):
            return word.upper()
        return word

    return re.sub(r"[^\W\d_]+", fix, text)


def decode_text(raw: bytes, encoding: str, *, errors: str = "strict", restore_case: bool = False) -> str:
    """Decode bytes in utf-8, cp1258, tcvn3, vni (or any Python codec) to Unicode NFC.

    ``errors`` applies to codecs that can fail (UTF-8, ASCII...). TCVN3 and VNI map every byte, and
    the Windows code pages (cp1252, cp1258...) map their few undefined bytes to the C1 control
    character with the same number, as Windows does, so they never fail either.
    ``restore_case`` upper-cases toned letters inside all-capital TCVN3 words
    (see :func:`restore_tcvn3_capitals`).

    Examples
    --------
    >>> decode_text("§Êt ë t¹i ®« thÞ".encode("cp1252"), "tcvn3")
    'Đất ở tại đô thị'
    >>> decode_text(b"Ho\\xcca Kha\\xecnh", "cp1258")  # combining tone marks become precomposed letters
    'Hòa Khánh'
    """
    name = normalise_encoding(encoding)
    if name == "tcvn3":
        text = decode_tcvn3(raw)
        if restore_case:
            text = restore_tcvn3_capitals(text)
    elif name == "vni":
        text = decode_vni(raw)
    elif name == "utf-8":
        text = _decode_utf8(raw, errors)
    elif name.startswith("cp125"):
        text = raw.decode(name, "surrogateescape").translate(_ESCAPED_TO_C1)
    else:
        text = raw.decode(name, errors)
    return unicodedata.normalize("NFC", text)


def encode_text(text: str, encoding: str) -> bytes:
    """Encode Unicode text in utf-8, cp1258, tcvn3, vni (or any Python codec); the inverse of decode_text.

    TCVN3 writes toned capitals with the lower-case codes, so they come back lower case.

    Examples
    --------
    >>> encode_text("Đà Nẵng", "tcvn3").decode("cp1252"), encode_text("Đà Nẵng", "vni").decode("cp1252")
    ('§µ N½ng', 'Ñaø Naüng')
    """
    name = normalise_encoding(encoding)
    text = unicodedata.normalize("NFC", text)
    if name == "tcvn3":
        return encode_tcvn3(text)
    if name == "vni":
        return encode_vni(text)
    if name == "cp1258":
        return _encode_cp1258(text)
    return text.encode(name)


def _decode_for_scoring(samples: list[bytes], encoding: str) -> list[str]:
    return [decode_text(sample, encoding, errors="replace") for sample in samples]


def _is_utf8(sample: bytes) -> bool:
    try:
        _decode_utf8(sample, "strict")
    except UnicodeDecodeError:
        return False
    return True


def _telling(samples: Iterable[bytes]) -> list[bytes]:
    """The distinct non-ASCII values, which are the only ones that tell encodings apart (at most MAX_SCORED)."""
    unique = dict.fromkeys(sample for sample in samples if not sample.isascii())
    return list(unique)[:MAX_SCORED]


def detect_encoding(samples: Iterable[bytes]) -> EncodingGuess:
    """Guess the encoding of raw text values by how Vietnamese each candidate decoding looks.

    Valid UTF-8 with Vietnamese letters beats everything; pure ASCII gives ``"ascii"`` (any
    encoding reads it); otherwise cp1258, TCVN3 and VNI are scored with
    :func:`~danang_sdi.sources.vietnamese.vietnamese_score` and the confidence shrinks when the
    runner-up is close.

    Examples
    --------
    >>> detect_encoding([b"\\xa7\\xb5 N\\xbdng", b"Ph\\xad\\xeang H\\xb6i Ch\\xa9u"]).encoding
    'tcvn3'
    """
    samples = list(samples)
    telling = _telling(samples)
    if not telling:
        why = "all text is ASCII, so every encoding reads it the same" if any(samples) else "there is no text"
        return EncodingGuess("ascii", 1.0, why)
    scores = {name: vietnamese_score(_decode_for_scoring(telling, name)) for name in CANDIDATES}
    legacy = sorted(CANDIDATES[1:], key=lambda name: -scores[name])
    best, second = legacy[0], legacy[1]
    if all(_is_utf8(sample) for sample in telling):
        if scores["utf-8"] >= VIETNAMESE_THRESHOLD:
            why = f"the text is valid UTF-8 with Vietnamese letters (score {scores['utf-8']:.2f})"
            return EncodingGuess("utf-8", 0.99, why, scores)
        if scores[best] < 0.8:
            why = f"the text is valid UTF-8 but does not look Vietnamese (score {scores['utf-8']:.2f})"
            return EncodingGuess("utf-8", 0.9, why, scores)
        second = "utf-8"  # valid UTF-8 that reads as gibberish: the legacy reading wins, UTF-8 is runner-up
    margin = min(1.0, max(0.0, scores[best] - scores[second]) / 0.25)
    why = (
        f"the text scores as {LABELS[best]} ({scores[best]:.2f}); "
        f"next best {LABELS[second]} ({scores[second]:.2f})"
    )
    if scores[best] < VIETNAMESE_THRESHOLD:
        why = f"no candidate makes the text look Vietnamese; {why}"
    return EncodingGuess(best, round(scores[best] * margin, 2), why, scores)


def _check_claim(codec: str, samples: list[bytes], detected: EncodingGuess) -> tuple[float | None, str]:
    """Return the confidence in a claimed encoding (None when the bytes contradict it) and why."""
    if detected.encoding == "ascii":
        return 1.0, "the text is ASCII only"
    if codec == detected.encoding:
        return detected.confidence, detected.reason
    if codec == "utf-8" and not all(_is_utf8(sample) for sample in samples):
        return None, "the bytes are not valid UTF-8"
    score = vietnamese_score(_decode_for_scoring(samples, codec))
    best = detected.scores.get(detected.encoding, 0.0)
    if score >= best - 0.05:
        why = f"it reads the text as well as {LABELS[detected.encoding]} does ({score:.2f})"
        return detected.confidence, why
    if best < VIETNAMESE_THRESHOLD:
        return 0.6, "no candidate makes the text look Vietnamese, so the claim stands"
    return None, f"which scores {score:.2f}"


def choose_dbf_encoding(path: str | Path, *, sample_records: int = 5000) -> EncodingGuess:
    """Choose a DBF's text encoding: the .cpg, else the LDID, when the bytes agree; else detect it.

    ``path`` may be the .dbf or any other part of the shapefile; ``sample_records`` caps how many
    records are read. The ``reason`` says which source decided, e.g. ``"no .cpg; LDID 87 claims
    cp1252 (which scores 0.06) but the text scores as TCVN3 (0.93); next best VNI (0.20)"``.
    """
    dbf = dbf_path_for(path)
    values = list(iter_dbf_text(dbf, limit=sample_records))
    detected = detect_encoding(values)
    samples = _telling(values)
    said: list[str] = []  # what each source claimed, in the order they were weighed
    last_rejected = False
    for label, codec in _claims(dbf):
        last_rejected = codec is not None
        if codec is None:
            said.append(label)
            continue
        confidence, why = _check_claim(codec, samples, detected)
        if confidence is not None:
            reason = "; ".join([*said, f"{label} and the bytes agree: {why}"])
            return EncodingGuess(codec, confidence, reason, detected.scores)
        said.append(f"{label} ({why})")
    reason = "; ".join(said) + (" but " if last_rejected else "; ") + detected.reason
    return EncodingGuess(detected.encoding, detected.confidence, reason, detected.scores)


def _claims(dbf: Path) -> list[tuple[str, str | None]]:
    """What the .cpg and the LDID say, as (phrase, codec); codec is None when they say nothing usable."""
    claims: list[tuple[str, str | None]] = []
    cpg = read_cpg(dbf)
    if cpg is None:
        claims.append(("no .cpg", None))
    elif (codec := encoding_from_cpg(cpg)) is None:
        claims.append((f".cpg says {cpg!r}, which names no known encoding", None))
    else:
        claims.append((f".cpg says {cpg}", codec))
    ldid = read_dbf_header(dbf).ldid
    if not ldid:
        claims.append(("no LDID", None))
    elif ldid not in LDID_CODECS:
        claims.append((f"LDID {ldid} names no known code page", None))
    else:
        claims.append((f"LDID {ldid} claims {LDID_CODECS[ldid]}", LDID_CODECS[ldid]))
    return claims


def repair_text(value: str, encoding: str, *, restore_case: bool = True) -> str:
    """Turn a string read as Latin-1 (one character per byte) into the text the bytes meant.

    Examples
    --------
    >>> repair_text("§µ N½ng", "tcvn3"), repair_text("Ñaø Naüng", "vni")
    ('Đà Nẵng', 'Đà Nẵng')
    >>> repair_text("Đà Nẵng".encode("utf-8").decode("latin-1"), "utf-8")
    'Đà Nẵng'
    """
    name = normalise_encoding(encoding)
    if name == "ascii" or value.isascii():
        return value
    return decode_text(value.encode("latin-1"), name, restore_case=restore_case)


def repair_frame(frame: pd.DataFrame, encoding: str, *, restore_case: bool = True) -> pd.DataFrame:
    """Return a copy of a frame read with ``encoding="latin1"`` whose text columns and names are decoded.

    Every string column (and every non-ASCII column name) is re-encoded to its original bytes with
    Latin-1, which is lossless for all 256 byte values, and decoded with ``encoding`` to NFC.
    Non-string values (None, NaN, numbers, geometries) are left alone.
    """
    name = normalise_encoding(encoding)
    out = frame.copy()
    geometry = getattr(frame, "_geometry_column_name", None)
    for column in out.columns:
        series = out[column]
        if column == geometry or not (
            pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)
        ):
            continue
        mapping = {}
        for row, value in series.items():
            if isinstance(value, str) and value not in mapping:
                mapping[value] = _repair_cell(value, name, restore_case, column, row)
        if mapping:
            out[column] = series.map(
                lambda value, m=mapping: m.get(value, value) if isinstance(value, str) else value
            )
    renamed = {c: _repair_cell(c, name, restore_case, c, "header") for c in out.columns if isinstance(c, str)}
    return out.rename(columns={old: new for old, new in renamed.items() if old != new and old != geometry})


def _repair_cell(value: str, encoding: str, restore_case: bool, column: object, row: object) -> str:
    try:
        return repair_text(value, encoding, restore_case=restore_case)
    except UnicodeEncodeError:
        raise SourceError(
            f"column {column!r} row {row}: the text has characters beyond Latin-1, so it was not read "
            "byte for byte; read the file with encoding='latin1' before repairing it"
        ) from None
    except UnicodeDecodeError as error:
        raise SourceError(
            f"column {column!r} row {row}: byte {error.object[error.start]:#04x} is not valid {encoding}; "
            "check the encoding guess (choose_dbf_encoding) or pass the right one"
        ) from None
