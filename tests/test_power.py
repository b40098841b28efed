"""power.py: capabilities, dyadic power balance, major powers and system structure, checked
against COW NMC 7.0 and the COW major-powers file read here with plain pandas.

Float tolerances: values copied from NMC must be bit-identical (same CSV parse); derived
quantities (logs, ratios, shares, concentration) are compared with ``rel=1e-12``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import dyad

from alliances.config import DEFAULT_END

REL = 1e-12
COMPONENTS = ("milex", "milper", "irst", "pec", "tpop", "upop")
MAJORS_END = 2016  # coverage of majors-2016.csv; spells open then are carried forward to the panel end


def nmc_value(nmc: pd.DataFrame, ccode: int, year: int, var: str = "cinc") -> float:
    row = nmc[(nmc["ccode"] == ccode) & (nmc["year"] == year)]
    assert len(row) == 1, (ccode, year)
    return float(row[var].iloc[0])


def majors_in(majors: pd.DataFrame, year: int, panel_end: int = DEFAULT_END) -> set[int]:
    """COW major powers in ``year``: a spell counts in every calendar year it touches; a spell
    running to the end of the file's coverage (31 Dec 2016) is carried forward."""
    end = majors["endyear"].where(majors["endyear"] < MAJORS_END, panel_end)
    return set(majors.loc[(majors["styear"] <= year) & (end >= year), "ccode"].astype(int))


def per_state(panel: pd.DataFrame, nmc: pd.DataFrame, side: str) -> pd.DataFrame:
    """NMC rows aligned to the panel rows for ccode1 or ccode2 (independent left merge)."""
    keys = panel[[f"ccode{side}", "year"]].rename(columns={f"ccode{side}": "ccode"})
    out = keys.merge(nmc, on=["ccode", "year"], how="left", validate="many_to_one")
    assert len(out) == len(panel)
    return out


# ---------------------------------------------------------------- CINC and components


@pytest.mark.parametrize("a,b,year", [(2, 365, 1950), (365, 710, 2010), (2, 200, 1816), (2, 710, 2022)])
def test_cinc_equals_nmc_in_real_dyad_years(panel, nmc, a, b, year):
    row = dyad(panel, a, b).loc[year]
    assert row["cinc1"] == nmc_value(nmc, min(a, b), year)
    assert row["cinc2"] == nmc_value(nmc, max(a, b), year)


def test_usa_russia_1950_and_china_russia_2010_by_hand(panel):
    # NMC 7.0 rows as printed in the file: 2,1950 -> .284443...; 365,1950 -> .177...
    us_ru = dyad(panel, 2, 365).loc[1950]
    assert us_ru["cinc1"] == pytest.approx(0.2844, abs=5e-5)
    assert us_ru["cinc1"] > us_ru["cinc2"] > 0.1
    ru_cn = dyad(panel, 365, 710).loc[2010]
    assert ru_cn["cinc2"] > 2 * ru_cn["cinc1"]  # China's CINC is more than twice Russia's by 2010


def test_every_panel_state_year_in_nmc_has_its_cinc_and_components(panel, nmc):
    """Every (ccode, year) of the panel that NMC covers carries NMC's values exactly; a
    missing component (empty in the CSV) stays missing, never 0."""
    for side in ("1", "2"):
        want = per_state(panel, nmc, side)
        in_nmc = want["cinc"].notna().to_numpy()
        assert in_nmc.sum() > 0
        got = panel[f"cinc{side}"].to_numpy()
        assert np.isnan(got[~in_nmc]).all()  # state-years NMC lacks stay missing
        assert np.array_equal(got[in_nmc], want["cinc"].to_numpy()[in_nmc])
        for comp in COMPONENTS:
            assert np.array_equal(panel[f"{comp}{side}"].to_numpy(), want[comp].to_numpy(dtype=float),
                                  equal_nan=True), (comp, side)
    # the check is not vacuous: NMC leaves some components empty for panel states
    assert nmc["milex"].isna().sum() > 0


