"""One read-only results object for every onset estimator, plus :func:`compare`."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from alliances.atomic import write_text_atomic
from alliances.errors import SpecError

from .catalog import CATALOG, Estimator
from .catalog import info as estimator_info
from .design import DesignInfo, model_matrix
from .errors import ModelError
from .fitted import Covariance, CoxBaseline, TwoWayEffects
from .spec import Spec

FORMAT = "alliances.models.Results/1"


@dataclass(frozen=True, eq=False, repr=False)
class Results:
    """Estimates of one onset model.

    Built once by :func:`alliances.models.fit` and read-only afterwards.  ``params``,
    ``bse``, ``pvalues``, ``cov_params()`` and ``conf_int()`` are pandas objects indexed by
    parameter name (``"<category>:<name>"`` for the multinomial logit).  Test statistics
    and p-values use the normal distribution for every estimator.

    What only some estimators have is typed: ``alternatives`` (the covariance of each other
    clustering option asked for with ``also_clusters``), ``model_based`` (Cox: the inverse
    information, beside the robust covariance), ``baseline`` (Cox: the Breslow baseline hazard),
    ``effects`` (LPM: dyad and year effects), ``bias`` (King-Zeng: the bias subtracted) and
    ``category_counts`` (multinomial logit).
    """

    estimator: str
    spec: Spec
    outcome: str
    param_names: tuple[str, ...]
    params_: np.ndarray
    cov_: np.ndarray
    cov_type: str
    nobs: int
    n_events: int
    n_groups: int
    llf: float | None
    converged: bool
    iterations: int | None
    info: DesignInfo
    risk_set: str
    notes: tuple[str, ...] = ()
    panel_sha256: str | None = None
    years: tuple[int, int] | None = None  # first and last outcome year in the estimation sample
    status: str | None = None  # status column whose t-1 value defines the risk set (None: every dyad-year)
    alternatives: dict[str, Covariance] = field(default_factory=dict)
    model_based: Covariance | None = None
    baseline: CoxBaseline | None = None
    effects: TwoWayEffects | None = None
    bias: dict[str, float] | None = None
    category_counts: dict[str, int] | None = None

    def __post_init__(self) -> None:
        for name in ("params_", "cov_"):
            arr = np.array(getattr(self, name), dtype=float)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def model(self) -> Estimator:
        """The estimator object of :mod:`.catalog` that made these results."""
        return estimator_info(self.estimator)

    # -- estimates ---------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        return pd.Series(self.params_, index=list(self.param_names), name="coef")

    def cov_params(self) -> pd.DataFrame:
        return pd.DataFrame(self.cov_, index=list(self.param_names), columns=list(self.param_names))

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov_)), index=list(self.param_names), name="std err")

    @property
    def tvalues(self) -> pd.Series:
        return (self.params / self.bse).rename("z")

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(2 * stats.norm.sf(np.abs(self.tvalues.to_numpy())), index=list(self.param_names), name="P>|z|")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        q = stats.norm.ppf(1 - alpha / 2)
        b, s = self.params, self.bse
        return pd.DataFrame({"lower": b - q * s, "upper": b + q * s})

    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Tidy estimates: one row per parameter."""
        ci = self.conf_int(alpha)
        return pd.DataFrame(
            {
                "model": self.spec.name or "",
                "estimator": self.estimator,
                "outcome": self.outcome,
                "term": list(self.param_names),
                "estimate": self.params_,
                "std_error": self.bse.to_numpy(),
                "statistic": self.tvalues.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "conf_low": ci["lower"].to_numpy(),
                "conf_high": ci["upper"].to_numpy(),
                "nobs": self.nobs,
                "n_events": self.n_events,
                "first_year": self.years[0] if self.years else None,
                "last_year": self.years[1] if self.years else None,
                "covariance": self.cov_type,
            }
        )

    # -- predictions ---------------------------------------------------------------
    def _x(self, frame: pd.DataFrame, lag: bool) -> np.ndarray:
        return model_matrix(frame, self.info, lag=lag).to_numpy(dtype=float)

    def _prob(self, X: np.ndarray, B: np.ndarray, frame: pd.DataFrame, baseline: str) -> np.ndarray:
        """Probabilities for coefficient draws ``B`` (m, k) -> (m, rows[, categories])."""
        return self.model.probability(self, X, B, frame, baseline)

    def with_cluster(self, cluster: str) -> Results:
        """The same estimates with the covariance of another clustering option computed by
        ``fit(..., also_clusters=...)``."""
        if cluster == self.spec.cluster:
            return self
        if cluster not in self.alternatives:
            raise ModelError(f"{self.estimator}: no covariance for cluster = {cluster!r}; fit with "
                             f"also_clusters=[{cluster!r}] (available: {', '.join(sorted(self.alternatives)) or 'none'})")
        alt = self.alternatives[cluster]
        return dataclasses.replace(self, spec=dataclasses.replace(self.spec, cluster=cluster), cov_=alt.cov,
                                   cov_type=alt.cov_type, alternatives={})

    def without_alternatives(self) -> Results:
        """The same results without the covariances of ``also_clusters`` (as a fit without them)."""
        return dataclasses.replace(self, alternatives={}) if self.alternatives else self

    def probabilities(self, X: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        """Point probabilities for a design matrix ``X`` already in ``info.x_names`` order;
        ``frame`` supplies what the link needs besides X (Cox: the row's duration or year)."""
        return self._prob(np.asarray(X, dtype=float), self.params_[None, :], frame, "mean")[0]

    def predict(self, frame: pd.DataFrame, *, lag: bool = False, baseline: str = "mean") -> pd.Series | pd.DataFrame:
        """Predicted onset probabilities for the rows of ``frame``.

        ``frame`` holds the explanatory values (scenarios); with ``lag=True`` it holds
        panel rows and the covariates are lagged within dyad as in fitting.  Cox: one-year
        probability ``1 - exp(-h0 * exp(x'b))``; on the duration scale ``h0`` is the smoothed
        Breslow baseline at the row's own duration; on calendar time it is the mean yearly
        increment over ``cox_baseline_years`` (``baseline="mean"``) or the increment of the
        row's own year (``baseline="year"``, falling back to that mean).  LPM: linear
        prediction including the estimated dyad and year effects where known (0 otherwise),
        not clipped to [0, 1].  Multinomial logit: a frame with one column per category.
        """
        X = self._x(frame, lag)
        p = self._prob(X, self.params_[None, :], frame, baseline)[0]
        if self.model.categories:
            return pd.DataFrame(p, index=frame.index, columns=list(self.model.categories))
        return pd.Series(p, index=frame.index, name="probability")

    def simulate(self, frame: pd.DataFrame, n: int = 1000, seed: int | None = 0, *, lag: bool = False,
                 baseline: str = "mean") -> np.ndarray:
        """Simulated probabilities (King, Tomz and Wittenberg 2000).

        Draws ``n`` coefficient vectors from MVN(params, cov_params) and returns an array
        of shape ``(n, len(frame))`` (``(n, len(frame), 3)`` for the multinomial logit).
        The Cox baseline hazard and LPM effects are held at their estimates.
        """
        X = self._x(frame, lag)
        rng = np.random.default_rng(seed)
        B = rng.multivariate_normal(self.params_, self.cov_, size=n, method="eigh")
        return self._prob(X, B, frame, baseline)

    def survival(self, frame: pd.DataFrame, *, lag: bool = False, baseline: str = "year") -> pd.Series:
        """Probability of no onset through each row, reading the rows as successive years
        of one dyad: ``cumprod(1 - p)`` (for Cox, ``exp(-cumsum(h0 exp(x'b)))``)."""
        p = self.model.event_probability(self.predict(frame, lag=lag, baseline=baseline).to_numpy())
        return pd.Series(np.cumprod(1 - p), index=frame.index, name="survival")

    # -- text --------------------------------------------------------------------
    def summary(self, alpha: float = 0.05) -> str:
        s = self.spec
        width = 86
        tc = {"none": "none", "cubic": f"cubic in t = {self.info.duration} (t, t^2/100, t^3/1000)",
              "spline": f"natural cubic spline in t = {self.info.duration}, knots {list(self.info.knots)}"}[self.info.time_controls]
        lines = [
            f"Onset model: {CATALOG[self.estimator].label if self.estimator in CATALOG else self.estimator}".center(width),
            "=" * width,
            f"Model:          {s.name or '(unnamed)'}   [estimator '{self.estimator}']",
            f"Outcome:        {self.outcome}",
            f"Risk set:       {self.risk_set}",
            f"Sample:         {s.describe_sample()}",
            f"Outcome years:  {self.years[0]}-{self.years[1]}" if self.years else "Outcome years:  (not recorded)",
            f"Covariates:     measured in year t-{s.lag} (lagged within dyad)" if s.lag else "Covariates:     measured in year t",
            f"Time controls:  {tc}",
            f"Period effects: {self.info.period_effects}"
            + (f" ({len(self.info.periods)} dummies)" if self.info.periods else ""),
            f"Covariance:     {self.cov_type}",
            f"Observations:   {self.nobs:<12d} Events: {self.n_events:<10d} Dyads: {self.n_groups}",
            f"Log-lik:        {self.llf:<12.4f} Converged: {'yes' if self.converged else 'NO'}"
            + (f" ({self.iterations} iterations)" if self.iterations is not None else "")
            if self.llf is not None else f"Converged:      {'yes' if self.converged else 'NO'}",
        ]
        if self.panel_sha256:
            lines.append(f"Panel SHA-256:  {self.panel_sha256}")
        lo, hi = f"[{alpha / 2:.3f}", f"{1 - alpha / 2:.3f}]"
        lines += ["-" * width, f"{'':<26}{'coef':>10}{'std err':>10}{'z':>9}{'P>|z|':>8}{lo:>11}{hi:>11}", "-" * width]
        ci = self.conf_int(alpha)
        for i, name in enumerate(self.param_names):
            se = math.sqrt(self.cov_[i, i])
            z = self.params_[i] / se if se > 0 else float("nan")
            p = 2 * stats.norm.sf(abs(z))
            lines.append(f"{name[:25]:<26}{self.params_[i]:>10.4f}{se:>10.4f}{z:>9.3f}{p:>8.3f}"
                         f"{ci.iloc[i, 0]:>11.4f}{ci.iloc[i, 1]:>11.4f}")
        lines.append("=" * width)
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(self.summary())

    # -- persistence ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "estimator": self.estimator,
            "spec": self.spec.to_dict(),
            "outcome": self.outcome,
            "param_names": list(self.param_names),
            "params": self.params_.tolist(),
            "cov": self.cov_.tolist(),
            "cov_type": self.cov_type,
            "nobs": self.nobs,
            "n_events": self.n_events,
            "n_groups": self.n_groups,
            "llf": self.llf,
            "converged": self.converged,
            "iterations": self.iterations,
            "info": self.info.to_dict(),
            "risk_set": self.risk_set,
            "notes": list(self.notes),
            "panel_sha256": self.panel_sha256,
            "years": list(self.years) if self.years else None,
            "status": self.status,
            "alternatives": {c: v.to_dict() for c, v in self.alternatives.items()},
            "model_based": self.model_based.to_dict() if self.model_based else None,
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "effects": self.effects.to_dict() if self.effects else None,
            "bias": self.bias,
            "category_counts": self.category_counts,
        }

    def save(self, path: str | Path) -> Path:
        """Write the results (spec, estimates, covariance, panel hash) as JSON."""
        return write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Results:
        if d.get("format") != FORMAT:
            raise SpecError(f"not a saved results file (format {d.get('format')!r}, expected {FORMAT!r})")
        spec = dict(d["spec"])
        spec.setdefault("time_scale", "calendar")  # results saved before the duration scale existed
        typed = _typed_parts(d)
        return cls(
            estimator=d["estimator"], spec=Spec.from_dict(spec), outcome=d["outcome"],
            param_names=tuple(d["param_names"]), params_=np.array(d["params"]), cov_=np.array(d["cov"]),
            cov_type=d["cov_type"], nobs=d["nobs"], n_events=d["n_events"], n_groups=d["n_groups"],
            llf=d["llf"], converged=d["converged"], iterations=d["iterations"],
            info=DesignInfo.from_dict(d["info"]), risk_set=d["risk_set"], notes=tuple(d["notes"]),
            panel_sha256=d["panel_sha256"], years=tuple(d["years"]) if d.get("years") else None,
            status=d.get("status"), **typed,
        )

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """Read results written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:  # a bad input file (exit 3), not a model error
            raise SpecError(f"{path}: not a readable saved result ({exc})") from exc
        if not isinstance(data, dict):
            raise SpecError(f"{path}: not a saved result (expected a JSON object)")
        return cls.from_dict(data)


def _typed_parts(d: dict[str, Any]) -> dict[str, Any]:
    """The estimator-specific parts of a saved result, from the typed keys or, in files written
    with one free-form ``extra`` dictionary, from that dictionary's keys."""
    if "extra" not in d:
        return {"alternatives": {c: Covariance.from_dict(v) for c, v in (d.get("alternatives") or {}).items()},
                "model_based": Covariance.from_dict(d["model_based"]) if d.get("model_based") else None,
                "baseline": CoxBaseline.from_dict(d["baseline"]) if d.get("baseline") else None,
                "effects": TwoWayEffects.from_dict(d["effects"]) if d.get("effects") else None,
                "bias": d.get("bias"), "category_counts": d.get("category_counts")}
    extra = d["extra"] or {}
    return {"alternatives": {c: Covariance.from_dict(v) for c, v in (extra.get("alt_cov") or {}).items()},
            "model_based": (Covariance(np.asarray(extra["naive_cov"], dtype=float), "model-based (inverse information)")
                            if "naive_cov" in extra else None),
            "baseline": CoxBaseline.from_dict(extra) if "baseline" in extra else None,
            "effects": TwoWayEffects.from_dict(extra) if "dyad_effects" in extra else None,
            "bias": extra.get("bias"), "category_counts": extra.get("category_counts")}


