"""Directed panels: row (A, B) carries A's pledges."""

from __future__ import annotations

from conftest import dyad

import alliances


def test_directed_pledges_and_symmetric_covariates(data_dir, panel):
    d = alliances.build_panel(start=1830, end=1840, directed=True, data_dir=data_dir)
    u = panel[panel["year"].between(1830, 1840)]
    assert len(d) == 2 * len(u)
    fr_be = d[(d["ccode1"] == 220) & (d["ccode2"] == 211)].set_index("year")
    be_fr = d[(d["ccode1"] == 211) & (d["ccode2"] == 220)].set_index("year")
    assert fr_be.loc[1832, "defense"] == 1 and fr_be.loc[1832, "alliance_onset"] == 1  # France pledged
    assert be_fr.loc[1832, "defense"] == 0 and be_fr.loc[1832, "alliance"] == 0  # Belgium did not
    assert fr_be.loc[1832, "cinc1"] == be_fr.loc[1832, "cinc2"]
    assert fr_be.loc[1832, "capdist_km"] == be_fr.loc[1832, "capdist_km"]
    und = dyad(u, 211, 220)
    assert und.loc[1832, "cinc1"] == be_fr.loc[1832, "cinc1"]
    assert d.attrs["alliances"]["parameters"]["directed"] is True
    # peacetime statuses follow the same pledges as the others (France's row, not Belgium's)
    assert (d["alliance_peace"] <= d["alliance"]).all()
    assert fr_be.loc[1832, "alliance_peace"] == 1 and be_fr.loc[1832, "alliance_peace"] == 0
    # COW columns are symmetric and present in both orders
    assert (fr_be["cow_defense"] == be_fr["cow_defense"]).all()
    both = d.groupby(d["ccode1"] < d["ccode2"])["cow_defense"].sum()
    assert both[True] == both[False] > 0
