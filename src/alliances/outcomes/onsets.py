"""Status, onsets, duration counters and the agreements behind each onset (theory.md).

Status outcomes count the *status switching on* in the dyad; ``*_new`` outcomes count the
*signing of a new agreement* whatever the status (a dyad can sign a new defence pact while
an older one is in force: the 1950 Sino-Soviet treaty replaced the 1945 one). Each outcome
comes in the variants of :data:`alliances.outcomes.ties.VARIANTS`: all agreements, peacetime only
(``*_peace``: ATOP ``wartime = 0``) and bilateral only (``*_bilat``: ATOP ``bilat = 1``).

Onset rule: status is 1 this year and 0 in the previous year, where a dyad with no row in
the previous year (first year, or re-entry after a gap) counts as 0 there. Onsets in a
dyad's first year are therefore left-censored; ``dyad_first_year`` lets users drop them.

Past ATOP coverage (the release's last year, ``ctx.coverage_end("atop_members")``) ties are
only carried forward and no new agreement is observed, so every onset and new-agreement
outcome is missing (null) there, never 0; status and duration columns are carried forward.

Duration: ``years_since_X`` = year minus the last earlier year with X in force, or minus
(the dyad's first panel year - 1) if X was never in force; so the first year at risk
after a spell (or after entry) is 1. Squares and cubes follow Carter and Signorino (2010).

Onset agreements: on rows where an onset is 1, ``{onset}_agreement`` names the primary
agreement that produced it: among the agreements of the variant's subset in force in the
dyad that year at the onset's level (alliance: the agreement-dyad level is alliance;
alignment: alignment; tie: any obligation), the one with the most member states (distinct
members of the atopid over all its phases), ties broken by the smallest atopid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column
from alliances.dyads.keys import dyad_id, member, year_key
from alliances.dyads.panel import previous_row_is_last_year, with_columns
from alliances.errors import PanelError
from alliances.outcomes.ties import VARIANTS, list_column

ATOP = ("atop_members",)
EXT = "follows the carried-forward ATOP ties past coverage"
EXT_UNKNOWN = "missing past ATOP coverage (the release's last year): no new agreement is observed there"

_STATUS = {  # name -> (level test on the tie level code 0..3, description)
    "alliance": (lambda lv: lv == 3, "an alliance (defense or offense obligation) is in force"),
    "alignment": (lambda lv: lv == 2, "an alignment (consultation obligation without defense/offense) is in force"),
    "any_tie": (lambda lv: lv >= 1, "any ATOP obligation (alliance, alignment or coordination) is in force"),
}
_ONSET_NAME = {"alliance": "alliance_onset", "alignment": "alignment_onset", "any_tie": "tie_onset"}
_SINCE_NAME = {"alliance": "years_since_alliance", "alignment": "years_since_alignment", "any_tie": "years_since_tie"}
_LEVEL_TEXT = {"alliance": "at alliance level (defense or offense)",
               "alignment": "at alignment level (consultation without defense/offense)",
               "any_tie": "with any obligation"}
MEMBERS_TEXT = ("member count = number of distinct member states of the atopid over all its phases in the ATOP "
                "member file")

#: every onset and new-agreement outcome (null past ATOP coverage)
ONSETS = tuple(f"{_ONSET_NAME[s]}{v.suffix}" for v in VARIANTS for s in _STATUS)
EVENTS = ONSETS + tuple(f"{n}{v.suffix}" for v in VARIANTS for n in ("alliance_new", "alignment_new"))

#: every ATOP outcome -> (the status column whose previous-year value defines its risk set, or
#: None for a new-agreement outcome, at risk every year; the duration column of its time controls)
OUTCOME_COLUMNS: dict[str, tuple[str | None, str]] = {
    **{f"{_ONSET_NAME[s]}{v.suffix}": (f"{s}{v.suffix}", f"{_SINCE_NAME[s]}{v.suffix}")
       for v in VARIANTS for s in _STATUS},
    **{f"{s}_new{v.suffix}": (None, f"{_SINCE_NAME[s]}{v.suffix}") for v in VARIANTS for s in ("alliance", "alignment")},
}


def _columns() -> list[Column]:
    cols: list[Column] = []
    for variant in VARIANTS:
        sfx, note = variant.suffix, variant.note
        for status, (_, desc) in _STATUS.items():
            cols.append(Column(f"{status}{sfx}", "int8", f"1 if {desc}{note}", sources=ATOP, extension=EXT))
        for status in _STATUS:
            cols.append(Column(
                f"{_ONSET_NAME[status]}{sfx}", "Int8",
                f"1 if `{status}{sfx}` is 1 this year and was 0 (or the dyad absent) the previous year{note}",
                sources=ATOP, extension=EXT_UNKNOWN))
        cols.append(Column(f"alliance_new{sfx}", "Int8",
                           "1 if an agreement with a defense or offense obligation in the dyad enters into force "
                           f"this year (first year of that atopid at alliance level), whatever the status{note}",
                           sources=ATOP, extension=EXT_UNKNOWN))
        cols.append(Column(f"alignment_new{sfx}", "Int8",
                           "1 if an agreement with a consultation obligation but no defense/offense obligation in "
                           f"the dyad enters into force this year{note}", sources=ATOP, extension=EXT_UNKNOWN))
    for status in _STATUS:
        base = _SINCE_NAME[status]
        cols.append(Column(base, "int16", f"years since `{status}` was last in force in the dyad, or since the "
                           "dyad entered the panel (first year at risk = 1)", unit="years", sources=ATOP,
                           extension=EXT))
        cols.append(Column(f"{base}2", "int32", f"{base} squared", unit="years^2", sources=ATOP, extension=EXT))
        cols.append(Column(f"{base}3", "int64", f"{base} cubed", unit="years^3", sources=ATOP, extension=EXT))
    for variant in VARIANTS[1:]:
        sfx, note = variant.suffix, variant.note
        for status in _STATUS:
            cols.append(Column(f"{_SINCE_NAME[status]}{sfx}", "int16", f"years since `{status}{sfx}` was last in "
                               f"force{note}, or since the dyad entered the panel; the duration counter of the "
                               f"`{sfx}` outcomes", unit="years", sources=ATOP, extension=EXT))
    for variant in VARIANTS:
        sfx, note = variant.suffix, variant.note
        for status in _STATUS:
            onset = f"{_ONSET_NAME[status]}{sfx}"
            cols.append(Column(
                f"{onset}_agreement", "Int32",
                f"where `{onset}` = 1: the primary agreement (atopid) that produced it, i.e. among the agreements"
                f"{note or ''} in force in the dyad this year {_LEVEL_TEXT[status]}, the one with the most member "
                f"states (ties: smallest atopid); {MEMBERS_TEXT}; null where `{onset}` is not 1",
                sources=ATOP, extension=EXT_UNKNOWN))
            if sfx:
                continue
            producing = (f"the agreements in force in the dyad this year {_LEVEL_TEXT[status]} "
                         f"(those that produced the onset)")
            cols += [
                Column(f"{onset}_atopids", "list<int32>", f"where `{onset}` = 1: sorted atopids of {producing}; "
                       f"null where `{onset}` is not 1", sources=ATOP, extension=EXT_UNKNOWN),
                Column(f"{onset}_size", "Int16", f"where `{onset}` = 1: member count of `{onset}_agreement` "
                       f"({MEMBERS_TEXT}); null where `{onset}` is not 1", unit="states", sources=ATOP,
                       extension=EXT_UNKNOWN),
                Column(f"{onset}_any_bilateral", "Int8", f"where `{onset}` = 1: 1 if any of {producing} has ATOP "
                       f"bilat = 1, else 0; null where `{onset}` is not 1", sources=ATOP, extension=EXT_UNKNOWN),
                Column(f"{onset}_all_wartime", "Int8", f"where `{onset}` = 1: 1 if every one of {producing} has "
                       f"ATOP wartime = 1, else 0; null where `{onset}` is not 1", sources=ATOP,
                       extension=EXT_UNKNOWN),
            ]
    return cols


COLUMNS = _columns()


def years_since(frame: pd.DataFrame, status: np.ndarray, runs: tuple | None = None) -> np.ndarray:
    """Years since ``status`` was last 1 in the dyad before this row (rows sorted by dyad, year).

    ``runs`` is :func:`dyad_runs` of ``frame``, for callers that ask about several statuses."""
    year, new_dyad, first, shift = dyad_runs(frame) if runs is None else runs
    value = shift + np.where(status, year, first - 1)
    running = np.maximum.accumulate(value)
    before = np.r_[0, running[:-1]]
    ref = np.where(new_dyad, shift + first - 1, before)
    return (year - (ref - shift)).astype(np.int16)


def dyad_runs(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row (rows sorted by dyad, year): the year, whether the row starts its dyad, the
    dyad's first year, and an offset separating dyads so one running maximum serves them all."""
    dyad = frame["dyad_id"].to_numpy()
    year = frame["year"].to_numpy().astype(np.int64)
    new_dyad = np.r_[True, dyad[1:] != dyad[:-1]]
    rank = np.cumsum(new_dyad) - 1
    first = year[np.maximum.accumulate(np.where(new_dyad, np.arange(len(year)), 0))]
    return year, new_dyad, first, rank * 100_000


