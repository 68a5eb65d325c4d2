"""The Decision 858 shared spatial data catalog, read from ``layers/``."""
