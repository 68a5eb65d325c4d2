"""Every rule id on one screen: what it means, and which function checks it (as pygeoapi's plugin.py).

Field rules come from the attributes and run for every layer. Layer rules run when the layer's ``checks``
list them (with their severity and parameters); the three that decide whether a geometry exists and has
the right shape run for every layer, at severity error unless the catalog lists them otherwise.
``crs.*`` and ``encoding.*`` are what normalising found; they are not configurable.
"""

from __future__ import annotations

from danang_sdi.catalog.models import Check, Layer, Text
from danang_sdi.qa import geometry, keys, network, topology
from danang_sdi.qa.base import CheckFunction

LAYER_CHECKS: dict[str, CheckFunction] = {
    "geometry.empty": geometry.check_empty,
    "geometry.invalid": geometry.check_invalid,
    "geometry.type": geometry.check_type,
    "geometry.outside": geometry.check_outside,
    "geometry.sliver": geometry.check_sliver,
    "key.duplicate": keys.check_duplicates,
    "topology.overlap": topology.check_overlap,
    "topology.gap": topology.check_gap,
    "area.mismatch": geometry.check_area,
    "network.dangle": network.check_dangles,
}
ALWAYS_ON = ("geometry.empty", "geometry.invalid", "geometry.type")
MEASURING = frozenset({"geometry.outside", "geometry.sliver", "topology.overlap", "topology.gap", "area.mismatch", "network.dangle"})  # fmt: skip

RULES: dict[str, Text] = {
    "field.missing": Text(vi="thiếu trường hoặc giá trị bắt buộc", en="required field or value missing"),
    "field.type": Text(vi="sai kiểu dữ liệu", en="wrong data type"),
    "field.code": Text(vi="mã không có trong danh mục", en="code not in its code list"),
    "field.range": Text(vi="giá trị ngoài khoảng cho phép", en="value out of range"),
    "field.pattern": Text(vi="sai định dạng", en="value does not match its pattern"),
    "key.duplicate": Text(vi="khóa tự nhiên bị trùng", en="duplicate natural key"),
    "geometry.empty": Text(vi="hình học rỗng", en="empty geometry"),
    "geometry.invalid": Text(vi="hình học không hợp lệ", en="invalid geometry"),
    "geometry.type": Text(vi="sai kiểu hình học", en="wrong geometry type"),
    "geometry.outside": Text(vi="nằm ngoài thành phố", en="outside the city"),
    "geometry.sliver": Text(vi="mảnh vụn", en="sliver polygon"),
    "topology.overlap": Text(vi="chồng lấn", en="overlap"),
    "topology.gap": Text(vi="khe hở giữa các thửa", en="gap between neighbours"),
    "area.mismatch": Text(
        vi="diện tích ghi lệch diện tích hình học", en="recorded area differs from geometry"
    ),
    "network.dangle": Text(vi="đầu tuyến treo", en="dangling line end"),
    "crs.missing": Text(vi="không khai báo hệ tọa độ", en="no CRS declared"),
    "crs.mismatch": Text(vi="hệ tọa độ khai báo sai", en="declared CRS does not fit"),
    "crs.swapped": Text(vi="X/Y bị đảo", en="X/Y swapped"),
    "crs.undetermined": Text(vi="không xác định được hệ tọa độ", en="CRS cannot be determined"),
    "encoding.legacy": Text(vi="bảng mã cũ (TCVN3/VNI/cp1258)", en="legacy encoding (TCVN3/VNI/cp1258)"),
    "encoding.mismatch": Text(vi="tệp .cpg ghi sai bảng mã", en=".cpg names the wrong encoding"),
    "encoding.uncertain": Text(vi="bảng mã không chắc chắn", en="encoding uncertain"),
    "encoding.invalid": Text(vi="byte không hợp lệ trong chữ", en="invalid bytes in text"),
    "encoding.nfc": Text(vi="Unicode tổ hợp (NFD)", en="decomposed Unicode (NFD)"),
}
ORDER = {rule: i for i, rule in enumerate(RULES)}


def layer_checks(layer: Layer) -> list[Check]:
    """The layer rules to run for ``layer``: its catalog checks plus the always-on ones it does not list."""
    listed = list(layer.checks)
    named = {c.rule for c in listed}
    return [Check(rule=rule) for rule in ALWAYS_ON if rule not in named] + listed
