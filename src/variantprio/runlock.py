"""One `run`/`demo` per output directory, and a Snakemake child that never outlives its wrapper.

The lock is an `flock` on OUT/.variantprio/run.lock, taken before anything is written. Its file
descriptor is handed to the Snakemake child, so the kernel holds the lock while the wrapper or
the workflow is alive and releases it when both are gone: liveness needs no PID bookkeeping, and
a killed wrapper cannot make the next run remove the lock of a workflow that still runs.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

from .errors import InputError

log = logging.getLogger(__name__)

LOCK_NAME = Path(".variantprio") / "run.lock"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# A previous workflow whose wrapper was killed gets STOP_SIGNAL from the kernel; give it this long to stop.
_STALE_WAIT_SECONDS = 20.0
# How the workflow is told to stop: SIGINT, Snakemake's Ctrl-C path (KeyboardInterrupt: running jobs
# cancelled, exit). Not SIGTERM: Snakemake's SIGTERM handler takes the scheduler's lock, which the
# main thread holds while it selects jobs, so a SIGTERM arriving then deadlocks the workflow for
# good, still holding this directory's lock (seen when a wrapper was killed on a busy machine).
STOP_SIGNAL = signal.SIGINT


class RunLock:
    """Exclusive lock of an output directory; `stale` says an earlier run died without cleaning up."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.path = workdir / LOCK_NAME
        self.fd: int | None = None
        self.stale = False

    def __enter__(self) -> "RunLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise InputError(f"output directory is not writable ({err.strerror})", path=str(self.workdir),
                             hint="choose a directory you can write to with --out") from None
        holder = _read_holder(fd)
        if not _lock(fd, wait=_STALE_WAIT_SECONDS if holder and not _alive(holder) else 0.0):
            os.close(fd)
            raise InputError(f"another variantprio run (pid {holder or '?'}) is using this directory",
                             path=str(self.workdir), hint="wait for it to finish or stop it, then re-run")
        self.stale = bool(holder)  # the holder pid is cleared on a clean exit
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # releases the flock (the child's copy closed when it exited)
            self.fd = None


def _read_holder(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except ValueError:
        return None


def _lock(fd: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent() -> None:
    """In the child: the kernel sends STOP_SIGNAL when the wrapper dies, even by SIGKILL (Linux).

    A wrapper started in the background of a script (`variantprio run ... &`) inherits SIGINT
    ignored, and so would the workflow: it gets SIGINT's default back, so the stop reaches it."""
    signal.signal(STOP_SIGNAL, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, STOP_SIGNAL)
    except (OSError, AttributeError):  # not Linux: the flock still protects the directory
        pass


def run_child(cmd: list[str], *, env: dict, cwd: Path, lock: RunLock) -> int:
    """Run the workflow in this process group, holding the lock; stop it if the wrapper stops."""
    pass_fds = (lock.fd,) if lock.fd is not None else ()
    child = subprocess.Popen(cmd, env=env, cwd=cwd, pass_fds=pass_fds, preexec_fn=_die_with_parent)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(STOP_SIGNAL))
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the child too (same process group): let it stop cleanly
        return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.send_signal(STOP_SIGNAL)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
