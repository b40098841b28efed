"""Figures of predictions (matplotlib, PNG and SVG), readable without the text.

Each figure has a title naming the dyad and outcome, labelled axes with units, and a
source line. No backend is forced at import (matplotlib picks Agg where there is no
display); every figure is closed after it is saved and none is shown. Files carry no creation date, so reruns give the same bytes (with the same
matplotlib version).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.ticker import FuncFormatter

from alliances.analysis.metrics import check_forecasts
from alliances.models.catalog import CATALOG
from alliances.outcomes.onsets import outcome_words
from alliances.version import __version__

#: Okabe and Ito (2008) colour-blind-safe palette, black last.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")
_LINESTYLES = ("-", "--", "-.", ":")
TIE_COLORS = {"alliance": "#d9d9d9", "alignment": "#ececec", "coordination": "#f6f6f6"}
SOURCE = (f"Source: alliances {__version__}; ATOP member-level data, COW NMC 7.0, states and majors, "
          "Thompson-Dreyer/TSS rivalries.")


def source_for(outcome: str | None) -> str:
    """The figure's source line: the panel's sources, and the UN ideal points when they make the outcome."""
    if outcome is not None and outcome.startswith("unga_"):
        return SOURCE[:-1] + "; UN General Assembly ideal points (Bailey, Strezhnev and Voeten 2017; July 2025)."
    return SOURCE


def _a(words: str) -> str:
    return f"{'an' if words[:1].lower() in 'aeiou' else 'a'} {words}"


def _save(fig, out_dir: Path, name: str, bottom: float = 0.04, source: str = SOURCE) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.text(0.01, 0.01, source, fontsize=6.5, color="#555555", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, bottom, 1, 1))
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


def _model_words(model: str) -> str:
    """An estimator's label in words (the catalog's), or the fitted model's own name."""
    return CATALOG[model].label if model in CATALOG else model.replace("_", " ")


def _style(i: int) -> dict:
    """Colour (Okabe-Ito, colour-blind safe) and line style of the i-th model, so lines differ in both."""
    return {"color": OKABE_ITO[i % len(OKABE_ITO)], "ls": _LINESTYLES[i % len(_LINESTYLES)]}


def probability_over_time(pred: pd.DataFrame, out_dir: Path, outcome: str, names=None) -> list[Path]:
    """Predicted probability of ``outcome`` by year, one panel per model (bands never overlap
    another model's), observed ties shaded, common axes."""
    sub = pred[pred["outcome"] == outcome]
    models = list(dict.fromkeys(sub["model"]))
    fig, axes = plt.subplots(len(models), 1, figsize=(9, 1.0 + 1.55 * len(models)), sharex=True, sharey=True,
                             squeeze=False)
    for i, (ax, model) in enumerate(zip(axes[:, 0], models)):
        g = sub[sub["model"] == model]
        _shade_ties(ax, g)
        style = _style(i)
        ax.fill_between(g["year"], g["p_lo"], g["p_hi"], color=style["color"], alpha=0.25, lw=0)
        ax.plot(g["year"], g["p"], lw=1.3, **style)
        ax.set_title(_model_words(model), fontsize=8.5, loc="left")
        ax.tick_params(labelsize=7.5)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in TIE_COLORS.values()]
    labels = [f"observed {tie} in force" for tie in TIE_COLORS]
    if sub["extended_sources"].str.contains("atop_members", regex=False).any():
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="none", hatch="///", edgecolor="#bbbbbb"))
        labels.append("ATOP carried forward (observed ties unknown)")
    axes[-1, 0].set_xlabel("year")
    fig.supylabel("probability of onset in the year", fontsize=9)
    # the boosted-trees benchmark's band is a bootstrap of its fit, not a simulation of coefficients
    trees = ("\nboosted trees (a benchmark without coefficients): band = 95% dyad-bootstrap interval of the fit"
             if (sub["estimator"].astype(str) == "boosted_trees").any() else "")
    fig.suptitle(f"Predicted probability of {_a(outcome_words(outcome))}, {_dyad_label(sub, names)}\n"
                 "lines: point predictions; bands: 95% simulation intervals; no line: not at risk or covariates "
                 f"missing{trees}", fontsize=9.5)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=7, frameon=False,
               bbox_to_anchor=(0.5, 0.035))
    return _save(fig, out_dir, f"probability_{outcome}", bottom=0.085, source=source_for(outcome))


