"""Writes the inputs of the R cross-check: ``system_levels.csv`` and ``system_members.csv``.

    python tests/reference/similarity/make_inputs.py      (from the repository root)

Two kinds of years, both in the same two files:

- 9001-9004, synthetic (seeded NumPy draws): 6-24 states with random tie levels, random
  weights with some NaN, three regions with some states missing one, a year whose weights
  are all zero, and states allied (level 3) with everyone so that tau-b and kappa are
  undefined for some dyads;
- 1914, real: every member state-year and nonzero tie level of the built panel
  ``datasets/dyad_years.parquet`` (level = code of its ``tie`` category; weight = CINC;
  region from Correlates of War ccode ranges: 2-165 Americas, 200-399 Europe,
  400-599 Africa, 600-699 Middle East, 700-999 Asia and Oceania).

``similarity.R`` then computes the four measures for every dyad of every year with and
without regional reference systems; ``tests/test_similarity.py`` compares
``alliances.covariates.similarity.portfolio_similarity`` with its output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
REAL_YEARS = (1914,)
REGION_BREAKS = [0, 199, 399, 599, 699, 999]
REGION_NAMES = ["americas", "europe", "africa", "middle_east", "asia"]


def synthetic(seed: int = 20110705) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    levels, members = [], []
    for year, n in zip((9001, 9002, 9003, 9004), (6, 11, 17, 24)):
        ccodes = np.sort(rng.choice(np.arange(2, 999), size=n, replace=False))
        cinc = rng.dirichlet(np.ones(n))
        cinc[rng.random(n) < 0.15] = np.nan
        if year == 9003:
            cinc[:] = 0.0  # weighted S undefined for every dyad of this year
        region = rng.choice(np.array(["a", "b", "c"], dtype=object), size=n)
        region[rng.random(n) < 0.1] = None
        members.append(pd.DataFrame({"year": year, "ccode": ccodes, "cinc": cinc, "region": region}))
        lv = rng.choice(4, size=(n, n), p=[0.6, 0.15, 0.1, 0.15])
        if year in (9002, 9004):  # two states allied with everyone: constant portfolios of 3s
            lv[:2, :] = 3
            lv[:, :2] = 3
        iu = np.triu_indices(n, 1)
        keep = lv[iu] > 0
        levels.append(pd.DataFrame({"year": year, "ccode1": ccodes[iu[0]][keep], "ccode2": ccodes[iu[1]][keep],
                                    "level": lv[iu][keep]}))
    return pd.concat(levels, ignore_index=True), pd.concat(members, ignore_index=True)


def real(panel_path: Path = REPO / "datasets" / "dyad_years.parquet") -> tuple[pd.DataFrame, pd.DataFrame]:
    panel = pd.read_parquet(panel_path, columns=["ccode1", "ccode2", "year", "tie", "cinc1", "cinc2"])
    panel = panel[panel["year"].isin(REAL_YEARS)]
    levels = pd.DataFrame({"year": panel["year"].astype(int), "ccode1": panel["ccode1"].astype(int),
                           "ccode2": panel["ccode2"].astype(int), "level": panel["tie"].cat.codes.astype(int)})
    levels = levels[levels["level"] > 0]
    sides = [panel[["year", f"ccode{s}", f"cinc{s}"]].set_axis(["year", "ccode", "cinc"], axis=1) for s in (1, 2)]
    members = pd.concat(sides).drop_duplicates(["year", "ccode"]).astype({"year": int, "ccode": int})
    members["region"] = pd.cut(members["ccode"], REGION_BREAKS, labels=REGION_NAMES).astype(object)
    return levels, members


def main() -> None:
    sl, sm = synthetic()
    rl, rm = real()
    levels = pd.concat([rl, sl]).sort_values(["year", "ccode1", "ccode2"])
    members = pd.concat([rm, sm]).sort_values(["year", "ccode"])
    levels.to_csv(HERE / "system_levels.csv", index=False)
    members.to_csv(HERE / "system_members.csv", index=False)  # shortest round-trip floats
    print(f"{len(levels)} levels, {len(members)} state-years, years {sorted(members['year'].unique())}")


if __name__ == "__main__":
    main()
