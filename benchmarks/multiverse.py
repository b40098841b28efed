"""Wall time and peak memory of `alliances multiverse` on a plan (default analyses/multiverse.toml).

Usage: python benchmarks/multiverse.py [--plan FILE] [--panel FILE] [--jobs N]
Runs the command as a subprocess; prints the wall time, specifications per minute, the main
process's peak RSS and the largest worker's (children's) peak RSS. Target (issue 13): a
500-specification plan in <= 10 minutes on 2 cores, <= 1.5 GB per worker.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default="analyses/multiverse.toml")
    parser.add_argument("--panel", default="datasets/dyad_years.parquet")
    parser.add_argument("--jobs", default="2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from alliances.cli import app; app()", "multiverse", args.plan, "--panel", args.panel,
                        "--jobs", args.jobs, "--out", out, "--no-figures"], check=True, capture_output=True)
        seconds = time.perf_counter() - t0
        frame = pd.read_parquet(f"{out}/multiverse.parquet")
    n = frame["spec_id"].nunique()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{n} specifications in {seconds:.1f} s ({60 * n / seconds:.0f} per minute) with --jobs {args.jobs}; "
          f"largest process peak RSS {children:,.0f} MB")


if __name__ == "__main__":
    main()
