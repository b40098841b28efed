"""Great-power agreement census from the ATOP member-level file.

Structural realists hold that peacetime alliances among great powers are very rare. This
census lets a reader check the claim: it counts ATOP agreements with at least one and with
two or more COW major powers among the founding members, by obligation, peacetime vs
wartime and era, and lists the peacetime defense or offense pacts among great powers.

Definitions:

- signing date: the earliest entry date of any member (ATOP ``yrent moent dayent``);
- founding members: members whose entry date is the signing date;
- great power at signing: a COW major power in the signing year (COW major powers 2016;
  past 2016 the 2016 list);
- agreement obligations: a member pledged it in any phase (``defense`` ... ``consul``);
- peacetime: ATOP ``wartime = 0``;
- great-power pact: two or more founding great powers and at least one of them pledged
  defense or offense.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import BuildContext
from .power import major_years
from .ties import OBLIGATIONS, _dates

ERAS = [(1815, 1913, "1815-1913"), (1914, 1918, "1914-1918"), (1919, 1938, "1919-1938"),
        (1939, 1945, "1939-1945"), (1946, 1989, "1946-1989"), (1990, 2100, "1990-")]


def agreements(ctx: BuildContext) -> pd.DataFrame:
    """One row per ATOP agreement: signing date, era, wartime, obligations, founding great powers."""
    m = ctx.source("atop_members").frame.copy()
    m["entry"] = _dates(m["yrent"], m["moent"], m["dayent"], end=False).to_numpy()
    sign = m.groupby("atopid")["entry"].min()
    m["signing"] = m["atopid"].map(sign)
    founders = m[m["entry"] == m["signing"]].drop_duplicates(["atopid", "member"])
    majors = major_years(ctx)
    mkey = set(zip(majors["ccode"], majors["year"]))
    founders = founders.assign(
        gp=[(c, y) in mkey for c, y in zip(founders["member"], founders["signing"].dt.year)],
        gp_defoff=lambda f: f["defense"].astype(bool) | f["offense"].astype(bool),
    )
    gp = founders[founders["gp"]]
    names = ctx.source("states").frame.drop_duplicates("ccode").set_index("ccode")["statenme"]
    per = pd.DataFrame({
        "signing": sign,
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


def census_table(per: pd.DataFrame) -> pd.DataFrame:
    """Counts of agreements by era, peacetime/wartime and great-power membership, per obligation."""
    rows = []
    for gp_label, mask in (("all agreements", per["n_gp_founders"] >= 0), (">=1 great power", per["n_gp_founders"] >= 1),
                           (">=2 great powers", per["n_gp_founders"] >= 2)):
        sub = per[mask]
        for war_label, war in (("peacetime", 0), ("wartime", 1)):
            s = sub[sub["wartime"] == war]
            g = s.groupby("era", observed=False)
            counts = pd.DataFrame({"agreements": g.size(), **{ob: g[ob].sum() for ob in OBLIGATIONS}})
            counts.loc["all eras"] = counts.sum()
            counts = counts.reset_index().rename(columns={"index": "era"})
            counts.insert(0, "timing", war_label)
            counts.insert(0, "great_powers", gp_label)
            rows.append(counts)
    out = pd.concat(rows, ignore_index=True)
    out["era"] = out["era"].astype(str)
    return out


def great_power_pacts(per: pd.DataFrame, wartime: int = 0) -> pd.DataFrame:
    """Peacetime (default) defense/offense pacts with two or more founding great powers."""
    sel = per[(per["wartime"] == wartime) & (per["n_gp_founders"] >= 2) & per["gp_pledged_defoff"]]
    cols = ["atopid", "signing", "last_exit", "in_force_at_end", "n_members", "gp_founders", "defense", "offense",
            "neutral", "nonagg", "consul"]
    out = sel[cols].copy()
    out["signing"] = out["signing"].dt.date.astype(str)
    out["last_exit"] = out["last_exit"].astype("Int64")
    return out.reset_index(drop=True)


def run_census(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    per = agreements(ctx)
    return {"census": census_table(per), "great_power_pacts": great_power_pacts(per)}
