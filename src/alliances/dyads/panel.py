"""State system membership -> state-years -> dyad-years.

Membership rule: a state is a system member in year t when one of its COW membership
spells covers any part of t (``styear <= t <= endyear``), the convention of COW's
state-year file and of peacesciencer's ``create_stateyears()``. Dyads are the pairs of
members in the same year that were members together on at least one day of it (COW's
start and end dates): two states whose spells merely touch the same year without
overlapping (Yemen Arab Republic and Yemen in 1990, German Federal Republic and Germany in
1990, Austria-Hungary and Hungary in 1918) never formed a dyad, the rule of peacesciencer's
``false_cow_dyads`` table. Undirected (``ccode1 < ccode2``) by default, or both orders.

Past COW's coverage (2016) states that were members on the last covered day are carried
forward (rule ``carry_forward``); no state enters or leaves after that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from alliances.column import Column
from alliances.dyads.context import CARRY_FORWARD, BuildContext
from alliances.dyads.keys import expand_years

COLUMNS = [
    Column("ccode1", "int16", "COW country code of the first state (the smaller code in an undirected panel; "
           "the pledging state in a directed one)", sources=("states",)),
    Column("ccode2", "int16", "COW country code of the second state", sources=("states",)),
    Column("year", "int16", "calendar year; also the `stop` of the counting-process interval (start = year - 1) "
           "so Cox models need no reshaping", unit="year"),
    Column("dyad_id", "int32", "dyad identifier ccode1 * 1000 + ccode2 (cluster and fixed-effect id)",
           sources=("states",)),
    Column("stateabb1", "category", "COW state abbreviation of ccode1", sources=("states",)),
    Column("stateabb2", "category", "COW state abbreviation of ccode2", sources=("states",)),
    Column("dyad_first_year", "int16", "first year of the dyad's current uninterrupted spell in the panel "
           "(both states members); onsets in this year are left-censored", unit="year", sources=("states",)),
]

TRAILING_COLUMNS = [
    Column("extended_sources", "category", "comma-separated keys of the sources whose values in this row were "
           "extended past their coverage by a named rule (carry_forward or successor_source; see the "
           "metadata key alliances.extensions); empty when every value is observed"),
    Column("extended", "bool", "true when extended_sources is not empty"),
]


def state_years(ctx: BuildContext) -> pd.DataFrame:
    """One row per COW member state and year within ``ctx.start..ctx.end``.

    Columns ``ccode``, ``year``, ``stateabb`` and ``first_day``/``last_day``, the state's
    first and last day of membership within the year as yyyymmdd numbers. Sorted by ccode, year.
    """
    src = ctx.source("states")
    states = src.frame
    cov_end = ctx.extend("states", CARRY_FORWARD, note="members on the last covered day stay members")
    spell_end = states["endyear"].to_numpy().astype(int)
    # A spell still open at the end of coverage (ending in the last covered year on 31 Dec)
    # is carried forward to the panel end.
    open_at_end = ((spell_end == cov_end) & (states["endmonth"].to_numpy() == 12) & (
        states["endday"].to_numpy() == 31
    )) | (spell_end < 0)  # some COW releases code an ongoing spell's end as -9
    spell_end = np.where(open_at_end, max(ctx.end, cov_end), spell_end)
    idx, years = expand_years(np.maximum(states["styear"].to_numpy().astype(int), ctx.start),
                              np.minimum(spell_end, ctx.end))
    start_day = _yyyymmdd(states, "st")[idx]
    end_day = np.where(open_at_end[idx], 99991231, _yyyymmdd(states, "end")[idx])
    out = pd.DataFrame(
        {
            "ccode": states["ccode"].to_numpy()[idx].astype(np.int16),
            "year": years.astype(np.int16),
            "stateabb": states["stateabb"].to_numpy()[idx],
            "first_day": np.maximum(start_day, years * 10000 + 101),
            "last_day": np.minimum(end_day, years * 10000 + 1231),
        }
    )
    # Two spells of one state in the same year (none in COW 2016) become one row spanning
    # both; the gap between them could then pair with a state present only in the gap.
    out = (out.groupby(["ccode", "year"], sort=True, as_index=False)
              .agg(stateabb=("stateabb", "first"), first_day=("first_day", "min"), last_day=("last_day", "max")))
    return out


def _yyyymmdd(states: pd.DataFrame, prefix: str) -> np.ndarray:
    """A spell's start (``st``) or end (``end``) date as a yyyymmdd number."""
    year, month, day = (states[f"{prefix}{part}"].to_numpy().astype(np.int64) for part in ("year", "month", "day"))
    return year * 10000 + month * 100 + day


