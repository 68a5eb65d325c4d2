"""Reading deliveries: every format, zips, legacy encodings, CRS detection, and clear refusals."""

from __future__ import annotations

import sys
import unicodedata
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Layer
from danang_sdi.errors import SourceError
from danang_sdi.sources.encoding import encode_text
from danang_sdi.sources.reader import ALWAYS_NFC, _beyond_always_nfc, _nfc, read_source
from tests.helpers.qa_fixtures import ORIGIN, as_surveyor_names, parcels, write

ADDRESS = "Phường Hải Châu, Đà Nẵng"


@pytest.fixture(scope="module")
def parcel() -> Layer:
    return load_catalog().get("cadastral_parcel")


def _rules(source) -> set[str]:
    return {note.rule for note in source.notes}


def _legacy_shapefile(folder: Path, encoding: str, *, keep_cpg: bool = False) -> Path:
    """A shapefile whose text bytes are in a legacy encoding (written byte for byte through Latin-1)."""
    frame = parcels(2)
    frame["dia_chi"] = encode_text(ADDRESS, encoding).decode("latin-1")
    path = write(frame, folder / f"thua_{encoding}.shp", encoding="latin1")
    if not keep_cpg:
        path.with_suffix(".cpg").unlink()
    return path


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "cp1258"])
def test_legacy_text_is_detected_converted_and_kept_raw(tmp_path: Path, parcel: Layer, encoding: str) -> None:
    source = read_source(_legacy_shapefile(tmp_path, encoding), parcel)
    assert source.encoding.encoding == encoding
    assert source.frame["dia_chi"].tolist() == [ADDRESS] * 4
    assert "encoding.legacy" in _rules(source)
    raw = source.raw["dia_chi"].iloc[0].encode("latin-1")
    assert raw == encode_text(ADDRESS, encoding)  # the original bytes, for the loader's quarantine


def test_a_lying_cpg_is_overruled_and_reported(tmp_path: Path, parcel: Layer) -> None:
    source = read_source(_legacy_shapefile(tmp_path, "tcvn3", keep_cpg=True), parcel)
    assert source.encoding.encoding == "tcvn3"
    assert source.frame["dia_chi"].iloc[0] == ADDRESS
    assert {"encoding.legacy", "encoding.mismatch"} <= _rules(source)


def test_geoboundaries_utf8_without_cpg_decodes_da_nang(shared_data: Path) -> None:
    path = shared_data / "admin-geoboundaries-vnm-adm1" / "geoBoundaries-VNM-ADM1.shp"
    layer = load_catalog().get("admin_commune")
    source = read_source(path, layer)
    names = source.frame.loc[source.frame["shapeISO"] == "VN-DN", "shapeName"].tolist()
    assert names == ["Đà Nẵng"]
    assert source.encoding.encoding == "utf-8"
    assert "no .cpg" in source.encoding.reason
    assert source.to_dict()["encoding"] == "UTF-8"


def test_decomposed_unicode_is_composed_and_reported(tmp_path: Path, parcel: Layer) -> None:
    frame = parcels(2)
    frame["dia_chi"] = unicodedata.normalize("NFD", ADDRESS)
    source = read_source(write(frame, tmp_path / "nfd.geojson"), parcel)
    assert source.frame["dia_chi"].iloc[0] == ADDRESS
    assert unicodedata.is_normalized("NFC", source.frame["dia_chi"].iloc[0])
    assert "encoding.nfc" in _rules(source)


