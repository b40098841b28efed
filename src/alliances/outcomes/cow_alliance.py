"""COW Formal Alliances v4.1 (Gibler 2009): a second alliance source for robustness checks.

The bundled file is directed dyad-years (both orders); in the undirected panel a type is
present if either order lists it. COW types nest: defense (type I) implies the lower
ones in the file's coding. Coverage ends in 2012; later years are missing (rule
``missing``), never zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column
from alliances.dyads.context import MISSING, BuildContext
from alliances.dyads.keys import dyad_id, positions, take, year_key
from alliances.dyads.panel import previous_row_is_last_year, with_columns
from alliances.outcomes.onsets import years_since
from alliances.sources.registry import coverage

TYPES = ("cow_defense", "cow_neutral", "cow_nonagg", "cow_entente")
EXT = f"missing past COW alliance coverage ({coverage('cow_alliance')[1]}); rule missing"
SRC = ("cow_alliance",)

#: the outcome -> (status column of its risk set, duration column), as :data:`alliances.outcomes.onsets.OUTCOME_COLUMNS`
OUTCOME_COLUMNS = {"cow_defense_onset": ("cow_defense", "years_since_cow_defense")}

COLUMNS = [
    *[Column(t, "float64", f"1 if a COW formal alliance of type {t.split('_')[1]} is in force in the dyad "
             "(either order of the directed file), 0 if not, missing past coverage", sources=SRC, extension=EXT)
      for t in TYPES],
    Column("cow_defense_onset", "float64", "1 if cow_defense is 1 and was 0 (or the dyad absent) the previous year",
           sources=SRC, extension=EXT),
    Column("years_since_cow_defense", "float64", "years since a COW defense pact was last in force in the dyad, "
           "or since the dyad entered the panel (first year at risk = 1)", unit="years", sources=SRC, extension=EXT),
]


def add_cow_alliance(panel: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """Add COW Formal Alliances 4.1 obligations and defense-pact onset (a robustness source for
    ATOP). Hard cases: the directed file is folded to undirected dyads (either order); every
    column is missing after 2012 (rule ``missing``), never carried forward.
    """
    src = ctx.source("cow_alliance").frame
    end = ctx.extend("cow_alliance", MISSING)
    a, b = np.minimum(src["ccode1"], src["ccode2"]), np.maximum(src["ccode1"], src["ccode2"])
    key = year_key(dyad_id(a, b), src["year"])
    agg = src[list(TYPES)].fillna(0).groupby(key).max()
    pkey = year_key(panel["dyad_id"], panel["year"])
    covered = panel["year"].to_numpy() <= end
    pos = positions(pkey, agg.index.to_numpy())
    cols = {}
    for t in TYPES:
        v = take(pos, agg[t].to_numpy(dtype=float), fill=0.0)
        cols[t] = np.where(covered, v, np.nan)
    on = np.nan_to_num(cols["cow_defense"]) == 1
    prev = np.r_[False, on[:-1]] & previous_row_is_last_year(panel)
    cols["cow_defense_onset"] = np.where(covered, (on & ~prev).astype(float), np.nan)
    cols["years_since_cow_defense"] = np.where(covered, years_since(panel, on).astype(float), np.nan)
    return with_columns(panel, cols)
