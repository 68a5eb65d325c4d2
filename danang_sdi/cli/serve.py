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
@click.option(
    "--tiles",
    type=click.Path(path_type=Path),
    default=None,
    help="Base map archive (.pmtiles, .mbtiles or a folder) [default: <home>/tiles/basemap.pmtiles if it exists].",
)
@pass_settings
def serve(
    settings: Settings, host: str, port: int, config_path: Path, workers: int, tiles: Path | None
) -> None:
    """Serve the published layers as OGC API Features at /, vector tiles at /tiles/ and a map at /map/.

    The overlay of the city's layers (danang-sdi tiles overlay) is served when it exists. Ctrl-C stops it.
    """
    plan = server.prepare(settings, config_path, host, port, workers, tiles=tiles)
    click.echo(f"OGC API Features at {plan.url}/ (gunicorn, {workers} workers); Ctrl-C stops it", err=True)
    files = plan.map_files
    if files is not None:
        found = [
            name for name, path in (("basemap", files.basemap), ("overlay", files.overlay)) if path.exists()
        ]
        click.echo(f"map at {plan.url}/map/; tiles: {', '.join(found) or 'none yet'}", err=True)
        if files.maplibre is None:
            click.echo(
                "maplibre-gl is not installed (scripts/bootstrap.sh installs it): /map/ cannot draw", err=True
            )
    server.run(plan)
