"""Wall time and peak memory of `alliances export` (CSV and Stata) on the full panel.

Usage: python benchmarks/export.py [--panel datasets/dyad_years.parquet] [--formats csv,dta]
Builds the panel into a temporary folder when --panel is not given. Peak memory is the
process's maximum resident set size. Target (issue 13): CSV <= 15 s.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", default=None)
    parser.add_argument("--formats", default="csv,dta")
    args = parser.parse_args()

    import alliances
    from alliances.store import export_panel, write_build

    with tempfile.TemporaryDirectory() as tmp:
        panel = Path(args.panel) if args.panel else write_build(alliances.run(), tmp)["dyad_years"]
        for fmt in args.formats.split(","):
            t0 = time.perf_counter()
            target = export_panel(panel, fmt, Path(tmp) / f"export.{fmt}")
            seconds = time.perf_counter() - t0
            print(f"{fmt}: {seconds:.1f} s, {target.stat().st_size / 1e6:,.0f} MB")
            target.unlink()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:,.0f} MB (includes the build when --panel is not given)")


if __name__ == "__main__":
    main()
