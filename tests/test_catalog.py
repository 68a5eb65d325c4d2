"""The catalog in ``layers/``: every file parses, code lists hold the expected codes, and every kind of mistake
in a catalog file is reported with the file, the line and what is wrong."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from danang_sdi.catalog import Catalog, load_catalog
from danang_sdi.catalog.models import Access, CatalogInfo, CodeList, Layer
from danang_sdi.catalog.reference import undocumented
from danang_sdi.catalog.yamlfile import read_yaml
from danang_sdi.errors import CatalogError, LayerNotFound
from danang_sdi.settings import PROJECT_DIR

LAYERS = PROJECT_DIR / "layers"
LAYER_FILES = sorted(p for p in LAYERS.glob("*.yml") if p.name != "catalog.yml")
CODE_FILES = sorted((LAYERS / "codes").glob("*.yml"))

EXPECTED_LAYERS = {
    "admin_commune": ("hanh_chinh", "administrative", "MultiPolygon"),
    "cadastral_parcel": ("dia_chinh", "cadastral", "MultiPolygon"),
    "land_use_status": ("dat_dai", "cadastral", "MultiPolygon"),
    "planning_boundary": ("quy_hoach", "planning", "MultiPolygon"),
    "planning_lot": ("quy_hoach", "planning", "MultiPolygon"),
    "road_centerline": ("giao_thong", "traffic", "MultiLineString"),
    "bridge": ("giao_thong", "traffic", "LineString"),
    "traffic_signal": ("giao_thong", "traffic", "Point"),
    "accident_blackspot": ("giao_thong", "traffic", "Point"),
    "water_pipe": ("cap_nuoc", "utilities", "MultiLineString"),
    "water_node": ("cap_nuoc", "utilities", "Point"),
    "drainage_conduit": ("thoat_nuoc", "utilities", "MultiLineString"),
    "manhole": ("thoat_nuoc", "utilities", "Point"),
    "street_light": ("chieu_sang", "utilities", "Point"),
    "urban_tree": ("cay_xanh", "utilities", "Point"),
    "power_line": ("dien", "utilities", "MultiLineString"),
    "telecom_site": ("vien_thong", "utilities", "Point"),
}

EXPECTED_CODE_COUNTS = {
    "land_use_tt27_2018": 53,
    "land_use_tt08_2024": 52,
    "planning_land_use": 65,
    "road_admin_class": 8,
    "road_urban_class": 8,
    "plan_level": 3,
    "admin_unit_type": 6,
    "admin_unit": 150,
    "admin_district": 8,
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(LAYERS)


@pytest.fixture
def layers_copy(tmp_path: Path) -> Path:
    """A private copy of ``layers/`` that a test may break."""
    return Path(shutil.copytree(LAYERS, tmp_path / "layers"))


# ---- the files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LAYER_FILES, ids=lambda p: p.name)
def test_every_layer_file_parses(path: Path) -> None:
    layer = read_yaml(path).validate(Layer)
    assert layer.id == path.stem
    assert "storage_crs" in read_yaml(path).data, "say the storage CRS explicitly in every layer file"
    assert layer.storage_crs == "EPSG:5899"


@pytest.mark.parametrize("path", CODE_FILES, ids=lambda p: p.name)
def test_every_code_list_file_parses(path: Path) -> None:
    assert read_yaml(path).validate(CodeList).id == path.stem


def test_catalog_file_parses() -> None:
    info = read_yaml(LAYERS / "catalog.yml").validate(CatalogInfo)
    assert "858/QĐ-UBND" in info.legal_basis and "NOT verified" in info.legal_basis
    assert {g.family for g in info.groups} >= {
        "administrative",
        "cadastral",
        "planning",
        "traffic",
        "utilities",
    }


def test_catalog_has_the_expected_layers(catalog: Catalog) -> None:
    assert set(catalog.layers) == set(EXPECTED_LAYERS)
    for layer in catalog:
        assert (layer.group, catalog.group(layer).family, layer.geometry) == EXPECTED_LAYERS[layer.id]


@pytest.mark.parametrize(("list_id", "count"), EXPECTED_CODE_COUNTS.items())
def test_code_list_sizes(catalog: Catalog, list_id: str, count: int) -> None:
    assert len(catalog.code_list(list_id).codes) == count


def test_land_use_code_systems_differ_where_the_circulars_do(catalog: Catalog) -> None:
    tt27, tt08 = catalog.code_list("land_use_tt27_2018"), catalog.code_list("land_use_tt08_2024")
    assert {"LUN", "BHK", "NHK", "DTS", "DDT", "DDL", "SKX"} <= {c.code for c in tt27.codes} - {
        c.code for c in tt08.codes
    }
    assert {"HNK", "CNT", "RSN", "DMT", "DKT", "DDD"} <= {c.code for c in tt08.codes} - {
        c.code for c in tt27.codes
    }
    assert {c.group for c in tt27.codes} == {"NNP", "PNN", "CSD"}
    assert tt08.get("LUC").name.vi == "Đất chuyên trồng lúa"


def test_admin_units_before_and_after_july_2025(catalog: Catalog) -> None:
    units = catalog.code_list("admin_unit")
    before = [c for c in units.codes if c.valid_on(dt.date(2024, 6, 1))]
    after = [c for c in units.codes if c.valid_on(dt.date(2025, 7, 1))]
    assert len(before) == 56 and all(
        c.parent in {"490", "491", "492", "493", "494", "495", "497"} for c in before
    )
    assert len(after) == 94
    assert sorted(c.group for c in after).count("phuong") == 23
    assert [c.group for c in after].count("xa") == 70 and [c.group for c in after].count("dac_khu") == 1
    phuoc_ninh = units.get("20242", on=dt.date(2025, 6, 30))
    hai_chau = units.get("20242", on=dt.date(2025, 7, 1))
    assert phuoc_ninh.name.vi == "Phường Phước Ninh" and phuoc_ninh.successor == "20242"
    assert hai_chau.name.vi == "Phường Hải Châu" and hai_chau.valid_from == dt.date(2025, 7, 1)


def test_personal_data_on_parcels_is_restricted(catalog: Catalog) -> None:
    parcel = catalog.get("cadastral_parcel")
    restricted = {a.name for a in parcel.attributes if a.access is Access.restricted}
    assert {"ten_chu", "so_cccd", "so_dien_thoai"} <= restricted
    assert not restricted & {a.name for a in parcel.published_attributes}


def test_parcel_spec_follows_the_cadastral_standard(catalog: Catalog) -> None:
    parcel = catalog.get("cadastral_parcel")
    assert parcel.natural_key == ["ma_xa", "so_to", "so_thua"]
    assert {"SoHieuToBanDo", "SOHIEUTOBANDO", "SHBanDo", "SO_TO", "SoHieuToBa"} <= set(
        parcel.attribute("so_to").aliases
    )
    land_use = parcel.attribute("loai_dat")
    assert land_use.separator == "+" and land_use.code_list_by == "he_ma_loai_dat"
    assert land_use.code_lists == {"TT27_2018": "land_use_tt27_2018", "TT08_2024": "land_use_tt08_2024"}
    assert parcel.check("key.duplicate").severity == "warning"
    assert parcel.check("area.mismatch").tolerance_pct == 5
    assert parcel.check("topology.gap").within == parcel.check("topology.overlap").within == ["ma_xa"]


def test_every_key_of_the_models_is_documented() -> None:
    assert undocumented() == []


def test_unknown_layer_names_the_known_ones(catalog: Catalog) -> None:
    with pytest.raises(
        LayerNotFound, match=r"unknown layer 'cadastral_parcels' \(did you mean 'cadastral_parcel'"
    ):
        catalog.get("cadastral_parcels")
    with pytest.raises(KeyError):
        catalog.get("nope")


def test_layers_dir_comes_from_the_environment(layers_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (layers_copy / "bridge.yml").unlink()
    monkeypatch.setenv("DANANG_SDI_LAYERS", str(layers_copy))
    assert "bridge" not in load_catalog()


def test_a_folder_without_catalog_yml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"no catalog\.yml there"):
        load_catalog(tmp_path)


# ---- broken files: each names the file, the line and the fault -------------------------------------------

BROKEN = [
    # (file, text to replace, replacement, text on the offending line, phrase of the message)
    ("manhole.yml", "geometry: Point", "geometry: Point: x", "Point: x", "YAML syntax error: mapping values"),
    ("manhole.yml", "    type: text\n", "    typ: text\n", "typ: text", "unknown key 'typ'"),
    ("water_pipe.yml", "minimum: 15", "minimum: fifteen", "minimum: fifteen", "valid number"),
    (
        "planning_lot.yml",
        "code_list: plan_level",
        "code_list: plan_levels",
        "plan_levels",
        "unknown code list",
    ),
    ("bridge.yml", "owner: SXD", "owner: SXDD", "owner: SXDD", "unknown owner 'SXDD'"),
    ("bridge.yml", "owner: SXD", "owner: SGTVT", "owner: SGTVT", "use its successor 'SXD'"),
    ("bridge.yml", "group: giao_thong", "group: transport", "group: transport", "unknown group 'transport'"),
    ("bridge.yml", "id: bridge", "id: bridges", "id: bridges", "differs from the file name"),
    ("bridge.yml", "natural_key: [ma_cau]", "natural_key: [ma_caux]", "ma_caux", "not among the attributes"),
    (
        "bridge.yml",
        "aliases: [TenCau,",
        "aliases: [MaCau, TenCau,",
        "MaCau, TenCau",
        "already names attribute",
    ),
    ("bridge.yml", "yearly\n", "yearly\nupdate_frequency: daily\n", "daily", "given twice"),
    ("bridge.yml", '{vi: "Cầu",', '{vi: "Cầu\u0300",', "Cầu\u0300", "not Unicode NFC"),
    ("manhole.yml", "{rule: key.duplicate}", "{rule: topology.overlap}", "topology.overlap", "Polygon layer"),
    ("codes/plan_level.yml", '"QHCT"', '"QHC"', "Quy hoạch chi tiết", "listed twice"),
    ("catalog.yml", "successor: SXD", "successor: SXX", "successor: SXX", "not among the agencies"),
]


@pytest.mark.parametrize(("name", "old", "new", "marker", "phrase"), BROKEN, ids=[b[-1] for b in BROKEN])
def test_a_broken_file_is_reported_with_file_and_line(
    layers_copy: Path, name: str, old: str, new: str, marker: str, phrase: str
) -> None:
    path = layers_copy / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture out of date: {old!r} not in {name}"
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if marker in row)
    with pytest.raises(CatalogError) as caught:
        load_catalog(layers_copy)
    message = str(caught.value)
    assert message.split(" line ")[0].endswith(name), message
    segments = re.split(r"; (?=line \d+: )", message)  # one per problem: "line N: what"
    assert any(f"line {line}: " in s and phrase in s for s in segments), message


def test_a_yaml_suffix_is_not_skipped_silently(layers_copy: Path) -> None:
    (layers_copy / "bridge.yml").rename(layers_copy / "bridge.yaml")
    with pytest.raises(CatalogError, match=r"bridge.yaml: catalog files end in .yml"):
        load_catalog(layers_copy)


def test_an_added_layer_file_is_loaded(layers_copy: Path) -> None:
    text = (
        (layers_copy / "manhole.yml").read_text(encoding="utf-8").replace("id: manhole", "id: fire_hydrant")
    )
    (layers_copy / "fire_hydrant.yml").write_text(text, encoding="utf-8")
    assert load_catalog(layers_copy).get("fire_hydrant").geometry == "Point"
