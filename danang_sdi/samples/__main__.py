"""``python -m danang_sdi.samples``: the same commands as ``danang-sdi samples``."""

import sys

from danang_sdi.cli.main import cli

cli(args=["samples", *sys.argv[1:]], prog_name="python -m danang_sdi.samples")
