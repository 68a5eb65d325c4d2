"""``python -m danang_sdi.tiles``: the ``danang-sdi tiles`` commands without loading the rest of the toolkit.

Same commands, options and messages; it skips importing the other command groups (pandas, geopandas,
SQLAlchemy), which saves about a second per run in scripts and batch jobs. It also keeps OpenBLAS to one
thread: the tile build does no linear algebra, and OpenBLAS's thread pool costs CPU at start-up and
shares the process with the workers that the build forks.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before anything imports numpy

    import click

    from danang_sdi.cli.tiles import tiles
    from danang_sdi.errors import ConfigError, SdiError, SourceError

    try:
        tiles.main(prog_name="python -m danang_sdi.tiles", standalone_mode=False)
    except SdiError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2 if isinstance(error, SourceError | ConfigError) else 1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
