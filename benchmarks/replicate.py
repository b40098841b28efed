"""Wall time and peak memory of the full replication (`alliances replicate`) on the bundled data.

Usage: python benchmarks/replicate.py [--jobs 2] [--out /tmp/alliances-replicate]
Targets: issue 6, <= 2 minutes on this 2-core machine; issue 13, <= 60 s.
"""

from __future__ import annotations

import argparse
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="/tmp/alliances-replicate")
    args = parser.parse_args()

    from alliances.analysis.replicate import run_replication

    t0 = time.perf_counter()
    stamps = []

    def progress(msg: str) -> None:
        stamps.append((time.perf_counter() - t0, msg))
        print(f"{stamps[-1][0]:7.1f} s  {msg}", flush=True)

    manifest = run_replication(f"{args.out}/output", datasets_dir=f"{args.out}/datasets", jobs=args.jobs,
                               progress=progress)
    total = time.perf_counter() - t0
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"total {total:.1f} s with {args.jobs} job(s); {len(manifest['outputs'])} outputs; "
          f"peak RSS {peak_self:,.0f} MB (main), {peak_children:,.0f} MB (largest worker)")


if __name__ == "__main__":
    main()
