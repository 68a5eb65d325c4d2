"""Whole-file work in one process: settings that suit a few very large steps rather than many small ones."""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

YIELDING_NICE = 10  # CFS gives a thread at nice 10 about a tenth of a core that a nice-0 thread wants


@contextmanager
def bulk_work() -> Iterator[None]:
    """For the duration: CPython's cycle collector off, and numpy's large arrays on ordinary pages.

    A delivery becomes millions of short-lived objects (geometries, strings) but no reference cycles worth
    chasing meanwhile; left on, the collector walks the whole heap again and again while holding the GIL.
    And numpy asks the kernel for transparent huge pages for every array of 4 MB or more: with Debian's
    default THP settings (``madvise``, defrag ``madvise``) each such array first waits for memory to be
    compacted, and the checks allocate hundreds of them (about 0.3 s of a 560,000-parcel load). Both are
    set back as they were afterwards.
    """
    collecting = gc.isenabled()
    gc.disable()
    huge_pages = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(huge_pages)
        if collecting:
            gc.enable()


def _set_madvise_hugepage(enabled: bool) -> bool:
    """numpy's switch behind ``NUMPY_MADVISE_HUGEPAGE`` (read at import); returns the previous value."""
    core = getattr(np, "_core", None) or np.core  # numpy 2, or 1
    switch = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    return bool(switch(enabled)) if switch is not None else False


def yielding_pool() -> ThreadPoolExecutor:
    """A one-thread pool whose thread runs at a lower CPU priority (on Linux nice is per thread; elsewhere
    it runs as any thread): for work with slack beside a critical path, which then takes the idle CPU."""
    return ThreadPoolExecutor(max_workers=1, initializer=_lower_priority)


def _lower_priority() -> None:
    if sys.platform.startswith("linux"):
        thread = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + YIELDING_NICE)
        )
