"""The build context: parameters, loaded sources and the record of extension rules.

Every stage receives the same :class:`BuildContext`; it loads each source once, remembers
its provenance, and records which sources were carried past their coverage and by which
rule, so the rules end up in the Parquet metadata and in the ``extended_sources`` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
import warnings

from .sources import Loaded, SourceWarning, check_codes, load, resolve_data_dirs

# Named rules for years past a source's coverage (the codebook and metadata cite them).
CARRY_FORWARD = "carry_forward"  # last observed status is assumed to persist; rows flagged
SUCCESSOR = "successor_source"  # a later dataset by the same authors fills the years; rows flagged
MISSING = "missing"  # values are left missing (NaN/NA); never filled

RULE_TEXT = {
    CARRY_FORWARD: "the status observed in the last covered year is carried forward; the source's key is "
    "listed in the row's extended_sources",
    SUCCESSOR: "years past coverage are taken from a successor dataset; the source's key is listed in "
    "extended_sources",
    MISSING: "values are missing (null) past coverage; nothing is filled",
}


@dataclass
class BuildContext:
    start: int = 1816
    end: int = 2022
    directed: bool = False
    data_dir: Path | None = None
    data_dirs: list[Path] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    loaded: dict[str, Loaded] = field(default_factory=dict)
    extensions: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (1816 <= self.start <= self.end <= 2100):
            raise UsageError(
                f"years must satisfy 1816 <= start <= end <= 2100; got start={self.start}, end={self.end}"
            )
        self.data_dirs = resolve_data_dirs(self.data_dir)

    def source(self, key: str) -> Loaded:
        """Load (once) and return a validated source."""
        if key not in self.loaded:
            loaded = load(key, self.data_dirs, self.paths.get(key))
            if key != "states" and (loaded.source.code_columns or loaded.source.complete):
                for message in check_codes(loaded, self.source("states"), self.start, self.end):
                    warnings.warn(message, SourceWarning, stacklevel=2)
            self.loaded[key] = loaded
        return self.loaded[key]

    def coverage_end(self, key: str) -> int:
        return self.source(key).coverage[1]

    def extend(self, key: str, rule: str, *, note: str = "") -> int:
        """Record the rule applied to ``key`` past its coverage and return the coverage end."""
        end = self.coverage_end(key)
        self.extensions[key] = {
            "coverage_end": end,
            "rule": rule,
            "rule_text": RULE_TEXT[rule],
            "applies": self.end > end,
            "note": note,
        }
        return end

    def provenance(self) -> list[dict]:
        return [self.loaded[k].provenance() for k in sorted(self.loaded)]
