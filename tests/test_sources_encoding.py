"""Legacy Vietnamese encodings: the TCVN3/VNI tables, detection by scoring, and the DBF encoding choice."""

from __future__ import annotations

import doctest
import shutil
import struct
import subprocess
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from danang_sdi.errors import ConfigError, SourceError
from danang_sdi.sources import charmaps, dbf, encoding, vietnamese
from danang_sdi.sources.charmaps import TCVN3_ENCODE, VNI_ENCODE
from danang_sdi.sources.encoding import (
    choose_dbf_encoding,
    decode_text,
    detect_encoding,
    encode_text,
    encoding_from_cpg,
    normalise_encoding,
    read_cpg,
    read_dbf_ldid,
    repair_frame,
    repair_text,
    restore_tcvn3_capitals,
)
from danang_sdi.sources.vietnamese import VIETNAMESE_LETTERS

# Ward names of Đà Nẵng before 2025 (domain-reference §5.1) and land-use names (§2.4).
WARDS = [
    "Hòa Hiệp Bắc", "Hòa Hiệp Nam", "Hòa Khánh Bắc", "Hòa Khánh Nam", "Hòa Minh", "Tam Thuận",
    "Thanh Khê Tây", "Thanh Khê Đông", "Xuân Hà", "Tân Chính", "Chính Gián", "Vĩnh Trung", "Thạc Gián",
    "An Khê", "Hòa Khê", "Thanh Bình", "Thuận Phước", "Thạch Thang", "Hải Châu I", "Hải Châu II",
    "Phước Ninh", "Hòa Thuận Tây", "Hòa Thuận Đông", "Nam Dương", "Bình Hiên", "Bình Thuận",
    "Hòa Cường Bắc", "Hòa Cường Nam", "Thọ Quang", "Nại Hiên Đông", "Mân Thái", "An Hải Bắc",
    "Phước Mỹ", "An Hải Tây", "An Hải Đông", "Mỹ An", "Khuê Mỹ", "Hoà Quý", "Hoà Hải", "Khuê Trung",
    "Hòa Phát", "Hòa An", "Hòa Thọ Tây", "Hòa Thọ Đông", "Hòa Xuân", "Hòa Bắc", "Hòa Liên", "Hòa Ninh",
    "Hòa Sơn", "Hòa Nhơn", "Hòa Phú", "Hòa Phong", "Hòa Châu", "Hòa Tiến", "Hòa Phước", "Hòa Khương",
]  # fmt: skip
LAND_USES = [
    "Đất ở tại đô thị", "Đất ở tại nông thôn", "Đất chuyên trồng lúa nước", "Đất trồng cây lâu năm",
    "Đất rừng sản xuất", "Đất nuôi trồng thủy sản", "Đất xây dựng trụ sở cơ quan", "Đất giao thông",
    "Đất thủy lợi", "Đất chợ", "Đất cơ sở tôn giáo", "Đất nghĩa trang, nghĩa địa",
    "Sông, ngòi, kênh, rạch, suối", "Đất bằng chưa sử dụng", "Núi đá không có rừng cây",
]  # fmt: skip
PLACES = WARDS + LAND_USES + ["Phường Hải Châu", "Quận Liên Chiểu", "Huyện Hòa Vang", "Thành phố Đà Nẵng"]
ENCODINGS = ["utf-8", "cp1258", "tcvn3", "vni"]

LOWER_LETTERS = sorted(letter for letter in TCVN3_ENCODE if letter.islower())
ALL_LETTERS = sorted(VIETNAMESE_LETTERS)
ASCII_TEXT = "abcdefghijklmnopqrstuvwxyz0123456789 .,;:-()/"


def write_dbf(
    path: Path, values: list[bytes], *, ldid: int = 0x57, deleted: frozenset[int] = frozenset()
) -> Path:
    """A minimal dBase III table with one 60-byte text field TEN and one numeric field SO."""
    fields = [(b"TEN", b"C", 60), (b"SO", b"N", 5)]
    record_length = 1 + sum(width for _, _, width in fields)
    header_length = 32 + 32 * len(fields) + 1
    out = bytearray(struct.pack("<BBBBIHH", 3, 126, 1, 1, len(values), header_length, record_length))
    out += bytes(17) + bytes([ldid]) + bytes(2)
    for name, kind, width in fields:
        out += name.ljust(11, b"\x00") + kind + bytes(4) + bytes([width, 0]) + bytes(14)
    out += b"\x0d"
    for index, value in enumerate(values):
        out += (b"*" if index in deleted else b" ") + value.ljust(60) + str(index).rjust(5).encode()
    out += b"\x1a"
    path.write_bytes(bytes(out))
    return path


