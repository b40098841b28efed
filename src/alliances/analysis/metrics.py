"""Out-of-sample forecast metrics for binary outcomes (pure functions, vectorized).

Every function takes predicted probabilities ``p`` in [0, 1] and observed outcomes ``y`` in
{0, 1} (array-likes of the same length, one entry per dyad-year) and checks them first:
a :class:`~alliances.models.errors.ModelError` names the problem ("p has 3 values outside
[0, 1]"). Nothing loops over rows, so a million-row panel takes well under a second.

Definitions follow the forecasting literature: Brier (1950) score; the logarithmic score
(Good 1952; Gneiting and Raftery 2007), reported as a mean log-likelihood so higher is
better; ROC AUC as the Mann-Whitney probability that a random event outranks a random
non-event (Hanley and McNeil 1982); average precision as scikit-learn's
``average_precision_score`` computes it; calibration in equal-count bins with Wilson (1927)
score intervals. Calibration as a number: the calibration intercept (calibration in the
large, the intercept of a logit of y with log-odds of p as offset) and slope (the coefficient
of a logit of y on the log-odds of p; below 1 means forecasts too extreme) after Cox (1958)
and Van Calster et al. (2016); Murphy's (1973) decomposition of the Brier score into
reliability, resolution and uncertainty; and the ratio of observed to predicted events
among the highest 1% and 5% of forecasts, where rare-event models are most often
overconfident. With rare events (about 0.3% of dyad-years) the precision-recall area and
the calibration table say more than ROC AUC, which is dominated by the easy non-events
(Saito and Rehmsmeier 2015; Ward, Greenhill and Bakke 2010).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, log_expit

from alliances.models.errors import ModelError

#: Two-sided 95% standard-normal quantile, ``scipy.stats.norm.ppf(0.975)``.
Z95 = 1.959963984540054

CALIBRATION_COLUMNS: Sequence[str] = ("bin", "n", "p_mean", "observed", "events", "lo", "hi")

#: Quantiles of p that bound the calibration bins: deciles, then the top 5% and top 1% on their
#: own, so the tail where rare-event forecasts go wrong is resolved rather than averaged away.
TAIL_QUANTILES: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)

#: Fewest events for which a calibration intercept and slope are estimated (NaN below).
MIN_CALIBRATION_EVENTS = 5


def _as_1d(values: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        if isinstance(values, (pd.Series, pd.Index)):  # nullable dtypes: pd.NA becomes NaN
            arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{name} must be numeric; cannot convert it to numbers ({exc})") from exc
    if arr.ndim == 2 and 1 in arr.shape:  # a column or row vector
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ModelError(f"{name} must be one-dimensional; got shape {arr.shape}")
    return arr


def _check_p(p: ArrayLike, name: str = "p") -> NDArray[np.float64]:
    arr = _as_1d(p, name)
    n_bad = int(np.count_nonzero(~np.isfinite(arr)))
    if n_bad:
        raise ModelError(f"{name} has {n_bad:,} missing or infinite values (NaN or inf); "
                         "drop those rows or predict them first")
    n_out = int(np.count_nonzero((arr < 0) | (arr > 1)))
    if n_out:
        raise ModelError(f"{name} has {n_out:,} values outside [0, 1] (from {arr.min():g} to {arr.max():g}); "
                         "pass probabilities, not linear predictors or percentages")
    return arr


def check_forecasts(p: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate and return ``p`` and ``y`` as float arrays of equal length (y exactly 0.0 or 1.0)."""
    p_arr = _check_p(p)
    y_arr = _as_1d(y, "y")
    if len(p_arr) != len(y_arr):
        raise ModelError(f"p and y differ in length: {len(p_arr):,} predictions for {len(y_arr):,} outcomes")
    if len(p_arr) == 0:
        raise ModelError("p and y are empty: there is nothing to score")
    n_bad = int(np.count_nonzero((y_arr != 0) & (y_arr != 1)))  # NaN compares unequal, so it counts here
    if n_bad:
        raise ModelError(f"y has {n_bad:,} values other than 0 and 1 (NaN included); outcomes must be binary")
    return p_arr, y_arr


def brier(p: ArrayLike, y: ArrayLike) -> float:
    """Brier score: mean of (p - y)^2, in squared probability units (0 best, 1 worst; lower is better)."""
    p, y = check_forecasts(p, y)
    return float(np.mean((p - y) ** 2))


