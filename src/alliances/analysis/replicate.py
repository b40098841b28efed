"""One-command replication: build -> fit every specification -> China-Russia predictions and
scenarios -> great-power census -> tables, figures, REPORT.md and manifest.json.

The plan (:mod:`alliances.analysis.plan`) says which specifications run with which estimators.
Each (specification, estimator) pair is an independent task run by
:class:`~alliances.analysis.runtime.TaskRunner`; workers read only the panel columns the
specifications need. Results are collected in task order, so two runs from the same inputs
write byte-identical tables and manifests (figures carry no dates; their bytes depend on the
matplotlib version only). The robustness grid, the report and the tables are modules of their
own (:mod:`~alliances.analysis.robustness`, :mod:`~alliances.analysis.report`,
:mod:`~alliances.analysis.tables`, :mod:`~alliances.analysis.manifest`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from alliances.analysis import alignment
from alliances.analysis.alignment import COLUMNS as ALIGNMENT
from alliances.analysis.behaviour import COLUMNS as BEHAVIOUR
from alliances.analysis.behaviour import compare_dyad, figure, report_lines, user_counts
from alliances.analysis.census import run_census
from alliances.analysis.manifest import build_manifest
from alliances.analysis.plan import Plan, load_plan
from alliances.analysis.predict import (
    check_simulable,
    parse_dyad,
    prediction_columns,
    resolve_scenario,
    run_predictions,
)
from alliances.analysis.report import render_report
from alliances.analysis.robustness import (
    grid_name,
    robustness_fits,
    robustness_grid,
    robustness_specs,
    robustness_table,
)
from alliances.analysis.runtime import TaskRunner, fit_label, fit_task
from alliances.analysis.tables import latex_table, markdown_table, model_overview, onset_shares, write_tables
from alliances.analysis.validate import collect_validation, submit_validation
from alliances.atomic import write_text_atomic
from alliances.build import run
from alliances.config import DEFAULT_END, Progress
from alliances.dyads.context import BuildContext
from alliances.errors import AlliancesError
from alliances.models import Results, Spec, compare
from alliances.models.catalog import info as estimator_info
from alliances.models.design import needed_columns
from alliances.models.results import STAR_LEGEND
from alliances.sources import sha256_file
from alliances.store import present_columns, read_panel, write_build

ID_COLUMNS = ["ccode1", "ccode2", "year", "dyad_id", "great_power_dyad", "conttype", "major1", "major2",
              "alliance", "alignment", "any_tie", "alliance_peace", "alignment_peace", "any_tie_peace",
              "alliance_onset", "alignment_onset", "alliance_onset_peace", "alignment_onset_peace"]


#: What the workers import before their first task (the fits' and the validation's modules, statsmodels among them).
TASK_MODULES = ("alliances.analysis.validate",)


def _simulable(by_est: dict, spec_name: str, wanted: tuple[str, ...], failures: list[dict], why: str) -> dict:
    """The fits of ``wanted`` estimators whose coefficients can be simulated; the others go to
    ``failures`` with ``why``."""
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


# -- the whole replication ---------------------------------------------------------------
def run_replication(out_dir: str | os.PathLike = "analyses/output", plan_path="analyses/replicate.toml",
                    data_dir=None, datasets_dir="datasets", start: int = 1816, end: int = DEFAULT_END, jobs: int = 2,
                    scheduler: str | None = None, sims: int | None = None, figures: bool = True,
                    progress: Progress | None = None) -> dict:
    """Build the panel, fit and validate every specification of the plan, predict the dyad and
    write the tables, figures, REPORT.md and manifest.json to ``out_dir``; returns the manifest.

    The workers start before the build (after the plan is checked), so they start and import
    the task modules while this process builds the panel."""
    plan = load_plan(plan_path)
    with TaskRunner(jobs, scheduler) as runner:
        runner.preload(TASK_MODULES)
        return _replicate(runner, plan, Path(out_dir), plan_path, data_dir, datasets_dir, start, end, sims, figures,
                          progress or (lambda _m: None))


def _replicate(runner: TaskRunner, plan: Plan, out: Path, plan_path, data_dir, datasets_dir, start: int, end: int,
               sims: int | None, figures: bool, say: Progress) -> dict:
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
    # fits and the validation would add the whole panel to this process's peak (reading it again is quick)
    metadata, agreement_table = built.metadata, built.agreement_table
    del built
    # A grid cell (period-effects choice x estimator) whose model a plan run fits but for its
    # clustering comes from that run's fit, with the grid's clusterings computed alongside.
    source = {(g, est): next((r.name for r in plan.runs if est in r.estimators and specs[r.name].same_model(gspec)),
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
    # One set of workers for everything. The validation goes first: its windows and then its
    # scoring (on one worker) are the longest chain of tasks, and the fits fill the other worker
    # meanwhile. The predicted specification's fits come next, then those the behaviour and
    # alignment sections read and the alignment section's validations, so that this process
    # predicts the dyad and writes those sections while the workers fit the rest.
    lead = [i for i, t in enumerate(tasks) if t[2]["name"] == plan.predict_spec]
    read = _section_specs(plan)
    middle = [i for i, t in enumerate(tasks) if i not in lead and t[2]["name"] in read]
    rest = [i for i in range(len(tasks)) if i not in lead and i not in middle]
    pending = None
    if plan.validate_spec:
        try:
            # scored and written on a worker; the report needs the scores, not the predictions
            pending = submit_validation(runner, panel_path, specs[plan.validate_spec],
                                        plan.validate_estimators or None, progress=say,
                                        out_dir=out / "validation", figures=figures, keep_predictions=False,
                                        **dict(plan.validate_options))
        except AlliancesError as exc:
            pending = exc
    lead_submitted = _submit_fits(runner, tasks, lead)
    middle_submitted = _submit_fits(runner, tasks, middle)
    aligned_pending = {}
    if plan.alignment is not None:
        voting_dir = out / "alignment" / "validation"
        for name in plan.alignment.validated:
            try:
                aligned_pending[name] = submit_validation(
                    runner, panel_path, specs[name], plan.alignment.validate_estimators, progress=say, eras=False,
                    out_dir=voting_dir if name == plan.alignment.voting_spec else None, figures=figures,
                    **dict(plan.alignment.validate_options))
            except AlliancesError as exc:
                aligned_pending[name] = exc
    rest_submitted = _submit_fits(runner, tasks, rest)
    outcomes: list[dict | None] = [None] * len(tasks)
    _gather_fits(runner, lead_submitted, outcomes, say)

    validation, validation_failures = None, []
    if plan.validate_spec:
        say(f"out-of-sample validation of {plan.validate_spec}")
        validation = _collected(pending, plan.validate_spec, validation_failures, say)
    del pending
    panel = read_panel(panel_path, columns=present_columns(panel_path, report_columns(plan, specs)))
    sources = onset_shares(panel, agreement_table, specs.get(plan.predict_spec))
    pred_frames, prediction_failures = {}, []
    lead_fits = _fits_of([tasks[i] for i in lead], [outcomes[i] for i in lead], grid)[0]
    if plan.predict_spec in lead_fits:
        say(f"predictions for {plan.dyad}")
        pfits = _simulable(lead_fits[plan.predict_spec], plan.predict_spec, plan.predict_estimators,
                           prediction_failures, "not used for predictions")
        scenarios = [resolve_scenario(s, Path(plan_path).parent / "scenarios") for s in plan.scenarios]
        with threadpool_limits(limits=1):
            pred_frames = run_predictions(panel, pfits, plan.dyad, None, sims or plan.sims, plan.seed, scenarios,
                                          plan.horizon, out / "china_russia", figures=figures,
                                          recalibration=validation.recalibration if validation is not None else None)

    _gather_fits(runner, middle_submitted, outcomes, say)
    known = sorted(lead + middle)
    section_fits = _fits_of([tasks[i] for i in known], [outcomes[i] for i in known], grid)[0]
    aligned_failures: list[dict] = []
    aligned_validations = {name: _collected(v, name, aligned_failures, say) for name, v in aligned_pending.items()}
    aligned_validations = {name: v for name, v in aligned_validations.items() if v is not None}
    del aligned_pending
    behaviour = _behaviour(panel, plan, {n: section_fits[n] for n in plan.behaviour_specs if n in section_fits},
                           out, figures)
    alignment_failures: list[dict] = []
    if plan.alignment is not None:
        say("alignment record, behaviour and treaties, voting-alignment predictions")
        with threadpool_limits(limits=1):
            behaviour += _alignment(panel, plan, section_fits, aligned_validations, alignment_failures, out, figures,
                                    sims)
    del aligned_validations, section_fits
    say("great-power agreement census")
    ctx = BuildContext(start=start, end=end, data_dir=data_dir)
    census = run_census(ctx)
    write_tables(census, out / "census")

    _gather_fits(runner, rest_submitted, outcomes, say)
    fits, failures = _fits_of(tasks, outcomes, grid)
    grid_fits = _grid_fits(plan, grid, grid_tasks, outcomes, failures)
    robust, grid_table, models_table = _write_fit_tables(fits, grid_fits, failures, plan, out)
    # the report's failed steps in one order whatever finishes first: fits, validations, predictions, sections
    failures += validation_failures + aligned_failures + prediction_failures + alignment_failures

    report = render_report(metadata, plan, fits, failures, robust, pred_frames, census,
                           grid=grid_table, models=models_table, validation=validation, sources=sources,
                           behaviour=behaviour)
    write_text_atomic(out / "REPORT.md", report)
    manifest = build_manifest(out, metadata, plan, specs, panel_sha, plan_path)
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    say(f"done: {out}")
    return manifest


def _submit_fits(runner: TaskRunner, tasks: list[tuple], indices: list[int]) -> tuple:
    """Submit the fits ``tasks[indices]`` (one tuple per specification and estimator) as one
    :func:`~alliances.analysis.runtime.fit_task` per specification, so its estimators share
    the design and the logit fit on one worker; returns the submission and each task's fits."""
    groups: dict[str, list[int]] = {}
    for i in indices:  # keyed by the whole specification: a grid cell may share its name with a run
        groups.setdefault(json.dumps(tasks[i][2], sort_keys=True), []).append(i)
    by_spec = [(tasks[ix[0]][0], tasks[ix[0]][1], tasks[ix[0]][2], tuple((tasks[i][3], tasks[i][5]) for i in ix),
                tasks[ix[0]][4]) for ix in groups.values()]
    return runner.submit(fit_task, by_spec), list(groups.values())


