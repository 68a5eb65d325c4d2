"""The analyst's API: the catalog, layers from PostGIS or from any OGC API server, raw SQL.

>>> import danang_sdi as sdi
>>> parcels = sdi.read_layer("cadastral_parcel", where={"ma_xa": "20227"})  # doctest: +SKIP
"""

from __future__ import annotations

from danang_sdi.analysis.ogcapi import ApiError, read_api
from danang_sdi.analysis.postgis import catalog, connect, engine, read_layer

__all__ = ["ApiError", "catalog", "connect", "engine", "read_api", "read_layer"]
