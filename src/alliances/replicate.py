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

import hashlib
import json
import logging
import os
import platform
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import AlliancesError
from .report import markdown_table, write_tables, write_text_atomic

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


def load_plan(path: str | os.PathLike = "analyses/replicate.toml") -> Plan:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AlliancesError(f"{path}: cannot read the replication plan ({exc})") from exc
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
    return Plan(
        runs=tuple(runs), predict_spec=pred.get("spec", runs[0].name),
        predict_estimators=tuple(pred.get("estimators", ["logit", "firth", "relogit", "cloglog", "cox"])),
        dyad=pred.get("dyad", "365-710"), scenarios=tuple(pred.get("scenarios", [])),
        sims=int(pred.get("sims", 1000)), seed=int(pred.get("seed", 0)), horizon=int(pred.get("horizon", 30)),
        key_covariates=tuple(raw.get("key_covariates", [])),
        robustness_estimator=raw.get("robustness_estimator", "logit"),
    )


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- tasks (run on workers) --------------------------------------------------------------
_PANELS: dict[tuple, pd.DataFrame] = {}


def fit_task(panel_path: str, columns: tuple[str, ...], spec_dict: dict, estimator: str, panel_sha: str) -> dict:
    """Fit one (specification, estimator) pair; returns the results as a dict, or the error."""
    from .models import Spec, fit
    from .store import read_panel

    from threadpoolctl import threadpool_limits

    key = (panel_path, panel_sha, columns)
    if key not in _PANELS:  # one read per worker process
        _PANELS.clear()
        _PANELS[key] = read_panel(panel_path, columns=list(columns))
    spec = Spec.from_dict(spec_dict)
    try:
        # One BLAS thread, in workers and in-process alike: summation order then does not depend
        # on --jobs, and the estimates are the same to the last bit.
        with threadpool_limits(limits=1):
            return {"ok": True, "result": fit(_PANELS[key], spec, estimator, panel_sha256=panel_sha).to_dict()}
    except Exception as exc:  # noqa: BLE001 - recorded in the report, the other tasks go on
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def run_tasks(fn: Callable[..., dict], tasks: list[tuple], jobs: int, scheduler: str | None, progress: Progress,
              label: Callable[[tuple], str] = lambda t: f"{t[2]['name']} / {t[3]}") -> list[dict]:
    """Run ``fn(*task)`` over ``tasks`` with Dask (a local cluster of ``jobs`` processes, an
    existing scheduler, or in-process when ``jobs <= 1``); results in task order."""
    if jobs <= 1 and scheduler is None:
        out = []
        for i, t in enumerate(tasks, 1):
            progress(f"[{i}/{len(tasks)}] {label(t)}")
            out.append(fn(*t))
        return out
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.WARNING)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = [client.submit(fn, *t, pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict | None] = [None] * len(tasks)
        for done, fut in enumerate(as_completed(futures), 1):
            i = index[fut.key]
            results[i] = fut.result()
            progress(f"[{done}/{len(tasks)}] {label(tasks[i])}")
        return results  # type: ignore[return-value]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- the whole replication ---------------------------------------------------------------
def run_replication(out_dir: str | os.PathLike = "analyses/output", plan_path="analyses/replicate.toml",
                    data_dir=None, datasets_dir="datasets", start: int = 1816, end: int = 2022, jobs: int = 2,
                    scheduler: str | None = None, sims: int | None = None, figures: bool = True,
                    progress: Progress | None = None) -> dict:
    from . import run
    from .census import run_census
    from .context import BuildContext
    from threadpoolctl import threadpool_limits

    from .models import Results, Spec, compare
    from .models.spec import parse_term
    from .predict import check_simulable, resolve_scenario, run_predictions
    from .sources import sha256_file
    from .store import write_build

    say = progress or (lambda _m: None)
    plan = load_plan(plan_path)
    out = Path(out_dir)
    say(f"build {start}-{end}")
    built = run(start=start, end=end, data_dir=data_dir, progress=say)
    paths = write_build(built, datasets_dir)
    panel_path = paths["dyad_years"]
    panel_sha = sha256_file(panel_path)

    specs = {r.name: Spec.from_toml(r.path) for r in plan.runs}

    columns = set(ID_COLUMNS)
    for spec in specs.values():
        columns |= {parse_term(t)[1] for t in spec.covariates} | {spec.outcome, spec.duration}
        columns |= {spec.status} if spec.status else set()
        columns |= {"years_since_tie", "years_since_tie_peace"}  # the multinomial logit's duration
    columns = tuple(sorted(columns))
    tasks = [(str(panel_path), columns, specs[r.name].to_dict(), est, panel_sha) for r in plan.runs for est in r.estimators]
    say(f"fitting {len(tasks)} models ({len(plan.runs)} specifications)")
    outcomes = run_tasks(fit_task, tasks, jobs, scheduler, say)

    fits: dict[str, dict[str, Results]] = {}
    failures = []
    for (_, _, spec_dict, est, _), res in zip(tasks, outcomes):
        if res["ok"]:
            fits.setdefault(spec_dict["name"], {})[est] = Results.from_dict(res["result"])
        else:
            failures.append({"spec": spec_dict["name"], "estimator": est, "error": res["error"]})

    tables: dict[str, pd.DataFrame] = {}
    for name, by_est in fits.items():
        tidy = pd.concat([r.to_frame() for r in by_est.values()], ignore_index=True)
        tables[f"estimates_{name}"] = tidy
        for est, res in by_est.items():
            res.save(out / "models" / f"{name}.{est}.json")
    write_tables(tables, out / "tables")
    for name, by_est in fits.items():
        comp = compare(list(by_est.values()), names=list(by_est)).reset_index().rename(columns={"index": "term"})
        write_text_atomic(out / "tables" / f"compare_{name}.md", markdown_table(comp))
    robust = robustness_table(fits, plan)
    write_tables({"robustness": robust, "failures": pd.DataFrame(failures, columns=["spec", "estimator", "error"])},
                 out / "tables")

    pred_frames = {}
    if plan.predict_spec in fits:
        say(f"predictions for {plan.dyad}")
        panel = built.panel  # already in memory; the workers read the written file
        pfits = {}
        for e, r in fits[plan.predict_spec].items():
            if e not in plan.predict_estimators:
                continue
            try:
                check_simulable(e, r)
                pfits[e] = r
            except AlliancesError as exc:
                failures.append({"spec": plan.predict_spec, "estimator": e, "error": f"not used for predictions: {exc}"})
        scenarios = [resolve_scenario(s, Path(plan_path).parent / "scenarios") for s in plan.scenarios]
        with threadpool_limits(limits=1):
            pred_frames = run_predictions(panel, pfits, plan.dyad, None, sims or plan.sims, plan.seed, scenarios,
                                          plan.horizon, out / "china_russia", figures=figures)
    say("great-power agreement census")
    ctx = BuildContext(start=start, end=end, data_dir=data_dir)
    census = run_census(ctx)
    write_tables(census, out / "census")

    report = render_report(built.metadata, plan, fits, failures, robust, pred_frames, census)
    write_text_atomic(out / "REPORT.md", report)
    manifest = build_manifest(out, built.metadata, plan, specs, panel_sha, plan_path)
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    say(f"done: {out}")
    return manifest


def robustness_table(fits: dict, plan: Plan) -> pd.DataFrame:
    """Coefficient, standard error and p-value of each key covariate in every specification."""
    rows = []
    for name, by_est in fits.items():
        for est, res in by_est.items():
            if est != plan.robustness_estimator and not (est == "firth" and plan.robustness_estimator not in by_est):
                continue
            for term in plan.key_covariates:
                if term in res.params.index:
                    rows.append({"spec": name, "estimator": est, "outcome": res.outcome, "term": term,
                                 "coef": res.params[term], "std_err": res.bse[term], "p_value": res.pvalues[term],
                                 "nobs": res.nobs, "events": res.n_events})
    return pd.DataFrame(rows, columns=["spec", "estimator", "outcome", "term", "coef", "std_err", "p_value", "nobs",
                                       "events"])


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


def render_report(build_meta: dict, plan: Plan, fits: dict, failures: list, robust: pd.DataFrame,
                  pred: dict, census: dict) -> str:
    """REPORT.md: what predicts onsets, China-Russia against great-power dyads, robustness, extensions."""
    params = build_meta["parameters"]
    lines = [
        "# Replication report", "",
        f"alliances {__version__}; panel {params['start']}-{params['end']}, {build_meta['rows']:,} "
        f"{params['unit']}. Every number below is produced by `alliances replicate`; the tables are in "
        "`tables/`, the models in `models/`, the China-Russia predictions in `china_russia/`, the census in "
        "`census/`, and `manifest.json` lists the SHA-256 of every input and output.", "",
        "## What predicts alliance and alignment onset", "",
        f"Coefficients of the key covariates ({plan.robustness_estimator}, dyad-clustered errors) in each "
        "specification; * p < 0.05.", "",
    ]
    if len(robust):
        wide = robust.assign(cell=[f"{c:.3f}{'*' if p < 0.05 else ''} ({s:.3f})" for c, s, p in
                                   zip(robust["coef"], robust["std_err"], robust["p_value"])])
        wide = wide.pivot_table(index="term", columns="spec", values="cell", aggfunc="first").reindex(
            [t for t in plan.key_covariates if t in set(robust["term"])])
        lines.append(markdown_table(wide.reset_index().fillna("")))
        lines += ["", "Sign and significance across specifications (robust = same sign everywhere and p < 0.05 "
                  "in at least half of them):", ""]
        for term, g in robust.groupby("term", sort=False):
            signs = set((g["coef"] > 0).map({True: "+", False: "-"}))
            share = (g["p_value"] < 0.05).mean()
            verdict = "robust" if len(signs) == 1 and share >= 0.5 else "not robust"
            lines.append(f"- `{term}`: sign {'/'.join(sorted(signs))} in {len(g)} specifications, p < 0.05 in "
                         f"{share:.0%}: **{verdict}**")
        lines.append("")
    mlogit = [(name, r) for name, by_est in fits.items() for e, r in by_est.items() if e == "mlogit"]
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
        lines += [markdown_table(pd.DataFrame(rows)), ""]
    if failures:
        lines += ["Models that could not be fitted (see `tables/failures.csv`):", ""]
        lines += [f"- {f['spec']} / {f['estimator']}: {f['error'][:300]}" for f in failures]
        lines.append("")
    if pred:
        p = pred["predictions"]
        at = p[p["at_risk"] & p["p"].notna()]
        lines += [f"## China-Russia ({plan.dyad}) against great-power dyads", "",
                  f"Specification `{plan.predict_spec}`; predicted probability of onset in the year with 95% "
                  f"simulation intervals ({plan.sims} draws), and the dyad's percentile among all at-risk dyads "
                  "and among great-power dyads in the same year.", ""]
        last_year = int(p["year"].max())
        last_tie = p.loc[p["year"] == last_year, "observed_tie"].iloc[0]
        first_tie_year = int(p.loc[(p["observed_tie"] == last_tie) & (p["year"] <= last_year), "year"].min())
        lines += [f"Observed in {last_year}: **{last_tie}** (a tie of this level first appears in {first_tie_year}; "
                  "past ATOP's coverage the tie is carried forward). The rows below give the probability that an "
                  f"**{p['outcome'].iloc[0].replace('_', ' ')}** begins in each year.", ""]
        recent = at[at["year"] >= at["year"].max() - 12]
        recent = recent[recent["year"] % 3 == recent["year"].max() % 3]
        tab = recent[["year", "model", "outcome", "observed_tie", "p", "p_lo", "p_hi", "pct_all", "pct_great_powers",
                      "extended_sources"]].copy()
        for c in ("p", "p_lo", "p_hi"):
            tab[c] = tab[c].map(_fmt)
        for c in ("pct_all", "pct_great_powers"):
            tab[c] = tab[c].map(lambda v: _fmt(v, 3))
        lines += [markdown_table(tab), ""]
        if "scenarios" in pred:
            sc = pred["scenarios"].dropna(subset=["first_difference"])
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
                      f"{int(horizon['from_year'].iloc[0])} (covariates held at their latest values):", ""]
            lines += [f"- {r.model}: {_fmt(r.survival, 3)} [{_fmt(r.survival_lo, 3)}, {_fmt(r.survival_hi, 3)}]"
                      for r in horizon.itertuples()]
            lines.append("")
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
    lines += ["", "Observed onsets past ATOP's coverage are unknown (agreements are only carried forward), so "
              "the predictions there are forecasts, not fits.", ""]
    return "\n".join(lines)