_NUMPY_INT = {"Int8": np.int8, "Int16": np.int16, "Int32": np.int32}


def _masked(values: np.ndarray, unknown: np.ndarray, dtype: str) -> pd.arrays.IntegerArray:
    """Nullable integer array (``Int8``/``Int16``/``Int32``): ``values`` with nulls where ``unknown``."""
    unknown = np.asarray(unknown, dtype=bool)
    return pd.arrays.IntegerArray(np.where(unknown, 0, values).astype(_NUMPY_INT[dtype]), unknown.copy())


def add_outcomes(panel: pd.DataFrame, coverage_end: int) -> pd.DataFrame:
    """Add status, onset and duration columns from the tie levels set by ``ties.orient``.

    ``coverage_end`` is the last year of the ATOP release (``ctx.coverage_end("atop_members")``):
    later onsets and new agreements are unknown and set to null.
    """
    had_row = previous_row_is_last_year(panel)
    unknown = panel["year"].to_numpy() > coverage_end
    runs = dyad_runs(panel)
    new_cols: dict[str, object] = {}
    for variant in VARIANTS:
        sfx = variant.suffix
        level = panel[f"_level{sfx}"].to_numpy()
        for status, (test, _) in _STATUS.items():
            on = test(level)
            prev = np.r_[False, on[:-1]] & had_row
            new_cols[f"{status}{sfx}"] = on.astype(np.int8)
            new_cols[f"{_ONSET_NAME[status]}{sfx}"] = _masked((on & ~prev).astype(np.int8), unknown, "Int8")
            since = years_since(panel, on, runs)
            base = _SINCE_NAME[status]
            new_cols[f"{base}{sfx}"] = since
            if not sfx:
                new_cols[f"{base}2"] = since.astype(np.int32) ** 2
                new_cols[f"{base}3"] = since.astype(np.int64) ** 3
        for name in ("alliance_new", "alignment_new"):
            new_cols[f"{name}{sfx}"] = _masked(panel[f"{name}{sfx}"].to_numpy(), unknown, "Int8")
    out = panel.drop(columns=[f"_level{v.suffix}" for v in VARIANTS]
                     + [f"{n}{v.suffix}" for v in VARIANTS for n in ("alliance_new", "alignment_new")])
    return with_columns(out, new_cols)


