"""Security ties from ATOP member-level data.

Source: ATOP (Leeds et al. 2002), member-level file in the official layout
(``atopid member yrent moent dayent yrexit moexit dayexit phase wartime defense offense
neutral nonagg consul ...``). ``yrexit = 0`` means the member was still in the agreement
at the end of the release's coverage.

Rule: a dyad-year carries an obligation when both states are members of the same
agreement phase (``atopid``, ``phase``) on at least one common day of that year, i.e. their
membership spells in that phase overlap and the overlap touches the year.

Pledges are directed (theory.md): ``defense = 1`` on France's row means France pledged to
defend its partners. Each agreement-dyad keeps both members' pledges (``*_by1``,
``*_by2``). In the undirected panel an obligation exists if either member made it (the
usual rule, as in peacesciencer); ``defense_mutual`` and ``pledge_asymmetric`` keep the
asymmetry visible (France-Belgium 1832: France pledged, Belgium did not). In the directed
panel the row (A, B) carries A's pledges.

Tie levels (theory.md): alliance = defense or offense; alignment = consultation without
defense/offense; coordination = neutrality or non-aggression only; none.

Past the release's coverage, agreements still in force at its end (``yrexit = 0``) are
carried forward (rule ``carry_forward``); no new agreement can appear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from alliances.column import Column
from alliances.dyads.context import CARRY_FORWARD, BuildContext
from alliances.dyads.keys import dyad_id, expand_years, lookup, member, take, year_key

OBLIGATIONS = ("defense", "offense", "neutral", "nonagg", "consul")
LEVELS = ("none", "coordination", "alignment", "alliance")
EXT = "carried forward past ATOP coverage for agreements in force at its end (yrexit = 0)"


@dataclass(frozen=True)
class Variant:
    """A subset of ATOP agreements from which a family of outcomes is built.

    ``suffix`` names the outcomes (``alliance{suffix}``, ``alliance_onset{suffix}``, ...);
    the subset keeps agreements whose ATOP ``column`` equals ``value`` (all when ``column``
    is None). The frame passed to :meth:`mask` must have that column.
    """

    suffix: str
    note: str
    column: str | None = None
    value: int = 0

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        if self.column is None:
            return np.ones(len(frame), dtype=bool)
        return (frame[self.column] == self.value).to_numpy()


VARIANTS = (
    Variant("", ""),
    Variant("_peace", " (peacetime agreements only: ATOP wartime = 0)", "wartime", 0),
    Variant("_bilat", " (bilateral agreements only: ATOP bilat = 1)", "bilat", 1),
)

AGREEMENT_COLUMNS = [
    Column("atopid", "int32", "ATOP agreement identifier", sources=("atop_members",)),
    Column("phase", "int8", "ATOP agreement phase (0 = agreement without phases)", sources=("atop_members",)),
    Column("ccode1", "int16", "COW code of the first member (smaller code)", sources=("atop_members",)),
    Column("ccode2", "int16", "COW code of the second member", sources=("atop_members",)),
    Column("start_date", "date32", "first day both states were members of this agreement phase "
           "(unknown day or month of entry set to the 1st)", sources=("atop_members",)),
    Column("end_date", "date32", "last day both were members (unknown exit day or month set to the last day); "
           "null when still in force at the end of coverage", sources=("atop_members",)),
    Column("start_year", "int16", "year of start_date", unit="year", sources=("atop_members",)),
    Column("end_year", "int16", "year of end_date, or the last covered year when in force at the end",
           unit="year", sources=("atop_members",)),
    Column("in_force_at_end", "bool", "both members still in the agreement at the end of ATOP coverage "
           "(yrexit = 0 on both rows)", sources=("atop_members",)),
    Column("wartime", "int8", "ATOP wartime: 1 if the agreement was signed during a war involving a member",
           sources=("atop_members",)),
    Column("bilat", "int8", "ATOP bilat: 1 if the agreement is bilateral", sources=("atop_members",)),
    *[
        Column(f"{ob}_by{k}", "int8", f"ccode{k} made the ATOP `{ob}` pledge in this agreement phase",
               sources=("atop_members",))
        for ob in OBLIGATIONS
        for k in (1, 2)
    ],
    Column("tie", "category", "tie level of this agreement phase for the dyad (either member's pledges): "
           "alliance (defense/offense), alignment (consul only), coordination (neutral/nonagg only), none",
           sources=("atop_members",)),
]

COLUMNS = [
    *[
        Column(ob, "int8", f"1 if an agreement in force this year carries a `{ob}` obligation in the dyad "
               "(undirected: pledged by either member; directed: pledged by ccode1)",
               sources=("atop_members",), extension=EXT)
        for ob in OBLIGATIONS
    ],
    Column("defense_mutual", "int8", "1 if both members pledged defense in an agreement in force this year",
           sources=("atop_members",), extension=EXT),
    Column("pledge_asymmetric", "int8", "1 if, in some agreement in force this year, an obligation was pledged "
           "by one member only (e.g. France-Belgium 1832)", sources=("atop_members",), extension=EXT),
    Column("n_agreements", "int16", "number of distinct ATOP agreements (atopid) in force in the dyad this year",
           sources=("atop_members",), extension=EXT),
    Column("atopids", "list<int32>", "sorted ATOP ids of the agreements in force in the dyad this year "
           "(trace them in agreement_dyads.parquet)", sources=("atop_members",), extension=EXT),
    Column("tie", "category", "strongest tie in force: none < coordination < alignment < alliance (theory.md)",
           sources=("atop_members",), extension=EXT),
]


def atop_dates(year, month, day, *, end: bool) -> pd.Series:
    """ATOP or COW (year, month, day) as dates, vectorized; an unknown month or day (0, -9, out of
    range) is the first day of the period for an entry (``end=False``) and the last for an exit."""
    year, month, day = (pd.to_numeric(pd.Series(np.asarray(v)), errors="coerce").fillna(0).astype(int).to_numpy()
                        for v in (year, month, day))
    month = np.where((month < 1) | (month > 12), 12 if end else 1, month)
    first = pd.to_datetime({"year": year, "month": month, "day": np.ones_like(year)})
    last_day = first.dt.days_in_month.to_numpy()
    day = np.where((day < 1) | (day > last_day), last_day if end else 1, day)
    return pd.to_datetime({"year": year, "month": month, "day": day})


def agreement_dyads(ctx: BuildContext) -> pd.DataFrame:
    """One row per undirected dyad x agreement phase with overlapping membership."""
    src = ctx.source("atop_members")
    cov_end = ctx.extend("atop_members", CARRY_FORWARD,
                         note="agreements with yrexit = 0 stay in force; no new agreements past coverage, so "
                         "onset and new-agreement outcomes are missing there")
    m = src.frame
    open_ = pd.to_numeric(m["yrexit"], errors="coerce").fillna(0).to_numpy() == 0
    mem = pd.DataFrame(
        {
            "atopid": m["atopid"].astype(np.int32).to_numpy(),
            "phase": pd.to_numeric(m["phase"], errors="coerce").fillna(0).astype(np.int8).to_numpy(),
            "member": m["member"].astype(np.int16).to_numpy(),
            "entry": atop_dates(m["yrent"], m["moent"], m["dayent"], end=False),
            "exit": atop_dates(np.where(open_, cov_end, m["yrexit"]), np.where(open_, 12, m["moexit"]),
                           np.where(open_, 31, m["dayexit"]), end=True),
            "open": open_,
            "wartime": pd.to_numeric(m["wartime"], errors="coerce").fillna(0).astype(np.int8).to_numpy(),
            "bilat": pd.to_numeric(m["bilat"], errors="coerce").fillna(0).astype(np.int8).to_numpy(),
            **{ob: pd.to_numeric(m[ob], errors="coerce").fillna(0).astype(np.int8).to_numpy() for ob in OBLIGATIONS},
        }
    )
    pairs = mem.merge(mem, on=["atopid", "phase"], suffixes=("_1", "_2"))
    pairs = pairs[pairs["member_1"] < pairs["member_2"]]
    start = np.maximum(pairs["entry_1"], pairs["entry_2"])
    stop = np.minimum(pairs["exit_1"], pairs["exit_2"])
    keep = (start <= stop).to_numpy()
    pairs, start, stop = pairs[keep], start[keep], stop[keep]
    in_force = (pairs["open_1"] & pairs["open_2"]).to_numpy()
    out = pd.DataFrame(
        {
            "atopid": pairs["atopid"].to_numpy(),
            "phase": pairs["phase"].to_numpy(),
            "ccode1": pairs["member_1"].to_numpy(),
            "ccode2": pairs["member_2"].to_numpy(),
            "start_date": start.dt.date.to_numpy(),
            "end_date": np.where(in_force, None, stop.dt.date.to_numpy()),
            "start_year": start.dt.year.astype(np.int16).to_numpy(),
            "end_year": stop.dt.year.astype(np.int16).to_numpy(),
            "in_force_at_end": in_force,
            "wartime": np.maximum(pairs["wartime_1"], pairs["wartime_2"]).to_numpy(),
            "bilat": np.maximum(pairs["bilat_1"], pairs["bilat_2"]).to_numpy(),
        }
    )
    for ob in OBLIGATIONS:
        for k in (1, 2):
            out[f"{ob}_by{k}"] = pairs[f"{ob}_{k}"].to_numpy()
    level = tie_level({ob: out[f"{ob}_by1"] | out[f"{ob}_by2"] for ob in OBLIGATIONS})
    out["tie"] = pd.Categorical.from_codes(level, categories=list(LEVELS), ordered=True)
    # Dates as Arrow date32 with nulls, so Parquet readers get a real date type.
    for col in ("start_date", "end_date"):
        out[col] = pd.array(out[col], dtype=pd.ArrowDtype(pa.date32()))
    return out.sort_values(["ccode1", "ccode2", "atopid", "phase", "start_year"], ignore_index=True)


def tie_level(flags: dict) -> np.ndarray:
    """Tie level code 0..3 from obligation flags (arrays)."""
    f = {k: np.asarray(v).astype(bool) for k, v in flags.items()}
    return np.select(
        [f["defense"] | f["offense"], f["consul"], f["neutral"] | f["nonagg"]], [3, 2, 1], default=0
    ).astype(np.int8)


def member_counts(ctx: BuildContext) -> pd.Series:
    """Number of distinct member states of each atopid over all its phases (index atopid)."""
    m = ctx.source("atop_members").frame
    return m.groupby(m["atopid"].astype(np.int32))["member"].nunique().astype(np.int16)


def _agreement_years(agr: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """Expand agreement-dyads to agreement-dyad-years within the panel's years."""
    last = np.where(agr["in_force_at_end"], max(ctx.end, int(agr["end_year"].max())), agr["end_year"])
    # Not clipped to ctx.start: the first year of an agreement must be its real first year, or
    # agreements already in force when the panel starts would count as new. Years before the
    # panel are never looked up.
    first = agr["start_year"].to_numpy()
    last = np.minimum(last, ctx.end)
    idx, year = expand_years(first, last)
    cols = ["atopid", "ccode1", "ccode2", "wartime", "bilat"] + [f"{ob}_by{k}" for ob in OBLIGATIONS for k in (1, 2)]
    e = agr[cols].iloc[idx].reset_index(drop=True)
    e["year"] = year.astype(np.int16)
    e["dyad_id"] = dyad_id(e["ccode1"], e["ccode2"]).astype(np.int32)
    for side in ("1", "2"):
        e[f"level_by{side}"] = tie_level({ob: e[f"{ob}_by{side}"] for ob in OBLIGATIONS})
    e["level_any"] = np.maximum(e["level_by1"], e["level_by2"])
    return e


