"""A synthetic dyad-year panel with the columns the models read (tests, benchmarks).

Not data: onsets are simulated from a known logit so tests can check that estimates
recover the truth.  Column names and types follow the panel contract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.dyads.keys import dyad_id

TRUE_ONSET = {"const": -4.6, "contig_land": 0.8, "log_capdist": -0.35, "great_power_dyad": 0.6, "cap_ratio": -0.15}


def synthetic_panel(n_states: int = 40, first_year: int = 1900, last_year: int = 2010, seed: int = 0) -> pd.DataFrame:
    """Dyad-years for ``n_states`` states over ``first_year..last_year`` (sorted by dyad, year).

    Alliance and alignment statuses follow independent Markov chains: onset from a logit
    in year t-1 covariates (:data:`TRUE_ONSET`, alignment intercept 1 lower), dissolution
    with probability 0.08 a year.  States enter at staggered years, so dyads start late.
    """
    rng = np.random.default_rng(seed)
    codes = np.sort(rng.choice(np.arange(2, 990), size=n_states, replace=False))
    entry = np.where(rng.random(n_states) < 0.5, first_year, rng.integers(first_year, last_year - 20, n_states))
    major = rng.random(n_states) < 0.12
    xy = rng.uniform(0, 20_000, size=(n_states, 2))
    cinc0 = rng.lognormal(-5, 1.2, n_states)
    i1, i2 = np.triu_indices(n_states, 1)
    years = np.arange(first_year, last_year + 1)
    nd, ny = len(i1), len(years)
    dist = np.hypot(*(xy[i1] - xy[i2]).T) + 50
    contig = (dist < 1500).astype(float)
    start = np.maximum(entry[i1], entry[i2])
    exists = years[None, :] >= start[:, None]
    trend = rng.normal(0, 0.03, size=(n_states, ny)).cumsum(axis=1)
    cinc = cinc0[:, None] * np.exp(trend)
    c1, c2 = cinc[i1], cinc[i2]
    cap_ratio = np.abs(np.log(c1 / c2))
    gp = (major[i1] & major[i2]).astype(float)[:, None] * np.ones((1, ny))
    logd = np.log(dist)[:, None] * np.ones((1, ny))
    rivals = np.minimum(rng.poisson(0.05, size=(nd, ny)).cumsum(axis=1) // 10, 3).astype(float)

    def chain(shift: float) -> np.ndarray:
        st = np.zeros((nd, ny), dtype=np.int8)
        eta = (
            TRUE_ONSET["const"] + shift + TRUE_ONSET["contig_land"] * contig[:, None]
            + TRUE_ONSET["log_capdist"] * (logd - 8) + TRUE_ONSET["great_power_dyad"] * gp
            + TRUE_ONSET["cap_ratio"] * cap_ratio
        )
        p_on = 1 / (1 + np.exp(-eta))
        u = rng.random((nd, ny))
        for j in range(ny):
            prev = st[:, j - 1] if j else np.zeros(nd, dtype=np.int8)
            # covariates of t-1 (j-1) drive onset in t
            pj = p_on[:, max(j - 1, 0)]
            st[:, j] = np.where(prev == 1, u[:, j] > 0.08, u[:, j] < pj)
        return st * exists

    alliance = chain(0.0)
    alignment = chain(-1.0) * (1 - alliance)

    def onset(st: np.ndarray) -> np.ndarray:
        prev = np.concatenate([np.zeros((nd, 1), dtype=st.dtype), st[:, :-1]], axis=1)
        return ((st == 1) & (prev == 0)).astype(np.int8)

    def since(st: np.ndarray) -> np.ndarray:
        out = np.zeros((nd, ny))
        for j in range(1, ny):
            out[:, j] = np.where(st[:, j - 1] == 1, 0, out[:, j - 1] + 1)
        return out

    any_tie = np.maximum(alliance, alignment)
    cols = {
        "ccode1": codes[i1][:, None] * np.ones((1, ny), dtype=int),
        "ccode2": codes[i2][:, None] * np.ones((1, ny), dtype=int),
        "year": np.broadcast_to(years, (nd, ny)),
        "alliance": alliance, "alignment": alignment, "any_tie": any_tie,
        "alliance_onset": onset(alliance), "alignment_onset": onset(alignment), "tie_onset": onset(any_tie),
        "years_since_alliance": since(alliance), "years_since_alignment": since(alignment), "years_since_tie": since(any_tie),
        "cinc1": c1, "cinc2": c2, "cap_ratio": cap_ratio, "joint_cinc": c1 + c2,
        "major1": major[i1][:, None] * np.ones((1, ny)), "major2": major[i2][:, None] * np.ones((1, ny)),
        "great_power_dyad": gp, "contig_land": contig[:, None] * np.ones((1, ny)),
        "conttype": np.where(contig > 0, 1, np.where(dist < 3000, 5, 0))[:, None] * np.ones((1, ny)),
        "capdist_km": dist[:, None] * np.ones((1, ny)), "log_capdist": logd, "shared_rivals": rivals,
        "n_great_powers": np.broadcast_to(5.0 + (years >= 1945), (nd, ny)),
    }
    keep = exists.ravel()
    df = pd.DataFrame({k: np.asarray(v).ravel()[keep] for k, v in cols.items()})
    for c in ("ccode1", "ccode2", "year", "alliance", "alignment", "any_tie", "alliance_onset", "alignment_onset", "tie_onset"):
        df[c] = df[c].astype("int64")
    df.insert(3, "dyad_id", dyad_id(df["ccode1"], df["ccode2"]))
    for c in ("alliance", "alignment", "any_tie"):
        df[f"{c}_peace"] = df[c]
    df["alliance_new"] = df["alliance_onset"]
    df["alignment_new"] = df["alignment_onset"]
    for c in ("alliance", "alignment", "tie"):
        df[f"{c}_onset_peace"] = df[f"{c}_onset"]
    for c in ("alliance", "alignment", "tie"):
        df[f"years_since_{c}2"] = df[f"years_since_{c}"] ** 2
        df[f"years_since_{c}3"] = df[f"years_since_{c}"] ** 3
    return df
