"""Out-of-sample validation of onset models: rolling origins and leave-one-era-out.

A predicted probability of a rare event means little until it has been checked on years
the model did not see. For one specification this module:

- **rolling origin**: fits every estimator on the outcome years up to an origin T and
  predicts the at-risk dyad-years of T+1 .. T+h; origins run every ``step`` years from
  ``first_origin`` (1850 by default) to the last year before the sample ends;
- **leave one era out**: fits on every era but one (1816-1870, 1871-1913, 1914-1945,
  1946-1989, 1990-) and predicts the era left out;
- scores each model and two benchmarks, the at-risk **base rate** of the training years
  and a **duration-only** logit (cubic in the years since the dyad's last tie), with the
  Brier score, log score, ROC AUC, precision-recall AUC and Brier skill against the base
  rate, plus calibration tables (pooled and by era), reliability and separation plots;
- writes every out-of-sample prediction (dyad, year, scheme, window, model, p, outcome)
  to ``predictions.parquet`` so a reviewer can recompute each metric.

Forecasts are conditional on the covariates observed (lagged one year as in fitting), as
in most conflict-forecasting work; the time scale, period effects (a later period takes the
last training period's effect) and time controls follow the specification. Variance
options do not change point predictions, so models are fitted with ``cluster = "none"``.
Each window is one Dask task fitting all its models on one training design (workers build the
estimation frame once), and the scoring and writing is one more task after them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.special import expit
from threadpoolctl import threadpool_limits

from alliances.analysis import boosting, combine, metrics
from alliances.analysis.predict import write_frame
from alliances.analysis.runtime import TaskRunner, task_cache
from alliances.analysis.tables import write_tables
from alliances.config import Progress
from alliances.dyads.keys import year_key
from alliances.errors import AlliancesError, UsageError
from alliances.models import Spec
from alliances.models.catalog import VALIDATED_ESTIMATORS
from alliances.models.catalog import info as estimator_info
from alliances.models.design import (
    Design,
    design_matrix,
    needed_columns,
    restrict_periods,
    spline_knots,
    time_control_columns,
)
from alliances.models.errors import ModelError
from alliances.models.fitted import SharedLogit
from alliances.models.fitting import design_for, fit_design
from alliances.models.newton import LogitLikelihood, damped_newton
from alliances.store import read_panel

ERAS: tuple[tuple[int, int], ...] = ((1816, 1870), (1871, 1913), (1914, 1945), (1946, 1989), (1990, 2100))
BENCHMARKS = ("base_rate", "duration_only")
#: The opt-in learned benchmark (:mod:`alliances.analysis.boosting`): fitted per window like the
#: benchmarks above, but ranked, recalibrated and pooled like a model.
BOOSTED_TREES = "boosted_trees"


@dataclass(frozen=True)
class Window:
    """Training and test years of one out-of-sample check."""

    scheme: str  # "rolling" or "era"
    label: str
    test: tuple[int, int]
    train_through: int | None = None  # rolling: train on years <= this (the origin)

    def train_mask(self, year: np.ndarray) -> np.ndarray:
        if self.scheme == "rolling":
            return year <= self.train_through
        return (year < self.test[0]) | (year > self.test[1])

    def test_mask(self, year: np.ndarray) -> np.ndarray:
        return (year >= self.test[0]) & (year <= self.test[1])


def era_label(first: int, last: int) -> str:
    """``1946-1989``; an open-ended last era is ``1990-``."""
    return f"{first}-{last}" if last < 2100 else f"{first}-"


def windows(first: int, last: int, *, first_origin: int = 1850, step: int = 10, horizon: int = 10,
            eras: Sequence[tuple[int, int]] = ERAS) -> list[Window]:
    """Rolling origins ``first_origin, +step, ...`` before ``last``, then one window per era."""
    if step < 1 or horizon < 1:
        raise UsageError(f"validation step and horizon must be positive; got step={step}, horizon={horizon}")
    out = [Window("rolling", f"origin {t}", (t + 1, min(t + horizon, last)), t)
           for t in range(max(first_origin, first + 1), last, step)]
    for a, b in eras:
        lo, hi = max(a, first), min(b, last)
        if lo <= hi and (lo > first or hi < last):
            out.append(Window("era", f"era {era_label(a, b)}", (lo, hi)))
    if not out:
        raise ModelError(f"no validation window fits the outcome years {first}-{last}")
    return out


# -- one task ------------------------------------------------------------------------------
_DESIGNS: dict[tuple, Design] = task_cache()


def full_design(panel_path: str, spec_dict: dict) -> Design:
    """The estimation frame of the whole sample (cached per process)."""
    stat = os.stat(panel_path)  # a rewritten panel file is read again
    key = (panel_path, stat.st_mtime_ns, stat.st_size, repr(sorted(spec_dict.items())))
    if key not in _DESIGNS:
        _DESIGNS.clear()
        spec = Spec.from_dict(spec_dict)
        # period dummies are added per training window (restrict_periods): built on the whole
        # sample they would drop the test decades without an onset, selecting test rows on y
        design = design_for(read_panel(panel_path, columns=needed_columns(spec)),
                            dataclasses.replace(spec, period_effects="none"), "logit")
        _DESIGNS[key] = dataclasses.replace(design, info=dataclasses.replace(design.info,
                                                                             period_effects=spec.period_effects))
    return _DESIGNS[key]


def _training_knots(design: Design, train: np.ndarray, n_knots: int) -> Design:
    """Spline time controls with knots at quantiles of the training rows' durations only."""
    info = design.info
    if info.time_controls != "spline":
        return design
    t = design.frame["_duration"].to_numpy(dtype=float)
    knots = spline_knots(t[train], n_knots)
    tc = time_control_columns(t, "spline", knots)
    old = [n for n in info.x_names if n == "t" or n.startswith("t_spline")]
    at = info.x_names.index(old[0])
    rest = [n for n in info.x_names if n not in old]
    x_names = tuple(rest[:at]) + tuple(tc) + tuple(rest[at:])
    frame = design.frame.drop(columns=old).assign(**tc)
    return dataclasses.replace(design, frame=frame, info=dataclasses.replace(info, x_names=x_names, knots=knots))


