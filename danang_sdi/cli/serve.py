"""``danang-sdi serve``: OGC API Features (pygeoapi + our provider) under gunicorn."""

from __future__ import annotations

from pathlib import Path

import click

from danang_sdi.publish import server
from danang_sdi.settings import Settings

pass_settings = click.make_pass_decorator(Settings)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port to listen on."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=server.DEFAULT_CONFIG,
    show_default=True,
    help="pygeoapi configuration made by 'danang-sdi publish config'.",
)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="gunicorn workers.")
@pass_settings
def serve(settings: Settings, host: str, port: int, config_path: Path, workers: int) -> None:
    """Serve the published layers as OGC API Features at / until stopped (Ctrl-C)."""
    plan = server.prepare(settings, config_path, host, port, workers)
    click.echo(f"OGC API Features at {plan.url}/ (gunicorn, {workers} workers); Ctrl-C stops it", err=True)
    server.run(plan)
