"""Alignment to the present: one dyad's record of treaties and behaviour, 1946 to the panel's end,
beside reference pairs and the great powers (REPORT.md, "China and Russia: the alignment record").

Records, each from its own source and each missing outside its years (never 0):

- treaty tie level (ATOP; carried forward past the release by the panel's named rule) and
  alliance-portfolio similarity S (Signorino and Ritter 1999, from the ATOP ties);
- joint military exercises (MME, D'Orazio and Galambos 2021, 1980-2010) and the user-supplied
  drill counts (``user_event_count``; one study, not a systematic dataset);
- UN General Assembly ideal-point distance, all votes (to 2023) and final-passage votes (to
  2024), with its 90% interval, its percentile among all dyads of the year and among the
  great-power dyads (Bailey, Strezhnev and Voeten 2017), and the voting-alignment status
  (:mod:`alliances.outcomes.voting`);
- arms deliveries in each direction (SIPRI TIV, 1950-2021).

Also here: the out-of-sample test of whether behaviour foretells treaties (:func:`compare_forecasts`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from alliances.analysis import metrics

#: measures of the record, in the order of the table
MEASURES = ("tie", "alliance", "portfolio_s", "mme_exercises", "user_event_count",
            "unga_distance", "unga_distance_lo", "unga_distance_hi", "unga_distance_pct", "unga_aligned",
            "unga_distance_fp", "unga_distance_fp_lo", "unga_distance_fp_hi", "unga_distance_fp_pct", "unga_aligned_fp",
            "arms_tiv1", "arms_tiv2")
COLUMNS = ["ccode1", "ccode2", "stateabb1", "stateabb2", "year", "great_power_dyad", *MEASURES]
DISTANCES = {"unga_distance": "all votes", "unga_distance_fp": "final-passage votes"}
FIRST_YEAR = 1946  # the first UN year


def parse_pairs(texts: list[str]) -> list[tuple[int, int]]:
    """``["2-200", ...]`` -> ``[(2, 200), ...]`` (each pair ordered)."""
    pairs = []
    for text in texts:
        a, _, b = str(text).partition("-")
        if not (a.strip().isdigit() and b.strip().isdigit()):
            raise ValueError(f"reference pair {text!r} is not 'CCODE-CCODE', e.g. '2-200'")
        pairs.append((min(int(a), int(b)), max(int(a), int(b))))
    return pairs


def great_power_percentile(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Mid-rank percentile of ``column`` among the great-power dyads of the same year (NaN elsewhere)."""
    from alliances.covariates.unga import mid_rank_percentile

    gp = frame["great_power_dyad"].fillna(0).to_numpy() == 1
    values = np.where(gp, frame[column].to_numpy(dtype="float64"), np.nan)
    return mid_rank_percentile(values, frame["year"].to_numpy())


def record(panel: pd.DataFrame, pairs: list[tuple[int, int]]) -> pd.DataFrame:
    """One row per (pair, year) from 1946: the measures of :data:`MEASURES` and each distance's
    percentile among the great-power dyads of the year (``<distance>_gp_pct``)."""
    frame = panel.loc[panel["year"] >= FIRST_YEAR, [c for c in COLUMNS if c in panel.columns]]
    gp_pct = {f"{d}_gp_pct": great_power_percentile(frame, d) for d in DISTANCES}
    key = frame["ccode1"].to_numpy(dtype=np.int64) * 1000 + frame["ccode2"].to_numpy(dtype=np.int64)
    rows = np.flatnonzero(np.isin(key, [a * 1000 + b for a, b in pairs]))
    out = frame.iloc[rows].reset_index(drop=True)
    for name, values in gp_pct.items():
        out[name] = values[rows]
    out["pair"] = out["stateabb1"].astype(str) + "-" + out["stateabb2"].astype(str)
    out["tie"] = out["tie"].astype(str)
    order = {p: i for i, p in enumerate(pairs)}
    out["_order"] = [order[(a, b)] for a, b in zip(out["ccode1"], out["ccode2"])]
    out = out.sort_values(["_order", "year"], kind="stable").drop(columns=["_order"])
    return out[["pair", *[c for c in out.columns if c != "pair"]]].reset_index(drop=True)


