"""Cluster-robust covariances shared by every estimator (one sandwich, several clusterings).

The clustering schemes of :attr:`Spec.cluster` (:data:`CLUSTERS`):

``dyad``            one cluster per dyad (repeated years of a dyad are dependent);
``year``            one cluster per year (dyads in the same year share system shocks and
                    multilateral treaties);
``dyad+year``       two-way, Cameron, Gelbach and Miller (2011): ``M_dyad + M_year - M_cell``;
``agreement``       onset rows of the same ATOP agreement form one cluster (a 26-member
                    treaty is one decision, not 325); rows without an onset are clustered
                    by dyad;
``dyad+agreement``  two-way by dyad and by agreement, where rows without an onset are their
                    own agreement cluster;
``none``            model-based (inverse information).

Multi-way clustering follows the inclusion-exclusion rule with ``G/(G-1)`` per dimension
and intersection, as R's ``sandwich::vcovCL(cadjust = TRUE, multi0 = FALSE)``; the
estimators pass the overall factor: ``(N-1)/(N-K)`` for the logit family (``type =
"HC1"``, Stata's CR1 in the one-way case), 1 for the LPM (``type = "HC0"``) and no
``G/(G-1)`` for Cox (``coxph(cluster = )`` sums dfbeta residuals without adjustment).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .errors import ModelError

#: clustering schemes of :attr:`alliances.models.Spec.cluster`
CLUSTERS = ("dyad", "year", "dyad+year", "agreement", "dyad+agreement", "none")

AGREEMENT_COLUMN = "agreement"  # design column: the onset's primary ATOP agreement, -1 elsewhere

DESCRIPTION = {
    "dyad": "clustered by dyad",
    "year": "clustered by year",
    "dyad+year": "two-way clustered by dyad and year (Cameron-Gelbach-Miller)",
    "agreement": "clustered by the onset's ATOP agreement (rows without an onset by dyad)",
    "dyad+agreement": "two-way clustered by dyad and by the onset's ATOP agreement",
    "none": "model-based (inverse information)",
}


def _codes(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_inverse=True)[1].astype(np.int64)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _codes(a * (int(b.max()) + 1) + b)


def cluster_dimensions(frame: pd.DataFrame, cluster: str) -> list[tuple[int, np.ndarray]]:
    """``[(sign, codes), ...]`` for the inclusion-exclusion sum of cluster meats."""
    if cluster == "none":
        return []
    dyad = _codes(frame["dyad_id"].to_numpy())
    if cluster == "dyad":
        return [(1, dyad)]
    year = _codes(frame["year"].to_numpy())
    if cluster == "year":
        return [(1, year)]
    if cluster == "dyad+year":
        return [(1, dyad), (1, year), (-1, _cross(dyad, year))]
    if AGREEMENT_COLUMN not in frame.columns:
        raise ModelError(f"cluster = {cluster!r} needs the onsets' agreements; the outcome has no "
                         "<outcome>_agreement column in the panel (only ATOP status onsets have one)")
    agr = frame[AGREEMENT_COLUMN].to_numpy().astype(np.int64)
    onset = agr >= 0
    if cluster == "agreement":
        # agreements and dyads in one code space: agreements first, then dyads
        ids = np.where(onset, agr, int(agr.max(initial=0)) + 1 + dyad)
        return [(1, _codes(ids))]
    if cluster == "dyad+agreement":
        own = np.where(onset, agr, int(agr.max(initial=0)) + 1 + np.arange(len(agr)))
        own = _codes(own)
        return [(1, dyad), (1, own), (-1, _cross(dyad, own))]
    raise ModelError(f"unknown cluster option {cluster!r}")


def group_sums(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Column sums of ``values`` (n x k) within groups ``codes`` (0 .. G-1): a G x k array.

    The product of the G x n group-indicator matrix, built in compressed-column form without a
    sort (row i's single 1 sits in row ``codes[i]``), with ``values``: one pass over the rows
    for all k columns, in row order within each group as a loop would add them. About twenty
    times faster than a ``bincount`` per column on a panel's scores.
    """
    n = len(codes)
    groups = int(codes.max()) + 1
    if groups == n:  # every row its own cluster (e.g. dyad x year): the sums are the rows
        out = np.empty_like(values, dtype=float)
        out[codes] = values
        return out
    indicator = sparse.csc_matrix((np.ones(n), codes, np.arange(n + 1)), shape=(groups, n))
    values = np.asarray(values, dtype=float)
    if values.ndim == 2 and not values.flags.c_contiguous:
        # scipy would copy a column-major array (scores of a design from pandas are) row by row
        # first, which took eight times the product: one product per column, same sums to the bit
        out = np.empty((groups, values.shape[1]), order="F")
        for j in range(values.shape[1]):
            out[:, j] = indicator @ values[:, j]
        return out
    return np.asarray(indicator @ values)