def test_nfd_values_among_ascii_and_nfc_ones_are_composed_and_counted(tmp_path: Path, parcel: Layer) -> None:
    frame = parcels(3)
    nfd = unicodedata.normalize("NFD", ADDRESS)
    values = [nfd, "Thon 3", ADDRESS, None, nfd, "Tổ 5 – “Hải Châu”", "Hòa Khánh", nfd, "ODT"]
    frame["dia_chi"] = values
    frame["ten_chu"] = ["Nguyê\u0303n Văn A"] + ["Trần Thị B"] * 8  # one more, in another column
    source = read_source(write(frame, tmp_path / "mixed.gpkg"), parcel)
    expected = [None if value is None else unicodedata.normalize("NFC", value) for value in values]
    assert [None if pd.isna(value) else value for value in source.frame["dia_chi"]] == expected
    assert source.frame["ten_chu"].iloc[0] == "Nguyễn Văn A"
    assert source.frame["dia_chi"].dtype == "str"
    (note,) = [note for note in source.notes if note.rule == "encoding.nfc"]
    assert note.en.startswith("4 values were in decomposed Unicode")


def test_dashes_and_quotes_in_nfc_text_are_not_nfd(tmp_path: Path, parcel: Layer) -> None:
    frame = parcels(2)
    values = ["Tổ 5 – “Hải Châu”", "Ω Ångström ½ 한국", "Khu 2 — Hòa Khánh", "m²"]
    frame["dia_chi"] = values
    source = read_source(write(frame, tmp_path / "marks.gpkg"), parcel)
    assert source.frame["dia_chi"].tolist() == values
    assert "encoding.nfc" not in _rules(source)


@pytest.mark.parametrize("nfd_every", [0, 7919, 3, 1])
def test_nfc_on_large_columns_counts_exactly(nfd_every: int) -> None:
    """Few or many decomposed values, among many or few suspects: the exact count and the NFC text."""
    # 12,000 values with a dash (a suspect character, NFC all the same), 6,000 ASCII, 12,000 plain NFC.
    dash = [f"Tổ {i % 97} – {ADDRESS}" for i in range(30_000)]
    nfc = [
        dash[i] if i % 5 in (1, 2) else f"Thon {i}" if i % 5 == 0 else dash[i].replace(" –", "")
        for i in range(30_000)
    ]
    values = [
        unicodedata.normalize("NFD", text) if nfd_every and i % nfd_every == 0 else text
        for i, text in enumerate(nfc)
    ]
    values[10] = None
    series = pd.Series(values, dtype="str")
    out, changed = _nfc({"dia_chi": series})
    expected = [None if value is None else unicodedata.normalize("NFC", value) for value in values]
    assert [None if pd.isna(value) else value for value in out["dia_chi"]] == expected
    assert changed == sum(
        value is not None and value != unicodedata.normalize("NFC", value) for value in values
    )
    assert out["dia_chi"].dtype == "str"
    if not changed:
        assert out["dia_chi"] is series


def test_tcvn3_already_misread_into_unicode_is_repaired(tmp_path: Path, parcel: Layer) -> None:
    frame = parcels(2)
    frame["dia_chi"] = encode_text(ADDRESS, "tcvn3").decode("cp1252", errors="replace")  # "Ph­êng H¶i Ch©u"
    source = read_source(write(frame, tmp_path / "mojibake.gpkg"), parcel)
    assert source.frame["dia_chi"].iloc[0] == ADDRESS
    assert source.encoding.encoding == "tcvn3"
    assert "encoding.legacy" in _rules(source)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb", ".shp"])
def test_every_format_reads_with_fields_mapped(tmp_path: Path, parcel: Layer, suffix: str) -> None:
    path = write(as_surveyor_names(parcels(3)), tmp_path / f"thua{suffix}")
    source = read_source(path, parcel)
    assert len(source.frame) == 9
    assert source.mapping.columns["MaXa"] == "ma_xa"
    assert source.mapping.columns["KyHieuMucD"] == "loai_dat"
    assert source.crs.code == "EPSG:5899" and source.crs.projected
    assert source.notes == []
    assert source.frame.crs.to_epsg() == 5899


