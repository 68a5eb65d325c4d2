"""Byte tables of the two legacy Vietnamese font encodings, TCVN3 (ABC) and VNI, and their codecs.

Neither encoding has a Python codec: both were "font hacks" that put Vietnamese letters on the
Windows-ANSI code points of 8-bit fonts (``.VnTime`` for TCVN3, ``VNI-Times`` for VNI). The tables
below were checked against two public converters (a C# converter, GitHub file id 2421015068, and
xvnkb's ``vni.h``) and against glibc's ``TCVN5712-1`` iconv table, which agrees on every TCVN3
code (glibc adds the VN1 capitals in the gaps, which TCVN3 leaves unused).

- **TCVN3** is single-byte. Lower-case letters use 0xA8–0xFE; the seven capitals Ă Â Ê Ô Ơ Ư Đ use
  0xA1–0xA7. Capital *toned* vowels have no code of their own (the ``.VnTimeH`` font drew the
  lower-case codes as capitals), so decoding gives lower case for them.
- **VNI** is multi-byte: a base letter followed by a diacritic byte ("á" = ``a`` + ``ù``), with a few
  single-byte letters (đ = ``ñ``, ơ = ``ô``, ư = ``ö``, and the i/ỵ forms). Capitals are exact.

Bytes that neither table uses keep their Windows-ANSI (cp1252) meaning, as they did in the fonts.
"""

from __future__ import annotations

import re
import unicodedata

# Tone marks in the order of every row below: none, huyền, hỏi, ngã, sắc, nặng.
TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")

