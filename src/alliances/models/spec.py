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
    cluster = "dyad"             # "dyad" or "none"

    [sample]
    years = [1816, 2010]
    great_powers_only = false
    politically_relevant = false
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ModelError

#: onset outcome -> status column whose previous-year value defines the risk set
#: (``None``: a "new agreement" outcome, at risk every year).
OUTCOMES: dict[str, str | None] = {
    "alliance_onset": "alliance",
    "alliance_new": None,
    "alignment_onset": "alignment",
    "alignment_new": None,
    "tie_onset": "any_tie",
    "alliance_onset_peace": "alliance_peace",
    "alignment_onset_peace": "alignment_peace",
    "tie_onset_peace": "any_tie_peace",
    "alliance_new_peace": None,
    "alignment_new_peace": None,
    "cow_defense_onset": "cow_defense",
}

#: onset outcome -> duration column used for the time controls (years since last tie).
DURATION: dict[str, str] = {
    "alliance_onset": "years_since_alliance",
    "alliance_new": "years_since_alliance",
    "alignment_onset": "years_since_alignment",
    "alignment_new": "years_since_alignment",
    "tie_onset": "years_since_tie",
    "alliance_onset_peace": "years_since_alliance_peace",
    "alignment_onset_peace": "years_since_alignment_peace",
    "tie_onset_peace": "years_since_tie_peace",
    "alliance_new_peace": "years_since_alliance_peace",
    "alignment_new_peace": "years_since_alignment_peace",
    "cow_defense_onset": "years_since_cow_defense",
}

RISK_SETS = ("auto", "not_tied_last_year", "all")
TIME_CONTROLS = ("cubic", "spline", "none")
CLUSTERS = ("dyad", "none")
TERM_RE = re.compile(r"^(?:(log|log1p)\((\w+)\)|(\w+))$")


def parse_term(term: str) -> tuple[str | None, str]:
    """Split a covariate term into (transform, column): ``"log(x)" -> ("log", "x")``."""
    m = TERM_RE.match(term.strip())
    if not m:
        raise ModelError(
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
    cluster : ``"dyad"`` (default; the LPM clusters by dyad *and* year) or ``"none"``.
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", tuple(self.covariates))
        if self.years is not None:
            object.__setattr__(self, "years", tuple(int(y) for y in self.years))
        if self.outcome not in OUTCOMES:
            raise ModelError(
                f"outcome {self.outcome!r} is not one of {', '.join(OUTCOMES)}"
            )
        for attr, allowed in (("risk_set", RISK_SETS), ("time_controls", TIME_CONTROLS), ("cluster", CLUSTERS)):
            if getattr(self, attr) not in allowed:
                raise ModelError(f"{attr} must be one of {', '.join(allowed)}, got {getattr(self, attr)!r}")
        if not isinstance(self.lag, int) or self.lag < 0:
            raise ModelError(f"lag must be a non-negative integer, got {self.lag!r}")
        if self.spline_knots not in (3, 4, 5):
            raise ModelError(f"spline_knots must be 3, 4 or 5, got {self.spline_knots!r}")
        if self.years is not None and (len(self.years) != 2 or self.years[0] > self.years[1]):
            raise ModelError(f"years must be [first, last] with first <= last, got {self.years!r}")
        if len(set(self.covariates)) != len(self.covariates):
            raise ModelError(f"covariates are repeated: {list(self.covariates)}")
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
            st = self.outcome.split("_")[0] + ("_peace" if self.peace else "")
        return st

    @property
    def duration(self) -> str:
        """Duration column feeding the time controls."""
        return DURATION[self.outcome]

    @property
    def peace(self) -> bool:
        return self.outcome.endswith("_peace")

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

    # -- (de)serialisation -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["covariates"] = list(self.covariates)
        d["years"] = list(self.years) if self.years is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Spec":
        d = dict(d)
        sample = d.pop("sample", None) or {}
        d.update(sample)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ModelError(f"unknown spec field(s) {unknown}; allowed: {sorted(known)}")
        if "covariates" not in d or "outcome" not in d:
            raise ModelError("a spec needs at least 'outcome' and 'covariates'")
        return cls(**d)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Spec":
        path = Path(path)
        try:
            with path.open("rb") as fh:
                d = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"{path}: not valid TOML ({exc})") from exc
        except OSError as exc:
            raise ModelError(f"{path}: cannot read the specification ({exc.strerror or exc})") from exc
        d.setdefault("name", path.stem)
        try:
            return cls.from_dict(d)
        except ModelError as exc:
            raise ModelError(f"{path}: {exc}") from exc
