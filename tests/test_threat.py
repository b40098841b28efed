"""threat.py: strategic rivals, shared rivals and the common threat, MIDs in 5-year windows,
loss-of-strength-gradient discounted threat, and the Leeds-Savun and territorial threat
indices, checked against the raw files read here with plain pandas.

Float tolerances: values copied from a source file must be identical; the discounted
(loss-of-strength gradient) sums recomputed here are compared with ``rel=1e-12``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import dyad

REL = 1e-12
EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344
TD_END, TSS_END, GML_END, LS_END, TERR_END = 2010, 2020, 2010, 2007, 2010


def rival_pairs(td: pd.DataFrame, tss: pd.DataFrame, year: int) -> set[tuple[int, int]]:
    """Undirected rival pairs in force in ``year``: Thompson-Dreyer to 2010, Thompson-Sakuwa-
    Suhas for 2011-2020, TSS rivalries still open in 2020 after that."""
    if year <= TD_END:
        r = td[(td["styear"] <= year) & (td["endyear"] >= year)]
    elif year <= TSS_END:
        r = tss[(tss["start"] <= year) & (tss["end"] >= year)]
    else:
        r = tss[(tss["start"] <= year) & (tss["end"] >= TSS_END)]
    return {(min(a, b), max(a, b)) for a, b in zip(r["ccode1"].astype(int), r["ccode2"].astype(int))}


def rivals_of(pairs: set[tuple[int, int]], state: int) -> set[int]:
    return {b if a == state else a for a, b in pairs if state in (a, b)}


def cinc(nmc: pd.DataFrame, ccode: int, year: int) -> float:
    row = nmc[(nmc["ccode"] == ccode) & (nmc["year"] == year)]
    assert len(row) == 1, (ccode, year)
    return float(row["cinc"].iloc[0])


def capdist(capitals: pd.DataFrame, a: int, b: int, year: int) -> float:
    def cap(c):
        r = capitals[(capitals["ccode"] == c) & (capitals["stdate"] <= f"{year}-12-31")
                     & (capitals["enddate"] >= f"{year}-12-31")]
        assert len(r) == 1
        return math.radians(r["lat"].iloc[0]), math.radians(r["lng"].iloc[0])

    (p1, l1), (p2, l2) = cap(a), cap(b)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def lsg(c: float, km: float) -> float:
    """Bueno de Mesquita (1981): c ** log10(miles / 250 + 10 - e)."""
    return c ** math.log10(km / KM_PER_MILE / 250 + 10 - math.e)


# ---------------------------------------------------------------- rivalries


def test_usa_russia_rivalry_spells(panel, td, tss):
    us_ru = dyad(panel, 2, 365)
    # Thompson-Dreyer: Russia-United States 1 (1945-1989) and 2 (2007-2010)
    assert (2, 365) in rival_pairs(td, tss, 1950)
    assert us_ru.loc[1950, "rivals"] == 1
    assert us_ru.loc[1944, "rivals"] == 0 and us_ru.loc[1945, "rivals"] == 1
    assert us_ru.loc[1989, "rivals"] == 1 and (us_ru.loc[1990:2006, "rivals"] == 0).all()
    assert (us_ru.loc[2007:2022, "rivals"] == 1).all()  # TD, then TSS (2007-2020), then carried forward


def test_successor_and_carried_forward_rivalries(panel, td, tss):
    # Russia-Ukraine is a TSS rivalry from 2014 (open in 2020), absent from Thompson-Dreyer
    ru_ua = dyad(panel, 365, 369)
    assert (365, 369) not in rival_pairs(td, tss, 2010)
    assert ru_ua.loc[2013, "rivals"] == 0
    assert ru_ua.loc[2014, "rivals"] == 1 and ru_ua.loc[2020, "rivals"] == 1
    assert ru_ua.loc[2022, "rivals"] == 1


@pytest.mark.parametrize("year", [1816, 1900, 1950, 2010, 2011, 2015, 2022])
def test_rivals_of_every_dyad_in_a_year(panel, td, tss, year):
    rows = panel[panel["year"] == year]
    pairs = rival_pairs(td, tss, year)
    want = np.array([(a, b) in pairs for a, b in zip(rows["ccode1"].astype(int), rows["ccode2"].astype(int))])
    assert np.array_equal(rows["rivals"].to_numpy() == 1, want)
    assert want.sum() > 0


def test_shared_rivals_and_common_threat_uk_germany_1900(panel, td, tss, nmc):
    pairs = rival_pairs(td, tss, 1900)
    shared = (rivals_of(pairs, 200) & rivals_of(pairs, 255)) - {200, 255}
    assert shared == {2, 220, 365, 710}  # USA, France, Russia, China: hand-checked in the TD file
    row = dyad(panel, 200, 255).loc[1900]
    assert row["rivals"] == 1
    assert row["shared_rivals"] == 4
    strongest = max(shared, key=lambda k: cinc(nmc, k, 1900))
    assert strongest == 2  # USA 0.188 > China 0.120 > Russia 0.109 > France 0.075
    assert row["common_threat_ccode"] == 2
    assert row["common_threat_cinc"] == cinc(nmc, 2, 1900)
    assert row["alone_ratio1"] == pytest.approx(cinc(nmc, 200, 1900) / cinc(nmc, 2, 1900), rel=REL)
    assert row["alone_ratio2"] == pytest.approx(cinc(nmc, 255, 1900) / cinc(nmc, 2, 1900), rel=REL)
    assert row["joint_ratio"] == pytest.approx((cinc(nmc, 200, 1900) + cinc(nmc, 255, 1900))
                                               / cinc(nmc, 2, 1900), rel=REL)


def test_common_threat_russia_china_1950_and_none(panel, td, tss, nmc):
    # China-Russia 1 ended in 1949; both were rivals of the USA in 1950
    pairs = rival_pairs(td, tss, 1950)
    assert (rivals_of(pairs, 365) & rivals_of(pairs, 710)) == {2}
    row = dyad(panel, 365, 710).loc[1950]
    assert row["rivals"] == 0 and row["shared_rivals"] == 1
    assert row["common_threat_ccode"] == 2 and row["common_threat_cinc"] == cinc(nmc, 2, 1950)
    # no shared rival: ccode null, cinc 0, ratios null
    none = dyad(panel, 2, 365).loc[1950]
    assert none["shared_rivals"] == 0
    assert pd.isna(none["common_threat_ccode"]) and none["common_threat_cinc"] == 0.0
    assert np.isnan(none["alone_ratio1"]) and np.isnan(none["joint_ratio"])


@pytest.mark.parametrize("year", [1900, 1950, 2015])
def test_shared_rivals_of_every_dyad_in_a_year(panel, td, tss, year):
    pairs = rival_pairs(td, tss, year)
    states = {s for p in pairs for s in p}
    rows = panel[panel["year"] == year]
    riv = {s: rivals_of(pairs, s) for s in states}
    want = np.array([len(riv.get(a, set()) & riv.get(b, set())) for a, b in
                     zip(rows["ccode1"].astype(int), rows["ccode2"].astype(int))])
    assert np.array_equal(rows["shared_rivals"].to_numpy(), want)
    assert (want > 0).sum() > 0


# ---------------------------------------------------------------- loss-of-strength gradient


def lsg_threat(td, tss, nmc, capitals, state: int, partner: int, year: int) -> float:
    others = rivals_of(rival_pairs(td, tss, year), state) - {partner}
    return sum(lsg(cinc(nmc, k, year), capdist(capitals, state, k, year)) for k in others)


def test_lsg_threat_usa_russia_1950_by_hand(panel, td, tss, nmc, capitals):
    # USA's rivals in 1950: Russia (the partner, excluded) and China -> one term
    assert rivals_of(rival_pairs(td, tss, 1950), 2) == {365, 710}
    km = capdist(capitals, 2, 710, 1950)  # Washington-Beijing
    exponent = math.log10(km / 1.609344 / 250 + 10 - math.e)
    want1 = cinc(nmc, 710, 1950) ** exponent
    row = dyad(panel, 2, 365).loc[1950]
    assert row["lsg_threat1"] == pytest.approx(want1, rel=REL)
    assert 1.5 < exponent < 1.6 and want1 < cinc(nmc, 710, 1950)  # far away: discounted
    # Russia's rivals in 1950 other than the USA: Britain (to 1956) and Yugoslavia (1948-1955)
    assert rivals_of(rival_pairs(td, tss, 1950), 365) - {2} == {200, 345}
    want2 = lsg(cinc(nmc, 200, 1950), capdist(capitals, 365, 200, 1950)) + \
        lsg(cinc(nmc, 345, 1950), capdist(capitals, 365, 345, 1950))
    assert row["lsg_threat2"] == pytest.approx(want2, rel=REL)
    assert row["lsg_common_threat"] == 0.0


@pytest.mark.parametrize("a,b,year", [(200, 255, 1900), (365, 710, 1960), (2, 710, 2015)])
def test_lsg_threat_sums(panel, td, tss, nmc, capitals, a, b, year):
    row = dyad(panel, a, b).loc[year]
    assert row["lsg_threat1"] == pytest.approx(lsg_threat(td, tss, nmc, capitals, a, b, year), rel=REL)
    assert row["lsg_threat2"] == pytest.approx(lsg_threat(td, tss, nmc, capitals, b, a, year), rel=REL)


@pytest.mark.parametrize("a,b,year", [(365, 710, 1950), (200, 255, 1900)])
def test_lsg_common_threat_uses_the_nearer_member(panel, td, tss, nmc, capitals, a, b, year):
    pairs = rival_pairs(td, tss, year)
    shared = rivals_of(pairs, a) & rivals_of(pairs, b)
    want = sum(lsg(cinc(nmc, k, year), min(capdist(capitals, a, k, year), capdist(capitals, b, k, year)))
               for k in shared)
    assert dyad(panel, a, b).loc[year, "lsg_common_threat"] == pytest.approx(want, rel=REL)


# ---------------------------------------------------------------- MIDs


def mids_in_window(gml: pd.DataFrame, a: int, b: int, year: int) -> int:
    """Distinct GML disputes between a and b with a dispute-year in year-4 .. year."""
    pair = ((gml["ccode1"] == a) & (gml["ccode2"] == b)) | ((gml["ccode1"] == b) & (gml["ccode2"] == a))
    return gml.loc[pair & gml["year"].between(year - 4, year), "dispnum"].nunique()


def test_mids_5y_usa_russia_by_hand(panel, gml):
    us_ru = dyad(panel, 2, 365)
    # GML dyad-years 2-365: 252 (1946), 26 (1948, 1949), 1286 (1950, 1951), 2035 (1953) ...
    assert mids_in_window(gml, 2, 365, 1950) == 3  # 252, 26, 1286 in 1946-1950
    assert us_ru.loc[1950, "mids_5y"] == 3
    assert mids_in_window(gml, 2, 365, 1951) == 2  # 252 (1946) has left the window; 1286 counted once
    assert us_ru.loc[1951, "mids_5y"] == 2
    assert us_ru.loc[1960, "mids_5y"] == mids_in_window(gml, 2, 365, 1960) == 5


@pytest.mark.parametrize("a,b,year", [(2, 710, 1950), (365, 710, 1969), (2, 365, 2010), (220, 255, 1871)])
def test_mids_5y_window_counts(panel, gml, a, b, year):
    row = dyad(panel, a, b).loc[year]
    assert row["mids_5y"] == mids_in_window(gml, a, b, year)


def test_mids_missing_past_gml_coverage(panel, gml):
    assert int(gml["year"].max()) == GML_END
    assert dyad(panel, 2, 365).loc[2010, "mids_5y"] == 0.0  # covered, no dispute: 0 not missing
    past = panel[panel["year"] > GML_END]
    assert past["mids_5y"].isna().all() and past["shared_mid_adversaries_5y"].isna().all()
    assert panel.loc[panel["year"] <= GML_END, "mids_5y"].notna().all()


# ---------------------------------------------------------------- state-level threat indices


def index_by_side(panel: pd.DataFrame, src: pd.DataFrame, var: str, side: str) -> np.ndarray:
    keys = panel[[f"ccode{side}", "year"]].rename(columns={f"ccode{side}": "ccode"})
    out = keys.merge(src[["ccode", "year", var]], on=["ccode", "year"], how="left", validate="many_to_one")
    return out[var].to_numpy(dtype=float)


def test_lsthreat_from_file_and_missing_after_2007(panel, data_dir):
    ls = pd.read_csv(data_dir / "threat" / "leeds-savun-threat.csv")
    # the file's 2008 rows are all 0 and its 2009-2015 rows have no ccode: not data
    assert (ls.loc[ls["year"] == 2008, "lsthreat"] == 0).all()
    assert ls.loc[ls["year"] > 2008, "ccode"].isna().all()
    ls = ls[ls["year"] <= LS_END].dropna(subset=["ccode"]).astype({"ccode": int})
    us_ru = dyad(panel, 2, 365)
    for year in (1950, 2007):
        assert us_ru.loc[year, "lsthreat1"] == ls.loc[(ls["ccode"] == 2) & (ls["year"] == year), "lsthreat"].item()
        assert us_ru.loc[year, "lsthreat2"] == ls.loc[(ls["ccode"] == 365) & (ls["year"] == year), "lsthreat"].item()
    assert us_ru.loc[[2008, 2015, 2022], ["lsthreat1", "lsthreat2"]].isna().all().all()
    for side in ("1", "2"):
        assert np.array_equal(panel[f"lsthreat{side}"].to_numpy(), index_by_side(panel, ls, "lsthreat", side),
                              equal_nan=True)
    assert panel.loc[panel["year"] > LS_END, ["lsthreat1", "lsthreat2"]].isna().all().all()


def test_terrthreat_from_file_and_missing_after_2010(panel, data_dir):
    tt = pd.read_csv(data_dir / "threat" / "territorial-threat.csv")
    assert int(tt["year"].max()) == TERR_END
    row = dyad(panel, 365, 710).loc[1950]
    assert row["terrthreat1"] == tt.loc[(tt["ccode"] == 365) & (tt["year"] == 1950), "lterrthreat"].item()
    assert row["terrthreat2"] == tt.loc[(tt["ccode"] == 710) & (tt["year"] == 1950), "lterrthreat"].item()
    for side in ("1", "2"):
        assert np.array_equal(panel[f"terrthreat{side}"].to_numpy(),
                              index_by_side(panel, tt, "lterrthreat", side), equal_nan=True)
    assert panel.loc[panel["year"] > TERR_END, ["terrthreat1", "terrthreat2"]].isna().all().all()
    assert panel.loc[panel["year"] <= TERR_END, "terrthreat1"].notna().any()
