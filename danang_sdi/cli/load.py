"""``danang-sdi load FILE --layer ID``: validate a delivery, then write it to PostGIS in one transaction."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource
from rich.console import Console

from danang_sdi.catalog import load_catalog
from danang_sdi.catalog.models import RasterLayer
from danang_sdi.settings import Settings
from danang_sdi.store.loader import MODES


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--layer", "layer_id", required=True, help="Catalog layer id, e.g. cadastral_parcel.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="append",
    show_default=True,
    help="append: add new features; upsert: add and update by natural key; replace: the layer becomes the file.",
)
@click.option("--source-layer", help="Layer inside a GeoPackage, or dataset inside a zip.")
@click.option("--dry-run", is_flag=True, help="Do everything, then roll back: see what would change.")
@click.option("--strict", is_flag=True, help="Refuse the whole file if any feature has an error.")
@click.option("--accept-warnings", is_flag=True, help="Load even though validation gave warnings.")
@click.option("--force", is_flag=True, help="Load a file that was already loaded into this layer.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the validation report.",
)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.pass_context
def load(ctx: click.Context, path: Path, layer_id: str, mode: str, source_layer: str | None, dry_run: bool,
         strict: bool, accept_warnings: bool, force: bool, json_path: Path | None, lang: str) -> None:  # fmt: skip
    """Load FILE into catalog layer --layer: features with errors go to quarantine, never half a layer.

    A GeoTIFF for a raster layer becomes the layer's current Cloud-Optimised GeoTIFF (the earlier ones stay,
    for 'danang-sdi batches rollback'); a file with any error is refused whole.
    """
    from danang_sdi.cli import raster_report
    from danang_sdi.cli.validate import render_summary
    from danang_sdi.store.ingest import LoadRefused, load_file

    settings: Settings = ctx.obj
    layer = raster_report.find_layer(load_catalog(settings.layers_dir), layer_id)
    if isinstance(layer, RasterLayer):
        explicit_mode = ctx.get_parameter_source("mode") is ParameterSource.COMMANDLINE and mode != "replace"
        options = {"--source-layer": source_layer, f"--mode {mode}": explicit_mode}
        raster_report.refuse_vector_options(layer, options)
        raster_report.load_command(
            settings, path, layer, force=force, dry_run=dry_run, lang=lang, json_path=json_path
        )
        return
    console = Console() if Console().is_terminal else Console(width=160)

    def show(report) -> None:
        for part in render_summary(report, lang, limit=10):
            console.print(part)
        if json_path is not None:
            report.to_json(json_path)

    try:
        outcome = load_file(
            settings, path, layer_id, mode, source_layer=source_layer, dry_run=dry_run, strict=strict,
            accept_warnings=accept_warnings, force=force,
        )  # fmt: skip
    except LoadRefused as refused:
        show(refused.report)
        raise
    show(outcome.report)
    batch = outcome.batch
    if batch.status == "noop":
        console.print(batch.message)
        return
    verb = (
        "would change (dry run, nothing written)" if batch.status == "dry_run" else f"batch {batch.batch_id}"
    )
    console.print(
        f"[bold]{batch.layer}[/] {verb}: {batch.inserted:,} inserted, {batch.updated:,} updated, "
        f"{batch.unchanged:,} unchanged, {batch.deleted:,} deleted, {batch.quarantined:,} quarantined"
    )
    if batch.quarantined and batch.status == "done":
        console.print(
            f"quarantined features are in sdi_quarantine.{batch.layer} (batch_id = {batch.batch_id})"
        )
