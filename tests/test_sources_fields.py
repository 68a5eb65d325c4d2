"""Field mapping: source names to catalog attributes through aliases, case, accents and DBF truncation."""

from __future__ import annotations

import doctest

import pytest

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Layer
from danang_sdi.sources import fields
from danang_sdi.sources.fields import fold_name, map_fields


@pytest.fixture(scope="module")
def parcel() -> Layer:
    return load_catalog().get("cadastral_parcel")


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Số_Thửa", "sothua"),
        ("SO THUA", "sothua"),
        ("so-thua", "sothua"),
        ("ĐịaChỉ", "diachi"),
        ("MaXa", "maxa"),
    ],
)
def test_names_fold_without_case_accents_or_separators(name: str, folded: str) -> None:
    assert fold_name(name) == folded


def test_catalog_names_map_exactly(parcel: Layer) -> None:
    mapping = map_fields(["ma_xa", "so_to", "so_thua"], parcel)
    assert mapping.columns == {"ma_xa": "ma_xa", "so_to": "so_to", "so_thua": "so_thua"}
    assert set(mapping.how.values()) == {"exact"}
    assert mapping.renamed == {}


def test_aliases_match_whatever_the_case_and_accents(parcel: Layer) -> None:
    mapping = map_fields(["MAXA", "Số Thửa", "dientich", "SoHieuToBanDo"], parcel)
    assert mapping.columns == {
        "MAXA": "ma_xa",
        "Số Thửa": "so_thua",
        "dientich": "dien_tich",
        "SoHieuToBanDo": "so_to",
    }


def test_dbf_truncations_of_aliases_match(parcel: Layer) -> None:
    mapping = map_fields(["KyHieuMucD", "HeMaLoaiDa", "DienTichPh", "NgayCapNha"], parcel)
    assert mapping.columns == {
        "KyHieuMucD": "loai_dat",
        "HeMaLoaiDa": "he_ma_loai_dat",
        "DienTichPh": "dien_tich_phap_ly",
        "NgayCapNha": "ngay_cap_nhat",
    }
    assert mapping.how["KyHieuMucD"] in {"alias", "truncated alias"}


def test_a_laundered_duplicate_goes_to_the_longer_attribute(parcel: Layer) -> None:
    """GDAL cuts dien_tich_phap_ly to "dien_tich_", which folds like dien_tich: the exact one wins."""
    mapping = map_fields(["dien_tich", "dien_tich_"], parcel)
    assert mapping.columns == {"dien_tich": "dien_tich", "dien_tich_": "dien_tich_phap_ly"}


def test_each_attribute_is_fed_once_and_leftovers_are_reported(parcel: Layer) -> None:
    mapping = map_fields(["MaXa", "MA_XA", "GhiChu", "so_thua"], parcel)
    assert mapping.columns == {"MaXa": "ma_xa", "so_thua": "so_thua"}
    assert mapping.unmapped == ["MA_XA", "GhiChu"]
    assert "so_to" in mapping.missing and "ma_xa" not in mapping.missing
    assert mapping.source_of("ma_xa") == "MaXa"
    assert mapping.to_dict()["unmapped"] == ["MA_XA", "GhiChu"]


def test_docstring_examples_run() -> None:
    assert doctest.testmod(fields).failed == 0
