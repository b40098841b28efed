"""The analysis runtime (alliances.analysis.runtime): tasks and a step after them, in-process
and on a local Dask cluster, and the environment its workers start with."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from alliances.analysis.runtime import TaskRunner
from alliances.errors import SpecError
from alliances.memory import ALLOCATOR_SETTINGS

DASK_TRIM = "65536"  # the value Dask's nanny sets by default


def _square(x: int) -> int:
    return x * x


def _total(offset: int, results: list[int]) -> tuple[int, list[int]]:
    if offset < 0:
        raise SpecError(f"offset {offset} is negative")
    return offset + sum(results), results


def _label(task: tuple) -> str:
    return f"x = {task[0]}"


@pytest.fixture(scope="module")
def cluster():
    """One local cluster of two workers for the module (starting one takes seconds). Started
    without MALLOC_TRIM_THRESHOLD_ (or another of the allocator settings) in this process's
    environment: a Dask nanny started earlier in the same process (test_multiverse's own
    cluster) writes its workers' values there, and they would count as the user's."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ALLOCATOR_SETTINGS:
            mp.delenv(name, raising=False)
        with TaskRunner(2) as runner:
            yield runner


@pytest.mark.parametrize("where", ["in-process", "cluster"])
def test_step_after_tasks_gets_their_results_in_task_order(where, cluster):
    runner = TaskRunner(1) if where == "in-process" else cluster
    said: list[str] = []
    tasks = [(x,) for x in (3, 1, 2)]
    after = runner.submit_after(_total, (10,), runner.submit(_square, tasks))
    assert runner.gather_after(after, said.append, _label) == (24, [9, 1, 4])
    assert sorted(said) == ["[1/3] x = 3", "[2/3] x = 1", "[3/3] x = 2"] if where == "in-process" else \
        sorted(m.split("] ")[1] for m in said) == ["x = 1", "x = 2", "x = 3"]


@pytest.mark.parametrize("where", ["in-process", "cluster"])
def test_error_of_the_step_after_is_raised_to_the_caller(where, cluster):
    runner = TaskRunner(1) if where == "in-process" else cluster
    after = runner.submit_after(_total, (-1,), runner.submit(_square, [(2,)]))
    with pytest.raises(SpecError, match="offset -1 is negative"):
        runner.gather_after(after, lambda _m: None, _label)


def test_workers_start_with_the_allocator_settings_not_dasks(cluster):
    """Dask's nanny would set MALLOC_TRIM_THRESHOLD_=65536 alone, which turns off glibc's
    adaptive mmap threshold and doubled the fits' CPU time on the workers."""
    seen = cluster.client.run(lambda: {name: os.environ.get(name) for name in ALLOCATOR_SETTINGS})
    assert len(seen) == 2
    for env in seen.values():
        assert env == {name: str(value) for name, value in ALLOCATOR_SETTINGS.items()}
        assert env["MALLOC_TRIM_THRESHOLD_"] != DASK_TRIM


# Page faults of a task thread computing with 160 MB arrays, in a fresh process (the allocator's
# settings are the process's), after tune_allocator() or without it.
_FAULTS = textwrap.dedent("""
    import resource, sys, threading
    import numpy as np
    from alliances import memory
    tuned = memory.tune_allocator() if sys.argv[1] == "tuned" else None
    import pyarrow as pa

    def faults(out):
        x = np.linspace(0.0, 1.0, 20_000_000)
        for _ in range(2):  # the heap grows to its peak
            y = np.exp(x) * x + 1.0
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(10):
            y = np.exp(x) * x + 1.0
        out.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)

    out = []
    thread = threading.Thread(target=faults, args=(out,))
    thread.start()
    thread.join()
    print(tuned, pa.default_memory_pool().backend_name, out[0])
""")


def _faults(mode: str, **env: str) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ALLOCATOR_SETTINGS} | env
    run = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, env=environ,
                         check=True)
    return run.stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_tuned_allocator_reuses_freed_memory_in_a_task_thread():
    tuned, pool, faults = _faults("tuned")
    _, _, plain = _faults("plain")
    assert (tuned, pool) == ("True", "system")
    # untuned, each temporary is mapped afresh (thousands of faults); tuned, the heap's pages are reused
    assert int(plain) > 1000
    assert int(faults) < int(plain) / 10


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_tune_allocator_keeps_the_users_settings():
    tuned, pool, _ = _faults("tuned", MALLOC_ARENA_MAX="4")
    assert tuned == "False"
    assert pool != "system"


def test_preload_imports_the_modules_on_every_worker(cluster):
    import time

    cluster.preload(("json.tool",))

    def loaded() -> bool:
        import sys

        return "json.tool" in sys.modules

    for _ in range(100):  # the import runs without being waited for
        if all(cluster.client.run(loaded).values()):
            break
        time.sleep(0.05)
    assert all(cluster.client.run(loaded).values())