def _outcome_years(panel_path: str | os.PathLike, spec: Spec) -> tuple[int, int]:
    """First and last outcome year of the sample, read from two columns (the first year
    moved on by the covariate lag, which leaves no earlier year with lagged covariates)."""
    frame = read_panel(panel_path, columns=["year", spec.outcome])
    known = frame.loc[frame[spec.outcome].notna(), "year"].to_numpy()
    lo, hi = spec.years or (int(known.min()), int(known.max()))
    known = known[(known >= lo) & (known <= hi)]
    if known.size == 0:
        raise ModelError(f"{spec.outcome} is not observed in {lo}-{hi}")
    return int(known.min()) + spec.lag, int(known.max())


def _without_const(design: Design) -> Design:
    x_names = tuple(n for n in design.info.x_names if n != "const")
    return dataclasses.replace(design, info=dataclasses.replace(design.info, x_names=x_names, intercept=False))


def _benchmark(name: str, train: Design, test: pd.DataFrame) -> np.ndarray:
    y = train.frame["y"].to_numpy()
    if name == BOOSTED_TREES:
        return boosting.window_forecast(train, test)
    if name == "base_rate":
        return np.full(len(test), y.mean())

    def X(frame: pd.DataFrame) -> np.ndarray:
        tc = time_control_columns(frame["_duration"].to_numpy(dtype=float), "cubic")
        return np.column_stack([np.ones(len(frame)), *tc.values()])

    Xt = X(train.frame)
    with np.errstate(over="ignore"):
        lik = LogitLikelihood(y, Xt)
        b, *_, converged = damped_newton(lik.loglike, lik.score, lik.hessian, np.zeros(Xt.shape[1]))
    if not converged:
        raise ModelError("duration-only benchmark: the logit did not converge")
    return expit(X(test) @ b)


def predict_window(design: Design, spec: Spec, model: str, window: Window) -> pd.DataFrame:
    """Fit ``model`` on the window's training years of ``design`` and predict its test years."""
    out = predict_window_models(design, spec, [model], window)[model]
    if isinstance(out, Exception):
        raise out
    return out


