"""One-command replication: build -> fit every specification -> China-Russia predictions and
scenarios -> great-power census -> tables, figures, REPORT.md and manifest.json.

The plan is ``analyses/replicate.toml``: which specifications (``analyses/specs/*.toml``)
run with which estimators, the dyad, years, scenarios and simulation settings. Each
(specification, estimator) pair is an independent task run through Dask: a local cluster of
``jobs`` worker processes by default, an existing ``dask.distributed`` scheduler with
``scheduler``, or in-process when ``jobs == 1``. Workers read only the panel columns the
specifications need. Results are collected and sorted, so outputs do not depend on the
order in which tasks finish: two runs from the same inputs write byte-identical tables and
manifests (figures carry no dates; their bytes depend on the matplotlib version only).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from alliances import __version__
from alliances.analysis.report import (
    latex_table,
    markdown_table,
    outcome_words,
    write_tables,
    write_text_atomic,
)
from alliances.config import DEFAULT_END, read_toml
from alliances.errors import AlliancesError
from alliances.models.catalog import DEFAULT_ESTIMATORS
from alliances.models.results import STAR_LEGEND

if TYPE_CHECKING:
    from alliances.models import Spec

Progress = Callable[[str], None]
ID_COLUMNS = ["ccode1", "ccode2", "year", "dyad_id", "great_power_dyad", "conttype", "major1", "major2",
              "alliance", "alignment", "any_tie", "alliance_peace", "alignment_peace", "any_tie_peace",
              "alliance_onset", "alignment_onset", "alliance_onset_peace", "alignment_onset_peace"]


@dataclass(frozen=True)
class SpecRun:
    name: str
    path: Path
    estimators: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    runs: tuple[SpecRun, ...]
    predict_spec: str
    predict_estimators: tuple[str, ...]
    dyad: str
    scenarios: tuple[str, ...]
    sims: int
    seed: int
    horizon: int
    key_covariates: tuple[str, ...]
    robustness_estimator: str
    robustness_fallback: str = "firth"  # used for a specification whose robustness estimator failed
    robust_spec: str | None = None
    robust_estimators: tuple[str, ...] = ()
    robust_clusters: tuple[str, ...] = ()
    robust_periods: tuple[str, ...] = ()
    validate_spec: str | None = None
    validate_estimators: tuple[str, ...] = ()
    validate_options: tuple[tuple[str, object], ...] = ()
    events: Path | None = None
    behaviour_specs: tuple[str, ...] = ()
    alignment: AlignmentPlan | None = None


@dataclass(frozen=True)
class AlignmentPlan:
    """The ``[alignment]`` section: the dyad's record beside reference pairs, the voting-alignment
    model validated and predicted, and the behaviour-foretells-treaties comparisons."""

    references: tuple[str, ...] = ()
    voting_spec: str | None = None
    voting_estimators: tuple[str, ...] = ("logit",)
    foretell: tuple[tuple[str, str], ...] = ()  # (with behaviour, without) specification names
    validate_estimators: tuple[str, ...] = ("logit",)
    validate_options: tuple[tuple[str, object], ...] = ()

    @property
    def validated(self) -> tuple[str, ...]:
        """Specifications the section validates out of sample."""
        names = ([self.voting_spec] if self.voting_spec else []) + [n for pair in self.foretell for n in pair]
        return tuple(dict.fromkeys(names))


def _alignment_plan(path: Path, raw: dict, names: set[str]) -> AlignmentPlan | None:
    if not raw:
        return None
    foretell = []
    for item in raw.get("foretell", []):
        pair = tuple(str(item).split(":"))
        if len(pair) != 2:
            raise AlliancesError(f"{path}: [alignment] foretell entry {item!r} is not 'WITH:WITHOUT'")
        foretell.append(pair)
    for name in [raw.get("voting_spec"), *(n for pair in foretell for n in pair)]:
        if name is not None and name not in names:
            raise AlliancesError(f"{path}: [alignment] spec {name!r} is not among the [[specs]] entries")
    return AlignmentPlan(
        references=tuple(raw.get("references", [])), voting_spec=raw.get("voting_spec"),
        voting_estimators=tuple(raw.get("voting_estimators", ["logit"])), foretell=tuple(foretell),
        validate_estimators=tuple(raw.get("validate_estimators", ["logit"])),
        validate_options=tuple(sorted((k, v) for k, v in raw.items() if k in ("first_origin", "step", "horizon"))))


def _simulable(by_est: dict, spec_name: str, wanted: tuple[str, ...], failures: list[dict], why: str) -> dict:
    """The fits of ``wanted`` estimators whose coefficients can be simulated; the others go to
    ``failures`` with ``why``."""
    from alliances.analysis.predict import check_simulable

    usable = {}
    for est, res in by_est.items():
        if est not in wanted:
            continue
        try:
            check_simulable(est, res)
            usable[est] = res
        except AlliancesError as exc:
            failures.append({"spec": spec_name, "estimator": est, "error": f"{why}: {exc}"})
    return usable


def load_plan(path: str | os.PathLike = "analyses/replicate.toml") -> Plan:
    path = Path(path)
    raw = read_toml(path, "replication plan")
    folder = path.parent / raw.get("spec_folder", "specs")
    default_est = tuple(raw.get("estimators", ["logit"]))
    runs = []
    for item in raw.get("specs", []):
        spec_path = folder / f"{item['name']}.toml"
        if not spec_path.is_file():
            raise AlliancesError(f"{path}: specification {item['name']!r} has no file {spec_path}")
        runs.append(SpecRun(item["name"], spec_path, tuple(item.get("estimators", default_est))))
    if not runs:
        raise AlliancesError(f"{path}: no [[specs]] entries")
    pred = raw.get("predict", {})
    rob, val = raw.get("robustness", {}), raw.get("validate", {})
    names = {r.name for r in runs}
    for what, section in (("robustness", rob), ("validate", val)):
        if section and section.get("spec") not in names:
            raise AlliancesError(f"{path}: [{what}] spec {section.get('spec')!r} is not among the [[specs]] entries")
    return Plan(
        runs=tuple(runs), predict_spec=pred.get("spec", runs[0].name),
        predict_estimators=tuple(pred.get("estimators", DEFAULT_ESTIMATORS)),
        dyad=pred.get("dyad", "365-710"), scenarios=tuple(pred.get("scenarios", [])),
        sims=int(pred.get("sims", 1000)), seed=int(pred.get("seed", 0)), horizon=int(pred.get("horizon", 30)),
        key_covariates=tuple(raw.get("key_covariates", [])),
        robustness_estimator=raw.get("robustness_estimator", "logit"),
        robustness_fallback=raw.get("robustness_fallback", "firth"),
        robust_spec=rob.get("spec"), robust_estimators=tuple(rob.get("estimators", ["logit"])),
        robust_clusters=tuple(rob.get("clusters", ["dyad", "dyad+year"])),
        robust_periods=tuple(rob.get("period_effects", ["none", "decade"])),
        validate_spec=val.get("spec"), validate_estimators=tuple(val.get("estimators", [])),
        validate_options=tuple(sorted((k, v) for k, v in val.items() if k in ("first_origin", "step", "horizon", "eras"))),
        events=_events_path(path, raw.get("events")),
        behaviour_specs=tuple(s for s in raw.get("behaviour", {}).get("specs", []) if s in names),
        alignment=_alignment_plan(path, raw.get("alignment", {}), names),
    )


def _events_path(plan_path: Path, value: str | None) -> Path | None:
    """The plan's user-supplied events file (relative to the plan's folder)."""
    if value is None:
        return None
    events = plan_path.parent / value
    if not events.is_file():
        raise AlliancesError(f"{plan_path}: events file {events} does not exist")
    return events


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- tasks (run on workers) --------------------------------------------------------------
_PANELS: dict[tuple, pd.DataFrame] = {}


def worker_panel(panel_path: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The panel's ``columns``, read once per worker process (the latest panel only; a file
    rewritten since, e.g. by a later build in the same process, is read again)."""
    from alliances.store import read_panel

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
    from alliances.models.fitting import design_for, design_key, design_spec

    stat = os.stat(panel_path)
    key = (panel_path, stat.st_mtime_ns, stat.st_size, columns, design_key(spec, estimator, also))
    if key not in _WORKER_DESIGNS:
        _WORKER_DESIGNS.clear()
        _WORKER_DESIGNS[key] = design_for(worker_panel(panel_path, columns), design_spec(spec, also), estimator)
    return _WORKER_DESIGNS[key]


