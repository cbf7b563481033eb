"""Worker processes that never outlive the build, and time limits for runs and scenes.

Training and rendering run in spawned worker processes. Each worker asks the kernel to
kill it when the build process dies (PR_SET_PDEATHSIG), so a SIGKILL to the build
leaves nothing computing; Ctrl-C is the build's alone to handle, so a worker never
prints a traceback; and when the build stops early for any reason it kills its workers
rather than waiting for them.

A job runs a lesson's code, which may misbehave: each worker leads a process group of its
own, and after every job the processes the job left in it (forked children, orphans
included) are killed. sys.exit() and os._exit() in a job raise SystemExit (ProcessExit for
the latter) instead of ending the worker, so the build reports them rather than
mistaking them for success.
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
from pathlib import Path

from generator.errors import BuildError

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


class ProcessExit(SystemExit):
    """os._exit(code) called by a job in a worker: reported like sys.exit, never obeyed."""


def _start_worker(parent_pid: int) -> None:
    """A pool worker's set-up: die with the build, lead a process group, refuse os._exit."""
    die_with_parent(parent_pid)
    os.setpgrp()
    # Spawned while the build blocked SIGINT (see _Pool.submit): it is ignored from here on.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    worker, real_exit = os.getpid(), os._exit

    def refuse_exit(code: int) -> None:
        if os.getpid() != worker:  # a child the job forked: let it go (it is killed after the job)
            real_exit(code)
        raise ProcessExit(code)

    os._exit = refuse_exit


def _group_members(group: int) -> list[int]:
    """Live processes of a process group, from /proc (empty where there is none)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def job_leftovers() -> list[str]:
    """In a worker after a job: kill the other processes of its group (what the job forked,
    orphans too), and return the names of non-daemon threads the job left running."""
    me = os.getpid()
    if os.getpgrp() == me:
        for pid in _group_members(me):
            if pid != me:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)  # a child of ours: gone, not a zombie
                except (OSError, ChildProcessError):  # an orphan (init reaps it), or gone already
                    pass
    return [t.name for t in threading.enumerate()
            if t is not threading.main_thread() and t.is_alive() and not t.daemon]


def _contained(fn, args, kwargs):
    """A job as a worker runs it: whatever it forked is ended after it; an exit it asks
    for comes back as an error, never as a silent end of the build."""
    try:
        return fn(*args, **kwargs)
    except SystemExit as exc:
        call = "os._exit" if isinstance(exc, ProcessExit) else "sys.exit"
        raise BuildError(f"worker job {getattr(fn, '__name__', fn)}", f"called {call}({exc.code!r})",
                         "return instead; lesson code cannot end the build") from None
    finally:
        job_leftovers()


class _Pool(ProcessPoolExecutor):
    def submit(self, fn, /, *args, **kwargs):
        # Workers are started inside submit(): with SIGINT blocked while they start, a Ctrl-C
        # can never reach one before it has set itself up (a new process inherits the mask,
        # and unblocks only once it ignores SIGINT). Blocked, not ignored: a Ctrl-C that
        # arrives meanwhile is delivered to the build as soon as submit() returns.
        if threading.current_thread() is not threading.main_thread():
            return super().submit(_contained, fn, args, kwargs)
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return super().submit(_contained, fn, args, kwargs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _start_quiet_resource_tracker() -> None:
    """The process that removes semaphores a dead worker left behind, told not to warn: a
    worker killed mid-job is already the build's one-line error, and the warning would be
    a second line for the same thing."""
    from multiprocessing import resource_tracker

    previous = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [
        "ignore::UserWarning:multiprocessing.resource_tracker", previous]))
    try:
        resource_tracker.ensure_running()
    finally:
        if previous is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = previous


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of spawned workers; leaving the block early (an error, Ctrl-C) kills them."""
    _start_quiet_resource_tracker()
    # 'spawn': a fresh interpreter per worker, never a fork of a process holding torch threads.
    pool = _Pool(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                 initializer=_start_worker, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def broken_pool_error(where: str, kind: str, running: list[str]) -> BuildError:
    """A worker died under a job (a crash, a kill, running out of memory): name the jobs."""
    names = ", ".join(f"'{name}'" for name in running) or "?"
    which = f"{kind} {names}" if len(running) == 1 else f"one of the {kind}s {names}"
    return BuildError(where, f"a worker process died while running {which} (a crash, or it was killed)",
                      "look for code that ends or kills its own process, or uses too much memory")


def import_timeout() -> float:
    """Seconds a lesson's module may take to import (GENERATOR_IMPORT_TIMEOUT overrides it)."""
    try:
        return float(os.environ.get("GENERATOR_IMPORT_TIMEOUT", "300"))
    except ValueError:
        return 300.0


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
