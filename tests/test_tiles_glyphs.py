"""Label glyphs: MapLibre's SDF glyph PBFs made from a TrueType font, read back with a protobuf decoder."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from danang_sdi.tiles import glyphs, overlay_style

VIETNAMESE = (
    "Đường Nguyễn Văn Linh, Hải Châu, Phước Ninh, Thạc Gián, Ơ Ư ạ ả ấ ầ ẩ ẫ ậ ắ ằ ẳ ẵ ặ ể ễ ệ ộ ợ ụ ữ ỳ"
)


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of one protobuf message: varints as ints, length-delimited as bytes."""
    out, at = [], 0
    while at < len(data):
        key, at = _varint(data, at)
        if key & 7 == 0:
            value, at = _varint(data, at)
        elif key & 7 == 2:
            length, at = _varint(data, at)
            value, at = data[at : at + length], at + length
        else:
            raise AssertionError(f"unexpected wire type {key & 7}")
        out.append((key >> 3, value))
    return out


def decode(pbf: bytes) -> tuple[str, str, dict[int, dict]]:
    (number, stack), *rest = fields(pbf)
    assert number == 1 and not rest
    parts = fields(stack)
    name = next(v for f, v in parts if f == 1).decode()
    glyph_range = next(v for f, v in parts if f == 2).decode()
    found = {}
    for field, body in parts:
        if field == 3:
            glyph = dict(fields(body))
            found[glyph[1]] = glyph
    return name, glyph_range, found


def unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def test_every_vietnamese_letter_has_a_glyph_in_the_ranges_maplibre_asks_for():
    codes = {ord(c) for c in VIETNAMESE}
    have = {}
    for start in sorted({code // 256 * 256 for code in codes}):
        name, glyph_range, found = decode(glyphs.fontstack_range("Noto Sans Regular", start))
        assert (name, glyph_range) == ("Noto Sans Regular", f"{start}-{start + 255}")
        assert all(start <= code <= start + 255 for code in found)
        have.update(found)
    assert codes <= set(have)


def test_glyph_metrics_and_signed_distance_field():
    _name, _range, found = decode(glyphs.fontstack_range("Noto Sans Regular", 0))
    letter_h, letter_x, space = found[ord("H")], found[ord("x")], found[ord(" ")]
    for glyph in (letter_h, letter_x):
        assert len(glyph[2]) == (glyph[3] + 2 * glyphs.BUFFER) * (glyph[4] + 2 * glyphs.BUFFER)
    assert 14 <= letter_h[4] <= 20 and 12 <= letter_h[7] <= 20  # a capital at 24 px: ~17 px tall
    assert unzigzag(letter_x[6]) < unzigzag(letter_h[6]) < 0  # tops below the ascender; H's is higher
    assert 2 not in space and space[3] == 0 and space[7] > 0  # no bitmap, but an advance
    field = np.frombuffer(letter_h[2], dtype=np.uint8).reshape(letter_h[4] + 6, letter_h[3] + 6)
    edge = round(255 * (1 - glyphs.CUTOFF))  # the outline sits at 191, 8 px of distance span 255
    assert field[0, 0] < edge - 100 and field.max() > edge + 25  # outside at the corner, inside the stems
    assert ((field > edge - 30) & (field < edge + 30)).sum() > 20  # a smooth ramp across the outline


def test_a_font_that_is_not_installed_falls_back_to_one_that_is():
    name, _range, found = decode(glyphs.fontstack_range("Some Missing Font Regular", 7680))
    assert name == "Some Missing Font Regular" and ord("ạ") in found
    assert glyphs.font_file("Some Missing Font Regular") is None


@pytest.mark.parametrize("text", ["0-256", "1-256", "65536-65791", "abc", "256-511x"])
def test_bad_ranges_are_refused(text):
    with pytest.raises(ValueError, match="glyph range"):
        glyphs.parse_range(text)


@pytest.mark.parametrize("module", [glyphs, overlay_style])
def test_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