def dyad_years(ctx: BuildContext, states: pd.DataFrame | None = None) -> pd.DataFrame:
    """All undirected dyad-years (``ccode1 < ccode2``) of members in the same year.

    Always undirected: the directed panel is made later by :func:`to_directed`, after the
    per-member pledges are known.
    """
    sy = state_years(ctx) if states is None else states
    sy = sy.sort_values(["year", "ccode"], ignore_index=True)
    years = sy["year"].to_numpy()
    codes = sy["ccode"].to_numpy()
    abb = sy["stateabb"].to_numpy()
    # Within each year block of size k, all pairs (a, b) with a < b: vectorized per block size.
    bounds = np.flatnonzero(np.diff(years)) + 1
    starts = np.r_[0, bounds]
    sizes = np.diff(np.r_[starts, len(years)])
    left, right = [], []
    for size in np.unique(sizes):  # a handful of distinct block sizes, not a loop over dyad-years
        ia, ib = np.triu_indices(size, k=1)
        blocks = starts[sizes == size]
        left.append((blocks[:, None] + ia[None, :]).ravel())
        right.append((blocks[:, None] + ib[None, :]).ravel())
    li, ri = np.concatenate(left), np.concatenate(right)
    if "first_day" in sy.columns:  # at least one common day of membership
        first, last = sy["first_day"].to_numpy(), sy["last_day"].to_numpy()
        together = np.maximum(first[li], first[ri]) <= np.minimum(last[li], last[ri])
        li, ri = li[together], ri[together]
    out = pd.DataFrame(
        {
            "ccode1": codes[li],
            "ccode2": codes[ri],
            "year": years[li],
        }
    )
    out["dyad_id"] = out["ccode1"].astype(np.int32) * 1000 + out["ccode2"].astype(np.int32)
    # abbreviations coded once per state-year, not hashed per dyad-year: each side's categories
    # are the sorted abbreviations it holds, as pd.Categorical of the strings would make them
    abb_codes, abb_labels = pd.factorize(abb, sort=True)
    for col, side in (("stateabb1", li), ("stateabb2", ri)):
        codes_here = abb_codes[side]
        present = np.bincount(codes_here, minlength=len(abb_labels)) > 0
        out[col] = pd.Categorical.from_codes((np.cumsum(present) - 1)[codes_here], categories=abb_labels[present])
    out = out.sort_values(["ccode1", "ccode2", "year"], ignore_index=True)
    out["dyad_first_year"] = spell_start(out)
    return out


def with_columns(panel: pd.DataFrame, cols: Mapping[str, object], order: Sequence[str] | None = None) -> pd.DataFrame:
    """``panel`` with the new columns ``cols`` appended (in ``order`` if given), each array kept
    as its own block: a frame built from a dict consolidates same-dtype arrays into one copy,
    a full copy of the new columns on every stage that adds columns."""
    names = list(cols) if order is None else list(order)
    seen: set[int] = set()
    arrays = {}
    for name in names:  # an array given for two columns is copied: blocks must not share memory
        arr = cols[name]
        arrays[name] = arr.copy() if id(arr) in seen else arr
        seen.add(id(arr))
    return pd.concat([panel, pd.DataFrame(arrays, index=panel.index, copy=False)], axis=1)


def spell_start(frame: pd.DataFrame) -> np.ndarray:
    """First year of each row's uninterrupted run of years within its dyad (rows sorted)."""
    dyad = frame["dyad_id"].to_numpy()
    year = frame["year"].to_numpy().astype(int)
    new_spell = np.r_[True, (dyad[1:] != dyad[:-1]) | (year[1:] != year[:-1] + 1)]
    start_idx = np.maximum.accumulate(np.where(new_spell, np.arange(len(frame)), 0))
    return year[start_idx].astype(np.int16)


def previous_row_is_last_year(frame: pd.DataFrame) -> np.ndarray:
    """True where the row before (in sorted order) is the same dyad in year - 1."""
    dyad = frame["dyad_id"].to_numpy()
    year = frame["year"].to_numpy().astype(int)
    return np.r_[False, (dyad[1:] == dyad[:-1]) & (year[1:] == year[:-1] + 1)]


def pair_partners(columns) -> dict[str, str]:
    """Each ``X1``/``X2`` (or ``X_1``/``X_2``) column and its partner, ccode1/ccode2 included."""
    partners = {}
    for col in columns:
        if col.endswith("1") and col[:-1] + "2" in columns:  # cinc1, polity2_1, defense_by1, ...
            partners[col], partners[col[:-1] + "2"] = col[:-1] + "2", col
    return partners


def swap_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Swap every ``X1``/``X2`` (or ``X_1``/``X_2``) column pair and ccode1/ccode2."""
    return frame.rename(columns=pair_partners(list(frame.columns)))


def to_directed(frame: pd.DataFrame) -> pd.DataFrame:
    """Both orders of every undirected dyad-year, sorted by ccode1, ccode2, year.

    The final row order is computed on the keys alone; each column is then gathered once
    (a pair column from itself in the original order and from its partner in the swapped
    one), instead of concatenating the whole frame with its swap and sorting the result.
    The gathers run in threads, one column at a time (numpy and pandas' take release the
    GIL), so two cores gather about twice as fast as one.
    """
    n = len(frame)
    c1, c2 = frame["ccode1"].to_numpy(), frame["ccode2"].to_numpy()
    year = frame["year"].to_numpy()
    order = np.lexsort((np.r_[year, year], np.r_[c2, c1], np.r_[c1, c2]))
    src = order % n
    from_both = np.where(order >= n, src + n, src)  # position in [own column, partner column]
    partners = pair_partners(list(frame.columns))

    def gather(col: str):
        own = frame[col].array
        if col not in partners:
            return own.take(src)
        other = frame[partners[col]].array
        if own.dtype == other.dtype:
            both = type(own)._concat_same_type([own, other])
        else:  # dtypes unified as concat does (categoricals with different categories)
            both = pd.concat([frame[col], frame[partners[col]]], ignore_index=True).array
        return both.take(from_both)

    with ThreadPoolExecutor() as pool:
        out = pd.DataFrame(dict(zip(frame.columns, pool.map(gather, frame.columns))), copy=False)
    out["dyad_id"] = out["ccode1"].astype(np.int32) * 1000 + out["ccode2"].astype(np.int32)
    return out
