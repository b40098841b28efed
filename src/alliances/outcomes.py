"""Status, onsets and duration counters of each tie type (theory.md).

Status outcomes count the *status switching on* in the dyad; ``*_new`` outcomes count the
*signing of a new agreement* whatever the status (a dyad can sign a new defence pact while
an older one is in force: the 1950 Sino-Soviet treaty replaced the 1945 one). Peacetime
variants (``*_peace``) ignore agreements ATOP codes ``wartime = 1``.

Onset rule: status is 1 this year and 0 in the previous year, where a dyad with no row in
the previous year (first year, or re-entry after a gap) counts as 0 there. Onsets in a
dyad's first year are therefore left-censored; ``dyad_first_year`` lets users drop them.

Duration: ``years_since_X`` = year minus the last earlier year with X in force, or minus
(the dyad's first panel year - 1) if X was never in force; so the first year at risk
after a spell (or after entry) is 1. Squares and cubes follow Carter and Signorino (2010).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codebook import Column
from .panel import previous_row_is_last_year

ATOP = ("atop_members",)
EXT = "follows the carried-forward ATOP ties past coverage"

_STATUS = {  # name -> (level test on the tie level code 0..3, description)
    "alliance": (lambda lv: lv == 3, "an alliance (defense or offense obligation) is in force"),
    "alignment": (lambda lv: lv == 2, "an alignment (consultation obligation without defense/offense) is in force"),
    "any_tie": (lambda lv: lv >= 1, "any ATOP obligation (alliance, alignment or coordination) is in force"),
}
_ONSET_NAME = {"alliance": "alliance_onset", "alignment": "alignment_onset", "any_tie": "tie_onset"}
_SINCE_NAME = {"alliance": "years_since_alliance", "alignment": "years_since_alignment", "any_tie": "years_since_tie"}


def _columns() -> list[Column]:
    cols: list[Column] = []
    for peace in ("", "_peace"):
        note = " (peacetime agreements only: ATOP wartime = 0)" if peace else ""
        for status, (_, desc) in _STATUS.items():
            cols.append(Column(f"{status}{peace}", "int8", f"1 if {desc}{note}", sources=ATOP, extension=EXT))
        for status in _STATUS:
            cols.append(Column(
                f"{_ONSET_NAME[status]}{peace}", "int8",
                f"1 if `{status}{peace}` is 1 this year and was 0 (or the dyad absent) the previous year{note}",
                sources=ATOP, extension=EXT))
        cols.append(Column(f"alliance_new{peace}", "int8",
                           "1 if an agreement with a defense or offense obligation in the dyad enters into force "
                           f"this year (first year of that atopid at alliance level), whatever the status{note}",
                           sources=ATOP, extension=EXT))
        cols.append(Column(f"alignment_new{peace}", "int8",
                           "1 if an agreement with a consultation obligation but no defense/offense obligation in "
                           f"the dyad enters into force this year{note}", sources=ATOP, extension=EXT))
    for status in _STATUS:
        base = _SINCE_NAME[status]
        cols.append(Column(base, "int16", f"years since `{status}` was last in force in the dyad, or since the "
                           "dyad entered the panel (first year at risk = 1)", unit="years", sources=ATOP,
                           extension=EXT))
        cols.append(Column(f"{base}2", "int32", f"{base} squared", unit="years^2", sources=ATOP, extension=EXT))
        cols.append(Column(f"{base}3", "int64", f"{base} cubed", unit="years^3", sources=ATOP, extension=EXT))
    for status in _STATUS:
        cols.append(Column(f"{_SINCE_NAME[status]}_peace", "int16", f"years since `{status}_peace` was last in "
                           "force (peacetime agreements only), or since the dyad entered the panel; the duration "
                           "counter of the peacetime outcomes", unit="years", sources=ATOP, extension=EXT))
    return cols


COLUMNS = _columns()


def years_since(frame: pd.DataFrame, status: np.ndarray) -> np.ndarray:
    """Years since ``status`` was last 1 in the dyad before this row (rows sorted by dyad, year)."""
    dyad = frame["dyad_id"].to_numpy()
    year = frame["year"].to_numpy().astype(np.int64)
    new_dyad = np.r_[True, dyad[1:] != dyad[:-1]]
    rank = np.cumsum(new_dyad) - 1
    first = year[np.maximum.accumulate(np.where(new_dyad, np.arange(len(year)), 0))]
    shift = rank * 100_000  # separates dyads so one running max serves all of them
    value = shift + np.where(status, year, first - 1)
    running = np.maximum.accumulate(value)
    before = np.r_[0, running[:-1]]
    ref = np.where(new_dyad, shift + first - 1, before)
    return (year - (ref - shift)).astype(np.int16)


def add_outcomes(panel: pd.DataFrame) -> pd.DataFrame:
    """Add status, onset and duration columns from the tie levels set by ``ties.orient``."""
    had_row = previous_row_is_last_year(panel)
    new_cols: dict[str, np.ndarray] = {}
    for peace in ("", "_peace"):
        level = panel[f"_level{peace}"].to_numpy()
        for status, (test, _) in _STATUS.items():
            on = test(level)
            prev = np.r_[False, on[:-1]] & had_row
            new_cols[f"{status}{peace}"] = on.astype(np.int8)
            new_cols[f"{_ONSET_NAME[status]}{peace}"] = (on & ~prev).astype(np.int8)
            since = years_since(panel, on)
            base = _SINCE_NAME[status]
            if peace:
                new_cols[f"{base}_peace"] = since
            else:
                new_cols[base] = since
                new_cols[f"{base}2"] = since.astype(np.int32) ** 2
                new_cols[f"{base}3"] = since.astype(np.int64) ** 3
    out = panel.drop(columns=["_level", "_level_peace"])
    return pd.concat([out, pd.DataFrame(new_cols, index=out.index)], axis=1)
