"""The build context: parameters, loaded sources and the record of extension rules.

Every stage receives the same :class:`BuildContext`; it loads each source once, remembers
its provenance, and records which sources were carried past their coverage and by which
rule, so the rules end up in the Parquet metadata and in the ``extended_sources`` column.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alliances.config import DEFAULT_END
from alliances.dyads.keys import expand_years
from alliances.errors import UsageError
from alliances.sources import Loaded, SourceWarning, load, resolve_data_dirs

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
    end: int = DEFAULT_END
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


def _plain(value) -> str:
    """A cell as written (whole floats without the .0)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def check_codes(loaded: Loaded, states: Loaded, first_year: int, last_year: int) -> list[str]:
    """Cross-check COW codes and completeness against the state system; return warnings' texts.

    Codes never in the state system (except the source's declared ``non_state_codes``) and
    state-years missing from a ``complete`` source are reported with counts; the rows stay
    (a code no state has pairs with no dyad; a missing state-year stays missing).
    """
    source, frame = loaded.source, loaded.frame
    members = states.frame
    known = set(members["ccode"].astype(int)) | set(source.non_state_codes)
    messages = []
    for col in source.code_columns:
        codes = pd.to_numeric(frame[col], errors="coerce")
        stray = codes.notna() & ~codes.isin(known)
        if stray.any():
            rows = np.flatnonzero(stray.to_numpy())
            firsts = pd.Series(rows).groupby(codes.to_numpy()[rows].astype(int)).first()  # first row per code
            key = [c for c in source.row_key if c != col]
            named = [f"{code} ({loaded.place(int(i))}" + (", " + ", ".join(f"{c}={_plain(frame[c].iloc[int(i)])}"
                                                                          for c in key) if key else "") + ")"
                     for code, i in firsts.head(10).items()]
            messages.append(
                f"{loaded.path}: column '{col}' holds {int(stray.sum())} value(s) that are not COW state codes: "
                f"{'; '.join(named)}{' ...' if len(firsts) > 10 else ''}; "
                "those rows pair with no dyad - check the file or the code"
            )
    if source.complete:
        end = min(states.coverage[1], loaded.coverage[1], last_year)
        start = max(first_year, loaded.coverage[0])
        idx, years = expand_years(np.maximum(members["styear"].to_numpy(dtype=int), start),
                                  np.minimum(members["endyear"].to_numpy(dtype=int), end))
        expected = pd.MultiIndex.from_arrays([members["ccode"].to_numpy(dtype=int)[idx], years])
        have = pd.MultiIndex.from_arrays([pd.to_numeric(frame["ccode"]).to_numpy(dtype=int),
                                          pd.to_numeric(frame["year"]).to_numpy(dtype=int)])
        absent = expected[~expected.isin(have)]
        if len(absent):
            per_state = pd.Series(absent.get_level_values(1)).groupby(absent.get_level_values(0)).agg(["size", "min", "max"])
            listed = "; ".join(f"{c}: {r['size']} year(s) {r['min']}-{r['max']}" for c, r in per_state.head(8).iterrows())
            messages.append(
                f"{loaded.path}: {len(absent)} member state-year(s) of the COW state system ({start}-{end}) have no row, "
                f"in {len(per_state)} state(s) ({listed}{' ...' if len(per_state) > 8 else ''}); their values stay missing"
            )
    return messages