# --- the tables -------------------------------------------------------------------------------------


def test_tcvn3_facts_from_the_domain_reference() -> None:
    raw = encode_text("Đất ở tại đô thị", "tcvn3")
    assert raw.hex(" ") == "a7 ca 74 20 eb 20 74 b9 69 20 ae ab 20 74 68 de"
    assert raw.decode("cp1252") == "§Êt ë t¹i ®« thÞ"
    assert encode_text("Đà Nẵng", "tcvn3").decode("cp1252") == "§µ N½ng"
    assert encode_text("Phường", "tcvn3") == b"Ph\xad\xeang"
    assert b"\xad".decode("cp1252") == "\u00ad"  # the invisible soft hyphen
    assert decode_text(b"Ph\xad\xeang", "tcvn3") == "Phường"
    assert encode_text("ĂÂÊÔƠƯĐ", "tcvn3") == bytes(range(0xA1, 0xA8))


def test_tcvn3_loses_case_of_toned_capitals_only() -> None:
    assert encode_text("Ấ", "tcvn3") == encode_text("ấ", "tcvn3") == b"\xca"
    assert decode_text(encode_text("ĐẤT Ở", "tcvn3"), "tcvn3") == "ĐấT ở"
    assert decode_text(encode_text("ĐẤT Ở TẠI", "tcvn3"), "tcvn3", restore_case=True) == "ĐẤT ở TẠI"


def test_vni_facts_from_the_domain_reference() -> None:
    assert encode_text("Đà Nẵng", "vni").decode("cp1252") == "Ñaø Naüng"
    pairs = {"á": "aù", "ơ": "ô", "ư": "ö", "đ": "ñ", "Đ": "Ñ", "Ấ": "AÁ", "ượ": "öôï", "ỵ": "î"}
    for letter, sequence in pairs.items():
        assert encode_text(letter, "vni") == sequence.encode("cp1252")
        assert decode_text(sequence.encode("cp1252"), "vni") == letter


def test_tables_cover_the_whole_alphabet_without_collisions() -> None:
    assert len(LOWER_LETTERS) == 67  # 12 vowels x 6 tones, minus the 6 ASCII ones, plus đ
    assert len(ALL_LETTERS) == 134
    assert len(set(TCVN3_ENCODE.values())) == 74  # 67 lower-case codes + 7 capitals
    assert set(VNI_ENCODE) == set(ALL_LETTERS)
    assert len(set(VNI_ENCODE.values())) == 134


@pytest.mark.skipif(shutil.which("iconv") is None, reason="glibc iconv not installed")
def test_tcvn3_table_agrees_with_glibc_tcvn5712() -> None:
    codes = bytes(sorted(TCVN3_ENCODE.values()))
    glibc = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=codes, capture_output=True)
    assert glibc.returncode == 0
    assert unicodedata.normalize("NFC", glibc.stdout.decode()) == decode_text(codes, "tcvn3")


def test_cp1258_decodes_combining_tone_marks_to_nfc() -> None:
    raw = encode_text("Hòa Khánh Đông, Quảng Ngãi", "cp1258")
    assert b"\xcc" in raw  # ò is written o + combining grave
    assert decode_text(raw, "cp1258") == "Hòa Khánh Đông, Quảng Ngãi"


@given(st.text(alphabet=LOWER_LETTERS + list(ASCII_TEXT) + list("ĂÂÊÔƠƯĐ")))
def test_tcvn3_round_trip_lower_case(text: str) -> None:
    assert decode_text(encode_text(text, "tcvn3"), "tcvn3") == text


@given(st.text(alphabet=ALL_LETTERS + list(ASCII_TEXT + ASCII_TEXT.upper())))
def test_vni_round_trip_any_case(text: str) -> None:
    assert decode_text(encode_text(text, "vni"), "vni") == text


@given(st.text(alphabet=ALL_LETTERS + list(ASCII_TEXT)))
def test_cp1258_round_trip_and_nfd_input(text: str) -> None:
    assert decode_text(encode_text(text, "cp1258"), "cp1258") == text
    nfd = unicodedata.normalize("NFD", text)
    assert decode_text(encode_text(nfd, "vni"), "vni") == text


@given(st.binary(max_size=64), st.sampled_from(["tcvn3", "vni", "cp1258", "cp1252"]))
def test_latin1_repair_equals_decoding_the_bytes(raw: bytes, name: str) -> None:
    assert repair_text(raw.decode("latin-1"), name) == decode_text(raw, name, restore_case=True)


