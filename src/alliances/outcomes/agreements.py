"""The agreement table (``agreements.parquet``) from the ATOP member-level file, and the
definitions the great-power census (:mod:`alliances.analysis.census`) shares.

Definitions:

- signing date: the earliest entry date of any member (ATOP ``yrent moent dayent``);
- founding members: members whose entry date is the signing date;
- great power at signing: a COW major power in the signing year (COW major powers 2016;
  past 2016 the 2016 list);
- agreement obligations: a member pledged it in any phase (``defense`` ... ``consul``);
- peacetime: ATOP ``wartime = 0``;
- great-power pact: two or more founding great powers and at least one of them pledged
  defense or offense.

:func:`agreements` gives one row per agreement with these definitions;
:func:`agreement_table` (columns :data:`AGREEMENTS_COLUMNS`) adds the dyad-year onsets each
agreement produced as primary agreement in the panel.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa

from alliances.column import Column
from alliances.covariates.power import major_years
from alliances.dyads.context import BuildContext
from alliances.dyads.keys import lookup, year_key
from alliances.outcomes.ties import (
    LEVELS,
    OBLIGATIONS,
    atop_dates,
    list_column,
    member_counts,
    tie_level,
)

ERAS = [(1815, 1913, "1815-1913"), (1914, 1918, "1914-1918"), (1919, 1938, "1919-1938"),
        (1939, 1945, "1939-1945"), (1946, 1989, "1946-1989"), (1990, 2100, "1990-")]

ATOP = ("atop_members",)
GP_SOURCES = ("atop_members", "majors")
PANEL_TEXT = ("dyad-year rows of this build's panel (both orders in a directed build) whose `{onset}_agreement` is "
              "this atopid, i.e. onsets it produced as primary agreement; null if the agreement was in force in none "
              "of the panel's observed years (start to ATOP coverage end)")

#: ``agreements.parquet``: one row per ATOP agreement (the census definitions above)
AGREEMENTS_COLUMNS = [
    Column("atopid", "int32", "ATOP agreement identifier", sources=ATOP),
    Column("signing_year", "int16", "year of the signing date: the earliest entry date of any member (yrent)",
           unit="year", sources=ATOP),
    Column("end_year", "Int16", "last exit year of any member (yrexit); null if the agreement is in force at the "
           "end of ATOP coverage", unit="year", sources=ATOP),
    Column("in_force_at_end", "bool", "some member is still in the agreement at the end of ATOP coverage "
           "(yrexit = 0)", sources=ATOP),
    Column("members", "list<int16>", "sorted COW codes of the distinct member states in any phase", sources=ATOP),
    Column("n_members", "int16", "number of distinct member states in any phase (the member count used for "
           "`*_onset_size` and the primary agreement in dyad_years)", unit="states", sources=ATOP),
    Column("founding_members", "list<int16>", "sorted COW codes of the members whose entry date is the signing "
           "date (unknown day or month of entry set to the 1st)", sources=ATOP),
    Column("n_founding", "int16", "number of founding members", unit="states", sources=ATOP),
    Column("bilat", "int8", "ATOP bilat: 1 if the agreement is bilateral (1 on any member's row)", sources=ATOP),
    Column("wartime", "int8", "ATOP wartime: 1 if signed during a war involving a member (1 on any member's row)",
           sources=ATOP),
    *[Column(ob, "int8", f"1 if any member pledged `{ob}` in any phase", sources=ATOP) for ob in OBLIGATIONS],
    Column("tie", "category", "tie level of the agreement from its obligations, by the dyad-year rule: alliance "
           "(defense/offense), alignment (consul without defense/offense), coordination (neutral/nonagg only), none",
           sources=ATOP),
    Column("founding_great_powers", "list<int16>", "founding members that were COW major powers in the signing "
           "year (past the majors' coverage, the last covered list carried forward)", sources=GP_SOURCES),
    Column("n_founding_great_powers", "int16", "number of founding great powers", unit="states", sources=GP_SOURCES),
    *[Column(f"{status}_onsets", "Int32", PANEL_TEXT.format(onset=f"{status}_onset"), sources=ATOP,
             extension="counts only onsets up to ATOP coverage: later onsets are missing in the panel")
      for status in ("alliance", "alignment", "tie")],
]
AGREEMENTS_COLUMNS = [
    c if c.extension != Column.extension else dataclasses.replace(
        c, extension="the agreement as coded in the ATOP release, up to its last year (majors past their coverage: "
        "the last covered list carried forward)" if "majors" in c.sources else
        "the agreement as coded in the ATOP release, up to its last year")
    for c in AGREEMENTS_COLUMNS
]


def member_rows(ctx: BuildContext) -> pd.DataFrame:
    """The ATOP member rows with ``entry`` date and the agreement's ``signing`` date."""
    m = ctx.source("atop_members").frame.copy()
    m["entry"] = atop_dates(m["yrent"], m["moent"], m["dayent"], end=False).to_numpy()
    m["signing"] = m.groupby("atopid")["entry"].transform("min")
    return m


def founding_members(ctx: BuildContext, m: pd.DataFrame | None = None) -> pd.DataFrame:
    """One member row per (atopid, founding member), with ``gp``: a COW major power in the signing year.

    Founding member: entry date == signing date. Great powers come from
    :func:`alliances.covariates.power.major_years` over all signing years (whatever the panel's years).
    """
    m = member_rows(ctx) if m is None else m
    founders = m[m["entry"] == m["signing"]].drop_duplicates(["atopid", "member"])
    sign_year = founders["signing"].dt.year.to_numpy()
    every_year = dataclasses.replace(ctx, start=1816, end=max(ctx.end, int(sign_year.max())), extensions={})
    majors = major_years(every_year)
    gp = np.isin(year_key(founders["member"], sign_year), year_key(majors["ccode"], majors["year"]))
    return founders.assign(gp=gp)


