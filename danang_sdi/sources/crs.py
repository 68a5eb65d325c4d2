"""Which CRS are a surveyor's coordinates in? Decided by where the points fall, never by range alone.

Files arrive without a ``.prj``, with X and Y swapped (Vietnamese tables list X = northing), on the wrong
3° zone (EPSG:5898, CM 108°00′, is 26.8 km off EPSG:5899, CM 107°45′), in UTM 48N/49N or in lon/lat.
``detect_crs`` tries each candidate CRS, plain and swapped, and keeps the one that puts the most sample
points inside the city outline; ties (shares within ``TIE``) go to the earlier candidate.

Candidate order: EPSG:5899; EPSG:5898; the provincial TM-3 CRSs of proj.db whose area of use touches
the city, nearest central meridian first; VN-2000 UTM 3405/3406; WGS 84 UTM 32648/32649; EPSG:5897; EPSG:4326;
EPSG:4756. EPSG:5897 (CM 105°, k 0.9999) comes after UTM 48N (CM 105°, k 0.9996): in Đà Nẵng the two differ
by about 0.5 km, which no outline can tell, and UTM 48N is the common case. Likewise VN-2000 and WGS 84
versions of one projection are 0.2 km apart: the guess names the earlier one and lists the others in
``also_fits``, and its reason says so.

Limits: a compact file (one ward) fits EPSG:5899 and a neighbouring zone alike inside the merged city, so
the guess lists both; pass the outline of the commune the file claims (``Outline.from_geometry``) to
decide. VN-2000 on CM 107°45′ with k = 0.9996 (TT 47/2014 admin maps) is ~0.5 km from EPSG:5899 and cannot
be told apart. Hoàng Sa and Cù Lao Chàm are outside the outline (see ``layers/boundaries/README.md``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import shapely
from pyproj import CRS
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_crs_info
from pyproj.enums import PJType

from danang_sdi.errors import CRSError
from danang_sdi.sources.outline import Outline, load_outline
from danang_sdi.sources.transform import clean_vn2000, transformer

__all__ = ["CRSGuess", "CandidateScore", "candidate_crs", "detect_crs", "transformer"]

MAX_SAMPLE = 2000
MIN_SHARE = 0.5
"""Below this share inside the city, a candidate does not fit."""
DECLARED_FITS = 0.95
"""A declared CRS that puts this share inside is accepted without looking further."""
TIE = 0.02
"""Shares closer than this are equal: the outline is only good to a few kilometres."""
RANGE_MARGIN = 0.1

_HEAD = ("EPSG:5899", "EPSG:5898")
_TAIL = ("EPSG:3405", "EPSG:3406", "EPSG:32648", "EPSG:32649", "EPSG:5897", "EPSG:4326", "EPSG:4756")
_TM3_PREFIX = "VN-2000 / TM-3 "
_HOME_MERIDIAN = 107.75


class CandidateScore(NamedTuple):
    """How one candidate did: the share of sample points inside the outline (0 when out of range)."""

    crs: str
    swapped_xy: bool
    share_inside: float
    in_range: bool


class CRSGuess(NamedTuple):
    """The CRS that fits, why, and how every candidate did.

    ``status`` is ``declared`` (the declared CRS fits), ``declared_outside`` (kept, though few points
    fall in the city and nothing fits better), ``mismatch`` (the declared CRS does not fit, ``crs`` does)
    or ``detected`` (nothing declared). ``swapped_xy`` means the x values are northings or latitudes:
    swap the arrays before transforming (always with ``always_xy=True``).
    """

    crs: CRS
    swapped_xy: bool
    share_inside: float
    reason: str
    reason_vi: str
    status: str
    declared: CRS | None
    also_fits: tuple[str, ...]
    candidates: tuple[CandidateScore, ...]
    sample_size: int

    @property
    def code(self) -> str:
        """``EPSG:xxxx`` when the CRS has one, else the string it was made from."""
        return _code(self.crs)

    @property
    def mismatch(self) -> bool:
        return self.status == "mismatch"


@lru_cache(maxsize=128)
def _as_crs(value: CRS | str) -> CRS:
    return value if isinstance(value, CRS) else CRS.from_user_input(value)


@lru_cache(maxsize=128)
def _authority(crs: CRS) -> str | None:
    found = crs.to_authority(min_confidence=100)
    return f"{found[0]}:{found[1]}" if found else None


def _code(crs: CRS) -> str:
    return _authority(crs) or crs.to_string()


def _label(crs: CRS | str, swapped: bool = False) -> str:
    c = _as_crs(crs)
    name = c.name if c.name.lower() != "unknown" else "a custom CRS"
    if code := _authority(c):
        text = f"{code} ({name})"
    elif epsg := clean_vn2000(c).to_epsg(min_confidence=70):
        text = f"{name} (same as EPSG:{epsg})"
    else:
        text = name
    return text + (" with X/Y swapped" if swapped else "")


def _pct(share: float) -> str:
    if 0.995 <= share < 1.0:
        return f"{share:.1%}"
    return f"{share:.0%}"


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


@lru_cache(maxsize=8)
def candidate_crs(outline: Outline | None = None) -> tuple[str, ...]:
    """The candidates in the order ties are broken, provincial TM-3 zones taken from proj.db.

    >>> candidate_crs()[:2]
    ('EPSG:5899', 'EPSG:5898')
    """
    west, south, east, north = (outline or load_outline()).lonlat_bounds()
    found = query_crs_info(
        auth_name="EPSG",
        pj_types=PJType.PROJECTED_CRS,
        area_of_interest=AreaOfInterest(west, south, east, north),
    )
    provincial: dict[str, float] = {}
    for info in found:
        code = f"EPSG:{info.code}"
        if info.name.startswith(_TM3_PREFIX) and not info.deprecated and code not in _HEAD + _TAIL:
            params = {p.name: p.value for p in _as_crs(code).coordinate_operation.params}
            provincial[code] = abs(params["Longitude of natural origin"] - _HOME_MERIDIAN)
    return _HEAD + tuple(sorted(provincial, key=lambda c: (provincial[c], c))) + _TAIL


def _sample(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(xs, dtype=float).ravel()
    y = np.asarray(ys, dtype=float).ravel()
    if x.shape != y.shape:
        raise CRSError(f"cannot test a CRS: {x.size} x values but {y.size} y values")
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = x[finite], y[finite]
    if x.size == 0:
        raise CRSError("cannot test a CRS: no finite coordinates (empty or all-NaN geometries)")
    if x.size > MAX_SAMPLE:
        pick = np.linspace(0, x.size - 1, MAX_SAMPLE).astype(np.intp)
        x, y = x[pick], y[pick]
    return x, y


def _share_inside(crs: CRS | str, x: np.ndarray, y: np.ndarray, outline: Outline) -> float:
    if crs != outline.crs:
        x, y = transformer(crs, outline.crs).transform(x, y, errcheck=False)
    return float(np.mean(shapely.contains_xy(outline.geometry, x, y)))


def _in_range(crs: CRS | str, x: np.ndarray, y: np.ndarray, outline: Outline) -> float:
    """Share of points inside the outline's bounding box in ``crs``, widened by ``RANGE_MARGIN``."""
    xy = shapely.get_coordinates(outline.geometry)
    bx, by = transformer(outline.crs, crs).transform(xy[:, 0], xy[:, 1], errcheck=False)
    ok = np.isfinite(bx) & np.isfinite(by)
    if not ok.any():
        return 0.0
    x0, x1, y0, y1 = bx[ok].min(), bx[ok].max(), by[ok].min(), by[ok].max()
    mx, my = (x1 - x0) * RANGE_MARGIN, (y1 - y0) * RANGE_MARGIN
    return float(np.mean((x >= x0 - mx) & (x <= x1 + mx) & (y >= y0 - my) & (y <= y1 + my)))