def _zip(path: Path, files: list[Path], prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for file in files:
            archive.write(file, prefix + file.name)
    return path


def test_a_zip_holding_a_shapefile_is_read(tmp_path: Path, parcel: Layer) -> None:
    shp = write(parcels(2), tmp_path / "thua.shp")
    parts = sorted(tmp_path.glob("thua.*"))
    source = read_source(_zip(tmp_path / "giao_nop.zip", parts, prefix="ban_giao/"), parcel)
    assert source.label == "giao_nop.zip/thua.shp"
    assert len(source.frame) == 4 and shp.exists()


def test_a_zip_with_two_datasets_asks_which(tmp_path: Path, parcel: Layer) -> None:
    a = write(parcels(2), tmp_path / "a.geojson")
    b = write(parcels(2), tmp_path / "b.geojson")
    archive = _zip(tmp_path / "two.zip", [a, b])
    with pytest.raises(SourceError, match=r"holds 2 datasets \(a.geojson, b.geojson\)"):
        read_source(archive, parcel)
    assert len(read_source(archive, parcel, source_layer="b").frame) == 4


def test_a_geopackage_layer_is_chosen_by_name(tmp_path: Path, parcel: Layer) -> None:
    path = tmp_path / "many.gpkg"
    write(parcels(2), path, layer="roads")
    write(parcels(3), path, layer="cadastral_parcel")
    assert len(read_source(path, parcel).frame) == 9  # the catalog layer id is the default
    assert len(read_source(path, parcel, source_layer="roads").frame) == 4
    write(parcels(2), path, layer="other")
    with pytest.raises(SourceError, match="no layer 'nope'"):
        read_source(path, parcel, source_layer="nope")


def test_no_prj_in_5899_is_detected_as_5899(tmp_path: Path, parcel: Layer) -> None:
    path = write(parcels(3), tmp_path / "noprj.shp")
    path.with_suffix(".prj").unlink()
    source = read_source(path, parcel)
    assert source.crs.code == "EPSG:5899"
    assert "crs.missing" in _rules(source)
    assert source.frame.geometry.iloc[0].bounds[:2] == ORIGIN


def test_swapped_axes_are_put_back(tmp_path: Path, parcel: Layer) -> None:
    frame = parcels(3)
    frame.geometry = shapely.transform(frame.geometry.array, lambda xy: xy[:, ::-1])
    source = read_source(write(frame, tmp_path / "swapped.gpkg"), parcel)
    assert {"crs.mismatch", "crs.swapped"} <= _rules(source)
    assert source.crs.swapped
    assert source.frame.geometry.iloc[0].bounds[:2] == ORIGIN


def test_a_wrong_prj_is_overruled(tmp_path: Path, parcel: Layer) -> None:
    frame = parcels(3).set_crs("EPSG:4326", allow_override=True)
    source = read_source(write(frame, tmp_path / "wrong.gpkg"), parcel)
    assert source.crs.code == "EPSG:5899"
    assert "crs.mismatch" in _rules(source)


def test_coordinates_no_crs_fits_are_left_unprojected(tmp_path: Path, parcel: Layer) -> None:
    frame = parcels(2)
    frame.geometry = frame.geometry.translate(-400_000, 1_500_000)  # nowhere near Đà Nẵng in any CRS
    path = write(frame, tmp_path / "lost.shp")
    path.with_suffix(".prj").unlink()
    source = read_source(path, parcel)
    assert not source.crs.projected
    assert "crs.undetermined" in _rules(source)


def test_lonlat_input_is_reprojected_through_the_pinned_operation(tmp_path: Path, parcel: Layer) -> None:
    frame = gpd.GeoDataFrame({"so_thua": [1]}, geometry=[shapely.Point(108.2208, 16.0678)], crs="EPSG:4326")
    source = read_source(write(frame, tmp_path / "city_hall.geojson"), parcel)
    x, y = source.frame.geometry.iloc[0].coords[0]
    assert (round(x), round(y)) == (550175, 1777138)  # domain reference §4.3
    assert source.crs.reprojected


# --- inputs that cannot be read: one sentence naming the file, never a traceback -------------------


def _shapefile(folder: Path, n: int = 10) -> Path:
    return write(parcels(n), folder / "thua.shp")


def _truncated_shp(folder: Path) -> Path:
    path = _shapefile(folder)
    path.write_bytes(path.read_bytes()[:3000])
    return path


def _truncated_dbf(folder: Path) -> Path:
    path = _shapefile(folder)
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:-500])
    return path