def great_power_spread(panel: pd.DataFrame) -> pd.DataFrame:
    """Per year: the number of great-power dyads and the 10th, 50th and 90th percentiles of each
    UN distance among them and among all dyads."""
    frame = panel.loc[panel["year"] >= FIRST_YEAR, ["year", "great_power_dyad", *DISTANCES]]
    gp = frame["great_power_dyad"].fillna(0) == 1
    parts = []
    for label, sub in (("great-power dyads", frame[gp]), ("all dyads", frame)):
        g = sub.groupby("year")
        stats = {"n": g[next(iter(DISTANCES))].count()}
        for d in DISTANCES:
            for q in (0.1, 0.5, 0.9):
                stats[f"{d}_p{int(q * 100)}"] = g[d].quantile(q)
        part = pd.DataFrame(stats).reset_index()
        part.insert(0, "group", label)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def compare_forecasts(with_behaviour: pd.DataFrame, without: pd.DataFrame, model: str = "logit",
                      reps: int = 1000, seed: int = 20261206) -> pd.DataFrame:
    """Out-of-sample scores of two validations' rolling-origin forecasts on the same dyad-years.

    ``with_behaviour`` and ``without`` are :class:`~alliances.analysis.validate.Validation`
    predictions. Rows are matched on (window, dyad, year) for ``model`` and for the base rate of
    the model with behaviour; each is scored (Brier, log score, ROC AUC, PR AUC), and the
    differences (with minus without) get 95% intervals from a bootstrap that resamples
    forecast years (a year's dyads move together)."""
    keys = ["window", "dyad_id", "year"]
    a = with_behaviour[(with_behaviour["scheme"] == "rolling") & (with_behaviour["model"] == model)]
    b = without[(without["scheme"] == "rolling") & (without["model"] == model)]
    both = a[[*keys, "p", "outcome"]].merge(b[[*keys, "p", "outcome"]], on=keys, suffixes=("_with", "_without"))
    if both.empty:
        raise ValueError("the two validations share no rolling-origin forecast")
    if not (both["outcome_with"] == both["outcome_without"]).all():
        raise ValueError("the two validations disagree on an outcome of the same dyad-year")
    y = both["outcome_with"].to_numpy(dtype="float64")
    year = both["year"].to_numpy()
    rows = []
    for label, p in (("with behaviour", both["p_with"]), ("without", both["p_without"])):
        rows.append({"model": f"{model}, {label}", **_scores(p.to_numpy(dtype="float64"), y)})
    base = float(y.mean())
    rows.append({"model": "constant (share of events in these rows)", **_scores(np.full(len(y), base), y)})
    table = pd.DataFrame(rows)
    # year-block bootstrap of the differences in log score and Brier score
    years, inverse = np.unique(year, return_inverse=True)
    rng = np.random.default_rng(seed)
    pw, po = both["p_with"].to_numpy(dtype="float64"), both["p_without"].to_numpy(dtype="float64")
    ll = lambda p: y * np.log(np.clip(p, 1e-15, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-15, 1))  # noqa: E731
    diff_ll = np.bincount(inverse, ll(pw) - ll(po), minlength=len(years))
    diff_br = np.bincount(inverse, (pw - y) ** 2 - (po - y) ** 2, minlength=len(years))
    count = np.bincount(inverse, minlength=len(years)).astype(float)
    draws = rng.integers(0, len(years), size=(reps, len(years)))
    n = count[draws].sum(axis=1)
    ll_draws, br_draws = diff_ll[draws].sum(axis=1) / n, diff_br[draws].sum(axis=1) / n
    table["dyad_years"] = len(y)
    table["events"] = int(y.sum())
    table["years"] = f"{int(year.min())}-{int(year.max())}"
    diff = {"log_score_gain": float(diff_ll.sum() / count.sum()),
            "log_score_gain_lo": float(np.quantile(ll_draws, 0.025)),
            "log_score_gain_hi": float(np.quantile(ll_draws, 0.975)),
            "brier_gain": float(-diff_br.sum() / count.sum()),
            "brier_gain_lo": float(-np.quantile(br_draws, 0.975)),
            "brier_gain_hi": float(-np.quantile(br_draws, 0.025))}
    for k, v in diff.items():
        table[k] = [v, np.nan, np.nan]
    return table