def _oriented(years: pd.DataFrame, directed: bool) -> pd.DataFrame:
    """Agreement-dyad-years keyed like the panel's rows, with the level that row's pledges give.

    Undirected: either member's pledges (``level_any``). Directed: row (A, B) carries A's
    pledges, so (smaller, larger) takes ``level_by1`` and (larger, smaller) ``level_by2``.
    """
    keep = ["atopid", "wartime", "bilat", "size"]
    c1, c2, yr = years["ccode1"].to_numpy(), years["ccode2"].to_numpy(), years["year"].to_numpy()
    if not directed:
        return years[keep].assign(key=year_key(dyad_id(c1, c2), yr), level=years["level_any"].to_numpy())
    return pd.concat([
        years[keep].assign(key=year_key(dyad_id(c1, c2), yr), level=years["level_by1"].to_numpy()),
        years[keep].assign(key=year_key(dyad_id(c2, c1), yr), level=years["level_by2"].to_numpy()),
    ], ignore_index=True)


def _on_rows(values: np.ndarray, rows: np.ndarray, n: int, dtype: str) -> pd.arrays.IntegerArray:
    """Nullable integer column of length ``n``: ``values`` at positions ``rows``, null elsewhere."""
    out = np.zeros(n, dtype=_NUMPY_INT[dtype])
    out[rows] = values
    mask = np.ones(n, dtype=bool)
    mask[rows] = False
    return pd.arrays.IntegerArray(out, mask)


