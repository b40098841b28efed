"""Threat: strategic rivals, militarized disputes, common threats, distance-discounted
third-party capabilities, and state-level threat indices.

Sources and rules:

- Strategic rivalries: Thompson and Dreyer (2012) through 2010 (their coverage). For
  2011-2020 the rivalries of Thompson, Sakuwa and Suhas (2022), the same authors'
  successor list, in force in that year (rule ``successor_source``, flagged
  ``td_rivalries``); past 2020 TSS rivalries open at its end are carried forward
  (``carry_forward``, flagged ``tss_rivalries``).
- MIDs: Gibler-Miller-Little 2.2.1 dyad-year-disputes; 5-year windows (t-4..t). Missing past
  2010 (rule ``missing``): zero disputes would be a guess.
- Common threat: a third state that is a strategic rival of both members (rivalry-based
  so that it is defined, with flags, through the panel end).
- Loss-of-strength gradient (Bueno de Mesquita 1981, The War Trap): a capability ``c`` at
  distance ``d`` miles counts as ``c ** log10(d / 250 + 10 - e)`` (250 miles a day of
  modern transport; e = 2.71828...). Capital-to-capital distances are used.
- Leeds-Savun (2007) external threat index through 2007 and Miller's (2022) latent
  territorial threat through 2010; missing after (rule ``missing``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column, pair
from alliances.covariates.geography import capital_distance
from alliances.dyads.context import CARRY_FORWARD, MISSING, SUCCESSOR, BuildContext
from alliances.dyads.keys import (
    dyad_id,
    expand_years,
    lookup,
    member,
    positions,
    take,
    year_key,
)
from alliances.dyads.panel import with_columns
from alliances.sources.registry import coverage

KM_PER_MILE = 1.609344
MILES_PER_DAY = 250.0
RIV_SOURCES = ("td_rivalries", "tss_rivalries")
_TD_END, _TSS_END = coverage("td_rivalries")[1], coverage("tss_rivalries")[1]
RIV_EXT = (f"Thompson-Dreyer to {_TD_END}; Thompson-Sakuwa-Suhas for {_TD_END + 1}-{_TSS_END} (successor_source); "
           f"TSS rivalries open in {_TSS_END} carried forward after (carry_forward)")
MID_EXT = f"missing past GML coverage ({coverage('gml_mid')[1]}); rule missing"

COLUMNS = [
    Column("rivals", "int8", "1 if the two states are strategic rivals this year", sources=RIV_SOURCES,
           extension=RIV_EXT),
    Column("shared_rivals", "int16", "number of third states that are strategic rivals of both", unit="states",
           sources=RIV_SOURCES, extension=RIV_EXT),
    Column("mids_5y", "float64", "number of distinct MIDs between the two states with a dispute-year in t-4..t",
           unit="disputes", sources=("gml_mid",), extension=MID_EXT),
    Column("shared_mid_adversaries_5y", "float64", "number of third states that were MID adversaries of both "
           "in t-4..t", unit="states", sources=("gml_mid",), extension=MID_EXT),
    Column("common_threat_ccode", "Int16", "COW code of the strongest (largest CINC) shared strategic rival; "
           "null when there is none", sources=RIV_SOURCES + ("nmc",), extension=RIV_EXT),
    Column("common_threat_cinc", "float64", "CINC of the strongest shared strategic rival; 0 when there is none",
           unit="share", sources=RIV_SOURCES + ("nmc",), extension=RIV_EXT + f"; NMC missing past {coverage('nmc')[1]}"),
    *pair("alone_ratio", "float64", "cinc of {state} / common_threat_cinc: can it handle the common threat "
          "alone (>= 1)? null without a common threat", unit="ratio", sources=RIV_SOURCES + ("nmc",),
          extension=RIV_EXT),
    Column("joint_ratio", "float64", "(cinc1 + cinc2) / common_threat_cinc: can they handle it together (>= 1)? "
           "null without a common threat", unit="ratio", sources=RIV_SOURCES + ("nmc",), extension=RIV_EXT),
    *pair("lsg_threat", "float64", "sum over {state}'s strategic rivals other than its partner of the rival's "
          "CINC discounted by capital distance d (miles): cinc ** log10(d/250 + 10 - e) (Bueno de Mesquita "
          "1981)", unit="discounted CINC", sources=RIV_SOURCES + ("nmc", "capitals"), extension=RIV_EXT),
    Column("lsg_common_threat", "float64", "the same discounted CINC summed over shared strategic rivals, using "
           "the distance to the nearer member", unit="discounted CINC", sources=RIV_SOURCES + ("nmc", "capitals"),
           extension=RIV_EXT),
    *pair("lsthreat", "float64", "Leeds-Savun external threat index of {state}", unit="index 0-1",
          sources=("lsthreat",), extension=f"missing past {coverage('lsthreat')[1]} (rule missing; the file's 2008 zeros "
          "and 2009-2015 rows without ccode are not used)"),
    *pair("terrthreat", "float64", "latent external territorial threat of {state} (posterior mean)",
          unit="latent scale", sources=("terrthreat",), extension=f"missing past {coverage('terrthreat')[1]} (rule missing)"),
]


def lsg_discount(cinc: np.ndarray, dist_km: np.ndarray) -> np.ndarray:
    """Bueno de Mesquita's loss-of-strength gradient applied to a CINC share."""
    miles = np.asarray(dist_km) / KM_PER_MILE
    return np.power(cinc, np.log10(miles / MILES_PER_DAY + 10 - np.e))


