"""Coordinate transformations with the VN-2000 → WGS 84 operation pinned to EPSG:6960.

EPSG:6960 "VN-2000 to WGS 84 (2)" holds exactly the official 7 parameters of QĐ 05/2007/QĐ-BTNMT
(Coordinate Frame rotations). PROJ may pick EPSG:5194 (Mekong-delta blocks only) or a ``+towgs84``
clause from a ``.prj`` instead; ``+towgs84`` is Position Vector, and pasting the official signs into it
moves points by about 0.6 m in Đà Nẵng. So every transformation that crosses the VN-2000 datum is
built here, from clean CRSs, through EPSG:6960 and nothing else.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup

from danang_sdi.errors import CRSError

VN2000_GEOGRAPHIC = "EPSG:4756"
VN2000_TO_WGS84 = 6960
"""EPSG code of the pinned operation (QĐ 05/2007/QĐ-BTNMT)."""

_VN2000_DATUM_NAMES = {"vietnam2000", "vn2000", "dvietnam2000", "dvn2000"}
_VN2000_TRANSLATIONS = ((-191.90441429, -39.30318279, -111.45032835), (-192.873, -39.382, -111.202))
"""dx, dy, dz of EPSG:6960 and EPSG:5194: a bound CRS whose ``+towgs84`` starts so is VN-2000."""


def _without_schema(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "$schema"}


def _bound_translation(crs: CRS) -> tuple[float, float, float] | None:
    if not crs.is_bound or crs.coordinate_operation is None:
        return None
    values = [p.value for p in crs.coordinate_operation.params[:3]]
    return (values[0], values[1], values[2]) if len(values) == 3 else None


def is_vn2000(crs: CRS) -> bool:
    """Whether a CRS is based on the VN-2000 datum, by EPSG id, by name or by its ``+towgs84`` shift.

    >>> is_vn2000(CRS.from_epsg(5899)), is_vn2000(CRS.from_epsg(32648))
    (True, False)
    """
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    datum = base.datum
    if datum is not None:
        if datum.to_json_dict().get("id") == {"authority": "EPSG", "code": 6756}:
            return True
        if re.sub(r"[^a-z0-9]", "", datum.name.lower()) in _VN2000_DATUM_NAMES:
            return True
    shift = _bound_translation(crs)
    return shift is not None and any(
        all(abs(a - b) < 5.0 for a, b in zip(shift, known, strict=True)) for known in _VN2000_TRANSLATIONS
    )


def clean_vn2000(crs: CRS) -> CRS:
    """The same CRS on the EPSG VN-2000 datum, with any ``+towgs84``/``TOWGS84`` clause dropped.

    A ``.prj`` written as ``+proj=tmerc ... +towgs84=...`` has an unnamed datum; rebuilding it on
    EPSG:4756 lets PROJ find EPSG:6960 (and often identifies it as EPSG:5899). Non-VN-2000 CRSs are
    returned unchanged.

    >>> clean_vn2000(CRS("+proj=tmerc +lon_0=107.75 +k=0.9999 +x_0=500000 +ellps=WGS84 "
    ...                  "+towgs84=-191.9,-39.3,-111.45,0,0,0,0 +units=m +type=crs")).to_epsg()
    5899
    """
    if not is_vn2000(crs):
        return crs
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    if base.datum is not None and base.datum.to_json_dict().get("id") == {"authority": "EPSG", "code": 6756}:
        return base
    if base.is_projected:
        spec = _without_schema(base.to_json_dict())
        spec["base_crs"] = _without_schema(CRS.from_user_input(VN2000_GEOGRAPHIC).to_json_dict())
        spec.pop("id", None)
        return CRS.from_json_dict(spec)
    return CRS.from_user_input(VN2000_GEOGRAPHIC)


def operation_codes(t: Transformer) -> set[int]:
    """EPSG codes of the datum transformations a transformer applies, inverses included.

    Empty for pure conversions (same datum on both sides).
    """
    codes: set[int] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            ident = node.get("id")
            is_transformation = str(node.get("type", "")).endswith("Transformation")
            # the authority may read INVERSE(EPSG) or DERIVED_FROM(EPSG)
            if is_transformation and isinstance(ident, dict) and "EPSG" in str(ident.get("authority")):
                codes.add(int(ident["code"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(t.to_json_dict())
    return codes


@lru_cache(maxsize=128)
def _transformer(src: CRS, dst: CRS) -> Transformer:
    if is_vn2000(src) == is_vn2000(dst):
        return Transformer.from_crs(src, dst, always_xy=True)
    group = TransformerGroup(src, dst, always_xy=True)
    for candidate in group.transformers:
        if VN2000_TO_WGS84 in operation_codes(candidate):
            return candidate
    raise CRSError(
        f"no transformation from {src.name} to {dst.name} goes through EPSG:{VN2000_TO_WGS84} "
        "(VN-2000 to WGS 84, QĐ 05/2007); reproject through EPSG:4326 or EPSG:5899 first"
    )


def transformer(src: CRS | str | int, dst: CRS | str | int) -> Transformer:
    """An ``always_xy`` transformer from ``src`` to ``dst``; across VN-2000 it is pinned to EPSG:6960.

    Raises ``CRSError`` when one side is VN-2000 and PROJ offers no path through EPSG:6960.

    >>> e, n = transformer("EPSG:4326", "EPSG:5899").transform(108.2208, 16.0678)  # Đà Nẵng city hall
    >>> round(e), round(n)
    (550175, 1777138)
    """
    return _transformer(clean_vn2000(CRS.from_user_input(src)), clean_vn2000(CRS.from_user_input(dst)))