def release_memory() -> None:
    """Return freed heap pages to the operating system (glibc's ``malloc_trim``; elsewhere a
    no-op). Frames of a few MB each live on the heap, and without this a process keeps their
    pages after freeing them (Dask's workers trim the same way). Arrow's own allocator
    (mimalloc) is asked to do the same for the buffers it keeps for reuse."""
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def clear_task_caches() -> None:
    """Drop the panel and designs that tasks keep between calls (a worker keeps them for its
    life; in-process runs release them when they end)."""
    from alliances.analysis import validate

    _PANELS.clear()
    _WORKER_DESIGNS.clear()
    validate._DESIGNS.clear()


def fit_task(panel_path: str, columns: tuple[str, ...], spec_dict: dict, estimator: str, panel_sha: str,
             also_clusters: tuple[str, ...] = ()) -> dict:
    """Fit one (specification, estimator) pair, with the covariances of ``also_clusters`` from
    the same fit; returns the results as a dict, or the error."""
    from threadpoolctl import threadpool_limits

    from alliances.models import Spec, fit

    panel = worker_panel(panel_path, columns)
    spec = Spec.from_dict(spec_dict)
    try:
        # One BLAS thread, in workers and in-process alike: summation order then does not depend
        # on --jobs, and the estimates are the same to the last bit.
        with threadpool_limits(limits=1):
            also = tuple(c for c in dict.fromkeys(also_clusters) if c != spec.cluster)
            design = worker_design(panel_path, columns, spec, estimator, also)
            res = fit(panel, spec, estimator, panel_sha256=panel_sha, also_clusters=also_clusters, design=design)
            return {"ok": True, "result": res.to_dict()}
    except Exception as exc:  # noqa: BLE001 - recorded in the report, the other tasks go on
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


class TaskRunner:
    """Runs tasks with Dask (a local cluster of ``jobs`` processes, or an existing scheduler), or
    in-process when ``jobs <= 1`` and no scheduler is given. Tasks submitted before others are
    gathered run first, so one stage's tasks keep the workers busy while the previous stage's
    results are collected; results always come back in task order."""

    def __init__(self, jobs: int, scheduler: str | None = None):
        self.client = self.cluster = None
        if jobs <= 1 and scheduler is None:
            return
        from distributed import Client, LocalCluster

        if scheduler is None:
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                                        silence_logs=logging.WARNING)
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
        from distributed import as_completed

        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict | None] = [None] * len(tasks)
        for done, fut in enumerate(as_completed(futures), 1):
            i = index[fut.key]
            results[i] = fut.result()
            progress(f"[{done}/{len(tasks)}] {label(tasks[i])}")
        return results  # type: ignore[return-value]


def fit_label(task: tuple) -> str:
    return f"{task[2]['name']} / {task[3]}"


def run_tasks(fn: Callable[..., dict], tasks: list[tuple], jobs: int, scheduler: str | None, progress: Progress,
              label: Callable[[tuple], str] = fit_label) -> list[dict]:
    """Run ``fn(*task)`` over ``tasks`` on a :class:`TaskRunner` of ``jobs`` and ``scheduler``
    made for the call; results in task order."""
    with TaskRunner(jobs, scheduler) as own:
        return own.gather(own.submit(fn, tasks), progress, label)


