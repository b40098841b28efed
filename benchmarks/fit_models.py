"""Wall time and peak memory of each onset estimator on the full panel.

    python benchmarks/fit_models.py [--panel datasets/dyad_years.parquet] [--spec analyses/specs/baseline.toml]
                                    [--clusters none,dyad,dyad+year,dyad+agreement]

Without the Parquet file the panel is built in memory with ``alliances.run()``.  Each
estimator is fitted twice: once timed (``time.perf_counter``), once under ``tracemalloc``
for the peak of Python/numpy allocations during the fit.  Targets: logit <= 3 s,
Cox <= 20 s, all eight together <= 60 s. With ``--clusters`` each estimator is timed under
each clustering option and the ratio to the model-based fit (``none``) is printed: the
target is that no variance option more than doubles a fit.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import tracemalloc
import warnings
from pathlib import Path

from alliances.models import ESTIMATORS, ModelError, Spec, fit
from alliances.models.design import build_design

TARGETS = {"logit": 3.0, "cox": 20.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panel", type=Path, default=Path("datasets/dyad_years.parquet"))
    ap.add_argument("--spec", type=Path, default=Path("analyses/specs/baseline.toml"))
    ap.add_argument("--estimators", default=",".join(ESTIMATORS))
    ap.add_argument("--clusters", default="", help="comma-separated cluster options to compare with 'none'")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.panel.exists():
        from alliances import read_panel

        panel, source = read_panel(args.panel), str(args.panel)
    else:
        import alliances

        panel, source = alliances.run().panel, "alliances.run() (no Parquet file)"
    load_s = time.perf_counter() - t0
    spec = Spec.from_toml(args.spec)
    t0 = time.perf_counter()
    design = build_design(panel, spec)
    design_s = time.perf_counter() - t0
    print(f"panel: {source}: {len(panel):,} rows (loaded in {load_s:.1f} s)")
    print(f"spec: {args.spec} -> risk set {design.n_risk_set:,} rows, {len(design.frame):,} complete "
          f"(design built in {design_s:.2f} s)\n")
    print(f"{'estimator':<10}{'wall s':>9}{'peak MB':>10}{'nobs':>11}{'events':>8}  target")
    total = 0.0
    for est in args.estimators.split(","):
        s = spec
        if est == "mlogit":  # its risk set has no tie of any kind in t-1: any_tie is constant there
            s = dataclasses.replace(spec, covariates=tuple(c for c in spec.covariates if c != "any_tie"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            try:
                res = fit(panel, s, est)
            except ModelError as exc:
                print(f"{est:<10} not fitted: {str(exc)[:100]}")
                continue
            wall = time.perf_counter() - t0
            tracemalloc.start()
            fit(panel, s, est)
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        total += wall
        target = TARGETS.get(est)
        flag = "" if target is None else f"<= {target:g} s {'ok' if wall <= target else 'MISSED'}"
        print(f"{est:<10}{wall:>9.2f}{peak:>10.0f}{res.nobs:>11,}{res.n_events:>8,}  {flag}")
    print(f"{'all':<10}{total:>9.2f}{'':>10}{'':>11}{'':>8}  <= 60 s {'ok' if total <= 60 else 'MISSED'}")
    if args.clusters:
        clusters = ["none", *[c for c in args.clusters.split(",") if c != "none"]]
        print(f"\n{'estimator':<10}" + "".join(f"{c:>16}" for c in clusters) + "   (wall s; x none)")
        for est in args.estimators.split(","):
            cells, base = [], None
            for cl in clusters:
                s = dataclasses.replace(spec, cluster=cl)
                if est == "mlogit":
                    s = dataclasses.replace(s, covariates=tuple(c for c in s.covariates if c != "any_tie"))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    try:
                        fit(panel, s, est)
                    except ModelError:
                        cells.append("not fitted")
                        continue
                    wall = time.perf_counter() - t0
                base = wall if base is None else base
                cells.append(f"{wall:7.2f} ({wall / base:4.2f}x)")
            print(f"{est:<10}" + "".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
