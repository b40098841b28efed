"""The forecasting goals of the baseline validation, read from a validation folder (no fitting).

    python benchmarks/forecast_goals.py [analyses/output/validation]

Prints, for every model of the pooled rolling-origin scores (``scores.csv``, ``ranking.csv``
written by ``alliances validate`` or ``alliances replicate``), the numbers behind the goals:
Brier skill > 0 and log-score gain > 0 against the base rate, calibration slope within 0.8-1.2,
observed/predicted in the top 1% of forecasts >= 0.8, ROC AUC >= 0.90 and PR AUC >= 0.04; then
the models that reach every goal (often none: the numbers are reported whatever they are).
The era scheme is not read: its held-out eras are not used to choose or tune anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

GOALS = {"brier_skill": lambda v: v > 0, "log_score_gain": lambda v: v > 0,
         "calibration_slope": lambda v: 0.8 <= v <= 1.2, "obs_pred_top1": lambda v: v >= 0.8,
         "roc_auc": lambda v: v >= 0.90, "pr_auc": lambda v: v >= 0.04}


def main(folder: str = "analyses/output/validation") -> None:
    out = Path(folder)
    scores = pd.read_csv(out / "scores.csv")
    pooled = scores[(scores["scheme"] == "rolling") & (scores["window"] == "pooled")].set_index("model")
    rank = pd.read_csv(out / "ranking.csv").set_index("model")
    table = pooled.join(rank[["log_score_gain", "log_score_gain_lo", "log_score_gain_hi",
                              "brier_skill_lo", "brier_skill_hi"]], how="inner")
    met = pd.DataFrame({goal: table[goal].map(check) for goal, check in GOALS.items()})
    table["goals_met"] = met.sum(axis=1).astype(str) + f"/{len(GOALS)}"
    cols = ["brier_skill", "brier_skill_lo", "brier_skill_hi", "log_score_gain", "calibration_slope",
            "obs_pred_top1", "roc_auc", "pr_auc", "goals_met"]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table[cols].sort_values("log_score_gain", ascending=False).round(4).to_string())
    every = list(met.index[met.all(axis=1)])
    print("models reaching every goal:", ", ".join(every) if every else "none")
    for goal in GOALS:
        print(f"  {goal}: {', '.join(met.index[met[goal]]) or 'no model'}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
