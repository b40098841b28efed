"""The codebook record of one output column (:class:`Column`) and its two-sided helper.

Stage modules declare their columns with it; :mod:`alliances.codebook` collects the
declarations. It imports nothing from the package, so every stage can use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

NULLABLE_INTS = ("Int8", "Int16", "Int32")  # pandas nullable integer dtypes used in the declarations


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
