"""A specification multiverse: every combination of declared modelling choices, fitted as
Dask tasks, with one tidy Parquet of estimates and predictions, specification curves and a
summary of how often each sign and significance holds.

A plan (TOML) names a base specification and the choices to vary::

    base = "specs/baseline.toml"            # relative to the plan's folder
    key_covariates = ["rivals", "cap_ratio"] # default: the base's covariates
    dyad = "365-710"                         # the dyad whose probability is predicted
    predict_year = 2016                      # ... in this year (covariates lagged as fitted)
    sims = 1000                              # draws for its 95% interval
    seed = 20261123

    [choices]
    outcome = ["alliance_onset_peace", "alliance_onset"]
    years = [[1816, 2010], [1946, 2010]]
    time_controls = ["cubic", "spline"]
    period_effects = ["none", "decade"]
    cluster = ["dyad", "dyad+year"]
    estimator = ["logit", "cloglog"]

    [panels]                                 # optional: source versions, label = panel file
    "ATOP 4.01" = "../datasets/dyad_years.parquet"

Any :class:`~alliances.models.Spec` field can be a choice (``lag``, ``risk_set``, ...), plus
``estimator`` and ``panel``. Clustering options never refit: one fit per other combination
gives every clustering (``also_clusters``). Each fit is one Dask task; a worker reads the
panel once and keeps its latest design, so fits that share a design (the clusterings of one
fit always; the logit and cloglog of one sample, which come next to each other in the plan's
order, when the same worker takes them) do not rebuild it.
Specification ids follow the plan's order, so the output does not depend on the number of
workers.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from alliances.analysis.predict import dyad_predictions, parse_dyad, prediction_columns
from alliances.analysis.runtime import run_tasks, worker_fit, worker_panel
from alliances.analysis.tables import markdown_table
from alliances.atomic import write_text_atomic
from alliances.config import DEFAULT_SEED, read_toml
from alliances.errors import AlliancesError, PanelError, SpecError, UsageError
from alliances.models import Spec
from alliances.models.catalog import CATALOG
from alliances.models.variance import DESCRIPTION
from alliances.store import read_panel, write_parquet_atomic

CHOICE_ORDER = ("panel", "outcome", "years", "lag", "risk_set", "time_controls", "period_effects", "estimator",
                "cluster")


@dataclass(frozen=True)
class MultiversePlan:
    base: dict
    choices: dict[str, tuple]
    panels: dict[str, str]
    key_covariates: tuple[str, ...]
    dyad: str
    predict_year: int
    sims: int
    seed: int

    def combinations(self) -> list[dict]:
        """Every combination of choices except clustering, in plan order."""
        names = [c for c in _ordered(self.choices) if c != "cluster"]
        return [dict(zip(names, values)) for values in itertools.product(*(self.choices[n] for n in names))]

    @property
    def clusters(self) -> tuple[str, ...]:
        return self.choices.get("cluster", (self.base.get("cluster", "dyad"),))

    @property
    def n_specifications(self) -> int:
        return len(self.combinations()) * len(self.clusters)


def _ordered(choices: dict) -> list[str]:
    return sorted(choices, key=lambda c: (CHOICE_ORDER.index(c) if c in CHOICE_ORDER else len(CHOICE_ORDER), c))


def load_plan(path: str | os.PathLike, panel: str | os.PathLike | None = None) -> MultiversePlan:
    """Read and check a multiverse plan; every choice is validated before anything is fitted."""
    path = Path(path)
    raw = read_toml(path, "multiverse plan")
    if "base" not in raw:
        raise SpecError(f"{path}: the plan needs base = \"specs/<name>.toml\"")
    base = Spec.from_toml(path.parent / raw["base"]).to_dict()
    choices = {k: tuple(tuple(v) if isinstance(v, list) else v for v in vals)
               for k, vals in raw.get("choices", {}).items()}
    fields = {f.name for f in dataclasses.fields(Spec)}
    for name, values in choices.items():
        if name not in fields | {"estimator", "panel"}:
            raise SpecError(f"{path}: [choices] {name!r} is neither a specification field nor estimator/panel")
        if not values:
            raise SpecError(f"{path}: [choices] {name!r} lists no value")
    for est in choices.get("estimator", ()):
        if est not in CATALOG:
            raise SpecError(f"{path}: unknown estimator {est!r}; choose from {', '.join(CATALOG)}")
    for cl in choices.get("cluster", ()):
        if cl not in DESCRIPTION:
            raise SpecError(f"{path}: unknown cluster {cl!r}; choose from {', '.join(DESCRIPTION)}")
    panels = {str(k): str(path.parent / v) for k, v in raw.get("panels", {}).items()}
    if panel is not None:
        panels = {"panel": str(panel)}
    if not panels:
        panels = {"panel": "datasets/dyad_years.parquet"}
    choices["panel"] = tuple(panels)
    choices.setdefault("estimator", ("logit",))
    plan = MultiversePlan(base=base, choices=choices, panels=panels,
                          key_covariates=tuple(raw.get("key_covariates", base["covariates"])),
                          dyad=str(raw.get("dyad", "365-710")), predict_year=int(raw.get("predict_year", 2016)),
                          sims=int(raw.get("sims", 1000)), seed=int(raw.get("seed", DEFAULT_SEED)))
    for combo in plan.combinations():  # every specification must parse before any fit
        try:
            _spec(plan, combo, plan.clusters[0])
        except AlliancesError as exc:
            raise SpecError(f"{path}: the combination {combo} is not a valid specification: {exc}") from exc
    return plan


def _spec(plan: MultiversePlan, combo: dict, cluster: str):
    fields = {k: v for k, v in combo.items() if k not in ("estimator", "panel")}
    return Spec.from_dict({**plan.base, **fields, "cluster": cluster, "name": plan.base.get("name") or "multiverse"})


# -- the task (runs on a worker) ----------------------------------------------------------------

def multiverse_task(panel_path: str, columns: tuple[str, ...], spec_dict: dict, estimator: str, clusters: tuple,
                    dyad: tuple[int, int], year: int, sims: int, seed: int) -> dict:
    """Fit one combination with every clustering from the same fit; predict the dyad."""
    spec = Spec.from_dict(spec_dict)
    try:
        with threadpool_limits(limits=1):
            res = worker_fit(panel_path, columns, spec, estimator, tuple(c for c in clusters if c != spec.cluster))
            panel = worker_panel(panel_path, columns)
            rows, preds = [], {}
            for cl in clusters:  # the interval of the prediction follows each clustering's covariance
                version = res.with_cluster(cl) if cl != spec.cluster else res
                tidy = version.to_frame()
                tidy["cluster"] = cl
                rows.append(tidy)
                preds[cl] = _predict(panel, version, dyad, year, sims, seed)
        return {"ok": True, "estimates": pd.concat(rows, ignore_index=True).to_dict("list"), "prediction": preds}
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result of the multiverse, not its end
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _predict(panel: pd.DataFrame, res, dyad: tuple[int, int], year: int, sims: int, seed: int) -> dict:
    """The dyad's onset probability in ``year`` with a 95% simulation interval, from
    :func:`~alliances.analysis.predict.dyad_predictions` (NaN where the model gives no absolute
    probability, the dyad is not at risk that year or a covariate is missing)."""
    empty = {"p": np.nan, "p_lo": np.nan, "p_hi": np.nan}
    if not res.model.probabilities or res.model.categories:
        return empty
    a, b = min(dyad), max(dyad)
    history = panel[(panel["ccode1"] == a) & (panel["ccode2"] == b)]
    if year not in set(history["year"]):
        return empty
    try:
        pred = dyad_predictions(panel, {"model": res}, (a, b), sims=sims, seed=seed, compare_groups=False)
    except PanelError:  # never at risk in the dyad's history
        return empty
    row = pred[pred["year"] == year].iloc[0]
    return {"p": float(row["p"]), "p_lo": float(row["p_lo"]), "p_hi": float(row["p_hi"])}


# -- the whole multiverse -----------------------------------------------------------------------
def run_multiverse(plan_path: str | os.PathLike, out_dir: str | os.PathLike = "analyses/output/multiverse",
                   panel: str | os.PathLike | None = None, jobs: int = 2, scheduler: str | None = None,
                   figures: bool = True, progress=None) -> pd.DataFrame:
    """Fit every specification of the plan; write ``multiverse.parquet``, ``MULTIVERSE.md``,
    ``multiverse_summary.csv`` and the specification-curve figures into ``out_dir``."""
    say = progress or (lambda _m: None)
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    plan = load_plan(plan_path, panel)
    first_panel = next(iter(plan.panels.values()))
    ids = read_panel(first_panel, columns=["ccode1", "ccode2", "year", "dyad_id", "stateabb1", "stateabb2"])
    dyad = parse_dyad(plan.dyad, ids)
    combos = plan.combinations()
    columns = set()
    for combo in combos:  # what the fits and the dyad's predictions read
        spec = _spec(plan, combo, plan.clusters[0])
        columns |= set(prediction_columns([dataclasses.replace(spec, cluster=cl) for cl in plan.clusters]))
    tasks = [(plan.panels[c["panel"]], tuple(sorted(columns)), _spec(plan, c, plan.clusters[0]).to_dict(), c["estimator"],
              plan.clusters, dyad, plan.predict_year, plan.sims, plan.seed) for c in combos]
    say(f"{plan.n_specifications} specifications: {len(tasks)} fits, each giving {len(plan.clusters)} clustering(s)")
    results = run_tasks(multiverse_task, tasks, jobs, scheduler, say,
                        label=lambda t: f"{t[3]} {t[2]['outcome']} {t[2].get('years')} {t[2]['time_controls']} "
                                        f"{t[2]['period_effects']}")
    frame = _tidy(plan, combos, results)
    out = Path(out_dir)
    _write(frame, out / "multiverse.parquet", plan, plan_path)
    summary = summarise(frame, plan)
    write_text_atomic(out / "multiverse_summary.csv", summary.to_csv(index=False, lineterminator="\n"))
    write_text_atomic(out / "MULTIVERSE.md", report(frame, summary, plan))
    if figures:
        # here, not at the top: matplotlib is loaded only when figures are drawn
        from alliances.analysis.figures import specification_curve

        for term in [*plan.key_covariates, "probability"]:
            specification_curve(frame, term, out / "figures" / f"curve_{_slug(term)}", plan.dyad, plan.predict_year)
    return frame


def _slug(term: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in term).strip("_")


def _label(value) -> str:
    """A choice's value as text (year spans as 1816-2010)."""
    if isinstance(value, tuple):
        return "-".join(map(str, value))
    return str(value)


