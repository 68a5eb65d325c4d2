"""``danang-sdi db``: the private PostGIS cluster and the toolkit's schemas."""

from __future__ import annotations

import click

from danang_sdi.settings import Settings
from danang_sdi.store import cluster, database, schema

pass_settings = click.make_pass_decorator(Settings)

NOT_MANAGED = "DANANG_SDI_DATABASE_URL is set ({url}): that database is not managed by danang-sdi"


def _say(message: str) -> None:
    click.echo(message, err=True)


@click.group()
def db() -> None:
    """The database: a private PostGIS cluster unless DANANG_SDI_DATABASE_URL is set."""


@db.command()
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="Port on 127.0.0.1 (default: the recorded one, or a free one).",
)
@pass_settings
def up(settings: Settings, port: int | None) -> None:
    """Install (as root), initialise and start the private PostGIS cluster, then create the database."""
    if not settings.manages_cluster:
        click.echo(NOT_MANAGED.format(url=database.mask_url(settings.database_url)))
        return
    result = cluster.up(database.cluster_record(settings), port=port, say=_say)
    for note in result.notes:
        _say(note)
    database.ensure_database(settings)
    verb = "started" if result.started else "already running"
    click.echo(f"PostGIS {verb} on {cluster.HOST}:{result.port} (data in {result.data})")


@db.command()
@pass_settings
def down(settings: Settings) -> None:
    """Stop the private cluster (its data stays)."""
    if not settings.manages_cluster:
        click.echo(NOT_MANAGED.format(url=database.mask_url(settings.database_url)))
        return
    stopped = cluster.down(database.cluster_record(settings))
    click.echo("PostGIS stopped" if stopped else "PostGIS was not running")


@db.command()
@pass_settings
def status(settings: Settings) -> None:
    """Up or down, PostgreSQL and PostGIS versions, database size."""
    state = database.status(settings)
    click.echo(f"status:     {'up' if state.running else 'down'}")
    click.echo(f"url:        {state.url}")
    click.echo(f"managed:    {'yes (private cluster)' if state.managed else 'no (DANANG_SDI_DATABASE_URL)'}")
    if state.data_dir:
        click.echo(f"data:       {state.data_dir}")
    if state.running:
        click.echo(f"postgresql: {state.postgresql}")
        click.echo(f"postgis:    {state.postgis or 'not installed in this database'}")
        click.echo(f"size:       {state.size}")


@db.command()
@pass_settings
def url(settings: Settings) -> None:
    """Print the SQLAlchemy URL in use (password masked)."""
    click.echo(database.mask_url(database.database_url(settings)))


@db.command()
@pass_settings
def init(settings: Settings) -> None:
    """Create the toolkit's schemas and tables; re-running it changes nothing."""
    created = schema.init_database(settings)
    if not created:
        click.echo("nothing to do: every schema and table exists")
        return
    schemas = [name for name in created if "." not in name]
    tables = [name for name in created if "." in name]
    click.echo(f"created {len(schemas)} schemas and {len(tables)} tables")
    for name in created:
        click.echo(f"  {name}")