# -- the whole replication ---------------------------------------------------------------
def run_replication(out_dir: str | os.PathLike = "analyses/output", plan_path="analyses/replicate.toml",
                    data_dir=None, datasets_dir="datasets", start: int = 1816, end: int = DEFAULT_END, jobs: int = 2,
                    scheduler: str | None = None, sims: int | None = None, figures: bool = True,
                    progress: Progress | None = None) -> dict:
    from threadpoolctl import threadpool_limits

    from alliances import run
    from alliances.analysis.predict import (
        resolve_scenario,
        run_predictions,
    )
    from alliances.analysis.validate import (
        collect_validation,
        finish_validation,
        submit_validation,
        write_validation,
    )
    from alliances.dyads.context import BuildContext
    from alliances.models import Results, Spec, compare
    from alliances.models.design import needed_columns
    from alliances.outcomes.census import run_census
    from alliances.sources import sha256_file
    from alliances.store import present_columns, read_panel, write_build

    say = progress or (lambda _m: None)
    plan = load_plan(plan_path)
    out = Path(out_dir)
    say(f"build {start}-{end}")
    built = run(start=start, end=end, data_dir=data_dir, progress=say, events=plan.events)
    paths = write_build(built, datasets_dir)
    panel_path = paths["dyad_years"]
    panel_sha = sha256_file(panel_path)

    specs = {r.name: Spec.from_toml(r.path) for r in plan.runs}
    grid = robustness_specs(specs, plan)

    columns = set(ID_COLUMNS)
    variants = [dataclasses.replace(g, cluster=c) for g in grid.values() for c in plan.robust_clusters]
    for spec in [*specs.values(), *variants]:
        columns |= set(needed_columns(spec)) | set(needed_columns(spec, "mlogit"))
    columns = tuple(sorted(c for c in columns if c in built.panel.columns))
    # the panel is read back from the file when the predictions need it: holding it through the
    # fits and the validation would add 1.2 GB to this process's peak (reading it takes 1 s)
    metadata, agreement_table = built.metadata, built.agreement_table
    del built
    # A grid cell (period-effects choice x estimator) whose model a plan run fits but for its
    # clustering comes from that run's fit, with the grid's clusterings computed alongside.
    source = {(g, est): next((r.name for r in plan.runs if est in r.estimators and same_model(specs[r.name], gspec)),
                             None)
              for g, gspec in grid.items() for est in plan.robust_estimators}
    tasks, grid_tasks = [], []
    for r in plan.runs:
        for est in r.estimators:
            cells = [g for (g, e), owner in source.items() if owner == r.name and e == est]
            tasks.append((str(panel_path), columns, specs[r.name].to_dict(), est, panel_sha,
                          plan.robust_clusters if cells else ()))
            grid_tasks += [(len(tasks) - 1, g, est) for g in cells]
    for (g, est), owner in source.items():
        if owner is None:
            tasks.append((str(panel_path), columns, grid[g].to_dict(), est, panel_sha, plan.robust_clusters[1:]))
            grid_tasks.append((len(tasks) - 1, g, est))
    own = sum(1 for i, _, _ in grid_tasks if tasks[i][2]["name"] not in grid)
    say(f"fitting {len(tasks)} models ({len(plan.runs)} specifications; the robustness grid's "
        f"{len(plan.robust_clusters)} clusterings come from {len(grid_tasks)} fits, {own} of them the plan's own)")
    # One set of workers for the fits and the validation: the validation's windows are queued
    # behind the fits, so no worker idles between the stages while the fit tables are written.
    with TaskRunner(jobs, scheduler) as runner:
        submitted = runner.submit(fit_task, tasks)
        pending = None
        if plan.validate_spec:
            try:
                pending = submit_validation(runner, panel_path, specs[plan.validate_spec],
                                            plan.validate_estimators or None, progress=say,
                                            **dict(plan.validate_options))
            except AlliancesError as exc:
                pending = exc
        aligned_pending = {}
        if plan.alignment is not None:  # behind the main validation, on the same workers
            for name in plan.alignment.validated:
                try:
                    aligned_pending[name] = submit_validation(
                        runner, panel_path, specs[name], plan.alignment.validate_estimators, progress=say, eras=False,
                        **dict(plan.alignment.validate_options))
                except AlliancesError as exc:
                    aligned_pending[name] = exc
        outcomes = runner.gather(submitted, say, fit_label)

        fits: dict[str, dict[str, Results]] = {}
        failures = []
        for (_, _, spec_dict, est, *_), res in zip(tasks, outcomes):
            if not res["ok"]:
                failures.append({"spec": spec_dict["name"], "estimator": est, "error": res["error"]})
            elif spec_dict["name"] not in grid:
                fits.setdefault(spec_dict["name"], {})[est] = Results.from_dict(res["result"]).without_alternatives()
        # the grid in its own order: period-effects choice, clustering, estimator
        grid_fits: dict[str, dict[str, Results]] = {}
        for (g, gspec), cl, est in ((item, cl, est) for item in grid.items() for est in plan.robust_estimators
                                    for cl in plan.robust_clusters):
            i = next(i for i, c, e in grid_tasks if c == g and e == est)
            if not outcomes[i]["ok"]:
                continue  # its failure is recorded above
            try:
                r = Results.from_dict(outcomes[i]["result"]).with_cluster(cl)
                grid_fits.setdefault(grid_name(plan.robust_spec, cl, gspec.period_effects), {})[est] = r
            except AlliancesError as exc:  # e.g. the conditional logit has no cluster options
                failures.append({"spec": grid_name(plan.robust_spec, cl, gspec.period_effects), "estimator": est,
                                 "error": str(exc)})
        tables: dict[str, pd.DataFrame] = {}
        for name, by_est in fits.items():
            tidy = pd.concat([r.to_frame() for r in by_est.values()], ignore_index=True)
            tables[f"estimates_{name}"] = tidy
            for est, res in by_est.items():
                res.save(out / "models" / f"{name}.{est}.json")
        write_tables(tables, out / "tables")
        for name, by_est in fits.items():
            comp = compare(list(by_est.values()), names=list(by_est)).reset_index().rename(columns={"index": "term"})
            table = comp.set_index("term")
            write_text_atomic(out / "tables" / f"compare_{name}.md",
                              markdown_table(comp) + f"\n{STAR_LEGEND}.\n")
            write_text_atomic(out / "tables" / f"compare_{name}.csv", table.to_csv(lineterminator="\n"))
            write_text_atomic(out / "tables" / f"compare_{name}.tex",
                              latex_table(table, f"Onset models of specification {name}", STAR_LEGEND + "."))
        robust = robustness_table(fits, plan)
        grid_rows = robustness_fits(grid_fits)
        grid_table = robustness_grid(grid_rows)
        models_table = model_overview({**fits, **grid_fits})
        write_tables({"robustness": robust, "robustness_grid": grid_table, "robustness_grid_fits": grid_rows,
                      "models": models_table,
                      "failures": pd.DataFrame(failures, columns=["spec", "estimator", "error"])}, out / "tables")
        if plan.validate_spec:
            say(f"out-of-sample validation of {plan.validate_spec}")
            if not isinstance(pending, AlliancesError):
                pending = collect_validation(pending, say)
        aligned_pending = {n: v if isinstance(v, AlliancesError) else collect_validation(v, say)
                           for n, v in aligned_pending.items()}
    # the workers are closed before the long scoring in this process: a scheduler starved of the
    # interpreter for seconds can miss the idle workers' heartbeats
    validation = None
    if plan.validate_spec:
        try:
            if isinstance(pending, AlliancesError):
                raise pending
            validation = finish_validation(pending, say)
            pending = None  # the windows' frames (the predictions before scoring) are no longer needed
            write_validation(validation, out / "validation", figures=figures)
            # the report needs the scores, not the 8.7 million written predictions (400 MB)
            validation = dataclasses.replace(validation, predictions=validation.predictions.iloc[:0])
        except AlliancesError as exc:
            failures.append({"spec": plan.validate_spec, "estimator": "validate", "error": str(exc)})
    aligned_validations = {}
    for name, v in aligned_pending.items():
        try:
            if isinstance(v, AlliancesError):
                raise v
            aligned_validations[name] = finish_validation(v, say)
        except AlliancesError as exc:
            failures.append({"spec": name, "estimator": "validate", "error": str(exc)})
    del aligned_pending
    release_memory()  # the validation's frames were freed: give their pages back before the panel is read
    panel = read_panel(panel_path, columns=present_columns(panel_path, report_columns(plan, specs, fits)))
    sources = onset_shares(panel, agreement_table, specs.get(plan.predict_spec))

    pred_frames = {}
    if plan.predict_spec in fits:
        say(f"predictions for {plan.dyad}")
        pfits = _simulable(fits[plan.predict_spec], plan.predict_spec, plan.predict_estimators, failures,
                           "not used for predictions")
        scenarios = [resolve_scenario(s, Path(plan_path).parent / "scenarios") for s in plan.scenarios]
        with threadpool_limits(limits=1):
            pred_frames = run_predictions(panel, pfits, plan.dyad, None, sims or plan.sims, plan.seed, scenarios,
                                          plan.horizon, out / "china_russia", figures=figures,
                                          recalibration=validation.recalibration if validation is not None else None)
    behaviour = _behaviour(panel, plan, {n: fits[n] for n in plan.behaviour_specs if n in fits}, out, figures)
    if plan.alignment is not None:
        say("alignment record, behaviour and treaties, voting-alignment predictions")
        with threadpool_limits(limits=1):
            behaviour += _alignment(panel, plan, fits, aligned_validations, failures, out, figures, sims)
    del aligned_validations
    say("great-power agreement census")
    ctx = BuildContext(start=start, end=end, data_dir=data_dir)
    census = run_census(ctx)
    write_tables(census, out / "census")

    report = render_report(metadata, plan, fits, failures, robust, pred_frames, census,
                           grid=grid_table, models=models_table, validation=validation, sources=sources,
                           behaviour=behaviour)
    write_text_atomic(out / "REPORT.md", report)
    manifest = build_manifest(out, metadata, plan, specs, panel_sha, plan_path)
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    say(f"done: {out}")
    return manifest


