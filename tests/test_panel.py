"""The state-system frame: membership rule, keys, ordering, extension flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import dyad

from alliances.codebook import dyad_year_columns
from alliances.config import DEFAULT_END


def test_keys_unique_sorted_and_undirected(panel):
    assert panel["ccode1"].lt(panel["ccode2"]).all()
    assert not panel.duplicated(["ccode1", "ccode2", "year"]).any()
    keys = panel["dyad_id"].astype(np.int64) * 10000 + panel["year"]
    assert keys.is_monotonic_increasing
    assert (panel["dyad_id"] == panel["ccode1"].astype(int) * 1000 + panel["ccode2"]).all()


def test_columns_are_exactly_the_codebook(panel):
    assert list(panel.columns) == [c.name for c in dyad_year_columns()]


def _members_on_days(states: pd.DataFrame, year: int) -> dict[int, set]:
    """Each state's days of membership in ``year`` (an independent day-by-day count)."""
    start = pd.to_datetime(dict(year=states["styear"], month=states["stmonth"], day=states["stday"]))
    end = pd.to_datetime(dict(year=states["endyear"], month=states["endmonth"], day=states["endday"]))
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31")
    out: dict[int, set] = {}
    for code, s, e in zip(states["ccode"], start, end):
        inside = days[(days >= s) & (days <= e)]
        if len(inside):
            out.setdefault(int(code), set()).update(inside)
    return out


def test_dyads_are_pairs_of_members_with_a_common_day(panel, data_dir):
    """Every pair of states that were members on a common day of the year, and no other:
    checked day by day (as peacesciencer's false_cow_dyads is made) in years with entries
    and exits on both sides of a day."""
    states = pd.read_csv(data_dir / "cow" / "states-2016.csv")
    for year in (1816, 1860, 1918, 1945, 1975, 1990, 2016):
        days = _members_on_days(states, year)
        expected = {(a, b) for a in days for b in days if a < b and days[a] & days[b]}
        rows = panel.loc[panel["year"] == year, ["ccode1", "ccode2"]]
        assert set(zip(rows["ccode1"].astype(int), rows["ccode2"].astype(int))) == expected, year
    # past 2016 the 2016 members are carried forward, so every year has the same count
    n2016 = (panel["year"] == 2016).sum()
    assert ((panel["year"] == DEFAULT_END).sum()) == n2016


def test_never_coexisting_states_form_no_dyad(panel, data_dir):
    """The 30 dyad-years of 1816-2016 whose states shared a year but no day (the count of
    peacesciencer's false_cow_dyads table) are absent; spot checks from the issue."""
    states = pd.read_csv(data_dir / "cow" / "states-2016.csv")
    span = states.assign(endyear=states["endyear"].clip(upper=2016))
    n_year_rule = 0
    for year in range(1816, 2017):
        n = int(((span["styear"] <= year) & (span["endyear"] >= year)).sum())
        n_year_rule += n * (n - 1) // 2
    assert n_year_rule - int((panel["year"] <= 2016).sum()) == 30
    keys = set(zip(panel["ccode1"].astype(int), panel["ccode2"].astype(int), panel["year"].astype(int)))
    for false in [(678, 679, 1990), (255, 260, 1990), (300, 310, 1918), (332, 710, 1860), (335, 710, 1860),
                  (337, 710, 1860)]:
        assert false not in keys, false
    assert (2, 710, 1860) in keys and (260, 265, 1989) in keys


def test_china_russia_starts_when_china_enters(panel):
    cr = dyad(panel, 365, 710)
    assert cr.index.min() == 1860  # COW: China enters 1860
    assert cr.index.max() == DEFAULT_END
    assert (cr["dyad_first_year"] == 1860).all()


def test_gap_dyad_restarts_its_spell(panel):
    # Germany (255) leaves the system 1945-1990: the US-Germany dyad restarts in 1990.
    us_de = dyad(panel, 2, 255)
    assert 1946 not in us_de.index
    assert us_de.loc[1990, "dyad_first_year"] == 1990
    assert us_de.loc[1944, "dyad_first_year"] == 1816


def test_extension_flags_follow_coverage(panel):
    by_year = panel.groupby("year", observed=True)["extended_sources"].first().astype(str)
    assert by_year.loc[2010] == ""
    assert by_year.loc[2011] == "td_rivalries"  # successor source from 2011
    assert set(by_year.loc[2017].split(",")) == {"atop_members", "contiguity", "majors", "states", "td_rivalries"}
    assert "tss_rivalries" in by_year.loc[2021].split(",")
    assert panel["extended"].eq(panel["extended_sources"].astype(str) != "").all()


def test_capabilities_never_filled(panel, data_dir):
    nmc = pd.read_csv(data_dir / "cow" / "nmc-7.0.csv")
    # a missing NMC component stays missing in the panel
    miss = nmc[nmc["milex"].isna()].iloc[0]
    rows = panel[(panel["ccode1"] == miss["ccode"]) & (panel["year"] == miss["year"])]
    assert len(rows) and rows["milex1"].isna().all()
    # and the CINC values are the source's values
    us_uk = dyad(panel, 2, 200)
    src = nmc.set_index(["ccode", "year"])["cinc"]
    assert us_uk.loc[1950, "cinc1"] == src.loc[(2, 1950)]
    assert us_uk.loc[1950, "cinc2"] == src.loc[(200, 1950)]


def test_covariates_past_coverage_are_missing_not_zero(panel):
    late = panel[panel["year"] == 2012]
    assert late["mids_5y"].isna().all() and late["terrthreat1"].isna().all()
    assert panel.loc[panel["year"] == 2010, "mids_5y"].notna().all()
    assert panel.loc[panel["year"] == 2021, "polity2_1"].isna().all()
    # Leeds-Savun: the file's 2008 row is all zeros, so the index ends in 2007
    assert panel.loc[panel["year"] == 2007, "lsthreat1"].notna().any()
    assert panel.loc[panel["year"] == 2008, "lsthreat1"].isna().all()


def test_cow_alliance_robustness_columns(panel):
    us_uk = dyad(panel, 2, 200)
    assert us_uk.loc[1949, "cow_defense_onset"] == 1 and us_uk.loc[1948, "cow_defense"] == 0
    assert us_uk.loc[2013:, "cow_defense"].isna().all()  # COW 4.1 ends in 2012: missing, not 0
    assert panel.loc[panel["year"] <= 2012, "cow_defense"].notna().all()