def _score(crs: CRS | str, swapped: bool, x: np.ndarray, y: np.ndarray, outline: Outline) -> CandidateScore:
    px, py = (y, x) if swapped else (x, y)
    name = crs if isinstance(crs, str) else _code(crs)
    if _in_range(crs, px, py, outline) < MIN_SHARE:
        return CandidateScore(name, swapped, 0.0, False)
    return CandidateScore(name, swapped, _share_inside(crs, px, py, outline), True)


def _best(scores: list[CandidateScore]) -> tuple[CandidateScore, tuple[str, ...]]:
    top = max(s.share_inside for s in scores)
    tied = [s for s in scores if s.share_inside >= top - TIE and s.share_inside >= MIN_SHARE]
    if not tied:
        return max(scores, key=lambda s: s.share_inside), ()
    also = tuple(_label(s.crs, s.swapped_xy) for s in tied[1:])
    return tied[0], also


def _also_text(also: tuple[str, ...]) -> tuple[str, str]:
    if not also:
        return "", ""
    names = ", ".join(also)
    return (
        f"; {names} fit as well (closer than the outline can tell: check one known point)",
        f"; {names} cũng khớp (đường ranh không phân biệt được: kiểm tra một điểm đã biết)",
    )


def _swap_text(x: np.ndarray, crs: str) -> tuple[str, str]:
    kind = "latitudes" if _as_crs(crs).is_geographic else "northings"
    return (
        f"X and Y swapped: X holds {kind} around {_fmt(float(np.median(x)))}; ",
        "X và Y bị đảo: cột X chứa tọa độ bắc/vĩ độ; ",
    )