def meat(scores: np.ndarray, codes: np.ndarray, adjust: bool = True) -> tuple[np.ndarray, int]:
    """``sum_g s_g s_g'`` over clusters (times ``G/(G-1)`` when ``adjust``) and G."""
    summed = group_sums(scores, codes)
    g = len(summed)
    if g < 2:
        raise ModelError("clustered variance needs at least two clusters; the sample has one")
    m = summed.T @ summed
    return (m * g / (g - 1) if adjust else m), g


def sandwich(bread: np.ndarray, scores: np.ndarray, frame: pd.DataFrame, cluster: str, *,
             factor: float = 1.0, cadjust: bool = True) -> tuple[np.ndarray, dict[str, int]]:
    """``factor * bread (sum_s sign_s c_s M_s) bread`` and the number of clusters per dimension.

    ``scores`` are per-row score contributions (rows of ``frame``); ``bread`` the inverse of
    the (expected or observed) information. A two-way sum that is not positive
    semi-definite has its negative eigenvalues set to 0 (Cameron, Gelbach and Miller 2011; R's
    ``vcovCL(fix = TRUE)``), and the description says so.
    """
    dims = cluster_dimensions(frame, cluster)
    if not dims:
        return bread, {}
    total = np.zeros((scores.shape[1], scores.shape[1]))
    counts: dict[str, int] = {}
    names = {"dyad": ["dyad"], "year": ["year"], "dyad+year": ["dyad", "year", "dyad x year"],
             "agreement": ["agreement"], "dyad+agreement": ["dyad", "agreement", "dyad x agreement"]}[cluster]
    for (sign, codes), name in zip(dims, names):
        m, g = meat(scores, codes, cadjust)
        total += sign * m
        counts[name] = g
    if "agreement" in counts:  # report the treaties, not the singleton clusters of rows without an onset
        agr = frame[AGREEMENT_COLUMN].to_numpy()
        counts["agreement"] = int(np.unique(agr[agr >= 0]).size)
    cov = factor * bread @ total @ bread
    if any(sign < 0 for sign, _ in dims):  # multi-way: the sum need not be positive semi-definite
        w, v = np.linalg.eigh((cov + cov.T) / 2)
        if w[0] < -1e-12 * abs(w[-1]):
            # e.g. year dummies' scores sum to 0 within their year; Cameron, Gelbach and Miller (2011):
            # set the negative eigenvalues to 0
            cov = (v * np.maximum(w, 0)) @ v.T
            counts["negative eigenvalues set to 0"] = int((w < 0).sum())
    return cov, counts


def describe(cluster: str, counts: dict[str, int], convention: str) -> str:
    """``"two-way clustered by dyad and year (Cameron-Gelbach-Miller); 1,207 dyads, 65 years; CR1"``."""
    if cluster == "none":
        return DESCRIPTION["none"]
    n = ", ".join(f"{g:,} {k}" for k, g in counts.items() if " x " not in k and "eigen" not in k)
    fix = counts.get("negative eigenvalues set to 0")
    fixed = f"; {fix} negative eigenvalue(s) set to 0 (Cameron-Gelbach-Miller)" if fix else ""
    return f"{DESCRIPTION[cluster]}; clusters: {n}; {convention}{fixed}"