def _first_years(e: pd.DataFrame, level_col: str, target: int) -> np.ndarray:
    """Keys (dyad, year) of the first year each (dyad, atopid) reaches ``target`` level."""
    sub = e.loc[e[level_col] == target, ["dyad_id", "atopid", "year"]].sort_values(["dyad_id", "atopid", "year"])
    sub = sub[~sub.duplicated(["dyad_id", "atopid"])]
    return np.unique(year_key(sub["dyad_id"], sub["year"]))


def _take(pos: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values[pos]`` as int8, 0 where ``pos`` is -1 (key absent)."""
    return take(pos, np.asarray(values).astype(np.int8), fill=0)


def add_ties(panel: pd.DataFrame, ctx: BuildContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Add per-member pledge flags and agreement counts to an undirected panel.

    Returns the panel (with internal ``*_by1``/``*_by2`` and ``*_new_*`` columns that
    :func:`orient` turns into the published columns), the agreement-dyad table, and the
    agreement-dyad-years (``atopid ccode1 ccode2 year wartime bilat size level_by1
    level_by2 level_any``) from which :func:`alliances.outcomes.onsets.add_onset_agreements`
    finds the agreements behind each onset.
    """
    agr = agreement_dyads(ctx)
    e = _agreement_years(agr, ctx)
    pkey = year_key(panel["dyad_id"], panel["year"])
    ekey = year_key(e["dyad_id"], e["year"])
    pledges = [f"{ob}_by{k}" for ob in OBLIGATIONS for k in (1, 2)]
    for variant in VARIANTS:
        suffix = variant.suffix
        mask = variant.mask(e)
        sub = e[mask]
        skey = ekey[mask]
        agg = sub[pledges].groupby(skey, sort=True).max()
        keys = agg.index.to_numpy()
        pos = pd.Index(keys).get_indexer(pkey)  # one lookup of the panel's keys per variant
        for col in pledges:
            # the suffix goes before _by1/_by2 so that panel.swap_pairs swaps these columns too
            ob, k = col.rsplit("_by", 1)
            panel[f"{ob}{suffix}_by{k}"] = _take(pos, agg[col].to_numpy())
        if not suffix:
            # asymmetric within one agreement (not after pooling agreements: US-Panama 1977+ has a
            # one-sided treaty beside the mutual Rio Treaty)
            one_sided = np.zeros(len(sub), dtype=bool)
            for ob in OBLIGATIONS:
                one_sided |= (sub[f"{ob}_by1"] != sub[f"{ob}_by2"]).to_numpy()
            per_key = pd.DataFrame({"asym": one_sided, "mutual": (sub["defense_by1"] & sub["defense_by2"]).to_numpy()
                                    }).groupby(skey, sort=True).max()
            panel["pledge_asymmetric"] = _take(pos, per_key["asym"].to_numpy())
            panel["defense_mutual"] = _take(pos, per_key["mutual"].to_numpy())
        for orient in ("any", "by1", "by2"):
            for name, target in (("alliance_new", 3), ("alignment_new", 2)):
                # first years are keys of this variant's agreement-dyad-years, so flag them among `keys`
                panel[f"{name}{suffix}_{orient}"] = _take(pos, member(keys, _first_years(sub, f"level_{orient}",
                                                                                          target)))
    # Agreement counts and ids (all agreements, wartime included).
    ids = e.assign(key=ekey)[["key", "atopid"]].drop_duplicates().sort_values(["key", "atopid"])
    counts = ids.groupby("key").size()
    panel["n_agreements"] = lookup(pkey, counts.index.to_numpy(), counts.to_numpy(), fill=0).astype(np.int16)
    panel["atopids"] = list_column(pkey, ids["key"].to_numpy(), ids["atopid"].to_numpy())
    years = e[["atopid", "ccode1", "ccode2", "year", "wartime", "bilat", "level_by1", "level_by2", "level_any"]].copy()
    sizes = member_counts(ctx)
    years["size"] = lookup(years["atopid"].to_numpy(), sizes.index.to_numpy(), sizes.to_numpy(), fill=0)
    return panel, agr, years


def list_column(target_keys: np.ndarray, keys: np.ndarray, values: np.ndarray, *, null_absent: bool = False,
                 dtype=pa.int32()) -> pd.Series:
    """Arrow list column: for each target key the values with that key (in the given order).

    ``keys`` must be grouped (equal keys adjacent, e.g. sorted). A target key without values
    gets an empty list, or null with ``null_absent``.
    """
    uniq, starts, counts = np.unique(keys, return_index=True, return_counts=True)
    pos = pd.Index(uniq).get_indexer(target_keys)
    if not len(uniq):  # no values at all (e.g. a panel of years after the source's last onset)
        counts = starts = np.zeros(1, dtype=np.int64)
    n = np.where(pos >= 0, counts[np.maximum(pos, 0)], 0)
    offsets = np.r_[0, np.cumsum(n)].astype(np.int32)
    take = np.repeat(starts[np.maximum(pos, 0)], n) + (np.arange(n.sum()) - np.repeat(offsets[:-1], n))
    mask = pa.array(pos < 0) if null_absent else None
    # the item field is named "element", as Parquet names it: a panel read back has the same dtype
    arr = pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.asarray(values)[take], type=dtype),
                                   type=pa.list_(pa.field("element", dtype)), mask=mask)
    return pd.Series(pd.arrays.ArrowExtensionArray(arr))


