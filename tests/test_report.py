"""alliances.analysis.report: the Markdown and LaTeX tables, outcome words and write_tables,
with every expected string written out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliances.analysis.tables import latex_escape, latex_table, markdown_table, write_tables
from alliances.outcomes.onsets import outcome_words


def test_markdown_table_by_hand():
    frame = pd.DataFrame({"term": ["a|b", "c"], "estimate": [0.123456, np.nan], "n": [3, 40],
                          "note": [None, pd.NA]})
    assert markdown_table(frame) == (
        "| term | estimate | n | note |\n"
        "|---|---|---|---|\n"
        "| a\\|b | 0.1235 | 3 |  |\n"
        "| c |  | 40 |  |\n"
    )
    assert markdown_table(pd.DataFrame({"x": [1234567.0, 1e-7]}), floatfmt=".2f") == (
        "| x |\n|---|\n| 1234567.00 |\n| 0.00 |\n")
    assert markdown_table(pd.DataFrame({"x": []})) == "| x |\n|---|\n"


def test_latex_escape_and_table():
    assert latex_escape("a_b & 5% of $x #1 {y} ~ ^ \\") == (
        r"a\_b \& 5\% of \$x \#1 \{y\} \textasciitilde{} \textasciicircum{} \textbackslash{}")
    frame = pd.DataFrame({"coef_1": ["0.5", "(0.1)"]}, index=["cap_ratio", ""])
    assert latex_table(frame, "Onsets & ties", "SE in parentheses") == "\n".join([
        r"\begin{table}[htbp]", r"\centering", r"\caption{Onsets \& ties}", r"\begin{tabular}{lr}", r"\toprule",
        r" & coef\_1 \\", r"\midrule", r"cap\_ratio & 0.5 \\", r" & (0.1) \\", r"\bottomrule", r"\end{tabular}",
        r"\par\smallskip\footnotesize SE in parentheses", r"\end{table}", ""])


@pytest.mark.parametrize("outcome, words", [
    ("alliance_onset", "alliance onset"),
    ("alliance_onset_peace", "peacetime alliance onset"),
    ("alliance_onset_bilat", "bilateral alliance onset"),
    ("alignment_onset", "alignment onset"),
    ("tie_onset", "security tie onset"),
    ("tie_onset_peace", "peacetime security tie onset"),
    ("alliance_new", "new alliance agreement"),
    ("alliance_new_peace", "new peacetime alliance agreement"),
    ("tie_new", "new security tie agreement"),
    ("cow_defense_onset", "COW defence pact onset"),
    ("unga_onset", "onset of alignment in UN voting"),
    ("unga_onset_fp", "onset of alignment in UN voting (final-passage votes)"),
    ("mme_onset", "joint-exercise onset"),
])
def test_outcome_words(outcome, words):
    assert outcome_words(outcome) == words


def test_write_tables_writes_csv_and_markdown(tmp_path):
    tables = {"estimates": pd.DataFrame({"term": ["x"], "estimate": [1.5]}),
              "counts": pd.DataFrame({"year": [1900, 1901], "n": [2, 3]})}
    out = tmp_path / "new" / "tables"  # the folder is created
    paths = write_tables(tables, out)
    assert paths == [out / "estimates.csv", out / "estimates.md", out / "counts.csv", out / "counts.md"]
    assert (out / "estimates.csv").read_bytes() == b"term,estimate\nx,1.5\n"
    assert (out / "counts.csv").read_bytes() == b"year,n\n1900,2\n1901,3\n"
    assert (out / "estimates.md").read_text() == "| term | estimate |\n|---|---|\n| x | 1.5 |\n"
    assert (out / "counts.md").read_text() == "| year | n |\n|---|---|\n| 1900 | 2 |\n| 1901 | 3 |\n"
    assert sorted(p.name for p in out.iterdir()) == ["counts.csv", "counts.md", "estimates.csv", "estimates.md"]
    # rewriting replaces the files' contents
    write_tables({"counts": pd.DataFrame({"year": [2000], "n": [1]})}, out)
    assert (out / "counts.csv").read_text() == "year,n\n2000,1\n"
