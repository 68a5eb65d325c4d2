"""Is a GeoTIFF fit for a raster layer of the catalog? CRS, bands, type, nodata, extent and resolution.

The CRS is judged as for vector files (``danang_sdi.sources.crs.detect_crs``): a grid of pixel centres
must fall in the city under the declared CRS. A raster with no CRS, or one whose coordinates fit another CRS
better, is refused, and the message says which CRS its coordinates look like and how to assign it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely
from pyproj import CRS
from rasterio.errors import RasterioIOError

from danang_sdi.catalog.models import RasterLayer, Severity
from danang_sdi.errors import CRSError, SourceError
from danang_sdi.qa.base import Issue
from danang_sdi.rasters.grid import TargetGrid, target_grid
from danang_sdi.sources.crs import detect_crs
from danang_sdi.sources.outline import load_outline
from danang_sdi.sources.transform import transformer

SAMPLE_SIDE = 9  # pixel centres per side tested against the city outline
MAX_NODATA_SHARE = 0.5  # above this, a warning
READ_SIDE = 1024  # the nodata share is measured on a decimated read of at most this many pixels a side
DRIVERS = ("GTiff", "COG")


@dataclass(frozen=True)
class RasterReport:
    """What ``validate_raster`` found: the issues, and the facts the load and the batch record need."""

    layer: str
    file: str
    sha256: str
    issues: list[Issue] = field(default_factory=list)
    driver: str | None = None
    crs: str | None = None
    crs_reason: str | None = None
    size: tuple[int, int] | None = None  # width, height of the delivery
    bands: int | None = None
    dtype: str | None = None
    nodata: float | None = None
    nodata_share: float | None = None
    grid: TargetGrid | None = None  # the stored grid, in the storage CRS

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "file": self.file,
            "sha256": self.sha256,
            "ok": self.ok,
            "driver": self.driver,
            "crs": self.crs,
            "crs_reason": self.crs_reason,
            "size": list(self.size) if self.size else None,
            "bands": self.bands,
            "dtype": self.dtype,
            "nodata": self.nodata,
            "nodata_share": self.nodata_share,
            "grid": self.grid.to_dict() if self.grid else None,
            "issues": [i.to_dict() for i in self.issues],
        }


def _issue(rule: str, en: str, vi: str, severity: Severity = Severity.error) -> Issue:
    return Issue(rule=rule, severity=severity, message_vi=vi, message_en=en)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sample_points(src: rasterio.DatasetReader) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.meshgrid(
        np.linspace(0.5, src.height - 0.5, SAMPLE_SIDE),
        np.linspace(0.5, src.width - 0.5, SAMPLE_SIDE),
        indexing="ij",
    )
    xs, ys = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel(), offset="ul")
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def _missing_crs(name: str, src: rasterio.DatasetReader) -> Issue:
    try:
        guess = detect_crs(*_sample_points(src))
        hint_en = f"; its coordinates look like {guess.code}: assign it with gdal_edit.py -a_srs {guess.code} {name}"
        hint_vi = f"; tọa độ có vẻ là {guess.code}: gán bằng gdal_edit.py -a_srs {guess.code} {name}"
    except CRSError:
        hint_en = "; assign the right one with gdal_edit.py -a_srs EPSG:<code> " + name
        hint_vi = "; gán hệ đúng bằng gdal_edit.py -a_srs EPSG:<mã> " + name
    return _issue(
        "raster.crs_missing",
        f"{name} has no coordinate reference system{hint_en}",
        f"{name} không có hệ tọa độ{hint_vi}",
    )


def _check_crs(name: str, src: rasterio.DatasetReader) -> tuple[CRS | None, str | None, list[Issue]]:
    if src.crs is None:
        return None, None, [_missing_crs(name, src)]
    declared = CRS.from_wkt(src.crs.to_wkt())
    try:
        guess = detect_crs(*_sample_points(src), declared=declared)
    except CRSError as exc:
        return (
            declared,
            None,
            [_issue("raster.crs", f"{name}: {exc}", f"{name}: hệ tọa độ không hợp lệ: {exc}")],
        )
    if guess.mismatch or guess.swapped_xy:
        code = guess.code
        return (
            declared,
            guess.reason,
            [
                _issue(
                    "raster.crs_mismatch",
                    f"{name}: {guess.reason}; if so, fix it with gdal_edit.py -a_srs {code} {name}",
                    f"{name}: {guess.reason_vi}; nếu đúng, sửa bằng gdal_edit.py -a_srs {code} {name}",
                )
            ],
        )
    return declared, guess.reason, []


def _check_extent(name: str, grid: TargetGrid) -> list[Issue]:
    outline = load_outline()
    footprint = shapely.box(*grid.bounds)
    if outline.crs != grid.crs:
        footprint = shapely.transform(
            footprint,
            lambda xy: np.column_stack(transformer(grid.crs, outline.crs).transform(xy[:, 0], xy[:, 1])),
        )
    if not shapely.intersects(footprint, outline.geometry):
        west, south, east, north = grid.bounds
        return [
            _issue(
                "raster.outside",
                f"{name} lies outside {outline.label}: its extent in {grid.crs} is "
                f"{west:,.0f}, {south:,.0f} – {east:,.0f}, {north:,.0f}; check its CRS and georeferencing",
                f"{name} nằm ngoài {outline.label}: phạm vi trong {grid.crs} là "
                f"{west:,.0f}, {south:,.0f} – {east:,.0f}, {north:,.0f}; kiểm tra hệ tọa độ và nắn chỉnh",
            )
        ]
    return []


def _check_resolution(name: str, layer: RasterLayer, grid: TargetGrid) -> list[Issue]:
    low, high = layer.resolution.min, layer.resolution.max
    if low <= grid.resolution <= high:
        return []
    return [
        _issue(
            "raster.resolution",
            f"{name}: pixel size {grid.resolution:g} m in {grid.crs} is outside {low:g}–{high:g} m, "
            f"the range of layer {layer.id}",
            f"{name}: kích thước điểm ảnh {grid.resolution:g} m ngoài khoảng {low:g}–{high:g} m của lớp {layer.id}",
        )
    ]


def _check_bands(name: str, layer: RasterLayer, src: rasterio.DatasetReader) -> list[Issue]:
    issues = []
    if src.count != len(layer.bands):
        wanted = ", ".join(b.name for b in layer.bands)
        issues.append(
            _issue(
                "raster.bands",
                f"{name} has {src.count} band(s); layer {layer.id} has {len(layer.bands)} ({wanted})",
                f"{name} có {src.count} kênh; lớp {layer.id} cần {len(layer.bands)} ({wanted})",
            )
        )
    source_type = np.dtype(src.dtypes[0])
    if not np.can_cast(source_type, np.dtype(layer.dtype.value), "safe"):
        issues.append(
            _issue(
                "raster.dtype",
                f"{name} holds {source_type} values, which {layer.dtype} (layer {layer.id}) cannot hold without loss",
                f"{name} có kiểu {source_type}, không chuyển sang {layer.dtype} (lớp {layer.id}) mà không mất dữ liệu",
            )
        )
    return issues


def _nodata_share(src: rasterio.DatasetReader) -> float:
    scale = max(1.0, max(src.width, src.height) / READ_SIDE)
    shape = (max(1, int(src.height / scale)), max(1, int(src.width / scale)))
    data = src.read(1, out_shape=shape, masked=True)
    return float(np.ma.getmaskarray(data).mean())


def _check_nodata(name: str, src: rasterio.DatasetReader) -> tuple[float | None, list[Issue]]:
    if src.nodata is None:
        return None, [
            _issue(
                "raster.nodata",
                f"{name} declares no nodata value: set the value its empty pixels hold with "
                f"gdal_edit.py -a_nodata <value> {name}",
                f"{name} không khai báo giá trị nodata: đặt bằng gdal_edit.py -a_nodata <giá trị> {name}",
            )
        ]
    share = _nodata_share(src)
    if share >= 1.0:
        return share, [
            _issue("raster.empty", f"{name} holds only nodata pixels", f"{name} chỉ có điểm ảnh nodata")
        ]
    if share > MAX_NODATA_SHARE:
        return share, [
            _issue(
                "raster.nodata_share",
                f"{name}: {share:.0%} of the pixels are nodata",
                f"{name}: {share:.0%} điểm ảnh là nodata",
                Severity.warning,
            )
        ]
    return share, []


def validate_raster(path: str | Path, layer: RasterLayer) -> RasterReport:
    """Check a GeoTIFF against a raster layer of the catalog; every problem found is in the report.

    Raises ``SourceError`` only when the file cannot be read as a raster at all.

    Examples
    --------
    >>> from danang_sdi.catalog import load_catalog
    >>> report = validate_raster("dem.tif", load_catalog().raster("dem"))  # doctest: +SKIP
    >>> report.ok, [i.message_en for i in report.issues]  # doctest: +SKIP
    """
    path = Path(path)
    name = path.name
    try:
        src = rasterio.open(path)
    except RasterioIOError as exc:
        raise SourceError(f"{path}: not a raster file rasterio can read ({exc})") from exc
    with src:
        issues: list[Issue] = []
        if src.driver not in DRIVERS:
            issues.append(
                _issue(
                    "raster.format",
                    f"{name} is a {src.driver} file, not a GeoTIFF",
                    f"{name} không phải GeoTIFF",
                )
            )
        issues += _check_bands(name, layer, src)
        nodata_share, nodata_issues = _check_nodata(name, src)
        issues += nodata_issues
        declared, reason, crs_issues = _check_crs(name, src)
        issues += crs_issues
        grid = None
        if declared is not None and not crs_issues:
            grid = target_grid(src, layer.storage_crs)
            issues += _check_extent(name, grid) + _check_resolution(name, layer, grid)
        return RasterReport(
            layer=layer.id,
            file=name,
            sha256=file_sha256(path),
            issues=issues,
            driver=src.driver,
            crs=src.crs.to_string() if src.crs else None,
            crs_reason=reason,
            size=(src.width, src.height),
            bands=src.count,
            dtype=src.dtypes[0],
            nodata=src.nodata,
            nodata_share=nodata_share,
            grid=grid,
        )
