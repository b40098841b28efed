"""Model specification: what a methods paragraph says, as a frozen dataclass.

A :class:`Spec` states the outcome, the covariates, the risk set, the covariate lag,
the time controls, the sample restrictions and the clustering.  It can be read from a
small TOML file (see ``analyses/specs/*.toml``)::

    name = "baseline"
    outcome = "alliance_onset"
    covariates = ["cap_ratio", "log_capdist", "contig_land", "log1p(shared_rivals)"]
    lag = 1
    time_controls = "cubic"      # "cubic", "spline" or "none"
    risk_set = "auto"            # "auto", "not_tied_last_year" or "all"
    cluster = "dyad+year"        # "dyad", "year", "dyad+year", "agreement", "dyad+agreement", "none"
    period_effects = "decade"    # "none", "decade" or "year" dummies
    time_scale = "duration"      # Cox only: "duration" (years at risk) or "calendar"

    [sample]
    years = [1816, 2010]
    great_powers_only = false
    politically_relevant = false
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from alliances.config import read_toml
from alliances.covariates import exercises
from alliances.errors import SpecError
from alliances.outcomes import cow_alliance, onsets, ties, voting

from .variance import CLUSTERS

VARIANTS = tuple(v.suffix for v in ties.VARIANTS)  # all agreements, peacetime (ATOP wartime = 0), bilateral
_COLUMNS = {**onsets.OUTCOME_COLUMNS, **cow_alliance.OUTCOME_COLUMNS, **exercises.OUTCOME_COLUMNS,
            **voting.OUTCOME_COLUMNS}
#: onset outcome -> status column whose previous-year value defines the risk set
#: (``None``: a "new agreement" outcome, at risk every year); declared beside each outcome's columns.
OUTCOMES: dict[str, str | None] = {k: status for k, (status, _) in _COLUMNS.items()}
#: onset outcome -> duration column used for the time controls (years since last tie).
DURATION: dict[str, str] = {k: duration for k, (_, duration) in _COLUMNS.items()}

RISK_SETS = ("auto", "not_tied_last_year", "all")
TIME_CONTROLS = ("cubic", "spline", "none")
PERIOD_EFFECTS = ("none", "decade", "year")
TIME_SCALES = ("duration", "calendar")
TERM_RE = re.compile(r"^(?:(log|log1p)\((\w+)\)|(\w+))$")


def parse_term(term: str) -> tuple[str | None, str]:
    """Split a covariate term into (transform, column): ``"log(x)" -> ("log", "x")``."""
    m = TERM_RE.match(term.strip())
    if not m:
        raise SpecError(
            f"covariate {term!r} is not understood; use a column name, 'log(column)' or 'log1p(column)'"
        )
    if m.group(3):
        return None, m.group(3)
    return m.group(1), m.group(2)


@dataclass(frozen=True)
class Spec:
    """An onset-model specification.

    Attributes
    ----------
    outcome : one of :data:`OUTCOMES` (status onsets, "new agreement" outcomes, peacetime
        variants, and ``cow_defense_onset`` from COW Formal Alliances for robustness).  The ``mlogit`` estimator derives its own three-category outcome
        (none / alignment onset / alliance onset) and uses ``outcome`` only to pick the
        peacetime or ordinary variants.
    covariates : column names, optionally wrapped in ``log()`` or ``log1p()``.
    risk_set : ``"auto"`` (status onsets: dyad-years whose dyad did not have the tie in
        force in year t-1, ``<status>_lag == 0``; "new agreement" outcomes: every
        dyad-year), ``"not_tied_last_year"`` or ``"all"``.
    lag : covariates from year t-lag explain the outcome in year t (0 = contemporaneous).
        Lagged within dyad; a lagged value is missing unless the dyad has a row in t-lag.
    time_controls : ``"cubic"`` (t, t^2/100, t^3/1000 with t = years since the dyad's last
        tie, Carter and Signorino 2010), ``"spline"`` (natural cubic spline of t with
        ``spline_knots`` knots at Harrell's quantiles, Beck, Katz and Tucker 1998) or ``"none"``.
    years : inclusive (first, last) outcome years, or ``None`` for all.
    great_powers_only : keep great-power dyads only (``great_power_dyad == 1``).
    politically_relevant : keep contiguous dyads (``1 <= conttype <= max_conttype``) and
        dyads with a major power (``major1 == 1 or major2 == 1``).
    cluster : one of ``variance.CLUSTERS`` (see :mod:`.variance`): ``"dyad"`` (default),
        ``"year"``, ``"dyad+year"`` (two-way, Cameron, Gelbach and Miller 2011),
        ``"agreement"``, ``"dyad+agreement"`` or ``"none"`` (model-based).
    period_effects : ``"none"``, ``"decade"`` or ``"year"``: dummies for the outcome year's
        decade or year (the first period is the reference; periods without an event are
        dropped with their rows, since their coefficient would be minus infinity).
    time_scale : Cox only. ``"duration"`` (default): the time scale is years at risk since
        the dyad's last tie or entry (the ``duration`` column), so each prediction uses the
        baseline hazard at the dyad's own duration, smoothed over ``cox_baseline_window``
        durations. ``"calendar"``: calendar years; predictions use the mean yearly baseline
        hazard of ``cox_baseline_years`` (default: the last 20 estimation years).
    """

    outcome: str
    covariates: tuple[str, ...]
    name: str = ""
    risk_set: str = "auto"
    lag: int = 1
    time_controls: str = "cubic"
    spline_knots: int = 3
    years: tuple[int, int] | None = None
    great_powers_only: bool = False
    politically_relevant: bool = False
    max_conttype: int = 1
    cluster: str = "dyad"
    period_effects: str = "none"
    time_scale: str = "duration"
    cox_baseline_years: tuple[int, int] | None = None
    cox_baseline_window: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", tuple(self.covariates))
        for attr in ("years", "cox_baseline_years"):
            if getattr(self, attr) is not None:
                object.__setattr__(self, attr, tuple(int(y) for y in getattr(self, attr)))
        if self.outcome not in OUTCOMES:
            raise SpecError(
                f"outcome {self.outcome!r} is not one of {', '.join(OUTCOMES)}"
            )
        for attr, allowed in (("risk_set", RISK_SETS), ("time_controls", TIME_CONTROLS), ("cluster", CLUSTERS),
                               ("period_effects", PERIOD_EFFECTS), ("time_scale", TIME_SCALES)):
            if getattr(self, attr) not in allowed:
                raise SpecError(f"{attr} must be one of {', '.join(allowed)}, got {getattr(self, attr)!r}")
        if not isinstance(self.lag, int) or self.lag < 0:
            raise SpecError(f"lag must be a non-negative integer, got {self.lag!r}")
        if self.spline_knots not in (3, 4, 5):
            raise SpecError(f"spline_knots must be 3, 4 or 5, got {self.spline_knots!r}")
        for attr in ("years", "cox_baseline_years"):
            value = getattr(self, attr)
            if value is not None and (len(value) != 2 or value[0] > value[1]):
                raise SpecError(f"{attr} must be [first, last] with first <= last, got {list(value)!r}")
        if not isinstance(self.cox_baseline_window, int) or self.cox_baseline_window < 1:
            raise SpecError(f"cox_baseline_window must be a positive integer, got {self.cox_baseline_window!r}")
        if len(set(self.covariates)) != len(self.covariates):
            raise SpecError(f"covariates are repeated: {list(self.covariates)}")
        for term in self.covariates:
            parse_term(term)

    # -- derived -------------------------------------------------------------------
    @property
    def status(self) -> str | None:
        """Status column whose lag defines the risk set (``None`` = every dyad-year)."""
        if self.risk_set == "all":
            return None
        st = OUTCOMES[self.outcome]
        if st is None and self.risk_set == "not_tied_last_year":
            st = self.outcome.split("_")[0] + self.variant
        return st

    @property
    def duration(self) -> str:
        """Duration column feeding the time controls."""
        return DURATION[self.outcome]

    @property
    def peace(self) -> bool:
        return self.outcome.endswith("_peace")

    @property
    def variant(self) -> str:
        """``"_peace"``, ``"_bilat"`` or ``""``: which agreements the outcome counts."""
        return next((v for v in VARIANTS[1:] if self.outcome.endswith(v)), "")

    def describe_risk_set(self) -> str:
        st = self.status
        if st is None:
            return "all dyad-years"
        return f"dyad-years without {st} in force in year t-1 ({st}_lag == 0)"

    def describe_sample(self) -> str:
        parts = []
        if self.years is not None:
            parts.append(f"years {self.years[0]}-{self.years[1]}")
        if self.great_powers_only:
            parts.append("great-power dyads")
        if self.politically_relevant:
            parts.append(f"politically relevant dyads (conttype 1-{self.max_conttype} or a major power)")
        return ", ".join(parts) or "all years, all dyads"

    def same_model(self, other: Spec) -> bool:
        """Whether two specifications differ only in name and clustering (one fit serves both)."""
        strip = ("name", "cluster")
        return ({k: v for k, v in self.to_dict().items() if k not in strip}
                == {k: v for k, v in other.to_dict().items() if k not in strip})

    # -- (de)serialisation -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["covariates"] = list(self.covariates)
        d["years"] = list(self.years) if self.years is not None else None
        d["cox_baseline_years"] = list(self.cox_baseline_years) if self.cox_baseline_years is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Spec":
        d = dict(d)
        sample = d.pop("sample", None) or {}
        d.update(sample)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SpecError(f"unknown spec field(s) {unknown}; allowed: {sorted(known)}")
        if "covariates" not in d or "outcome" not in d:
            raise SpecError("a spec needs at least 'outcome' and 'covariates'")
        return cls(**d)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Spec":
        path = Path(path)
        d = read_toml(path, "specification")
        d.setdefault("name", path.stem)
        try:
            return cls.from_dict(d)
        except SpecError as exc:
            raise SpecError(f"{path}: {exc}") from exc
