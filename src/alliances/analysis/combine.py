"""Recalibrated and combined forecasts, each fitted only on forecasts made and scored before it.

Two kinds of model are built here from the out-of-sample predictions of
:mod:`alliances.analysis.validate`, so they are validated on the same windows as the models
they come from:

- **Recalibrated** (``<model>_recal``, ``ensemble_recal``): logistic recalibration (Cox 1958; Platt 1999) of a
  model's forecast, p' = expit(a + b logit p), with (a, b) fitted by maximum likelihood on that
  model's own earlier out-of-sample forecasts. In a rolling window with origin T the fit uses
  only forecasts from windows with an earlier origin of years up to T, so no window sees its
  own outcomes; in the leave-one-era-out scheme it uses the forecasts of the other eras (that
  scheme trains on later years anyway).
- **Ensemble** (``ensemble``): a linear pool sum_m w_m p_m of the models and the two benchmarks,
  with weights on the simplex that maximise the log score of the same earlier forecasts, as
  in the linear pools of ensemble Bayesian model averaging (Raftery et al. 2005; Montgomery,
  Hollenbach and Ward 2012) and stacking.

Named rules: with fewer than :data:`MIN_EVENTS` events among the earlier forecasts (the first
windows), a recalibrated model forecasts its model's p unchanged (a = 0, b = 1) and the
ensemble weighs its components equally; the rule is written in the ``rule`` column of the
coefficient and weight tables, which hold every (a, b) and every weight with the rows and
events it was fitted on, so a reviewer can refit each one from ``predictions.parquet``.

The ``final`` row of each table is fitted on every rolling-origin forecast: it is the version
:func:`alliances.analysis.predict.recalibrated` applies to forecasts of years past the sample.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy.optimize import minimize
from scipy.special import expit

from alliances.analysis import metrics
from alliances.errors import SpecError
from alliances.models.errors import ModelError

#: Fewest events among the earlier forecasts for a recalibration or ensemble fit.
MIN_EVENTS = 10
RECAL_SUFFIX = "_recal"
ENSEMBLE = "ensemble"
FINAL = "final"
EPS = 1e-15

RECALIBRATION_COLUMNS = ["scheme", "window", "model", "intercept", "slope", "rows", "events", "rule"]
WEIGHT_COLUMNS = ["scheme", "window", "component", "weight", "rows", "events", "rule"]


def recalibrated_name(model: str) -> str:
    """``logit`` -> ``logit_recal``."""
    return f"{model}{RECAL_SUFFIX}"


def is_derived(model: str) -> bool:
    """True for a model made here (a recalibration or the ensemble), not fitted to the panel."""
    return model == ENSEMBLE or model.endswith(RECAL_SUFFIX)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1.0 - EPS)
    return np.log(q) - np.log1p(-q)


def recalibration(p: np.ndarray, y: np.ndarray) -> tuple[float, float, str]:
    """(a, b, rule) of the logistic recalibration fitted on forecasts ``p`` with outcomes ``y``."""
    events = float(y.sum())
    if min(events, len(y) - events) < MIN_EVENTS:
        return 0.0, 1.0, f"identity: fewer than {MIN_EVENTS} earlier events"
    beta = metrics.fit_logistic(_logit(p), None, y.astype(np.float64), start=(0.0, 1.0))
    if beta is None or beta[1] <= 0:
        return 0.0, 1.0, "identity: the recalibration fit has no positive slope"
    return float(beta[0]), float(beta[1]), "logistic recalibration"


def apply_recalibration(p: np.ndarray, intercept: float, slope: float) -> np.ndarray:
    """expit(intercept + slope * logit p): monotone in p, so quantiles of p map to quantiles."""
    return expit(intercept + slope * _logit(np.asarray(p, dtype=np.float64)))


def pool_weights(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights on the simplex maximising the mean log score of the linear pool ``P @ w``.

    ``P`` holds one column of forecasts per component. The objective is concave in w, so the
    maximum is global; scipy's SLSQP finds it under w >= 0, sum w = 1 from equal weights (the
    EM steps of Raftery et al. 2005 reach the same maximum in hundreds of slow iterations)."""
    lik = np.where(y[:, None] == 1, P, 1.0 - P).clip(EPS)
    k = P.shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        mix = lik @ w
        return -float(np.mean(np.log(mix))), -(lik / mix[:, None]).mean(axis=0)

    res = minimize(loss, np.full(k, 1.0 / k), jac=True, method="SLSQP", bounds=[(0.0, 1.0)] * k,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(k)}],
                   options={"ftol": 1e-12, "maxiter": 200})
    if not res.success:
        raise ModelError(f"ensemble weights: SLSQP did not converge ({res.message})")
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


