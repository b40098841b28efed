"""Cox model pieces statsmodels does not give us in the form we need.

The dyad-year panel in counting-process form has one interval (t-1, t] per row on either
time scale (calendar year, or years at risk since the last tie), so the risk set at event
time t is exactly the rows whose time is t.  With that layout the Efron score residuals
and the Breslow baseline hazard are computed time point by time point in a few vectorised
lines (the arguments named ``year`` below are the row's time on the model's scale).

* :func:`efron_score_residuals` — per-row score residuals for Efron ties (Therneau and
  Grambsch 2000, sec. 3.7), the quantity R's ``coxph`` sums within clusters for its robust
  variance.  statsmodels' ``PHReg.robust_covariance`` uses Breslow-type residuals and a
  per-row Python loop, which neither matches R's Efron fit nor scales to a million rows.
* :func:`robust_cov` — ``D_g' D_g`` with D = residuals x naive covariance summed by cluster
  (R: ``coxph(..., cluster = dyad_id)``; no small-sample factor).
* :func:`breslow_baseline` — increments d_t / sum_{risk set} exp(x'b) of the baseline
  cumulative hazard at x = 0 (R: ``survfit(fit, newdata = <zeros>, ctype = 1)``).
* :func:`smoothed_baseline` — those increments averaged over a window of neighbouring time
  points, the one-year baseline hazard used for predictions on the duration scale.
"""

from __future__ import annotations

import numpy as np


def _year_slices(year: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(year, kind="stable")
    ys, starts = np.unique(year[order], return_index=True)
    return order, ys, np.append(starts, len(order))


def efron_score_residuals(year: np.ndarray, event: np.ndarray, X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Efron score residuals, rows in input order; they sum to the score (zero at the MLE)."""
    order, _, bounds = _year_slices(year)
    eta = X @ beta
    out = np.zeros_like(X, dtype=float)
    for a, b in zip(bounds[:-1], bounds[1:]):
        ix = order[a:b]
        dmask = event[ix] > 0
        d = int(dmask.sum())
        if d == 0:
            continue
        x = X[ix]
        r = np.exp(eta[ix] - eta[ix].max())
        s0r, s1r = r.sum(), r @ x
        s0d, s1d = r[dmask].sum(), r[dmask] @ x[dmask]
        c = np.arange(d) / d
        den = s0r - c * s0d  # (d,)
        xbar = (s1r[None, :] - c[:, None] * s1d[None, :]) / den[:, None]  # (d, p)
        # hazard part for non-events and events
        inv_all, xb_all = (1 / den).sum(), (xbar / den[:, None]).sum(axis=0)
        w = (1 - c) / den
        inv_ev, xb_ev = w.sum(), (xbar * w[:, None]).sum(axis=0)
        res = -r[:, None] * (x * inv_all - xb_all)
        res[dmask] = x[dmask] - xbar.mean(axis=0) - r[dmask, None] * (x[dmask] * inv_ev - xb_ev)
        out[ix] = res
    return out


def robust_cov(resid: np.ndarray, naive_cov: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cluster-robust (Lin-Wei) covariance: sum over clusters of dfbeta outer products."""
    dfbeta = resid @ naive_cov
    _, inv = np.unique(groups, return_inverse=True)
    summed = np.zeros((inv.max() + 1, dfbeta.shape[1]))
    np.add.at(summed, inv, dfbeta)
    return summed.T @ summed


def breslow_baseline(year: np.ndarray, event: np.ndarray, X: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(years, increments of the Breslow baseline cumulative hazard at x = 0) for each year."""
    order, ys, bounds = _year_slices(year)
    r = np.exp(X @ beta)
    dh = np.zeros(len(ys))
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        ix = order[a:b]
        d = event[ix].sum()
        if d:
            dh[i] = d / r[ix].sum()
    return ys, dh


def smoothed_baseline(times: np.ndarray, dh: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """One-year baseline hazard on the grid 1..max(times): the mean Breslow increment over the
    time points with a risk set within ``window`` points centred on each grid value (a
    centred moving average; ``window = 1`` keeps the raw increments, zeros included).

    Where no onset falls inside the window (sparse long durations), the window is doubled
    until one does, so no duration has a baseline hazard of exactly 0. Durations past the
    grid use its last value (see ``Results._baseline``).
    """
    times = np.asarray(times, dtype=int)
    grid = np.arange(1, int(times.max()) + 1)
    full = np.zeros(len(grid) + 1)
    has = np.zeros(len(grid) + 1)
    ok = times >= 1
    full[times[ok]] = dh[ok]
    has[times[ok]] = 1.0
    half_lo, half_hi = (window - 1) // 2, window // 2
    csum, ccnt = np.r_[0.0, np.cumsum(full[1:])], np.r_[0.0, np.cumsum(has[1:])]
    lo = np.clip(grid - half_lo, 1, len(grid)) - 1
    hi = np.clip(grid + half_hi, 1, len(grid))
    total, count = csum[hi] - csum[lo], ccnt[hi] - ccnt[lo]
    h0 = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    # no onset within the window (sparse long durations, the last grid points): widen it until one
    # falls inside, so no duration gets a baseline hazard (and a probability) of exactly 0
    width = window
    while (h0 <= 0).any() and width < 2 * len(grid) and dh[ok].sum() > 0:
        width *= 2
        lo2 = np.clip(grid - (width - 1) // 2, 1, len(grid)) - 1
        hi2 = np.clip(grid + width // 2, 1, len(grid))
        wide = (csum[hi2] - csum[lo2]) / np.maximum(ccnt[hi2] - ccnt[lo2], 1)
        h0 = np.where(h0 > 0, h0, wide)
    return grid, h0
