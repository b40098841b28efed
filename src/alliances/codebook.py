"""Column declarations: one entry per output column, used for validation, Parquet metadata
and the generated ``datasets/codebook.md``.

Each stage module (``dyads.panel``, ``outcomes.ties``, ``outcomes.onsets``, the
``covariates`` modules) declares the columns it adds in a module-level ``COLUMNS`` list of
:class:`~alliances.column.Column` records; this module collects them in data-flow order. ``ties.AGREEMENT_COLUMNS`` declares
``agreement_dyads.parquet`` and ``agreements.AGREEMENTS_COLUMNS`` ``agreements.parquet``.

Types are pandas/Arrow names: ``int8`` ... ``float64``, ``bool``, ``category``, ``date32``,
``list<int32>``; ``Int8``/``Int16``/``Int32`` are nullable integers (null = unknown).
"""

from __future__ import annotations

from alliances.column import NULLABLE_INTS, Column, pair
from alliances.covariates import (
    arms,
    events,
    exercises,
    geography,
    network,
    power,
    regime,
    similarity,
    threat,
    unga,
)
from alliances.dyads import panel
from alliances.outcomes import agreements, cow_alliance, onsets, ties, voting

__all__ = ["NULLABLE_INTS", "Column", "agreement_columns", "agreement_dyad_columns", "dyad_year_columns", "pair",
           "to_markdown"]


def dyad_year_columns() -> list[Column]:
    """All columns of ``dyad_years.parquet`` in their output order."""
    cols: list[Column] = []
    for module in (panel, ties, onsets, cow_alliance, power, geography, threat, regime, similarity, network,
                   exercises):
        cols.extend(module.COLUMNS)
    cols.extend(exercises.ONSET_COLUMNS)
    for module in (unga, voting, arms):
        cols.extend(module.COLUMNS)
    cols.extend(events.COLUMNS)
    cols.extend(panel.TRAILING_COLUMNS)
    names = [c.name for c in cols]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"columns declared twice: {sorted(dupes)}"
    return cols


def agreement_dyad_columns() -> list[Column]:
    """All columns of ``agreement_dyads.parquet``."""
    return list(ties.AGREEMENT_COLUMNS)


def agreement_columns() -> list[Column]:
    """All columns of ``agreements.parquet`` (one row per ATOP agreement)."""
    return list(agreements.AGREEMENTS_COLUMNS)


def to_markdown(columns: list[Column], title: str, registry: dict, intro: str = "") -> str:
    """Render a codebook as Markdown (the same text is embedded in the Parquet metadata)."""
    lines = [f"# {title}", "", intro, "", "| column | type | unit | description | sources | past coverage |",
             "|---|---|---|---|---|---|"]
    for c in columns:
        desc = c.description.replace("|", "\\|")
        lines.append(
            f"| `{c.name}` | {c.dtype} | {c.unit} | {desc} | {', '.join(c.sources)} | {c.extension} |"
        )
    used = sorted({s for c in columns for s in c.sources})
    lines += ["", "## Sources", "", "| key | dataset | citation |", "|---|---|---|"]
    for key in used:
        src = registry[key]
        lines.append(f"| `{key}` | {src.title} | {src.citation} |")
    return "\n".join(lines) + "\n"