def report_columns(plan: Plan, specs: dict, fits: dict) -> list[str]:
    """Panel columns the steps after the fits read: the predictions (the predicted
    specification's models), the behaviour comparison and the onsets' sources."""
    from alliances.analysis.alignment import COLUMNS as ALIGNMENT
    from alliances.analysis.behaviour import COLUMNS as BEHAVIOUR
    from alliances.analysis.predict import prediction_columns

    outcomes = ["alliance_onset"] + ([specs[plan.predict_spec].outcome] if plan.predict_spec in specs else [])
    voting = []
    if plan.alignment is not None and plan.alignment.voting_spec:
        voting = prediction_columns(list(fits.get(plan.alignment.voting_spec, {}).values()))
        voting += ALIGNMENT
    return list(dict.fromkeys([*prediction_columns(list(fits.get(plan.predict_spec, {}).values())), *BEHAVIOUR,
                               *outcomes, *(f"{o}_agreement" for o in outcomes), *voting]))


def _behaviour(panel: pd.DataFrame, plan: Plan, fits: dict, out: Path, figures: bool) -> list[str]:
    """The dyad's exercises and portfolio similarity against same-year groups (table, figure, report lines)."""
    from alliances.analysis.behaviour import (
        compare_dyad,
        figure,
        report_lines,
        user_counts,
    )
    from alliances.analysis.predict import parse_dyad

    a, b = parse_dyad(plan.dyad, panel)
    table = compare_dyad(panel, a, b)
    user = user_counts(plan.events, a, b) if plan.events is not None else None
    write_tables({"behaviour": table, **({"user_events": user} if user is not None else {})}, out / "tables")
    first = panel.loc[(panel["ccode1"] == min(a, b)) & (panel["ccode2"] == max(a, b)), ["stateabb1", "stateabb2"]].iloc[0]
    label = f"{first['stateabb1']}-{first['stateabb2']} ({min(a, b)}-{max(a, b)})"
    if figures:
        figure(table, user, out / "figures" / "behaviour", label)
    return report_lines(table, user, fits, label)


def _alignment(panel: pd.DataFrame, plan: Plan, fits: dict, validations: dict, failures: list, out: Path,
               figures: bool, sims: int | None) -> list[str]:
    """The ``[alignment]`` section: record, foretell comparisons, voting model (tables, figures, report lines)."""
    from alliances.analysis import alignment
    from alliances.analysis.predict import parse_dyad, run_predictions
    from alliances.analysis.validate import write_validation

    section = plan.alignment
    a, b = parse_dyad(plan.dyad, panel)
    pairs = [(min(a, b), max(a, b)), *alignment.parse_pairs(list(section.references))]
    table = alignment.record(panel, pairs)
    spread = alignment.great_power_spread(panel)
    focus = table["pair"].iloc[0]
    write_tables({"alignment_record": table, "alignment_great_powers": spread}, out / "tables")
    if figures:
        alignment.figure(table, spread, out / "figures" / "alignment_record", focus)
    lines = alignment.record_lines(table, spread, focus)
    compared = {}
    for with_b, without in section.foretell:
        if with_b in validations and without in validations:
            try:
                compared[with_b] = alignment.compare_forecasts(validations[with_b].predictions,
                                                               validations[without].predictions,
                                                               section.validate_estimators[0], seed=plan.seed)
            except ValueError as exc:
                failures.append({"spec": with_b, "estimator": "foretell", "error": str(exc)})
    write_tables({f"foretell_{k}": v for k, v in compared.items()}, out / "tables")
    lines += alignment.foretell_lines(compared, {k: fits.get(k, {}) for k in compared})
    voting_fits, scores, preds = {}, None, None
    if section.voting_spec:
        voting_fits = {n: fits[n] for n in fits if n.startswith(section.voting_spec)}
        v = validations.get(section.voting_spec)
        if v is not None:
            write_validation(v, out / "alignment" / "validation", figures=figures)
            scores = v.scores
        usable = _simulable(fits.get(section.voting_spec, {}), section.voting_spec, section.voting_estimators,
                            failures, "not used")
        if usable:
            try:
                frames = run_predictions(panel, usable, plan.dyad, None, sims or plan.sims, plan.seed, (), 0,
                                         out / "alignment" / "china_russia_voting", figures=figures)
                preds = frames["predictions"]
            except AlliancesError as exc:
                failures.append({"spec": section.voting_spec, "estimator": "predict", "error": str(exc)})
    return lines + alignment.voting_lines(voting_fits, scores, preds, focus)