def scenario_comparison(effects: pd.DataFrame, out_dir: Path, outcome: str, year: int | None = None,
                        names=None) -> list[Path]:
    """First differences (scenario - observed) in ``outcome`` with 95% intervals: one row per
    scenario, labelled with what it sets, one marker and colour per model."""
    sub = effects[effects["outcome"] == outcome].dropna(subset=["first_difference"])
    if sub.empty:
        return []
    year = int(sub["year"].max()) if year is None else year
    sub = sub[sub["year"] == year].reset_index(drop=True)
    scenarios = list(dict.fromkeys(sub["scenario"]))
    models = list(dict.fromkeys(sub["model"]))
    described = sub.drop_duplicates("scenario").set_index("scenario").get("scenario_description")
    fig, ax = plt.subplots(figsize=(8.5, 0.75 * len(scenarios) + 2.2))
    step = 0.7 / max(len(models), 1)
    for i, model in enumerate(models):
        g = sub[sub["model"] == model]
        y = np.array([scenarios.index(s) for s in g["scenario"]]) - 0.35 + step * (i + 0.5)
        ax.errorbar(g["first_difference"], y, xerr=[g["first_difference"] - g["fd_lo"], g["fd_hi"] - g["first_difference"]],
                    fmt=_MARKERS[i % len(_MARKERS)], ms=4, capsize=2, lw=0.9, color=OKABE_ITO[i % len(OKABE_ITO)],
                    label=_model_words(model))
    ticks = []
    for s in scenarios:
        text = str(described.get(s, "") if described is not None else "") or s.replace("_", " ")
        ticks.append("\n".join(textwrap.wrap(text, 38)))
    ax.axvline(0, color="#888888", lw=0.8)
    ax.set_yticks(range(len(scenarios)), ticks, fontsize=7.5)
    ax.set_ylim(len(scenarios) - 0.5, -0.5)
    ax.set_xlabel(f"change in the probability of onset in {year} (scenario - observed covariates)")
    ax.set_title(f"Scenarios for {_dyad_label(sub, names)}, {year}: {outcome_words(outcome)}\n"
                 "points: first differences; bars: 95% simulation intervals", fontsize=9.5)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 0.03), ncol=2, frameon=False)
    return _save(fig, out_dir, f"scenarios_{outcome}", bottom=0.05 + 0.03 * ((len(models) + 1) // 2),
                 source=source_for(outcome))


def survival_curve(surv: pd.DataFrame, out_dir: Path, names=None) -> list[Path]:
    """Probability of no onset over the next years with 95% bands, per hazard model (distinct
    colour and line style; bands outlined so overlapping ones stay readable)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (model, g) in enumerate(surv.groupby("model", sort=False)):
        style = _style(i)
        ax.plot(g["years_ahead"], g["survival"], lw=1.4, label=_model_words(model), **style)
        ax.fill_between(g["years_ahead"], g["survival_lo"], g["survival_hi"], color=style["color"], alpha=0.12, lw=0)
        for edge in ("survival_lo", "survival_hi"):
            ax.plot(g["years_ahead"], g[edge], color=style["color"], ls=style["ls"], lw=0.6, alpha=0.8)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"years after {int(surv['from_year'].iloc[0])}")
    ax.set_ylabel("probability of no onset")
    ax.set_title(f"Probability of no {outcome_words(surv['outcome'].iloc[0])}, {_dyad_label(surv, names)}\n"
                 "covariates held at their latest values; bands: 95% simulation intervals", fontsize=9.5)
    ax.legend(fontsize=8, loc="lower left")
    return _save(fig, out_dir, "survival")


def versus_great_powers(pred: pd.DataFrame, dist: pd.DataFrame, out_dir: Path, model: str, names=None) -> list[Path]:
    """The dyad's predicted probability against the great-power dyads' distribution by year."""
    d = dist[dist["model"] == model]
    sub = pred[(pred["model"] == model) & (pred["outcome"] == d["outcome"].iloc[0])]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    ax.fill_between(d["year"], d["q10"], d["q90"], color="#c6dbef", lw=0, label="great-power dyads, 10th-90th percentile")
    ax.fill_between(d["year"], d["q25"], d["q75"], color="#9ecae1", lw=0, label="great-power dyads, 25th-75th percentile")
    ax.plot(d["year"], d["q50"], color="#3182bd", lw=1, label="great-power dyads, median")
    ax.plot(sub["year"], sub["p"], color="#d62728", lw=1.6, label=_dyad_label(sub, names))
    ax.set_xlabel("year")
    ax.set_ylabel("probability of onset in the year")
    ax.set_title(f"{_dyad_label(sub, names)} against great-power dyads at risk of "
                 f"{outcome_words(d['outcome'].iloc[0])}\n({_model_words(model)})", fontsize=9.5)
    ax.legend(fontsize=7, loc="upper left")
    return _save(fig, out_dir, f"versus_great_powers_{model}", source=source_for(d["outcome"].iloc[0]))


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


# --- Out-of-sample validation figures -------------------------------------------------------

VALIDATION_SOURCE = f"Source: alliances {__version__}; out-of-sample predictions scored against observed outcomes."


def save_figure(fig, path_stem: str | os.PathLike, source: str) -> list[Path]:
    """Write ``<path_stem>.png`` and ``.svg`` with a source line and no dates, as :func:`_save`."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig.text(0.01, 0.01, source, fontsize=6.5, color="#555555", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    paths = [stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")]
    with matplotlib.rc_context({"svg.hashsalt": "alliances"}):
        fig.savefig(paths[0], dpi=150, metadata={"Software": None})
        fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


def reliability_figure(tables: dict[str, pd.DataFrame], path_stem: str | os.PathLike, title: str,
                       source: str = VALIDATION_SOURCE) -> list[Path]:
    """Reliability diagram: observed event rate against mean predicted probability per bin.

    ``tables`` maps a model name to its :func:`alliances.analysis.metrics.calibration_table`
    (columns ``p_mean``, ``observed``, ``lo``, ``hi``, ``events``). Each model gets its own
    colour (Okabe-Ito, colour-blind safe), marker and line style; vertical bars are the 95%
    Wilson intervals of the observed rate; the dashed grey 45-degree line is perfect
    calibration. Writes ``<path_stem>.png`` and ``<path_stem>.svg`` and returns their paths.

    Both axes are logarithmic. Onsets are rare (about 0.3% of dyad-years) and predicted
    probabilities span several orders of magnitude, so on linear axes the lower bins pile
    up in one corner and only the top bin can be read. On log-log axes the bins spread
    out, the 45-degree line stays straight, and the vertical distance to it is the ratio of
    observed to predicted rates (a factor of 2 looks the same at 0.001 as at 0.1), which is
    the error that matters for rare events. A bin with no events has an observed rate of 0,
    which a log axis cannot show: it is drawn as an open downward triangle at the bottom
    edge, with its bar reaching up to the upper Wilson bound.
    """
    frames = {name: t for name, t in tables.items() if len(t)}
    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    positive = np.concatenate([np.r_[t["p_mean"], t["observed"], t["lo"], t["hi"]] for t in frames.values()]
                              or [np.array([1e-4, 1.0])])
    positive = positive[np.isfinite(positive) & (positive > 0)]
    top = min(1.0, positive.max() * 1.6) if len(positive) else 1.0
    floor = positive.min() / 2.5 if len(positive) else 1e-4
    any_zero = False
    for i, (name, t) in enumerate(frames.items()):
        color, marker = OKABE_ITO[i % len(OKABE_ITO)], _MARKERS[i % len(_MARKERS)]
        ls = _LINESTYLES[i % len(_LINESTYLES)]
        x = t["p_mean"].to_numpy(float).clip(floor)
        obs = t["observed"].to_numpy(float)
        zero = obs <= 0
        any_zero |= bool(zero.any())
        yv = np.where(zero, floor, obs)
        lo = np.maximum(t["lo"].to_numpy(float), floor)
        hi = np.maximum(t["hi"].to_numpy(float), yv)
        ax.plot(x, yv, color=color, ls=ls, lw=1.2, zorder=2)
        ax.errorbar(x[~zero], yv[~zero], yerr=[yv[~zero] - lo[~zero], hi[~zero] - yv[~zero]], fmt=marker,
                    color=color, ms=5, capsize=2, lw=0.9, zorder=3, label=name)
        if zero.any():
            ax.errorbar(x[zero], yv[zero], yerr=[np.zeros(zero.sum()), hi[zero] - yv[zero]], fmt="v",
                        mfc="white", color=color, ms=6, capsize=2, lw=0.9, zorder=3)
    ax.plot([floor, top], [floor, top], color="#888888", ls=(0, (4, 3)), lw=1, zorder=1, label="perfect calibration")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(floor / 1.3, top)
    ax.set_ylim(floor / 1.3, top)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("mean predicted probability in the bin (log scale)")
    ax.set_ylabel("observed share of rows with an event (log scale)")
    caption = ("Points: bins of predicted probability at its deciles, then the top 5% and top 1% on their own. "
               "Bars: 95% Wilson intervals of the observed share."
               + (" Open triangles: bins with no events." if any_zero else ""))
    ax.set_title(f"{title}\n{textwrap.fill(caption, 80)}", fontsize=9, loc="left")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, which="major", color="#eeeeee", lw=0.6)
    return save_figure(fig, path_stem, source)


