"""Wall time and peak memory of the out-of-sample validation of one specification on the real panel.

    python benchmarks/validate.py [--panel datasets/dyad_years.parquet] [--spec analyses/specs/baseline.toml]
                                  [--jobs 2] [--estimators logit,firth,...] [--out DIR]

Runs :func:`alliances.analysis.validate.run_validation` once (rolling origins every 10 years from
1850 and leave-one-era-out, every default estimator plus the two benchmarks) and prints the
elapsed seconds, the number of windows and of (window, model) tasks, the pooled rolling
scores, and the peak resident set size of the main process (``getrusage(RUSAGE_SELF)``) and
of the Dask workers: with psutil, each worker process's high-water mark (``VmHWM`` from
``/proc``, else the largest RSS sampled every 0.2 s) while the run lasts; without it,
``getrusage(RUSAGE_CHILDREN)``, the largest of the terminated children. Without the Parquet
file the panel is built first with ``alliances build``. It takes minutes on two cores:
run it once, not in a loop.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path


def _hwm_kb(pid: int) -> int | None:
    """Peak RSS (VmHWM, kB) of a live process from /proc (Linux), None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class WorkerMemory:
    """Samples the descendants of this process (Dask nannies and workers) in a thread."""

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self.psutil, self.interval = psutil, interval
        self.peak: dict[int, tuple[str, int]] = {}  # pid -> (name, peak bytes)
        self.total_peak = 0  # largest sum of the descendants' current RSS at one sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        total = 0
        for child in self.psutil.Process().children(recursive=True):
            try:
                rss = child.memory_info().rss
                hwm = _hwm_kb(child.pid)
                peak = max(rss, hwm * 1024 if hwm else 0)
                name = " ".join(child.cmdline()[-2:])[-60:]
            except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                continue
            total += rss
            self.peak[child.pid] = (name, max(peak, self.peak.get(child.pid, ("", 0))[1]))
        self.total_peak = max(self.total_peak, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> "WorkerMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _mb(kb: float) -> str:
    return f"{kb / 1024:,.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panel", type=Path, default=Path("datasets/dyad_years.parquet"))
    ap.add_argument("--spec", type=Path, default=Path("analyses/specs/baseline.toml"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--estimators", default=None, help="comma-separated (default: every validated estimator)")
    ap.add_argument("--first-origin", type=int, default=1850)
    ap.add_argument("--step", type=int, default=10)
    ap.add_argument("--horizon", type=int, default=10)
    ap.add_argument("--out", type=Path, default=None, help="also write the outputs (write_validation) here")
    ap.add_argument("--progress", action="store_true", help="print each finished task")
    args = ap.parse_args()

    if not args.panel.exists():
        print(f"{args.panel} missing: running `alliances build --out {args.panel.parent}`", flush=True)
        t0 = time.perf_counter()
        subprocess.run([os.path.join(os.path.dirname(sys.executable), "alliances"), "build",
                        "--out", str(args.panel.parent)], check=True)
        print(f"built in {time.perf_counter() - t0:.1f} s")

    import pandas as pd

    from alliances.analysis import metrics
    from alliances.analysis.validate import BENCHMARKS, common_windows, run_validation, write_validation
    from alliances.models import Spec
    from alliances.models.catalog import VALIDATED_ESTIMATORS

    spec = Spec.from_toml(args.spec)
    estimators = args.estimators.split(",") if args.estimators else list(VALIDATED_ESTIMATORS)
    say = (lambda m: print(m, file=sys.stderr, flush=True)) if args.progress else None
    try:
        monitor = WorkerMemory()
    except ImportError:
        monitor = None

    t0 = time.perf_counter()
    if monitor is not None:
        with monitor:
            v = run_validation(args.panel, spec, estimators, first_origin=args.first_origin, step=args.step,
                               horizon=args.horizon, jobs=args.jobs, progress=say)
    else:
        v = run_validation(args.panel, spec, estimators, first_origin=args.first_origin, step=args.step,
                           horizon=args.horizon, jobs=args.jobs, progress=say)
    elapsed = time.perf_counter() - t0

    n_models = len(estimators) + len(BENCHMARKS)
    n_roll = sum(w.scheme == "rolling" for w in v.windows)
    print(f"panel: {args.panel}   spec: {args.spec} ({spec.outcome}, {len(spec.covariates)} covariates)")
    print(f"estimators: {', '.join(estimators)} + benchmarks {', '.join(BENCHMARKS)}   jobs: {args.jobs}")
    print(f"windows: {len(v.windows)} ({n_roll} rolling origins {v.windows[0].train_through}-"
          f"{v.windows[n_roll - 1].train_through}, {len(v.windows) - n_roll} eras)   "
          f"tasks: {len(v.windows) * n_models}   failed: {len(v.failures)}")
    print(f"predictions: {len(v.predictions):,} rows")
    print(f"elapsed: {elapsed:.1f} s ({elapsed / (len(v.windows) * n_models):.2f} s per task)")
    print(f"peak RSS, main process: {_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)}")
    if monitor is not None and monitor.peak:
        peaks = sorted(monitor.peak.values(), key=lambda t: -t[1])
        print(f"peak RSS, workers (psutil; {len(peaks)} child processes): largest "
              f"{_mb(peaks[0][1] / 1024)}; largest sum at one time {_mb(monitor.total_peak / 1024)}")
        for name, peak in peaks[: args.jobs * 2]:
            print(f"    {_mb(peak / 1024):>9}  {name}")
    else:
        kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"peak RSS, workers (getrusage RUSAGE_CHILDREN, largest terminated child): {_mb(kb)}")

    if not v.failures.empty:
        print("\nfailures:")
        for r in v.failures.itertuples():
            print(f"    {r.window} / {r.model}: {r.error[:110]}")
    pooled = v.scores[v.scores["window"] == "pooled"].copy()
    zeros = v.predictions.groupby(["scheme", "model"])["p"].agg(lambda p: int((p == 0).sum())).rename("p_zero")
    pooled = pooled.join(zeros, on=["scheme", "model"])
    cols = ["scheme", "model", "n", "events", "mean_p", "brier", "log_score", "roc_auc", "pr_auc", "brier_skill",
            "p_zero"]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.5g}".format):
        print("\npooled out-of-sample scores (p_zero: predictions of exactly 0)")
        print(pooled[cols].to_string(index=False))
    print(f"\nbest (highest pooled rolling log score): {v.best}")
    # pooled scores are over the windows every model could be fitted on (common_windows)
    common = common_windows(v.predictions)
    assert all(abs(r.brier - metrics.brier(g["p"], g["outcome"])) < 1e-12 for r in pooled.itertuples()
               for g in [common[(common["scheme"] == r.scheme) & (common["model"] == r.model)]])
    if args.out:
        t0 = time.perf_counter()
        write_validation(v, args.out)
        print(f"written to {args.out} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
