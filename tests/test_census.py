"""Great-power agreement census checked against the raw ATOP member rows."""

from __future__ import annotations

import pandas as pd
import pytest

from alliances.analysis.census import census_table, great_power_pacts
from alliances.dyads.context import BuildContext
from alliances.outcomes.agreements import agreements


@pytest.fixture(scope="module")
def per(data_dir):
    return agreements(BuildContext(data_dir=data_dir))


def test_every_agreement_counted_once(per, atop_members):
    assert len(per) == atop_members["atopid"].nunique()
    table = census_table(per)
    total = table[(table["great_powers"] == "all agreements") & (table["era"] == "all eras")]["agreements"].sum()
    assert total == atop_members["atopid"].nunique()
    # the era rows add up to the all-eras row
    for (gp, timing), g in table.groupby(["great_powers", "timing"]):
        assert g.loc[g["era"] != "all eras", "agreements"].sum() == g.loc[g["era"] == "all eras", "agreements"].item()


def test_known_great_power_pacts(per):
    pacts = great_power_pacts(per)
    ids = set(pacts["atopid"])
    assert {3180, 3200, 1385, 1350} <= ids  # NATO, Sino-Soviet 1950, Franco-Russian 1893, Triple Alliance
    assert 2550 not in ids  # the 1942 wartime coalition is not a peacetime pact
    nato = pacts.set_index("atopid").loc[3180]
    assert nato["in_force_at_end"] and pd.isna(nato["last_exit"]) and nato["signing"] == "1949-04-04"
    assert "Russia (365); China (710)" == pacts.set_index("atopid").loc[3200, "gp_founders"]


def test_wartime_and_great_power_flags_match_raw_rows(per, atop_members):
    raw = atop_members.groupby("atopid")["wartime"].max()
    assert (per.set_index("atopid")["wartime"] == raw).all()
    # the 1950 treaty: both founders were COW majors in 1950
    assert per.set_index("atopid").loc[3200, "n_gp_founders"] == 2