class _Rows:
    """The label columns of some forecasts as numpy arrays, for the masks of each fit
    (comparing text labels of millions of rows once per window took most of a minute)."""

    def __init__(self, frame: pd.DataFrame):
        self.rolling = (frame["scheme"] == "rolling").to_numpy()
        window = frame["window"].astype("category")
        self.window_code = window.cat.codes.to_numpy()
        self.window_codes = {str(c): i for i, c in enumerate(window.cat.categories)}
        self.origin = frame["origin"].to_numpy(dtype=np.float64, na_value=np.nan)
        self.year = frame["year"].to_numpy()

    def window(self, label: str) -> np.ndarray:
        return self.window_code == self.window_codes.get(label, -2)

    def past(self, scheme: str, label: str, windows: dict) -> np.ndarray:
        """Rows a fit for window ``label`` may use: earlier origins and years up to the origin
        (rolling), the other eras (era), every rolling row (the final fit)."""
        if label == FINAL:
            return self.rolling
        if scheme == "rolling":
            t = windows[(scheme, label)].train_through
            return self.rolling & (self.origin < t) & (self.year <= t)
        return ~self.rolling & ~self.window(label)


def derived_predictions(pred: pd.DataFrame, models: Sequence[str], components: Sequence[str],
                        windows: Sequence) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The recalibrated models' and the ensemble's forecasts for every window, and the tables of
    their fitted coefficients and weights (final fits included).

    ``pred`` has the columns of ``predictions.parquet`` (scheme, window, origin, model, dyad_id,
    year, p, outcome); ``models`` and the ensemble are recalibrated, ``components``
    pooled. Windows are those of the validation (:class:`~alliances.analysis.validate.Window`)."""
    by_window = {(w.scheme, w.label): w for w in windows}
    fits = [(w.scheme, w.label) for w in windows] + [("rolling", FINAL)]
    out, coef_rows, weight_rows = [], [], []
    wide = _wide(pred, components)
    rows = _Rows(wide)
    known = {c: wide[c].notna().to_numpy() for c in components}
    y_all = wide["outcome"].to_numpy()
    for scheme, window in fits:
        here = rows.window(window) if window != FINAL else np.zeros(len(wide), dtype=bool)
        if window != FINAL and not here.any():
            continue
        have = [c for c in components if window == FINAL or known[c][here].all()]
        past = rows.past(scheme, window, by_window) & np.logical_and.reduce([known[c] for c in have])
        P, y = wide.loc[past, have].to_numpy(dtype=np.float64), y_all[past]
        if min(y.sum(), len(y) - y.sum()) < MIN_EVENTS:
            w, rule = np.full(len(have), 1.0 / len(have)), f"equal weights: fewer than {MIN_EVENTS} earlier events"
        else:
            w, rule = pool_weights(P, y), "log-score weights"
        weight_rows += [{"scheme": scheme, "window": window, "component": c, "weight": float(wc), "rows": len(y),
                         "events": int(y.sum()), "rule": rule} for c, wc in zip(have, w)]
        if here.any():
            part = wide.loc[here]
            out.append(part[["scheme", "window", "origin", "dyad_id", "year", "outcome"]].assign(
                model=ENSEMBLE, p=part[have].to_numpy(dtype=np.float64) @ w))
    sources = [(m, lambda m=m: pred[(pred["model"] == m).to_numpy()]) for m in models]
    if out:  # the ensemble's own (nested) forecasts are recalibrated like a model's
        ensemble = pd.concat(out, ignore_index=True)
        sources.append((ENSEMBLE, lambda: ensemble))
    for model, forecasts in sources:
        mine = forecasts()
        rows = _Rows(mine)
        y_all, p_all = mine["outcome"].to_numpy(), mine["p"].to_numpy(dtype=np.float64)
        for scheme, window in fits:
            here = rows.window(window) if window != FINAL else np.zeros(len(mine), dtype=bool)
            if window != FINAL and not here.any():
                continue  # the model could not be fitted on this window
            past = rows.past(scheme, window, by_window)
            a, b, rule = recalibration(p_all[past], y_all[past])
            coef_rows.append({"scheme": scheme, "window": window, "model": model, "intercept": a, "slope": b,
                              "rows": int(past.sum()), "events": int(y_all[past].sum()), "rule": rule})
            if here.any():
                out.append(mine[here].assign(model=recalibrated_name(model), p=apply_recalibration(p_all[here], a, b)))
    frame = pd.concat(out, ignore_index=True) if out else pred.iloc[:0]
    return (frame, pd.DataFrame(coef_rows, columns=RECALIBRATION_COLUMNS),
            pd.DataFrame(weight_rows, columns=WEIGHT_COLUMNS))


def read_recalibration(folder: str | os.PathLike) -> tuple[pd.DataFrame, dict]:
    """The ``recalibration.csv`` of a validation folder and the specification it was validated
    with (from ``predictions.parquet``'s metadata), checked; a :class:`~alliances.errors.SpecError` names the file
    and what is wrong with it."""
    folder = Path(folder)
    path, meta_path = folder / "recalibration.csv", folder / "predictions.parquet"
    for f in (path, meta_path):
        if not f.is_file():
            raise SpecError(f"{f}: not found; pass the output folder of `alliances validate` (or "
                             "analyses/output/validation of `alliances replicate`)")
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise SpecError(f"{path}: cannot read it as CSV ({exc})") from exc
    missing = [c for c in RECALIBRATION_COLUMNS if c not in table.columns]
    if missing:
        raise SpecError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(RECALIBRATION_COLUMNS)}")
    for col in ("intercept", "slope"):
        values = pd.to_numeric(table[col], errors="coerce")
        bad = ~np.isfinite(values) | ((col == "slope") & (table["rule"] == "logistic recalibration") & ~(values > 0))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SpecError(f"{path}: line {i + 2}: {col} {str(table[col].iloc[i])!r} is not "
                             f"{'a positive number' if col == 'slope' else 'a number'}")
        table[col] = values
    raw = (pq.read_schema(meta_path).metadata or {}).get(b"alliances.predictions")
    if raw is None:
        raise SpecError(f"{meta_path}: no alliances metadata; it was not written by `alliances validate`")
    return table, json.loads(raw)["spec"]


def _wide(pred: pd.DataFrame, components: Sequence[str]) -> pd.DataFrame:
    """One row per (scheme, window, dyad, year) with each component's p as a column (missing
    where the component could not be fitted on the window).

    Every model of a window forecasts the same test rows in the same (dyad, year) order, so the
    columns are laid side by side (checked) rather than joined."""
    keys = ["scheme", "window", "origin", "dyad_id", "year", "outcome"]
    sub = pred[pred["model"].isin(list(components)).to_numpy()]
    parts = []
    for _, g in sub.groupby(["scheme", "window"], sort=True, observed=True):
        by_model = {str(m): f for m, f in g.groupby("model", sort=False, observed=True)}
        first_name, first = next(iter(by_model.items()))
        part = first[keys].reset_index(drop=True)
        for c in components:
            f = by_model.get(c)
            if f is None:
                part[c] = np.nan
                continue
            if len(f) != len(first) or not (np.array_equal(f["dyad_id"].to_numpy(), first["dyad_id"].to_numpy())
                                            and np.array_equal(f["year"].to_numpy(), first["year"].to_numpy())):
                raise ModelError(f"{c} forecasts other rows than {first_name} in the window {first['window'].iloc[0]}")
            part[c] = f["p"].to_numpy(dtype=np.float64)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*keys, *components])


__all__ = ["ENSEMBLE", "FINAL", "MIN_EVENTS", "RECAL_SUFFIX", "apply_recalibration", "derived_predictions",
           "is_derived", "pool_weights", "read_recalibration", "recalibrated_name", "recalibration"]