def brier_skill(p: ArrayLike, y: ArrayLike, p_ref: ArrayLike | float) -> float:
    """Brier skill score ``1 - brier(p, y) / brier(p_ref, y)`` (1 perfect, 0 no better than the reference).

    ``p_ref`` is the reference forecast: an array like ``p`` or one number broadcast to every
    row (typically the training-sample base rate). NaN if the reference scores perfectly.
    """
    p, y = check_forecasts(p, y)
    ref = _check_p(np.atleast_1d(np.asarray(p_ref, dtype=np.float64)) if np.ndim(p_ref) == 0 else p_ref, "p_ref")
    ref = np.full(len(y), ref[0]) if np.ndim(p_ref) == 0 else ref
    if len(ref) != len(y):
        raise ModelError(f"p_ref and y differ in length: {len(ref):,} reference predictions for {len(y):,} outcomes")
    b_ref = float(np.mean((ref - y) ** 2))
    return float("nan") if b_ref == 0 else 1.0 - float(np.mean((p - y) ** 2)) / b_ref


def log_score(p: ArrayLike, y: ArrayLike, eps: float = 1e-15) -> float:
    """Mean log-likelihood per observation, mean of y log p + (1 - y) log(1 - p), in nats.

    Higher is better: 0 is a perfect forecast, and the score is negative otherwise (it is
    minus the usual "log loss"). ``p`` is clipped to [eps, 1 - eps] so a confident miss
    costs log(eps) (about -34.5 for the default) rather than minus infinity.
    """
    p, y = check_forecasts(p, y)
    return float(np.mean(log_likelihoods(p, y, eps)))


def log_likelihoods(p: NDArray[np.float64], y: NDArray[np.float64], eps: float = 1e-15) -> NDArray[np.float64]:
    """Each row's y log p + (1 - y) log(1 - p), p clipped to [eps, 1 - eps] (unchecked arrays:
    :func:`log_score` is their mean)."""
    q = np.clip(p, eps, 1.0 - eps)
    return np.where(y == 1, np.log(q), np.log1p(-q))


