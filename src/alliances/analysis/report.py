"""Tables to CSV and Markdown, written atomically and byte-for-byte reproducibly."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from alliances.atomic import atomic_path

#: the shipped replication plan's simulation seed, also `alliances predict`'s default, so that the
#: report's intervals can be reproduced from the command line
DEFAULT_SEED = 20261123


def write_text_atomic(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return path


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


def outcome_words(outcome: str) -> str:
    """``alliance_onset_peace`` -> ``peacetime alliance onset``."""
    if outcome == "cow_defense_onset":
        return "COW defence pact onset"
    if outcome.startswith("unga_onset"):
        return "onset of alignment in UN voting" + (" (final-passage votes)" if outcome.endswith("_fp") else "")
    if outcome == "mme_onset":
        return "joint-exercise onset"
    kind, _, rest = outcome.partition("_")
    what = {"tie": "security tie"}.get(kind, kind)
    prefix = "peacetime " if outcome.endswith("_peace") else "bilateral " if outcome.endswith("_bilat") else ""
    if rest.startswith("new"):
        return f"new {prefix}{what} agreement"
    return f"{prefix}{what} {'onset' if rest.startswith('onset') else rest}"