def predict_window_models(design: Design, spec: Spec, models: Sequence[str],
                          window: Window) -> dict[str, pd.DataFrame | Exception]:
    """:func:`predict_window` for several models on one training design built once (the logit
    and King-Zeng fits share one logit fit); a model that cannot be fitted gets its error."""
    year = design.frame["year"].to_numpy()
    in_train = window.train_mask(year)
    design = _training_knots(design, in_train, spec.spline_knots)
    train_rows = design.subset(in_train)
    train = restrict_periods(train_rows)
    no_const = _without_const(train)
    test = design.frame.loc[window.test_mask(year)].reset_index(drop=True)
    out: dict[str, pd.DataFrame | Exception] = {}
    shared = SharedLogit()  # one logit fit of this training design, shared by the models after it
    for model in sorted(models, key=lambda m: m != "logit"):  # the logit first: the others start from it
        try:
            if int(train.frame["y"].sum()) == 0:
                raise ModelError(f"{window.label}: no onset among the {len(train.frame):,} training rows")
            if model in BENCHMARKS or model == BOOSTED_TREES:  # trained on every training row (not only the
                # periods with an event)
                p = _benchmark(model, train_rows, test)
            else:
                est = estimator_info(model)
                if not est.probabilities:
                    raise ModelError(f"{model} gives no absolute probabilities and cannot be validated out of "
                                     "sample")
                res = fit_design(train if est.intercept else no_const, spec, model, shared=shared)
                frame = test.assign(**{res.info.duration: test["_duration"]}) if "_duration" in test else test
                p = res.probabilities(design_matrix(test, res.info), frame)
        except (AlliancesError, np.linalg.LinAlgError) as exc:
            out[model] = exc
            continue
        out[model] = pd.DataFrame({"dyad_id": test["dyad_id"].to_numpy(), "year": test["year"].to_numpy(),
                                   "p": p, "outcome": test["y"].to_numpy().astype(np.int8)})
    return out


def validate_task(panel_path: str, spec_dict: dict, models: tuple[str, ...], window: Window) -> dict:
    """One window's models, run on a worker; returns each model's predictions or error."""
    with threadpool_limits(limits=1):
        try:
            design = full_design(panel_path, spec_dict)
        except (AlliancesError, np.linalg.LinAlgError) as exc:
            return {m: {"ok": False, "error": f"{type(exc).__name__}: {exc}"} for m in models}
        got = predict_window_models(design, Spec.from_dict(spec_dict), models, window)
    return {m: ({"ok": False, "error": f"{type(v).__name__}: {v}"} if isinstance(v, Exception) else
                {"ok": True, "frame": v}) for m, v in got.items()}


# -- the whole validation ------------------------------------------------------------------
@dataclass(frozen=True)
class Validation:
    """Out-of-sample predictions, scores and calibration of one specification."""

    spec: Spec
    predictions: pd.DataFrame
    scores: pd.DataFrame
    calibration: pd.DataFrame
    calibration_by_era: pd.DataFrame
    failures: pd.DataFrame
    windows: tuple[Window, ...]
    best_model: str | None = None  # :func:`best_of` the predictions, when already known
    recalibration: pd.DataFrame | None = None  # (a, b) of every recalibrated forecast (:mod:`combine`)
    weights: pd.DataFrame | None = None  # the ensemble's weights in every window
    ranking: pd.DataFrame | None = None  # :func:`ranking`, with :func:`skill` intervals per model

    @property
    def best(self) -> str | None:
        """The headline model by the rule of :func:`best_of` (benchmarks excluded)."""
        return self.best_model if self.best_model is not None else best_of(self.predictions)


def _rolling_common(pred: pd.DataFrame) -> pd.DataFrame:
    return common_windows(pred[(pred["scheme"] == "rolling").to_numpy()])


def ranking(pred: pd.DataFrame) -> pd.DataFrame:
    """Pooled rolling-origin log score and Brier score of every model (benchmarks excluded) on the
    windows every model could be fitted on, beside the base rate's on the same rows, with
    ``beats_base_rate`` true when a model is better on both scores; best log score first."""
    return _ranking(_rolling_common(pred))


