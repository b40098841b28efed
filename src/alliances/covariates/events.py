"""Events a user supplies: counts of behaviour no dataset covers (``--events FILE``).

The file is a small CSV with the columns ``ccode1, ccode2, year, kind, count, source, note``
(one row per dyad, year and kind of event, e.g. joint drills a study counted after the MME
coverage ends). Its values go into their own columns, never into the MME columns:

- ``user_event_count``: the sum of ``count`` over the file's rows for the dyad-year;
  missing (not 0) where the file has no row for it: nobody was asked about that dyad-year;
- ``user_event_kinds``: the distinct ``kind`` values, sorted and joined with ``;``;
- ``user_supplied``: true on rows that carry user-supplied values.

The file's name, SHA-256, row count and every distinct ``source`` string are recorded in
the build metadata (``alliances.build`` -> ``user_events``). Rows for years outside the
panel are reported in a warning and left out (they can still be shown beside the panel,
as the report does for 2022-2025); a dyad that is not a pair of system members in a panel
year is an error naming the line.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from alliances.column import Column
from alliances.dyads.keys import positions, take, undirected_dyad_id, year_key
from alliances.errors import SourceError
from alliances.sources import sha256_file

FIELDS = ("ccode1", "ccode2", "year", "kind", "count", "source", "note")
_EXT = "missing wherever the user's events file has no row (not asked, not zero); see alliances.build user_events"

COLUMNS = [
    Column("user_event_count", "Int32", "number of events of the user-supplied file (--events) for this dyad-year, "
           "summed over its kinds; one study's or the user's count, not a systematic dataset", unit="events",
           extension=_EXT),
    Column("user_event_kinds", "string", "the kinds of the user-supplied events of this dyad-year, sorted and "
           "joined with ';'", extension=_EXT),
    Column("user_supplied", "bool", "true when this row carries values from the user-supplied events file "
           "(--events); their sources are listed in the metadata key alliances.build -> user_events"),
]


class UserEventsWarning(UserWarning):
    """Rows of the user's events file that fall outside the panel's years."""


def read_events(path: str | os.PathLike) -> pd.DataFrame:
    """Read and check a user events file; errors name the file, line, column and value."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"events file {path} does not exist")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(f"{path}: cannot be read as a CSV events file ({str(exc).splitlines()[0]})") from exc
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in FIELDS if c not in frame.columns]
    if missing:
        raise SourceError(f"{path}: events file lacks column(s) {', '.join(missing)}; expected {', '.join(FIELDS)}")
    if frame.empty:
        raise SourceError(f"{path}: events file has a header but no rows")
    out = frame[list(FIELDS)].copy()
    for col in ("ccode1", "ccode2", "year", "count"):
        values = pd.to_numeric(out[col].str.strip(), errors="coerce")
        bad = values.isna() | (values % 1 != 0) | (values < (1 if col == "count" else 0))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            want = "a positive whole number" if col == "count" else "a whole number"
            raise SourceError(f"{path}: line {row + 2}, column '{col}' holds {out[col].iloc[row]!r}; expected {want}")
        out[col] = values.astype("int64")
    for col in ("kind", "source"):
        empty = out[col].str.strip() == ""
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0])
            raise SourceError(f"{path}: line {row + 2}, column '{col}' is empty; every event needs a {col}")
    same = out["ccode1"] == out["ccode2"]
    if same.any():
        row = int(np.flatnonzero(same.to_numpy())[0])
        raise SourceError(f"{path}: line {row + 2} pairs state {out['ccode1'].iloc[row]} with itself")
    dupes = out.duplicated(["ccode1", "ccode2", "year", "kind"], keep=False)
    if dupes.any():
        row = int(np.flatnonzero(dupes.to_numpy())[0])
        raise SourceError(f"{path}: line {row + 2} repeats a (ccode1, ccode2, year, kind) of another line; "
                          "give each count once")
    out["line"] = np.arange(len(out)) + 2
    return out


def _no_strings(n: int) -> pd.api.extensions.ExtensionArray:
    """``n`` missing values of the pandas string dtype (taken from an empty array: fast)."""
    return pd.array(np.empty(0, dtype=object), dtype="string").take(np.full(n, -1), allow_fill=True)


def add_user_events(panel: pd.DataFrame, path: str | os.PathLike | None, start: int, end: int) -> tuple[pd.DataFrame, dict | None]:
    """Add :data:`COLUMNS` from the events file (all missing/false without one); return the
    panel and the metadata record of the file."""
    n = len(panel)
    if path is None:
        panel["user_event_count"] = pd.arrays.IntegerArray(np.zeros(n, dtype="int32"), np.ones(n, dtype=bool))
        panel["user_event_kinds"] = _no_strings(n)
        panel["user_supplied"] = np.zeros(n, dtype=bool)
        return panel, None
    events = read_events(path)
    outside = ~events["year"].between(start, end)
    if outside.any():
        years = sorted(set(events.loc[outside, "year"]))
        warnings.warn(f"{path}: {int(outside.sum())} event row(s) in year(s) {', '.join(map(str, years))} fall outside "
                      f"the panel's {start}-{end} and are not in it", UserEventsWarning, stacklevel=2)
    inside = events[~outside]
    keys = year_key(undirected_dyad_id(inside["ccode1"], inside["ccode2"]), inside["year"].to_numpy())
    panel_keys = year_key(undirected_dyad_id(panel["ccode1"], panel["ccode2"]), panel["year"].to_numpy())
    absent = ~np.isin(keys, panel_keys)
    if absent.any():
        row = inside.iloc[int(np.flatnonzero(absent)[0])]
        raise SourceError(f"{path}: line {row['line']}: {row['ccode1']}-{row['ccode2']} in {row['year']} is not a dyad of "
                          "the panel (both must be COW system members that year)")
    grouped = (pd.DataFrame({"key": keys, "count": inside["count"].to_numpy(), "kind": inside["kind"].str.strip()})
               .groupby("key", sort=True).agg(count=("count", "sum"), kinds=("kind", lambda k: ";".join(sorted(set(k))))))
    pos = positions(panel_keys, grouped.index.to_numpy())
    counts = take(pos, grouped["count"].to_numpy(dtype=float))
    supplied = pos >= 0
    panel["user_event_count"] = pd.arrays.IntegerArray(np.nan_to_num(counts).astype("int32"), ~supplied)
    # a string array built by taking (missing where absent), not from a million Python objects
    panel["user_event_kinds"] = pd.array(grouped["kinds"].to_numpy(), dtype="string").take(pos, allow_fill=True)
    panel["user_supplied"] = supplied
    record = {"file": Path(path).name, "sha256": sha256_file(Path(path)), "rows": int(len(events)),
              "rows_in_panel": int(len(inside)), "sources": sorted(set(events["source"].str.strip())),
              "kinds": sorted(set(events["kind"].str.strip())),
              "note": "user-supplied counts, kept apart from the MME columns; not a systematic dataset"}
    return panel, record