def test_missing_component_stays_missing(panel, nmc):
    """A real NMC row with an empty component: the panel shows NaN there, not 0."""
    gap = nmc[nmc["milex"].isna() & nmc["cinc"].notna()]
    in_panel = gap.merge(panel[["ccode1", "year"]].drop_duplicates(), left_on=["ccode", "year"],
                         right_on=["ccode1", "year"])
    code, year = int(in_panel["ccode"].iloc[0]), int(in_panel["year"].iloc[0])
    rows = panel[(panel["ccode1"] == code) & (panel["year"] == year)]
    assert rows["milex1"].isna().all()
    assert (rows["cinc1"] == nmc_value(nmc, code, year)).all()


def test_cinc_missing_not_zero_past_nmc_coverage(panel, nmc):
    """NMC 7.0 ends in 2022, before the panel's last year: CINC past it is missing (rule
    ``missing``), never 0."""
    nmc_end = int(nmc["year"].max())
    assert nmc_end == 2022 and int(panel["year"].max()) == DEFAULT_END > nmc_end
    beyond = panel[panel["year"] > nmc_end]
    assert len(beyond)
    for col in ("cinc1", "cinc2", "joint_cinc", "cap_ratio", "cap_share1", "cap_share2", "leader_share"):
        assert beyond[col].isna().all(), col
    assert not (panel["cinc1"] == 0).any() and not (panel["cinc2"] == 0).any()


# ---------------------------------------------------------------- dyadic power balance


@pytest.mark.parametrize("a,b,year", [(2, 365, 1950), (365, 710, 2010), (2, 200, 1816)])
def test_ratio_joint_and_shares_by_hand(panel, nmc, a, b, year):
    c1, c2 = nmc_value(nmc, min(a, b), year), nmc_value(nmc, max(a, b), year)
    row = dyad(panel, a, b).loc[year]
    # power.py COLUMNS: natural log of the stronger's CINC over the weaker's, >= 0
    assert row["cap_ratio"] == pytest.approx(math.log(max(c1, c2) / min(c1, c2)), rel=REL)
    assert row["cap_ratio"] >= 0
    assert row["joint_cinc"] == pytest.approx(c1 + c2, rel=REL)
    assert row["cap_share1"] == pytest.approx(c1 / (c1 + c2), rel=REL)
    assert row["cap_share2"] == pytest.approx(c2 / (c1 + c2), rel=REL)


def test_ratio_is_symmetric_in_the_stronger_state(panel, nmc):
    # China (710, ccode2) is the stronger in 2010, the USA (ccode1) in 1950 vs Russia:
    # cap_ratio is the same formula whichever side is stronger.
    ru_cn = dyad(panel, 365, 710).loc[2010]
    assert ru_cn["cinc2"] > ru_cn["cinc1"]
    assert ru_cn["cap_ratio"] == pytest.approx(math.log(nmc_value(nmc, 710, 2010) / nmc_value(nmc, 365, 2010)),
                                               rel=REL)


def test_power_balance_on_every_row(panel, nmc):
    c1 = per_state(panel, nmc, "1")["cinc"].to_numpy()
    c2 = per_state(panel, nmc, "2")["cinc"].to_numpy()
    np.testing.assert_allclose(panel["cap_ratio"], np.log(np.maximum(c1, c2) / np.minimum(c1, c2)), rtol=REL)
    np.testing.assert_allclose(panel["joint_cinc"], c1 + c2, rtol=REL)
    np.testing.assert_allclose(panel["cap_share1"], c1 / (c1 + c2), rtol=REL)
    known = np.isfinite(c1 + c2)
    np.testing.assert_allclose((panel["cap_share1"] + panel["cap_share2"])[known], 1.0, rtol=REL)
    assert panel.loc[panel["year"] > nmc["year"].max(), "cap_ratio"].isna().all()  # rule missing past NMC


# ---------------------------------------------------------------- major powers


def test_majors_spot_checks(panel):
    us_ru = dyad(panel, 2, 365)
    assert us_ru.loc[1897, "major1"] == 0 and us_ru.loc[1898, "major1"] == 1  # USA major from Aug 1898
    assert us_ru.loc[1917, "major2"] == 1  # Russia until 5 Dec 1917
    assert (us_ru.loc[1918:1921, "major2"] == 0).all()  # not a major 1918-1921
    assert us_ru.loc[1922, "major2"] == 1
    assert us_ru.loc[1950, "great_power_dyad"] == 1
    ru_cn = dyad(panel, 365, 710)
    assert ru_cn.loc[1949, "major2"] == 0 and ru_cn.loc[1950, "major2"] == 1  # China major from 1950
    assert ru_cn.loc[2010, "great_power_dyad"] == 1
    assert ru_cn.loc[2022, "great_power_dyad"] == 1  # the 2016 list carried forward
    us_ca = dyad(panel, 2, 20)
    assert us_ca.loc[1950, "great_power_dyad"] == 0 and us_ca.loc[1950, "major2"] == 0


