"""Wall time and peak memory of the MME joint-exercise columns for every dyad-year of the real panel.

    python benchmarks/exercises.py [--panel datasets/dyad_years.parquet] [--mme PATH] [--repeat 5]

Reads ``ccode1, ccode2, year`` of the built panel (``alliances build`` writes it) and the
Multinational Military Exercises file (D'Orazio and Galambos 2021, doi:10.7910/DVN/KHFODX;
``exercises/mme-7.csv`` under ``$ALLIANCES_DATA`` or ``../shared/data``), then times
:func:`alliances.covariates.exercises.exercise_dyad_years` and reports:

- seconds: wall time of one call, best of ``--repeat`` warm runs (name parsing, pair
  building, year expansion, grouping and alignment all included; reading the two files is
  not, and is printed separately), plus the first (cold) call, which also reads the
  package's two lookup tables;
- traced peak MB: the largest memory allocated by Python and NumPy during one call, in a
  separate run under ``tracemalloc``;
- peak RSS MB: the process's high-water resident set size (``getrusage``), interpreter,
  pandas and inputs included.

Target: at most 0.5 s per call.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from alliances.covariates.exercises import exercise_dyad_years
from alliances.sources import default_data_dirs

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 0.5


def find_mme() -> Path | None:
    dirs = [Path(os.environ["ALLIANCES_DATA"])] if os.environ.get("ALLIANCES_DATA") else []
    dirs += [*default_data_dirs(), REPO.parent / "shared" / "data"]
    return next((d / "exercises" / "mme-7.csv" for d in dirs if (d / "exercises" / "mme-7.csv").is_file()), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", type=Path, default=REPO / "datasets" / "dyad_years.parquet")
    parser.add_argument("--mme", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    mme_path = args.mme or find_mme()
    if not args.panel.is_file():
        print(f"panel {args.panel} not found: run `alliances build` first", file=sys.stderr)
        return 2
    if mme_path is None or not mme_path.is_file():
        print("MME file exercises/mme-7.csv not found ($ALLIANCES_DATA or ../shared/data)", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    dyads = pd.read_parquet(args.panel, columns=["ccode1", "ccode2", "year"])
    mme = pd.read_csv(mme_path)
    read = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = exercise_dyad_years(mme, dyads)
    cold = time.perf_counter() - t0
    times = []
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        result = exercise_dyad_years(mme, dyads)
        times.append(time.perf_counter() - t0)

    tracemalloc.start()
    exercise_dyad_years(mme, dyads)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    covered = int(result["mme_exercises"].notna().sum())
    best = min(times)
    print(f"dyad-years: {len(dyads):,} ({covered:,} in 1980-2010, {int((result['mme_exercises'] > 0).sum()):,} "
          f"with a joint exercise); exercises: {len(mme):,}")
    print(f"read inputs: {read:.3f} s")
    print(f"seconds: {best:.3f} (best of {len(times)}; median {sorted(times)[len(times) // 2]:.3f}; "
          f"cold first call {cold:.3f})")
    print(f"traced peak MB: {traced / 2**20:.1f}")
    print(f"peak RSS MB: {rss:.1f}")
    print(f"target <= {TARGET_SECONDS} s: {'met' if best <= TARGET_SECONDS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