def _ranking(r: pd.DataFrame) -> pd.DataFrame:
    base = r[(r["model"] == "base_rate").to_numpy()]
    if base.empty:
        return pd.DataFrame(columns=["model", "log_score", "brier", "base_log_score", "base_brier",
                                     "beats_base_rate"])
    b_ls, b_br = metrics.log_score(base["p"], base["outcome"]), metrics.brier(base["p"], base["outcome"])
    rows = [{"model": str(m), "log_score": metrics.log_score(g["p"], g["outcome"]),
             "brier": metrics.brier(g["p"], g["outcome"]), "base_log_score": b_ls, "base_brier": b_br}
            for m, g in r.groupby("model", sort=True, observed=True) if str(m) not in BENCHMARKS]
    out = pd.DataFrame(rows, columns=["model", "log_score", "brier", "base_log_score", "base_brier"])
    out["beats_base_rate"] = (out["log_score"] > b_ls) & (out["brier"] < b_br)
    return out.sort_values(["log_score", "model"], ascending=[False, True], kind="stable").reset_index(drop=True)


def ranked_with_skill(pred: pd.DataFrame) -> pd.DataFrame:
    """:func:`ranking` with each model's :func:`skill` and its year-bootstrap intervals (the
    common rolling windows selected once for all models)."""
    r = _rolling_common(pred)
    rank = _ranking(r)
    if rank.empty:
        return rank
    extra = pd.DataFrame([_skill(r, m) for m in rank["model"]]).drop(columns="model")
    return pd.concat([rank, extra], axis=1)


def best_of(pred: pd.DataFrame, rank: pd.DataFrame | None = None) -> str | None:
    """:attr:`Validation.best`: of the models that beat the base rate on both the log score and
    the Brier score (pooled rolling origins), the one with the best log score; when none does,
    the best log score of all (and the report says that none beats the base rate)."""
    rank = ranking(pred) if rank is None else rank
    if rank.empty:
        return None
    winners = rank[rank["beats_base_rate"]]
    return str((winners if len(winners) else rank)["model"].iloc[0])


def skill(pred: pd.DataFrame, model: str, reps: int = 1000, seed: int = 20261206) -> dict[str, float]:
    """Skill of ``model`` against the training base rate on the pooled rolling-origin forecasts
    (windows every model was fitted on), with 95% intervals from a bootstrap of forecast years
    (a year's dyads move together): ``log_score_gain`` (mean log score minus the base rate's, in
    nats per dyad-year; above 0 is better) and ``brier_skill`` (1 - Brier / Brier of the base
    rate), each with ``_lo`` and ``_hi``."""
    return _skill(_rolling_common(pred), model, reps, seed)


def _skill(r: pd.DataFrame, model: str, reps: int = 1000, seed: int = 20261206) -> dict[str, float]:
    keys = ["window", "dyad_id", "year"]
    m = r[(r["model"] == model).to_numpy()][[*keys, "p", "outcome"]]
    b = r[(r["model"] == "base_rate").to_numpy()][[*keys, "p"]]
    both = m.merge(b, on=keys, suffixes=("", "_base"), validate="one_to_one")
    if both.empty:
        raise ModelError(f"{model} has no rolling-origin forecast beside the base rate")
    y = both["outcome"].to_numpy(dtype=np.float64)
    p, q = both["p"].to_numpy(dtype=np.float64), both["p_base"].to_numpy(dtype=np.float64)
    values = {"ll": metrics.log_likelihoods(p, y) - metrics.log_likelihoods(q, y),
              "se": (p - y) ** 2, "se_base": (q - y) ** 2}
    sums, n = metrics.block_bootstrap_sums(values, both["year"].to_numpy(), reps, seed)
    gain, bss = sums["ll"] / n, 1.0 - sums["se"] / sums["se_base"]
    return {"model": model, "rows": len(y), "events": int(y.sum()),
            "log_score_gain": float(values["ll"].mean()), "log_score_gain_lo": float(np.quantile(gain, 0.025)),
            "log_score_gain_hi": float(np.quantile(gain, 0.975)),
            "brier_skill": float(1.0 - values["se"].sum() / values["se_base"].sum()),
            "brier_skill_lo": float(np.quantile(bss, 0.025)), "brier_skill_hi": float(np.quantile(bss, 0.975))}