def _missing_part(suffix: str):
    def make(folder: Path) -> Path:
        path = _shapefile(folder)
        path.with_suffix(suffix).unlink()
        return path

    return make


def _empty_zip(folder: Path) -> Path:
    zipfile.ZipFile(folder / "empty.zip", "w").close()
    return folder / "empty.zip"


def _zero_bytes(name: str):
    def make(folder: Path) -> Path:
        (folder / name).write_bytes(b"")
        return folder / name

    return make


def _junk(folder: Path) -> Path:
    (folder / "junk.gpkg").write_bytes(b"this is not a geopackage\n" * 10)
    return folder / "junk.gpkg"


def _junk_zip(folder: Path) -> Path:
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    return folder / "broken.zip"


UNREADABLE = {
    "truncated .shp": (_truncated_shp, "the .shp is truncated"),
    "truncated .dbf": (_truncated_dbf, "the .dbf is truncated"),
    "missing .dbf": (_missing_part(".dbf"), "the .dbf attribute table is missing"),
    "missing .shx": (_missing_part(".shx"), "the .shx index is missing"),
    "empty zip": (_empty_zip, "the zip is empty"),
    "broken zip": (_junk_zip, "not a readable zip"),
    "a directory": (lambda folder: folder, "is a folder, not a dataset"),
    "0-byte .shp": (_zero_bytes("thua.shp"), "the file is empty (0 bytes)"),
    "0-byte .gpkg": (_zero_bytes("thua.gpkg"), "the file is empty (0 bytes)"),
    "not a geopackage": (_junk, "cannot be opened"),
    "no such file": (lambda folder: folder / "missing.shp", "no such file"),
    "only the .dbf": (lambda folder: _shapefile(folder).with_suffix(".dbf"), "give the .shp file"),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_input_raises_one_clear_sentence(tmp_path: Path, parcel: Layer, case: str) -> None:
    make, phrase = UNREADABLE[case]
    path = make(tmp_path)
    with pytest.raises(SourceError) as caught:
        read_source(path, parcel)
    message = str(caught.value)
    assert phrase in message
    assert "\n" not in message
    assert Path(path).name in message


def test_null_geometries_are_kept_as_missing(tmp_path: Path, parcel: Layer) -> None:
    frame = parcels(2)
    frame.loc[1, "geometry"] = None
    source = read_source(write(frame, tmp_path / "holes.gpkg"), parcel)
    assert shapely.is_missing(np.asarray(source.frame.geometry.array)).tolist() == [False, True, False, False]


def test_text_within_the_always_nfc_ranges_needs_no_closer_look() -> None:
    """What lets ``_is_nfc`` skip values: every such character is NFC alone and never composes with the
    character before it (it is no second half of a canonical decomposition)."""
    inside = [chr(c) for first, last in ALWAYS_NFC for c in range(first, last + 1)]
    assert all(unicodedata.is_normalized("NFC", c) for c in inside)
    second_halves = {
        chr(int(parts[1], 16))
        for parts in (unicodedata.decomposition(chr(c)).split() for c in range(sys.maxunicode + 1))
        if len(parts) == 2 and not parts[0].startswith("<")
    }
    assert not second_halves & set(inside)
    assert "\u1ec5" in inside and "\u0303" not in inside  # ễ composed; a combining tilde is not


def test_characters_beyond_the_always_nfc_ranges_are_found_in_sliced_columns_too() -> None:
    values = pa.array(["Da\u0300", "Đà Nẵng", None, "Ω", "e\u0301", "ab"], pa.large_string())
    assert _beyond_always_nfc(values.drop_null()).tolist() == [True, False, True, True, False]
    assert _beyond_always_nfc(values.slice(1, 1)).tolist() == [False]
    assert _beyond_always_nfc(values.slice(4)).tolist() == [True, False]
