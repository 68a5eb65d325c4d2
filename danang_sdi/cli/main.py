"""The ``danang-sdi`` command: a click group, one module per command group, one table of exit codes."""

from __future__ import annotations

import importlib
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


# One module per command group, imported only when its command runs: `danang-sdi tiles build` need not
# pay for geopandas and SQLAlchemy at start-up.
COMMANDS: dict[str, str] = {
    "catalog": "danang_sdi.cli.catalog:catalog",
    "validate": "danang_sdi.cli.validate:validate",
    "load": "danang_sdi.cli.load:load",
    "batches": "danang_sdi.cli.batches:batches",
    "db": "danang_sdi.cli.db:db",
    "publish": "danang_sdi.cli.publish:publish",
    "serve": "danang_sdi.cli.serve:serve",
    "tiles": "danang_sdi.cli.tiles:tiles",
    "samples": "danang_sdi.cli.samples:samples",
}


class SdiGroup(click.Group):
    """Turns an ``SdiError`` into one line on stderr and its exit code, never a traceback.

    ``lazy_subcommands`` maps a command name to ``"module:attribute"``, imported on first use.
    """

    def __init__(self, *args, lazy_subcommands: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_subcommands and name not in self.commands:
            module, _, attribute = self.lazy_subcommands[name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SdiError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(exit_code_for(error))


@click.group(
    cls=SdiGroup, lazy_subcommands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
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
