"""What an estimator's fit returns, as typed records (no free-form dictionaries).

Every fit function in :mod:`.estimators` returns one :class:`Fit`; :func:`alliances.models.fit`
wraps it into :class:`~alliances.models.Results` with the specification, the design's facts and
the panel hash. :class:`FitOptions` carries what a caller asks of a fit besides the
specification (covariances of other clustering options, a logit fit to share), explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .design import DesignInfo


@dataclass(frozen=True)
class Covariance:
    """A covariance matrix of the estimates and the words that say how it was computed."""

    cov: np.ndarray
    cov_type: str

    def to_dict(self) -> dict[str, Any]:
        return {"cov": np.asarray(self.cov).tolist(), "cov_type": self.cov_type}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Covariance:
        return cls(np.asarray(d["cov"], dtype=float), d["cov_type"])


@dataclass(frozen=True)
class CoxBaseline:
    """The Cox model's Breslow baseline hazard and how predictions read it.

    ``time``/``dH0``: the cumulative-hazard increment at each event time (calendar year or
    years at risk); on the calendar scale predictions use ``per_year``, the mean increment over
    ``years``; on the duration scale the increments smoothed over ``window`` neighbouring
    durations (``smoothed_duration``/``smoothed_h0``)."""

    time_scale: str
    time: tuple[int, ...]
    dH0: tuple[float, ...]
    years: tuple[int, int] | None = None
    per_year: float | None = None
    smoothed_duration: tuple[int, ...] = ()
    smoothed_h0: tuple[float, ...] = ()
    window: int | None = None

    def increments(self) -> pd.Series:
        """``dH0`` indexed by event time."""
        return pd.Series(self.dH0, index=list(self.time), dtype=float)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"time_scale": self.time_scale, "baseline": {"time": list(self.time), "dH0": list(self.dH0)}}
        if self.per_year is not None:
            out["baseline_years"] = list(self.years or ())
            out["baseline_hazard_per_year"] = self.per_year
        if self.window is not None:
            out["baseline_smoothed"] = {"duration": list(self.smoothed_duration), "h0": list(self.smoothed_h0),
                                        "window": self.window}
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CoxBaseline:
        base = d["baseline"]
        smooth = d.get("baseline_smoothed") or {}
        return cls(time_scale=d.get("time_scale", "calendar"),
                   time=tuple(int(t) for t in base.get("time", base.get("year", []))),
                   dH0=tuple(float(v) for v in base["dH0"]),
                   years=tuple(d["baseline_years"]) if d.get("baseline_years") else None,
                   per_year=d.get("baseline_hazard_per_year"),
                   smoothed_duration=tuple(int(v) for v in smooth.get("duration", ())),
                   smoothed_h0=tuple(float(v) for v in smooth.get("h0", ())), window=smooth.get("window"))


@dataclass(frozen=True)
class TwoWayEffects:
    """The linear probability model's estimated dyad and year effects (keys: codes as text)."""

    dyad: dict[str, float]
    year: dict[str, float]
    r2_within: float

    def to_dict(self) -> dict[str, Any]:
        return {"dyad_effects": self.dyad, "year_effects": self.year, "r2_two_way_within": self.r2_within}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TwoWayEffects:
        return cls(dict(d["dyad_effects"]), dict(d["year_effects"]), float(d["r2_two_way_within"]))


@dataclass
class SharedLogit:
    """A logit fit of one design kept for the other fits of that design (King-Zeng reuses it;
    Firth and the cloglog start from its estimates): validation fits every model of a window on
    one training design, the logit first."""

    design: Any = None
    key: str | None = None
    fit: tuple | None = None


@dataclass(frozen=True)
class FitOptions:
    """What a caller asks of a fit besides the specification.

    ``also_clusters``: other clustering options whose covariances are computed from the same
    bread and scores (the estimates do not depend on the clustering); ``shared``: a
    :class:`SharedLogit` to reuse across the fits of one design."""

    also_clusters: tuple[str, ...] = ()
    shared: SharedLogit | None = None


@dataclass
class Fit:
    """One estimator's estimates on one design, before they become :class:`Results`.

    ``frame``: the rows that entered the likelihood (clogit: dyads with outcome variation);
    ``info``: the design's facts with the covariates actually estimated (some are absorbed by
    fixed effects or risk sets); ``alternatives``: covariances of ``FitOptions.also_clusters``."""

    names: list[str]
    params: np.ndarray
    covariance: Covariance
    llf: float | None
    iterations: int | None
    frame: pd.DataFrame | None = None
    info: DesignInfo | None = None
    notes: list[str] = field(default_factory=list)
    alternatives: dict[str, Covariance] = field(default_factory=dict)
    model_based: Covariance | None = None
    baseline: CoxBaseline | None = None
    effects: TwoWayEffects | None = None
    bias: dict[str, float] | None = None
    category_counts: dict[str, int] | None = None
