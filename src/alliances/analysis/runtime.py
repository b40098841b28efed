"""The analysis runtime: tasks run through Dask or in-process, with per-process caches of the
panel and designs, in processes with the allocator settings of :mod:`alliances.memory`.
``replicate``, ``validate`` and ``multiverse`` run their tasks here.

Each task is a plain function and a tuple of picklable arguments. A local cluster of ``jobs``
worker processes runs them by default, an existing ``dask.distributed`` scheduler with
``scheduler``, or the calling process when ``jobs == 1``; results come back in task order, so
outputs do not depend on the order in which tasks finish. Tasks keep one panel and one design
per process (:func:`worker_panel`, :func:`worker_design`, and any cache made with
:func:`task_cache`), cleared when an in-process runner closes.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable

import pandas as pd
from threadpoolctl import threadpool_limits

from alliances.config import Progress
from alliances.memory import ALLOCATOR_SETTINGS, tune_allocator
from alliances.models import Results, Spec, fit
from alliances.models.fitted import SharedLogit
from alliances.models.fitting import design_for, design_key, design_spec
from alliances.store import read_panel

# -- tasks (run on workers) --------------------------------------------------------------
_PANELS: dict[tuple, pd.DataFrame] = {}


def worker_panel(panel_path: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The panel's ``columns``, read once per worker process (the latest panel only; a file
    rewritten since, e.g. by a later build in the same process, is read again)."""
    stat = os.stat(panel_path)
    key = (panel_path, stat.st_mtime_ns, stat.st_size, columns)
    if key not in _PANELS:
        _PANELS.clear()
        _PANELS[key] = read_panel(panel_path, columns=list(columns))
    return _PANELS[key]


_WORKER_DESIGNS: dict[tuple, object] = {}


def worker_design(panel_path: str, columns: tuple[str, ...], spec, estimator: str, also: tuple[str, ...] = ()):
    """The design of (spec, estimator, also-clusterings) on the worker's panel, kept while the
    next task shares its :func:`~alliances.models.estimators.design_key` (logit, Firth,
    King-Zeng and cloglog fits of one spec share one design). One design per worker at a
    time, so memory stays that of one fit."""
    stat = os.stat(panel_path)
    key = (panel_path, stat.st_mtime_ns, stat.st_size, columns, design_key(spec, estimator, also))
    if key not in _WORKER_DESIGNS:
        _WORKER_DESIGNS.clear()
        _WORKER_DESIGNS[key] = design_for(worker_panel(panel_path, columns), design_spec(spec, also), estimator)
    return _WORKER_DESIGNS[key]


_CACHES: list[dict] = []


def task_cache() -> dict:
    """A new per-process cache for tasks (e.g. validation designs), cleared with the others by
    :func:`clear_task_caches`."""
    cache: dict = {}
    _CACHES.append(cache)
    return cache


def clear_task_caches() -> None:
    """Drop the panel and designs that tasks keep between calls (a worker keeps them for its
    life; in-process runs release them when they end)."""
    _PANELS.clear()
    _WORKER_DESIGNS.clear()
    for cache in _CACHES:
        cache.clear()


def worker_fit(panel_path: str, columns: tuple[str, ...], spec: Spec, estimator: str,
               also_clusters: tuple[str, ...] = (), panel_sha: str | None = None,
               shared: SharedLogit | None = None) -> Results:
    """Fit ``estimator`` on the worker's panel and design (:func:`worker_panel`,
    :func:`worker_design`), with the covariances of ``also_clusters`` from the same fit
    (``shared``: as :func:`~alliances.models.fit`)."""
    also = tuple(c for c in dict.fromkeys(also_clusters) if c != spec.cluster)
    design = worker_design(panel_path, columns, spec, estimator, also)
    return fit(worker_panel(panel_path, columns), spec, estimator, panel_sha256=panel_sha,
               also_clusters=also_clusters, design=design, shared=shared)


def fit_task(panel_path: str, columns: tuple[str, ...], spec_dict: dict, fits: tuple[tuple[str, tuple[str, ...]], ...],
             panel_sha: str) -> list[dict]:
    """Fit one specification's estimators, each ``(estimator, also_clusters)`` with the
    covariances of its other clusterings from the same fit; returns each one's results as a
    dict, or its error, in the order of ``fits``.

    The logit goes first: King-Zeng reuses its fit, and Firth and the cloglog start from its
    estimates (fewer Newton steps to the same maximum), wherever they share its design."""
    spec = Spec.from_dict(spec_dict)
    shared = SharedLogit()
    out: list[dict] = [{} for _ in fits]
    # One BLAS thread, in workers and in-process alike: summation order then does not depend
    # on --jobs, and the estimates are the same to the last bit.
    with threadpool_limits(limits=1):
        for i in sorted(range(len(fits)), key=lambda i: fits[i][0] != "logit"):
            estimator, also_clusters = fits[i]
            try:
                res = worker_fit(panel_path, columns, spec, estimator, also_clusters, panel_sha, shared)
                out[i] = {"ok": True, "result": res.to_dict()}
            except Exception as exc:  # noqa: BLE001 - recorded in the report, the other fits go on
                out[i] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return out


