"""The ``danang-sdi`` command: a click group, one module per command group, one table of exit codes."""

from __future__ import annotations

import logging
import sys

import click

from danang_sdi import __version__
from danang_sdi.errors import (
    CatalogError,
    ClusterError,
    ConfigError,
    CRSError,
    DatabaseError,
    SdiError,
    SourceError,
    TileError,
)
from danang_sdi.settings import Settings

# Most specific first: the first class an error is an instance of gives its exit code.
EXIT_CODES: list[tuple[type[SdiError], int]] = [
    (SourceError, 2),  # the input cannot be read at all
    (ConfigError, 2),
    (CatalogError, 1),
    (CRSError, 1),
    (ClusterError, 1),
    (DatabaseError, 1),
    (TileError, 1),
    (SdiError, 1),
]


def exit_code_for(error: SdiError) -> int:
    return next(code for cls, code in EXIT_CODES if isinstance(error, cls))


class SdiGroup(click.Group):
    """Turns an ``SdiError`` into one line on stderr and its exit code, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SdiError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(exit_code_for(error))


@click.group(cls=SdiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="danang-sdi")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Đà Nẵng spatial data infrastructure: catalog, validate, load, publish, tiles."""
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Settings.from_env()


def _register() -> None:
    from danang_sdi.cli import batches, catalog, db, load, publish, samples, serve, tiles, validate

    for command in (
        catalog.catalog,
        validate.validate,
        load.load,
        batches.batches,
        db.db,
        publish.publish,
        serve.serve,
        tiles.tiles,
        samples.samples,
    ):
        cli.add_command(command)


_register()