def test_latin1_is_lossless_for_all_256_bytes() -> None:
    every_byte = bytes(range(256))
    assert every_byte.decode("latin-1").encode("latin-1") == every_byte
    assert len(decode_text(every_byte, "tcvn3")) == 256


def test_encoders_refuse_what_the_font_cannot_show() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_text("ü", "vni")  # 0xFC is VNI's breve-tilde mark
    with pytest.raises(UnicodeEncodeError):
        encode_text("©", "tcvn3")  # 0xA9 is TCVN3's â
    assert encode_text("m² – “a”", "tcvn3").decode("cp1252") == "m² – “a”"


# --- scoring and detection --------------------------------------------------------------------------


def test_syllable_check() -> None:
    for word in ["Nẵng", "người", "khuỷu", "quyết", "giữa", "xoong", "Phường", "thuở", "Đắk"]:
        assert vietnamese.is_vietnamese_syllable(word), word
    for word in ["N½ng", "§Êt", "naỹng", "ẹaứ", "Ä‘", "thÞ", "Ph\xadêng", "hoặcá"]:
        assert not vietnamese.is_vietnamese_syllable(word), word


def test_score_counts_odd_separators_and_repeated_words() -> None:
    # "\u2003" (em space) separates words but is itself an odd character that is not a letter.
    assert vietnamese.vietnamese_score(["Đà\u2003Nẵng"]) == round(0.6 + 0.4 * 3 / 4, 4)
    assert vietnamese.vietnamese_score(["Đà Nẵng", "N½ng Đà"]) == round(0.6 * 3 / 4 + 0.4 * 5 / 6, 4)
    assert vietnamese.vietnamese_score(["e\u0301 Ha\u0300"]) == 1.0  # scored in NFC
    assert vietnamese.vietnamese_score(["ODT", ""]) == 0.0


@pytest.mark.parametrize("name", ENCODINGS)
def test_detection_on_place_and_land_use_names(name: str) -> None:
    raw = [encode_text(place, name) for place in PLACES]
    guess = detect_encoding(raw)
    assert (guess.encoding, guess.confidence >= 0.9) == (name, True), guess
    assert [decode_text(value, guess.encoding) for value in raw] == PLACES
    # One name alone can be ambiguous ("Vĩnh" in VNI reads "Vúnh" in TCVN3); most are not.
    alone = [detect_encoding([value]).encoding for value in raw]
    assert sum(found == name for found in alone) >= 0.9 * len(raw)


@pytest.mark.parametrize("name", ENCODINGS)
def test_detection_on_small_batches(name: str) -> None:
    for start in range(0, len(PLACES), 3):
        batch = PLACES[start : start + 3]
        assert detect_encoding(encode_text(place, name) for place in batch).encoding == name, batch


def test_detection_reasons_and_special_cases() -> None:
    assert detect_encoding([b"ODT", b"CLN", b""]).encoding == "ascii"
    assert detect_encoding([]).reason == "there is no text"
    tcvn3 = detect_encoding(encode_text(place, "tcvn3") for place in LAND_USES)
    assert tcvn3.reason.startswith("the text scores as TCVN3 (1.00); next best")
    assert tcvn3.scores["tcvn3"] > 0.9 > max(tcvn3.scores["vni"], tcvn3.scores["cp1258"])
    nfd = unicodedata.normalize("NFD", "Thành phố Đà Nẵng").encode()
    assert detect_encoding([nfd]).encoding == "utf-8"
    assert decode_text(nfd, "utf-8") == "Thành phố Đà Nẵng"
    cut = "Đà Nẵng".encode()[:-4]  # a DBF field that cut "ẵ" in the middle
    assert (detect_encoding([cut, "Hòa Vang".encode()]).encoding, decode_text(cut, "utf-8")) == (
        "utf-8",
        "Đà N",
    )
    french = detect_encoding(["Café crème".encode()])
    assert (french.encoding, "does not look Vietnamese" in french.reason) == ("utf-8", True)


def test_stripped_soft_hyphens_still_read_as_tcvn3() -> None:
    raw = [encode_text(place, "tcvn3").replace(b"\xad", b"") for place in PLACES]
    assert detect_encoding(raw).encoding == "tcvn3"


# --- names, .cpg, LDID -----------------------------------------------------------------------------