def _gather_fits(runner: TaskRunner, submitted: tuple, outcomes: list, say: Progress) -> None:
    """Put the results of :func:`_submit_fits` in ``outcomes`` (one per specification and estimator)."""
    submission, groups = submitted
    for ix, results in zip(groups, runner.gather(submission, say, fit_label)):
        for i, res in zip(ix, results):
            outcomes[i] = res


def _section_specs(plan: Plan) -> set[str]:
    """The specifications whose fits the behaviour and alignment sections read: the behaviour
    specifications, the foretell pairs, and the voting specification with its variants (named
    after it)."""
    names = set(plan.behaviour_specs)
    if plan.alignment is not None:
        names |= {n for pair in plan.alignment.foretell for n in pair}
        if plan.alignment.voting_spec:
            names |= {r.name for r in plan.runs if r.name.startswith(plan.alignment.voting_spec)}
    return names


def _collected(pending, name: str, failures: list[dict], say: Progress):
    """The validation of :func:`submit_validation` once its tasks are done, or None with its
    error in ``failures`` (``pending`` may already be the error its submission raised)."""
    try:
        if isinstance(pending, AlliancesError):
            raise pending
        return collect_validation(pending, say)
    except AlliancesError as exc:
        failures.append({"spec": name, "estimator": "validate", "error": str(exc)})
        return None


