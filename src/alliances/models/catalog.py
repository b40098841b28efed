"""One object per onset estimator, registered in one catalogue.

Each :class:`Estimator` holds everything the package knows about one estimator: its label,
the design it needs (intercept, period effects, binary or three categories), its fit function
(:mod:`.estimators`), how its estimates become probabilities, which outcomes and risk set it
predicts, and whether it is validated and predicted by default. ``fit``, ``predict``,
``validate``, the multiverse, ``replicate``, the CLI and the results object read these objects;
no other module tests an estimator's name. Adding an estimator means adding one object here
and its fit function in :mod:`.estimators` (CONTRIBUTING.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import expit

from . import estimators as fits
from .design import MLOGIT_CATEGORIES, Design
from .errors import ModelError
from .fitted import Fit, FitOptions
from .spec import Spec
from .variance import CLUSTERS  # noqa: F401  (re-exported: the clustering options beside the estimators)

if TYPE_CHECKING:  # type hints only: results reads this catalogue
    from .results import Results



@dataclass(frozen=True)
class Estimator:
    """One onset estimator.

    ``probabilities``: gives absolute onset probabilities (so it can be predicted and validated
    out of sample); ``hazard``: its yearly probabilities chain into survival curves;
    ``period_effects``: accepts decade or year dummies (the LPM has year effects already, Cox on
    calendar time absorbs them); ``validated``: in ``alliances validate`` by default;
    ``default``: in the default list of ``alliances predict`` and ``fit`` with a .toml spec.
    """

    name: str
    label: str
    fit_fn: Callable[[Design, Spec, FitOptions], Fit]
    intercept: bool = True
    probabilities: bool = True
    hazard: bool = True
    period_effects: bool = True
    validated: bool = True
    default: bool = True

    # -- the design ----------------------------------------------------------------
    categories: tuple[str, ...] = ()  # outcome categories beyond 0/1 (the multinomial logit)

    @property
    def design_kind(self) -> str:
        return "mlogit" if self.categories else "binary"

    def fit(self, design: Design, spec: Spec, opts: FitOptions) -> Fit:
        return self.fit_fn(design, spec, opts)

    # -- what it predicts --------------------------------------------------------------
    def outcome_columns(self, spec: Spec) -> list[str]:
        """The panel outcome(s) its probabilities forecast."""
        return [spec.outcome]

    def risk_status(self, spec: Spec) -> str | None:
        """The status column whose t-1 value defines the risk set (None: every dyad-year)."""
        return spec.status

    def link(self, eta: np.ndarray, res: Results, frame: pd.DataFrame, baseline: str) -> np.ndarray:
        """Probabilities from linear predictors ``eta`` (draws, rows)."""
        raise ModelError(f"{self.name} gives no absolute probabilities")

    def probability(self, res: Results, X: np.ndarray, B: np.ndarray, frame: pd.DataFrame,
                    baseline: str) -> np.ndarray:
        """Probabilities for coefficient draws ``B`` (m, k) -> (m, rows[, categories])."""
        return self.link((X @ B.T).T, res, frame, baseline)

    def event_probability(self, p: np.ndarray) -> np.ndarray:
        """The probability of any onset from :meth:`probability` (rows)."""
        return p


class Logit(Estimator):
    def link(self, eta, res, frame, baseline):
        return expit(eta)


class Cloglog(Estimator):
    def link(self, eta, res, frame, baseline):
        return -np.expm1(-np.exp(eta))


class ConditionalLogit(Estimator):
    def link(self, eta, res, frame, baseline):
        raise ModelError(
            "the conditional logit does not estimate the dyad effects, so it has no absolute "
            f"probabilities; use exp(params) as odds ratios, or predict with {', '.join(PROBABILITY_ESTIMATORS)}")


class LinearProbability(Estimator):
    def link(self, eta, res, frame, baseline):
        """Linear prediction plus the estimated dyad and year effects where known (0 otherwise)."""
        eff = np.zeros(len(frame))
        if res.effects is not None:
            for col, table in (("dyad_id", res.effects.dyad), ("year", res.effects.year)):
                if col in frame.columns and table:
                    eff += np.array([table.get(str(int(v)), 0.0) for v in frame[col]], dtype=float)
        return eta + eff[None, :]


class Cox(Estimator):
    def link(self, eta, res, frame, baseline):
        return -np.expm1(-self.baseline_hazard(res, frame, baseline)[None, :] * np.exp(eta))

    @staticmethod
    def baseline_hazard(res: Results, frame: pd.DataFrame, baseline: str) -> np.ndarray:
        """One-year baseline hazard of each row: on the duration scale the smoothed Breslow
        baseline at the row's duration; on calendar time the mean yearly increment
        (``baseline="mean"``) or the row's own year's (``"year"``, falling back to the mean)."""
        base = res.baseline
        if base is None:
            raise ModelError(f"{res.estimator}: the results hold no baseline hazard")
        if base.time_scale == "duration":
            h0 = np.asarray(base.smoothed_h0, dtype=float)
            if res.info.duration not in frame.columns:
                raise ModelError(f"a Cox model on the duration scale needs {res.info.duration!r} in the frame")
            d = pd.to_numeric(frame[res.info.duration], errors="coerce").to_numpy(dtype=float)
            return h0[np.clip(np.nan_to_num(d, nan=1).astype(int), 1, len(h0)) - 1]
        per_year = float(base.per_year)
        if baseline == "mean":
            return np.full(len(frame), per_year)
        if baseline == "year":
            if "year" not in frame.columns:
                raise ModelError("baseline='year' needs a year column in the frame")
            table = dict(zip(base.time, base.dH0))
            return np.array([table.get(int(y), per_year) for y in frame["year"]], dtype=float)
        raise ModelError(f"baseline must be 'mean' or 'year', got {baseline!r}")


class MultinomialLogit(Estimator):
    def outcome_columns(self, spec: Spec) -> list[str]:
        return [f"{c}{spec.variant}" for c in self.categories[1:]]

    def risk_status(self, spec: Spec) -> str | None:
        return f"any_tie{spec.variant}"  # none / alignment / alliance among dyads with no tie at all

    def probability(self, res, X, B, frame, baseline):
        k = X.shape[1]
        eta = np.stack([X @ B[:, :k].T, X @ B[:, k:].T], axis=-1).transpose(1, 0, 2)  # (m, rows, 2)
        eta = np.concatenate([np.zeros(eta.shape[:2] + (1,)), eta], axis=-1)
        eta -= eta.max(axis=-1, keepdims=True)
        e = np.exp(eta)
        return e / e.sum(axis=-1, keepdims=True)

    def event_probability(self, p: np.ndarray) -> np.ndarray:
        return p[..., 1:].sum(axis=-1)


CATALOG: dict[str, Estimator] = {e.name: e for e in (
    Logit("logit", "pooled logit", fits.fit_logit),
    Logit("firth", "Firth penalized logit", fits.fit_firth),
    Logit("relogit", "rare-events logit (King-Zeng bias correction)", fits.fit_relogit),
    ConditionalLogit("clogit", "conditional (dyad fixed-effects) logit", fits.fit_clogit, intercept=False,
                     probabilities=False, hazard=False, validated=False, default=False),
    LinearProbability("lpm", "linear probability model, dyad and year effects", fits.fit_lpm, intercept=False,
                      probabilities=False, hazard=False, period_effects=False, validated=False, default=False),
    Cloglog("cloglog", "discrete-time complementary log-log hazard", fits.fit_cloglog),
    Cox("cox", "Cox proportional hazards, counting process, Efron ties", fits.fit_cox, intercept=False),
    MultinomialLogit("mlogit", "multinomial logit (none / alignment onset / alliance onset)", fits.fit_mlogit,
                     hazard=False, validated=False, default=False, categories=MLOGIT_CATEGORIES),
)}

#: every estimator, in the catalogue's order
ESTIMATORS = tuple(CATALOG)
#: estimators with absolute probabilities, in the order predictions and reports list them
PROBABILITY_ESTIMATORS = tuple(n for n, e in CATALOG.items() if e.probabilities)
#: estimators whose yearly probabilities chain into survival curves
HAZARD_ESTIMATORS = tuple(n for n, e in CATALOG.items() if e.hazard)
#: estimators ``alliances validate`` runs by default (binary outcome, absolute probabilities)
VALIDATED_ESTIMATORS = tuple(n for n, e in CATALOG.items() if e.validated)
#: estimators ``alliances predict`` and ``fit`` (with a .toml spec) use by default
DEFAULT_ESTIMATORS = tuple(n for n, e in CATALOG.items() if e.default)


def info(name: str) -> Estimator:
    """The estimator called ``name``; a :class:`ModelError` naming the choices otherwise."""
    if name not in CATALOG:
        raise ModelError(f"unknown estimator {name!r}; choose one of {', '.join(CATALOG)}")
    return CATALOG[name]
