"""`collector.paused()`: the cyclic collector is off inside, back on after the outermost pause, and
left off when the caller had turned it off; pauses in two threads do not re-enable it early."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from idsync.domain import collector


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_nested_pauses_re_enable_once_at_the_end() -> None:
    gc.enable()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_caller_that_disabled_it_keeps_it_disabled() -> None:
    gc.disable()
    with collector.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_exception_still_ends_the_pause() -> None:
    gc.enable()
    with pytest.raises(ValueError, match="boom"), collector.paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads() -> None:
    gc.enable()
    inside = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with collector.paused():
            inside.set()
            release.wait(timeout=30)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=other)
    with collector.paused():
        thread.start()
        assert inside.wait(timeout=30)
    # this thread's pause ended first; the other one's still holds
    assert not gc.isenabled()
    release.set()
    thread.join(timeout=30)
    assert seen == [False]
    assert gc.isenabled()