def rival_years(ctx: BuildContext) -> pd.DataFrame:
    """Undirected rival pairs by year (a < b), with ``source`` = 'td' or 'tss'."""
    td = ctx.source("td_rivalries").frame
    td_end = ctx.extend("td_rivalries", SUCCESSOR, note=f"Thompson-Sakuwa-Suhas rivalries fill {_TD_END + 1}-{_TSS_END}")
    tss = ctx.source("tss_rivalries").frame
    tss_end = ctx.extend("tss_rivalries", CARRY_FORWARD, note="rivalries open in the last covered year persist")
    frames = []
    idx, years = expand_years(np.maximum(td["styear"], ctx.start), np.minimum(td["endyear"], min(td_end, ctx.end)))
    frames.append(pd.DataFrame({"a": td["ccode1"].to_numpy()[idx], "b": td["ccode2"].to_numpy()[idx], "year": years}))
    end = tss["end"].to_numpy().astype(int)
    end = np.where(end >= tss_end, max(tss_end, ctx.end), end)
    idx, years = expand_years(np.maximum(tss["start"].to_numpy(), max(td_end + 1, ctx.start)), np.minimum(end, ctx.end))
    frames.append(pd.DataFrame({"a": tss["ccode1"].to_numpy()[idx], "b": tss["ccode2"].to_numpy()[idx], "year": years}))
    r = pd.concat(frames, ignore_index=True)
    a, b = np.minimum(r["a"], r["b"]), np.maximum(r["a"], r["b"])
    return pd.DataFrame({"a": a, "b": b, "year": r["year"]}).drop_duplicates().reset_index(drop=True)


def shared_third_parties(pairs: pd.DataFrame) -> pd.DataFrame:
    """For undirected pairs (a, b, year) return (i, j, k, year): k paired with both i < j."""
    d = pd.concat([pairs.rename(columns={"a": "i", "b": "k"}), pairs.rename(columns={"a": "k", "b": "i"})],
                  ignore_index=True)[["i", "k", "year"]]
    j = d.merge(d.rename(columns={"i": "j"}), on=["k", "year"])
    return j[j["i"] < j["j"]].reset_index(drop=True)


def mid_years(ctx: BuildContext) -> tuple[pd.DataFrame, int]:
    g = ctx.source("gml_mid").frame
    end = ctx.extend("gml_mid", MISSING)
    a, b = np.minimum(g["ccode1"], g["ccode2"]), np.maximum(g["ccode1"], g["ccode2"])
    out = pd.DataFrame({"dispnum": g["dispnum"].to_numpy(), "a": a, "b": b, "year": g["year"].to_numpy()})
    return out.drop_duplicates().reset_index(drop=True), end


