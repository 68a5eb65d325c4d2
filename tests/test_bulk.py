"""bulk_work: the cycle collector and numpy's huge-page advice are off during whole-file work, as they
were afterwards; yielding_pool runs its work at a lower priority."""

from __future__ import annotations

import gc
import os
import threading

import pytest

from danang_sdi.bulk import _set_madvise_hugepage, bulk_work, yielding_pool


@bulk_work()
def _state_during() -> tuple[bool, bool]:
    huge = _set_madvise_hugepage(False)
    return gc.isenabled(), huge


def test_collector_and_huge_pages_are_off_inside_and_as_before_after_even_on_error() -> None:
    before = _set_madvise_hugepage(True)
    try:
        assert gc.isenabled()
        assert _state_during() == (False, False)
        assert gc.isenabled() and _set_madvise_hugepage(True) is True
        with pytest.raises(RuntimeError), bulk_work():
            raise RuntimeError("boom")
        assert gc.isenabled() and _set_madvise_hugepage(True) is True
    finally:
        _set_madvise_hugepage(before)


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        _state_during()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_yielding_pool_runs_below_the_caller_s_priority() -> None:
    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    with yielding_pool() as pool:
        assert pool.submit(nice).result() > nice()
