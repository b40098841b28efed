"""Two validation folders side by side (e.g. the baseline and network specifications), no fitting.

    python benchmarks/compare_validations.py FOLDER_A FOLDER_B [MODEL ...]

For each model of both folders' pooled rolling-origin scores (``scores.csv`` and ``ranking.csv``
written by ``alliances validate``; the windows every model of that folder was fitted on): rows,
onsets, log score, Brier score, Brier skill against the base rate with its 95% year-bootstrap
interval, ROC AUC, PR AUC, calibration slope and observed/predicted onsets in the top 1% of
forecasts, as a Markdown table. The rows and onsets say whether the two folders scored the same
dyad-years. The era scheme is not read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

DEFAULT_MODELS = ("logit", "logit_recal", "firth", "firth_recal", "relogit", "relogit_recal", "ensemble",
                  "ensemble_recal", "boosted_trees", "boosted_trees_recal", "duration_only", "base_rate")


def pooled(folder: Path) -> pd.DataFrame:
    scores = pd.read_csv(folder / "scores.csv")
    table = scores[(scores["scheme"] == "rolling") & (scores["window"] == "pooled")].set_index("model")
    rank = pd.read_csv(folder / "ranking.csv").set_index("model")
    return table.join(rank[["brier_skill_lo", "brier_skill_hi", "log_score_gain"]], how="left")


def main(a: str, b: str, models: list[str]) -> None:
    rows = []
    for folder in (Path(a), Path(b)):
        t = pooled(folder)
        for m in models or DEFAULT_MODELS:
            if m not in t.index:
                continue
            r = t.loc[m]
            skill = f"{r['brier_skill']:+.4f}"
            if pd.notna(r.get("brier_skill_lo")):
                skill += f" [{r['brier_skill_lo']:+.4f}, {r['brier_skill_hi']:+.4f}]"
            rows.append({"folder": folder.name, "model": m, "n": int(r["n"]), "events": int(r["events"]),
                         "log_score": f"{r['log_score']:.5f}", "brier": f"{r['brier']:.6f}",
                         "brier_skill [95%]": skill, "roc_auc": f"{r['roc_auc']:.3f}",
                         "pr_auc": f"{r['pr_auc']:.4f}", "slope": f"{r['calibration_slope']:.3f}",
                         "top1 obs/pred": f"{r['obs_pred_top1']:.3f}"})
    frame = pd.DataFrame(rows)
    cols = list(frame.columns)
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in frame.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in r) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
