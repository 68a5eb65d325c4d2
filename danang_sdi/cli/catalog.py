"""``danang-sdi catalog``: list, show and export the layer catalog of ``layers/``."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml
from rich import box
from rich.console import Console
from rich.table import Table

from danang_sdi.catalog import Catalog, load_catalog
from danang_sdi.catalog.markdown import catalog_markdown
from danang_sdi.catalog.models import Access, Layer, RasterLayer
from danang_sdi.catalog.schema import layer_schema_json
from danang_sdi.settings import Settings

pass_settings = click.make_pass_decorator(Settings)


@click.group()
def catalog() -> None:
    """The shared spatial data catalog (Decision 858): layers, attributes, code lists."""


@catalog.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_settings
def list_layers(settings: Settings, fmt: str) -> None:
    """List every layer, vector and raster, with its group, geometry, CRS, owner and publishing."""
    cat = load_catalog(settings.layers_dir)
    rows = [_summary(cat, layer) for layer in cat] + [_raster_summary(cat, r) for r in cat.rasters.values()]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    title = f"{cat.info.title.vi} ({len(cat)} layers, {len(cat.rasters)} raster layers)"
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in ("id", "kind", "family", "group", "geometry", "CRS", "owner", "tiles"):
        table.add_column(column, no_wrap=True)
    table.add_column("name")
    for row in rows:
        tiles = f"z{row['tiles']['minzoom']}-{row['tiles']['maxzoom']}" if row["tiles"] else "-"
        geometry = f"raster {row['dtype']}" if row["kind"] == "raster" else row["geometry"]
        cells = [row[k] for k in ("id", "kind", "family", "group")]
        table.add_row(*cells, geometry, row["storage_crs"], row["owner"], tiles, row["name_vi"])
    _console().print(table)


@catalog.command()
@click.argument("layer_id")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "yaml", "json"]), default="text", show_default=True
)
@pass_settings
def show(settings: Settings, layer_id: str, fmt: str) -> None:
    """Show one layer: its facts, attributes (type, code list, access, aliases) and checks, or its bands."""
    from danang_sdi.cli.raster_report import find_layer

    cat = load_catalog(settings.layers_dir)
    layer = find_layer(cat, layer_id)
    data = layer.model_dump(mode="json", exclude_none=True)  # a layer file as is: a raster's has kind: raster
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt == "yaml":
        click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), nl=False)
    elif isinstance(layer, RasterLayer):
        _print_raster(cat, layer)
    else:
        _print_layer(cat, layer)


@catalog.command()
@click.option("--format", "fmt", type=click.Choice(["json-schema", "markdown"]), required=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@pass_settings
def export(settings: Settings, fmt: str, output: Path | None, overwrite: bool) -> None:
    """Export the layer file's JSON Schema or the whole catalog as Markdown (docs/catalog.md)."""
    text = (
        layer_schema_json() if fmt == "json-schema" else catalog_markdown(load_catalog(settings.layers_dir))
    )
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists() and not overwrite:
        raise click.UsageError(f"{output} exists; add --overwrite to replace it")
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


def _console() -> Console:
    """The terminal's width on a terminal; a wide page when piped, so that rows are not folded."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _summary(cat: Catalog, layer: Layer) -> dict:
    tiles = layer.publish.tiles
    return {
        "id": layer.id,
        "kind": "vector",
        "name_vi": layer.name.vi,
        "name_en": layer.name.en,
        "group": layer.group,
        "family": cat.group(layer).family,
        "geometry": layer.geometry.value,
        "storage_crs": layer.storage_crs,
        "owner": layer.owner,
        "published": layer.publish.ogcapi,
        "tiles": tiles.model_dump() if tiles else None,
    }


def _raster_summary(cat: Catalog, layer: RasterLayer) -> dict:
    return {
        "id": layer.id,
        "kind": "raster",
        "name_vi": layer.name.vi,
        "name_en": layer.name.en,
        "group": layer.group,
        "family": cat.group(layer).family,
        "geometry": "raster",
        "dtype": layer.dtype.value,
        "bands": [band.name for band in layer.bands],
        "resolution": layer.resolution.model_dump(),
        "storage_crs": layer.storage_crs,
        "owner": layer.owner,
        "published": layer.publish.ogcapi,
        "tiles": None,
    }


def _print_layer(cat: Catalog, layer: Layer) -> None:
    console = _console()
    owner = cat.agency(layer.owner)
    console.print(f"[bold]{layer.id}[/bold]: {layer.name.vi} / {layer.name.en}")
    console.print(layer.description.vi, highlight=False)
    console.print(
        f"group {layer.group} ({cat.group(layer).family}) · owner {owner.code} ({owner.name.vi}) · "
        f"{layer.geometry} · {layer.storage_crs} · updated {layer.update_frequency} · "
        f"natural key ({', '.join(layer.natural_key)})",
        highlight=False,
    )
    table = Table(title="attributes")
    for column in ("name", "type", "required", "code list / values", "access", "aliases"):
        table.add_column(column, no_wrap=column == "name")
    for a in layer.attributes:
        values = ", ".join(a.code_list_ids) or (", ".join(map(str, a.enum)) if a.enum else "")
        access = f"[red]{a.access}[/red]" if a.access is Access.restricted else a.access.value
        table.add_row(a.name, a.type.value, "yes" if a.required else "", values, access, ", ".join(a.aliases))
    console.print(table)
    for check in layer.checks:
        console.print(f"check {check.rule} ({check.severity})", highlight=False)


def _print_raster(cat: Catalog, layer: RasterLayer) -> None:
    console = _console()
    owner = cat.agency(layer.owner)
    console.print(f"[bold]{layer.id}[/bold] (raster): {layer.name.vi} / {layer.name.en}")
    console.print(layer.description.vi, highlight=False)
    console.print(
        f"group {layer.group} ({cat.group(layer).family}) · owner {owner.code} ({owner.name.vi}) · "
        f"raster {layer.dtype} · {layer.storage_crs} · pixels {layer.resolution.min:g}-{layer.resolution.max:g} m · "
        f"nodata {layer.nodata:g} · {layer.resampling} resampling · {layer.compression} COG · "
        f"updated {layer.update_frequency} · OGC API coverage {'yes' if layer.publish.ogcapi else 'no'}",
        highlight=False,
    )
    table = Table(title="bands")
    for column in ("band", "name", "title", "unit"):
        table.add_column(column, no_wrap=column != "title")
    for number, band in enumerate(layer.bands, start=1):
        table.add_row(str(number), band.name, f"{band.title.vi} / {band.title.en}", band.unit or "")
    console.print(table)
