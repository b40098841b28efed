"""Network dependence: where each dyad sits in the year's alliance network.

Alliance decisions depend on the rest of the network (Cranmer, Desmarais and Menninga 2012;
the temporal ERGM of Leifeld, Cranmer and Desmarais 2018, whose alliance example uses shared
partners and stability terms). These columns bring the main network terms into dyadic models
as covariates. Each describes the network **in force in the row's year** (the ``tie`` levels
of ATOP: Leeds et al. 2002), like every other covariate of the panel: the models lag them by
the specification's ``lag`` (one year by default), so a forecast of year t uses the network of
t - 1 and no term is built from the outcome year (Block et al. 2022 on that leak). Used
unlagged they would contain the outcome.

Per year, A is the symmetric 0/1 matrix of alliances (defense or offense pledges, tie level
``alliance``) among the states of that year's panel rows, with a zero diagonal; T is the same
for any tie (coordination and above); R the strategic rivalries (``rivals``); g marks the COW
major powers. For dyad (i, j):

- ``net_shared_allies`` = (A A)_ij, third states allied with both;
  ``net_shared_partners`` = (T T)_ij, third states with any tie to both;
- ``net_gw_shared_allies`` = e^a (1 - (1 - e^-a)^s) with s = shared allies and a = log 2: the
  geometrically weighted count of the GWESP/GWDSP terms (Hunter 2007), in which the first
  shared ally counts 1 and each further one half the one before (so it stays below 2);
- ``net_degree1/2`` = row sums of A, each state's number of allies;
  ``net_allies_of_allies1/2`` = states two alliance steps away and not allied directly;
- ``net_ally_of_rival`` = (A R + R A)_ij, third states allied with one member and a rival of
  the other (structural balance: Heider 1946; an enemy's friend); missing in years without
  rivalry data;
- ``net_common_great_power_ally`` = (A diag(g) A)_ij, major powers (other than i and j) allied
  with both: a common patron.

One pass per year over small dense matrices (n <= ~200): no loop over dyads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column, pair
from alliances.dyads.panel import with_columns

ALPHA = float(np.log(2.0))  # GW decay: each further shared ally adds half what the one before did
_SRC = ("atop_members",)
_EXT = ("computed from the tie levels of every panel year; past ATOP's coverage the carried-forward ties "
        "(flagged atop_members in extended_sources)")
_RIV = ("atop_members", "td_rivalries", "tss_rivalries")

COLUMNS: list[Column] = [
    Column("net_shared_allies", "int16", "third states allied (defense or offense) with both states this year; "
           "lag it (models do) so it describes the network before the outcome year", unit="states", sources=_SRC,
           extension=_EXT),
    Column("net_shared_partners", "int16", "third states with any tie (coordination or above) to both states this "
           "year", unit="states", sources=_SRC, extension=_EXT),
    Column("net_gw_shared_allies", "float64", "geometrically weighted shared allies, e^a (1 - (1 - e^-a)^s) with "
           "s = net_shared_allies and a = log 2 (Hunter 2007's GWDSP weighting; below 2)", unit="weighted count",
           sources=_SRC, extension=_EXT),
    *pair("net_degree", "int16", "number of states allied with {state} this year", unit="states", sources=_SRC,
          extension=_EXT),
    *pair("net_allies_of_allies", "int16", "states two alliance steps from {state} and not allied with it this "
          "year", unit="states", sources=_SRC, extension=_EXT),
    Column("net_ally_of_rival", "float64", "third states allied with one state and a strategic rival of the other "
           "this year (structural balance); missing in years without rivalry data", unit="states",
           sources=_RIV, extension="missing where rivalry data are missing; " + _EXT),
    Column("net_common_great_power_ally", "int16", "COW major powers other than the two allied with both this "
           "year (a common patron)", unit="states", sources=(*_SRC, "majors"), extension=_EXT),
]
NAMES = [c.name for c in COLUMNS]


def gw_weight(shared: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """e^alpha (1 - (1 - e^-alpha)^shared): 0, 1, 1.5, 1.75, ... for alpha = log 2."""
    return np.exp(alpha) * (1.0 - (1.0 - np.exp(-alpha)) ** np.asarray(shared, dtype=np.float64))


def _year_terms(n: int, i: np.ndarray, j: np.ndarray, level: np.ndarray, rival: np.ndarray,
                major: np.ndarray) -> dict[str, np.ndarray]:
    """The terms for the rows (i, j) of one year; ``level`` the tie level codes, ``rival`` 1/0/NaN
    and ``major`` per state (positions 0..n-1)."""
    A = np.zeros((n, n))
    T = np.zeros((n, n))
    R = np.zeros((n, n))
    ally, tied, riv = level == 3, level > 0, rival == 1
    A[i[ally], j[ally]] = A[j[ally], i[ally]] = 1.0
    T[i[tied], j[tied]] = T[j[tied], i[tied]] = 1.0
    R[i[riv], j[riv]] = R[j[riv], i[riv]] = 1.0
    shared = A @ A
    two_step = (shared > 0) & (A == 0)
    np.fill_diagonal(two_step, False)
    deg, reach = A.sum(axis=1), two_step.sum(axis=1)
    AR = A @ R
    rivalry_known = bool(np.isfinite(rival).any())
    return {
        "net_shared_allies": shared[i, j],
        "net_shared_partners": (T @ T)[i, j],
        "net_gw_shared_allies": gw_weight(shared[i, j]),
        "net_degree1": deg[i], "net_degree2": deg[j],
        "net_allies_of_allies1": reach[i], "net_allies_of_allies2": reach[j],
        "net_ally_of_rival": (AR + AR.T)[i, j] if rivalry_known else np.full(len(i), np.nan),
        "net_common_great_power_ally": ((A * major) @ A)[i, j],
    }


def add_network(panel: pd.DataFrame) -> pd.DataFrame:
    """Add :data:`COLUMNS` to a panel with ``tie``, ``rivals`` and ``major1/2`` (undirected or
    directed: a directed panel's two orders share one undirected network and their values)."""
    c1 = panel["ccode1"].to_numpy(dtype=np.int64)
    c2 = panel["ccode2"].to_numpy(dtype=np.int64)
    year = panel["year"].to_numpy(dtype=np.int64)
    level = panel["tie"].cat.codes.to_numpy(dtype=np.int8)
    rival = panel["rivals"].to_numpy(dtype=np.float64, na_value=np.nan)
    m1 = panel["major1"].to_numpy(dtype=np.float64, na_value=0.0)
    m2 = panel["major2"].to_numpy(dtype=np.float64, na_value=0.0)
    out = {name: np.full(len(panel), np.nan) for name in NAMES}
    order = np.argsort(year, kind="stable")
    bounds = np.flatnonzero(np.r_[True, year[order][1:] != year[order][:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:]):
        rows = order[a:b]
        states, pos = np.unique(np.r_[c1[rows], c2[rows]], return_inverse=True)
        i, j = pos[: len(rows)], pos[len(rows):]
        major = np.zeros(len(states))
        major[i], major[j] = m1[rows], m2[rows]
        for name, values in _year_terms(len(states), i, j, level[rows], rival[rows], major).items():
            out[name][rows] = values
    cols = {}
    for c in COLUMNS:
        v = out[c.name]
        cols[c.name] = v if c.dtype == "float64" else v.astype(c.dtype)
    return with_columns(panel, cols)


__all__ = ["ALPHA", "COLUMNS", "add_network", "gw_weight"]
