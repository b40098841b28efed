"""Regime type of each state and the dyad's regime distance.

Source: V-Dem polyarchy (Coppedge et al. 2020, v10) and Polity2 (Marshall, Gurr and
Jaggers 2017), as bundled by peacesciencer: Polity2 to 2017, V-Dem to 2019. Missing after and wherever the
source is missing (rule ``missing``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column, pair
from alliances.dyads.context import MISSING, BuildContext
from alliances.dyads.keys import positions, take, year_key
from alliances.dyads.panel import with_columns
from alliances.sources.registry import coverage

# Polity2 ends in 2017 inside the file (a column-level fact the registry does not hold).
EXT = f"missing past coverage (Polity2 2017, V-Dem {coverage('democracy')[1]}); rule missing"

COLUMNS = [
    *pair("polity2", "float64", "Polity2 score of {state} (-10 autocracy .. 10 democracy)", unit="score",
          sources=("democracy",), extension=EXT),
    *pair("polyarchy", "float64", "V-Dem electoral democracy (polyarchy) index of {state}", unit="index 0-1",
          sources=("democracy",), extension=EXT),
    Column("regime_distance", "float64", "|polity2_1 - polity2_2|", unit="score 0-20", sources=("democracy",),
           extension=EXT),
]


def add_regime(panel: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """Add Polity2 and V-Dem polyarchy for both states and their Polity2 distance (the democracy
    merge bundled by peacesciencer). Hard cases: Polity2 ends in 2017 and polyarchy in 2019
    although the file's rows run to 2020; the distance is missing when either score is.
    """
    dem = ctx.source("democracy").frame
    end = ctx.extend("democracy", MISSING)
    dem = dem[dem["year"] <= end]
    dkey = year_key(dem["ccode"], dem["year"])
    year = panel["year"].to_numpy()
    k1, k2 = year_key(panel["ccode1"], year), year_key(panel["ccode2"], year)
    pos1, pos2 = positions(k1, dkey), positions(k2, dkey)
    cols = {}
    for var, stem in (("polity2", "polity2_"), ("v2x_polyarchy", "polyarchy")):
        vals = pd.to_numeric(dem[var], errors="coerce").to_numpy(float)
        cols[f"{stem}1"] = take(pos1, vals)
        cols[f"{stem}2"] = take(pos2, vals)
    cols["regime_distance"] = np.abs(cols["polity2_1"] - cols["polity2_2"])
    return with_columns(panel, cols)