def test_encoding_names() -> None:
    assert [normalise_encoding(n) for n in ["UTF8", "windows-1258", "ABC", "VNI-Windows", "latin1"]] == [
        "utf-8", "cp1258", "tcvn3", "vni", "iso8859-1",
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="unknown text encoding 'klingon'; use utf-8"):
        normalise_encoding("klingon")
    cpg = ["UTF-8", "65001", "1258", "ANSI 1252", "88591", "ISO-8859-1", "CP1258", "TCVN3", "System"]
    expected = ["utf-8", "utf-8", "cp1258", "cp1252", "iso8859-1", "iso8859-1", "cp1258", "tcvn3", None]
    assert [encoding_from_cpg(text) for text in cpg] == expected


def test_ldid_table_follows_gdal() -> None:
    assert dbf.LDID_CODECS[0x57] == "cp1252"
    assert dbf.LDID_CODECS[0xC8] == "cp1250"
    assert "cp1258" not in dbf.LDID_CODECS.values()  # no language driver exists for Vietnamese


def test_dbf_reader(tmp_path: Path) -> None:
    path = write_dbf(tmp_path / "t.dbf", [b"Hoa", b"", b"deleted", "Ñaø".encode("cp1252")], deleted={2})
    header = dbf.read_dbf_header(path)
    assert [(f.name, f.type, f.width, f.offset) for f in header.fields] == [
        ("TEN", "C", 60, 1),
        ("SO", "N", 5, 61),
    ]
    assert list(dbf.iter_dbf_text(path)) == [b"Hoa", b"\xd1a\xf8"]
    assert read_dbf_ldid(tmp_path / "t.shp") == 0x57
    assert read_cpg(path) is None
    (tmp_path / "t.CPG").write_text(" UTF-8\n")
    assert read_cpg(tmp_path / "t.shp") == "UTF-8"


def test_dbf_reader_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no \.dbf attribute table next to it"):
        choose_dbf_encoding(tmp_path / "missing.shp")
    (tmp_path / "cut.dbf").write_bytes(write_dbf(tmp_path / "x.dbf", [b"a"]).read_bytes()[:40])
    with pytest.raises(SourceError, match=r"cut\.dbf: the DBF header is cut short"):
        choose_dbf_encoding(tmp_path / "cut.dbf")


# --- choosing a DBF's encoding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cpg", "ldid", "phrases"),
    [
        (
            "tcvn3",
            None,
            0x57,
            ["no .cpg; LDID 87 claims cp1252 (which scores", "but the text scores as TCVN3"],
        ),
        ("vni", "UTF-8", 0x57, [".cpg says UTF-8 (the bytes are not valid UTF-8)", "scores as VNI"]),
        ("vni", "1252", 0x00, [".cpg says 1252 (which scores", "no LDID", "the text scores as VNI"]),
        ("tcvn3", "TCVN3", 0x57, [".cpg says TCVN3 and the bytes agree"]),
        ("cp1258", "1258", 0x57, [".cpg says 1258 and the bytes agree"]),
        ("cp1258", None, 0x57, ["no .cpg; LDID 87 claims cp1252", "the text scores as cp1258"]),
        ("utf-8", "UTF-8", 0x57, [".cpg says UTF-8 and the bytes agree: the text is valid UTF-8"]),
        ("utf-8", None, 0x57, ["no .cpg; LDID 87 claims cp1252", "valid UTF-8 with Vietnamese letters"]),
    ],
)
def test_choose_dbf_encoding(
    tmp_path: Path, name: str, cpg: str | None, ldid: int, phrases: list[str]
) -> None:
    write_dbf(tmp_path / "survey.dbf", [encode_text(place, name) for place in PLACES], ldid=ldid)
    if cpg is not None:
        (tmp_path / "survey.cpg").write_text(cpg)
    guess = choose_dbf_encoding(tmp_path / "survey.shp")
    assert guess.encoding == name, guess
    for phrase in phrases:
        assert phrase in guess.reason, guess.reason


def test_choose_honours_a_claim_when_the_text_is_ascii(tmp_path: Path) -> None:
    write_dbf(tmp_path / "codes.dbf", [b"ODT", b"CLN", b"DGT"], ldid=0x57)
    guess = choose_dbf_encoding(tmp_path / "codes.dbf")
    assert (guess.encoding, guess.confidence) == ("cp1252", 1.0)
    assert guess.reason == "no .cpg; LDID 87 claims cp1252 and the bytes agree: the text is ASCII only"


