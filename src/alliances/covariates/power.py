"""Capabilities, power balance within the dyad, major-power status and system structure.

Sources: COW National Material Capabilities v7.0 (Singer, Bremer and Stuckey 1972) for
CINC and its six components; COW major powers (2016) for great-power status.
Capabilities are never filled: a year past NMC coverage or a missing component stays
missing. Major-power status past 2016 is carried forward (the list on 31 Dec 2016).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column, pair
from alliances.dyads.context import CARRY_FORWARD, MISSING, BuildContext
from alliances.dyads.keys import expand_years, member, positions, take, year_key
from alliances.dyads.panel import with_columns
from alliances.sources.registry import coverage

NMC_COMPONENTS = {
    "milex": ("military expenditure", "thousands of current US dollars (pre-1914: thousands of UK pounds)"),
    "milper": ("military personnel", "thousands"),
    "irst": ("iron and steel production", "thousands of tons"),
    "pec": ("primary energy consumption", "thousands of coal-ton equivalents"),
    "tpop": ("total population", "thousands"),
    "upop": ("urban population (cities over 100,000)", "thousands"),
}
NMC_EXT = f"missing past NMC coverage ({coverage('nmc')[1]}; rule missing); never filled"
MAJ_EXT = f"carried forward: the {coverage('majors')[1]} major-power list persists"

COLUMNS = [
    *pair("cinc", "float64", "CINC score of {state}: share of system capabilities (0-1)", unit="share",
          sources=("nmc",), extension=NMC_EXT),
    *[c for comp, (desc, unit) in NMC_COMPONENTS.items()
      for c in pair(comp, "float64", f"{desc} of {{state}}", unit=unit, sources=("nmc",), extension=NMC_EXT)],
    Column("cap_ratio", "float64", "log of the stronger state's CINC over the weaker's (>= 0); missing when "
           "either CINC is missing or the weaker's is 0", unit="log ratio", sources=("nmc",), extension=NMC_EXT),
    *pair("cap_share", "float64", "{state}'s share of the dyad's joint CINC", unit="share", sources=("nmc",),
          extension=NMC_EXT),
    Column("joint_cinc", "float64", "cinc1 + cinc2", unit="share", sources=("nmc",), extension=NMC_EXT),
    *pair("major", "int8", "1 if {state} is a COW major power this year", sources=("majors",), extension=MAJ_EXT),
    Column("great_power_dyad", "int8", "1 if both states are COW major powers", sources=("majors",),
           extension=MAJ_EXT),
    Column("n_great_powers", "int8", "number of COW major powers in the system this year", sources=("majors",),
           extension=MAJ_EXT),
    Column("gp_concentration", "float64", "Ray-Singer concentration of CINC among the major powers: "
           "sqrt((sum s_i^2 - 1/N) / (1 - 1/N)), s_i = major i's share of the majors' total CINC (0 = equal, "
           "1 = one holds all)", unit="index 0-1", sources=("nmc", "majors"), extension=NMC_EXT),
    Column("leader_share", "float64", "largest major power's share of the majors' total CINC", unit="share",
           sources=("nmc", "majors"), extension=NMC_EXT),
]


def major_years(ctx: BuildContext) -> pd.DataFrame:
    """(ccode, year) of major powers within the panel's years; spells open at coverage end carried forward."""
    maj = ctx.source("majors").frame
    cov_end = ctx.extend("majors", CARRY_FORWARD, note="majors on the last covered day stay majors")
    end = maj["endyear"].to_numpy().astype(int)
    end = np.where((end >= cov_end) | (end < 0), max(ctx.end, cov_end), end)  # -9: ongoing in some releases
    idx, years = expand_years(np.maximum(maj["styear"].to_numpy(), ctx.start), np.minimum(end, ctx.end))
    out = pd.DataFrame({"ccode": maj["ccode"].to_numpy()[idx], "year": years})
    return out.drop_duplicates().reset_index(drop=True)


def nmc_years(ctx: BuildContext) -> pd.DataFrame:
    """NMC state-years (one per ccode-year: the source's row key, checked on loading); missing past coverage."""
    nmc = ctx.source("nmc").frame
    ctx.extend("nmc", MISSING)
    return nmc


def add_power(panel: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """Add capabilities and major-power status (COW NMC 7.0; COW major powers 2016).

    Hard cases: NMC's empty components stay missing (never 0); capabilities are missing past
    NMC's coverage (rule ``missing``); major-power spells open on COW's last covered day are
    carried forward (rule ``carry_forward``) and a spell counts in every year it touches;
    concentration and leader share are over the majors of the year only.
    """
    nmc = nmc_years(ctx)
    nkey = year_key(nmc["ccode"], nmc["year"])
    k1 = year_key(panel["ccode1"], panel["year"])
    k2 = year_key(panel["ccode2"], panel["year"])
    pos1, pos2 = positions(k1, nkey), positions(k2, nkey)
    cols: dict[str, np.ndarray] = {}
    for var in ("cinc", *NMC_COMPONENTS):
        values = pd.to_numeric(nmc[var], errors="coerce").to_numpy(dtype=float)
        cols[f"{var}1"] = take(pos1, values)
        cols[f"{var}2"] = take(pos2, values)
    c1, c2 = cols["cinc1"], cols["cinc2"]
    strong, weak = np.fmax(c1, c2), np.fmin(c1, c2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weak > 0, np.log(strong / weak), np.nan)
        joint = c1 + c2
        cols["cap_ratio"] = np.where(np.isnan(c1) | np.isnan(c2), np.nan, ratio)
        cols["cap_share1"] = np.where(joint > 0, c1 / joint, np.nan)
        cols["cap_share2"] = np.where(joint > 0, c2 / joint, np.nan)
    cols["joint_cinc"] = joint

    majors = major_years(ctx)
    mkey = year_key(majors["ccode"], majors["year"])
    cols["major1"] = member(k1, mkey).astype(np.int8)
    cols["major2"] = member(k2, mkey).astype(np.int8)
    cols["great_power_dyad"] = (cols["major1"] & cols["major2"]).astype(np.int8)

    system = system_structure(majors, nmc)
    year = panel["year"].to_numpy()
    pos = positions(year, system.index.to_numpy())
    for col in ("n_great_powers", "gp_concentration", "leader_share"):
        cols[col] = take(pos, system[col].to_numpy())
    cols["n_great_powers"] = np.nan_to_num(cols["n_great_powers"]).astype(np.int8)
    return with_columns(panel, cols, [c.name for c in COLUMNS])


def system_structure(majors: pd.DataFrame, nmc: pd.DataFrame) -> pd.DataFrame:
    """Per year: number of majors, Ray-Singer concentration and leader's share of majors' CINC."""
    m = majors.merge(nmc[["ccode", "year", "cinc"]], on=["ccode", "year"], how="left")
    g = m.groupby("year")
    n = g.size()
    total = g["cinc"].sum(min_count=1)
    complete = g["cinc"].count() == n  # a major with unknown CINC makes the year's measures unknown
    share = m["cinc"] / m["year"].map(total)
    ssq = (share**2).groupby(m["year"]).sum()
    con = np.sqrt(((ssq - 1 / n) / (1 - 1 / n)).clip(lower=0))
    leader = g["cinc"].max() / total
    out = pd.DataFrame({"n_great_powers": n, "gp_concentration": con.where(complete & (n > 1)),
                        "leader_share": leader.where(complete)})
    return out
