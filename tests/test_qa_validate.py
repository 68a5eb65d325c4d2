"""validate_file end to end: each planted defect is reported with its rule and feature, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

import danang_sdi
from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import Severity
from danang_sdi.qa.report import Report
from danang_sdi.qa.validate import validate_file
from tests.helpers.qa_fixtures import as_surveyor_names, parcels, with_defects, write

PLANTED = sorted(with_defects()[1])


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def defects_report(tmp_path_factory: pytest.TempPathFactory, catalog) -> Report:
    frame, _ = with_defects()
    path = write(frame, tmp_path_factory.mktemp("qa") / "thua_dat.gpkg")
    return validate_file(path, "cadastral_parcel", catalog)


@pytest.mark.parametrize(("rule", "feature"), PLANTED, ids=[f"{r}@{f}" for r, f in PLANTED])
def test_each_planted_defect_is_reported_on_its_feature(
    defects_report: Report, rule: str, feature: int
) -> None:
    found = [i for i in defects_report.issues if i.rule == rule and i.feature == feature]
    assert found, f"{rule} not reported on feature {feature}"
    issue = found[0]
    assert issue.message_en.startswith(f"thua_dat.gpkg feature {feature}")
    assert issue.message_vi.startswith(f"thua_dat.gpkg đối tượng {feature}")
    if rule != "geometry.empty":
        assert issue.location is not None and issue.location.startswith("POINT (")


def test_nothing_but_the_planted_defects_is_reported(defects_report: Report) -> None:
    assert {(i.rule, i.feature) for i in defects_report.issues} == set(PLANTED)


def test_severity_comes_from_the_catalog(defects_report: Report) -> None:
    severity = {i.rule: i.severity for i in defects_report.issues}
    assert severity["key.duplicate"] is Severity.warning  # duplicate parcel numbers in a sheet: a warning
    assert severity["topology.gap"] is Severity.warning
    assert severity["topology.overlap"] is Severity.error
    assert severity["field.code"] is Severity.error
    assert not defects_report.ok


def test_messages_say_what_where_and_what_next(defects_report: Report) -> None:
    code = next(i for i in defects_report.issues if i.rule == "field.code" and i.feature == 1)
    assert code.key == {"ma_xa": "20242", "so_to": 7, "so_thua": 2}
    assert code.field == "loai_dat"
    assert code.message_en == (
        'thua_dat.gpkg feature 1 (ma_xa=20242, so_to=7, so_thua=2): loai_dat "XYZ" is not in code list '
        "land_use_tt08_2024; use a code from the list"
    )
    assert "không có trong danh mục mã land_use_tt08_2024" in code.message_vi
    invalid = next(i for i in defects_report.issues if i.rule == "geometry.invalid")
    assert "Self-intersection at POINT (550030 1777050)" in invalid.message_en
    assert invalid.location == "POINT (550030 1777050)"


def test_clean_delivery_reports_nothing(tmp_path: Path, catalog) -> None:
    report = validate_file(write(parcels(), tmp_path / "clean.gpkg"), "cadastral_parcel", catalog)
    assert report.issues == []
    assert report.ok
    assert report.stats["features"] == 25
    assert "topology.gap" in report.stats["rules_run"]


def test_a_required_field_missing_from_the_file_is_one_issue(tmp_path: Path, catalog) -> None:
    frame = parcels(2).drop(columns="loai_dat")
    report = validate_file(write(frame, tmp_path / "no_code.gpkg"), "cadastral_parcel", catalog)
    missing = [i for i in report.issues if i.rule == "field.missing"]
    assert [(i.feature, i.field) for i in missing] == [(None, "loai_dat")]
    assert "KyHieuMucDichSuDung" in missing[0].message_en


def test_several_codes_in_one_value_are_checked_each(tmp_path: Path, catalog) -> None:
    frame = parcels(2)
    frame["loai_dat"] = ["ODT+CLN", "ODT+XYZ", "odt", "ONT"]
    frame.loc[3, "he_ma_loai_dat"] = "TT27_2018"  # ONT is in both lists; the selector picks the list
    report = validate_file(write(frame, tmp_path / "multi.gpkg"), "cadastral_parcel", catalog)
    codes = {i.feature: i for i in report.issues if i.rule == "field.code"}
    assert set(codes) == {1, 2}
    assert '"XYZ" unknown' in codes[1].message_en
    assert 'did you mean "ODT"?' in codes[2].message_en


def test_aliases_and_type_coercion_feed_the_checks(tmp_path: Path, catalog) -> None:
    frame = as_surveyor_names(parcels(2))
    frame["SoThuTuThu"] = ["1", "2", "3", "4"]  # numbers stored as text are fine
    frame["MaXa"] = [20242, 20242, 20242, 20242]  # a code stored as a number is fine
    report = validate_file(write(frame, tmp_path / "alias.shp"), "cadastral_parcel", catalog)
    assert report.issues == []
    assert report.source["field_mapping"]["mapped"]["SoThuTuThu"] == "so_thua"


def test_measuring_rules_are_skipped_when_no_crs_fits(tmp_path: Path, catalog) -> None:
    frame = parcels(2)
    frame.geometry = frame.geometry.translate(-400_000, 1_500_000)
    path = write(frame, tmp_path / "lost.shp")
    path.with_suffix(".prj").unlink()
    report = validate_file(path, "cadastral_parcel", catalog)
    assert [i.rule for i in report.issues] == ["crs.undetermined"]
    assert "topology.overlap" in report.stats["rules_skipped"]
    assert not report.ok


def test_the_package_exports_validate(tmp_path: Path) -> None:
    report = danang_sdi.validate(write(parcels(2), tmp_path / "api.gpkg"), "cadastral_parcel")
    assert report.ok and report.issues == []
    assert list(report.to_frame().columns) == [
        "severity", "rule", "feature", "key", "field", "message_vi", "message_en", "location"
    ]  # fmt: skip


def test_each_row_of_a_repeated_wrong_value_is_reported(tmp_path: Path, catalog) -> None:
    frame = parcels(3)
    frame["loai_dat"] = ["ODT+XYZ", "ODT", "ODT+XYZ", "CNT", "CNT", "ODT+XYZ", None, "ODT", "BHK"]
    frame["he_ma_loai_dat"] = ["TT08_2024"] * 3 + ["TT27_2018"] + ["TT08_2024"] * 5  # CNT: only in TT08
    frame["ma_xa"] = ["2024", "20242", "2024", "20242", "20242", "20242", "20242", "20242", "2024"]
    report = validate_file(write(frame, tmp_path / "repeated.gpkg"), "cadastral_parcel", catalog)
    found = {(i.rule, i.field, i.feature) for i in report.issues}
    assert {(r, f) for r, field, f in found if field == "loai_dat"} == {
        ("field.code", 0), ("field.code", 2), ("field.code", 3), ("field.code", 5), ("field.code", 8),
        ("field.missing", 6),
    }  # fmt: skip
    assert {(r, f) for r, field, f in found if field == "ma_xa"} == {
        ("field.pattern", 0), ("field.pattern", 2), ("field.pattern", 8),
        ("field.code", 0), ("field.code", 2), ("field.code", 8),
    }  # fmt: skip
    codes = {
        i.feature: i.message_en for i in report.issues if i.rule == "field.code" and i.field == "loai_dat"
    }
    assert all('"XYZ" unknown' in codes[f] and "land_use_tt08_2024" in codes[f] for f in (0, 2, 5))
    assert "land_use_tt27_2018" in codes[3] and "land_use_tt08_2024" in codes[8]


def test_without_the_field_that_picks_the_code_list_codes_are_not_checked(tmp_path: Path, catalog) -> None:
    frame = parcels(2).drop(columns="he_ma_loai_dat")
    frame.loc[1, "loai_dat"] = "XYZ"  # unknown in every list, but which list applies cannot be told
    report = validate_file(write(frame, tmp_path / "no_system.gpkg"), "cadastral_parcel", catalog)
    assert [(i.rule, i.feature, i.field) for i in report.issues] == [
        ("field.missing", None, "he_ma_loai_dat")
    ]


def test_huge_numbers_and_mixed_dates_are_findings(tmp_path: Path, catalog) -> None:
    frame = parcels(2)
    frame["so_thua"] = [1.0, 1e20, 3.0, 4.0]
    frame["ngay_cap_nhat"] = ["2024-01-05T10:20:30Z", "05/01/2024", "2024-01-05T08:00:00+07:00", "soon"]
    report = validate_file(write(frame, tmp_path / "odd.gpkg"), "cadastral_parcel", catalog)
    assert sorted((i.rule, i.feature, i.field) for i in report.issues) == [
        ("field.type", 1, "so_thua"), ("field.type", 3, "ngay_cap_nhat")
    ]  # fmt: skip
    assert "so_thua 100000000000000000000 is not an integer" in report.issues[0].message_en