def separation_figure(p, y, path_stem: str | os.PathLike, title: str, max_columns: int = 2000,
                      source: str = VALIDATION_SOURCE) -> list[Path]:
    """Separation plot (Greenhill, Ward and Sacks 2011, AJPS 55(4): 991-1002).

    Rows are sorted by predicted probability ``p`` (lowest left); each event (``y`` = 1) is
    a dark vertical line on a light background, the black line is ``p`` (right-hand scale,
    fitted to the data since rare-event probabilities stay far below 1), and the triangle
    under the axis marks the row from which the expected number of events, sum(p), would
    fill the right end. A good model packs the dark lines to the right. Within tied p,
    events are placed first (left), so ties never flatter the model.

    With more than ``max_columns`` rows the rows are cut into ``max_columns`` equal slices
    (about the figure's width in pixels; one line per row would be a solid block at a
    million rows, since every event line takes at least a pixel). A slice's shade is then
    its number of events relative to the slice with the most, and the line is the slice's
    mean p; with fewer rows each row is its own column, light or dark, as in the original.
    Bins are drawn as one image, so a million rows take about a second and the SVG stays
    small. Inputs are checked as in :mod:`alliances.analysis.metrics`. Writes ``<path_stem>.png``
    and ``.svg``; returns the paths.
    """
    p, y = check_forecasts(p, y)
    n = len(p)
    order = np.lexsort((1.0 - y, p))  # by p, then events first within ties
    ps, ys = p[order], y[order]
    cols = min(n, int(max_columns))
    col = (np.arange(n, dtype=np.int64) * cols) // n
    count = np.bincount(col, minlength=cols)
    events = np.bincount(col, weights=ys, minlength=cols)
    p_mean = np.bincount(col, weights=ps, minlength=cols) / count
    left = np.searchsorted(col, np.arange(cols))  # first row of each column
    right = np.r_[left[1:], n]
    most = float(events.max())
    shade = events / most if most > 0 else events

    fig, ax = plt.subplots(figsize=(9, 3.2))
    cmap = LinearSegmentedColormap.from_list("separation", ["#f3e9d8", "#6b1414"])
    ax.imshow(shade[np.newaxis, :], cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest",
              extent=(0, n, 0, 1), zorder=0)
    ax.set_ylim(0, 1)
    ax2 = ax.twinx()
    ax2.plot((left + right) / 2, p_mean, color="#000000", lw=1.2)
    expected = float(ps.sum())
    ax.plot([n - expected], [0], marker="^", color="#000000", ms=7, clip_on=False, zorder=4)
    ax.set_xlim(0, n)
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax2.set_ylim(0, min(1.0, float(ps.max()) * 1.05) or 1.0)
    ax2.set_ylabel("predicted probability")
    ax.set_xlabel("rows ranked by predicted probability, lowest left")
    if cols < n:
        shading = (f"Shade: events in each of {cols:,} columns of about {n / cols:,.0f} rows "
                   f"(darkest = {most:,.0f}).")
    else:
        shading = "Dark lines: events."
    caption = (f"{n:,} rows, {int(ys.sum()):,} events. {shading} Line: predicted probability. "
               f"Triangle: expected number of events ({expected:,.1f}) counted from the right.")
    ax.set_title(f"{title}\n{textwrap.fill(caption, 120)}", fontsize=9, loc="left")
    return save_figure(fig, path_stem, source)


