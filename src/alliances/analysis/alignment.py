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
from alliances.analysis.tables import markdown_table
from alliances.covariates.unga import mid_rank_percentile
from alliances.dyads.keys import dyad_id
from alliances.errors import SpecError
from alliances.models.errors import ModelError
from alliances.outcomes.onsets import outcome_words
from alliances.outcomes.voting import ENTER_PERCENTILE, EXIT_PERCENTILE

#: measures of the record, in the order of the table
MEASURES = ("tie", "alliance", "portfolio_s", "mme_exercises", "user_event_count",
            "unga_distance", "unga_distance_lo", "unga_distance_hi", "unga_distance_pct", "unga_aligned",
            "unga_distance_fp", "unga_distance_fp_lo", "unga_distance_fp_hi", "unga_distance_fp_pct", "unga_aligned_fp",
            "arms_tiv1", "arms_tiv2")
COLUMNS = ["ccode1", "ccode2", "stateabb1", "stateabb2", "year", "great_power_dyad", "extended_sources", *MEASURES]
DISTANCES = {"unga_distance": "all votes", "unga_distance_fp": "final-passage votes"}
FIRST_YEAR = 1946  # the first UN year


def parse_pairs(texts: list[str]) -> list[tuple[int, int]]:
    """``["2-200", ...]`` -> ``[(2, 200), ...]`` (each pair ordered)."""
    pairs = []
    for text in texts:
        a, _, b = str(text).partition("-")
        if not (a.strip().isdigit() and b.strip().isdigit()):
            raise SpecError(f"reference pair {text!r} is not 'CCODE-CCODE', e.g. '2-200'")
        pairs.append((min(int(a), int(b)), max(int(a), int(b))))
    return pairs


