"""Conditional (dyad fixed-effects) logit by Newton's method on the exact conditional likelihood.

For a dyad with n years and k onsets the conditional probability of the observed onset
years is ``exp(sum_{onsets} x'b) / e_k(r)``, with ``r_j = exp(x_j'b)`` and ``e_k`` the
k-th elementary symmetric polynomial of the r_j (the sum over all k-subsets of years).
This is the likelihood of statsmodels' ``ConditionalLogit`` and of R's
``survival::clogit(method = "exact")``.

Why not ``ConditionalLogit`` itself: it loops over dyads in Python for every likelihood
and score call and takes a numerical Hessian, which is slow on a panel of this size.  Here dyads
with one onset (most of them) are handled with ``bincount`` sums (the likelihood is a
softmax), and dyads with several onsets with the recursion
``e_m <- e_m + r_j e_{m-1}`` carried with its first and second derivatives, vectorised
across dyads.  The tests check it against ``ConditionalLogit`` and against R.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import CollinearityError
from .linalg import weighted_gram
from .variance import group_sums


@dataclass(frozen=True)
class CLogitFit:
    params: np.ndarray
    cov: np.ndarray
    llf: float
    iterations: int
    converged: bool


class _Groups:
    """Rows split into single-onset dyads (flat) and multi-onset dyads (padded arrays)."""

    def __init__(self, y: np.ndarray, X: np.ndarray, groups: np.ndarray) -> None:
        _, gi = np.unique(groups, return_inverse=True)
        k = np.bincount(gi, weights=y).astype(int)
        single = k[gi] == 1
        self.X1, self.y1 = X[single], y[single]
        _, self.g1 = np.unique(gi[single], return_inverse=True)
        self.n1 = int(self.g1.max() + 1) if single.any() else 0
        multi = ~single
        gm = gi[multi]
        ug, gm_idx = np.unique(gm, return_inverse=True)
        self.nm = len(ug)
        if self.nm:
            sizes = np.bincount(gm_idx)
            order = np.argsort(gm_idx, kind="stable")
            pos = np.arange(len(order)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            p = X.shape[1]
            self.Xm = np.zeros((self.nm, sizes.max(), p))
            self.valid = np.zeros((self.nm, sizes.max()), dtype=bool)
            self.Xm[gm_idx[order], pos] = X[multi][order]
            self.valid[gm_idx[order], pos] = True
            self.km = k[ug]
            self.sum_x_events_m = np.zeros((self.nm, p))
            np.add.at(self.sum_x_events_m, gm_idx, X[multi] * y[multi][:, None])

    def loglike_derivs(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        p = len(b)
        ll, grad, hess = 0.0, np.zeros(p), np.zeros((p, p))
        if self.n1:
            eta = self.X1 @ b
            c = np.full(self.n1, -np.inf)
            np.maximum.at(c, self.g1, eta)
            r = np.exp(eta - c[self.g1])
            s0 = np.bincount(self.g1, r, minlength=self.n1)
            w = r / s0[self.g1]  # within-dyad softmax
            ev = self.y1 > 0
            ll += float(eta[ev].sum() - (np.log(s0) + c).sum())
            grad += self.X1[ev].sum(axis=0) - w @ self.X1
            xbar = group_sums(w[:, None] * self.X1, self.g1)
            hess -= weighted_gram(self.X1, w) - xbar.T @ xbar
        if self.nm:
            eta = np.where(self.valid, self.Xm @ b, -np.inf)
            c = eta.max(axis=1)
            r = np.exp(eta - c[:, None])  # padding rows: r = 0
            kmax = int(self.km.max())
            B = np.zeros((self.nm, kmax + 1))
            B[:, 0] = 1.0
            G = np.zeros((self.nm, kmax + 1, p))
            H = np.zeros((self.nm, kmax + 1, p, p))
            for j in range(self.Xm.shape[1]):
                rj, xj = r[:, j], self.Xm[:, j]
                xx = xj[:, :, None] * xj[:, None, :]
                for m in range(kmax, 0, -1):
                    Bp, Gp = B[:, m - 1], G[:, m - 1]
                    xg = xj[:, :, None] * Gp[:, None, :]
                    H[:, m] += rj[:, None, None] * (H[:, m - 1] + xg + xg.transpose(0, 2, 1) + xx * Bp[:, None, None])
                    G[:, m] += rj[:, None] * (Gp + xj * Bp[:, None])
                    B[:, m] += rj * Bp
            idx = np.arange(self.nm)
            Bk, Gk, Hk = B[idx, self.km], G[idx, self.km], H[idx, self.km]
            ll += float((self.sum_x_events_m @ b).sum() - (np.log(Bk) + self.km * c).sum())
            gk = Gk / Bk[:, None]
            grad += self.sum_x_events_m.sum(axis=0) - gk.sum(axis=0)
            hess -= (Hk / Bk[:, None, None]).sum(axis=0) - gk.T @ gk
        return ll, grad, hess


def conditional_logit(y: np.ndarray, X: np.ndarray, groups: np.ndarray, *, maxiter: int = 100,
                      tol: float = 1e-10) -> CLogitFit:
    """Exact conditional logit; dyads without outcome variation must be removed beforehand."""
    data = _Groups(np.asarray(y, dtype=float), np.asarray(X, dtype=float), np.asarray(groups))
    b = np.zeros(X.shape[1])
    ll, g, h = data.loglike_derivs(b)
    for it in range(1, maxiter + 1):
        try:
            step = np.linalg.solve(-h, g)
        except np.linalg.LinAlgError as exc:
            raise CollinearityError("clogit: singular information matrix; suspicion is high collinearity") from exc
        for _ in range(40):
            ll_n, g_n, h_n = data.loglike_derivs(b + step)
            if ll_n >= ll - 1e-10 * abs(ll):
                break
            step /= 2
        b = b + step
        ll, g, h = ll_n, g_n, h_n
        if np.max(np.abs(step)) < tol or np.max(np.abs(g)) < tol:
            return CLogitFit(b, np.linalg.inv(-h), ll, it, True)
    return CLogitFit(b, np.linalg.inv(-h), ll, maxiter, False)