def agreements(ctx: BuildContext) -> pd.DataFrame:
    """One row per ATOP agreement: signing date, era, wartime, obligations, founding great powers."""
    m = member_rows(ctx)
    founders = founding_members(ctx, m).assign(
        gp_defoff=lambda f: f["defense"].astype(bool) | f["offense"].astype(bool),
    )
    gp = founders[founders["gp"]]
    names = ctx.source("states").frame.drop_duplicates("ccode").set_index("ccode")["statenme"]
    per = pd.DataFrame({
        "signing": m.groupby("atopid")["signing"].min(),
        "wartime": m.groupby("atopid")["wartime"].max(),
        **{ob: m.groupby("atopid")[ob].max() for ob in OBLIGATIONS},
        "n_members": m.groupby("atopid")["member"].nunique(),
        "n_gp_founders": gp.groupby("atopid")["member"].nunique(),
        "gp_pledged_defoff": gp.groupby("atopid")["gp_defoff"].any(),
        "gp_founders": gp.sort_values("member").groupby("atopid")["member"].agg(
            lambda s: "; ".join(f"{names.get(c, c)} ({c})" for c in s)),
        "last_exit": m.assign(x=np.where(m["yrexit"] == 0, np.nan, m["yrexit"])).groupby("atopid")["x"].max(),
        "in_force_at_end": m.groupby("atopid")["yrexit"].apply(lambda s: bool((s == 0).any())),
    })
    per.loc[per["in_force_at_end"], "last_exit"] = np.nan  # still in force: no last exit
    per["n_gp_founders"] = per["n_gp_founders"].fillna(0).astype(int)
    per["gp_pledged_defoff"] = per["gp_pledged_defoff"].astype("boolean").fillna(False).astype(bool)
    per["gp_founders"] = per["gp_founders"].fillna("")
    year = per["signing"].dt.year
    per["era"] = pd.cut(year, bins=[e[0] - 1 for e in ERAS] + [ERAS[-1][1]], labels=[e[2] for e in ERAS])
    return per.reset_index().sort_values("atopid", ignore_index=True)


def agreement_table(ctx: BuildContext, panel: pd.DataFrame) -> pd.DataFrame:
    """``agreements.parquet``: one row per atopid (:data:`AGREEMENTS_COLUMNS`), sorted by atopid.

    The onset counts come from the panel's ``alliance_onset_agreement``,
    ``alignment_onset_agreement`` and ``tie_onset_agreement`` columns.
    """
    m = member_rows(ctx)
    m = m.assign(atopid=m["atopid"].astype(np.int32), member=m["member"].astype(np.int16),
                 open=pd.to_numeric(m["yrexit"], errors="coerce").fillna(0).to_numpy() == 0,
                 **{c: pd.to_numeric(m[c], errors="coerce").fillna(0).astype(np.int8)
                    for c in ("wartime", "bilat", *OBLIGATIONS)})
    g = m.groupby("atopid", sort=True)
    out = pd.DataFrame({
        "signing_year": g["signing"].min().dt.year.astype(np.int16),
        "in_force_at_end": g["open"].any(),
        "last_exit": pd.to_numeric(m["yrexit"], errors="coerce").groupby(m["atopid"]).max(),
        "bilat": g["bilat"].max(),
        "wartime": g["wartime"].max(),
        **{ob: g[ob].max() for ob in OBLIGATIONS},
    })
    ids = out.index.to_numpy()
    out["end_year"] = out["last_exit"].astype("Int16").mask(out["in_force_at_end"])
    sizes = member_counts(ctx)
    out["n_members"] = sizes.loc[ids].to_numpy()
    mem = m[["atopid", "member"]].drop_duplicates().sort_values(["atopid", "member"])
    out["members"] = list_column(ids, mem["atopid"].to_numpy(), mem["member"].to_numpy(),
                                  dtype=pa.int16()).set_axis(out.index)
    founders = founding_members(ctx, m).sort_values(["atopid", "member"])
    for name, rows in (("founding", founders), ("founding_great_powers", founders[founders["gp"]])):
        lists = list_column(ids, rows["atopid"].to_numpy(), rows["member"].to_numpy(), dtype=pa.int16())
        count = rows.groupby("atopid").size()
        col = "founding_members" if name == "founding" else name
        out[col] = lists.set_axis(out.index)
        out[f"n_{name}"] = lookup(ids, count.index.to_numpy(), count.to_numpy(), fill=0).astype(np.int16)
    level = tie_level({ob: out[ob] for ob in OBLIGATIONS})
    out["tie"] = pd.Categorical.from_codes(level, categories=list(LEVELS), ordered=True)
    # Onsets produced as primary agreement, counted where the panel can see them.
    cov_end = ctx.coverage_end("atop_members")
    last_seen = min(ctx.end, cov_end)
    seen = (out["signing_year"].to_numpy() <= last_seen) & (
        out["in_force_at_end"].to_numpy() | (out["last_exit"].to_numpy() >= ctx.start))
    for status in ("alliance", "alignment", "tie"):
        col = panel[f"{status}_onset_agreement"]
        counts = col[col.notna()].astype(np.int64).value_counts()
        n = lookup(ids, counts.index.to_numpy(), counts.to_numpy(), fill=0)
        out[f"{status}_onsets"] = pd.arrays.IntegerArray(n.astype(np.int32), ~seen)
    out = out.reset_index().rename(columns={"index": "atopid"})
    return out.drop(columns="last_exit")
