"""The raw bytes of a shapefile's attribute table (.dbf) and its encoding hints (.cpg, LDID byte).

GDAL decodes DBF text before we see it, using the .cpg file or the LDID byte, and both are often
wrong for Vietnamese surveys. To guess the encoding we need the bytes, so this module reads the
dBase header itself (it is simple: record count, header length, record length, 32-byte field
descriptors) and returns the character fields undecoded.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from danang_sdi.errors import SourceError

LDID_OFFSET = 29
"""Byte 29 of the DBF header: the language driver id (LDID) naming the code page, 0 when unset."""

# LDID → Python codec, after GDAL's table (ogr/ogrsf_frmts/shape/ogrshapelayer.cpp, ConvertCodePage),
# which follows the dBase/FoxPro language-driver list. There is no LDID for Vietnamese (cp1258):
# Vietnamese DBFs can only declare their encoding through a .cpg file. GDAL writes 87 ("ANSI",
# read as ISO-8859-1 by GDAL) on every shapefile it creates unless told otherwise, so 87 says little.
LDID_CODECS: dict[int, str] = {
    0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x04: "mac_roman", 0x08: "cp865", 0x0A: "cp850",
    0x0B: "cp437", 0x0D: "cp437", 0x0E: "cp850", 0x0F: "cp437", 0x10: "cp850", 0x11: "cp437",
    0x12: "cp850", 0x13: "cp932", 0x14: "cp850", 0x15: "cp437", 0x16: "cp850", 0x17: "cp865",
    0x18: "cp437", 0x19: "cp437", 0x1A: "cp850", 0x1B: "cp437", 0x1C: "cp863", 0x1D: "cp850",
    0x1F: "cp852", 0x22: "cp852", 0x23: "cp852", 0x24: "cp860", 0x25: "cp850", 0x26: "cp866",
    0x37: "cp850", 0x40: "cp852", 0x4D: "cp936", 0x4E: "cp949", 0x4F: "cp950", 0x50: "cp874",
    0x57: "cp1252", 0x58: "cp1252", 0x59: "cp1252", 0x64: "cp852", 0x65: "cp866", 0x66: "cp865",
    0x67: "cp861", 0x6A: "cp737", 0x6B: "cp857", 0x6C: "cp863", 0x78: "cp950", 0x79: "cp949",
    0x7A: "cp936", 0x7B: "cp932", 0x7C: "cp874", 0x86: "cp737", 0x87: "cp852", 0x88: "cp857",
    0x96: "mac_cyrillic", 0x97: "mac_latin2", 0xC8: "cp1250", 0xC9: "cp1251", 0xCA: "cp1254",
    0xCB: "cp1253", 0xCC: "cp1257",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DbfField:
    """One field descriptor: name, dBase type letter, width in bytes and offset inside a record."""

    name: str
    type: str
    width: int
    offset: int


@dataclass(frozen=True, slots=True)
class DbfHeader:
    """What the DBF header says: version byte, record count and sizes, LDID and the fields."""

    version: int
    record_count: int
    header_length: int
    record_length: int
    ldid: int
    fields: tuple[DbfField, ...]


def dbf_path_for(path: str | Path) -> Path:
    """Return the .dbf next to a .shp/.shx/.cpg/.dbf path, whatever the case of its extension."""
    path = Path(path)
    for suffix in (".dbf", ".DBF", ".Dbf"):
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    raise SourceError(f"{path}: no .dbf attribute table next to it; copy the .dbf part of the shapefile too")


def read_dbf_header(path: str | Path) -> DbfHeader:
    """Parse the DBF header and field descriptors (dBase III/IV, FoxPro; not dBase 7)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(32)
            header_length = struct.unpack("<H", head[8:10])[0] if len(head) == 32 else 0
            descriptors = handle.read(max(header_length - 32, 0))
    except OSError as error:
        raise SourceError(f"{path}: cannot read the attribute table ({error.strerror or error})") from error
    if len(head) < 32 or len(descriptors) < header_length - 32:
        raise SourceError(f"{path}: the DBF header is cut short; the file is truncated, copy it again")
    version = head[0]
    record_count, header_length, record_length = struct.unpack("<IHH", head[4:12])
    if version & 0x07 == 4:
        raise SourceError(
            f"{path}: dBase 7 tables are not supported; re-export the shapefile with QGIS or GDAL"
        )
    fields = []
    offset = 1  # byte 0 of each record is the deletion flag
    for start in range(0, len(descriptors) - 31, 32):
        descriptor = descriptors[start : start + 32]
        if descriptor[0] == 0x0D:
            break
        name = descriptor[:11].split(b"\x00", 1)[0].decode("latin-1").strip()
        kind = chr(descriptor[11])
        width = descriptor[16] + (descriptor[17] << 8 if kind == "C" else 0)  # shapelib: long C fields
        fields.append(DbfField(name, kind, width, offset))
        offset += width
    return DbfHeader(version, record_count, header_length, record_length, head[LDID_OFFSET], tuple(fields))


def iter_dbf_text(path: str | Path, *, limit: int | None = None) -> Iterator[bytes]:
    """Yield the raw bytes of every non-empty character value, trailing blanks removed.

    Deleted records are skipped. ``limit`` caps how many records are read (for sampling large tables).
    """
    header = read_dbf_header(path)
    text_fields = [field for field in header.fields if field.type == "C"]
    count = header.record_count if limit is None else min(limit, header.record_count)
    if not text_fields or not count or header.record_length <= 0:
        return
    with Path(path).open("rb") as handle:
        handle.seek(header.header_length)
        for _ in range(count):
            record = handle.read(header.record_length)
            if len(record) < header.record_length:
                return  # truncated table: keep what was readable, GDAL will report the rest
            if record[:1] == b"*":
                continue
            for field in text_fields:
                value = record[field.offset : field.offset + field.width].rstrip(b" \x00")
                if value:
                    yield value


def read_dbf_ldid(path: str | Path) -> int | None:
    """Return the DBF language driver id (byte 29), or None when it is 0 (not set).

    Accepts the .dbf or any other part of the shapefile.
    """
    ldid = read_dbf_header(dbf_path_for(path)).ldid
    return ldid or None


def read_cpg(path: str | Path) -> str | None:
    """Return the stripped text of the .cpg file next to a shapefile part; None if absent or empty."""
    path = Path(path)
    for suffix in (".cpg", ".CPG", ".Cpg"):
        candidate = path.with_suffix(suffix)
        if candidate.is_file():
            text = candidate.read_bytes().decode("latin-1").strip().strip("\ufeff\x00").strip()
            return text or None
    return None
