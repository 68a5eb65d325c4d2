"""``danang-sdi publish``: the publishing views and the pygeoapi configuration."""

from __future__ import annotations

from pathlib import Path

import click

from danang_sdi.catalog import load_catalog
from danang_sdi.publish import config as publish_config
from danang_sdi.publish import views as publish_views
from danang_sdi.settings import Settings

pass_settings = click.make_pass_decorator(Settings)


@click.group()
def publish() -> None:
    """OGC API Features: views without restricted attributes, and the pygeoapi configuration."""


@publish.command()
@pass_settings
def views(settings: Settings) -> None:
    """Create sdi_pub.<layer> views (public attributes only) and the read-only role sdi_reader."""
    result = publish_views.publish_views(settings, load_catalog(settings.layers_dir))
    click.echo(
        f"{len(result.views)} views in {publish_views.PUBLISH_SCHEMA}, readable by {publish_views.READER_ROLE}"
    )
    for name in result.dropped:
        click.echo(f"dropped {name} (layer no longer published)")


@publish.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("pygeoapi-config.yml"),
    show_default=True,
    help="Where to write the configuration.",
)
@click.option("--overwrite", is_flag=True, help="Replace the output file if it exists.")
@pass_settings
def config(settings: Settings, output: Path, overwrite: bool) -> None:
    """Generate the pygeoapi configuration from the catalog and the data (also refreshes the views)."""
    result = publish_config.generate(settings, load_catalog(settings.layers_dir), output, overwrite=overwrite)
    click.echo(f"wrote {result.path}: {len(result.collections)} collections")