def common_windows(pred: pd.DataFrame) -> pd.DataFrame:
    """The rows of the windows every model could be fitted on (per scheme), so pooled scores
    and calibration compare the models on the same dyad-years."""
    fitted = pred[["scheme", "model", "window"]].drop_duplicates()  # a few hundred rows, not millions
    keep = []
    for scheme, by_scheme in fitted.groupby("scheme", sort=True):
        sets = [frozenset(g["window"]) for _, g in by_scheme.groupby("model")]
        common = frozenset.intersection(*sets) if sets else frozenset()
        keep.append((pred["scheme"] == scheme) & pred["window"].isin(common))
    return pred[np.logical_or.reduce(keep)] if keep else pred.iloc[:0]


def _labels_as_categories(pred: pd.DataFrame) -> pd.DataFrame:
    """scheme, window and model as categories: grouping millions of rows by Arrow-backed
    strings cost seconds per groupby; the written predictions keep their string columns."""
    return pred.astype({c: "category" for c in ("scheme", "window", "model")})


def _era_of(year: np.ndarray) -> np.ndarray:
    labels = np.array([era_label(a, b) for a, b in ERAS], dtype=object)
    idx = np.searchsorted(np.array([a for a, _ in ERAS]), year, side="right") - 1
    return labels[np.clip(idx, 0, len(ERAS) - 1)]


def _calibration(pred: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    pred = _labels_as_categories(pred)
    rolling = common_windows(pred[pred["scheme"] == "rolling"])
    tables = []
    for model, g in rolling.groupby("model", sort=True, observed=True):
        t = metrics.calibration_table(g["p"].to_numpy(), g["outcome"].to_numpy(), quantiles=metrics.TAIL_QUANTILES)
        t.insert(0, "model", model)
        tables.append(t)
    by_era = (rolling.assign(era=_era_of(rolling["year"].to_numpy()))
              .groupby(["model", "era"], sort=True, observed=True)
              .agg(n=("p", "size"), events=("outcome", "sum"), mean_p=("p", "mean"), observed=("outcome", "mean"))
              .reset_index())
    by_era["ratio"] = by_era["mean_p"] / by_era["observed"].where(by_era["observed"] > 0)
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()), by_era


def run_validation(panel_path: str | os.PathLike, spec: Spec, estimators: Sequence[str] | None = None, *,
                   first_origin: int = 1850, step: int = 10, horizon: int = 10, eras: bool = True,
                   jobs: int = 2, scheduler: str | None = None, progress: Progress | None = None,
                   boosted_trees: bool = False, out_dir: str | os.PathLike | None = None, figures: bool = True,
                   keep_predictions: bool = True) -> Validation:
    """Rolling-origin and leave-one-era-out validation of ``spec`` on the panel file (with
    ``boosted_trees``, also the gradient-boosted-trees benchmark); written to ``out_dir`` by
    :func:`write_validation` when one is given (without ``keep_predictions``, the returned
    validation's predictions are empty: they are in the written file)."""
    with TaskRunner(jobs, scheduler) as runner:
        pending = submit_validation(runner, panel_path, spec, estimators, first_origin=first_origin, step=step,
                                    horizon=horizon, eras=eras, progress=progress, boosted_trees=boosted_trees,
                                    out_dir=out_dir, figures=figures, keep_predictions=keep_predictions)
        return collect_validation(pending, progress)


@dataclass(frozen=True)
class PendingValidation:
    """Validation tasks handed to a :class:`~alliances.analysis.runtime.TaskRunner`: one per
    window, and the scoring (:func:`finish_task`) after them."""

    spec: Spec
    windows: tuple[Window, ...]
    finished: tuple
    runner: TaskRunner