def _fits_of(tasks: list[tuple], outcomes: list[dict], grid: dict) -> tuple[dict[str, dict[str, Results]], list[dict]]:
    """The plan's fits by specification and estimator (the grid's own specifications left out),
    and the failed tasks."""
    fits: dict[str, dict[str, Results]] = {}
    failures = []
    for (_, _, spec_dict, est, *_), res in zip(tasks, outcomes):
        if not res["ok"]:
            failures.append({"spec": spec_dict["name"], "estimator": est, "error": res["error"]})
        elif spec_dict["name"] not in grid:
            fits.setdefault(spec_dict["name"], {})[est] = Results.from_dict(res["result"]).without_alternatives()
    return fits, failures


def _grid_fits(plan: Plan, grid: dict, grid_tasks: list[tuple], outcomes: list[dict],
               failures: list[dict]) -> dict[str, dict[str, Results]]:
    """The robustness grid's fits in its own order (period-effects choice, clustering,
    estimator), each with its clustering's covariance; a clustering an estimator lacks goes to
    ``failures``."""
    grid_fits: dict[str, dict[str, Results]] = {}
    for (g, gspec), cl, est in ((item, cl, est) for item in grid.items() for est in plan.robust_estimators
                                for cl in plan.robust_clusters):
        i = next(i for i, c, e in grid_tasks if c == g and e == est)
        if not outcomes[i]["ok"]:
            continue  # its failure is recorded with the fits
        try:
            r = Results.from_dict(outcomes[i]["result"]).with_cluster(cl)
            grid_fits.setdefault(grid_name(plan.robust_spec, cl, gspec.period_effects), {})[est] = r
        except AlliancesError as exc:  # e.g. the conditional logit has no cluster options
            failures.append({"spec": grid_name(plan.robust_spec, cl, gspec.period_effects), "estimator": est,
                             "error": str(exc)})
    return grid_fits