def _tidy(plan: MultiversePlan, combos: list[dict], results: list[dict]) -> pd.DataFrame:
    """One row per (specification, term): coefficients and the dyad's probability."""
    names = _ordered(plan.choices)
    rows = []
    spec_id = 0
    for combo, res in zip(combos, results):
        for cl in plan.clusters:
            spec_id += 1
            choice = {n: _label(combo[n]) for n in names if n != "cluster"} | {"cluster": cl}
            if not res["ok"]:
                rows.append({"spec_id": spec_id, **choice, "quantity": "failed", "term": "", "error": res["error"]})
                continue
            est = pd.DataFrame(res["estimates"])
            est = est[est["cluster"] == cl]
            for r in est.itertuples():
                rows.append({"spec_id": spec_id, **choice, "quantity": "coefficient", "term": r.term,
                             "estimate": r.estimate, "std_error": r.std_error, "p_value": r.p_value,
                             "conf_low": r.conf_low, "conf_high": r.conf_high, "nobs": r.nobs,
                             "n_events": r.n_events, "error": ""})
            pred = res["prediction"][cl]
            rows.append({"spec_id": spec_id, **choice, "quantity": "probability",
                         "term": f"P({plan.base['outcome'] if 'outcome' not in combo else combo['outcome']}) "
                                 f"{plan.dyad} {plan.predict_year}",
                         "estimate": pred["p"], "conf_low": pred["p_lo"], "conf_high": pred["p_hi"],
                         "nobs": int(est["nobs"].iloc[0]) if len(est) else None,
                         "n_events": int(est["n_events"].iloc[0]) if len(est) else None, "error": ""})
    numbers = ["estimate", "std_error", "p_value", "conf_low", "conf_high", "nobs", "n_events"]
    frame = pd.DataFrame(rows)
    frame = frame.reindex(columns=[*dict.fromkeys([*frame.columns, *numbers, "error"])])  # all failed: still every column
    for col in numbers[:5]:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in numbers[5:]:
        frame[col] = pd.array(pd.to_numeric(frame[col], errors="coerce"), dtype="Int64")
    frame["error"] = frame["error"].fillna("").astype(str)
    return frame.sort_values(["spec_id", "quantity", "term"], kind="stable", ignore_index=True)