def test_pyogrio_shapefile_end_to_end(tmp_path: Path) -> None:
    """A TCVN3 shapefile written by GDAL (with a .cpg that lies), read back byte for byte and repaired."""
    raw = [encode_text(place, "tcvn3") for place in PLACES]
    frame = gpd.GeoDataFrame(
        {"ten": [value.decode("latin-1") for value in raw], "so": range(len(raw))},
        geometry=[shapely.Point(550175, 1777138)] * len(raw),
        crs="EPSG:5899",
    )
    pyogrio.write_dataframe(frame, tmp_path / "thua.shp", encoding="latin1")
    guess = choose_dbf_encoding(tmp_path / "thua.shp")
    assert guess.encoding == "tcvn3" and ".cpg says" in guess.reason, guess
    read = pyogrio.read_dataframe(tmp_path / "thua.shp", encoding="latin1")
    repaired = repair_frame(read, guess.encoding)
    assert repaired["ten"].tolist() == PLACES
    assert repaired["so"].tolist() == list(range(len(raw)))
    assert repaired.geometry.iloc[0].equals(shapely.Point(550175, 1777138))


def test_every_byte_survives_gdal_with_latin1(tmp_path: Path) -> None:
    value = bytes(range(1, 32)) + bytes(range(33, 256))  # NUL ends a C string; blanks are trimmed at the end
    write_dbf(tmp_path / "bytes.dbf", [value[start : start + 60] for start in range(0, len(value), 60)])
    read = pyogrio.read_dataframe(tmp_path / "bytes.dbf", encoding="latin1", read_geometry=False)
    assert b"".join(text.encode("latin-1") for text in read["TEN"]) == value


def test_repair_frame(tmp_path: Path) -> None:
    frame = pd.DataFrame({"ten": ["Ñaø Naüng", None, "ODT", float("nan")], "so": [1, 2, 3, 4]})
    frame["Tªn"] = ["a", "b", "c", "d"]
    repaired = repair_frame(frame, "vni")
    assert repaired["ten"].iloc[[0, 2]].tolist() == ["Đà Nẵng", "ODT"]
    assert repaired["ten"].iloc[[1, 3]].isna().all() and repaired["so"].tolist() == [1, 2, 3, 4]
    assert list(repaired.columns) == ["ten", "so", "Tªn"]  # VNI: ª is no mark; names stay as read
    assert list(repair_frame(frame, "tcvn3").columns) == ["ten", "so", "Tên"]
    assert frame["ten"].iloc[0] == "Ñaø Naüng"  # the input frame is not modified
    with pytest.raises(SourceError, match="column 'ten' row 0: the text has characters beyond Latin-1"):
        repair_frame(pd.DataFrame({"ten": ["Đà Nẵng"]}), "tcvn3")
    with pytest.raises(SourceError, match="column 'ten' row 0: byte 0xa7 is not valid utf-8"):
        repair_frame(pd.DataFrame({"ten": ["§µ"]}), "utf-8")


def test_restore_capitals_only_in_all_capital_words() -> None:
    assert restore_tcvn3_capitals("NGƯờI Hà NộI Đà") == "NGƯỜI Hà NỘI Đà"


# --- real data -------------------------------------------------------------------------------------


def test_geoboundaries_dbf_is_utf8_without_cpg(shared_data: Path) -> None:
    shp = shared_data / "admin-geoboundaries-vnm-adm1" / "geoBoundaries-VNM-ADM1.shp"
    if not shp.exists():
        pytest.skip(f"{shp} not found")
    guess = choose_dbf_encoding(shp)
    assert guess.encoding == "utf-8" and guess.confidence >= 0.9, guess
    assert guess.reason.startswith("no .cpg; no LDID; the text is valid UTF-8 with Vietnamese letters")
    names = [decode_text(value, guess.encoding) for value in dbf.iter_dbf_text(dbf.dbf_path_for(shp))]
    assert "Đà Nẵng" in names and "Thừa Thiên Huế" in names
    read = pyogrio.read_dataframe(shp, encoding="latin1", read_geometry=False)
    assert "Đà Nẵng" in repair_frame(read, guess.encoding)["shapeName"].tolist()


def test_docstring_examples() -> None:
    for module in (charmaps, vietnamese, encoding):
        failed, tried = doctest.testmod(module)
        assert tried and not failed, module.__name__


def test_choose_without_any_claim_on_ascii_text(tmp_path: Path) -> None:
    write_dbf(tmp_path / "codes.dbf", [b"ODT", b"CLN"], ldid=0)
    guess = choose_dbf_encoding(tmp_path / "codes.dbf")
    assert (guess.encoding, guess.reason) == (
        "ascii",
        "no .cpg; no LDID; all text is ASCII, so every encoding reads it the same",
    )
