"""Behaviour beside treaties: one dyad's joint exercises and portfolio similarity against
great-power, allied and rival dyads of the same year (REPORT.md, "Alignment beyond treaties").

Sources: joint exercises from the Multinational Military Exercises data (D'Orazio and
Galambos 2021; 1980-2010), portfolio similarity computed from ATOP ties
(:mod:`alliances.covariates.similarity`), and, for years no dataset covers, a user-supplied events
file (:mod:`alliances.covariates.events`), always labelled as such.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from alliances.analysis.tables import markdown_table
from alliances.covariates.events import read_events

COLUMNS = ["year", "ccode1", "ccode2", "mme_exercises", "mme_bilateral", "portfolio_s", "portfolio_s_weighted",
           "portfolio_kappa", "portfolio_tau_b", "great_power_dyad", "alliance", "rivals", "tie"]
GROUPS = {"great-power dyads": "great_power_dyad", "allied dyads": "alliance", "rival dyads": "rivals"}
MEASURES = {"mme_exercises": "joint exercises (MME)", "portfolio_s": "portfolio S (unweighted)",
            "portfolio_kappa": "portfolio kappa"}


def compare_dyad(panel: pd.DataFrame, a: int, b: int, first_year: int = 1980) -> pd.DataFrame:
    """Per year from ``first_year``: the dyad's exercise counts and similarity, and for each
    group (great-power, allied, rival dyads that year) the median and 90th percentile of
    each measure and the dyad's percentile within the group (share of the group's dyads
    with a lower value, ties counted half). Groups exclude the dyad itself."""
    lo, hi = min(a, b), max(a, b)
    frame = panel.loc[panel["year"] >= first_year, [c for c in COLUMNS if c in panel.columns]]
    own = (frame["ccode1"] == lo) & (frame["ccode2"] == hi)
    mine = frame[own].set_index("year")
    rows = []
    for year, grp in frame[~own].groupby("year", sort=True):
        if year not in mine.index:
            continue
        me = mine.loc[year]
        row = {"year": int(year), "tie": str(me["tie"]),
               **{m: _value(me[m]) for m in ("mme_exercises", "mme_bilateral", "portfolio_s",
                                              "portfolio_s_weighted", "portfolio_kappa", "portfolio_tau_b")}}
        for label, flag in GROUPS.items():
            members = grp[grp[flag].fillna(0).astype(int) == 1]
            row[f"n {label}"] = len(members)
            for measure in MEASURES:
                values = pd.to_numeric(members[measure], errors="coerce").dropna().to_numpy(dtype=float)
                mine_v = row[measure]
                row[f"{measure} median, {label}"] = float(np.median(values)) if len(values) else np.nan
                row[f"{measure} p90, {label}"] = float(np.quantile(values, 0.9)) if len(values) else np.nan
                row[f"{measure} percentile among {label}"] = (
                    100 * (np.mean(values < mine_v) + 0.5 * np.mean(values == mine_v))
                    if len(values) and not np.isnan(mine_v) else np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def _value(v) -> float:
    return float(v) if v is not pd.NA and not pd.isna(v) else np.nan


def user_counts(path: str | os.PathLike, a: int, b: int) -> pd.DataFrame:
    """The user-supplied event counts of one dyad (all years in the file), with their source."""
    events = read_events(path)
    pair = ((events["ccode1"] == a) & (events["ccode2"] == b)) | ((events["ccode1"] == b) & (events["ccode2"] == a))
    sub = events[pair]
    return (sub.groupby("year", as_index=False)
               .agg(count=("count", "sum"), kind=("kind", lambda k: ";".join(sorted(set(k)))),
                    source=("source", lambda s: "; ".join(sorted(set(s))))))


def figure(table: pd.DataFrame, user: pd.DataFrame | None, path_stem: str | os.PathLike, dyad_label: str) -> list[Path]:
    """Two panels: joint exercises per year (MME 1980-2010, user-supplied counts after that as
    open markers) and portfolio S; the dyad as a line, each group's median dashed and 90th
    percentile dotted."""
    # here, not at the top: matplotlib is loaded only when figures are drawn
    from alliances.analysis.figures import plt, save_figure

    colors = {"great-power dyads": "#0072B2", "allied dyads": "#009E73", "rival dyads": "#D55E00"}
    fig = plt.figure(figsize=(11, 5.4))
    grid = fig.add_gridspec(2, 2, height_ratios=(4, 1.1))
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])]
    key = fig.add_subplot(grid[1, :])
    key.axis("off")
    panels = (("mme_exercises", "Joint military exercises per year", axes[0]),
              ("portfolio_s", "Alliance-portfolio similarity S (unweighted)", axes[1]))
    for measure, title, ax in panels:
        data = table.dropna(subset=[measure])
        ax.plot(data["year"], data[measure], color="black", lw=2, label=dyad_label)
        for label, color in colors.items():
            ax.plot(data["year"], data[f"{measure} median, {label}"], color=color, lw=1.2, ls="--",
                    label=f"median of {label}")
            ax.plot(data["year"], data[f"{measure} p90, {label}"], color=color, lw=1, ls=":",
                    label=f"90th percentile of {label}")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("exercises both states took part in")
    axes[1].set_ylabel("S (-1 to 1)")
    if user is not None and len(user):
        axes[0].plot(user["year"], user["count"], ls="none", marker="o", mfc="white", mec="black",
                     label=f"{dyad_label}, user-supplied ({'; '.join(sorted(set(user['source'])))}): one study's count")
    handles, labels = axes[0].get_legend_handles_labels()
    key.legend(handles, labels, loc="center", ncol=3, fontsize=7.5, frameon=False)
    source = ("Source: MME v7 (D'Orazio and Galambos 2021), 1980-2010; S from ATOP ties (Signorino and Ritter 1999; "
              "ties after 2016 carried forward); open markers: user-supplied counts, not a systematic dataset.")
    return save_figure(fig, path_stem, source)


def report_lines(table: pd.DataFrame, user: pd.DataFrame | None, fits: dict, dyad_label: str) -> list[str]:
    """The REPORT.md section: the comparison table, the user-supplied counts and the models."""
    last = table.iloc[-1]
    run_start = int(table.loc[(table["tie"] != last["tie"]), "year"].max() + 1) if (table["tie"] != last["tie"]).any() \
        else int(table["year"].min())
    lines = ["## Alignment beyond treaties: joint exercises and portfolio similarity", "",
             f"In {int(last['year'])} ATOP codes {dyad_label} at tie level **{last['tie']}**, as in every year since "
             f"{run_start} (ties past ATOP's coverage carried forward). The behavioural "
             "evidence the field argues over is put beside it: joint military exercises from the Multinational "
             "Military Exercises data (D'Orazio and Galambos 2021, 1980-2010; `mme_*` columns) and the similarity "
             "of the two states' alliance portfolios (`portfolio_*`: Signorino-Ritter S, Cohen's kappa, Kendall's "
             "tau-b over all system members). Each year is compared with the great-power, allied and rival dyads "
             "of the same year (median, 90th percentile, and the dyad's percentile in each group; "
             "`tables/behaviour.csv`, `figures/behaviour.png`).", ""]
    show = table[(table["year"] >= 1990) & (table["year"] <= 2010) | (table["year"] % 5 == 0)].copy()
    cols = ["year", "tie", "mme_exercises", "mme_bilateral", "mme_exercises percentile among great-power dyads",
            "mme_exercises p90, great-power dyads", "portfolio_s", "portfolio_s median, allied dyads",
            "portfolio_s percentile among great-power dyads", "portfolio_s median, rival dyads", "portfolio_kappa"]
    view = show[cols].rename(columns={
        "mme_exercises": "exercises", "mme_bilateral": "bilateral",
        "mme_exercises percentile among great-power dyads": "exercises: pct among GP dyads",
        "mme_exercises p90, great-power dyads": "exercises: GP p90",
        "portfolio_s": "S", "portfolio_s median, allied dyads": "S: allied median",
        "portfolio_s percentile among great-power dyads": "S: pct among GP dyads",
        "portfolio_s median, rival dyads": "S: rival median", "portfolio_kappa": "kappa"})
    lines += [markdown_table(view.round(2)), ""]
    if user is not None and len(user):
        lines += [f"After 2010 MME has no data. The shipped user-supplied file `analyses/events/` gives "
                  f"{', '.join(f'{r.year}: {r.count}' for r in user.itertuples())} joint drills "
                  f"({'; '.join(sorted(set(user['source'])))}): **one study's count, not a systematic dataset**, kept in "
                  "the panel's `user_event_*` columns and never mixed into the MME counts.", ""]
    for name, by_est in fits.items():
        for est, res in by_est.items():
            tidy = res.to_frame()
            terms = tidy[tidy["term"].str.contains("mme|portfolio|alliance$|alignment$", regex=True)]
            if terms.empty:
                continue
            cells = "; ".join(f"`{t.term}` {t.estimate:+.3f} (SE {t.std_error:.3f}, p {t.p_value:.3f})"
                              for t in terms.itertuples())
            lines.append(f"- `{name}` ({est}, outcome `{res.spec.outcome}`, {res.nobs:,} dyad-years, "
                         f"{res.n_events:,} events): {cells}")
    if fits:
        lines += ["", "Read with care: exercises and similarity are lagged one year; the MME years (1980-2010) "
                  "end before the China-Russia drills the debate is about, so the models speak to the general "
                  "pattern, not to 2022-2025.", ""]
    return lines
