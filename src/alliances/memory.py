"""How the package's processes get memory: the allocator settings every ``alliances`` command
and every Dask worker of :mod:`alliances.analysis.runtime` starts with, and the release of
freed memory. Light on purpose (no statsmodels, no Dask): the CLI applies the settings before
any command runs.
"""

from __future__ import annotations

import ctypes
import gc
import os

import pyarrow as pa

# glibc's malloc settings for every `alliances` command and every process that runs tasks. By
# default glibc maps each array above an adaptive threshold (at most 32 MB) afresh and returns
# freed heap above 128 kB at once, and a thread other than the main one (a Dask worker's task
# thread) allocates from its own 64 MB arenas, which map anything larger afresh: the kernel
# zeroes new pages for nearly every temporary of a fit or a score on millions of rows, and a
# third of the replication's CPU time went to the kernel. With one arena and both thresholds at
# 1 GiB, arrays up to 1 GiB come from the heap and freed pages are reused (the plan's 50 fits in
# one process: 104 s with 21 s in the kernel, against 84 s with 3 s). Memory returns to the
# system once the free top of the heap exceeds 1 GiB. Arrow allocates through the same heap
# (its own mimalloc pool returns pages to the system and faults them in again when reading and
# writing Parquet).
ALLOCATOR_SETTINGS = {"MALLOC_ARENA_MAX": 1, "MALLOC_MMAP_THRESHOLD_": 1 << 30, "MALLOC_TRIM_THRESHOLD_": 1 << 30,
                      "ARROW_DEFAULT_MEMORY_POOL": "system"}
_MALLOPT_PARAM = {"MALLOC_ARENA_MAX": -8, "MALLOC_MMAP_THRESHOLD_": -3, "MALLOC_TRIM_THRESHOLD_": -1}


def tune_allocator() -> bool:
    """Apply :data:`ALLOCATOR_SETTINGS` to this process: Arrow's default pool becomes the
    system allocator, and glibc's ``mallopt`` sets the rest (Dask workers get them as
    environment variables when they start). Nothing is changed when the environment sets any
    of them (the user's choice is kept); False then, or where the C library is not glibc.
    Results do not depend on it, only the time spent getting memory from the kernel."""
    if any(name in os.environ for name in ALLOCATOR_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    pa.set_memory_pool(pa.system_memory_pool())
    return all([mallopt(ctypes.c_int(_MALLOPT_PARAM[name]), ctypes.c_int(value)) == 1
                for name, value in ALLOCATOR_SETTINGS.items() if name in _MALLOPT_PARAM])


def release_memory() -> None:
    """Return freed heap pages to the operating system (glibc's ``malloc_trim``; elsewhere a
    no-op). Frames of a few MB each live on the heap, and without this a process keeps their
    pages after freeing them (Dask's workers trim the same way). Arrow's default pool is asked
    to do the same for the buffers it keeps for reuse."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