def _area_of_use_note(crs: CRS, x: np.ndarray, y: np.ndarray) -> str:
    area = crs.area_of_use
    if area is None:
        return ""
    lon, lat = transformer(crs, "EPSG:4326").transform(x, y, errcheck=False)
    outside = float(
        np.mean(~((lon >= area.west) & (lon <= area.east) & (lat >= area.south) & (lat <= area.north)))
    )
    if outside < 0.5:
        return ""
    return (
        f"; note: {_pct(outside)} of the points lie outside its area of use "
        f"({area.west:g}–{area.east:g}°E), where it is valid but distorted: reproject to EPSG:5899"
    )


def _no_fit(
    x: np.ndarray, y: np.ndarray, order: tuple[str, ...], outline: Outline, best: CandidateScore
) -> str:
    closest = (
        f"; the closest, {_label(best.crs, best.swapped_xy)}, puts {_pct(best.share_inside)} inside"
        if best.share_inside > 0
        else ""
    )
    return (
        f"no CRS fits: coordinates X {_fmt(x.min())}..{_fmt(x.max())}, Y {_fmt(y.min())}..{_fmt(y.max())} "
        f"fall in {outline.label} under none of {', '.join(order)} (each also with X/Y swapped){closest}; "
        "add a .prj or give --crs"
    )


