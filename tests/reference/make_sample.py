"""Draw the fixed reference sample the R script (models.R) and tests/test_models_reference.py share.

Sample: every dyad-year 1946-2010 of 1,350 dyads drawn with a fixed seed from the real
undirected panel -- 450 dyads with at least one alliance or alignment onset in those years
and 900 others -- restricted to the risk set "no tie of any kind in force in year t-1"
(``any_tie`` lag == 0).  Covariates are lagged one year within dyad (missing unless the
dyad has a row in t-1) and rows with a missing value are dropped.  The lag and risk set are
computed here with plain pandas, independently of ``alliances.models.design``; a test
checks that ``build_design`` reproduces these rows from the panel.

Columns of sample.csv (covariates hold year t-1 values under their panel names):
dyad_id, year, alliance_onset, alignment_onset, years_since_alliance, years_since_tie,
cap_ratio, log_capdist, contig_land, great_power_dyad, shared_mid_adversaries_5y.

Run from the repository root:

    python tests/reference/make_sample.py [datasets/dyad_years.parquet]

(without an argument the panel is built from the bundled data with ``alliances.run()``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20240601
YEARS = (1946, 2010)
N_WITH, N_WITHOUT = 450, 900
COVARIATES = ["cap_ratio", "log_capdist", "contig_land", "great_power_dyad", "shared_mid_adversaries_5y"]
DURATIONS = ["years_since_alliance", "years_since_tie"]
OUTCOMES = ["alliance_onset", "alignment_onset"]
MAX_BYTES = 3_000_000


def draw_sample(panel: pd.DataFrame) -> pd.DataFrame:
    """The reference sample from a panel (deterministic)."""
    cols = ["dyad_id", "year", "any_tie"] + OUTCOMES + DURATIONS + COVARIATES
    df = panel[cols].sort_values(["dyad_id", "year"]).reset_index(drop=True)
    g = df.groupby("dyad_id", sort=False)
    prev_ok = g["year"].shift(1) == df["year"] - 1
    df["any_tie_lag"] = g["any_tie"].shift(1).where(prev_ok, 0).fillna(0)
    for c in COVARIATES:
        df[c] = g[c].shift(1).where(prev_ok)
    df = df[(df["year"] >= YEARS[0]) & (df["year"] <= YEARS[1]) & (df["any_tie_lag"] == 0)]
    ev = df.groupby("dyad_id")[OUTCOMES].sum().sum(axis=1)
    rng = np.random.default_rng(SEED)
    with_ev = np.sort(ev.index[ev > 0].to_numpy())
    without = np.sort(ev.index[ev == 0].to_numpy())
    chosen = np.concatenate([rng.choice(with_ev, N_WITH, replace=False), rng.choice(without, N_WITHOUT, replace=False)])
    out = df[df["dyad_id"].isin(chosen)].dropna(subset=COVARIATES)
    out = out[["dyad_id", "year"] + OUTCOMES + DURATIONS + COVARIATES].reset_index(drop=True)
    for c in ["dyad_id", "year"] + OUTCOMES + DURATIONS + ["contig_land", "great_power_dyad"]:
        out[c] = out[c].astype("int64")
    return out


def write_sample(sample: pd.DataFrame, path: Path = HERE / "sample.csv") -> Path:
    text = sample.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    if len(text.encode()) > MAX_BYTES:
        raise SystemExit(f"sample is {len(text.encode())} bytes (> {MAX_BYTES}); not written")
    path.write_text(text)
    return path


def load_panel(arg: str | None) -> pd.DataFrame:
    if arg:
        from alliances import read_panel

        return read_panel(arg)
    import alliances

    return alliances.run().panel


if __name__ == "__main__":
    s = draw_sample(load_panel(sys.argv[1] if len(sys.argv) > 1 else None))
    p = write_sample(s)
    print(f"{p}: {len(s)} rows, {s['dyad_id'].nunique()} dyads, "
          f"{int(s['alliance_onset'].sum())} alliance onsets, {int(s['alignment_onset'].sum())} alignment onsets, "
          f"{p.stat().st_size} bytes")