def specification_curve(frame: pd.DataFrame, term: str, path_stem: str | os.PathLike, dyad: str = "",
                        year: int | None = None) -> list[Path]:
    """Specification curve (Simonsohn, Simmons and Nelson 2020): one term's estimate in every
    specification of a multiverse, sorted, with 95% intervals; below, which choice each
    specification made. ``term = "probability"`` plots the dyad's predicted probability."""
    if term == "probability":
        rows = frame[frame["quantity"] == "probability"].dropna(subset=["estimate"])
        title = f"Predicted onset probability, {dyad} in {year}, across specifications"
        ylabel = "probability (95% simulation interval)"
    else:
        rows = frame[(frame["quantity"] == "coefficient") & (frame["term"] == term)]
        title = f"Coefficient of {term.replace('_', ' ')} across specifications"
        ylabel = "coefficient (95% interval)"
    choice_cols = [c for c in frame.columns if c not in {"spec_id", "quantity", "term", "estimate", "std_error",
                                                           "p_value", "conf_low", "conf_high", "nobs", "n_events",
                                                           "error"} and frame[c].nunique() > 1]
    rows = rows.sort_values(["estimate", "spec_id"], ignore_index=True)
    x = np.arange(len(rows))
    labels = [(c, v) for c in choice_cols for v in sorted(frame[c].dropna().unique())]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 4 + 0.22 * len(labels)), sharex=True,
                                      gridspec_kw={"height_ratios": (3, max(1, 0.25 * len(labels)))})
    if "p_value" in rows and term != "probability":
        sig = rows["p_value"] < 0.05
        colors = np.where(sig & (rows["estimate"] > 0), "#0072B2", np.where(sig, "#D55E00", "#999999"))
    else:
        colors = np.full(len(rows), "#0072B2")
    top.vlines(x, rows["conf_low"], rows["conf_high"], colors=colors, lw=0.8, alpha=0.7)
    top.scatter(x, rows["estimate"], c=colors, s=10, zorder=3)
    if term != "probability":
        top.axhline(0, color="black", lw=0.6)
        top.text(0.01, 0.97, "blue: positive, p < 0.05; orange: negative, p < 0.05; grey: p >= 0.05",
                 transform=top.transAxes, va="top", fontsize=7)
    top.set_title(title, fontsize=10)
    top.set_ylabel(ylabel)
    top.grid(alpha=0.3)
    for i, (col, value) in enumerate(labels):
        on = (rows[col] == value).to_numpy()
        bottom.scatter(x[on], np.full(on.sum(), i), marker="|", color="black", s=40)
    bottom.set_yticks(range(len(labels)), [f"{c.replace('_', ' ')}: {v}" for c, v in labels], fontsize=7)
    bottom.set_ylim(-0.5, len(labels) - 0.5)
    bottom.invert_yaxis()
    bottom.set_xlabel("specifications, sorted by estimate")
    source = (f"Source: alliances {__version__} multiverse; intervals: 95% from each specification's covariance "
              "(coefficients) or the plan's coefficient draws (probability).")
    return save_figure(fig, path_stem, source)
