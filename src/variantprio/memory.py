"""Resident memory of this process: its peak, and giving freed memory back to the system.

Freed Arrow buffers stay in Arrow's allocator and freed pandas/numpy blocks in glibc's arenas
until asked; a long process (the one-process `run`, a chunked stage) that does not ask keeps
every earlier peak as its resident floor.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import resource

import pyarrow as pa


def peak_rss_mb() -> float:
    """Peak resident memory of this process since the last `reset_peak_rss` (VmHWM; without /proc,
    getrusage's peak, which also counts what a parent held before it started this program)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def release_memory(collect: bool = True) -> None:
    """Hand the allocators' free memory back to the system, after collecting garbage (reference
    cycles) unless `collect` is off: a full collection costs tens of ms in a large process, too
    much for a loop over many small chunks whose frames refcounting already freed."""
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def reset_peak_rss() -> None:
    """Release memory, and restart the peak from what is held now (Linux: writing 5 to
    clear_refs), so each stage's peak is its own."""
    release_memory()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()