def _scores(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {"brier": metrics.brier(p, y), "log_score": metrics.log_score(p, y),
            "roc_auc": metrics.roc_auc(p, y) if 0 < y.sum() < len(y) else np.nan,
            "pr_auc": metrics.pr_auc(p, y) if y.sum() > 0 else np.nan}


# -- figure ---------------------------------------------------------------------------------
def figure(table: pd.DataFrame, spread: pd.DataFrame, path_stem: str | os.PathLike, focus: str) -> list[Path]:
    """Six panels: the UN distance (all votes, final-passage) with its interval, beside the
    reference pairs and the great-power dyads' spread; the distance percentile among all dyads
    with the alignment thresholds; arms deliveries both ways; joint exercises and user-supplied
    drills; treaty tie level and portfolio similarity."""
    from alliances.analysis.figures import OKABE_ITO, _save_stem, plt
    from alliances.outcomes.voting import ENTER_PERCENTILE, EXIT_PERCENTILE

    mine = table[table["pair"] == focus].set_index("year")
    others = [p for p in dict.fromkeys(table["pair"]) if p != focus]
    colors = dict(zip(others, OKABE_ITO[1:]))
    gp = spread[spread["group"] == "great-power dyads"].set_index("year")
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.6))
    for ax, (d, label) in zip(axes[0, :2], DISTANCES.items()):
        ax.fill_between(gp.index, gp[f"{d}_p10"], gp[f"{d}_p90"], color="#dddddd", lw=0,
                        label="great-power dyads, 10th-90th percentile")
        ax.plot(gp.index, gp[f"{d}_p50"], color="#888888", lw=1, ls="--", label="great-power dyads, median")
        for pair in others:
            sub = table[table["pair"] == pair]
            ax.plot(sub["year"], sub[d], color=colors[pair], lw=1, label=pair)
        ax.fill_between(mine.index, mine[f"{d}_lo"], mine[f"{d}_hi"], color="black", alpha=0.18, lw=0,
                        label=f"{focus}, 90% interval")
        ax.plot(mine.index, mine[d], color="black", lw=2, label=focus)
        ax.set_title(f"UN ideal-point distance, {label}", fontsize=10)
        ax.set_ylabel("|ideal point difference|")
    ax = axes[0, 2]
    for pair in others:
        sub = table[table["pair"] == pair]
        ax.plot(sub["year"], sub["unga_distance_fp_pct"], color=colors[pair], lw=0.8, alpha=0.8)
    ax.plot(mine.index, mine["unga_distance_pct"], color="black", lw=2, label=f"{focus}, all votes")
    ax.plot(mine.index, mine["unga_distance_fp_pct"], color="black", lw=1.2, ls="--",
            label=f"{focus}, final-passage votes")
    ax.axhline(ENTER_PERCENTILE, color="#009E73", lw=1, label=f"aligned in voting: enters at <= {ENTER_PERCENTILE:g}")
    ax.axhline(EXIT_PERCENTILE, color="#009E73", lw=1, ls=":", label=f"... leaves at > {EXIT_PERCENTILE:g}")
    ax.set_ylim(100, 0)
    ax.set_title("Distance percentile among all dyads of the year (0 = closest)", fontsize=10)
    ax.set_ylabel("percentile (reference pairs: final-passage)")
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1, 0]
    a, b = focus.split("-")
    ax.bar(mine.index - 0.2, mine["arms_tiv1"], width=0.4, color="#0072B2", label=f"{a} to {b}")
    ax.bar(mine.index + 0.2, mine["arms_tiv2"], width=0.4, color="#D55E00", label=f"{b} to {a}")
    ax.set_title("Arms deliveries (SIPRI TIV, 1950-2021)", fontsize=10)
    ax.set_ylabel("million TIV")
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[1, 1]
    ax.plot(mine.index, mine["mme_exercises"], color="black", marker="o", ms=3, lw=1,
            label="joint exercises, MME (1980-2010)")
    user = mine["user_event_count"].dropna()
    if len(user):
        ax.plot(user.index, user, ls="none", marker="o", mfc="white", mec="black",
                label="user-supplied drills (one study, not a systematic dataset)")
    ax.set_title("Joint military exercises", fontsize=10)
    ax.set_ylabel("exercises per year")
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[1, 2]
    level = mine["tie"].map({"none": 0, "coordination": 1, "alignment": 2, "alliance": 3})
    ax.step(mine.index, level, where="mid", color="black", lw=1.5, label="ATOP tie level")
    ax.set_yticks([0, 1, 2, 3], ["none", "coordination", "alignment", "alliance"])
    ax.set_title("Treaty tie (ATOP) and portfolio similarity S", fontsize=10)
    twin = ax.twinx()
    twin.plot(mine.index, mine["portfolio_s"], color="#0072B2", lw=1, label="portfolio S (right axis)")
    twin.set_ylim(-1, 1)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="lower left")
    for ax in axes.flat:
        ax.set_xlim(FIRST_YEAR - 1, int(table["year"].max()) + 1)
        ax.grid(alpha=0.3)
        ax.set_xlabel("year")
    axes[0, 0].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"{focus}: the alignment record, {FIRST_YEAR}-{int(table['year'].max())}", fontsize=12)
    source = ("Sources: UN ideal points, Bailey, Strezhnev and Voeten (2017), release of July 2025; SIPRI Arms Transfers "
              "Database (TIV); MME v7 (D'Orazio and Galambos 2021); ATOP ties (carried forward past the release) and "
              "Signorino-Ritter S; open markers: user-supplied counts.")
    return _save_stem(fig, path_stem, source)
