"""Country names to COW codes, by year: the tables for sources that name states instead of coding them.

The Multinational Military Exercises data (participants) and SIPRI's arms-transfer tables
(suppliers and recipients) give country **names**. Each such source has two tables in
``alliances/data``:

- ``<prefix>_country_codes.csv`` (``name, ccode, first_year, last_year, note``): a name and the
  COW code it stands for; a name whose code depends on the year (``Germany``: 260 through
  1990, 255 from 1991) has one row per period, and blank years are open;
- ``<prefix>_non_states.csv`` (``name, kind, note``): entries that are no state (``NATO``, the
  UN, rebel groups, dependencies), left out of the dyads.

Names are compared after :func:`normalise_name` (NFKC, typographic apostrophes, whitespace,
case), so a table lists each spelling once. A name in neither table is an error naming it
and its place in the file, so a new release cannot silently lose a state.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from alliances.errors import SourceError

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_OPEN_START, _OPEN_END = -(10**6), 10**6


def normalise_name(name: object) -> str:
    """The lookup key of a name: NFKC, ``'`` for typographic apostrophes, whitespace collapsed
    and stripped, case folded. Whole numbers (a ``-9`` read as a number) become their digits."""
    if isinstance(name, (float, np.floating)) and float(name).is_integer():
        name = int(name)
    text = unicodedata.normalize("NFKC", str(name)).translate(_APOSTROPHES)
    return " ".join(text.split()).casefold()


def _year_or_blank(text: str) -> float:
    return float(text) if text.strip() else np.nan


@dataclass(frozen=True)
class NameTable:
    """The two tables of one source: ``codes`` (with ``key``, ``lo``, ``hi``) and ``non_states`` (with ``key``)."""

    prefix: str
    codes: pd.DataFrame
    non_states: pd.DataFrame

    @property
    def files(self) -> str:
        return f"alliances/data/{self.prefix}_country_codes.csv or alliances/data/{self.prefix}_non_states.csv"

    def kinds(self, keys: pd.Series) -> pd.Series:
        """The non-state kind of each normalised name (missing for names that are not listed)."""
        return keys.map(self.non_states.set_index("key")["kind"])

    def is_state(self, keys: pd.Series) -> np.ndarray:
        return keys.isin(self.codes["key"]).to_numpy()

    def codes_at(self, keys: np.ndarray, years: np.ndarray) -> np.ndarray:
        """The COW code of each (normalised name, year); -1 where the table has no row for that year."""
        query = pd.DataFrame({"key": keys, "year": np.asarray(years, dtype=np.int64), "row": np.arange(len(keys))})
        hit = query.merge(self.codes[["key", "ccode", "lo", "hi"]], on="key", how="inner")
        hit = hit[(hit["lo"] <= hit["year"]) & (hit["year"] <= hit["hi"])]
        out = np.full(len(keys), -1, dtype=np.int64)
        out[hit["row"].to_numpy()] = hit["ccode"].to_numpy()
        return out


@functools.lru_cache(maxsize=None)
def name_table(prefix: str) -> NameTable:
    """Read ``alliances/data/<prefix>_country_codes.csv`` and ``<prefix>_non_states.csv``.

    Raises SourceError if one name has overlapping year windows or is in both tables."""
    data = resources.files("alliances").joinpath("data")
    with data.joinpath(f"{prefix}_country_codes.csv").open(encoding="utf-8") as fh:
        codes = pd.read_csv(fh, dtype={"name": str, "note": str}, keep_default_na=False,
                            converters={"first_year": _year_or_blank, "last_year": _year_or_blank})
    with data.joinpath(f"{prefix}_non_states.csv").open(encoding="utf-8") as fh:
        non_states = pd.read_csv(fh, dtype=str, keep_default_na=False)
    codes["ccode"] = codes["ccode"].astype("int16")
    codes["key"] = codes["name"].map(normalise_name)
    codes["lo"] = codes["first_year"].fillna(_OPEN_START).astype("int64")
    codes["hi"] = codes["last_year"].fillna(_OPEN_END).astype("int64")
    codes = codes.sort_values(["key", "lo"], ignore_index=True)
    same = codes["key"].eq(codes["key"].shift())
    overlap = same & (codes["lo"] <= codes["hi"].shift())
    if overlap.any():
        raise SourceError(f"{prefix}_country_codes.csv: overlapping year windows for "
                          f"{codes.loc[overlap, 'name'].tolist()}")
    non_states["key"] = non_states["name"].map(normalise_name)
    both = set(codes["key"]) & set(non_states["key"])
    if both:
        raise SourceError(f"{prefix}_country_codes.csv and {prefix}_non_states.csv both list {sorted(both)}")
    return NameTable(prefix, codes, non_states)
