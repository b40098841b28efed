"""geography.py: COW direct contiguity, capital-to-capital great-circle distance and CShapes
minimum distance, checked against the raw files read here with plain pandas.

Float tolerances: distances recomputed here with the haversine formula are compared with
``rel=1e-12``; minimum distances copied from the CShapes file must be identical.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import dyad

from alliances.config import DEFAULT_END

REL = 1e-12
EARTH_RADIUS_KM = 6371.0088  # geography.py and the codebook: IUGG mean Earth radius
CONT_END = 2016  # contiguity 3.2 coverage; spells open at its end are carried forward


@pytest.fixture(scope="module")
def contiguity(data_dir) -> pd.DataFrame:
    c = pd.read_csv(data_dir / "cow" / "contiguity-3.2.csv")
    c["first"] = c["stdate"].str[:4].astype(int)
    c["last"] = c["enddate"].str[:4].astype(int)
    return c


def conttype_of(cont: pd.DataFrame, a: int, b: int, year: int, panel_end: int = DEFAULT_END) -> int:
    """Closest contiguity type of any spell in force at some point of ``year``; 0 if none."""
    last = cont["last"].where(cont["last"] < CONT_END, panel_end)
    rows = cont[(cont["ccode1"] == a) & (cont["ccode2"] == b) & (cont["first"] <= year) & (last >= year)]
    types = [t for t in rows["conttype"] if t > 0]
    return min(types) if types else 0


def capital_at_year_end(capitals: pd.DataFrame, ccode: int, year: int) -> tuple[float, float]:
    rows = capitals[(capitals["ccode"] == ccode) & (capitals["stdate"] <= f"{year}-12-31")
                    & (capitals["enddate"] >= f"{year}-12-31")]
    assert len(rows) == 1, (ccode, year)
    return float(rows["lat"].iloc[0]), float(rows["lng"].iloc[0])


def haversine(lat1: float, lng1: float, lat2: float, lng2: float, radius: float = EARTH_RADIUS_KM) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


# ---------------------------------------------------------------- contiguity


def test_contiguity_spot_checks(panel, contiguity):
    us_ca = dyad(panel, 2, 20)
    assert conttype_of(contiguity, 2, 20, 1950) == 1
    assert us_ca.loc[1950, "conttype"] == 1 and us_ca.loc[1950, "contig_land"] == 1
    us_ru = dyad(panel, 2, 365)
    # the file codes USA-Russia 0 (explicitly not contiguous) to Dec 1958 and 2 (Bering
    # Strait, <= 12 miles of water) from Jan 1959, Alaska's statehood
    assert conttype_of(contiguity, 2, 365, 1958) == 0 and conttype_of(contiguity, 2, 365, 1959) == 2
    assert us_ru.loc[1950, "conttype"] == 0 and us_ru.loc[1958, "conttype"] == 0
    assert us_ru.loc[1959, "conttype"] == 2 and us_ru.loc[1990, "conttype"] == 2
    assert (us_ru["contig_land"] == 0).all()
    us_cn = dyad(panel, 2, 710)  # no row in the file at all
    assert contiguity[(contiguity["ccode1"] == 2) & (contiguity["ccode2"] == 710)].empty
    assert (us_cn["conttype"] == 0).all() and (us_cn["contig_land"] == 0).all()
    ru_cn = dyad(panel, 365, 710)
    assert (ru_cn["conttype"] == 1).all()  # land border from China's entry (1860) on
    # past the file's coverage (2016) open spells are carried forward
    assert us_ca.loc[2022, "conttype"] == 1 and us_ru.loc[2022, "conttype"] == 2


@pytest.mark.parametrize("year", [1816, 1900, 1959, 1990, 2016, 2022])
def test_conttype_of_every_dyad_in_a_year(panel, contiguity, year):
    rows = panel[panel["year"] == year]
    last = contiguity["last"].where(contiguity["last"] < CONT_END, 2022)
    spells = contiguity[(contiguity["first"] <= year) & (last >= year) & (contiguity["conttype"] > 0)]
    closest = spells.groupby(["ccode1", "ccode2"])["conttype"].min().to_dict()
    want = np.array([closest.get((a, b), 0) for a, b in zip(rows["ccode1"].astype(int), rows["ccode2"].astype(int))])
    assert np.array_equal(rows["conttype"].to_numpy(), want)
    assert np.array_equal(rows["contig_land"].to_numpy(), (want == 1).astype(int))
    assert (want > 0).sum() > 0


# ---------------------------------------------------------------- capital distance


@pytest.mark.parametrize("a,b,year", [(2, 365, 1917), (2, 365, 1918), (2, 365, 1950), (2, 20, 1950),
                                      (365, 710, 2010), (220, 255, 1940)])
def test_capdist_is_haversine_between_year_end_capitals(panel, capitals, a, b, year):
    lat1, lng1 = capital_at_year_end(capitals, a, year)
    lat2, lng2 = capital_at_year_end(capitals, b, year)
    want = haversine(lat1, lng1, lat2, lng2)
    row = dyad(panel, a, b).loc[year]
    assert row["capdist_km"] == pytest.approx(want, rel=REL)
    assert row["log_capdist"] == pytest.approx(math.log(1 + want), rel=REL)


def test_capital_move_changes_the_distance_in_the_year_of_the_move(panel, capitals):
    # Russia's capital moved from Saint Petersburg to Moscow on 12 Mar 1918: the capital in
    # force at the end of 1918 is Moscow; Vichy was France's capital at the end of 1940.
    us_ru = dyad(panel, 2, 365)
    spb, moscow = capitals[(capitals["ccode"] == 365)].sort_values("stdate")[["lat", "lng"]].to_numpy()
    usa = capitals.loc[capitals["ccode"] == 2, ["lat", "lng"]].to_numpy()[0]
    assert us_ru.loc[1917, "capdist_km"] == pytest.approx(haversine(*usa, *spb), rel=REL)
    assert us_ru.loc[1918, "capdist_km"] == pytest.approx(haversine(*usa, *moscow), rel=REL)
    assert us_ru.loc[1918, "capdist_km"] - us_ru.loc[1917, "capdist_km"] > 500


def test_capdist_pins_the_earth_radius(panel, capitals):
    """6371.0088 km, not 6371 or 6378.137: the difference exceeds the tolerance."""
    lat1, lng1 = capital_at_year_end(capitals, 2, 1950)
    lat2, lng2 = capital_at_year_end(capitals, 365, 1950)
    got = dyad(panel, 2, 365).loc[1950, "capdist_km"]
    assert got == pytest.approx(haversine(lat1, lng1, lat2, lng2), rel=REL)
    assert got != pytest.approx(haversine(lat1, lng1, lat2, lng2, radius=6371.0), rel=1e-9)
    assert got == pytest.approx(7831.05, abs=0.01)  # Washington-Moscow, km


def test_log_capdist_every_row(panel):
    np.testing.assert_allclose(panel["log_capdist"], np.log1p(panel["capdist_km"]), rtol=REL)
    assert panel["capdist_km"].notna().all() and (panel["capdist_km"] > 0).all()


# ---------------------------------------------------------------- minimum distance


@pytest.mark.parametrize("a,b,year", [(2, 365, 1950), (2, 365, 1960), (2, 20, 1950), (2, 710, 1990),
                                      (365, 710, 2019), (2, 200, 1886)])
def test_mindist_from_the_cshapes_file(panel, mindist, a, b, year):
    rows = mindist[(((mindist["ccode1"] == a) & (mindist["ccode2"] == b))
                    | ((mindist["ccode1"] == b) & (mindist["ccode2"] == a))) & (mindist["year"] == year)]
    # Named "directed" (and so described in the data README), the file holds one row per
    # undirected dyad-year (ccode1 < ccode2); the panel takes the smallest row either way.
    assert len(rows) == 1
    assert dyad(panel, a, b).loc[year, "mindist_km"] == rows["mindist"].min()


def test_mindist_values_and_coverage(panel):
    us_ru = dyad(panel, 2, 365)
    assert us_ru.loc[1950, "mindist_km"] == pytest.approx(3243.4415, abs=1e-4)
    assert us_ru.loc[1960, "mindist_km"] == pytest.approx(79.9776, abs=1e-4)  # Alaska-Chukotka
    assert dyad(panel, 2, 20).loc[1950, "mindist_km"] == 0.0  # contiguous
    assert panel.loc[panel["year"] < 1886, "mindist_km"].isna().all()
    assert panel.loc[panel["year"] > 2019, "mindist_km"].isna().all()
    assert us_ru.loc[[1885, 2020, 2022], "mindist_km"].isna().all()
