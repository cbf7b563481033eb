"""Worker processes that never outlive the build, and time limits for runs and scenes.

Training and rendering run in spawned worker processes. Each worker asks the kernel to
kill it when the build process dies (PR_SET_PDEATHSIG), so a SIGKILL to the build
leaves nothing computing; Ctrl-C is the build's alone to handle, so a worker never
prints a traceback; and when the build stops early for any reason it kills its workers
rather than waiting for them.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent_pid: int | None = None) -> None:
    """In a child process: be killed when the parent dies; leave Ctrl-C to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's kill on exit still applies
        pass
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the request above took effect


class _Pool(ProcessPoolExecutor):
    def submit(self, fn, /, *args, **kwargs):
        # Workers are started inside submit(): with SIGINT ignored while they start, a
        # Ctrl-C can never reach one before it has set itself up.
        if threading.current_thread() is not threading.main_thread():
            return super().submit(fn, *args, **kwargs)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return super().submit(fn, *args, **kwargs)
        finally:
            signal.signal(signal.SIGINT, previous)


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of spawned workers; leaving the block early (an error, Ctrl-C) kills them."""
    # 'spawn': a fresh interpreter per worker, never a fork of a process holding torch threads.
    pool = _Pool(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                 initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


class TimedOut(BaseException):
    """Raised in the main thread when a time limit passes (BaseException: `except Exception` in
    an author's code must not swallow it)."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimedOut in the block after `seconds` of wall time (main thread only; None: no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TimedOut()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_timeout(value: object) -> str | None:
    """Why `value` is no usable time limit in seconds, or None if it is one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 24 * 3600:
        return f"timeout {value!r} is not a number of seconds between 0 and 86400"
    return None


def child_process_options() -> dict[str, Callable[[], None]]:
    """subprocess options for a tool a worker runs (ffmpeg): it dies with the worker."""
    return {"preexec_fn": die_with_parent}
