"""Wall time and peak memory of China-Russia predictions: every year of the dyad, 1,000
simulations per model, for the baseline specification's logit, Firth, King-Zeng, cloglog
and Cox fits (fitted once, not timed), plus the percentile comparison with all dyads.

Usage: python benchmarks/predict.py [--panel datasets/dyad_years.parquet] [--sims 1000]
Target (issue 5): <= 2 s for the predictions.
"""

from __future__ import annotations

import argparse
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", default="datasets/dyad_years.parquet")
    parser.add_argument("--spec", default="analyses/specs/baseline.toml")
    parser.add_argument("--sims", type=int, default=1000)
    args = parser.parse_args()

    import alliances
    from alliances.analysis.predict import dyad_predictions, survival_curves
    from alliances.models import Spec, fit

    panel = alliances.read_panel(args.panel)
    spec = Spec.from_toml(args.spec)
    t0 = time.perf_counter()
    fits = {e: fit(panel, spec, e) for e in ("logit", "firth", "relogit", "cloglog", "cox")}
    t1 = time.perf_counter()
    pred = dyad_predictions(panel, fits, "365-710", sims=args.sims, seed=0)
    t2 = time.perf_counter()
    pred_only = dyad_predictions(panel, fits, "365-710", sims=args.sims, seed=0, compare_groups=False)
    t3 = time.perf_counter()
    survival_curves(panel, fits, "365-710", horizon=30, sims=args.sims)
    t4 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    years = pred["year"].nunique()
    print(f"fitting 5 models (not part of the target): {t1 - t0:.2f} s")
    print(f"China-Russia, {years} years x 5 models x {args.sims} simulations: {t3 - t2:.2f} s "
          f"(with percentiles among all {len(panel):,} dyad-years: {t2 - t1:.2f} s)")
    print(f"survival curves, 30 years x 5 models x {args.sims} simulations: {t4 - t3:.2f} s")
    print(f"peak RSS {peak:,.0f} MB; rows out: {len(pred_only)}")


if __name__ == "__main__":
    main()