def rivalry_columns(panel: pd.DataFrame, ctx: BuildContext, caps: pd.DataFrame) -> dict[str, np.ndarray]:
    """Direct rivalry, shared rivals, the strongest common rival and its capability ratios, and
    distance-discounted threat (Thompson-Dreyer to 2010, then Thompson-Sakuwa-Suhas; NMC CINC;
    capitals). Hard cases: a rival's capability is discounted by the nearer member's capital
    distance (Bueno de Mesquita's formula, which can raise a near rival's CINC); a state's own
    threat excludes its partner's term when the two are rivals; ties for the strongest
    common rival go to the smaller COW code."""
    pkey = year_key(panel["dyad_id"], panel["year"])
    year = panel["year"].to_numpy()
    nmc = ctx.source("nmc").frame
    nkey = year_key(nmc["ccode"], nmc["year"])
    ncinc = nmc["cinc"].to_numpy(dtype=float)
    cols: dict[str, np.ndarray] = {}

    riv = rival_years(ctx)
    rkey = year_key(dyad_id(riv["a"], riv["b"]), riv["year"])
    cols["rivals"] = member(pkey, rkey).astype(np.int8)
    sh = shared_third_parties(riv)
    sh["cinc_k"] = lookup(year_key(sh["k"], sh["year"]), nkey, ncinc)
    d_ik = capital_distance(sh["i"], sh["k"], sh["year"], caps)
    d_jk = capital_distance(sh["j"], sh["k"], sh["year"], caps)
    sh["lsg"] = lsg_discount(sh["cinc_k"].to_numpy(), np.fmin(d_ik, d_jk))
    sh["key"] = year_key(dyad_id(sh["i"], sh["j"]), sh["year"])
    g = sh.groupby("key")
    count = g.size()
    # one join for every per-dyad-year aggregate below: they all come out sorted by key
    pos = positions(pkey, count.index.to_numpy())
    cols["shared_rivals"] = take(pos, count.to_numpy(), fill=0).astype(np.int16)
    strongest = sh.sort_values(["key", "cinc_k", "k"], ascending=[True, False, True]).drop_duplicates("key")
    assert np.array_equal(strongest["key"].to_numpy(), count.index.to_numpy())  # internal invariant
    threat_cinc = take(pos, strongest["cinc_k"].to_numpy())
    has_threat = cols["shared_rivals"] > 0
    cols["common_threat_ccode"] = pd.array(
        np.where(has_threat, take(pos, strongest["k"].to_numpy(), fill=0), 0), dtype="Int16")
    cols["common_threat_ccode"][~has_threat] = pd.NA
    cols["common_threat_cinc"] = np.where(has_threat, threat_cinc, 0.0)
    k1, k2 = year_key(panel["ccode1"], year), year_key(panel["ccode2"], year)
    c1, c2 = lookup(k1, nkey, ncinc), lookup(k2, nkey, ncinc)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = np.where(has_threat & (threat_cinc > 0), threat_cinc, np.nan)
        cols["alone_ratio1"] = c1 / denom
        cols["alone_ratio2"] = c2 / denom
        cols["joint_ratio"] = (c1 + c2) / denom

    # Monadic discounted threat from each state's rivals, minus the partner's own term.
    mono = pd.concat([riv.rename(columns={"a": "i", "b": "k"}), riv.rename(columns={"a": "k", "b": "i"})],
                     ignore_index=True)
    mono["lsg"] = lsg_discount(lookup(year_key(mono["k"], mono["year"]), nkey, ncinc),
                               capital_distance(mono["i"], mono["k"], mono["year"], caps))
    total = mono.groupby(year_key(mono["i"], mono["year"]))["lsg"].sum(min_count=1)
    d12 = panel["capdist_km"].to_numpy() if "capdist_km" in panel else capital_distance(
        panel["ccode1"], panel["ccode2"], year, caps)
    is_riv = cols["rivals"] == 1
    for k, own, other in (("1", k1, c2), ("2", k2, c1)):
        tot = lookup(own, total.index.to_numpy(), total.to_numpy(), fill=0.0)
        partner = np.where(is_riv, lsg_discount(other, d12), 0.0)
        cols[f"lsg_threat{k}"] = tot - np.nan_to_num(partner)
    lsg_sum = g["lsg"].sum(min_count=1)
    cols["lsg_common_threat"] = take(pos, lsg_sum.to_numpy(), fill=0.0)

    return cols


