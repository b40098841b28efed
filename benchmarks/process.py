"""Whole-process wall time and peak memory of an `alliances` command or the README test command.

Usage:
  python benchmarks/process.py build [--directed] [--repeat 3]   # `alliances build`, start to exit
  python benchmarks/process.py tests                              # `python -m pytest -q -n 2`

Each run is a fresh subprocess, so the time includes interpreter start-up, imports and writing
every file, and the memory is the largest process's peak resident set (for the tests, the
largest pytest-xdist worker). Targets (issue 13): build <= 2.0 s and <= 0.8 GB undirected,
<= 4 s and <= 1.5 GB directed; tests <= 2 minutes and <= 2 GB on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time


def measure(cmd: list[str], cwd: str | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB of the largest process of the command's tree)."""
    wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["build", "tests"])
    parser.add_argument("--directed", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, python {sys.version.split()[0]}")
    runs = []
    for i in range(args.repeat if args.what == "build" else 1):
        with tempfile.TemporaryDirectory() as out:
            if args.what == "build":
                cmd = [sys.executable, "-c", "from alliances.cli import app; app()", "build", "--out", out,
                       *(["--directed"] if args.directed else [])]
            else:
                cmd = [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider"]
            wall, peak = measure(cmd)
        runs.append((wall, peak))
        print(f"run {i + 1}: {wall:.2f} s, largest process {peak:,.0f} MB")
    walls = sorted(w for w, _ in runs)
    print(f"{args.what}{' --directed' if args.directed else ''}: median {walls[len(walls) // 2]:.2f} s, "
          f"best {walls[0]:.2f} s; peak {max(p for _, p in runs):,.0f} MB")


if __name__ == "__main__":
    main()
