"""UN General Assembly ideal points by state and dyad-year (Bailey, Strezhnev and Voeten 2017).

Source (citation key ``unga``): Voeten's release of 28 July 2025 of the ideal points estimated
with the method of Bailey, Strezhnev and Voeten (2017, *Journal of Conflict Resolution*
61(2)), Harvard Dataverse doi:10.7910/DVN/LEJUQZ: one position per state and year on a scale
made comparable over time, from all recorded votes (``idealpointall``, 1946-2023) and from
final-passage votes only (``idealpointfp``, 1946-2024), each with posterior quantiles. A
state absent in a year (no votes cast, or not a member: the People's Republic of China from
1971) has no row.

Rules (applied by :func:`unga_dyad_years`):

- **Ideal points** of each state, all votes and final-passage votes, as published; missing
  where the state has no estimate that year, and past the source's coverage (rule ``missing``).
- **Distance** ``|ideal(ccode1) - ideal(ccode2)|``, missing when either is.
- **Interval** (90%): each state's posterior is approximated as normal with the published
  point estimate as centre and standard deviation ``(q95 - q5) / (2 x 1.645)``; the two are
  taken as independent, so the difference has standard deviation ``sqrt(sd1^2 + sd2^2)``;
  the interval of the difference ``d +- 1.645 sd`` is folded onto the absolute value (0 when
  it contains 0).
- **Percentile** among all dyads of the panel year with a distance: the mid-rank share of
  those dyads (0 = the closest pair of the year, 100 = the farthest; ties share the mean
  rank). Changes of agenda move every distance of a year; the rank does not (theory.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from alliances.column import Column, pair
from alliances.dyads.context import MISSING, BuildContext
from alliances.dyads.keys import positions, take, year_key
from alliances.dyads.panel import with_columns
from alliances.sources.registry import span

Z90 = float(norm.ppf(0.95))  # 1.645: the 5th and 95th posterior percentiles bound a 90% interval

#: measure suffix -> (ideal-point column, low and high posterior quantile columns, label)
MEASURES = {
    "": ("idealpointall", "q5all", "q95all", "all recorded votes"),
    "_fp": ("idealpointfp", "q5fp", "q95fp", "final-passage votes only"),
}
_COV = span("unga")
_EXT = (f"missing (null) outside the source's years ({_COV}; all-votes estimates end in 2023) and where a state "
        "has no estimate that year; rule missing")


def _columns() -> list[Column]:
    cols: list[Column] = []
    for suffix, (source_col, _, _, label) in MEASURES.items():
        cols += pair(f"unga_ideal{suffix}", "float64",
                     f"UN General Assembly ideal point of {{state}} from {label} (Bailey, Strezhnev and Voeten "
                     f"2017; {source_col})", unit="ideal-point scale", sources=("unga",), extension=_EXT)
    for suffix, (_, _, _, label) in MEASURES.items():
        d = f"unga_distance{suffix}"
        cols += [
            Column(d, "float64", f"UN ideal-point distance |unga_ideal{suffix}1 - unga_ideal{suffix}2| ({label})",
                   unit="ideal-point scale", sources=("unga",), extension=_EXT),
            Column(f"{d}_lo", "float64", f"lower bound of the 90% interval of {d}: each posterior normal from its "
                   "5th/95th percentiles, independent across states; the difference's interval folded onto |d|",
                   unit="ideal-point scale", sources=("unga",), extension=_EXT),
            Column(f"{d}_hi", "float64", f"upper bound of the 90% interval of {d} (see {d}_lo)",
                   unit="ideal-point scale", sources=("unga",), extension=_EXT),
            Column(f"{d}_pct", "float64", f"percentile of {d} among all dyads of the panel year that have one "
                   "(mid-rank: 0 = the year's closest pair, 100 = the farthest); robust to the agenda's drift",
                   unit="percentile 0-100", sources=("unga", "states"), extension=_EXT),
        ]
    return cols


COLUMNS = _columns()
COLUMN_NAMES = [c.name for c in COLUMNS]


def folded_interval(distance: np.ndarray, sd: np.ndarray, z: float = Z90) -> tuple[np.ndarray, np.ndarray]:
    """Interval of |D| from the interval D +- z sd of the signed difference (``distance`` = D); NaN stays NaN."""
    low, high = np.full(len(distance), np.nan), np.full(len(distance), np.nan)
    known = np.flatnonzero(~(np.isnan(distance) | np.isnan(sd)))
    lo, hi = distance[known] - z * sd[known], distance[known] + z * sd[known]
    low[known] = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))
    high[known] = np.maximum(np.abs(lo), np.abs(hi))
    return low, high


def mid_rank_percentile(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Within each group, 100 x (rank - 0.5) / n of each value (average ranks for ties, n the
    group's known values); NaN stays NaN. One sort per group (a year: ~80 groups, not rows)."""
    values, groups = np.asarray(values, dtype="float64"), np.asarray(groups)
    out = np.full(len(values), np.nan)
    known = np.flatnonzero(~np.isnan(values))
    if not len(known):
        return out
    order = known[np.argsort(groups[known], kind="stable")]
    ordered = groups[order]
    bounds = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        rows = order[lo:hi]
        rows = rows[np.argsort(values[rows], kind="stable")]
        x = values[rows]
        start = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])  # first position of each run of ties
        stop = np.r_[start[1:], len(x)]
        block = np.cumsum(np.r_[True, x[1:] != x[:-1]]) - 1
        # rank - 0.5 with ties averaged = (values below + values at or below) / 2
        out[rows] = (50 * (start + stop) / len(x))[block]
    return out


def unga_dyad_years(ideal: pd.DataFrame, dyads: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of :data:`COLUMNS` for the rows of ``dyads`` (``ccode1``, ``ccode2``, ``year``)
    from the state-year ideal points ``ideal`` (the ``unga`` source's columns)."""
    key = year_key(ideal["ccode"], ideal["year"])
    year = dyads["year"].to_numpy()
    pos1 = positions(year_key(dyads["ccode1"], year), key)
    pos2 = positions(year_key(dyads["ccode2"], year), key)
    out: dict[str, np.ndarray] = {}
    for suffix, (point, q_lo, q_hi, _) in MEASURES.items():
        values = pd.to_numeric(ideal[point], errors="coerce").to_numpy(dtype="float64")
        sd = (pd.to_numeric(ideal[q_hi], errors="coerce") - pd.to_numeric(ideal[q_lo], errors="coerce")).to_numpy(
            dtype="float64") / (2 * Z90)
        x1, x2 = take(pos1, values), take(pos2, values)
        d = f"unga_distance{suffix}"
        out[f"unga_ideal{suffix}1"], out[f"unga_ideal{suffix}2"] = x1, x2
        out[d] = np.abs(x1 - x2)
        out[f"{d}_lo"], out[f"{d}_hi"] = folded_interval(x1 - x2, np.hypot(take(pos1, sd), take(pos2, sd)))
        out[f"{d}_pct"] = mid_rank_percentile(out[d], year)
    return {name: out[name] for name in COLUMN_NAMES}


def add_unga(panel: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """Add the UN General Assembly ideal-point columns to an undirected panel (before it is
    made directed: the percentiles rank each undirected dyad once)."""
    ideal = ctx.source("unga").frame
    ctx.extend("unga", MISSING, note="ideal points and distances are missing past the source's years")
    return with_columns(panel, unga_dyad_years(ideal, panel[["ccode1", "ccode2", "year"]]))
