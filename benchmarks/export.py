"""Wall time and peak memory of `alliances export` (CSV and Stata) on the full panel.

Usage: python benchmarks/export.py [--panel datasets/dyad_years.parquet] [--formats csv,dta] [--pyreadstat]
Builds the panel into a temporary folder when --panel is not given. Peak memory is the
process's maximum resident set size. Target (issue 13): CSV <= 15 s.

``--pyreadstat`` also times pyreadstat's Stata writer (ReadStat, C) on the same table, text
as the package prepares it, when pyreadstat is installed (it is not a dependency): the
alternative to pandas' ``to_stata``, which the package uses.
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
    parser.add_argument("--pyreadstat", action="store_true")
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
        if args.pyreadstat:
            pyreadstat_dta(panel, Path(tmp) / "pyreadstat.dta")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:,.0f} MB (includes the build when --panel is not given)")


def pyreadstat_dta(panel: Path, target: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("pyreadstat") is None:
        print("pyreadstat: not installed, skipped (pip install pyreadstat)")
        return
    import pandas as pd
    import pyreadstat

    from alliances.store import read_table

    frame, _ = read_table(panel)
    for col in frame.columns:  # what Stata can hold: text, floats for nullable integers, int8 for bool
        dtype = frame[col].dtype
        if isinstance(dtype, (pd.CategoricalDtype, pd.ArrowDtype)) or pd.api.types.is_string_dtype(dtype):
            frame[col] = frame[col].astype(str)
        elif dtype == bool:
            frame[col] = frame[col].astype("int8")
        elif isinstance(dtype, pd.api.extensions.ExtensionDtype):
            frame[col] = frame[col].astype("float64")
    t0 = time.perf_counter()
    pyreadstat.write_dta(frame, str(target), version=15)
    print(f"dta with pyreadstat {pyreadstat.__version__}: {time.perf_counter() - t0:.1f} s, "
          f"{target.stat().st_size / 1e6:,.0f} MB")
    target.unlink()


if __name__ == "__main__":
    main()