def submit_validation(runner: TaskRunner, panel_path: str | os.PathLike, spec: Spec,
                      estimators: Sequence[str] | None = None, *, first_origin: int = 1850, step: int = 10,
                      horizon: int = 10, eras: bool = True, progress: Progress | None = None,
                      boosted_trees: bool = False, out_dir: str | os.PathLike | None = None, figures: bool = True,
                      keep_predictions: bool = True) -> PendingValidation:
    """Check the models, lay out the windows and submit one task per window to ``runner``,
    then the scoring (and writing, with ``out_dir``) of their predictions (wait with
    :func:`collect_validation`; a replication submits them behind its fits)."""
    say = progress or (lambda _m: None)
    models = list(estimators or VALIDATED_ESTIMATORS)
    for m in models:
        if not estimator_info(m).probabilities:
            raise ModelError(f"{m} gives no absolute probabilities and cannot be validated out of sample; "
                             f"choose from {', '.join(VALIDATED_ESTIMATORS)}")
    spec = dataclasses.replace(spec, cluster="none")  # point predictions do not depend on the variance
    if runner.client is None:  # in-process: the tasks reuse this cached design
        first, last = full_design(str(panel_path), spec.to_dict()).years
    else:  # workers build their own; the main process only needs the outcome years
        first, last = _outcome_years(panel_path, spec)
    wins = tuple(windows(first, last, first_origin=first_origin, step=step, horizon=horizon,
                         eras=ERAS if eras else ()))
    # one task per window: its training design is built once for all models
    everything = (*models, *((BOOSTED_TREES,) if boosted_trees else ()), *BENCHMARKS)
    say(f"validating {spec.name or spec.outcome}: {len(wins)} windows x {len(everything)} models "
        f"(outcome years {first}-{last})")
    tasks = [(str(panel_path), spec.to_dict(), everything, w) for w in wins]
    target = None if out_dir is None else str(out_dir)
    finished = runner.submit_after(finish_task, (spec.to_dict(), everything, wins, target, figures, keep_predictions),
                                   runner.submit(validate_task, tasks))
    return PendingValidation(spec, wins, finished, runner)


def collect_validation(pending: PendingValidation, progress: Progress | None = None) -> Validation:
    """Wait for the windows and the scoring of :func:`submit_validation` (reporting each window
    as it finishes); an error of the scoring is raised here."""
    return pending.runner.gather_after(pending.finished, progress or (lambda _m: None), lambda t: t[3].label)


def finish_task(spec_dict: dict, everything: tuple[str, ...], wins: tuple[Window, ...], out_dir: str | None,
                figures: bool, keep_predictions: bool, results: list[dict]) -> Validation:
    """Score the windows' predictions (:func:`score_windows`), on a worker, and write them to
    ``out_dir`` (:func:`write_validation`) when one is given; without ``keep_predictions`` the
    returned predictions are empty (a replication's report needs the scores only)."""
    # one BLAS thread here as in the windows: the scores do not depend on where they are computed
    with threadpool_limits(limits=1):
        v = score_windows(Spec.from_dict(spec_dict), everything, wins, results)
        if out_dir is not None:
            write_validation(v, out_dir, figures=figures)
    return v if keep_predictions else dataclasses.replace(v, predictions=v.predictions.iloc[:0])


def score_windows(spec: Spec, everything: tuple[str, ...], wins: tuple[Window, ...],
                  results: list[dict]) -> Validation:
    """The validation of the windows' results (one dict of model -> predictions or error per
    window, in the order of ``wins``): recalibrated and combined forecasts (:mod:`combine`),
    scores, calibration, the ranking and the headline model."""
    wins = list(wins)
    entries, failures = {}, []
    for w, by_model in zip(wins, results):
        for model in everything:
            res = by_model[model]
            if res["ok"]:
                entries[(w.scheme, w.label, model)] = (w, _by_dyad_year(res["frame"]))
            else:
                failures.append({"scheme": w.scheme, "window": w.label, "model": model, "error": res["error"]})
    if not entries:
        raise ModelError("no validation window could be fitted: " + "; ".join(f["error"] for f in failures[:3]))
    fitted = [m for m in everything if m not in BENCHMARKS]
    derived, recal, weights = combine.derived_predictions(_assemble(entries), fitted, everything, wins)
    for (scheme, window, model), g in derived.groupby(["scheme", "window", "model"], sort=True, observed=True):
        w = next(x for x in wins if x.scheme == scheme and x.label == window)
        entries[(scheme, window, model)] = (w, g[["dyad_id", "year", "p", "outcome"]].reset_index(drop=True))
    del derived
    keys = sorted(entries)
    pred = _assemble(entries)
    scores = _scores_of(entries, keys)
    calib, by_era = _calibration(pred)
    rank = ranked_with_skill(pred)  # on the categorical labels: grouping millions of text labels is slow
    best = best_of(pred, rank)
    for col in ("scheme", "window", "model"):  # text, decoded by Arrow (faster than pandas' astype(str))
        pred[col] = _as_text(pred[col])
    return Validation(spec, pred, scores, calib, by_era,
                      pd.DataFrame(failures, columns=["scheme", "window", "model", "error"]), tuple(wins), best,
                      recal, weights, rank)


