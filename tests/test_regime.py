"""regime.py: Polity2, V-Dem polyarchy and the dyad's regime distance, checked against
regime/democracy.csv read here with plain pandas.

Float tolerances: scores copied from the file must be identical; ``regime_distance`` is an
absolute difference of two such scores and is compared exactly as well.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import dyad

POLITY_END, VDEM_END = 2017, 2019  # last years with values in the bundled file (regime.py docstring)


def value(dem: pd.DataFrame, ccode: int, year: int, var: str) -> float:
    row = dem[(dem["ccode"] == ccode) & (dem["year"] == year)]
    assert len(row) == 1, (ccode, year)
    return float(row[var].iloc[0])


def by_side(panel: pd.DataFrame, dem: pd.DataFrame, var: str, side: str) -> np.ndarray:
    keys = panel[[f"ccode{side}", "year"]].rename(columns={f"ccode{side}": "ccode"})
    out = keys.merge(dem[["ccode", "year", var]], on=["ccode", "year"], how="left", validate="many_to_one")
    return out[var].to_numpy(dtype=float)


@pytest.mark.parametrize("a,b,year", [(2, 365, 1950), (365, 710, 2010), (2, 200, 1816), (2, 20, 2017)])
def test_scores_for_real_dyad_years(panel, dem, a, b, year):
    row = dyad(panel, a, b).loc[year]
    lo, hi = min(a, b), max(a, b)
    assert row["polity2_1"] == value(dem, lo, year, "polity2")
    assert row["polity2_2"] == value(dem, hi, year, "polity2")
    assert row["polyarchy1"] == value(dem, lo, year, "v2x_polyarchy")
    assert row["polyarchy2"] == value(dem, hi, year, "v2x_polyarchy")
    assert row["regime_distance"] == abs(value(dem, lo, year, "polity2") - value(dem, hi, year, "polity2"))


def test_usa_russia_1950_by_hand(panel):
    row = dyad(panel, 2, 365).loc[1950]
    # democracy.csv: USA 1950 polity2 10, USSR 1950 polity2 -9
    assert (row["polity2_1"], row["polity2_2"]) == (10.0, -9.0)
    assert row["regime_distance"] == 19.0
    assert row["polyarchy1"] > 0.5 > row["polyarchy2"]


def test_every_row_matches_the_file(panel, dem):
    covered = dem[dem["year"] <= VDEM_END]
    for side in ("1", "2"):
        assert np.array_equal(panel[f"polity2_{side}"].to_numpy(), by_side(panel, covered, "polity2", side),
                              equal_nan=True)
        assert np.array_equal(panel[f"polyarchy{side}"].to_numpy(), by_side(panel, covered, "v2x_polyarchy", side),
                              equal_nan=True)


def test_regime_distance_definition_and_missingness(panel):
    """regime.py: |polity2_1 - polity2_2|, missing whenever either Polity2 score is missing."""
    p1, p2, dist = panel["polity2_1"], panel["polity2_2"], panel["regime_distance"]
    both = p1.notna() & p2.notna()
    assert np.array_equal(dist[both].to_numpy(), (p1[both] - p2[both]).abs().to_numpy())
    assert dist[~both].isna().all()
    assert (~both & (panel["year"] <= POLITY_END)).sum() > 0  # Polity2 has real gaps inside coverage
    assert dist[both].between(0, 20).all()


def test_polity2_gap_inside_coverage(panel, dem):
    """A real state-year with an empty Polity2 (and a V-Dem score) gives a missing distance."""
    gap = dem[dem["polity2"].isna() & dem["v2x_polyarchy"].notna() & (dem["year"] <= POLITY_END)]
    hits = gap.merge(panel[["ccode1", "ccode2", "year"]], left_on=["ccode", "year"], right_on=["ccode1", "year"])
    row = hits.iloc[0]
    got = dyad(panel, int(row["ccode1"]), int(row["ccode2"])).loc[int(row["year"])]
    assert np.isnan(got["polity2_1"]) and np.isnan(got["regime_distance"])
    assert got["polyarchy1"] == row["v2x_polyarchy"]


def test_missing_past_coverage(panel, dem):
    # the file's rows run to 2020 but Polity2 ends in 2017 and V-Dem polyarchy in 2019
    assert dem.loc[dem["year"] > POLITY_END, "polity2"].isna().all()
    assert dem.loc[dem["year"] > VDEM_END, "v2x_polyarchy"].isna().all()
    late = panel[panel["year"] > POLITY_END]
    assert late[["polity2_1", "polity2_2", "regime_distance"]].isna().all().all()
    assert panel.loc[panel["year"] > VDEM_END, ["polyarchy1", "polyarchy2"]].isna().all().all()
    us_ru = dyad(panel, 2, 365)
    assert us_ru.loc[2019, "polyarchy1"] == value(dem, 2, 2019, "v2x_polyarchy")  # V-Dem still present
    assert np.isnan(us_ru.loc[2018, "polity2_1"])
