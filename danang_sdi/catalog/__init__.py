"""The Decision 858 shared spatial data catalog, read from ``layers/``."""

from __future__ import annotations

import sys
import types

from danang_sdi.catalog.registry import Catalog, load_catalog

__all__ = ["Catalog", "load_catalog"]


class _CallableModule(types.ModuleType):
    """Lets ``danang_sdi.catalog()`` (the analyst API) and the package ``danang_sdi.catalog`` share one name."""

    def __call__(self, settings=None) -> Catalog:
        from danang_sdi.analysis import catalog

        return catalog(settings)


sys.modules[__name__].__class__ = _CallableModule
