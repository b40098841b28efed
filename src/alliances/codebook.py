"""Column declarations: one entry per output column, used for validation, Parquet metadata
and the generated ``datasets/codebook.md``.

Each stage module (``panel``, ``ties``, ``outcomes``, ``power``, ``geography``, ``threat``,
``regime``) declares the columns it adds in a module-level ``COLUMNS`` list; this module
collects them in data-flow order. ``ties.AGREEMENT_COLUMNS`` declares
``agreement_dyads.parquet`` and ``census.AGREEMENTS_COLUMNS`` ``agreements.parquet``.

Types are pandas/Arrow names: ``int8`` ... ``float64``, ``bool``, ``category``, ``date32``,
``list<int32>``; ``Int8``/``Int16``/``Int32`` are nullable integers (null = unknown).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Column:
    """The codebook entry of one column.

    ``sources`` are keys of :data:`alliances.sources.REGISTRY`; ``extension`` says what
    happens in years past those sources' coverage.
    """

    name: str
    dtype: str
    description: str
    unit: str = ""
    sources: tuple[str, ...] = ()
    extension: str = "none: computed for every panel year"

    def as_dict(self) -> dict:
        entry = asdict(self)
        entry["sources"] = list(self.sources)
        return entry


def pair(stem: str, dtype: str, description: str, **kw) -> list[Column]:
    """Two columns ``{stem}1`` and ``{stem}2`` describing ccode1 and ccode2 respectively."""
    sep = "_" if stem[-1].isdigit() else ""
    return [
        Column(f"{stem}{sep}{k}", dtype, description.replace("{state}", f"ccode{k}"), **kw)
        for k in (1, 2)
    ]


def dyad_year_columns() -> list[Column]:
    """All columns of ``dyad_years.parquet`` in their output order."""
    from alliances.covariates import (
        events,
        exercises,
        geography,
        power,
        regime,
        similarity,
        threat,
    )
    from alliances.dyads import panel
    from alliances.outcomes import cow_alliance, onsets, ties

    cols: list[Column] = []
    for module in (panel, ties, onsets, cow_alliance, power, geography, threat, regime, similarity, exercises):
        cols.extend(module.COLUMNS)
    cols.extend(exercises.ONSET_COLUMNS)
    cols.extend(events.COLUMNS)
    cols.extend(panel.TRAILING_COLUMNS)
    names = [c.name for c in cols]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"columns declared twice: {sorted(dupes)}"
    return cols


def agreement_dyad_columns() -> list[Column]:
    from alliances.outcomes import ties

    return list(ties.AGREEMENT_COLUMNS)


def agreement_columns() -> list[Column]:
    """All columns of ``agreements.parquet`` (one row per ATOP agreement)."""
    from alliances.outcomes import census

    return list(census.AGREEMENTS_COLUMNS)


NULLABLE_INTS = ("Int8", "Int16", "Int32")  # pandas nullable integer dtypes used in the declarations


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
