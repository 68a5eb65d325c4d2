"""``danang-sdi batches``: what was loaded, and undoing a load."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from danang_sdi.settings import Settings
from danang_sdi.store import batches as store_batches

pass_settings = click.make_pass_decorator(Settings)


@click.group()
def batches() -> None:
    """Loads recorded in sdi_meta.batch: list, show, roll back."""


@batches.command("list")
@click.option("--layer", "layer_id", help="Only this layer's batches.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_settings
def list_(settings: Settings, layer_id: str | None, limit: int, fmt: str) -> None:
    """The latest batches, newest first."""
    rows = store_batches.list_batches(settings, layer=layer_id, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
        return
    table = Table(
        "id", "layer", "file", "mode", "status", "ins", "upd", "same", "del", "quar", "who", "finished"
    )
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["layer"],
            r["file_name"],
            r["mode"],
            r["status"],
            str(r["inserted"]),
            str(r["updated"]),
            str(r["unchanged"]),
            str(r["deleted"]),
            str(r["quarantined"]),
            r["os_user"],
            f"{r['finished']:%Y-%m-%d %H:%M}" if r["finished"] else "",
        )
    Console().print(table)


@batches.command()
@click.argument("batch_id", type=int)
@pass_settings
def show(settings: Settings, batch_id: int) -> None:
    """One batch, with its provenance and validation summary."""
    row = store_batches.get_batch(settings, batch_id)
    report = row.pop("report") or {}
    for key, value in row.items():
        click.echo(f"{key:>16}: {'' if value is None else value}")
    if report.get("stats"):
        click.echo(f"{'validation':>16}: {json.dumps(report['stats'], ensure_ascii=False)}")


@batches.command()
@click.argument("batch_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def rollback(ctx: click.Context, batch_id: int, yes: bool) -> None:
    """Restore a layer to what it was before BATCH_ID (later batches of that layer are undone too)."""
    from danang_sdi.catalog import load_catalog

    settings: Settings = ctx.obj
    batch = store_batches.get_batch(settings, batch_id)
    if not yes and not click.confirm(
        f"Roll back batch {batch_id} ({batch['file_name']} into {batch['layer']})?"
    ):
        ctx.exit(1)
    result = store_batches.rollback(settings, load_catalog(settings.layers_dir), batch_id)
    later = [b for b in result.undone if b != batch_id]
    click.echo(f"{result.layer}: restored to what it was before batch {batch_id}")
    if later:
        click.echo(f"later batches undone first: {', '.join(map(str, later))}")
    if result.raster:
        served = f"{result.current.resolve().name}" if result.current else "nothing (no load of it is left)"
        click.echo(f"{result.layer} now serves {served}; the rolled-back files stay in their folder")
