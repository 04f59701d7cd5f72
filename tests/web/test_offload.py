"""Heavy work off the event loop: the collector and the switch interval come back."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading

import pytest

from alianza.web.offload import BUSY_SWITCH_INTERVAL, collector_paused, run_heavy


def test_collector_paused_nests_and_restores() -> None:
    interval = sys.getswitchinterval()
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        assert sys.getswitchinterval() <= BUSY_SWITCH_INTERVAL
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer job still runs
    assert gc.isenabled() and sys.getswitchinterval() == interval


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_run_heavy_runs_in_a_worker_and_restores_on_error() -> None:
    seen: dict[str, object] = {}

    def work(x: int) -> int:
        seen["thread"] = threading.current_thread() is threading.main_thread()
        seen["gc"] = gc.isenabled()
        if x < 0:
            raise ValueError("negativo")
        return x * 2

    assert asyncio.run(run_heavy(work, 21)) == 42
    assert seen == {"thread": False, "gc": False}
    with pytest.raises(ValueError, match="negativo"):
        asyncio.run(run_heavy(work, -1))
    assert gc.isenabled()
