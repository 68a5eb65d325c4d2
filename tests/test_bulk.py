"""paused_gc: the cycle collector is off during whole-file work and as it was afterwards."""

from __future__ import annotations

import gc

import pytest

from danang_sdi.bulk import paused_gc


@paused_gc()
def _collector_during() -> bool:
    return gc.isenabled()


def test_the_collector_is_off_inside_and_back_on_after_even_on_error() -> None:
    assert gc.isenabled()
    assert _collector_during() is False
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        _collector_during()
        assert not gc.isenabled()
    finally:
        gc.enable()