def robustness_table(fits: dict, plan: Plan) -> pd.DataFrame:
    """Coefficient, standard error and p-value of each key covariate in every specification of
    a treaty outcome (exercise and voting-alignment onsets have their own sections)."""
    rows = []
    for name, by_est in fits.items():
        for est, res in by_est.items():
            if res.outcome.startswith(("mme_", "unga_")):  # behavioural outcomes: own sections
                continue
            if est != plan.robustness_estimator and not (est == plan.robustness_fallback
                                                         and plan.robustness_estimator not in by_est):
                continue
            for term in plan.key_covariates:
                if term in res.params.index:
                    rows.append({"spec": name, "estimator": est, "outcome": res.outcome, "term": term,
                                 "coef": res.params[term], "std_err": res.bse[term], "p_value": res.pvalues[term],
                                 "nobs": res.nobs, "events": res.n_events})
    return pd.DataFrame(rows, columns=["spec", "estimator", "outcome", "term", "coef", "std_err", "p_value", "nobs",
                                       "events"])


def robustness_specs(specs: dict, plan: Plan) -> dict:
    """The robustness grid's fits: the plan's spec under each period-effects choice (clustered by
    the first option; the others come from the same fit, :func:`grid_name` names each cell)."""
    if not plan.robust_spec:
        return {}
    base = specs[plan.robust_spec]
    return {f"{base.name}[periods={pe}]": dataclasses.replace(base, name=f"{base.name}[periods={pe}]",
                                                            cluster=plan.robust_clusters[0], period_effects=pe)
            for pe in plan.robust_periods}


def same_model(a: Spec, b: Spec) -> bool:
    """Whether two specifications differ only in name and clustering (one fit serves both)."""
    strip = ("name", "cluster")
    return {k: v for k, v in a.to_dict().items() if k not in strip} == {k: v for k, v in b.to_dict().items()
                                                                         if k not in strip}


def grid_name(spec_name: str, cluster: str, periods: str) -> str:
    return f"{spec_name}[cluster={cluster}; periods={periods}]"


#: the rule printed in REPORT.md and applied by :func:`robustness_grid`
ROBUST_RULE = ("robust = the same sign and p < 0.05 in every fit of the grid: every estimator x clustering scheme "
               "x period-effects choice, one outcome")


def robustness_fits(grid_fits: dict) -> pd.DataFrame:
    """Every fit of the robustness grid: one row per variant x estimator x covariate (the
    intercept, time controls and period dummies are not claims and are left out)."""
    rows = []
    for name, by_est in grid_fits.items():
        for est, res in by_est.items():
            for term in (t for t in res.info.covariates if t in res.params.index):
                rows.append({"variant": name, "estimator": est, "outcome": res.outcome, "term": term,
                             "coef": res.params[term], "std_err": res.bse[term], "p_value": res.pvalues[term],
                             "covariance": res.cov_type.split(";")[0]})
    return pd.DataFrame(rows, columns=["variant", "estimator", "outcome", "term", "coef", "std_err", "p_value",
                                       "covariance"])


def robustness_grid(fitsframe: pd.DataFrame) -> pd.DataFrame:
    """Per covariate of the robustness spec: fits, signs, number significant, and the verdict of
    :data:`ROBUST_RULE`, from :func:`robustness_fits`."""
    if fitsframe.empty:
        return pd.DataFrame(columns=["outcome", "term", "fits", "positive", "negative", "significant", "verdict"])
    out = []
    for (outcome, term), g in fitsframe.groupby(["outcome", "term"], sort=False):
        pos, neg = int((g["coef"] > 0).sum()), int((g["coef"] < 0).sum())
        sig = int((g["p_value"] < 0.05).sum())
        same_sign = pos == len(g) or neg == len(g)
        verdict = "robust" if same_sign and sig == len(g) else (
            "same sign, significance varies" if same_sign else "sign varies")
        out.append({"outcome": outcome, "term": term, "fits": len(g), "positive": pos, "negative": neg,
                    "significant": sig, "verdict": verdict})
    return pd.DataFrame(out)


def model_overview(fits: dict) -> pd.DataFrame:
    """N, events, outcome years and variance type of every fitted model (one row each)."""
    rows = [{"spec": name, "estimator": est, "outcome": r.outcome, "nobs": r.nobs, "events": r.n_events,
             "first_year": r.years[0] if r.years else None, "last_year": r.years[1] if r.years else None,
             "period_effects": r.info.period_effects, "covariance": "; ".join(r.cov_type.split("; ")[:2])}
            for name, by_est in fits.items() for est, r in by_est.items()]
    return pd.DataFrame(rows, columns=["spec", "estimator", "outcome", "nobs", "events", "first_year", "last_year",
                                       "period_effects", "covariance"])