def great_power_percentile(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Mid-rank percentile of ``column`` among the great-power dyads of the same year (NaN elsewhere)."""
    gp = frame["great_power_dyad"].fillna(0).to_numpy() == 1
    values = np.where(gp, frame[column].to_numpy(dtype="float64"), np.nan)
    return mid_rank_percentile(values, frame["year"].to_numpy())


def record(panel: pd.DataFrame, pairs: list[tuple[int, int]]) -> pd.DataFrame:
    """One row per (pair, year) from 1946: the measures of :data:`MEASURES` and each distance's
    percentile among the great-power dyads of the year (``<distance>_gp_pct``)."""
    frame = panel.loc[panel["year"] >= FIRST_YEAR, [c for c in COLUMNS if c in panel.columns]]
    gp_pct = {f"{d}_gp_pct": great_power_percentile(frame, d) for d in DISTANCES}
    key = dyad_id(frame["ccode1"], frame["ccode2"])
    rows = np.flatnonzero(np.isin(key, dyad_id(*np.array(pairs, dtype=np.int64).reshape(-1, 2).T)))
    out = frame.iloc[rows].reset_index(drop=True)
    for name, values in gp_pct.items():
        out[name] = values[rows]
    out["pair"] = out["stateabb1"].astype(str) + "-" + out["stateabb2"].astype(str)
    out["tie"] = out["tie"].astype(str)
    out["extended_sources"] = out["extended_sources"].astype(str)
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
        raise ModelError("the two validations share no rolling-origin forecast")
    if not (both["outcome_with"] == both["outcome_without"]).all():
        raise ModelError("the two validations disagree on an outcome of the same dyad-year")
    y = both["outcome_with"].to_numpy(dtype="float64")
    year = both["year"].to_numpy()
    rows = []
    for label, p in (("with behaviour", both["p_with"]), ("without", both["p_without"])):
        rows.append({"model": f"{model}, {label}", **_scores(p.to_numpy(dtype="float64"), y)})
    base = float(y.mean())
    rows.append({"model": "constant (share of events in these rows)", **_scores(np.full(len(y), base), y)})
    table = pd.DataFrame(rows)
    # year-block bootstrap of the differences in log score and Brier score
    pw, po = both["p_with"].to_numpy(dtype="float64"), both["p_without"].to_numpy(dtype="float64")
    ll = lambda p: y * np.log(np.clip(p, 1e-15, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-15, 1))  # noqa: E731
    diffs = {"ll": ll(pw) - ll(po), "br": (pw - y) ** 2 - (po - y) ** 2}
    sums, n = metrics.block_bootstrap_sums(diffs, year, reps, seed)
    ll_draws, br_draws = sums["ll"] / n, sums["br"] / n
    diff_ll_total, diff_br_total = float(diffs["ll"].sum()), float(diffs["br"].sum())
    table["dyad_years"] = len(y)
    table["events"] = int(y.sum())
    table["years"] = f"{int(year.min())}-{int(year.max())}"
    diff = {"log_score_gain": diff_ll_total / len(y),
            "log_score_gain_lo": float(np.quantile(ll_draws, 0.025)),
            "log_score_gain_hi": float(np.quantile(ll_draws, 0.975)),
            "brier_gain": -diff_br_total / len(y),
            "brier_gain_lo": float(-np.quantile(br_draws, 0.975)),
            "brier_gain_hi": float(-np.quantile(br_draws, 0.025))}
    for k, v in diff.items():
        table[k] = [v, np.nan, np.nan]
    return table


def _scores(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    s = metrics.summary(p, y)
    return {k: s[k] for k in ("brier", "log_score", "roc_auc", "pr_auc")}


# -- figure ---------------------------------------------------------------------------------
def figure(table: pd.DataFrame, spread: pd.DataFrame, path_stem: str | os.PathLike, focus: str) -> list[Path]:
    """Six panels: the UN distance (all votes, final-passage) with its interval, beside the
    reference pairs and the great-power dyads' spread; the distance percentile among all dyads
    with the alignment thresholds; arms deliveries both ways; joint exercises and user-supplied
    drills; treaty tie level and portfolio similarity."""
    # here, not at the top: matplotlib is loaded only when figures are drawn
    from alliances.analysis.figures import OKABE_ITO, plt, save_figure

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
    ax.set_ylabel("percentile (thin: reference pairs, final-passage)")
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
    carried = mine.index[mine["extended_sources"].str.contains("atop_members", regex=False)]
    if len(carried):
        ax.axvspan(carried.min() - 0.5, carried.max() + 0.5, facecolor="none", hatch="///", edgecolor="#bbbbbb",
                   lw=0, label="ATOP carried forward (no new treaty observed)")
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
    return save_figure(fig, path_stem, source)


# -- report ---------------------------------------------------------------------------------
def _f(x, digits: int = 2) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{x:.{digits}f}"


def _years_where(series: pd.Series) -> str:
    years = [int(y) for y in series.index[series.fillna(0).to_numpy() == 1]]
    if not years:
        return "no year"
    runs, first = [], years[0]
    for a, b in zip(years[:-1], years[1:]):
        if b != a + 1:
            runs.append((first, a))
            first = b
    runs.append((first, years[-1]))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def record_lines(table: pd.DataFrame, spread: pd.DataFrame, focus: str, first: int = 2014) -> list[str]:
    """REPORT.md: the record table for ``first`` onwards, and what each record shows and cannot show."""
    mine = table[table["pair"] == focus].set_index("year")
    last = int(mine.index.max())
    recent = mine.loc[first:]
    a, b = focus.split("-")
    view = pd.DataFrame({
        "year": recent.index,
        "ATOP tie": [t + (" (carried)" if "atop_members" in e else "") for t, e in
                     zip(recent["tie"], recent["extended_sources"])],
        "S": recent["portfolio_s"].round(2).to_numpy(),
        "exercises (MME)": recent["mme_exercises"].to_numpy(),
        "drills (user file)": recent["user_event_count"].to_numpy(),
        "UN distance, all [90%]": [f"{_f(d)} [{_f(lo)}, {_f(hi)}]" if pd.notna(d) else "" for d, lo, hi in
                                   zip(recent["unga_distance"], recent["unga_distance_lo"], recent["unga_distance_hi"])],
        "pct all / GP": [f"{_f(p, 1)} / {_f(g, 0)}" if pd.notna(p) else "" for p, g in
                         zip(recent["unga_distance_pct"], recent["unga_distance_gp_pct"])],
        "UN distance, final-passage [90%]": [f"{_f(d)} [{_f(lo)}, {_f(hi)}]" if pd.notna(d) else "" for d, lo, hi in
                                             zip(recent["unga_distance_fp"], recent["unga_distance_fp_lo"],
                                                 recent["unga_distance_fp_hi"])],
        "pct all / GP (fp)": [f"{_f(p, 1)} / {_f(g, 0)}" if pd.notna(p) else "" for p, g in
                              zip(recent["unga_distance_fp_pct"], recent["unga_distance_fp_gp_pct"])],
        f"arms {a} to {b}": recent["arms_tiv1"].to_numpy(),
        f"arms {b} to {a}": recent["arms_tiv2"].to_numpy(),
    })
    gp = spread[spread["group"] == "great-power dyads"].set_index("year")
    refs = []
    for pair in dict.fromkeys(table["pair"]):
        if pair == focus:
            continue
        sub = table[table["pair"] == pair].set_index("year")
        y_all = int(sub["unga_distance"].last_valid_index()) if sub["unga_distance"].notna().any() else None
        y_fp = int(sub["unga_distance_fp"].last_valid_index()) if sub["unga_distance_fp"].notna().any() else None
        refs.append({"pair": pair,
                     "ATOP tie (last year)": str(sub["tie"].iloc[-1]),
                     "UN distance, all": _f(sub.loc[y_all, "unga_distance"]) if y_all else "",
                     "pct among all dyads": _f(sub.loc[y_all, "unga_distance_pct"], 1) if y_all else "",
                     "UN distance, fp": _f(sub.loc[y_fp, "unga_distance_fp"]) if y_fp else "",
                     "pct (fp)": _f(sub.loc[y_fp, "unga_distance_fp_pct"], 1) if y_fp else "",
                     "aligned in voting (all votes), years": _years_where(sub["unga_aligned"]),
                     "arms both ways 2012-2021 (TIV)": _f(sub.loc[2012:2021, ["arms_tiv1", "arms_tiv2"]].sum().sum(), 0)})
    refs = pd.DataFrame(refs)
    y_all = int(mine["unga_distance"].last_valid_index())
    y_fp = int(mine["unga_distance_fp"].last_valid_index())
    arms_years = mine["arms_tiv1"].dropna()
    arms_end = int(arms_years.index.max()) if len(arms_years) else None
    ties_since = mine.index[mine["tie"] != mine["tie"].iloc[-1]]
    tie_since = int(ties_since.max()) + 1 if len(ties_since) else int(mine.index.min())
    lines = [
        f"## {focus}: the alignment record, {FIRST_YEAR}-{last}", "",
        f"Every record the package holds for {focus} is put side by side (`tables/alignment_record.csv`, one row "
        f"per pair and year; `figures/alignment_record.png`), with reference pairs and the great-power dyads of "
        "each year (`tables/alignment_great_powers.csv`). Each record is missing outside its source's years, "
        "never 0. Percentiles rank the dyad's UN ideal-point distance among all dyads of the year (0 = the "
        "closest pair) and among the great-power dyads (GP, 0 = the closest great-power pair).", "",
        markdown_table(view), "",
        "What each record shows for the last decade, in plain words:", "",
        f"- **Treaties (ATOP).** The tie level is **{mine['tie'].iloc[-1]}** in every year since {tie_since}: a "
        "consultation pact, no defence or offence obligation. ATOP's release ends in 2016 (4.01; 5.1: 2018); "
        "later years carry the agreements in force forward, so no treaty signed since is seen. Portfolio "
        f"similarity S is {_f(mine.loc[first, 'portfolio_s'])} in {first} and "
        f"{_f(mine.loc[last, 'portfolio_s'])} in {last} (from carried-forward ties after the release).",
        f"- **UN voting, all votes** (to {y_all}). The ideal-point distance fell from "
        f"{_f(mine.loc[first, 'unga_distance'])} in {first} to {_f(mine.loc[y_all - 1, 'unga_distance'])} in "
        f"{y_all - 1} and {_f(mine.loc[y_all, 'unga_distance'])} in {y_all} (90% interval "
        f"{_f(mine.loc[y_all, 'unga_distance_lo'])}-{_f(mine.loc[y_all, 'unga_distance_hi'])}); in {y_all} it is at "
        f"percentile {_f(mine.loc[y_all, 'unga_distance_pct'], 1)} of all dyads and "
        f"{_f(mine.loc[y_all, 'unga_distance_gp_pct'], 0)} of the great-power dyads (0 = closest). By the package's rule "
        f"(alliances.outcomes.voting) the pair is aligned in voting in {_years_where(mine['unga_aligned'])}.",
        f"- **UN voting, final-passage votes only** (to {y_fp}). The distance is "
        f"{_f(mine.loc[first, 'unga_distance_fp'])} in {first}, {_f(mine.loc[2022, 'unga_distance_fp'])} in 2022 "
        f"and {_f(mine.loc[y_fp, 'unga_distance_fp'])} in {y_fp} (90% interval "
        f"{_f(mine.loc[y_fp, 'unga_distance_fp_lo'])}-{_f(mine.loc[y_fp, 'unga_distance_fp_hi'])}), at percentile "
        f"{_f(mine.loc[y_fp, 'unga_distance_fp_pct'], 1)} of the year's dyads: aligned by the rule "
        f"in {_years_where(mine['unga_aligned_fp'].loc[first:])} since {first}. "
        "The two measures agree that the distance shrank over the decade and disagree on 2022: on all recorded "
        f"votes the two stand almost together (percentile {_f(mine.loc[2022, 'unga_distance_pct'], 1)}), on "
        f"final-passage votes alone they do not (percentile {_f(mine.loc[2022, 'unga_distance_fp_pct'], 1)}). "
        "Which votes count is a choice the report cannot make for the reader; both are shown.",
        f"- **Arms transfers (SIPRI TIV, to {arms_end}).** Deliveries {a} to {b} "
        f"{first}-{arms_end}: {_f(mine.loc[first:arms_end, 'arms_tiv1'].sum(), 0)} million TIV; {b} to {a}: "
        f"{_f(mine.loc[first:arms_end, 'arms_tiv2'].sum(), 0)}.",
        f"- **Joint exercises.** MME counts {int(mine['mme_exercises'].sum())} exercise-years with both states in "
        "1980-2010 (an exercise counts in each year it runs), the last in "
        f"{int(mine.index[mine['mme_exercises'].fillna(0) > 0].max()) if (mine['mme_exercises'].fillna(0) > 0).any() else 'none'}; "
        "after 2010 only the user-supplied file counts drills "
        f"({', '.join(f'{int(y)}: {int(v)}' for y, v in mine['user_event_count'].dropna().items()) or 'none given'}), "
        "one study's count, not a systematic dataset.",
        "",
        "What the records cannot show: UN ideal points place states on one dimension of the assembly's agenda; "
        "they measure shared positions, not military commitment, and the two vote sets disagree on 2022. SIPRI "
        f"ends in {arms_end}, before the years the debate is about, and TIV is a volume index of major "
        "conventional weapons, not money or dual-use goods. MME ends in 2010. ATOP sees no treaty after its "
        "release. None of the records can say whether the two states would fight for each other.", "",
        f"Reference pairs (UN values in the last year each measure covers; GP dyads in {y_all}: median "
        f"all-vote distance {_f(gp.loc[y_all, 'unga_distance_p50'])}, 10th-90th percentile "
        f"{_f(gp.loc[y_all, 'unga_distance_p10'])}-{_f(gp.loc[y_all, 'unga_distance_p90'])}):", "",
        markdown_table(refs), "",
    ]
    return lines


def foretell_lines(tables: dict[str, pd.DataFrame], fits: dict) -> list[str]:
    """REPORT.md: does lagged behaviour foretell treaty onset out of sample?"""
    lines = ["## Does behaviour foretell treaties?", "",
             "Lagged UN distance (percentile among the year's dyads, final-passage votes) and arms transferred "
             "between the two (log1p of SIPRI TIV, both ways) are added to a treaty-onset model, which is validated "
             "out of sample (rolling origins, logit) against the same model without them, on the same dyad-years "
             "(`tables/foretell_*.csv`). A gain is the mean per dyad-year of the log score or Brier score with "
             "behaviour minus without; its 95% interval comes from resampling forecast years. Both records are "
             "evidence of alignment and caused by it: lagged one year they can show that behaviour precedes a "
             "treaty, not that it causes one. The constant forecast uses the event share of the forecast rows "
             "themselves, a benchmark that knows more than any model did (the training base rate is in "
             "`validation/`).", ""]
    for name, table in tables.items():
        row = table.iloc[0]
        spec = next((r.spec for r in fits.get(name, {}).values()), None)
        what = outcome_words(spec.outcome) if spec is not None else name
        const = table.iloc[2]
        beats = [label for label, i in (("with behaviour", 0), ("without", 1))
                 if table.loc[i, "brier"] < const["brier"] and table.loc[i, "log_score"] > const["log_score"]]
        lines += [f"**{what}** ({name}; {int(row['dyad_years']):,} out-of-sample dyad-years, {int(row['events'])} "
                  f"onsets, {row['years']}): adding behaviour **{_verdict(row, 'log_score_gain')} the log score** "
                  f"(gain {row['log_score_gain']:+.5f}, 95% {row['log_score_gain_lo']:+.5f} to "
                  f"{row['log_score_gain_hi']:+.5f}) and **{_verdict(row, 'brier_gain')} the Brier score** (gain "
                  f"{row['brier_gain']:+.2e}, {row['brier_gain_lo']:+.2e} to {row['brier_gain_hi']:+.2e}). "
                  + ("Against a constant forecast of these rows' event share, the model beats it on both scores "
                     f"only {' and '.join(beats)}." if beats else
                     "**Neither model beats a constant forecast of these rows' event share on both the log score and "
                     "the Brier score**, so the comparison is between two weak forecasts."), "",
                  markdown_table(table[["model", "brier", "log_score", "roc_auc", "pr_auc"]]), ""]
        for est, res in fits.get(name, {}).items():
            tidy = res.to_frame()
            terms = tidy[tidy["term"].isin(["unga_distance_fp_pct", "log1p(arms_tiv)"])]
            if len(terms):
                lines.append(f"In-sample ({est}, {res.nobs:,} dyad-years, {res.n_events} onsets): " + "; ".join(
                    f"`{t.term}` {t.estimate:+.4f} (SE {t.std_error:.4f}, p {t.p_value:.3f})" for t in terms.itertuples()))
        lines.append("")
    return lines


def _verdict(row: pd.Series, gain: str) -> str:
    """'improves' / 'worsens' when the 95% interval of the gain excludes 0, else 'does not clearly change'."""
    if row[f"{gain}_lo"] > 0:
        return "improves"
    if row[f"{gain}_hi"] < 0:
        return "worsens"
    return "does not clearly change"


def voting_lines(fits: dict, scores: pd.DataFrame | None, predictions: pd.DataFrame | None, focus: str) -> list[str]:
    """REPORT.md: the voting-alignment onset model, its out-of-sample record and the dyad's predictions."""
    lines = ["## Alignment in UN voting: the onset model to 2024", "",
             "Outcome: a dyad begins to be aligned in voting (final-passage votes; entering the closest tenth of the "
             "year's dyads by ideal-point distance, staying until it leaves the closest quarter; "
             "`alliances.outcomes.voting`). Specification `unga_alignment` (outcomes 1947-2024, covariates observed "
             "to 2023 and lagged one year) and `unga_alignment_power` (with NMC capabilities, outcomes to 2023).", ""]
    for name, by_est in fits.items():
        for est, res in by_est.items():
            tidy = res.to_frame()
            keep = tidy[~tidy["term"].str.match(r"^(const|t|t\^.*|decade_.*)$")]
            lines.append(f"- `{name}` ({est}, {res.nobs:,} dyad-years, {res.n_events:,} onsets, outcome years "
                         f"{res.years[0]}-{res.years[1]}): " + "; ".join(
                             f"`{t.term}` {t.estimate:+.3f} (p {t.p_value:.3f})" for t in keep.itertuples()))
    lines.append("")
    if scores is not None and len(scores):
        pooled = scores[(scores["scheme"] == "rolling") & (scores["window"] == "pooled")]
        lines += ["Out of sample (rolling origins, pooled over the windows every model fits; "
                  "`alignment/validation/scores.csv`):", "",
                  markdown_table(pooled[["model", "n", "events", "brier", "brier_skill", "log_score", "roc_auc",
                                         "pr_auc"]]), ""]
        base = pooled.set_index("model")
        models = base.drop(index=[m for m in ("base_rate", "duration_only") if m in base.index])
        for bench, label in (("base_rate", "the base rate"), ("duration_only", "the duration-only benchmark")):
            if bench not in base.index or not len(models):
                continue
            ref = base.loc[bench]
            beat = models[(models["log_score"] > ref["log_score"]) & (models["brier"] < ref["brier"])]
            lines.append(f"- Against {label}: " + (f"{', '.join(beat.index)} beat(s) it on both the log score and the "
                                                   "Brier score." if len(beat) else
                                                   "**no model beats it on both the log score and the Brier "
                                                   "score**; the covariates add little to what the years since the "
                                                   "last alignment already say." if bench == "duration_only" else
                                                   "**no model beats it on both scores**."))
        lines.append("")
    if predictions is not None and len(predictions):
        p = predictions[predictions["scenario"] == "observed"] if "scenario" in predictions else predictions
        p = p.iloc[np.lexsort((p["year"].to_numpy(), pd.factorize(p["model"])[0]))]  # models as listed
        # covariates enter lagged one year: the sources the build extended in t-1 are what the row rests on
        consecutive = p.groupby("model")["year"].diff() == 1
        p = p.assign(extended_t1=p.groupby("model")["extended_sources"].shift(1).astype(object)
                     .where(consecutive, None).fillna(""))
        p = p[p["year"] >= 2014]
        view = p[["year", "model", "at_risk", "p", "p_lo", "p_hi", "pct_all", "base_rate_all", "observed_onset",
                  "x_carried", "extended_t1"]].copy()
        view["at_risk"] = view["at_risk"].map({True: "yes", False: "no"})
        lines += [f"{focus}: predicted probability of beginning to be aligned in voting (final-passage votes) in "
                  "each year, with 95% simulation intervals, the dyad's percentile among the year's at-risk dyads, "
                  "the at-risk base rate and what was observed; `x_carried` lists covariates carried past their "
                  "source's coverage by the named rule, and `extended_t1` the sources the build extended in the "
                  "year the lagged covariates come from (`atop_members`: the treaty ties and portfolio similarity "
                  "are ATOP's agreements carried forward, so no treaty signed after the release is seen; "
                  "`alignment/china_russia_voting/predictions.csv`).", "",
                  markdown_table(view), ""]
    return lines
