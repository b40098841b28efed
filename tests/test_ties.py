"""ATOP ties and onsets checked against the raw member-level rows and ATOP 5.1 dyad-years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import dyad

from alliances.config import DEFAULT_END
from alliances.outcomes.ties import OBLIGATIONS


def expected_levels(members: pd.DataFrame, a: int, b: int, years, *, peace: bool = False,
                    bilat: bool = False) -> pd.Series:
    """Tie level per year straight from the raw rows (year-level overlap, either pledge)."""
    rows = members[members["member"].isin([a, b])]
    level = pd.Series(0, index=list(years))
    for (atopid, phase), g in rows.groupby(["atopid", "phase"]):
        if set(g["member"]) != {a, b} or (peace and g["wartime"].max() == 1) or (bilat and g["bilat"].max() == 0):
            continue
        ga, gb = g[g["member"] == a].iloc[0], g[g["member"] == b].iloc[0]
        end = lambda r: DEFAULT_END if r["yrexit"] == 0 else r["yrexit"]  # noqa: E731 - carried forward
        lo, hi = max(ga["yrent"], gb["yrent"]), min(end(ga), end(gb))
        ob = {o: max(ga[o], gb[o]) for o in OBLIGATIONS}
        lv = 3 if ob["defense"] or ob["offense"] else 2 if ob["consul"] else 1 if ob["neutral"] or ob["nonagg"] else 0
        for y in range(int(lo), int(hi) + 1):
            if y in level.index:
                level[y] = max(level[y], lv)
    return level


@pytest.mark.parametrize("a,b", [(365, 710), (2, 200), (2, 365), (200, 220), (220, 211)])
def test_tie_levels_match_raw_atop_rows(panel, atop_members, a, b):
    got = dyad(panel, a, b)
    codes = got["tie"].cat.codes
    want = expected_levels(atop_members, a, b, got.index)
    assert (codes == want).all(), codes[codes != want].head()
    want_peace = expected_levels(atop_members, a, b, got.index, peace=True)
    assert ((got["alliance_peace"] == 1) == (want_peace == 3)).all()
    want_bilat = expected_levels(atop_members, a, b, got.index, bilat=True)
    assert ((got["alliance_bilat"] == 1) == (want_bilat == 3)).all()
    assert ((got["alignment_bilat"] == 1) == (want_bilat == 2)).all()
    assert ((got["any_tie_bilat"] == 1) == (want_bilat >= 1)).all()


def test_china_russia_history(panel):
    cr = dyad(panel, 365, 710)
    assert list(cr.loc[1896, "atopids"]) == [1395] and cr.loc[1896, "alliance_onset"] == 1
    assert cr.loc[1901:1936, "tie"].eq("none").all()
    assert cr.loc[1942, "alliance_onset"] == 1  # wartime alliance 2550
    # 1950: the new treaty (3200) replaces the 1945 one (3030) with no year without a pact
    assert cr.loc[1950, "alliance_new"] == 1 and cr.loc[1950, "alliance_onset"] == 0
    assert cr.loc[1945:1949, "alliance_peace"].eq(0).all()  # 2550 and 3030 are wartime agreements
    assert cr.loc[1950, "alliance_onset_peace"] == 1
    assert cr.loc[1980, "alliance"] == 1 and cr.loc[1981, "alliance"] == 0
    assert cr.loc[2001, "alignment_onset"] == 1  # 4810 phase 2 and 4980 add consultation
    assert cr.loc[2016:2022, "tie"].eq("alignment").all()
    assert cr.loc[2017:, "extended"].all() and not cr.loc[:2010, "extended"].any()
    assert cr.loc[1986, "years_since_alliance"] == 6  # last in force 1980


def test_us_uk_nato(panel):
    uu = dyad(panel, 2, 200)
    assert uu.loc[1949, "alliance_onset"] == 1 and uu.loc[1949, "alliance_new"] == 1
    assert uu.loc[1949:2022, "alliance"].eq(1).all()
    assert 3180 in list(uu.loc[2022, "atopids"])


def test_asymmetric_pledge_france_belgium_1832(panel):
    fb = dyad(panel, 211, 220)
    assert fb.loc[1832, "defense"] == 1  # undirected rule: either member pledged
    assert fb.loc[1832, "pledge_asymmetric"] == 1 and fb.loc[1832, "defense_mutual"] == 0


def test_onsets_only_where_the_definitions_say(panel):
    same = np.r_[False, (panel["dyad_id"].to_numpy()[1:] == panel["dyad_id"].to_numpy()[:-1])
                 & (panel["year"].to_numpy()[1:] == panel["year"].to_numpy()[:-1] + 1)]
    covered = panel["year"].to_numpy() <= 2016  # ATOP 4.01; later onsets are null (test_outcomes.py)
    for sfx in ("", "_peace", "_bilat"):
        for status, onset in (("alliance", "alliance_onset"), ("alignment", "alignment_onset"),
                              ("any_tie", "tie_onset")):
            s = panel[f"{status}{sfx}"].to_numpy()
            prev = np.where(same, np.r_[0, s[:-1]], 0)
            got = panel[f"{onset}{sfx}"]
            assert got[covered].notna().all() and got[~covered].isna().all(), onset + sfx
            want = ((s == 1) & (prev == 0))[covered]
            assert (got[covered].to_numpy(dtype=int) == want).all(), onset + sfx
    assert (panel.loc[panel["alliance_new"] == 1, "alliance"] == 1).all()
    assert (panel.loc[panel["alignment_new"] == 1, "consul"] == 1).all()
    assert (panel.loc[panel["alliance_new_bilat"] == 1, "alliance_bilat"] == 1).all()
    assert (panel["alliance_bilat"] <= panel["alliance"]).all() and (panel["any_tie_bilat"] <= panel["any_tie"]).all()
    assert (panel["years_since_alliance"] >= 1).all()
    assert (panel["years_since_alliance3"] == panel["years_since_alliance"].astype(np.int64) ** 3).all()


def test_no_new_agreements_past_atop_coverage(panel):
    late = panel[panel["year"] > 2016]
    new = [f"{n}{s}" for n in ("alliance_new", "alignment_new") for s in ("", "_peace", "_bilat")]
    assert late[new].isna().all().all()  # unknown, not 0
    assert panel.loc[panel["year"] == 2016, new].notna().all().all()


def test_obligations_agree_with_atop_51_dyad_years(panel, data_dir):
    """Cross-check with ATOP 5.1 (another release: small differences expected, stated below)."""
    a = pd.read_csv(data_dir / "atop" / "atop-5.1-directed-dyad-years.csv.gz",
                    usecols=["ccode1", "ccode2", "year", *[f"atop_{o}" for o in OBLIGATIONS]])
    a["c1"], a["c2"] = np.minimum(a["ccode1"], a["ccode2"]), np.maximum(a["ccode1"], a["ccode2"])
    u = a.groupby(["c1", "c2", "year"])[[f"atop_{o}" for o in OBLIGATIONS]].max()
    p = panel.loc[panel["year"] <= 2016, ["ccode1", "ccode2", "year", *OBLIGATIONS]].set_index(["ccode1", "ccode2", "year"])
    u = u[u.index.get_level_values("year") <= 2016]
    u.index.names = p.index.names
    joined = p.join(u, how="left").fillna(0)
    for ob in OBLIGATIONS:
        disagree = (joined[ob] != joined[f"atop_{ob}"]).sum()
        # Tolerance: at most 0.1% of the panel's 1816-2016 dyad-years differ between v4.01 and v5.1
        assert disagree <= 0.001 * len(joined), (ob, disagree)
        assert joined[ob].sum() > 0


def test_agreement_dyads_trace_every_tie(panel, agreements):
    assert not agreements.duplicated(["ccode1", "ccode2", "atopid", "phase", "start_date"]).any()
    cr = agreements[(agreements["ccode1"] == 365) & (agreements["ccode2"] == 710)]
    assert set(cr["atopid"]) == {1395, 2415, 2550, 3030, 3200, 3460, 3755, 4385, 4810, 4980, 6020}
    row = cr[cr["atopid"] == 3200].iloc[0]
    assert str(row["start_date"]) == "1950-02-14" and str(row["end_date"]) == "1980-04-11"
    assert cr.loc[cr["atopid"] == 6020, "in_force_at_end"].all()
    assert cr.loc[cr["atopid"] == 6020, "end_date"].isna().all()
    # every atopid listed in the panel is in the agreement table for that dyad
    sample = panel.loc[panel["n_agreements"] > 0, ["ccode1", "ccode2", "atopids", "n_agreements"]].sample(2000, random_state=1)
    known = set(zip(agreements["ccode1"], agreements["ccode2"], agreements["atopid"]))
    for c1, c2, ids in zip(sample["ccode1"], sample["ccode2"], sample["atopids"]):
        assert all((c1, c2, int(i)) in known for i in ids)
    assert (sample["n_agreements"] == sample["atopids"].map(len)).all()


def test_new_agreements_are_not_the_ones_in_force_when_the_panel_starts(panel, data_dir):
    import alliances

    late = alliances.run(start=1950, end=1952, data_dir=data_dir).panel
    full = panel[panel["year"].between(1950, 1952)]
    assert late.groupby("year")["alliance_new"].sum().tolist() == full.groupby("year")["alliance_new"].sum().tolist()
    # 1815 treaties in force in 1816 are not new in 1816
    assert panel.loc[(panel["year"] == 1816) & (panel["dyad_id"] == 255300), "alliance_new"].eq(0).all()


def test_asymmetry_is_judged_within_each_agreement(panel):
    # US-Panama: the one-sided 1977 treaty (atopid 3795) sits beside the mutual Rio Treaty
    us_pan = dyad(panel, 2, 95)
    assert us_pan.loc[1976, "pledge_asymmetric"] == 0 and us_pan.loc[1978, "pledge_asymmetric"] == 1
    assert us_pan.loc[1978, "defense_mutual"] == 1


def test_peacetime_outcomes_have_their_own_duration(panel):
    cr = dyad(panel, 365, 710)
    # 1945-1949: only wartime treaties in force, so the peacetime counter keeps running
    assert cr.loc[1949, "years_since_alliance"] == 1
    assert cr.loc[1949, "years_since_alliance_peace"] == 1949 - 1900  # last peacetime alliance year: 1900
