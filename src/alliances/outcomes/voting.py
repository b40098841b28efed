"""Alignment measured by behaviour: when a dyad counts as aligned in UN General Assembly voting,
and when that alignment begins.

**Definition.** A dyad *becomes aligned in voting* in a year when its ideal-point distance is
among the closest tenth of all dyads of that year (``unga_distance_pct <= 10``; ``_fp`` variants
from final-passage votes), and *stays aligned* until a year in which it falls outside the
closest quarter (percentile > 25); between the two thresholds the status of the dyad's latest
year outside that band holds (a year with an unknown percentile in between is skipped). Why:

- Ideal points, not raw agreement: Bailey, Strezhnev and Voeten (2017) estimate positions on a
  scale made comparable over time, so a year with many Middle East or Ukraine votes does not
  read as a change of alignment; raw agreement and Gartzke's affinity move with the agenda.
- A rank, not a fixed distance: the spread of the distribution still changes from year to year
  (membership, polarisation of the assembly), so a fixed cut-off would call most dyads aligned
  in a consensual year. The rank within the year is robust to that drift (theory.md).
- Two thresholds, not one: yearly estimates are noisy, and a dyad near a single cut-off would
  "begin" an alignment every other year. With one cut-off at the closest tenth, 42% of aligned
  dyad-years are aligned the next year (about 50,000 onsets in 1947-2024); with entry at the
  tenth and exit past the quarter, 78-79% are (about 33,000 onsets). The thresholds are this
  package's stated convention (:data:`ENTER_PERCENTILE`, :data:`EXIT_PERCENTILE`), not a
  published cut-off; the distances and percentiles are in the panel for any other rule.

**Onset** follows the treaty outcomes' rule (:mod:`alliances.outcomes.onsets`): aligned this year
and not aligned the year before, where a dyad with no row in the previous year counts as not
aligned there. It is **missing** (never 0) where this year's status is unknown (no estimate for
one of the states, or a year outside the source: 1964, the assembly's session without
recorded votes, and everything outside 1946-2024) and where the previous year's status is
unknown although the dyad existed (the first UN year of a dyad is left out, not counted).

**Duration** (the time controls' clock): years since the dyad was last aligned before this
year, or, if it has not been since its first year with a known status, since the year before that.
It looks only backwards, so it is also known in the year after the last known status (2025 for
final-passage votes), where a one-year-ahead forecast needs it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column
from alliances.dyads.panel import previous_row_is_last_year, with_columns
from alliances.outcomes.onsets import years_since

#: a dyad becomes aligned in voting when its distance percentile among the year's dyads is at most this ...
ENTER_PERCENTILE = 10.0
#: ... and stays aligned until its percentile exceeds this
EXIT_PERCENTILE = 25.0

_LABEL = {"": "all recorded votes (to 2023)", "_fp": "final-passage votes only (to 2024)"}
_EXT = "missing (null) where the distance percentile is unknown (a state without an estimate, 1964, outside 1946-2024)"


def _columns() -> list[Column]:
    cols = []
    for sfx, label in _LABEL.items():
        cols += [
            Column(f"unga_aligned{sfx}", "Int8", f"1 if the dyad is aligned in UN voting ({label}): it entered the "
                   f"closest tenth of the year's dyads (unga_distance{sfx}_pct <= {ENTER_PERCENTILE:g}) and has not "
                   f"since left the closest quarter (pct > {EXIT_PERCENTILE:g}); alliances.outcomes.voting",
                   sources=("unga",), extension=_EXT),
            Column(f"unga_onset{sfx}", "Int8", f"1 if the dyad is aligned in UN voting this year (unga_aligned{sfx}) "
                   "and was not the year before (a dyad without a row the year before counts as not aligned); "
                   "missing where either year's status is unknown", sources=("unga",), extension=_EXT),
            Column(f"unga_duration{sfx}", "Int16", f"years since the dyad was last aligned in UN voting "
                   f"(unga_aligned{sfx}) before this year, or since the year before its first year with a known "
                   "status; the time scale of unga_onset models. Known also in the year after a known status (it "
                   "looks back only)", unit="years", sources=("unga",), extension=_EXT),
        ]
    return cols


COLUMNS = _columns()
#: the outcomes -> (status column of the risk set, duration column), as :data:`alliances.outcomes.onsets.OUTCOME_COLUMNS`
OUTCOME_COLUMNS = {f"unga_onset{sfx}": (f"unga_aligned{sfx}", f"unga_duration{sfx}") for sfx in _LABEL}


def hysteresis_status(dyad: np.ndarray, percentile: np.ndarray) -> np.ndarray:
    """Aligned (bool) per row (rows sorted by dyad and year): the latest decisive year of the dyad
    (percentile <= ENTER: aligned; > EXIT: not) at or before this row; False before any."""
    known = ~np.isnan(percentile)
    decisive = known & ((percentile <= ENTER_PERCENTILE) | (percentile > EXIT_PERCENTILE))
    index = np.arange(len(percentile))
    latest = np.maximum.accumulate(np.where(decisive, index, -1))
    first_row = np.maximum.accumulate(np.where(np.r_[True, dyad[1:] != dyad[:-1]], index, 0))
    own = latest >= first_row  # the decisive year belongs to this dyad
    return own & (percentile[np.maximum(latest, 0)] <= ENTER_PERCENTILE)


def voting_alignment(panel: pd.DataFrame, percentile: np.ndarray) -> dict[str, pd.arrays.IntegerArray]:
    """Status, onset and duration from one distance-percentile column (rows sorted by dyad and year)."""
    known = ~np.isnan(percentile)
    aligned = known & hysteresis_status(panel["dyad_id"].to_numpy(), percentile)
    had_row = previous_row_is_last_year(panel)
    prev_known = np.r_[False, known[:-1]] & had_row
    prev_aligned = np.r_[False, aligned[:-1]] & had_row
    onset_unknown = ~known | (had_row & ~prev_known)
    rows = np.flatnonzero(known)  # the clock starts at the dyad's first year with a known status
    since = np.zeros(len(panel), dtype=np.int16)
    since[rows] = years_since(panel[["dyad_id", "year"]].iloc[rows], aligned[rows])
    # the clock counts years *before* this one: it is known in a year after a known status too
    # (2025 after the source's 2024), where a forecast needs it
    after = ~known & prev_known
    since[after] = np.where(prev_aligned[after], 1, np.r_[0, since[:-1]][after] + 1)
    return {
        "aligned": pd.arrays.IntegerArray(aligned.astype(np.int8), ~known),
        "onset": pd.arrays.IntegerArray((aligned & ~prev_aligned).astype(np.int8), onset_unknown),
        "duration": pd.arrays.IntegerArray(since, ~(known | after)),
    }


def add_voting_alignment(panel: pd.DataFrame) -> pd.DataFrame:
    """Add :data:`COLUMNS` from the ``unga_distance_pct`` columns (undirected panel, sorted)."""
    cols = {}
    for sfx in _LABEL:
        out = voting_alignment(panel, panel[f"unga_distance{sfx}_pct"].to_numpy(dtype="float64"))
        cols.update({f"unga_{k}{sfx}": v for k, v in out.items()})
    return with_columns(panel, cols, [c.name for c in COLUMNS])