def _write(frame: pd.DataFrame, path: Path, plan: MultiversePlan, plan_path) -> None:

    meta = {"alliances.table": "multiverse",
            "alliances.analysis.multiverse": json.dumps({"plan": str(plan_path), "base": plan.base,
                                                "choices": {k: list(v) for k, v in plan.choices.items()},
                                                "panels": plan.panels, "dyad": plan.dyad,
                                                "predict_year": plan.predict_year, "sims": plan.sims,
                                                "seed": plan.seed}, sort_keys=True, default=list)}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    write_parquet_atomic(table.replace_schema_metadata(meta), path)


def summarise(frame: pd.DataFrame, plan: MultiversePlan) -> pd.DataFrame:
    """Per key covariate: specifications, share positive, share positive and p < 0.05, share
    negative and p < 0.05, median estimate; for the probability: min, median, max."""
    coef = frame[frame["quantity"] == "coefficient"]
    n_specs = int(frame["spec_id"].nunique())
    rows = []
    for term in plan.key_covariates:
        t = coef[coef["term"] == term]
        if t.empty:
            continue
        sig = t["p_value"] < 0.05
        rows.append({"term": term, "specifications": len(t), "of": n_specs,
                     "positive": (t["estimate"] > 0).mean(), "positive_p05": ((t["estimate"] > 0) & sig).mean(),
                     "negative_p05": ((t["estimate"] < 0) & sig).mean(), "median_estimate": t["estimate"].median(),
                     "min_estimate": t["estimate"].min(), "max_estimate": t["estimate"].max()})
    p = frame.loc[frame["quantity"] == "probability", "estimate"].dropna()
    if len(p):
        rows.append({"term": "probability", "specifications": len(p), "of": n_specs, "median_estimate": p.median(),
                     "min_estimate": p.min(), "max_estimate": p.max()})
    return pd.DataFrame(rows)