def add_onset_agreements(panel: pd.DataFrame, years: pd.DataFrame, directed: bool) -> pd.DataFrame:
    """Add the ``{onset}_agreement`` columns (and, for the main onsets, the producing agreements).

    ``years`` is the agreement-dyad-year table returned by :func:`alliances.outcomes.ties.add_ties`.
    Only the rows where an onset is 1 are looked at (a few thousand): their agreement-dyad-years
    at the onset's level are sorted by (row, member count descending, atopid) and the first
    per row is the primary agreement. Onsets past ATOP coverage are null, so are these.
    """
    cand = _oriented(years, directed)
    pkey = year_key(panel["dyad_id"], panel["year"])
    n = len(panel)
    new_cols: dict[str, object] = {}
    for variant in VARIANTS:
        sub = cand[variant.mask(cand)]
        for status, (test, _) in _STATUS.items():
            onset = f"{_ONSET_NAME[status]}{variant.suffix}"
            rows = np.flatnonzero(panel[onset].fillna(0).to_numpy() == 1)
            on_keys = pkey[rows]
            prod = sub[test(sub["level"].to_numpy()) & member(sub["key"].to_numpy(), on_keys)]
            # one row per (onset row, atopid): an agreement may reach the level in several phases
            prod = prod.drop_duplicates(["key", "atopid"]).sort_values(["key", "size", "atopid"],
                                                                       ascending=[True, False, True])
            primary = prod.drop_duplicates("key")
            at = pd.Index(primary["key"].to_numpy()).get_indexer(on_keys)  # onset row -> its primary agreement
            if (at < 0).any():
                raise PanelError(f"{onset}: {int((at < 0).sum())} onsets without an agreement of that level in "
                                 "force (internal inconsistency between ties and outcomes)")
            new_cols[f"{onset}_agreement"] = _on_rows(primary["atopid"].to_numpy()[at], rows, n, "Int32")
            if variant.suffix:
                continue
            new_cols[f"{onset}_size"] = _on_rows(primary["size"].to_numpy()[at], rows, n, "Int16")
            g = prod.groupby("key", sort=True)
            for col, values in ((f"{onset}_any_bilateral", g["bilat"].max()),
                                (f"{onset}_all_wartime", g["wartime"].min())):
                new_cols[col] = _on_rows(values.to_numpy()[values.index.get_indexer(on_keys)], rows, n, "Int8")
            ids = prod.sort_values(["key", "atopid"])
            new_cols[f"{onset}_atopids"] = list_column(pkey, ids["key"].to_numpy(), ids["atopid"].to_numpy(),
                                                        null_absent=True).set_axis(panel.index)
    return with_columns(panel, new_cols)


def outcome_words(outcome: str) -> str:
    """``alliance_onset_peace`` -> ``peacetime alliance onset``."""
    if outcome == "cow_defense_onset":
        return "COW defence pact onset"
    if outcome.startswith("unga_onset"):
        return "onset of alignment in UN voting" + (" (final-passage votes)" if outcome.endswith("_fp") else "")
    if outcome == "mme_onset":
        return "joint-exercise onset"
    kind, _, rest = outcome.partition("_")
    what = {"tie": "security tie"}.get(kind, kind)
    prefix = "peacetime " if outcome.endswith("_peace") else "bilateral " if outcome.endswith("_bilat") else ""
    if rest.startswith("new"):
        return f"new {prefix}{what} agreement"
    return f"{prefix}{what} {'onset' if rest.startswith('onset') else rest}"
