"""``python -m danang_sdi.samples``: the same commands as ``danang-sdi samples``."""

from danang_sdi.cli.main import cli

cli.commands["samples"](prog_name="python -m danang_sdi.samples")
