"""The analysis runtime (alliances.analysis.runtime): tasks and a step after them, in-process
and on a local Dask cluster, and the environment its workers start with."""

from __future__ import annotations

import os

import pytest

from alliances.analysis.runtime import TaskRunner
from alliances.errors import SpecError

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
    without MALLOC_TRIM_THRESHOLD_ in this process's environment: a Dask nanny started earlier in
    the same process (test_multiverse's own cluster) writes Dask's value there, and workers
    inherit their parent's environment."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
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


def test_workers_start_without_dasks_malloc_trim_threshold(cluster):
    """Dask's nanny would set MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's adaptive
    mmap threshold and doubled the fits' CPU time on the workers."""
    seen = cluster.client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
    assert len(seen) == 2
    assert DASK_TRIM not in seen.values()


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