def onset_shares(panel: pd.DataFrame, agreements: pd.DataFrame | None, spec) -> pd.DataFrame:
    """Where the events come from: for all alliance onsets and the predicted spec's outcome (years
    with a known outcome), the share from the top 10 and 20 agreements, bilateral and wartime ones."""
    from alliances.outcomes.onsets import onset_sources

    outcomes = ["alliance_onset"] + ([spec.outcome] if spec is not None and spec.outcome != "alliance_onset" else [])
    rows = []
    for outcome in outcomes:
        if f"{outcome}_agreement" not in panel.columns or agreements is None:
            continue
        src = onset_sources(panel, outcome, agreements)
        total = int(src["onsets"].sum())
        if not total:
            continue
        top = src["share"].to_numpy()
        rows.append({"outcome": outcome, "onsets": total, "agreements": len(src),
                     "share_top10": float(top[:10].sum()), "share_top20": float(top[:20].sum()),
                     "share_bilateral": float(src.loc[src["bilat"] == 1, "share"].sum()),
                     "share_wartime": float(src.loc[src["wartime"] == 1, "share"].sum()),
                     "largest_atopid": int(src["atopid"].iloc[0]), "largest_share": float(top[0])})
    return pd.DataFrame(rows)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("numpy", "pandas", "pyarrow", "scipy", "statsmodels", "linearmodels", "matplotlib", "dask",
                "distributed"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def build_manifest(out: Path, build_meta: dict, plan: Plan, specs: dict, panel_sha: str, plan_path) -> dict:
    outputs = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "manifest.json" and not path.name.startswith("."):
            outputs[str(path.relative_to(out))] = sha256_bytes(path.read_bytes())
    return {
        "package": "alliances", "version": __version__, "software": _versions(),
        "build": {"parameters": build_meta["parameters"], "rows": build_meta["rows"], "panel_sha256": panel_sha,
                  "inputs": {i["source"]: {"file": i["file"], "sha256": i["sha256"], "version": i["version"]}
                             for i in build_meta["inputs"]}},
        "plan": {"file": str(plan_path), "sha256": sha256_bytes(Path(plan_path).read_bytes())},
        "specifications": {r.name: {"file": str(r.path), "sha256": sha256_bytes(r.path.read_bytes()),
                                    "estimators": list(r.estimators), "spec": specs[r.name].to_dict()}
                           for r in plan.runs},
        "outputs": outputs,
    }


def _fmt(x: float, digits: int = 4) -> str:
    return "" if pd.isna(x) else f"{x:.{digits}g}"


def _pct(x: float) -> str:
    return "" if pd.isna(x) else f"{100 * x:.2g}%" if x < 0.01 else f"{100 * x:.1f}%"


def _ordinal(x: float) -> str:
    if pd.isna(x):
        return "unknown"
    n = int(round(x))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def headline(pred: dict, validation, plan: Plan) -> list[str]:
    """The one-sentence answer: China-Russia's latest predicted probability, its interval, the
    model it comes from (the best out of sample) and the range across models, against base rates."""
    if not pred:
        return ["No China-Russia predictions were made (the prediction spec could not be fitted)."]
    p = pred["predictions"]
    at = p[p["at_risk"] & p["p"].notna()]
    if at.empty:
        return [f"The dyad {plan.dyad} is not at risk of the predicted outcome in any year with complete covariates."]
    year = int(at["year"].max())
    last = at[at["year"] == year]
    rank = validation.ranking if validation is not None and validation.ranking is not None else pd.DataFrame()
    # the headline rule (validate.best_of) among the models predicted for the dyad
    pool = rank[rank["beats_base_rate"]] if len(rank) and rank["beats_base_rate"].any() else rank
    order = [m for m in pool.get("model", []) if m in set(last["model"])]
    row = last[last["model"] == order[0]].iloc[0] if order else last.iloc[0]
    score = rank.set_index("model").loc[row["model"]] if order and row["model"] in set(rank["model"]) else None
    beats = bool(rank["beats_base_rate"].any()) if len(rank) else False
    if score is None:
        how = "the first model (no out-of-sample ranking available)"
    else:
        rule = ("the best rolling-origin log score among the models that beat the base rate on both the log score "
                "and the Brier score" if beats else "the best rolling-origin log score")
        how = (f"{rule}{'' if row['model'] == validation.best else ' among the models predicted for the dyad'} "
               f"(against the base rate out of sample: log-score gain {score['log_score_gain']:+.5f} nats per "
               f"dyad-year [{score['log_score_gain_lo']:+.5f}, {score['log_score_gain_hi']:+.5f}], Brier skill "
               f"{score['brier_skill']:+.4f} [{score['brier_skill_lo']:+.4f}, {score['brier_skill_hi']:+.4f}]; "
               "95% intervals from a bootstrap of forecast years"
               + ("; the Brier skill's interval includes 0, so on that score the model is not distinguishable "
                  "from the base rate)" if score["brier_skill_lo"] <= 0 <= score["brier_skill_hi"] else ")"))
    # base rates from the last ten years whose outcome is observed (later onsets are unknown)
    known = at[at["model"] == row["model"]].dropna(subset=["base_rate_all"])
    recent = known[known["year"] > known["year"].max() - 10] if len(known) else known
    span = f"{int(recent['year'].min())}-{int(recent['year'].max())}" if len(recent) else "no observed year"
    carried = str(row.get("x_carried", "") or "")
    lines = [] if beats or score is None else [
        "**No model beats the base rate on both proper scores out of sample** (pooled rolling origins: a constant "
        "forecast of the training years' onset rate has the better Brier score or log score); read the "
        "probability below as a ranking of dyads more than as a calibrated chance."]
    lines += [
        f"**China-Russia, {year}: the predicted probability that a {outcome_words(str(row['outcome']))} begins "
        f"within the year is {_pct(row['p'])} (95% simulation interval {_pct(row['p_lo'])} to {_pct(row['p_hi'])}), "
        f"from the {row['model']} model, chosen by {how}; across the {len(last)} models it ranges from "
        f"{_pct(last['p'].min())} to {_pct(last['p'].max())}.** For comparison, the observed yearly rate among "
        f"all at-risk dyads in {span} (the last ten years with an observed outcome) averages "
        f"{_pct(recent['base_rate_all'].mean())}, and among great-power dyads "
        f"{_pct(recent['base_rate_great_powers'].mean())}; the dyad ranks at the {_ordinal(row.get('pct_all'))} "
        f"percentile of all at-risk dyads in {year} and the {_ordinal(row.get('pct_great_powers'))} among "
        "great-power dyads.",
    ]
    if carried:
        lines.append(f"Covariates past their source's coverage entered this prediction by the rule "
                     f"carry_forward_past_coverage: {carried.replace(',', ', ')} (column@last covered year).")
    lines.append(f"Simulation: {plan.sims} coefficient draws, seed {plan.seed}; `alliances predict` uses the same seed "
                 "by default, so `alliances predict --model analyses/specs/"
                 f"{plan.predict_spec}.toml` reproduces these numbers.")
    return lines


def validation_sentence(scores: pd.DataFrame) -> str:
    """What the pooled rolling-origin scores say, in words, the wording following the numbers."""
    r = scores[(scores["scheme"] == "rolling") & (scores["window"] == "pooled")].set_index("model")
    if r.empty or "base_rate" not in r.index:
        return ""
    models = r.drop(index=[m for m in ("base_rate", "duration_only") if m in r.index])
    if models.empty:
        return ""
    base = r.loc["base_rate"]
    beat_log = int((models["log_score"] > base["log_score"]).sum())
    beat_brier = int((models["brier_skill"] > 0).sum())
    auc_lo, auc_hi = models["roc_auc"].min(), models["roc_auc"].max()
    ranking = ("rank onsets better than chance" if auc_lo > 0.5 else
               "do not all rank onsets better than chance")
    return (f"Out of sample (pooled over the windows every model could be fitted on), {beat_log} of {len(models)} "
            f"models have a better log score than the training base rate ({models['log_score'].min():.4f} to "
            f"{models['log_score'].max():.4f} against {base['log_score']:.4f}); the models {ranking} (ROC AUC "
            f"{auc_lo:.2f}-{auc_hi:.2f}; 0.5 is chance); {beat_brier} of {len(models)} beat the base rate on the "
            "Brier score, which rare events leave dominated by the non-events. Read the probabilities with the "
            "calibration below.")


def render_report(build_meta: dict, plan: Plan, fits: dict, failures: list, robust: pd.DataFrame,
                  pred: dict, census: dict, *, grid: pd.DataFrame | None = None, models: pd.DataFrame | None = None,
                  validation=None, sources: pd.DataFrame | None = None, behaviour: list[str] | None = None) -> str:
    """REPORT.md: the answer first, then where the events come from, what predicts onsets and how
    robustly, how well the models forecast, China-Russia in detail, the census and the extensions."""
    params = build_meta["parameters"]
    lines = [
        "# Replication report", "",
        f"alliances {__version__}; panel {params['start']}-{params['end']}, {build_meta['rows']:,} "
        f"{params['unit']}. Every number below is produced by `alliances replicate`; the tables are in "
        "`tables/`, the models in `models/`, the out-of-sample checks in `validation/`, the China-Russia "
        "predictions in `china_russia/`, the census in `census/`, and `manifest.json` lists the SHA-256 of every "
        "input and output.", "",
        "## The answer", "",
        *headline(pred, validation, plan), "",
    ]
    if sources is not None and len(sources):
        lines += ["## Where the events come from", "",
                  "Dyad-year onsets are not independent decisions: one multilateral treaty makes an onset for every "
                  "pair of its members. Share of onsets (years with a known outcome) by the agreement that produced "
                  "them (the largest agreement in force at the outcome's level in the onset year):", ""]
        tab = sources.copy()
        for c in ("share_top10", "share_top20", "share_bilateral", "share_wartime", "largest_share"):
            tab[c] = tab[c].map(_pct)
        lines += [markdown_table(tab), "",
                  "The models answer with two-way clustering by dyad and year (or dyad and agreement), decade "
                  "effects, and bilateral-only and peacetime-only outcomes; `agreements.parquet` holds one row per "
                  "agreement for analyses at the level where the decision is made.", ""]
    lines += ["## What predicts alliance and alignment onset", "",
              f"Coefficients of the key covariates ({plan.robustness_estimator}) in each specification, with the "
              "specification's own covariance (see the model table below); * p < 0.05.", ""]
    if len(robust):
        wide = robust.assign(cell=[f"{c:.3f}{'*' if p < 0.05 else ''} ({s:.3f})" for c, s, p in
                                   zip(robust["coef"], robust["std_err"], robust["p_value"])])
        order = list(dict.fromkeys(robust["term"]))
        wide = wide.pivot_table(index="term", columns="spec", values="cell", aggfunc="first").reindex(order)
        # every column says what it rests on: N, events, outcome years, variance type
        foot = {}
        for spec_name in wide.columns:
            r = fits[spec_name].get(plan.robustness_estimator) or fits[spec_name].get(plan.robustness_fallback)
            foot[spec_name] = {"N": f"{r.nobs:,}", "events": f"{r.n_events:,}", "outcome": r.outcome,
                               "years": f"{r.years[0]}-{r.years[1]}" if r.years else "",
                               "variance": r.cov_type.split(";")[0]}
        wide = pd.concat([wide, pd.DataFrame(foot)[list(wide.columns)]])
        wide.index.name = "term"
        lines += [markdown_table(wide.reset_index().fillna("")), ""]
    if grid is not None and len(grid):
        lines += [f"**Robustness** of `{plan.robust_spec}`: {ROBUST_RULE} "
                  f"({', '.join(plan.robust_estimators)} x clustering {', '.join(plan.robust_clusters)} x period "
                  f"effects {', '.join(plan.robust_periods)}). Every fit: `tables/robustness_grid_fits.csv`.", "",
                  markdown_table(grid), ""]
    mlogit = [(name, r) for name, by_est in fits.items() for r in by_est.values() if r.model.categories]
    for name, res in mlogit:
        lines += [f"Alignment versus alliance (`{name}`, multinomial logit against no onset; {res.nobs:,} dyad-years "
                  "without any tie in t-1):", ""]
        rows = []
        for term in plan.key_covariates:
            cells = {}
            for cat in ("alignment_onset", "alliance_onset"):
                key = f"{cat}:{term}"
                if key in res.params.index:
                    star = "*" if res.pvalues[key] < 0.05 else ""
                    cells[cat] = f"{res.params[key]:.3f}{star} ({res.bse[key]:.3f})"
            if cells:
                rows.append({"term": term, **cells})
        if rows:
            lines += [markdown_table(pd.DataFrame(rows)), ""]
    if models is not None and len(models):
        lines += ["Every model: observations, events, outcome years and variance type:", "",
                  markdown_table(models), ""]
    if failures:
        lines += ["Models that could not be fitted (see `tables/failures.csv`):", ""]
        lines += [f"- {f['spec']} / {f['estimator']}: {f['error'][:300]}" for f in failures]
        lines.append("")
    if validation is not None:
        sc = validation.scores[validation.scores["window"] == "pooled"].copy()
        n_roll = sum(w.scheme == "rolling" for w in validation.windows)
        n_era = sum(w.scheme == "era" for w in validation.windows)
        lines += [f"## How well the models forecast (`{plan.validate_spec}`, out of sample)", "",
                  f"{n_roll} rolling origins (fit on outcome years up to T, predict each year T+1 to T+h from its observed "
                  f"lagged covariates) and {n_era} leave-one-era-out "
                  "windows; benchmarks: the training years' at-risk base rate and a duration-only logit. Log score: "
                  "mean log-likelihood (higher is better); Brier skill: 1 - Brier / Brier of the base rate. Every "
                  f"prediction is in `validation/predictions.parquet`. Headline model: **{validation.best}** "
                  "(the best rolling log score among the models that beat the base rate on both scores, or of all "
                  "models when none does).", "",
                  "Models ending in `_recal` are logistic recalibrations of a model's forecasts, and `ensemble` is a "
                  "log-score-weighted linear pool of the models and benchmarks: each fitted, for a rolling window "
                  "with origin T, only on earlier windows' forecasts of years up to T (`validation/recalibration.csv`, "
                  "`validation/ensemble_weights.csv`; for the eras, on the other eras). Calibration: intercept 0 and "
                  "slope 1 are calibrated (slope < 1: forecasts too extreme); reliability (lower better) and "
                  "resolution (higher better) decompose the Brier score in bins at the deciles, top 5% and top 1%; "
                  "obs/pred is observed over predicted onsets among the top 1% and 5% of forecasts.", ""]
        lines += [validation_sentence(validation.scores), ""]
        for c in ("base_rate", "mean_p", "brier", "log_score", "roc_auc", "pr_auc", "brier_skill"):
            sc[c] = sc[c].map(lambda v: _fmt(v, 4))
        for c in ("calibration_intercept", "calibration_slope", "obs_pred_top1", "obs_pred_top5"):
            sc[c] = sc[c].map(lambda v: _fmt(v, 3))
        for c in ("reliability", "resolution"):
            sc[c] = sc[c].map(lambda v: _fmt(v, 3))
        lines += [markdown_table(sc[["scheme", "model", "n", "events", "mean_p", "brier", "log_score",
                                     "roc_auc", "pr_auc", "brier_skill"]]), "",
                  "Calibration of the same forecasts:", "",
                  markdown_table(sc[["scheme", "model", "calibration_intercept", "calibration_slope", "reliability",
                                     "resolution", "obs_pred_top1", "obs_pred_top5"]].rename(columns={
                                         "calibration_intercept": "intercept", "calibration_slope": "slope",
                                         "obs_pred_top1": "obs/pred top 1%", "obs_pred_top5": "obs/pred top 5%"})),
                  ""]
        if validation.ranking is not None and len(validation.ranking):
            rk = validation.ranking
            cells = rk.assign(**{
                "log-score gain [95%]": [f"{g:+.5f} [{lo:+.5f}, {hi:+.5f}]" for g, lo, hi in
                                         zip(rk["log_score_gain"], rk["log_score_gain_lo"], rk["log_score_gain_hi"])],
                "Brier skill [95%]": [f"{g:+.4f} [{lo:+.4f}, {hi:+.4f}]" for g, lo, hi in
                                      zip(rk["brier_skill"], rk["brier_skill_lo"], rk["brier_skill_hi"])],
                "beats base rate on both": rk["beats_base_rate"].map({True: "yes", False: "no"})})
            lines += ["Skill against the base rate (pooled rolling origins, windows every model was fitted on; "
                      "intervals from 1,000 bootstrap samples of forecast years):", "",
                      markdown_table(cells[["model", "log-score gain [95%]", "Brier skill [95%]",
                                            "beats base rate on both"]]), ""]
            above = {what: rk.loc[rk[f"{col}_lo"] > 0, "model"].tolist()
                     for what, col in (("log score", "log_score_gain"), ("Brier score", "brier_skill"))}
            lines += [" ".join(f"Better than the base rate on the {what} with the interval above 0: "
                               f"{', '.join(ms) if ms else 'no model'}." for what, ms in above.items()), ""]
        lines += [
                  "Calibration by era (rolling origins): mean predicted probability against the observed rate; "
                  "ratio > 1 means over-prediction.", ""]
        era = validation.calibration_by_era.copy()
        for c in ("mean_p", "observed", "ratio"):
            era[c] = era[c].map(lambda v: _fmt(v, 3))
        lines += [markdown_table(era), ""]
    if pred:
        p = pred["predictions"]
        at = p[p["at_risk"] & p["p"].notna()]
        lines += [f"## China-Russia ({plan.dyad}) against great-power dyads", "",
                  f"Specification `{plan.predict_spec}`; predicted probability of onset in the year with 95% "
                  f"simulation intervals ({plan.sims} draws, seed {plan.seed}), and the dyad's percentile among all "
                  "at-risk dyads and among great-power dyads in the same year.", ""]
        last_year = int(p["year"].max())
        last_tie = p.loc[p["year"] == last_year, "observed_tie"].iloc[0]
        first_tie_year = int(p.loc[(p["observed_tie"] == last_tie) & (p["year"] <= last_year), "year"].min())
        lines += [f"Observed in {last_year}: **{last_tie}** (a tie of this level first appears in {first_tie_year}; "
                  "past ATOP's coverage the tie is carried forward). The rows below give the probability that an "
                  f"**{p['outcome'].iloc[0].replace('_', ' ')}** begins in each year.", ""]
        if len(at):
            recent = at[at["year"] >= at["year"].max() - 12]
            recent = recent[recent["year"] % 3 == recent["year"].max() % 3]
            tab = recent[["year", "model", "p", "p_lo", "p_hi", "pct_all", "pct_great_powers", "base_rate_all",
                          "x_carried"]].copy()
            for c in ("p", "p_lo", "p_hi", "base_rate_all"):
                tab[c] = tab[c].map(_fmt)
            for c in ("pct_all", "pct_great_powers"):
                tab[c] = tab[c].map(lambda v: _fmt(v, 3))
            lines += [markdown_table(tab), ""]
        if "scenarios" in pred:
            sc = pred["scenarios"].dropna(subset=["first_difference"])
            if len(sc):
                last = sc[sc["year"] == sc["year"].max()]
                tab = last[["scenario", "model", "p_observed", "p_scenario", "first_difference", "fd_lo", "fd_hi"]].copy()
                for c in tab.columns[2:]:
                    tab[c] = tab[c].map(_fmt)
                lines += [f"Scenarios in {int(last['year'].max())} (first differences with 95% intervals):", "",
                          markdown_table(tab), ""]
        if "survival" in pred:
            sv = pred["survival"]
            horizon = sv[sv["years_ahead"] == sv["years_ahead"].max()]
            what = str(horizon["outcome"].iloc[0]).replace("_", " ")
            lines += [f"Probability of no {what} within {int(horizon['years_ahead'].max())} years of "
                      f"{int(horizon['from_year'].iloc[0])} (covariates held at their latest values; Cox on the "
                      "duration scale uses the baseline hazard at the dyad's own years at risk):", ""]
            lines += [f"- {r.model}: {_fmt(r.survival, 3)} [{_fmt(r.survival_lo, 3)}, {_fmt(r.survival_hi, 3)}]"
                      for r in horizon.itertuples()]
            lines.append("")
    lines += behaviour or []
    gp = census["census"]
    row = gp[(gp["great_powers"] == ">=2 great powers") & (gp["era"] == "all eras")]
    pacts = census["great_power_pacts"]
    lines += ["## Great-power agreement census (ATOP)", "",
              f"Agreements with two or more great powers among the founding members: "
              f"{int(row[row['timing'] == 'peacetime']['agreements'].sum())} in peacetime and "
              f"{int(row[row['timing'] == 'wartime']['agreements'].sum())} in wartime; "
              f"{len(pacts)} peacetime pacts with a great power's defense or offense pledge "
              "(listed in `census/great_power_pacts.md`).", ""]
    ext = build_meta["extensions"]
    lines += ["## What rests on extended data", "",
              "Years past a source's coverage follow a named rule; rows carry `extended_sources`.", ""]
    lines += [f"- `{k}`: covered to {e['coverage_end']}; after that **{e['rule']}**" for k, e in ext.items()]
    lines += ["", "Onsets past ATOP's coverage are unknown (missing in the panel, never 0) and no model is fitted "
              "on them; predictions there are forecasts, with covariates past their own coverage carried forward "
              "by the named rule above.", ""]
    return "\n".join(lines)
