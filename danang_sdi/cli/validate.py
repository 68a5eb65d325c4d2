"""``danang-sdi validate FILE --layer ID``: check a delivery against the catalog and report per feature.

Exit codes: 0 valid (warnings allowed), 1 problems of severity error, 2 the input cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.table import Table

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import RasterLayer
from danang_sdi.errors import ConfigError
from danang_sdi.qa.html import write_html
from danang_sdi.qa.report import Report
from danang_sdi.qa.rules import RULES
from danang_sdi.qa.validate import validate_file
from danang_sdi.settings import Settings

pass_settings = click.make_pass_decorator(Settings)
WORDS = {
    "vi": {"file": "tệp", "layer": "lớp", "encoding": "bảng mã", "crs": "hệ tọa độ", "features": "số đối tượng",
           "fields": "trường", "unmapped": "không khớp danh mục", "missing": "thiếu", "rule": "quy tắc",
           "errors": "lỗi", "warnings": "cảnh báo", "first": "Các vấn đề đầu tiên", "valid": "HỢP LỆ",
           "invalid": "KHÔNG HỢP LỆ", "none": "không có vấn đề nào", "fixed": "Đã sửa (--fix)"},
    "en": {"file": "file", "layer": "layer", "encoding": "encoding", "crs": "CRS", "features": "features",
           "fields": "fields", "unmapped": "not in catalog", "missing": "missing", "rule": "rule",
           "errors": "errors", "warnings": "warnings", "first": "First problems", "valid": "VALID",
           "invalid": "NOT VALID", "none": "no problems found", "fixed": "Fixed (--fix)"},
}  # fmt: skip


def _refuse_existing(paths: list[Path | None], overwrite: bool) -> None:
    for path in paths:
        if path is not None and path.exists() and not overwrite:
            raise ConfigError(f"{path} already exists; add --overwrite to replace it")


def render_summary(report: Report, lang: str, limit: int) -> list[Table | str]:
    w, source = WORDS[lang], report.source
    mapping = source["field_mapping"]
    facts = Table(box=None, show_header=False, pad_edge=False)
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    facts.add_row(w["file"], f"{source['dataset']} ({source['driver']})")
    facts.add_row(w["layer"], report.layer)
    facts.add_row(w["features"], f"{report.features:,}")
    facts.add_row(w["encoding"], f"{source['encoding']}: {source['encoding_reason']}")
    crs_reason = source["crs_reason_vi"] if lang == "vi" else source["crs_reason"]
    facts.add_row(w["crs"], f"{source['crs'] or '?'} → {source['storage_crs']}: {crs_reason}")
    renamed = ", ".join(f"{s}→{a}" for s, a in mapping["mapped"].items() if s != a) or "-"
    facts.add_row(w["fields"], renamed)
    facts.add_row(w["unmapped"], ", ".join(mapping["unmapped"]) or "-")
    facts.add_row(w["missing"], ", ".join(mapping["missing"]) or "-")
    parts: list[Table | str] = [facts]
    if report.issues:
        counts = Table(box=box.SIMPLE_HEAD)
        for column in (w["rule"], "", w["errors"], w["warnings"]):
            counts.add_column(column, justify="right" if column in (w["errors"], w["warnings"]) else "left")
        for rule, n in report.counts().items():
            title = RULES[rule](lang) if rule in RULES else ""
            counts.add_row(rule, title, f"{n['error']:,}", f"{n['warning']:,}")
        parts.append(counts)
        first = Table(title=w["first"], box=box.SIMPLE_HEAD, title_justify="left")
        first.add_column("", no_wrap=True)
        first.add_column(w["rule"], no_wrap=True)
        first.add_column("", overflow="fold")
        for issue in report.issues[:limit]:
            style = "red" if issue.severity.value == "error" else "yellow"
            first.add_row(f"[{style}]{issue.severity.value}[/]", issue.rule, issue.message(lang))
        parts.append(first)
    verdict = w["valid"] if report.ok else w["invalid"]
    colour = "green" if report.ok else "red"
    tally = f"{len(report.errors):,} {w['errors']}, {len(report.warnings):,} {w['warnings']}"
    parts.append(
        f"[bold {colour}]{verdict}[/]: {tally if report.issues else w['none']} ({report.seconds:.1f} s)"
    )
    return parts


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--layer", "layer_id", required=True, help="Catalog layer id, e.g. cadastral_parcel.")
@click.option("--source-layer", help="Layer inside a GeoPackage, or dataset inside a zip.")
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the report as JSON."
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an HTML page with a map.",
)
@click.option(
    "--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, help="Language of messages."
)
@click.option(
    "--fix",
    "fix_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a cleaned GeoPackage (EPSG:5899, safe repairs only) and list the changes.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing --json/--html/--fix files.")
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True, help="Problems shown here.")
@click.pass_context
def validate(ctx: click.Context, path: Path, layer_id: str, source_layer: str | None, json_path: Path | None,
             html_path: Path | None, lang: str, fix_path: Path | None, overwrite: bool, limit: int) -> None:  # fmt: skip
    """Check FILE (.shp, .zip, .gpkg, .geojson, .fgb) against catalog layer --layer, feature by feature.

    A GeoTIFF for a raster layer (layers/rasters/) is checked for CRS, bands, type, nodata, extent, pixel size.
    """
    from danang_sdi.cli import raster_report

    settings: Settings = ctx.obj
    catalog = load_catalog(settings.layers_dir)
    layer = raster_report.find_layer(catalog, layer_id)
    if isinstance(layer, RasterLayer):
        options = {"--source-layer": source_layer, "--html": html_path, "--fix": fix_path}
        raster_report.refuse_vector_options(layer, options)
        _refuse_existing([json_path], overwrite)
        ctx.exit(raster_report.validate_command(path, layer, lang, json_path))
    _refuse_existing([json_path, html_path, fix_path], overwrite)
    report = validate_file(path, layer, catalog, source_layer=source_layer, fix=fix_path)
    console = Console() if Console().is_terminal else Console(width=160)
    for part in render_summary(report, lang, limit):
        console.print(part)
    if report.fixes:
        console.print(f"[bold]{WORDS[lang]['fixed']}[/]")
        for change in report.fixes:
            console.print(f"  • {change}", markup=False)
    if json_path is not None:
        report.to_json(json_path)
    if html_path is not None:
        write_html(report, html_path, lang=lang)
    ctx.exit(0 if report.ok else 1)