def orient(panel: pd.DataFrame, directed: bool) -> pd.DataFrame:
    """Turn per-member pledges into the published obligation columns.

    Undirected: an obligation exists if either member pledged it. Directed: row (A, B)
    carries A's pledges (``*_by1`` after :func:`alliances.dyads.panel.to_directed` swapped them).
    Each variant's tie level goes to an internal ``_level{suffix}`` column for
    :func:`alliances.outcomes.onsets.add_outcomes`; only the main variant's obligations are kept.
    """
    internal = []
    for variant in VARIANTS:
        suffix = variant.suffix
        for ob in OBLIGATIONS:
            b1, b2 = panel[f"{ob}{suffix}_by1"], panel[f"{ob}{suffix}_by2"]
            panel[f"{ob}{suffix}"] = b1 if directed else (b1 | b2)
            internal += [f"{ob}{suffix}_by1", f"{ob}{suffix}_by2"]
        for name in ("alliance_new", "alignment_new"):
            cols = [f"{name}{suffix}_{o}" for o in ("any", "by1", "by2")]
            panel[f"{name}{suffix}"] = panel[cols[1] if directed else cols[0]]
            internal += cols
        panel[f"_level{suffix}"] = tie_level({ob: panel[f"{ob}{suffix}"] for ob in OBLIGATIONS})
        if suffix:
            internal += [f"{ob}{suffix}" for ob in OBLIGATIONS]
    panel["tie"] = pd.Categorical.from_codes(panel["_level"].to_numpy(), categories=list(LEVELS), ordered=True)
    return panel.drop(columns=internal)
