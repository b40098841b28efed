"""Wall time and peak memory of alliance-portfolio similarity for every dyad-year of the real panel.

    python benchmarks/similarity.py [--panel datasets/dyad_years.parquet] [--repeat 3] [--region]

Reads the built panel (``alliances build`` writes it), derives ``levels`` from the codes of
its ``tie`` category (0 none .. 3 alliance) and ``members`` from its ccode/year/cinc
columns, then times :func:`alliances.covariates.similarity.portfolio_similarity` over all years
(best of ``--repeat`` runs) and reports:

- seconds: wall time of one call (input preparation not included; printed separately);
- traced peak MB: the largest memory allocated by Python and NumPy during one call,
  measured in a separate run under ``tracemalloc`` (NumPy reports its buffers to it);
- peak RSS MB: the process's high-water resident set size (``getrusage(RUSAGE_SELF)``),
  which includes the interpreter, pandas and the panel itself.

``--region`` adds a timing with the reference system restricted to Correlates of War
regions derived from ccode ranges (2-165 Americas, 200-399 Europe, 400-599 Africa,
600-699 Middle East, 700-999 Asia and Oceania).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from alliances.covariates.similarity import portfolio_similarity

REPO = Path(__file__).resolve().parents[1]


def inputs_from_panel(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``levels`` (ccode1, ccode2, year, level) and ``members`` (ccode, year, cinc, region)."""
    levels = pd.DataFrame({"ccode1": panel["ccode1"].to_numpy(), "ccode2": panel["ccode2"].to_numpy(),
                           "year": panel["year"].to_numpy(), "level": panel["tie"].cat.codes.to_numpy()})
    levels = levels[levels["level"] > 0]  # absent = 0
    sides = [panel[[f"ccode{s}", "year", f"cinc{s}"]].set_axis(["ccode", "year", "cinc"], axis=1) for s in (1, 2)]
    members = pd.concat(sides, ignore_index=True).drop_duplicates(["ccode", "year"])
    members["region"] = pd.cut(members["ccode"], [0, 199, 399, 599, 699, 999],
                               labels=["americas", "europe", "africa", "middle_east", "asia"])
    return levels.reset_index(drop=True), members.reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panel", type=Path, default=REPO / "datasets" / "dyad_years.parquet")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--region", action="store_true", help="also time region-restricted reference systems")
    args = ap.parse_args(argv)
    if not args.panel.exists():
        print(f"{args.panel} is missing: build the panel first (alliances build)", file=sys.stderr)
        return 1

    t0 = time.perf_counter()
    panel = pd.read_parquet(args.panel, columns=["ccode1", "ccode2", "year", "tie", "cinc1", "cinc2"])
    levels, members = inputs_from_panel(panel)
    print(f"inputs: {len(panel):,} panel dyad-years, {len(levels):,} nonzero levels, "
          f"{len(members):,} state-years, {members['year'].nunique()} years "
          f"({time.perf_counter() - t0:.2f} s to read and derive)")

    runs = [("global", None)] + ([("region", "region")] if args.region else [])
    for label, region in runs:
        times = []
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            result = portfolio_similarity(levels, members, weight="cinc", region=region)
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        portfolio_similarity(levels, members, weight="cinc", region=region)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        nan = {c: int(result[c].isna().sum()) for c in ("s_unweighted", "s_weighted", "kappa", "tau_b")}
        print(f"{label}: {len(result):,} dyad-years in {min(times):.3f} s (best of {len(times)}; "
              f"all: {', '.join(f'{t:.3f}' for t in times)}); traced peak {traced_peak / 2**20:.1f} MB; "
              f"NaN counts {nan}")
        if label == "global" and len(result) != len(panel):
            print(f"  warning: {len(result):,} rows but the panel has {len(panel):,}", file=sys.stderr)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak RSS of the process: {peak_rss:.0f} MB")
    print(f"summary:\n{result[['s_unweighted', 's_weighted', 'kappa', 'tau_b']].describe().round(3)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