def _check_declared(declared: CRS, x: np.ndarray, y: np.ndarray, outline: Outline) -> CRSGuess:
    """The declared CRS when its points fall in the city; the candidates (a proj.db query) only otherwise."""
    n, area, label = x.size, outline.label, _label(declared)
    mine = CandidateScore(_code(declared), False, _share_inside(declared, x, y, outline), True)
    pct = _pct(mine.share_inside)
    if mine.share_inside >= DECLARED_FITS:
        return CRSGuess(
            crs=declared,
            swapped_xy=False,
            share_inside=mine.share_inside,
            reason=f"declared {label} fits: {pct} of {n} sampled points inside {area}"
            + _area_of_use_note(declared, x, y),
            reason_vi=f"hệ tọa độ khai báo {label} khớp: {pct} điểm nằm trong {area}",
            status="declared",
            declared=declared,
            also_fits=(),
            candidates=(mine,),
            sample_size=n,
        )
    mine_swapped = _score(declared, True, x, y, outline)
    order = candidate_crs(outline)
    others = [_score(code, swapped, x, y, outline) for code in order for swapped in (False, True)]
    scores = (mine, mine_swapped, *others)
    best, also = _best(others)
    if mine_swapped.share_inside >= MIN_SHARE and mine_swapped.share_inside >= best.share_inside - TIE:
        best, also = mine_swapped, ()
    if best.share_inside >= MIN_SHARE and best.share_inside > mine.share_inside + TIE:
        chosen = declared if best is mine_swapped else _as_crs(best.crs)
        found, best_pct = _label(chosen, best.swapped_xy), _pct(best.share_inside)
        also_en, also_vi = _also_text(also)
        return CRSGuess(
            crs=chosen,
            swapped_xy=best.swapped_xy,
            share_inside=best.share_inside,
            reason=f"declared {label} does not fit: only {pct} of {n} sampled points inside {area}; "
            f"data looks like {found}: {best_pct} inside{also_en}",
            reason_vi=f"hệ tọa độ khai báo {label} không khớp: chỉ {pct} điểm nằm trong {area}; "
            f"dữ liệu có vẻ là {found}: {best_pct} điểm nằm trong{also_vi}",
            status="mismatch",
            declared=declared,
            also_fits=also,
            candidates=scores,
            sample_size=n,
        )
    lon, lat = transformer(declared, "EPSG:4326").transform(x, y, errcheck=False)
    if np.mean(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)) < MIN_SHARE:
        raise CRSError(
            f"declared {label} does not fit: coordinates X {_fmt(x.min())}..{_fmt(x.max())}, "
            f"Y {_fmt(y.min())}..{_fmt(y.max())} are not valid in it, and no other CRS puts them in {area} "
            f"(tried {', '.join(order)}, each also with X/Y swapped); fix the .prj or give --crs"
        )
    return CRSGuess(
        crs=declared,
        swapped_xy=False,
        share_inside=mine.share_inside,
        reason=f"declared {label} kept: {pct} of {n} sampled points inside {area} and no other CRS does "
        "better" + _area_of_use_note(declared, x, y),
        reason_vi=f"giữ hệ tọa độ khai báo {label}: {pct} điểm nằm trong {area}, không hệ nào khác khớp hơn",
        status="declared" if mine.share_inside >= MIN_SHARE else "declared_outside",
        declared=declared,
        also_fits=(),
        candidates=scores,
        sample_size=n,
    )


def _find(x: np.ndarray, y: np.ndarray, outline: Outline, order: tuple[str, ...]) -> CRSGuess:
    n, area = x.size, outline.label
    scores = tuple(_score(code, swapped, x, y, outline) for code in order for swapped in (False, True))
    best, also = _best(list(scores))
    if best.share_inside < MIN_SHARE:
        raise CRSError(_no_fit(x, y, order, outline, best))
    found, pct = _label(best.crs), _pct(best.share_inside)
    swap_en, swap_vi = _swap_text(x, best.crs) if best.swapped_xy else ("", "")
    also_en, also_vi = _also_text(also)
    return CRSGuess(
        crs=_as_crs(best.crs),
        swapped_xy=best.swapped_xy,
        share_inside=best.share_inside,
        reason=f"{swap_en}no CRS declared; coordinates fit {found}: {pct} of {n} sampled points inside "
        f"{area}{also_en}",
        reason_vi=f"{swap_vi}không khai báo hệ tọa độ; tọa độ khớp {found}: {pct} điểm nằm trong "
        f"{area}{also_vi}",
        status="detected",
        declared=None,
        also_fits=also,
        candidates=scores,
        sample_size=n,
    )


def detect_crs(
    xs: np.ndarray, ys: np.ndarray, declared: CRS | str | None = None, *, outline: Outline | None = None
) -> CRSGuess:
    """Check a declared CRS, or find the CRS of sample coordinates, by where the points fall.

    ``xs``/``ys`` are sample coordinates in file order (feature centroids or bounds' corners); at most
    ``MAX_SAMPLE`` evenly spread points are used. ``outline`` defaults to the merged city (2025); pass
    ``Outline.from_geometry(...)`` of the commune a file claims to separate zones on small files.
    Raises ``CRSError`` when nothing fits.

    >>> guess = detect_crs(np.array([1777138.0]), np.array([550175.0]))
    >>> guess.code, guess.swapped_xy, guess.status
    ('EPSG:5899', True, 'detected')
    """
    x, y = _sample(xs, ys)
    outline = outline or load_outline()
    if declared is not None:
        return _check_declared(_as_crs(declared), x, y, outline)
    return _find(x, y, outline, candidate_crs(outline))
