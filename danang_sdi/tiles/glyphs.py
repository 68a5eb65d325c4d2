"""Glyphs for map labels: MapLibre's SDF glyph ranges (``{fontstack}/{start}-{end}.pbf``) made from a TTF.

No package in the registries we can reach ships glyph PBFs, so the server makes them on request from a
font on the machine (Debian's ``fonts-noto-core`` for "Noto Sans Regular"; DejaVu Sans, which matplotlib
ships, when the asked font is not installed) and keeps them in memory. The signed distance field follows
node-fontnik and TinySDF: glyphs drawn at 24 px, a 3 px buffer, radius 8, cutoff 0.25, so the result
matches what MapLibre expects from any glyph server. Vietnamese needs five ranges: 0–255, 256–511,
512–767 (ơ, ư), 768–1023 (combining marks) and 7680–7935 (ạ, ả, ấ, ầ …).
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

import numpy as np

from danang_sdi.errors import TileError

FONT_SIZE = 24  # px per em, MapLibre's ONE_EM
BUFFER = 3
RADIUS = 8.0
CUTOFF = 0.25
RANGE_SIZE = 256
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
RANGE_PATTERN = re.compile(r"^(\d+)-(\d+)$")
_INF = 1e20

log = logging.getLogger(__name__)


def _fallback_font() -> Path | None:
    """DejaVu Sans from matplotlib's package data (a dependency), which covers Vietnamese."""
    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    except ImportError:
        return None
    return path if path.is_file() else None


@functools.cache
def _installed_fonts() -> dict[str, Path]:
    """File name (lower case, no suffix) → path, for every TrueType/OpenType font under ``FONT_DIRS``."""
    found: dict[str, Path] = {}
    for folder in FONT_DIRS:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.suffix.lower() in (".ttf", ".otf"):
                    found.setdefault(path.stem.lower(), path)
    return found


def font_file(name: str) -> Path | None:
    """The font file of a MapLibre font name: "Noto Sans Regular" → ``NotoSans-Regular.ttf``.

    >>> font_file("No Such Font Regular") is None
    True
    """
    family, _, style = name.strip().rpartition(" ")
    candidates = [f"{family.replace(' ', '')}-{style}".lower(), name.replace(" ", "").lower()]
    fonts = _installed_fonts()
    return next((fonts[c] for c in candidates if c in fonts), None)


def parse_range(text: str) -> int:
    """The first code point of a glyph range name ``START-END``; ``ValueError`` when it is not one.

    >>> parse_range("7680-7935")
    7680
    """
    match = RANGE_PATTERN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a glyph range like 0-255")
    start, end = int(match[1]), int(match[2])
    if start % RANGE_SIZE or end != start + RANGE_SIZE - 1 or end > 0xFFFF:
        raise ValueError(f"{text!r} is not a glyph range: 256 code points starting at a multiple of 256")
    return start


def fontstack_range(fontstack: str, start: int) -> bytes:
    """The glyph PBF of ``fontstack`` (MapLibre's comma-joined ``text-font``) for code points ``start``…+255.

    The first font of the stack installed on the machine is used, else the fallback font.
    """
    path = next((p for p in map(font_file, fontstack.split(",")) if p is not None), None)
    if path is None:
        path = _fallback_font()
        if path is None:
            raise TileError(f"no font for {fontstack!r}: install fonts-noto-core (Debian) or matplotlib")
        log.info("font %r is not installed; labels use %s", fontstack, path.name)
    stack = (
        _text(1, fontstack) + _text(2, f"{start}-{start + RANGE_SIZE - 1}") + glyph_range(str(path), start)
    )
    return _message(1, stack)


@functools.lru_cache(maxsize=64)
def glyph_range(font_path: str, start: int) -> bytes:
    """The encoded glyphs (fontstack field 3, repeated) of ``font_path`` for ``start``…``start + 255``."""
    import freetype

    face = freetype.Face(font_path)
    face.set_char_size(FONT_SIZE * 64)
    ascender = round(face.size.ascender / 64)
    glyphs = []
    for code in range(start, start + RANGE_SIZE):
        if face.get_char_index(code) == 0:
            continue
        face.load_char(code, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING)
        slot = face.glyph
        bitmap = slot.bitmap
        alpha = np.array(bitmap.buffer, dtype=np.uint8).reshape(bitmap.rows, bitmap.pitch)[:, : bitmap.width]
        glyphs.append(
            _glyph(
                code,
                sdf(alpha) if alpha.size else b"",
                int(bitmap.width),
                int(bitmap.rows),
                int(slot.bitmap_left),
                int(slot.bitmap_top) - ascender,
                round(slot.linearHoriAdvance / 65536),
            )
        )
    return b"".join(_message(3, glyph) for glyph in glyphs)


def sdf(alpha: np.ndarray) -> bytes:
    """The signed distance field of a glyph's coverage (rows × columns, 0–255), with the buffer around it.

    >>> len(sdf(np.full((2, 3), 255, dtype=np.uint8))) == (2 + 2 * BUFFER) * (3 + 2 * BUFFER)
    True
    """
    coverage = np.pad(alpha.astype(np.float64) / 255.0, BUFFER)
    outer = np.where(coverage == 0, _INF, np.where(coverage >= 1, 0.0, np.maximum(0.5 - coverage, 0) ** 2))
    inner = np.where(coverage == 0, 0.0, np.where(coverage >= 1, _INF, np.maximum(coverage - 0.5, 0) ** 2))
    distance = np.sqrt(_edt(outer)) - np.sqrt(_edt(inner))
    values = np.round(255 - 255 * (distance / RADIUS + CUTOFF))
    return np.clip(values, 0, 255).astype(np.uint8).tobytes()


def _edt(grid: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance transform of a sampled function (glyphs are small: brute force per axis)."""
    for axis in (0, 1):
        moved = np.moveaxis(grid, axis, 0)
        positions = np.arange(moved.shape[0], dtype=np.float64)
        squares = (positions[:, None] - positions[None, :]) ** 2
        moved = (squares[:, :, None] + moved[None, :, :]).min(axis=1)
        grid = np.moveaxis(moved, 0, axis)
    return grid


def _glyph(code: int, bitmap: bytes, width: int, height: int, left: int, top: int, advance: int) -> bytes:
    body = _uint(1, code)
    if bitmap:
        body += _bytes(2, bitmap)
    body += _uint(3, width) + _uint(4, height)
    body += _uint(5, _zigzag(left)) + _uint(6, _zigzag(top)) + _uint(7, max(advance, 0))
    return body


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 31)


def _uint(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, value: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(value)) + value


def _text(field: int, value: str) -> bytes:
    return _bytes(field, value.encode("utf-8"))


def _message(field: int, body: bytes) -> bytes:
    return _bytes(field, body)