def load(path: str | Path) -> Results:
    """Read results written by :meth:`Results.save`."""
    return Results.load(path)


#: the significance stars of :func:`compare` (two-sided p-values of each column's own covariance)
STAR_LEGEND = "* p < 0.05, ** p < 0.01, *** p < 0.001 (two-sided, each column's own covariance); standard errors in parentheses"


def compare(results: Sequence[Results], names: Sequence[str] | None = None, *, digits: int = 3,
            stars: bool = True) -> pd.DataFrame:
    """Side-by-side table: coefficient with stars over its standard error in brackets.

    Rows are the union of parameter names (first-seen order) followed by the number of
    observations, events, the outcome, its years and the covariance type; columns are
    ``names`` or ``"<spec name> <estimator>"``. Stars: :data:`STAR_LEGEND`.
    """
    results = list(results)
    if not results:
        raise ModelError("compare() needs at least one Results")
    if names is None:
        names = [f"{r.spec.name} {r.estimator}".strip() for r in results]
    if len(names) != len(results):
        raise ModelError(f"compare(): {len(names)} names for {len(results)} results")
    terms = list(dict.fromkeys(t for r in results for t in r.param_names))
    table: dict[str, list[str]] = {}
    for name, r in zip(names, results):
        b, se, p = r.params, r.bse, r.pvalues
        col = []
        for t in terms:
            if t in b.index:
                star = ("***" if p[t] < 0.001 else "**" if p[t] < 0.01 else "*" if p[t] < 0.05 else "") if stars else ""
                col += [f"{b[t]:.{digits}f}{star}", f"({se[t]:.{digits}f})"]
            else:
                col += ["", ""]
        years = f"{r.years[0]}-{r.years[1]}" if r.years else ""
        col += [str(r.nobs), str(r.n_events), r.outcome, years, r.cov_type.split(";")[0].split(" (")[0]]
        table[name] = col
    index = [x for t in terms for x in (t, "")] + ["Observations", "Events", "Outcome", "Years", "Covariance"]
    return pd.DataFrame(table, index=index)
