"""Onset outcomes: unknown past ATOP coverage, the agreements behind each onset, the
bilateral-only variants and the agreement table, checked against hand-verified cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import dyad

import alliances
from alliances.errors import PanelError
from alliances.outcomes.onsets import EVENTS, ONSETS

ATOP_END = 2016  # ATOP 4.01, the bundled release
MAIN = ("alliance_onset", "alignment_onset", "tie_onset")
DETAIL = ("_atopids", "_size", "_any_bilateral", "_all_wartime")


@pytest.fixture(scope="module")
def table(build_result) -> pd.DataFrame:
    return build_result.agreement_table


@pytest.fixture(scope="module")
def members(table) -> pd.Series:
    return table.set_index("atopid")["n_members"]


def test_unknown_outcomes_are_null_past_atop_coverage(panel):
    agreement_cols = [f"{o}_agreement" for o in ONSETS] + [f"{o}{d}" for o in MAIN for d in DETAIL]
    late = panel[panel["year"] > ATOP_END]
    assert len(late) and late[list(EVENTS) + agreement_cols].isna().all().all()
    last = panel[panel["year"] == ATOP_END]
    for col in EVENTS:
        assert str(panel[col].dtype) == "Int8", col
        assert last[col].notna().all() and last[col].isin([0, 1]).all(), col
    assert last["alliance_onset"].sum() == 28 and last["alliance_new"].sum() > 0
    # status and duration columns are carried forward, not nulled
    for col in ("alliance", "alignment", "any_tie", "alliance_bilat", "years_since_alliance",
                "years_since_tie_bilat"):
        assert late[col].notna().all(), col
    cr = dyad(panel, 365, 710)
    assert cr.loc[2017:, "alignment"].eq(1).all() and cr.loc[2022, "years_since_alliance"] == 2022 - 1980


def test_onset_counts_before_coverage_unchanged(panel):
    """Counts measured on the build before onsets became nullable (all rows 1816-2016), less the
    onsets of dyads that never shared a day (German Federal Republic-Germany 1990: alliance
    via atopid 3180; Yemen-Yemen Arab Republic and Yemen-Yemen People's Republic 1990: 3205;
    Germany-German Democratic Republic 1990: a tie)."""
    before = {"alliance_onset": 3014, "alignment_onset": 485, "tie_onset": 5744, "alliance_new": 3778,
              "alignment_new": 765, "alliance_onset_peace": 2258, "alignment_onset_peace": 470,
              "tie_onset_peace": 4120, "alliance_new_peace": 2900, "alignment_new_peace": 743}
    covered = panel.loc[panel["year"] <= ATOP_END, ["year", "dyad_first_year", *before]]
    assert {k: int(covered[k].sum()) for k in before} == before
    # without the onsets in a dyad's first (left-censored) year: the 2,412 of the baseline risk set
    not_censored = covered["year"] != covered["dyad_first_year"]
    assert int(covered.loc[not_censored, "alliance_onset"].sum()) == 2412


def test_cow_defense_onset_missing_past_its_coverage(panel):
    assert panel.loc[panel["year"] > 2012, "cow_defense_onset"].isna().all()
    cov = panel.loc[panel["year"] <= 2012, "cow_defense_onset"]
    assert cov.notna().all() and cov.isin([0, 1]).all() and cov.sum() > 0
    assert panel.loc[panel["year"] == 2012, "cow_defense_onset"].notna().all()


def test_coverage_end_is_read_from_the_release(tmp_path, data_dir):
    """A member file ending earlier (another release's coverage) moves the null boundary with it."""
    m = pd.read_csv(data_dir / "atop" / "atop-4.01-members.csv")
    keep = (m["yrent"] <= 2011) & ((m["yrexit"] == 0) | (m["yrexit"] <= 2011))
    path = tmp_path / "atop5_1m.csv"
    m[keep].to_csv(path, index=False)
    with pytest.warns(UserWarning, match="unknown version"):
        built = alliances.run(start=2008, end=2014, data_dir=data_dir, paths={"atop_members": path})
    end = built.metadata["extensions"]["atop_members"]["coverage_end"]
    assert end == 2011
    p = built.panel
    assert p.loc[p["year"] > end, list(EVENTS)].isna().all().all()
    assert p.loc[p["year"] <= end, list(EVENTS)].notna().all().all()
    assert p.loc[p["year"] > end, "alliance_onset_agreement"].isna().all()
    assert (p.loc[p["year"] > end, "extended_sources"].astype(str).str.contains("atop_members")).all()


def test_directed_panel_follows_the_same_rules(data_dir):
    d = alliances.build_panel(start=1830, end=1840, directed=True, data_dir=data_dir)
    fr_be = dyad_directed(d, 220, 211)
    be_fr = dyad_directed(d, 211, 220)
    # France pledged to defend Belgium (atopid 1060); Belgium pledged nothing
    assert fr_be.loc[1832, "alliance_onset"] == 1 and fr_be.loc[1832, "alliance_onset_agreement"] == 1060
    assert be_fr.loc[1832, "alliance_onset"] == 0 and pd.isna(be_fr.loc[1832, "alliance_onset_agreement"])
    assert list(fr_be.loc[1832, "alliance_onset_atopids"]) == [1060]
    late = alliances.build_panel(start=2015, end=2018, directed=True, data_dir=data_dir)
    assert late.loc[late["year"] > ATOP_END, list(EVENTS)].isna().all().all()
    assert late.loc[late["year"] <= ATOP_END, list(EVENTS)].notna().all().all()
    on = late["alliance_onset"] == 1
    assert on.sum() > 0 and late.loc[on, "alliance_onset_agreement"].notna().all()


def dyad_directed(frame: pd.DataFrame, a: int, b: int) -> pd.DataFrame:
    return frame[(frame["ccode1"] == a) & (frame["ccode2"] == b)].set_index("year")


def test_onset_agreement_columns_exist_exactly_on_onsets(panel, members):
    for onset in ONSETS:
        on = panel[onset] == 1
        agr = panel[f"{onset}_agreement"]
        assert str(agr.dtype) == "Int32"
        assert agr[on.fillna(False)].notna().all() and agr[~on.fillna(False)].isna().all(), onset
    for onset in MAIN:
        on = (panel[onset] == 1).fillna(False).to_numpy()
        rows = panel[on]
        assert panel.loc[~on, [f"{onset}{d}" for d in DETAIL]].isna().all().all()
        for ids, primary, size, in_force in zip(rows[f"{onset}_atopids"], rows[f"{onset}_agreement"],
                                                rows[f"{onset}_size"], rows["atopids"]):
            ids = list(ids)
            assert ids == sorted(ids) and primary in ids and set(ids) <= set(in_force)
            sizes = members.loc[ids]
            # the primary agreement: most member states, ties to the smallest atopid
            assert size == members.loc[primary] == sizes.max()
            assert primary == min(i for i in ids if members.loc[i] == sizes.max())


def test_variant_agreements_come_from_the_variant_subset(panel, table):
    attrs = table.set_index("atopid")
    for onset in MAIN:
        peace = panel[f"{onset}_peace_agreement"].dropna().astype(int)
        bilat = panel[f"{onset}_bilat_agreement"].dropna().astype(int)
        assert (attrs.loc[peace, "wartime"] == 0).all() and (attrs.loc[bilat, "bilat"] == 1).all()
        assert len(bilat) == panel[f"{onset}_bilat"].sum()
    rows = panel[(panel["alliance_onset"] == 1).fillna(False)]
    wart = attrs.loc[rows["alliance_onset_agreement"].astype(int), "wartime"].to_numpy()
    # all_wartime = 1 implies the primary is wartime
    assert (wart[rows["alliance_onset_all_wartime"].to_numpy(dtype=int) == 1] == 1).all()


def test_hand_checked_onsets(panel):
    cr = dyad(panel, 365, 710)
    # 1896: the bilateral Li-Lobanov treaty (1395)
    assert cr.loc[1896, "alliance_onset_agreement"] == 1395 and cr.loc[1896, "alliance_onset_any_bilateral"] == 1
    assert cr.loc[1896, "alliance_onset_size"] == 2 and cr.loc[1896, "alliance_onset_all_wartime"] == 0
    assert cr.loc[1896, "alliance_onset_bilat_agreement"] == 1395
    # 1942: Declaration by United Nations (2550), 43 members over its life, wartime, multilateral
    assert cr.loc[1942, "alliance_onset_agreement"] == 2550 and cr.loc[1942, "alliance_onset_size"] == 43
    assert cr.loc[1942, "alliance_onset_any_bilateral"] == 0 and cr.loc[1942, "alliance_onset_all_wartime"] == 1
    assert pd.isna(cr.loc[1942, "alliance_onset_peace_agreement"])  # 2550 is wartime: no peacetime onset
    # 1945: the bilateral 1945 treaty (3030) is the first bilateral alliance since 1900
    assert cr.loc[1945, "alliance_onset"] == 0 and cr.loc[1945, "alliance_onset_bilat"] == 1
    assert cr.loc[1945, "alliance_onset_bilat_agreement"] == 3030
    # 1950: a new treaty (3200) but no onset (3030 in force); the peacetime onset is 3200's
    assert cr.loc[1950, "alliance_new"] == 1 and cr.loc[1950, "alliance_onset"] == 0
    assert pd.isna(cr.loc[1950, "alliance_onset_agreement"]) and cr.loc[1950, "alliance_onset_peace_agreement"] == 3200
    assert cr.loc[1950, "alliance_new_bilat"] == 1 and cr.loc[1950, "alliance_onset_bilat"] == 0
    # 2001: alignment from the Shanghai Five / SCO agreement (4810, 8 members) and the bilateral treaty 4980
    assert cr.loc[2001, "alignment_onset_agreement"] == 4810
    assert list(cr.loc[2001, "alignment_onset_atopids"]) == [4810, 4980]
    assert cr.loc[2001, "alignment_onset_any_bilateral"] == 1
    assert cr.loc[2001, "alignment_onset_bilat_agreement"] == 4980
    uu = dyad(panel, 2, 200)
    assert uu.loc[1949, "alliance_onset_agreement"] == 3180 and uu.loc[1949, "alliance_onset_size"] == 30


def test_declaration_by_united_nations(panel):
    by_2550 = panel[panel["alliance_onset_agreement"] == 2550]
    assert by_2550["year"].value_counts().sort_index().to_dict() == {1942: 170, 1943: 102, 1944: 130, 1945: 495}
    assert int(panel.loc[panel["year"] == 1942, "alliance_onset"].sum()) == 172
    # the issue's 591: outside the dyads' first (left-censored) years
    assert int((by_2550["year"] != by_2550["dyad_first_year"]).sum()) == 591


def test_agreement_table(table, atop_members, panel):
    assert table["atopid"].is_monotonic_increasing and table["atopid"].is_unique
    assert len(table) == atop_members["atopid"].nunique()
    t = table.set_index("atopid")
    assert (t["n_members"] == t["members"].map(len)).all() and (t["n_founding"] == t["founding_members"].map(len)).all()
    assert (t["n_founding_great_powers"] == t["founding_great_powers"].map(len)).all()
    assert t["end_year"].isna().eq(t["in_force_at_end"]).all()
    raw = atop_members.groupby("atopid")
    assert (t["n_members"] == raw["member"].nunique()).all()
    assert (t["signing_year"] == raw["yrent"].min()).all()
    assert (t["bilat"] == raw["bilat"].max()).all() and (t["wartime"] == raw["wartime"].max()).all()
    un = t.loc[2550]
    assert un["signing_year"] == 1942 and un["end_year"] == 1945 and un["n_members"] == 43 and un["n_founding"] == 25
    assert list(un["founding_great_powers"]) == [2, 200, 365] and un["tie"] == "alliance"
    assert un["alliance_onsets"] == 897 and un["wartime"] == 1 and un["bilat"] == 0
    nato = t.loc[3180]
    assert pd.isna(nato["end_year"]) and nato["in_force_at_end"]
    assert list(nato["founding_great_powers"]) == [2, 200, 220]
    assert list(t.loc[3200, "founding_great_powers"]) == [365, 710] and t.loc[3200, "end_year"] == 1980
    assert list(t.loc[1395, "founding_great_powers"]) == [365]  # China is a COW major only from 1950
    assert t.loc[4980, "tie"] == "alignment" and t.loc[4980, "bilat"] == 1
    # every onset is counted once, at its primary agreement
    for status in ("alliance", "alignment", "tie"):
        assert t[f"{status}_onsets"].sum() == panel[f"{status}_onset"].sum()
    assert pd.isna(t.loc[1005, "alliance_onsets"])  # signed and ended in 1815, before the panel


def test_agreement_table_matches_the_census(table, data_dir):
    from alliances.dyads.context import BuildContext
    from alliances.outcomes.agreements import agreements

    per = agreements(BuildContext(data_dir=data_dir)).set_index("atopid")
    t = table.set_index("atopid")
    assert (t["n_founding_great_powers"] == per["n_gp_founders"]).all()
    assert (t["n_members"] == per["n_members"]).all() and (t["in_force_at_end"] == per["in_force_at_end"]).all()


def test_onset_sources(panel, table, build_result, tmp_path):
    # the onset columns only (a copy of the whole covered panel would be 1 GB)
    onset_cols = [c for c in panel.columns if c.startswith("alliance")] + ["year"]
    covered = panel.loc[panel["year"] <= ATOP_END, onset_cols]
    src = alliances.onset_sources(covered, agreements=table)
    assert list(src.columns) == ["atopid", "onsets", "share", "cumulative_share", "bilat", "wartime", "size"]
    assert src["onsets"].sum() == covered["alliance_onset"].sum() == 3014
    assert src["onsets"].is_monotonic_decreasing and np.isclose(src["cumulative_share"].iloc[-1], 1.0)
    top = src.iloc[0]
    assert top["atopid"] == 2550 and top["onsets"] == 897 and top["size"] == 43 and top["wartime"] == 1
    assert top["share"] == pytest.approx(897 / 3014) and src["cumulative_share"].iloc[1] == pytest.approx(
        (897 + src["onsets"].iloc[1]) / 3014)
    assert src.set_index("atopid").loc[1395, "bilat"] == 1
    # the same from the written file, and for a variant outcome
    paths = alliances.write_build(dataclasses.replace(build_result, panel=build_result.panel.iloc[:0]), tmp_path)
    again = alliances.onset_sources(covered, agreements=paths["agreements"])
    pd.testing.assert_frame_equal(src, again, check_dtype=False)
    peace = alliances.onset_sources(covered, "alliance_onset_peace", agreements=table)
    assert peace["wartime"].eq(0).all() and peace["onsets"].sum() == 2258
    with pytest.raises(PanelError, match="onset outcome"):
        alliances.onset_sources(covered, "alliance", agreements=table)