def _assemble(entries: dict) -> pd.DataFrame:
    """All windows' predictions in one frame, rows in (scheme, window, model, dyad_id, year)
    order: each window's frames come sorted by dyad-year, so concatenating them in label order
    sorts the whole without a sort; labels as categories."""
    keys = sorted(entries)
    frames = [entries[k][1] for k in keys]
    sizes = np.array([len(f) for f in frames])
    pred = pd.concat(frames, ignore_index=True)
    labels = {}
    for i, name in enumerate(("scheme", "window", "model")):
        cats = sorted({k[i] for k in keys})
        codes = np.repeat(np.searchsorted(cats, [k[i] for k in keys]), sizes)
        labels[name] = pd.Categorical.from_codes(codes, categories=cats)
    origin = np.repeat([entries[k][0].train_through or 0 for k in keys], sizes).astype(np.int16)
    return pd.DataFrame({
        "ccode1": (pred["dyad_id"] // 1000).astype(np.int16), "ccode2": (pred["dyad_id"] % 1000).astype(np.int16),
        "dyad_id": pred["dyad_id"], "year": pred["year"], "scheme": labels["scheme"], "window": labels["window"],
        "origin": pd.arrays.IntegerArray(origin, origin == 0),  # missing for the eras (no origin)
        "model": labels["model"], "p": pred["p"], "outcome": pred["outcome"]})


def _as_text(labels: pd.Series) -> pd.Series:
    """A categorical column as pandas' default string dtype."""
    cat = labels.array
    arr = pa.DictionaryArray.from_arrays(pa.array(cat.codes), pa.array(list(cat.categories), pa.large_string()))
    return pd.Series(pd.array(arr.cast(pa.large_string()), dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
                     index=labels.index, name=labels.name)


def _by_dyad_year(frame: pd.DataFrame) -> pd.DataFrame:
    """A window's predictions in (dyad_id, year) order (the design's own order, checked)."""
    key = year_key(frame["dyad_id"], frame["year"])
    if len(key) > 1 and not bool(np.all(key[1:] > key[:-1])):
        frame = frame.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    return frame


def _scores_of(entries: dict, keys: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Scores per (scheme, window, model), then pooled per model over the windows every model
    could be fitted on; the Brier skill against the base-rate benchmark of the same rows."""
    rows = []
    for scheme in sorted({k[0] for k in keys}):
        mine = [k for k in keys if k[0] == scheme]
        by_model: dict[str, set] = {}
        for _, window, model in mine:
            by_model.setdefault(model, set()).add(window)
        common = set.intersection(*by_model.values())
        pooled = {m: [k for k in mine if k[2] == m and k[1] in common] for m in sorted(by_model)}
        groups = [((k[1], k[2]), [k]) for k in mine] + [(("pooled", m), ks) for m, ks in pooled.items() if ks]
        for (window, model), ks in groups:
            p, y, base = _stack([entries[k][1] for k in ks],
                                [entries.get((scheme, k[1], "base_rate"), (None, None))[1] for k in ks])
            row = {"scheme": scheme, "window": window, "model": model, **metrics.summary(p, y)}
            row["brier_skill"] = metrics.brier_skill(p, y, base) if base is not None else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _stack(frames: list[pd.DataFrame], bases: list[pd.DataFrame | None]):
    """p and outcome of ``frames`` end to end, and the base-rate p of the same rows (None when
    a window has no base-rate prediction for each of them)."""
    p = np.concatenate([f["p"].to_numpy() for f in frames])
    y = np.concatenate([f["outcome"].to_numpy() for f in frames])
    aligned = []
    for f, b in zip(frames, bases):
        if b is None:
            return p, y, None
        if len(b) == len(f) and np.array_equal(b["dyad_id"].to_numpy(), f["dyad_id"].to_numpy()) and \
                np.array_equal(b["year"].to_numpy(), f["year"].to_numpy()):
            aligned.append(b["p"].to_numpy())
        else:  # not the same rows: join on the dyad-year
            m = f[["dyad_id", "year"]].merge(b[["dyad_id", "year", "p"]], on=["dyad_id", "year"], how="left")
            if m["p"].isna().any():
                return p, y, None
            aligned.append(m["p"].to_numpy())
    return p, y, np.concatenate(aligned)


def _boosted_meta(v: Validation) -> dict:
    """The trees' hyper-parameters in the predictions' metadata, when they were validated."""
    if not (v.scores["model"] == BOOSTED_TREES).any():  # the small table, not the millions of predictions
        return {}
    return {BOOSTED_TREES: {"params": dict(boosting.PARAMS), "note": boosting.NOTE.split(": ")[0]}}


def write_validation(v: Validation, out_dir: str | os.PathLike, figures: bool = True) -> dict[str, Path]:
    """``predictions.parquet`` (with the spec and windows in its metadata), ``scores``,
    ``calibration``, ``calibration_by_era``, ``failures``, ``recalibration`` and
    ``ensemble_weights`` as CSV and Markdown, and the reliability figures (the fitted models;
    the recalibrated and combined ones) and the separation plots (fitted models, benchmarks and
    the headline model)."""
    out = Path(out_dir)
    meta = {"spec": v.spec.to_dict(), "windows": [dataclasses.asdict(w) for w in v.windows],
            "benchmarks": list(BENCHMARKS), "best_model": v.best, **_boosted_meta(v),
            "note": "out-of-sample predictions; recompute any metric from p and outcome"}
    paths = {"predictions": write_frame(v.predictions, out / "predictions.parquet", meta)}
    tables = {"scores": v.scores, "calibration": v.calibration, "calibration_by_era": v.calibration_by_era,
              "failures": v.failures}
    if v.recalibration is not None:
        tables["recalibration"] = v.recalibration
    if v.weights is not None:
        tables["ensemble_weights"] = v.weights
    if v.ranking is not None:
        tables["ranking"] = v.ranking
    write_tables(tables, out)
    if figures:
        # here, not at the top: matplotlib is loaded only when figures are drawn
        from alliances.analysis.figures import reliability_figure, separation_figure

        rolling = v.predictions[v.predictions["scheme"] == "rolling"]
        words = {"base_rate": "base rate (benchmark)", "duration_only": "duration only (benchmark)",
                 BOOSTED_TREES: "boosted trees (benchmark)",
                 "relogit": "King-Zeng logit", "cloglog": "cloglog hazard", "cox": "Cox (years at risk)"}
        by_model = {m: g.drop(columns="model") for m, g in v.calibration.groupby("model", sort=True)}
        title = f"Out-of-sample calibration: {v.spec.name or v.spec.outcome}, rolling origins"
        reliability_figure({words.get(m, m): t for m, t in by_model.items() if not combine.is_derived(m)},
                           out / "reliability", title)
        reliability_figure({words.get(m, m): t for m, t in by_model.items()
                            if combine.is_derived(m) or m == "base_rate"},
                           out / "reliability_recalibrated", f"{title}, recalibrated and combined")
        for model, g in rolling.groupby("model", sort=True):
            if combine.is_derived(model) and model != v.best:
                continue
            separation_figure(g["p"].to_numpy(), g["outcome"].to_numpy(), out / f"separation_{model}",
                              f"Separation plot: {words.get(model, model)}, rolling-origin forecasts "
                              f"of {v.spec.outcome.replace('_', ' ')}")
    return paths
