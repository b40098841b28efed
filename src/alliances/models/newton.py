"""Newton-Raphson with step halving, and the logit log likelihood it maximises most often.

:func:`damped_newton` serves the logit, the cloglog GLM and the Cox partial likelihood.
:class:`LogitLikelihood` gives it the logit's log likelihood, score and Hessian from one
matrix-vector product X b and one logistic transform per point: the optimiser asks for all
three at each accepted point, and statsmodels' ``Logit`` computes X b afresh for each of them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit, log_expit

from .errors import CollinearityError
from .linalg import weighted_gram


def damped_newton(loglike: Callable, score: Callable, hessian: Callable, b0: np.ndarray, *,
                  maxiter: int = 100, tol: float = 1e-10) -> tuple[np.ndarray, float, np.ndarray, int, bool]:
    """Newton-Raphson with step halving on the log likelihood (statsmodels' ``newton`` has no
    line search and overflows on the partial likelihood when covariates are large, e.g. t^3).
    Returns (estimates, log likelihood, Hessian at the estimates, steps, converged): converged
    when the largest step or the largest score is below ``tol``."""
    b, ll = b0.astype(float), loglike(b0)
    for it in range(1, maxiter + 1):
        g, h = score(b), hessian(b)
        try:
            step = np.linalg.solve(-h, g)
        except np.linalg.LinAlgError as exc:
            raise CollinearityError("singular information matrix; suspicion is high collinearity") from exc
        for _ in range(50):
            ll_new = loglike(b + step)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-10 * abs(ll):
                break
            step = step / 2
        b, ll = b + step, ll_new
        if np.max(np.abs(step)) < tol or np.max(np.abs(g)) < tol:
            return b, float(ll), hessian(b), it, True
    return b, float(ll), hessian(b), maxiter, False


class LogitLikelihood:
    """Log likelihood sum_i [y_i x_i'b + log(1 - p_i)], score X'(y - p) and Hessian
    -X' diag(p (1 - p)) X of a logit of 0/1 outcomes ``y`` on ``X``, p = expit(X b).

    X b and p are kept for the last point asked, so the score and Hessian at a point whose
    log likelihood was just computed cost no further pass over X b. The log likelihood uses
    log(1 - p) = log_expit(-X b), exact for any X b (no log of a rounded 0)."""

    def __init__(self, y: np.ndarray, X: np.ndarray):
        self.y, self.X = np.asarray(y, dtype=float), np.asarray(X, dtype=float)
        self._b: np.ndarray | None = None
        self._eta = self._p = np.empty(0)

    def _at(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._b is None or not np.array_equal(b, self._b):
            self._b = np.array(b, dtype=float)
            self._eta = self.X @ self._b
            self._p = expit(self._eta)
        return self._eta, self._p

    def probabilities(self, b: np.ndarray) -> np.ndarray:
        """p = expit(X b) (kept from the optimiser's last step when ``b`` is its estimate)."""
        return self._at(b)[1]

    def loglike(self, b: np.ndarray) -> float:
        eta, _ = self._at(b)
        return float(self.y @ eta + np.sum(log_expit(-eta)))

    def score(self, b: np.ndarray) -> np.ndarray:
        _, p = self._at(b)
        return self.X.T @ (self.y - p)

    def hessian(self, b: np.ndarray) -> np.ndarray:
        _, p = self._at(b)
        return -weighted_gram(self.X, p * (1.0 - p))