class TaskRunner:
    """Runs tasks with Dask (a local cluster of ``jobs`` processes, or an existing scheduler), or
    in-process when ``jobs <= 1`` and no scheduler is given. Tasks submitted before others are
    gathered run first, so one stage's tasks keep the workers busy while the previous stage's
    results are collected; results always come back in task order."""

    def __init__(self, jobs: int, scheduler: str | None = None):
        self.client = self.cluster = None
        tune_allocator()
        if jobs <= 1 and scheduler is None:
            return
        import dask  # here, with distributed: both load only when a cluster is used
        from distributed import Client, LocalCluster

        if scheduler is None:
            # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536 alone. That turns off
            # glibc's adaptive mmap threshold, so every array above 128 kB is mapped and faulted in
            # afresh: the fits took twice the CPU time of the same fits in-process. Workers get
            # this process's allocator settings instead (ALLOCATOR_SETTINGS, or the user's own).
            # The workers' statistical profiler (a stack sample every 10 ms) is off: nobody reads
            # it here, and it cost about 6% of the fits' CPU time.
            mine = {name: os.environ.get(name) for name in ALLOCATOR_SETTINGS}  # None: not set
            environ = mine if any(mine.values()) else {k: str(v) for k, v in ALLOCATOR_SETTINGS.items()}
            with dask.config.set({**{f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in environ.items()},
                                  "distributed.worker.profile.enabled": False}):
                self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.WARNING)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)

    def __enter__(self) -> "TaskRunner":
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self.client is None:  # in-process: the tasks' panel and design caches are this process's
            clear_task_caches()

    def preload(self, modules: tuple[str, ...]) -> None:
        """Have every worker import ``modules`` now, without waiting for it: the first task
        would otherwise pay for the imports (statsmodels takes seconds) when it starts."""
        if self.client is not None:
            self.client.run(_import_modules, modules, wait=False)

    def submit(self, fn: Callable[..., dict], tasks: list[tuple]) -> tuple:
        """Hand ``fn(*task)`` for every task to the workers (in-process: nothing runs yet)."""
        if self.client is None:
            return fn, tasks, None
        return fn, tasks, [self.client.submit(fn, *t, pure=False) for t in tasks]

    def gather(self, submitted: tuple, progress: Progress, label: Callable[[tuple], str]) -> list[dict]:
        """The submitted tasks' results in task order, reporting each as it finishes."""
        fn, tasks, futures = submitted
        if futures is None:
            out = []
            for i, t in enumerate(tasks, 1):
                progress(f"[{i}/{len(tasks)}] {label(t)}")
                out.append(fn(*t))
            return out
        results: list[dict | None] = [None] * len(tasks)
        for i, fut in self._completed(submitted, progress, label):
            results[i] = fut.result()
        return results  # type: ignore[return-value]

    def _completed(self, submitted: tuple, progress: Progress, label: Callable[[tuple], str]):
        """(task index, future) of the submitted tasks as they finish, each reported."""
        from distributed import as_completed  # here: distributed loads only when a cluster is used

        _, tasks, futures = submitted
        index = {f.key: i for i, f in enumerate(futures)}
        for done, fut in enumerate(as_completed(futures), 1):
            i = index[fut.key]
            progress(f"[{done}/{len(tasks)}] {label(tasks[i])}")
            yield i, fut

    def submit_after(self, fn: Callable, args: tuple, submitted: tuple) -> tuple:
        """Hand ``fn(*args, results)``, with ``results`` the submitted tasks' results in task order,
        to a worker once they are all done (in-process: nothing runs yet). The results go from
        worker to worker without passing through this process, and the step after the tasks (for
        example, scoring and writing a validation) runs beside whatever this process does next."""
        future = None if self.client is None else self.client.submit(fn, *args, list(submitted[2]), pure=False)
        return fn, args, submitted, future

    def gather_after(self, after: tuple, progress: Progress, label: Callable[[tuple], str]):
        """The result of a :meth:`submit_after` call, reporting each task before it as it finishes;
        an exception raised by ``fn`` is raised here."""
        fn, args, submitted, future = after
        if future is None:
            return fn(*args, self.gather(submitted, progress, label))
        for _ in self._completed(submitted, progress, label):
            pass
        return future.result()


async def _import_modules(modules: tuple[str, ...]) -> None:
    # a coroutine: Dask runs one on every worker without waiting only when it is one (the
    # imports block the worker's event loop for a few seconds before its first task, harmlessly)
    for name in modules:
        importlib.import_module(name)


def fit_label(task: tuple) -> str:
    """A :func:`fit_task`'s specification and estimators, for progress lines."""
    return f"{task[2]['name']} / {', '.join(est for est, _ in task[3])}"


def run_tasks(fn: Callable[..., dict], tasks: list[tuple], jobs: int, scheduler: str | None, progress: Progress,
              label: Callable[[tuple], str] = fit_label) -> list[dict]:
    """Run ``fn(*task)`` over ``tasks`` on a :class:`TaskRunner` of ``jobs`` and ``scheduler``
    made for the call; results in task order."""
    with TaskRunner(jobs, scheduler) as own:
        return own.gather(own.submit(fn, tasks), progress, label)
