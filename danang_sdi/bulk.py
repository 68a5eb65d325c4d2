"""Whole-file work in one process: settings that suit a few very large steps rather than many small ones."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """CPython's cycle collector off for the duration, on again after.

    A delivery becomes millions of short-lived objects (geometries, strings) but no reference cycles worth
    chasing meanwhile; left on, the collector walks the whole heap again and again while holding the GIL
    (~0.1 s of a 560,000-parcel load, and the COPY thread waits for it).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