def _write_fit_tables(fits: dict, grid_fits: dict, failures: list[dict], plan: Plan,
                      out: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every fit's JSON results, the estimates and comparison tables, the robustness tables, the
    model overview and the failed fits; returns the robustness, grid and overview tables."""
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
        write_text_atomic(out / "tables" / f"compare_{name}.md", markdown_table(comp) + f"\n{STAR_LEGEND}.\n")
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
    return robust, grid_table, models_table


def report_columns(plan: Plan, specs: dict) -> list[str]:
    """Panel columns the steps after the fits read: the predictions (the predicted and the
    voting specification, with the risk status of each estimator the plan fits to them), the
    behaviour comparison and the onsets' sources. Known from the plan alone, so the panel is read
    while the workers still fit."""
    def model_columns(name: str | None) -> list[str]:
        if name not in specs:
            return []
        spec, run = specs[name], next(r for r in plan.runs if r.name == name)
        status = [estimator_info(e).risk_status(spec) for e in run.estimators]
        return prediction_columns([spec]) + [s for s in status if s is not None]

    outcomes = ["alliance_onset"] + ([specs[plan.predict_spec].outcome] if plan.predict_spec in specs else [])
    voting = []
    if plan.alignment is not None and plan.alignment.voting_spec:
        voting = model_columns(plan.alignment.voting_spec) + ALIGNMENT
    return list(dict.fromkeys([*model_columns(plan.predict_spec), *BEHAVIOUR,
                               *outcomes, *(f"{o}_agreement" for o in outcomes), *voting]))


def _behaviour(panel: pd.DataFrame, plan: Plan, fits: dict, out: Path, figures: bool) -> list[str]:
    """The dyad's exercises and portfolio similarity against same-year groups (table, figure, report lines)."""
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
            except AlliancesError as exc:
                failures.append({"spec": with_b, "estimator": "foretell", "error": str(exc)})
    write_tables({f"foretell_{k}": v for k, v in compared.items()}, out / "tables")
    lines += alignment.foretell_lines(compared, {k: fits.get(k, {}) for k in compared})
    voting_fits, scores, preds = {}, None, None
    if section.voting_spec:
        voting_fits = {n: fits[n] for n in fits if n.startswith(section.voting_spec)}
        v = validations.get(section.voting_spec)
        if v is not None:  # written where it was scored
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
