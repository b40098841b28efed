"""Wall time and peak memory of the full panel build (1816-2022, all columns).

Usage: python benchmarks/build_panel.py [--directed] [--repeat N] [--data-dir DIR]
Prints one line per run and the best time; peak memory is the process's maximum resident
set size (includes the Python interpreter and imported libraries, about 150 MB).
Target (issue 3): <= 5 s and <= 1.5 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directed", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    import alliances
    from alliances.store import write_build

    times, writes = [], []
    for i in range(args.repeat):
        t0 = time.perf_counter()
        result = alliances.run(directed=args.directed, data_dir=args.data_dir)
        t1 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            write_build(result, tmp)
        t2 = time.perf_counter()
        times.append(t1 - t0)
        writes.append(t2 - t1)
        print(f"run {i + 1}: build {t1 - t0:.2f} s, write Parquet {t2 - t1:.2f} s, "
              f"{len(result.panel):,} rows x {result.panel.shape[1]} columns")
        del result  # free before the next run so peak memory is that of one build
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"best: build {min(times):.2f} s, build + write {min(t + w for t, w in zip(times, writes)):.2f} s; "
          f"peak RSS {peak_mb:,.0f} MB (python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