def report(frame: pd.DataFrame, summary: pd.DataFrame, plan: MultiversePlan) -> str:
    """MULTIVERSE.md: the choices, how often each sign and significance holds, the dyad's probability."""
    failed = frame[frame["quantity"] == "failed"]
    lines = ["# Specification multiverse", "",
             f"Base specification `{plan.base.get('name') or 'multiverse'}` (outcome `{plan.base['outcome']}`); "
             f"{plan.n_specifications} specifications from these choices (clusterings from one fit each):", ""]
    lines += [f"- `{k}`: {', '.join(_label(v) for v in plan.choices[k])}"
              for k in _ordered(plan.choices)]
    lines += ["", "How often each key covariate's sign and significance (p < 0.05) hold across the specifications "
              "where it was estimated:", ""]
    view = summary.copy()
    for col in ("positive", "positive_p05", "negative_p05"):
        if col in view:
            view[col] = (100 * view[col]).round(1).astype(str) + "%"
    lines += [markdown_table(view.round(4).fillna("")), ""]
    if len(failed):
        lines += [f"{failed['spec_id'].nunique()} specification(s) could not be fitted (listed in multiverse.parquet, "
                  "quantity = failed), e.g. " + failed["error"].iloc[0][:200], ""]
    lines += [f"Figures: `figures/curve_<term>.png`, the specification curve of each key covariate and of the "
              f"{plan.dyad} probability in {plan.predict_year} (estimates sorted, 95% intervals, significant ones "
              "marked), with the choices of each specification below.", ""]
    return "\n".join(lines)
