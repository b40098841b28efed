"""Tables: CSV, Markdown and LaTeX writers (atomic and byte-for-byte reproducible) and the
replication's overview tables (every model's N and variance, the onsets' agreement shares).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from alliances.analysis.census import onset_sources
from alliances.atomic import write_text_atomic


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A GitHub Markdown table (no optional dependency such as tabulate)."""
    def cell(v) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else format(v, floatfmt)
        return "" if v is pd.NA or v is None else str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
          "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: object) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in str(text))


def latex_table(frame: pd.DataFrame, caption: str, note: str) -> str:
    """A booktabs LaTeX table of ``frame`` (index as the first column) with a note below."""
    cols = "l" + "r" * len(frame.columns)
    head = " & ".join(["", *map(latex_escape, frame.columns)]) + r" \\"
    body = [" & ".join([latex_escape(i), *map(latex_escape, row)]) + r" \\" for i, row in
            zip(frame.index, frame.itertuples(index=False))]
    return "\n".join([r"\begin{table}[htbp]", r"\centering", rf"\caption{{{latex_escape(caption)}}}",
                      rf"\begin{{tabular}}{{{cols}}}", r"\toprule", head, r"\midrule", *body, r"\bottomrule",
                      r"\end{tabular}", rf"\par\smallskip\footnotesize {latex_escape(note)}", r"\end{table}", ""])


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | os.PathLike) -> list[Path]:
    """Write each table as ``NAME.csv`` and ``NAME.md``; returns the paths written."""
    out = Path(out_dir)
    paths = []
    for name, frame in tables.items():
        paths.append(write_text_atomic(out / f"{name}.csv", frame.to_csv(index=False, lineterminator="\n")))
        paths.append(write_text_atomic(out / f"{name}.md", markdown_table(frame)))
    return paths


def model_overview(fits: dict) -> pd.DataFrame:
    """N, events, outcome years and variance type of every fitted model (one row each)."""
    rows = [{"spec": name, "estimator": est, "outcome": r.outcome, "nobs": r.nobs, "events": r.n_events,
             "first_year": r.years[0] if r.years else None, "last_year": r.years[1] if r.years else None,
             "period_effects": r.info.period_effects, "covariance": "; ".join(r.cov_type.split("; ")[:2])}
            for name, by_est in fits.items() for est, r in by_est.items()]
    return pd.DataFrame(rows, columns=["spec", "estimator", "outcome", "nobs", "events", "first_year", "last_year",
                                       "period_effects", "covariance"])


def onset_shares(panel: pd.DataFrame, agreements: pd.DataFrame | None, spec) -> pd.DataFrame:
    """Where the events come from: for all alliance onsets and the predicted spec's outcome (years
    with a known outcome), the share from the top 10 and 20 agreements, bilateral and wartime ones."""
    outcomes = ["alliance_onset"] + ([spec.outcome] if spec is not None and spec.outcome != "alliance_onset" else [])
    rows = []
    for outcome in outcomes:
        if f"{outcome}_agreement" not in panel.columns or agreements is None:
            continue
        src = onset_sources(panel, outcome, agreements)
        total = int(src["onsets"].sum())
        if not total:
            continue
        top = src["share"].to_numpy()
        rows.append({"outcome": outcome, "onsets": total, "agreements": len(src),
                     "share_top10": float(top[:10].sum()), "share_top20": float(top[:20].sum()),
                     "share_bilateral": float(src.loc[src["bilat"] == 1, "share"].sum()),
                     "share_wartime": float(src.loc[src["wartime"] == 1, "share"].sum()),
                     "largest_atopid": int(src["atopid"].iloc[0]), "largest_share": float(top[0])})
    return pd.DataFrame(rows)
