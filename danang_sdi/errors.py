"""Exceptions that stop a run. Problems *in the data* are findings (see ``danang_sdi.qa``), not exceptions.

Each class also subclasses the matching built-in, as rasterio does, so callers can catch either.
The CLI maps each class to an exit code in one table (``danang_sdi.cli.main.EXIT_CODES``).
"""

from __future__ import annotations


class SdiError(Exception):
    """Base of every error the toolkit raises on purpose."""


class ConfigError(SdiError, ValueError):
    """Raised when a setting, an option or a configuration file is wrong."""


class CatalogError(SdiError, ValueError):
    """Raised when a catalog file cannot be parsed or breaks the catalog schema."""


class LayerNotFound(CatalogError, KeyError):
    """Raised when a layer id is not in the catalog."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the sentence.
        return str(self.args[0]) if self.args else ""


class SourceError(SdiError, OSError):
    """Raised when an input file cannot be read at all (missing part, truncated, empty, not a dataset)."""


class CRSError(SdiError, ValueError):
    """Raised when no coordinate reference system fits the data."""


class DatabaseError(SdiError, OSError):
    """Raised when the database cannot be reached or refuses an operation."""


class ClusterError(DatabaseError):
    """Raised when the private PostGIS cluster cannot be installed, created, started or stopped."""


class TileError(SdiError, ValueError):
    """Raised when tiles cannot be built or read (bad input, bad bbox, unwritable output)."""