def dispute_columns(panel: pd.DataFrame, ctx: BuildContext) -> dict[str, np.ndarray]:
    """MIDs between the two in years t-4..t and the adversaries they share in that window (GML
    MIDs 2.2.1). Hard cases: a dispute counts once per dyad-year however many years it spans
    in the window; the columns are missing (not 0) after GML's coverage."""
    pkey = year_key(panel["dyad_id"], panel["year"])
    year = panel["year"].to_numpy()
    cols: dict[str, np.ndarray] = {}
    mids, mid_end = mid_years(ctx)
    idx, t = expand_years(mids["year"].to_numpy(), mids["year"].to_numpy() + 4)
    win = pd.DataFrame({"dispnum": mids["dispnum"].to_numpy()[idx], "a": mids["a"].to_numpy()[idx],
                        "b": mids["b"].to_numpy()[idx], "year": t})
    win = win[win["year"] <= mid_end]
    win = win.drop_duplicates(["dispnum", "a", "b", "year"])
    per_dyad = win.groupby(year_key(dyad_id(win["a"], win["b"]), win["year"])).size()
    adv = win[["a", "b", "year"]].drop_duplicates()
    shm = shared_third_parties(adv)
    shared_adv = shm.groupby(year_key(dyad_id(shm["i"], shm["j"]), shm["year"])).size()
    covered = year <= mid_end
    for name, series in (("mids_5y", per_dyad), ("shared_mid_adversaries_5y", shared_adv)):
        vals = lookup(pkey, series.index.to_numpy(), series.to_numpy().astype(float), fill=0.0)
        cols[name] = np.where(covered, vals, np.nan)

    return cols


def threat_index_columns(panel: pd.DataFrame, ctx: BuildContext) -> dict[str, np.ndarray]:
    """Each state's Leeds-Savun external threat (to 2007) and latent territorial threat (Miller
    2022, to 2010). Hard cases: the bundled Leeds-Savun file runs to 2015, but its 2008 zeros
    and code-less 2009-2015 rows are not data and are dropped; missing past coverage."""
    year = panel["year"].to_numpy()
    k1, k2 = year_key(panel["ccode1"], year), year_key(panel["ccode2"], year)
    cols: dict[str, np.ndarray] = {}
    for key, var, stem in (("lsthreat", "lsthreat", "lsthreat"), ("terrthreat", "lterrthreat", "terrthreat")):
        src = ctx.source(key).frame
        end = ctx.extend(key, MISSING)
        # Rows past the declared coverage are not data (Leeds-Savun's 2008 row is all zeros).
        src = src[src["year"] <= end].dropna(subset=["ccode"]).drop_duplicates(["ccode", "year"])
        skey = year_key(src["ccode"].astype(int), src["year"])
        vals = pd.to_numeric(src[var], errors="coerce").to_numpy(float)
        cols[f"{stem}1"], cols[f"{stem}2"] = lookup(k1, skey, vals), lookup(k2, skey, vals)

    return cols


def add_threat(panel: pd.DataFrame, ctx: BuildContext, caps: pd.DataFrame) -> pd.DataFrame:
    """Add the threat columns: rivalry-based threat (:func:`rivalry_columns`), disputes
    (:func:`dispute_columns`) and the state-level indices (:func:`threat_index_columns`)."""
    cols = {**rivalry_columns(panel, ctx, caps), **dispute_columns(panel, ctx), **threat_index_columns(panel, ctx)}
    return with_columns(panel, cols, [c.name for c in COLUMNS])
