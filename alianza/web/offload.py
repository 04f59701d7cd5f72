"""Long work off the event loop, without stalling it: a worker thread, the cyclic GC paused
and the interpreter lock handed over more often.

A 100,000-row import in a worker thread still stalled the loop for up to 0.57 s: decoding
and splitting the 73 MB body held the interpreter lock in one piece, and the import's
allocations set off full collections of the cyclic garbage collector, which stop every
thread. So the body is decoded and read line by line inside the worker, and while any
such job runs the collector is paused (reference counting still frees almost everything;
the collector resumes when the last job ends) and the switch interval is 0.5 ms. Checked
first: anyio's and Starlette's thread helpers (what this wraps) and a process pool, which
would give the import its own interpreter but cannot see a test's uncommitted connection
and pays a second start-up of the package for every import.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_running = 0
_was_enabled = True
_interval = sys.getswitchinterval()
# While a heavy job runs, the event loop waits at most this long for the interpreter lock
# after each system call (the default 5 ms, paid several times per request, made p99 33 ms).
BUSY_SWITCH_INTERVAL = 0.0005


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic GC while the block runs (nested and concurrent uses count)."""
    global _running, _was_enabled, _interval
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            _interval = sys.getswitchinterval()
            gc.disable()
            sys.setswitchinterval(min(_interval, BUSY_SWITCH_INTERVAL))
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                sys.setswitchinterval(_interval)
                if _was_enabled:
                    gc.enable()


async def run_heavy(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn`` in a worker thread with the collector paused; await its result."""

    def paused() -> T:
        with collector_paused():
            return fn(*args, **kwargs)

    return await run_in_threadpool(paused)
