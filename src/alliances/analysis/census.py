"""Agreement-level analyses: the great-power agreement census and where dyad-year onsets come from.

Structural realists hold that peacetime alliances among great powers are very rare. The census
lets a reader check the claim: it counts ATOP agreements with at least one and with two or more
COW major powers among the founding members, by obligation, peacetime vs wartime and era, and
lists the peacetime defense or offense pacts among great powers (definitions in
:mod:`alliances.outcomes.agreements`). :func:`onset_sources` shows how many dyad-year onsets
each agreement produced, so a reader sees how much of a model's evidence rests on a few
multilateral treaties (Leeds et al. 2002, ATOP).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from alliances.dyads.context import BuildContext
from alliances.errors import PanelError
from alliances.outcomes.agreements import agreements as agreement_rows
from alliances.outcomes.onsets import ONSETS
from alliances.outcomes.ties import OBLIGATIONS
from alliances.store import read_panel


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
    per = agreement_rows(ctx)
    return {"census": census_table(per), "great_power_pacts": great_power_pacts(per)}


def onset_sources(panel: pd.DataFrame, outcome: str = "alliance_onset",
                  agreements: pd.DataFrame | str | os.PathLike = "datasets/agreements.parquet") -> pd.DataFrame:
    """Which agreements produced the onsets of ``outcome`` in the panel rows given.

    One row per primary agreement (``{outcome}_agreement``) with ``onsets`` (dyad-year
    onsets it produced among these rows), ``share`` of all the rows' onsets,
    ``cumulative_share`` (agreements sorted by onsets, most first; ties by atopid), and the
    agreement's ATOP ``bilat``, ``wartime`` and ``size`` (distinct member states) from the
    agreement table (``agreements.parquet`` written by ``alliances build``, or
    ``Build.agreement_table``). Restrict the rows first, e.g. to ``year <= 2016`` or a
    model's risk set; onsets past ATOP coverage are null and never counted.
    """
    col = f"{outcome}_agreement"
    if outcome not in ONSETS or col not in panel.columns or outcome not in panel.columns:
        raise PanelError(f"onset_sources needs an onset outcome with its agreement column; got {outcome!r} "
                         f"(one of {', '.join(ONSETS)})")
    if not isinstance(agreements, pd.DataFrame):
        agreements = read_panel(agreements)
    ids = panel.loc[panel[outcome].fillna(0).to_numpy() == 1, col]
    counts = ids.astype("int64").value_counts()
    out = pd.DataFrame({"atopid": counts.index.to_numpy().astype(np.int32), "onsets": counts.to_numpy()})
    out = out.sort_values(["onsets", "atopid"], ascending=[False, True], ignore_index=True)
    total = int(out["onsets"].sum())
    out["share"] = out["onsets"] / total if total else np.nan
    out["cumulative_share"] = out["onsets"].cumsum() / total if total else np.nan
    attrs = agreements.set_index("atopid")
    missing = sorted(set(out["atopid"]) - set(attrs.index))
    if missing:
        raise PanelError(f"the agreement table lacks atopids {missing[:5]} of these onsets: is it from the same build?")
    for name, src in (("bilat", "bilat"), ("wartime", "wartime"), ("size", "n_members")):
        out[name] = attrs.loc[out["atopid"], src].to_numpy()
    return out