def test_major_flags_on_every_row_match_the_majors_file(panel, majors):
    years = range(int(panel["year"].min()), int(panel["year"].max()) + 1)
    keys = {(c, y) for y in years for c in majors_in(majors, y)}
    for side in ("1", "2"):
        want = [(c, y) in keys for c, y in zip(panel[f"ccode{side}"].astype(int), panel["year"].astype(int))]
        assert np.array_equal(panel[f"major{side}"].to_numpy() == 1, np.array(want)), side
    assert ((panel["great_power_dyad"] == 1) == ((panel["major1"] == 1) & (panel["major2"] == 1))).all()


def test_n_great_powers_every_year(panel, majors):
    by_year = panel.groupby("year")["n_great_powers"].agg(["min", "max"])
    assert (by_year["min"] == by_year["max"]).all()  # a system-level value
    want = pd.Series({y: len(majors_in(majors, y)) for y in by_year.index})
    assert (by_year["min"] == want).all(), by_year["min"][by_year["min"] != want]
    # hand-checked values from the majors file
    assert by_year.loc[1816, "min"] == 5  # GBR FRA PRU AUH RUS
    assert by_year.loc[1920, "min"] == 5  # USA GBR FRA ITA JPN (Russia out 1918-1921)
    assert by_year.loc[1950, "min"] == 5  # USA GBR FRA RUS CHN
    assert by_year.loc[2022, "min"] == 7  # + GMY JPN, carried forward past 2016


# ---------------------------------------------------------------- system structure


def structure(nmc: pd.DataFrame, majors: pd.DataFrame, year: int) -> tuple[float, float]:
    """Ray-Singer concentration and leader share among the majors, written out long-hand."""
    cincs = [nmc_value(nmc, c, year) for c in sorted(majors_in(majors, year))]
    total = sum(cincs)
    shares = [c / total for c in cincs]
    n = len(shares)
    con = math.sqrt((sum(s * s for s in shares) - 1 / n) / (1 - 1 / n))
    return con, max(cincs) / total


def test_leader_share_and_concentration_1950_by_hand(panel, nmc, majors):
    assert majors_in(majors, 1950) == {2, 200, 220, 365, 710}
    cinc = {c: nmc_value(nmc, c, 1950) for c in (2, 200, 220, 365, 710)}
    total = sum(cinc.values())
    leader = cinc[2] / total  # the USA leads in 1950
    assert max(cinc, key=cinc.get) == 2
    s = [v / total for v in cinc.values()]
    con = math.sqrt((sum(x * x for x in s) - 1 / 5) / (1 - 1 / 5))
    row = dyad(panel, 20, 42).loc[1950]  # any dyad carries the system value (Canada-Dominican Rep.)
    assert row["leader_share"] == pytest.approx(leader, rel=REL)
    assert row["gp_concentration"] == pytest.approx(con, rel=REL)
    assert 0 < row["gp_concentration"] < 1


def test_leader_share_and_concentration_every_year(panel, nmc, majors):
    got = panel.groupby("year")[["gp_concentration", "leader_share"]].agg(["min", "max"])
    assert got.loc[got.index > nmc["year"].max()].isna().all().all()  # missing past NMC, never filled
    for year in got.index[got.index <= nmc["year"].max()]:
        con, leader = structure(nmc, majors, int(year))
        assert got.loc[year, ("gp_concentration", "min")] == pytest.approx(con, rel=REL, abs=1e-15), year
        assert got.loc[year, ("gp_concentration", "max")] == pytest.approx(con, rel=REL, abs=1e-15), year
        assert got.loc[year, ("leader_share", "min")] == pytest.approx(leader, rel=REL), year
        assert got.loc[year, ("leader_share", "max")] == pytest.approx(leader, rel=REL), year
