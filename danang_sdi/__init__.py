"""danang_sdi: Đà Nẵng's spatial data infrastructure toolkit.

catalog → validate → load into PostGIS → publish (OGC API Features, vector tiles) → analyse.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
