"""Gradient-boosted trees as a forecasting benchmark (``boosted_trees``).

A flexible learner fitted on the same information as a specification's models: each lagged
explanatory term of the specification and the years since the dyad's last tie (the duration
the time controls are built from), without period dummies. Trees find interactions and
non-linearities the logit leaves out, so beating them out of sample says the specification's
functional form is not leaving much forecasting power on the table; losing to them says it is.
It is a benchmark: it has no coefficients, standard errors or scenarios.

- **Validation** (:func:`window_forecast`): fitted per window on that window's training rows
  only and scored like the other benchmarks; the recalibration and the ensemble of
  :mod:`alliances.analysis.combine` treat it like any model.
- **Prediction** (:func:`dyad_forecast`): fitted on the specification's whole estimation sample;
  the interval is the 2.5th-97.5th percentile of :data:`BOOTSTRAP_REPS` refits on dyad-cluster
  bootstrap samples (whole dyad histories drawn with replacement, one seeded generator).

scikit-learn's ``HistGradientBoostingClassifier`` (Ke et al. 2017's histogram algorithm)
handles missing values natively; the estimation frame is the specification's complete-case
one, so the trees forecast exactly the rows the other models forecast (which the ensemble
needs), and a prediction row with a missing covariate is left missing like the models' rows.

Deterministic: no early stopping (which would hold out a random split), no feature
subsampling, a fixed ``random_state`` (used only to subsample rows for the bin edges of a
sample over 200,000 rows), and every fit on one OpenMP thread (a parallel sum of gradients
could differ in its last bits with the thread count), so results are identical run to run,
for any ``--jobs`` and on any machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from alliances.analysis.predict import add_group_columns, coverage_ends, explanatory, group_stats
from alliances.errors import UsageError
from alliances.models.design import Design, lag_within_dyad, term_values
from alliances.models.errors import ModelError
from alliances.models.fitting import design_for
from alliances.models.spec import parse_term

NAME = "boosted_trees"

#: Hyper-parameters, fixed and NOT tuned on the held-out windows
#: or eras (tuning there would make the benchmark's out-of-sample scores in-sample). Why each:
#: a small learning rate with a moderate number of trees is the robust default of boosting with
#: shrinkage (Friedman 2001); 15 leaves allow interactions of three to four terms; onsets are
#: about 0.3% of dyad-years, so a leaf needs some hundreds of rows (200: about half an expected
#: onset at the base rate) for a stable log-odds, and the L2 penalty shrinks the leaf values of
#: the few leaves with many events; no early stopping (it would hold out a random split).
PARAMS: Mapping[str, object] = {
    "learning_rate": 0.05,
    "max_iter": 250,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 200,
    "l2_regularization": 1.0,
    "max_bins": 255,
    "early_stopping": False,
    "random_state": 20261206,
}

#: Dyad-cluster bootstrap replicates of the prediction interval (each a full refit of the
#: specification's sample); ``alliances predict --boosted-trees-reps``.
BOOTSTRAP_REPS = 20
#: Seed of the bootstrap's draws of dyads.
BOOTSTRAP_SEED = 20261206

NOTE = ("boosted_trees is a benchmark without coefficients: gradient-boosted trees on the specification's "
        "lagged terms and the years since the last tie; interval from a dyad-cluster bootstrap of the fit")


def features(design: Design) -> list[str]:
    """The design columns the trees use: each explanatory term and the duration (not the
    polynomial or spline time controls built from it, nor period dummies or the constant)."""
    cols = list(design.info.covariates)
    return cols + (["_duration"] if "_duration" in design.frame.columns else [])


def _estimator():
    try:  # here, not at the top: scikit-learn loads only when the opt-in benchmark is fitted
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError as exc:  # a dependency of the package; a broken install says so here
        raise ModelError(f"{NAME} needs scikit-learn (pip install 'scikit-learn>=1.4'): {exc}") from exc
    return HistGradientBoostingClassifier(**PARAMS)


def fit(X: np.ndarray, y: np.ndarray):
    """The classifier of :data:`PARAMS` fitted on one OpenMP thread; a :class:`ModelError` when
    ``y`` has no event or no non-event."""
    y = np.asarray(y).astype(np.int8)
    events = int(y.sum())
    if events == 0 or events == len(y):
        raise ModelError(f"{NAME}: the {len(y):,} training rows have {events:,} events; the trees need both outcomes")
    model = _estimator()
    with threadpool_limits(limits=1):
        try:
            model.fit(np.asarray(X, dtype=np.float64), y)
        except ValueError as exc:
            raise ModelError(f"{NAME}: scikit-learn could not fit the trees ({exc})") from exc
    return model


def predict(model, X: np.ndarray) -> np.ndarray:
    """P(y = 1) of each row of ``X`` (one OpenMP thread)."""
    with threadpool_limits(limits=1):
        return model.predict_proba(np.asarray(X, dtype=np.float64))[:, 1]


def window_forecast(train: Design, test: pd.DataFrame) -> np.ndarray:
    """Fit on the training rows of a validation window (``train``, every training row) and
    forecast ``test`` (rows of the same design frame)."""
    cols = features(train)
    model = fit(train.frame[cols].to_numpy(dtype=np.float64), train.frame["y"].to_numpy())
    return predict(model, test[cols].to_numpy(dtype=np.float64))


# -- predictions for one dyad -------------------------------------------------------------
def check_reps(reps: int) -> int:
    """``reps`` bootstrap replicates: 0 (no interval) or at least 2."""
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 0 or reps == 1:
        raise UsageError(f"--boosted-trees-reps must be 0 (no interval) or a whole number of at least 2 bootstrap "
                         f"replicates; got {reps!r}")
    return int(reps)


def bootstrap_rows(dyad: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row indices of one dyad-cluster bootstrap sample: as many dyads as there are, drawn with
    replacement, each drawn dyad's whole history (in the drawn order)."""
    _, codes = np.unique(dyad, return_inverse=True)
    order = np.argsort(codes, kind="stable")  # rows grouped by dyad
    counts = np.bincount(codes)
    first = np.r_[0, np.cumsum(counts)[:-1]]  # where each dyad starts in ``order``
    drawn = rng.integers(0, len(counts), size=len(counts))
    sizes = counts[drawn]
    within = np.arange(int(sizes.sum())) - np.repeat(np.r_[0, np.cumsum(sizes)[:-1]], sizes)
    idx = np.repeat(first[drawn], sizes) + within
    return order[idx]