def _tie_groups(p: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rows and events in each group of equal p, groups in ascending p (one sort serves both
    areas below)."""
    order = np.argsort(p)
    ps = p[order]
    last = np.flatnonzero(np.r_[ps[1:] != ps[:-1], True])  # last row of each tie group
    size = np.diff(np.r_[-1, last]).astype(np.float64)
    events = np.diff(np.r_[0.0, np.cumsum(y[order])[last]])
    return size, events


def _roc_from_groups(size: NDArray[np.float64], events: NDArray[np.float64]) -> float:
    n1 = float(events.sum())
    n0 = float(size.sum()) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    mid_rank = np.cumsum(size) - (size - 1) / 2  # average rank of a tie group (ranks from 1)
    u = float(np.dot(events, mid_rank)) - n1 * (n1 + 1) / 2
    return u / (n1 * n0)


def _ap_from_groups(size: NDArray[np.float64], events: NDArray[np.float64]) -> float:
    n1 = float(events.sum())
    if n1 == 0:
        return float("nan")
    tp, flagged = np.cumsum(events[::-1]), np.cumsum(size[::-1])  # thresholds from the highest p down
    return float(np.sum(events[::-1] / n1 * (tp / flagged)))


def roc_auc(p: ArrayLike, y: ArrayLike) -> float:
    """Area under the ROC curve: the probability that a random event has a higher p than a
    random non-event, ties counting 1/2 (Mann-Whitney U / (n_events * n_non_events)).

    Computed from the mid-ranks of tie groups of p after one sort, O(n log n). NaN when
    either class is empty.
    """
    return _roc_from_groups(*_tie_groups(*check_forecasts(p, y)))


def pr_auc(p: ArrayLike, y: ArrayLike) -> float:
    """Average precision: sum over thresholds of (R_n - R_{n-1}) P_n, as scikit-learn's
    ``average_precision_score``.

    Thresholds are the distinct values of p from highest to lowest; rows with tied p enter
    together, so precision P_n and recall R_n are those of predicting an event for every
    row with p >= the n-th threshold (R_0 = 0). No interpolation. The chance level is the
    base rate, not 1/2. NaN when there are no events.
    """
    return _ap_from_groups(*_tie_groups(*check_forecasts(p, y)))


def wilson_interval(events: ArrayLike, n: ArrayLike, z: float = Z95) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval for a binomial proportion events/n (95% by default), clipped to [0, 1].

    lo, hi = (phat + z^2/2n -/+ z sqrt(phat(1-phat)/n + z^2/4n^2)) / (1 + z^2/n).
    """
    k = np.asarray(events, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    phat = k / m
    denom = 1.0 + z**2 / m
    centre = (phat + z**2 / (2 * m)) / denom
    half = z * np.sqrt(phat * (1 - phat) / m + z**2 / (4 * m**2)) / denom
    lo = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(k == m, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lo, hi


def calibration_table(p: ArrayLike, y: ArrayLike, bins: int = 10,
                      quantiles: Sequence[float] | None = None) -> pd.DataFrame:
    """Observed event rate against mean predicted probability in equal-count bins of p.

    Bin edges are the empirical quantiles k/bins of p (or the given ``quantiles``, for
    example :data:`TAIL_QUANTILES`, for bins that narrow towards the top) (the smallest value with at least
    that share of rows at or below it); bin k holds p in (edge_{k-1}, edge_k], the first
    also holding the minimum. Rows with equal p always share a bin, so when ties span an
    edge, edges collapse and fewer than ``bins`` bins result; without ties every bin has
    n/bins rows (give or take one).

    Columns: ``bin`` (1 = lowest p), ``n`` rows, ``p_mean`` mean predicted probability,
    ``observed`` share of rows with y = 1, ``events`` count of y = 1, and ``lo``/``hi`` the
    95% Wilson score interval for the observed share (Wilson 1927; Agresti and Coull 1998).
    """
    p, y = check_forecasts(p, y)
    if quantiles is None:
        if int(bins) != bins or bins < 1:
            raise ModelError(f"bins must be a positive whole number; got {bins!r}")
        quantiles = np.arange(1, int(bins)) / bins
    q = np.asarray(quantiles, dtype=np.float64)
    if q.ndim != 1 or np.any((q <= 0) | (q >= 1)) or np.any(np.diff(q) <= 0):
        raise ModelError(f"quantiles must increase strictly inside (0, 1); got {list(quantiles)!r}")
    edges = np.unique(np.quantile(p, q, method="inverted_cdf"))
    idx = np.searchsorted(edges, p, side="left")  # number of edges strictly below p: right-closed bins
    n = np.bincount(idx, minlength=len(edges) + 1)
    keep = n > 0  # an edge at the maximum leaves the last bin empty
    n = n[keep]
    events = np.bincount(idx, weights=y, minlength=len(edges) + 1)[keep]
    p_sum = np.bincount(idx, weights=p, minlength=len(edges) + 1)[keep]
    lo, hi = wilson_interval(events, n)
    return pd.DataFrame({
        "bin": np.arange(1, len(n) + 1),
        "n": n.astype(np.int64),
        "p_mean": p_sum / n,
        "observed": events / n,
        "events": np.rint(events).astype(np.int64),
        "lo": lo,
        "hi": hi,
    }, columns=list(CALIBRATION_COLUMNS))


def fit_logistic(x: NDArray[np.float64] | None, offset: NDArray[np.float64] | None, y: NDArray[np.float64],
                 max_iter: int = 50, tol: float = 1e-10,
                 start: Sequence[float] | None = None) -> NDArray[np.float64] | None:
    """Maximum-likelihood (a, b) of P(y = 1) = expit(a + b x + offset), or (a,) when ``x`` is
    None (no offset when ``offset`` is None); None when the maximum does not exist or is not
    reached: a constant ``x`` (the slope is not identified, e.g. the base-rate benchmark's
    forecasts), separation, or no convergence in ``max_iter`` Newton steps.

    One or two parameters on up to a few million rows: the score and the 2 x 2 information
    are sums over the rows (dot products), which avoids both an n x 2 design and the model
    set-up of statsmodels' Logit and GLM, each costing more than the fit here; scores.csv
    needs two fits for every (scheme, window, model). Newton's full steps converge in at most
    about ten on nearly every fit; where they have not after :data:`UNDAMPED_STEPS` (they
    overshoot on some era windows with forecasts near both 0 and 1), the fit starts again with
    steps halved until the log likelihood does not fall, which costs a log per row and step.
    The tests check it against statsmodels."""
    k = 1 if x is None else 2
    beta = np.zeros(k) if start is None else np.asarray(start, dtype=np.float64)
    if beta.shape != (k,):
        raise ModelError(f"start must have {k} value(s); got {beta.tolist()!r}")
    if x is not None and (len(x) == 0 or float(np.min(x)) == float(np.max(x))):
        return None
    fitted = _logistic_newton(x, offset, y, beta, min(max_iter, UNDAMPED_STEPS), tol, damped=False)
    if fitted is None and max_iter > UNDAMPED_STEPS:
        fitted = _logistic_newton(x, offset, y, beta, max_iter, tol, damped=True)
    return fitted


UNDAMPED_STEPS = 20  # full Newton steps before :func:`fit_logistic` starts again with step halving


def _logistic_newton(x: NDArray[np.float64] | None, offset: NDArray[np.float64] | None, y: NDArray[np.float64],
                     beta: NDArray[np.float64], max_iter: int, tol: float,
                     damped: bool) -> NDArray[np.float64] | None:
    def linear(b: NDArray[np.float64]) -> NDArray[np.float64]:
        if x is None:
            eta = offset + b[0] if offset is not None else np.full(len(y), b[0])
        else:
            eta = b[0] + b[1] * x
            if offset is not None:
                eta += offset
        return eta

    def loglike(eta: NDArray[np.float64]) -> float:
        return float(y @ eta + np.sum(log_expit(-eta)))  # y log p + (1 - y) log(1 - p), exact in eta

    eta = linear(beta)
    ll = loglike(eta) if damped else 0.0
    for _ in range(max_iter):
        mu = expit(eta)
        r, w = y - mu, mu * (1.0 - mu)
        if x is None:
            grad, hess = np.array([r.sum()]), np.array([[w.sum()]])
        else:
            wx = w * x
            off = wx.sum()
            grad = np.array([r.sum(), x @ r])
            hess = np.array([[w.sum(), off], [off, wx @ x]])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return None
        eta_new = linear(beta + step)
        if damped:
            for _ in range(30):
                ll_new = loglike(eta_new)
                if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                    break
                step = step / 2
                eta_new = linear(beta + step)
            else:
                return None
            ll = ll_new
        beta, eta = beta + step, eta_new
        if not np.all(np.isfinite(beta)):
            return None
        if np.max(np.abs(step)) < tol * (1.0 + np.max(np.abs(beta))):
            return beta
    return None


def calibration_fit(p: ArrayLike, y: ArrayLike, eps: float = 1e-15) -> tuple[float, float]:
    """Calibration intercept and slope of forecasts ``p`` (Cox 1958; Van Calster et al. 2016).

    With x = log(p / (1 - p)) (p clipped to [eps, 1 - eps]): the **intercept** is a in
    logit P(y = 1) = a + x (calibration in the large; 0 is calibrated, above 0 means the
    forecasts are too low on average) and the **slope** is b in logit P(y = 1) = c + b x
    (1 is calibrated; below 1 means the forecasts are too extreme, too high where high and
    too low where low). Both are NaN with fewer than :data:`MIN_CALIBRATION_EVENTS` events
    or non-events, or when the likelihood has no finite maximum."""
    p, y = check_forecasts(p, y)
    events = float(y.sum())
    if min(events, len(y) - events) < MIN_CALIBRATION_EVENTS:
        return float("nan"), float("nan")
    x = np.log(np.clip(p, eps, 1.0 - eps)) - np.log1p(-np.clip(p, eps, 1.0 - eps))
    large = fit_logistic(None, x, y)
    slope = fit_logistic(x, None, y, start=(0.0, 1.0))
    return (float(large[0]) if large is not None else float("nan"),
            float(slope[1]) if slope is not None else float("nan"))


def brier_decomposition(p: ArrayLike, y: ArrayLike,
                        quantiles: Sequence[float] = TAIL_QUANTILES) -> dict[str, float]:
    """Murphy's (1973) decomposition of the Brier score in the bins of :func:`calibration_table`.

    ``reliability`` = sum_k n_k (mean p_k - observed_k)^2 / N (0 is perfect; lower is better),
    ``resolution`` = sum_k n_k (observed_k - observed)^2 / N (higher is better) and
    ``uncertainty`` = observed (1 - observed), the Brier score of the sample's own base rate.
    Brier = reliability - resolution + uncertainty up to the spread of p within the bins,
    which the decomposition leaves out (it is reported as nothing else: compare with
    :func:`brier`)."""
    p, y = check_forecasts(p, y)
    t = calibration_table(p, y, quantiles=quantiles)
    n = t["n"].to_numpy(dtype=np.float64)
    obs = float(y.mean())
    return {"reliability": float(np.sum(n * (t["p_mean"] - t["observed"]) ** 2) / n.sum()),
            "resolution": float(np.sum(n * (t["observed"] - obs) ** 2) / n.sum()),
            "uncertainty": obs * (1.0 - obs)}


def top_ratio(p: ArrayLike, y: ArrayLike, share: float) -> float:
    """Observed over predicted events among the highest ``share`` of forecasts (0.01 = top 1%).

    The top set is the ceil(share * n) rows with the highest p, together with every row tied
    with the last of them (tied forecasts enter together). 1 is calibrated in the tail; below 1 means the highest forecasts
    promise more events than happen. NaN if the top forecasts sum to 0."""
    p, y = check_forecasts(p, y)
    if not 0 < share <= 1:
        raise ModelError(f"share must be in (0, 1]; got {share!r}")
    k = max(1, int(np.ceil(share * len(p))))
    cut = np.partition(p, len(p) - k)[len(p) - k]  # the k-th highest forecast
    top = p >= cut
    expected = float(p[top].sum())
    return float(y[top].sum()) / expected if expected > 0 else float("nan")


def summary(p: ArrayLike, y: ArrayLike) -> dict[str, float | int]:
    """All scalar metrics at once: ``n``, ``events``, ``base_rate`` (share of y = 1), ``mean_p``,
    ``brier`` (lower better), ``log_score`` (mean log-likelihood, higher better), ``roc_auc``
    and ``pr_auc`` (higher better; NaN when a class is empty), then calibration:
    ``calibration_intercept`` and ``calibration_slope`` (:func:`calibration_fit`),
    ``reliability``, ``resolution`` and ``uncertainty`` (:func:`brier_decomposition`), and
    ``obs_pred_top1`` and ``obs_pred_top5`` (:func:`top_ratio` at 1% and 5%)."""
    p, y = check_forecasts(p, y)
    events = int(np.sum(y))
    groups = _tie_groups(p, y)
    return {
        "n": int(len(y)),
        "events": events,
        "base_rate": events / len(y),
        "mean_p": float(np.mean(p)),
        "brier": brier(p, y),
        "log_score": log_score(p, y),
        "roc_auc": _roc_from_groups(*groups),
        "pr_auc": _ap_from_groups(*groups),
        **dict(zip(("calibration_intercept", "calibration_slope"), calibration_fit(p, y))),
        **brier_decomposition(p, y),
        "obs_pred_top1": top_ratio(p, y, 0.01),
        "obs_pred_top5": top_ratio(p, y, 0.05),
    }


def block_bootstrap_sums(values: Mapping[str, ArrayLike], blocks: ArrayLike, reps: int = 1000,
                         seed: int = 20261206) -> tuple[dict[str, NDArray[np.float64]], NDArray[np.float64]]:
    """Row sums of each array in ``values`` over ``reps`` bootstrap samples of whole blocks.

    ``blocks`` labels each row (for forecasts: its year, so that a year's dyads, which one
    multilateral treaty can move together, are resampled together). Each replicate draws as
    many blocks as there are, with replacement, from one seeded generator, and every array
    uses the same draws, so differences and ratios of the sums are bootstrapped jointly.
    Returns ``({name: sums over the drawn rows, one per replicate}, rows drawn per replicate)``."""
    _, inverse = np.unique(np.asarray(blocks), return_inverse=True)
    k = int(inverse.max()) + 1 if len(inverse) else 0
    if k == 0:
        raise ModelError("no rows to bootstrap")
    draws = np.random.default_rng(seed).integers(0, k, size=(reps, k))
    count = np.bincount(inverse, minlength=k).astype(np.float64)
    sums = {name: np.bincount(inverse, weights=np.asarray(v, dtype=np.float64), minlength=k)[draws].sum(axis=1)
            for name, v in values.items()}
    return sums, count[draws].sum(axis=1)


__all__ = ["TAIL_QUANTILES", "Z95", "block_bootstrap_sums", "brier", "brier_decomposition", "brier_skill",
           "calibration_fit", "calibration_table", "fit_logistic", "log_likelihoods", "log_score", "pr_auc", "roc_auc", "summary", "top_ratio",
           "wilson_interval"]