# TCVN3 codes of the lower-case vowels, one row per base vowel, columns in TONES order.
# None means "the plain ASCII letter".
TCVN3_VOWELS: dict[str, tuple[int | None, int, int, int, int, int]] = {
    "a": (None, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (None, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (None, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (None, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (None, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (None, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
TCVN3_OTHERS = {"đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}

# VNI: a vowel is written as base letter + one byte for (vowel mark, tone); columns in TONES order.
# Lower-case bases take the lower-case mark bytes, capitals the upper-case ones.
_VNI_TONE = ("", "ø", "û", "õ", "ù", "ï")
_VNI_CIRCUMFLEX = ("â", "à", "å", "ã", "á", "ä")
_VNI_BREVE = ("ê", "è", "ú", "ü", "é", "ë")
VNI_VOWELS: dict[str, tuple[str, ...]] = {
    "a": tuple("a" + mark for mark in _VNI_TONE),
    "ă": tuple("a" + mark for mark in _VNI_BREVE),
    "â": tuple("a" + mark for mark in _VNI_CIRCUMFLEX),
    "e": tuple("e" + mark for mark in _VNI_TONE),
    "ê": tuple("e" + mark for mark in _VNI_CIRCUMFLEX),
    "i": ("i", "ì", "æ", "ó", "í", "ò"),
    "o": tuple("o" + mark for mark in _VNI_TONE),
    "ô": tuple("o" + mark for mark in _VNI_CIRCUMFLEX),
    "ơ": tuple("ô" + mark for mark in _VNI_TONE),
    "u": tuple("u" + mark for mark in _VNI_TONE),
    "ư": tuple("ö" + mark for mark in _VNI_TONE),
    "y": ("y", "yø", "yû", "yõ", "yù", "î"),
}
VNI_OTHERS = {"đ": "ñ", "Đ": "Ñ"}

# Windows-ANSI for the bytes the legacy tables leave alone; cp1252's five holes keep Latin-1.
WINDOWS_ANSI = "".join(bytes([code]).decode("cp1252", errors="ignore") or chr(code) for code in range(256))


def _toned(base: str, tone_index: int) -> str:
    return unicodedata.normalize("NFC", base + TONES[tone_index])


def _tcvn3_letters() -> dict[str, int]:
    letters = dict(TCVN3_OTHERS)
    for base, codes in TCVN3_VOWELS.items():
        for tone_index, code in enumerate(codes):
            if code is not None:
                letters[_toned(base, tone_index)] = code
    return letters


def _vni_letters() -> dict[str, str]:
    letters = dict(VNI_OTHERS)
    for base, sequences in VNI_VOWELS.items():
        for tone_index, sequence in enumerate(sequences):
            if tone_index or len(sequence) > 1 or not sequence.isascii():
                lower = _toned(base, tone_index)
                letters[lower] = sequence
                letters[lower.upper()] = sequence.upper()
    return letters


TCVN3_ENCODE = _tcvn3_letters()
"""Unicode letter (NFC) → TCVN3 byte; the 67 lower-case letters plus the seven capitals."""
TCVN3_DECODE = {code: WINDOWS_ANSI[code] for code in range(128, 256)} | {
    code: letter for letter, code in TCVN3_ENCODE.items()
}
"""Byte → character for every byte ≥ 0x80, ready for :meth:`str.translate` on a Latin-1 string."""

VNI_ENCODE = _vni_letters()
"""Unicode letter (NFC) → VNI byte sequence (as a Latin-1 string); capitals included."""


def _vni_decode_table() -> dict[str, str]:
    table = {sequence: letter for letter, sequence in VNI_ENCODE.items()}
    # Accept a mark of the other case after a base letter ("Aù"); the letter keeps the base's case.
    for sequence, letter in list(table.items()):
        if len(sequence) == 2:
            base, mark = sequence
            other = mark.lower() if mark.isupper() else mark.upper()
            table.setdefault(base + other, letter)
    return table


VNI_DECODE = _vni_decode_table()
"""VNI byte sequence (as a Latin-1 string) → Unicode letter; decoded greedily, longest first."""
_ANSI_TRANSLATION = {code: WINDOWS_ANSI[code] for code in range(128, 160)}
_VNI_PATTERN = re.compile("|".join(re.escape(s) for s in sorted(VNI_DECODE, key=len, reverse=True)))

TCVN3_BYTES = frozenset(TCVN3_ENCODE.values())
VNI_BYTES = frozenset(ord(char) for sequence in VNI_DECODE for char in sequence if not char.isascii())


def decode_tcvn3(raw: bytes) -> str:
    """Decode TCVN3 bytes; toned capitals come back lower case (TCVN3 has no codes for them).

    Examples
    --------
    >>> decode_tcvn3("§µ N½ng".encode("cp1252"))
    'Đà Nẵng'
    """
    return raw.decode("latin-1").translate(TCVN3_DECODE)


def decode_vni(raw: bytes) -> str:
    """Decode VNI bytes, matching base letter + mark pairs greedily before single bytes.

    Examples
    --------
    >>> decode_vni("Ñaø Naüng".encode("cp1252"))
    'Đà Nẵng'
    """
    text = raw.decode("latin-1").translate(_ANSI_TRANSLATION)
    return _VNI_PATTERN.sub(lambda match: VNI_DECODE[match[0]], text)


def _encode_other(char: str, used: frozenset[int], name: str, text: str, index: int) -> bytes:
    """Encode a character outside the Vietnamese table as ASCII or Windows-ANSI, if that is unambiguous."""
    if char.isascii():
        return char.encode("ascii")
    try:
        code = char.encode("cp1252")
    except UnicodeEncodeError:
        code = b""
    if len(code) != 1 or code[0] in used:
        raise UnicodeEncodeError(name, text, index, index + 1, f"{char!r} has no {name.upper()} code")
    return code


def encode_tcvn3(text: str) -> bytes:
    """Encode text as TCVN3; toned capitals are written with the lower-case codes (TCVN3 has no others).

    Examples
    --------
    >>> encode_tcvn3("Đất ở tại đô thị").hex(" ")
    'a7 ca 74 20 eb 20 74 b9 69 20 ae ab 20 74 68 de'
    """
    text = unicodedata.normalize("NFC", text)
    out = bytearray()
    for index, char in enumerate(text):
        code = TCVN3_ENCODE.get(char, TCVN3_ENCODE.get(char.lower()))
        if code is not None:
            out.append(code)
        else:
            out += _encode_other(char, TCVN3_BYTES, "tcvn3", text, index)
    return bytes(out)


def encode_vni(text: str) -> bytes:
    """Encode text as VNI (base letter + mark bytes).

    Examples
    --------
    >>> encode_vni("Đà Nẵng").decode("cp1252")
    'Ñaø Naüng'
    """
    text = unicodedata.normalize("NFC", text)
    out = bytearray()
    for index, char in enumerate(text):
        sequence = VNI_ENCODE.get(char)
        if sequence is not None:
            out += sequence.encode("latin-1")
        else:
            out += _encode_other(char, VNI_BYTES, "vni", text, index)
    return bytes(out)
