"""One read-only results object for every onset estimator, plus :func:`compare`."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from alliances.errors import AlliancesError

from .catalog import CATALOG
from .design import MLOGIT_CATEGORIES, DesignInfo, model_matrix
from .errors import ModelError
from .spec import Spec

FORMAT = "alliances.models.Results/1"



@dataclass(frozen=True, eq=False, repr=False)
class Results:
    """Estimates of one onset model.

    Built once by :func:`alliances.models.fit` and read-only afterwards.  ``params``,
    ``bse``, ``pvalues``, ``cov_params()`` and ``conf_int()`` are pandas objects indexed by
    parameter name (``"<category>:<name>"`` for the multinomial logit).  Test statistics
    and p-values use the normal distribution for every estimator.
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
    extra: dict[str, Any] = field(default_factory=dict)
    years: tuple[int, int] | None = None  # first and last outcome year in the estimation sample
    status: str | None = None  # status column whose t-1 value defines the risk set (None: every dyad-year)

    def __post_init__(self) -> None:
        for name in ("params_", "cov_"):
            arr = np.array(getattr(self, name), dtype=float)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

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
        est = self.estimator
        if est == "clogit":
            raise ModelError(
                "the conditional logit does not estimate the dyad effects, so it has no absolute "
                "probabilities; use exp(params) as odds ratios, or predict with logit/firth/relogit/cloglog/cox"
            )
        if est == "mlogit":
            k = X.shape[1]
            eta = np.stack([X @ B[:, :k].T, X @ B[:, k:].T], axis=-1).transpose(1, 0, 2)  # (m, rows, 2)
            eta = np.concatenate([np.zeros(eta.shape[:2] + (1,)), eta], axis=-1)
            eta -= eta.max(axis=-1, keepdims=True)
            e = np.exp(eta)
            return e / e.sum(axis=-1, keepdims=True)
        eta = (X @ B.T).T  # (m, rows)
        if est in ("logit", "firth", "relogit"):
            return expit(eta)
        if est == "cloglog":
            return -np.expm1(-np.exp(eta))
        if est == "cox":
            h0 = self._baseline(frame, baseline)
            return -np.expm1(-h0[None, :] * np.exp(eta))
        if est == "lpm":
            return eta + self._lpm_effects(frame)[None, :]
        raise ModelError(f"no prediction rule for estimator {est!r}")

    def _baseline(self, frame: pd.DataFrame, baseline: str) -> np.ndarray:
        """One-year baseline hazard of each row (Cox)."""
        if self.extra.get("time_scale", "calendar") == "duration":
            table = self.extra["baseline_smoothed"]
            h0 = np.asarray(table["h0"], dtype=float)
            d = pd.to_numeric(frame[self.info.duration], errors="coerce").to_numpy(dtype=float) \
                if self.info.duration in frame.columns else None
            if d is None:
                raise ModelError(f"a Cox model on the duration scale needs {self.info.duration!r} in the frame")
            idx = np.clip(np.nan_to_num(d, nan=1).astype(int), 1, len(h0)) - 1
            return h0[idx]
        per_year = float(self.extra["baseline_hazard_per_year"])
        if baseline == "mean":
            return np.full(len(frame), per_year)
        if baseline == "year":
            if "year" not in frame.columns:
                raise ModelError("baseline='year' needs a year column in the frame")
            base = self.extra["baseline"]
            table = dict(zip(base.get("time", base.get("year", [])), base["dH0"]))  # "year": files before 0.2
            return np.array([table.get(int(y), per_year) for y in frame["year"]], dtype=float)
        raise ModelError(f"baseline must be 'mean' or 'year', got {baseline!r}")

    def _lpm_effects(self, frame: pd.DataFrame) -> np.ndarray:
        eff = np.zeros(len(frame))
        for col, key in (("dyad_id", "dyad_effects"), ("year", "year_effects")):
            table = self.extra.get(key, {})
            if col in frame.columns and table:
                eff += np.array([table.get(str(int(v)), 0.0) for v in frame[col]], dtype=float)
        return eff

    def with_cluster(self, cluster: str) -> "Results":
        """The same estimates with the covariance of another clustering option computed by
        ``fit(..., also_clusters=...)``."""
        import dataclasses

        if cluster == self.spec.cluster:
            return self
        alt = self.extra.get("alt_cov", {})
        if cluster not in alt:
            raise ModelError(f"{self.estimator}: no covariance for cluster = {cluster!r}; fit with "
                             f"also_clusters=[{cluster!r}] (available: {', '.join(sorted(alt)) or 'none'})")
        extra = {k: v for k, v in self.extra.items() if k != "alt_cov"}
        return dataclasses.replace(self, spec=dataclasses.replace(self.spec, cluster=cluster),
                                   cov_=np.array(alt[cluster]["cov"]), cov_type=alt[cluster]["cov_type"], extra=extra)

    def without_alternatives(self) -> "Results":
        """The same results without the covariances of ``also_clusters`` (as a fit without them)."""
        import dataclasses

        if "alt_cov" not in self.extra:
            return self
        return dataclasses.replace(self, extra={k: v for k, v in self.extra.items() if k != "alt_cov"})

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
        if self.estimator == "mlogit":
            return pd.DataFrame(p, index=frame.index, columns=list(MLOGIT_CATEGORIES))
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
        if self.estimator == "mlogit":
            p = self.predict(frame, lag=lag).iloc[:, 1:].sum(axis=1).to_numpy()
        else:
            p = self.predict(frame, lag=lag, baseline=baseline).to_numpy()
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
            "extra": self.extra,
            "years": list(self.years) if self.years else None,
            "status": self.status,
        }

    def save(self, path: str | Path) -> Path:
        """Write the results (spec, estimates, covariance, panel hash) as JSON."""
        from alliances.analysis.report import write_text_atomic

        return write_text_atomic(Path(path), json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Results":
        if d.get("format") != FORMAT:
            raise ModelError(f"not a saved results file (format {d.get('format')!r}, expected {FORMAT!r})")
        spec = dict(d["spec"])
        spec.setdefault("time_scale", "calendar")  # results saved before the duration scale existed
        return cls(
            estimator=d["estimator"], spec=Spec.from_dict(spec), outcome=d["outcome"],
            param_names=tuple(d["param_names"]), params_=np.array(d["params"]), cov_=np.array(d["cov"]),
            cov_type=d["cov_type"], nobs=d["nobs"], n_events=d["n_events"], n_groups=d["n_groups"],
            llf=d["llf"], converged=d["converged"], iterations=d["iterations"],
            info=DesignInfo.from_dict(d["info"]), risk_set=d["risk_set"], notes=tuple(d["notes"]),
            panel_sha256=d["panel_sha256"], extra=d["extra"],
            years=tuple(d["years"]) if d.get("years") else None, status=d.get("status"),
        )

    @classmethod
    def load(cls, path: str | Path) -> "Results":
        """Read results written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:  # a bad input file (exit 3), not a model error
            raise AlliancesError(f"{path}: not a readable saved result ({exc})") from exc
        if not isinstance(data, dict):
            raise AlliancesError(f"{path}: not a saved result (expected a JSON object)")
        return cls.from_dict(data)


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