def dyad_forecast(panel: pd.DataFrame, spec, dyad: tuple[int, int], years: tuple[int, int] | None = None,
                  reps: int = BOOTSTRAP_REPS, seed: int = BOOTSTRAP_SEED, label: str = NAME,
                  compare_groups: bool = True, progress=None) -> pd.DataFrame:
    """Rows of :func:`alliances.analysis.predict.dyad_predictions`'s form for the trees fitted on
    ``spec``'s whole estimation sample: p for each year of the dyad (at risk and with complete
    covariates after the carry-forward rule of the models' predictions), p_lo and p_hi from
    ``reps`` dyad-cluster bootstrap refits (missing when ``reps`` is 0), the percentiles among all
    and great-power dyads at risk in the year, and a ``note`` that the row is a benchmark."""
    say = progress or (lambda _m: None)
    reps = check_reps(reps)
    a, b = dyad
    design = design_for(panel, spec, "logit")
    cols = features(design)
    X_fit, y_fit = design.frame[cols].to_numpy(dtype=np.float64), design.frame["y"].to_numpy()
    say(f"fitting {label} on {len(y_fit):,} rows ({int(y_fit.sum()):,} events)")
    model = fit(X_fit, y_fit)
    # the explanatory values of each panel row, lagged and carried forward as for the models
    shim = SimpleNamespace(info=design.info)
    history = panel.index[(panel["ccode1"] == a) & (panel["ccode2"] == b)]
    base = panel if compare_groups else panel.loc[history]
    raw = sorted({_raw(t) for t in design.info.covariates})
    X_all = explanatory(base, shim, ends=coverage_ends(panel, raw))
    values = np.column_stack([term_values(X_all, t) for t in design.info.covariates]
                             + ([X_all[design.info.duration].to_numpy(dtype=float)] if "_duration" in cols else []))
    complete_all = ~np.isnan(values).any(axis=1)
    risk_all = _at_risk(base, design.status)
    pos = base.index.get_indexer(history)
    if years is not None:
        pos = pos[base["year"].to_numpy()[pos] >= years[0]]
        pos = pos[base["year"].to_numpy()[pos] <= years[1]]
    ok = complete_all[pos] & risk_all[pos]
    p = np.full(len(pos), np.nan)
    if ok.any():
        p[ok] = predict(model, values[pos[ok]])
    lo, hi = np.full(len(pos), np.nan), np.full(len(pos), np.nan)
    if reps and ok.any():
        rng = np.random.default_rng(seed)
        dyad_ids = design.frame["dyad_id"].to_numpy()
        draws = np.empty((reps, int(ok.sum())))
        for r in range(reps):
            say(f"{label}: bootstrap replicate {r + 1} of {reps}")
            rows = bootstrap_rows(dyad_ids, rng)
            try:
                refit = fit(X_fit[rows], y_fit[rows])
            except ModelError as exc:
                raise ModelError(f"{label}: bootstrap replicate {r + 1}: {exc}") from exc
            draws[r] = predict(refit, values[pos[ok]])
        lo[ok], hi[ok] = np.percentile(draws, 2.5, axis=0), np.percentile(draws, 97.5, axis=0)
    sub = base.iloc[pos]
    outcome = spec.outcome
    frame = pd.DataFrame({
        "ccode1": a, "ccode2": b, "year": sub["year"].to_numpy(), "model": label, "estimator": NAME,
        "outcome": outcome, "scenario": "observed", "at_risk": risk_all[pos],
        "observed_tie": sub["tie"].astype(str).to_numpy(), "observed_onset": sub[outcome].to_numpy(dtype=float),
        "extended_sources": sub["extended_sources"].astype(str).to_numpy(),
        "x_carried": X_all["x_carried"].to_numpy()[pos], "p": p, "p_lo": lo, "p_hi": hi,
    })
    if compare_groups:
        pool_p = np.full(len(base), np.nan)
        keep = complete_all & risk_all
        pool_p[keep] = predict(model, values[keep])
        pool = group_stats(base, keep, pool_p, outcome)
        add_group_columns(frame, pool, np.where(ok, pool_p[pos], np.nan))
    for c in raw:
        frame[f"x_{c}"] = X_all[c].to_numpy()[pos]
    frame["note"] = NOTE
    frame.attrs["meta"] = {"model": NAME, "label": label, "spec": spec.name, "features": cols,
                           "params": dict(PARAMS), "bootstrap": {"reps": reps, "seed": seed, "cluster": "dyad"},
                           "rows": int(len(y_fit)), "events": int(y_fit.sum()), "note": NOTE}
    return frame


def _raw(term: str) -> str:
    return parse_term(term)[1]


def _at_risk(panel: pd.DataFrame, status: str | None) -> np.ndarray:
    """True where the status defining the risk set was not in force the year before."""
    if status is None:
        return np.ones(len(panel), dtype=bool)
    st = panel[status].to_numpy(dtype=float)
    return lag_within_dyad(np.nan_to_num(st, nan=0.0), panel["dyad_id"].to_numpy(), panel["year"].to_numpy(),
                           1, fill=0.0) == 0


__all__ = ["BOOTSTRAP_REPS", "BOOTSTRAP_SEED", "NAME", "NOTE", "PARAMS", "bootstrap_rows", "check_reps",
           "dyad_forecast", "features", "fit", "predict", "window_forecast"]

