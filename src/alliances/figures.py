"""Figures of predictions (matplotlib, PNG and SVG), readable without the text.

Each figure has a title naming the dyad and outcome, labelled axes with units, and a
source line. Files carry no creation date, so reruns give the same bytes (with the same
matplotlib version).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from . import __version__  # noqa: E402

TIE_COLORS = {"alliance": "#d9d9d9", "alignment": "#ececec", "coordination": "#f6f6f6"}
SOURCE = (f"Source: alliances {__version__}; ATOP member-level data, COW NMC 7.0, states and majors, "
          "Thompson-Dreyer/TSS rivalries. Bands: 95% simulation intervals.")


def _save(fig, out_dir: Path, name: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.text(0.01, 0.01, SOURCE, fontsize=6.5, color="#555555", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.svg"]
    with matplotlib.rc_context({"svg.hashsalt": "alliances"}):
        fig.savefig(paths[0], dpi=150, metadata={"Software": None})
        fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


def _dyad_label(frame: pd.DataFrame, names: dict[int, str] | None) -> str:
    a, b = int(frame["ccode1"].iloc[0]), int(frame["ccode2"].iloc[0])
    names = names or {}
    return f"{names.get(a, a)}-{names.get(b, b)} ({a}-{b})"


def _shade_ties(ax, frame: pd.DataFrame) -> None:
    years = frame.drop_duplicates("year")[["year", "observed_tie"]]
    for tie, color in TIE_COLORS.items():
        for y in years.loc[years["observed_tie"] == tie, "year"]:
            ax.axvspan(y - 0.5, y + 0.5, color=color, lw=0, zorder=0)
    ext = frame.loc[frame["extended_sources"].str.contains("atop_members", regex=False), "year"]
    if len(ext):
        ax.axvspan(ext.min() - 0.5, ext.max() + 0.5, facecolor="none", hatch="///", edgecolor="#bbbbbb", lw=0,
                   zorder=0, label="ATOP carried forward (observed ties unknown)")


def probability_over_time(pred: pd.DataFrame, out_dir: Path, outcome: str, names=None) -> list[Path]:
    """Predicted probability of ``outcome`` by year for every model, observed ties shaded."""
    sub = pred[pred["outcome"] == outcome]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    _shade_ties(ax, sub)
    for model, g in sub.groupby("model", sort=False):
        ax.plot(g["year"], g["p"], lw=1.4, label=model)
        ax.fill_between(g["year"], g["p_lo"], g["p_hi"], alpha=0.2, lw=0)
    for tie, color in TIE_COLORS.items():
        ax.fill_between([], [], color=color, label=f"observed {tie} in force")
    ax.set_title(f"Predicted probability of {outcome.replace('_', ' ')}, {_dyad_label(sub, names)}")
    ax.set_xlabel("year")
    ax.set_ylabel("probability of onset in the year")
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    return _save(fig, out_dir, f"probability_{outcome}")


def scenario_comparison(effects: pd.DataFrame, out_dir: Path, outcome: str, year: int | None = None,
                        names=None) -> list[Path]:
    """First differences (scenario - observed) in ``outcome`` with 95% intervals, one row per scenario x model."""
    sub = effects[effects["outcome"] == outcome].dropna(subset=["first_difference"])
    if sub.empty:
        return []
    year = int(sub["year"].max()) if year is None else year
    sub = sub[sub["year"] == year].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(sub) + 1.8))
    labels = [f"{s} | {m}" for s, m in zip(sub["scenario"], sub["model"])]
    ax.errorbar(sub["first_difference"], range(len(sub)),
                xerr=[sub["first_difference"] - sub["fd_lo"], sub["fd_hi"] - sub["first_difference"]],
                fmt="o", ms=4, capsize=2)
    ax.axvline(0, color="#888888", lw=0.8)
    ax.set_yticks(range(len(sub)), labels, fontsize=7)
    ax.set_xlabel("change in the probability of onset (scenario - observed covariates)")
    ax.set_title(f"Scenarios for {_dyad_label(sub, names)}, {year}: {outcome.replace('_', ' ')}")
    return _save(fig, out_dir, f"scenarios_{outcome}")


def survival_curve(surv: pd.DataFrame, out_dir: Path, names=None) -> list[Path]:
    """Probability of no onset over the next years with 95% bands, per hazard model."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for model, g in surv.groupby("model", sort=False):
        ax.plot(g["years_ahead"], g["survival"], label=model)
        ax.fill_between(g["years_ahead"], g["survival_lo"], g["survival_hi"], alpha=0.2, lw=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"years after {int(surv['from_year'].iloc[0])}")
    ax.set_ylabel("probability of no onset")
    ax.set_title(f"Survival without {surv['outcome'].iloc[0].replace('_', ' ')}, {_dyad_label(surv, names)} "
                 "(covariates held at latest values)")
    ax.legend(fontsize=8)
    return _save(fig, out_dir, "survival")


def versus_great_powers(pred: pd.DataFrame, dist: pd.DataFrame, out_dir: Path, model: str, names=None) -> list[Path]:
    """The dyad's predicted probability against the great-power dyads' distribution by year."""
    d = dist[dist["model"] == model]
    sub = pred[(pred["model"] == model) & (pred["outcome"] == d["outcome"].iloc[0])]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    ax.fill_between(d["year"], d["q10"], d["q90"], color="#c6dbef", lw=0, label="great-power dyads, 10th-90th pct")
    ax.fill_between(d["year"], d["q25"], d["q75"], color="#9ecae1", lw=0, label="great-power dyads, 25th-75th pct")
    ax.plot(d["year"], d["q50"], color="#3182bd", lw=1, label="great-power dyads, median")
    ax.plot(sub["year"], sub["p"], color="#d62728", lw=1.6, label=_dyad_label(sub, names))
    ax.set_xlabel("year")
    ax.set_ylabel("probability of onset in the year")
    ax.set_title(f"{_dyad_label(sub, names)} against great-power dyads at risk of "
                 f"{d['outcome'].iloc[0].replace('_', ' ')} ({model})")
    ax.legend(fontsize=7, loc="upper left")
    return _save(fig, out_dir, f"versus_great_powers_{model}")


def all_figures(pred: pd.DataFrame, effects: pd.DataFrame | None, surv: pd.DataFrame | None,
                dist: pd.DataFrame | None, out_dir: str | os.PathLike, names=None,
                models: Sequence[str] | None = None) -> list[Path]:
    out = Path(out_dir)
    paths: list[Path] = []
    for outcome in pred["outcome"].unique():
        paths += probability_over_time(pred, out, outcome, names)
    if effects is not None and len(effects):
        for outcome in effects["outcome"].unique():
            paths += scenario_comparison(effects, out, outcome, names=names)
    if surv is not None and len(surv):
        paths += survival_curve(surv, out, names)
    if dist is not None and len(dist):
        for model in models or dist["model"].unique()[:1]:
            paths += versus_great_powers(pred, dist, out, model, names)
    return paths
