"""``validate`` and ``load`` when ``--layer`` names a raster layer: run the raster library, render its report.

The vector commands route here; the exit codes are theirs (0 fit, 1 errors or refused, 2 unreadable). A
GeoTIFF whose pixels GDAL cannot read (a truncated delivery) becomes one ``SourceError`` line, not a traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import click
from rasterio.errors import RasterioError
from rich import box
from rich.console import Console
from rich.table import Table

from danang_sdi.catalog import Catalog
from danang_sdi.catalog.models import Layer, RasterLayer
from danang_sdi.errors import LayerNotFound, SourceError
from danang_sdi.rasters import RasterRefused, RasterReport, load_raster, validate_raster
from danang_sdi.settings import Settings

WORDS = {
    "vi": {"file": "tệp", "layer": "lớp", "crs": "hệ tọa độ", "size": "kích thước", "bands": "số kênh",
           "dtype": "kiểu dữ liệu", "nodata": "nodata", "grid": "lưới lưu trữ", "pixels": "điểm ảnh",
           "rule": "quy tắc", "problems": "Các vấn đề", "errors": "lỗi", "warnings": "cảnh báo",
           "valid": "HỢP LỆ", "invalid": "KHÔNG HỢP LỆ", "none": "không có vấn đề nào"},
    "en": {"file": "file", "layer": "layer", "crs": "CRS", "size": "size", "bands": "bands",
           "dtype": "data type", "nodata": "nodata", "grid": "stored grid", "pixels": "pixels",
           "rule": "rule", "problems": "Problems", "errors": "errors", "warnings": "warnings",
           "valid": "VALID", "invalid": "NOT VALID", "none": "no problems found"},
}  # fmt: skip


def find_layer(catalog: Catalog, layer_id: str) -> Layer | RasterLayer:
    """The vector or raster layer ``layer_id``; the error names the raster layers too."""
    if layer_id in catalog.rasters:
        return catalog.raster(layer_id)
    if layer_id in catalog.layers or not catalog.rasters:
        return catalog.get(layer_id)
    close = difflib.get_close_matches(layer_id, [*catalog.layers, *catalog.rasters], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise LayerNotFound(
        f"unknown layer {layer_id!r}{hint}; known layers: {', '.join(catalog.layers)}; "
        f"raster layers: {', '.join(catalog.rasters)}"
    )


def refuse_vector_options(layer: RasterLayer, options: dict[str, object]) -> None:
    """Options that only mean something for vector files are a usage error, not silently ignored."""
    given = [name for name, value in options.items() if value]
    if given:
        raise click.UsageError(f"{', '.join(given)}: for vector layers only; {layer.id} is a raster layer")


@contextlib.contextmanager
def readable(path: Path) -> Iterator[None]:
    """GDAL failing half-way (a truncated or damaged file opens, then its pixels cannot be read) → one line."""
    try:
        yield
    except RasterioError as exc:
        cause = exc.__cause__ or exc
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise SourceError(
            f"{path}: GDAL failed on it ({reason}); a truncated or damaged file does this: ask for it again"
        ) from exc


def _facts(report: RasterReport, layer: RasterLayer, lang: str) -> Table:
    w = WORDS[lang]
    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    facts.add_row(w["file"], f"{report.file} ({report.driver})")
    facts.add_row(w["layer"], f"{layer.id} ({layer.name(lang)})")
    crs = f"{report.crs or '?'} → {layer.storage_crs}"
    facts.add_row(w["crs"], f"{crs}: {report.crs_reason}" if report.crs_reason else crs)
    if report.size:
        facts.add_row(w["size"], f"{report.size[0]:,} × {report.size[1]:,} {w['pixels']}")
    facts.add_row(
        w["bands"], f"{report.bands} → {len(layer.bands)}: {', '.join(b.name for b in layer.bands)}"
    )
    facts.add_row(w["dtype"], f"{report.dtype} → {layer.dtype}")
    nodata = f"{report.nodata:g}" if report.nodata is not None else "-"
    share = f", {report.nodata_share:.1%}" if report.nodata_share is not None else ""
    facts.add_row(w["nodata"], f"{nodata} → {layer.nodata:g}{share}")
    if report.grid:
        g = report.grid
        west, south, east, north = g.bounds
        facts.add_row(
            w["grid"],
            f"{g.width:,} × {g.height:,} {w['pixels']}, {g.resolution:g} m, {g.crs}: "
            f"{west:,.0f}, {south:,.0f} – {east:,.0f}, {north:,.0f}",
        )
    return facts


def render_raster(report: RasterReport, layer: RasterLayer, lang: str, seconds: float) -> list[Table | str]:
    """The facts, the problems, and the verdict line, as the vector summary has them."""
    w = WORDS[lang]
    parts: list[Table | str] = [_facts(report, layer, lang)]
    if report.issues:
        problems = Table(title=w["problems"], box=box.SIMPLE_HEAD, title_justify="left")
        problems.add_column("", no_wrap=True)
        problems.add_column(w["rule"], no_wrap=True)
        problems.add_column("", overflow="fold")
        for issue in report.issues:
            style = "red" if issue.severity.value == "error" else "yellow"
            problems.add_row(f"[{style}]{issue.severity.value}[/]", issue.rule, issue.message(lang))
        parts.append(problems)
    warnings = len(report.issues) - len(report.errors)
    verdict, colour = (w["valid"], "green") if report.ok else (w["invalid"], "red")
    tally = f"{len(report.errors)} {w['errors']}, {warnings} {w['warnings']}" if report.issues else w["none"]
    parts.append(f"[bold {colour}]{verdict}[/]: {tally} ({seconds:.1f} s)")
    return parts


def _console() -> Console:
    return Console() if Console().is_terminal else Console(width=160)


def _show(
    report: RasterReport, layer: RasterLayer, lang: str, seconds: float, json_path: Path | None
) -> None:
    console = _console()
    for part in render_raster(report, layer, lang, seconds):
        console.print(part)
    if json_path is not None:
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=1, default=str)
        json_path.write_text(text + "\n", encoding="utf-8")


def validate_command(path: Path, layer: RasterLayer, lang: str, json_path: Path | None) -> int:
    """``danang-sdi validate FILE.tif --layer <raster>``; returns the exit code."""
    started = time.perf_counter()
    with readable(path):
        report = validate_raster(path, layer)
    _show(report, layer, lang, time.perf_counter() - started, json_path)
    return 0 if report.ok else 1


def load_command(
    settings: Settings, path: Path, layer: RasterLayer, *, force: bool, dry_run: bool, lang: str,
    json_path: Path | None,
) -> None:  # fmt: skip
    """``danang-sdi load FILE.tif --layer <raster>``: store the delivery as the layer's current COG."""
    started = time.perf_counter()
    try:
        with readable(path):
            if dry_run:
                report = validate_raster(path, layer)
                if not report.ok:
                    errors = "; ".join(i.message_en for i in report.errors)
                    raise RasterRefused(f"{report.file} refused for layer {layer.id}: {errors}", report)
            else:
                result = load_raster(settings, path, layer, force=force)
                report = result.report
    except RasterRefused as refused:
        _show(refused.report, layer, lang, time.perf_counter() - started, json_path)
        raise
    _show(report, layer, lang, time.perf_counter() - started, json_path)
    grid = report.grid
    shape = f"{grid.width:,} × {grid.height:,} pixels of {grid.resolution:g} m in {grid.crs}"
    if dry_run:
        click.echo(f"{layer.id} would change (dry run, nothing written): {report.file} would become its "
                   f"current raster, a COG of {shape}")  # fmt: skip
    elif result.status == "noop":
        click.echo(result.message)
    else:
        click.echo(
            f"{layer.id} batch {result.batch_id}: {report.file} stored as a COG of {shape} "
            f"({result.path.stat().st_size / 1e6:.1f} MB) at {result.path}; it is now the layer's current raster"
        )
        if layer.publish.ogcapi:
            click.echo(
                "after a layer's first load, publish it as an OGC API coverage with "
                "'danang-sdi publish config --overwrite'; later loads are served as they are made"
            )
