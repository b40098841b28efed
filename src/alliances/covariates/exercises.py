"""Joint military exercises by dyad-year, from the Multinational Military Exercises data.

Source (citation key ``mme``): D'Orazio, Vito and Kevin Galambos. 2021. "Multinational
Military Exercises, 1980-2010." Harvard Dataverse, version 7. doi:10.7910/DVN/KHFODX.
The file (``exercises/mme-7.csv``) has one row per exercise with its start and end dates
(``s.year``, ``e.year``), domain flags (``CPX Air Land Sea Amphibious Cyber``), focus flags
(``Warfighting Peacekeeping Humanitarian``) and its participants as country *names* in
``StateA`` ... ``StateAM``.

Rules (all applied by :func:`participants` and :func:`exercise_dyad_years`):

- **Names.** A participant name is normalised (Unicode NFKC, typographic apostrophes to
  ``'``, whitespace collapsed, case folded) and looked up in ``data/mme_country_codes.csv``
  (``name, ccode, first_year, last_year, note``). A name whose COW code depends on the year
  (``Germany``: 260 through 1990, 255 from 1991; ``Yemen``; ``Czechia``) has one row per
  period and is resolved with the exercise's **start year**. Entries listed in
  ``data/mme_non_states.csv`` (``-9``, ``NATO``, ``Baltic States``, dependencies such as
  ``Bermuda``) are left out of the dyads; blank cells are empty. Any other name raises
  :class:`ValueError` naming the name, the MMEID and the column.
- **Exercises** are identified by their row, not by ``MMEID``: v7 gives the same MMEID to
  two different exercises three times (mme3457, mme3458, mme3460).
- A state named twice in one exercise (v7 lists ``Dominica`` twice in Tradewinds 2002)
  takes part once.
- **Years.** An exercise counts once in every calendar year from ``s.year`` through
  ``e.year`` (so an exercise running from December 2003 into February 2004 counts in both
  years).
- **Bilateral**: exactly two distinct states take part and the exercise lists no entry that
  stands for unnamed further participants (``-9``, an organisation such as ``NATO`` or a
  region such as ``Baltic States``; the non-state kinds in :data:`UNNAMED_KINDS`).
  Dependencies (``Bermuda``, ``Hong Kong SAR China`` ...) do not make an exercise
  multilateral.
- **Years since**: ``mme_years_since`` is the year minus the latest year, from the coverage
  start through this year, in which the dyad took part in a joint exercise (0 in a year
  with one). It is missing in covered years before the dyad's first joint exercise since
  the coverage start (the MME data say nothing about exercises before 1980), and outside
  the coverage. Exercise years in which a participant is not a COW system member (Tonga
  before 1999) still count as the dyad's last exercise in later years.
- **Coverage.** Every column is missing (NA) outside ``coverage`` (1980-2010), never 0;
  0 means a covered year without a joint exercise.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from alliances.column import Column
from alliances.dyads.context import MISSING
from alliances.dyads.keys import YEAR_BASE, dyad_id, year_key
from alliances.dyads.panel import previous_row_is_last_year
from alliances.errors import SourceError
from alliances.sources.names import name_table, normalise_name
from alliances.sources.registry import coverage

CITATION = (
    "D'Orazio, Vito and Kevin Galambos. 2021. Multinational Military Exercises, 1980-2010. "
    "Harvard Dataverse, V7. doi:10.7910/DVN/KHFODX."
)
COVERAGE = coverage("mme")
_FIRST, _LAST = COVERAGE

#: MME flag columns (lowercase, as the source loader names them) and the output column of each.
DOMAINS = {"air": "mme_air", "land": "mme_land", "sea": "mme_sea", "amphibious": "mme_amphibious",
           "cyber": "mme_cyber", "cpx": "mme_cpx"}
FOCUS = {"warfighting": "mme_warfighting", "peacekeeping": "mme_peacekeeping",
         "humanitarian": "mme_humanitarian"}
FLAGS = {**DOMAINS, **FOCUS}

#: Non-state kinds that stand for unnamed further participants: an exercise listing one is never bilateral.
UNNAMED_KINDS = frozenset({"unspecified", "organisation", "region"})

_STATE_COLUMN = re.compile(r"state[a-z]{1,2}")

_EXT = f"missing (NA) outside the MME coverage {_FIRST}-{_LAST} (no data, not zero); 0 = no joint exercise in a covered year"
_REG = "an exercise counts in every calendar year from its start year through its end year"

#: the exercise-onset outcome -> (status column of its risk set, duration column), as
#: :data:`alliances.outcomes.onsets.OUTCOME_COLUMNS`
OUTCOME_COLUMNS = {"mme_onset": ("mme_active", "mme_duration")}

COLUMNS: list[Column] = [
    Column("mme_exercises", "Int16",
           f"Number of multinational military exercises in which both states took part this year ({_REG}).",
           unit="exercises", sources=("mme",), extension=_EXT),
    Column("mme_bilateral", "Int16",
           "Joint exercises this year whose only participants are these two states (no third state and no "
           "unnamed participants such as -9, NATO or a region).",
           unit="exercises", sources=("mme",), extension=_EXT),
    *[Column(name, "Int16", f"Joint exercises this year {text}.", unit="exercises", sources=("mme",), extension=_EXT)
      for name, text in {
          "mme_air": "with an air component (MME Air = 1)",
          "mme_land": "with a land component (MME Land = 1)",
          "mme_sea": "with a naval component (MME Sea = 1)",
          "mme_amphibious": "with an amphibious component (MME Amphibious = 1)",
          "mme_cyber": "with a cyber component (MME Cyber = 1)",
          "mme_cpx": "that were command-post exercises (MME CPX = 1)",
          "mme_warfighting": "with a warfighting focus (MME Warfighting = 1)",
          "mme_peacekeeping": "with a peacekeeping focus (MME Peacekeeping = 1)",
          "mme_humanitarian": "with a humanitarian focus (MME Humanitarian = 1)",
      }.items()],
    Column("mme_years_since", "Int16",
           "Years since the dyad's latest joint exercise in or before this year (0 in a year with one); missing "
           f"when the dyad has had no joint exercise since {_FIRST}.",
           unit="years", sources=("mme",),
           extension=f"missing (NA) outside the MME coverage {_FIRST}-{_LAST}, and in covered years before the "
                     f"dyad's first joint exercise since {_FIRST}"),
]
COLUMN_NAMES = [c.name for c in COLUMNS]
#: Exercise status and onset: the outcome of the exercise-onset models (columns added by :func:`add_exercises`).
ONSET_COLUMNS: list[Column] = [
    Column("mme_active", "Int8", "1 if the two states took part in at least one joint exercise this year "
           "(mme_exercises > 0); the status whose previous-year value defines the risk set of mme_onset",
           sources=("mme",), extension=_EXT),
    Column("mme_duration", "Int16", "years at risk of an exercise onset: years since the dyad's latest joint "
           f"exercise before this year or, when it has had none since {_FIRST}, since {_FIRST} or the dyad's first year, "
           "whichever is later (left-censored at the MME coverage start); the time scale of mme_onset models",
           unit="years", sources=("mme", "states"), extension=_EXT),
    Column("mme_onset", "Int8", "1 if the dyad has a joint exercise this year and had none the year before "
           f"(first year of a run of exercise years); missing in {_FIRST}, whose previous year MME does not cover",
           sources=("mme",),
           extension=f"missing (NA) outside {_FIRST + 1}-{_LAST} ({_FIRST} has no covered previous year)"),
]


def country_codes() -> pd.DataFrame:
    """``data/mme_country_codes.csv`` with a ``key`` column and open year bounds filled (:mod:`alliances.sources.names`)."""
    return name_table("mme").codes


def non_states() -> pd.DataFrame:
    """``data/mme_non_states.csv`` (name, kind, note) with a ``key`` column."""
    return name_table("mme").non_states


def _lower(mme: pd.DataFrame) -> pd.DataFrame:
    frame = mme.set_axis([str(c).strip().lower() for c in mme.columns], axis=1)
    needed = ["mmeid", "s.year", "e.year", *FLAGS]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SourceError(f"MME exercises frame lacks column(s) {', '.join(missing)}")
    return frame


def _shown(value) -> str:
    """A cell as the user wrote it: numbers plainly (2, not np.int64(2)), text quoted."""
    return repr(value) if isinstance(value, str) else str(value.item() if hasattr(value, "item") else value)


def _whole(frame: pd.DataFrame, col: str, allowed: tuple[int, int] | None = None,
           label: str | None = None) -> np.ndarray:
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = values.isna() | (values % 1 != 0)
    if allowed is not None:
        bad |= ~values.between(*allowed)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceError(f"MME column '{label or col}' holds {_shown(frame[col].iloc[i])} for MMEID "
                         f"{frame['mmeid'].iloc[i]} (row {i}); expected "
                         + ("0 or 1" if allowed == (0, 1) else "a whole number"))
    return values.to_numpy(dtype="int64")


def _exercises(mme: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(participants, exercises): one row per (exercise, state) and one per exercise row of ``mme``."""
    frame = _lower(mme)
    original = dict(zip(frame.columns, mme.columns))
    state_cols = [c for c in frame.columns if _STATE_COLUMN.fullmatch(c)]
    if not state_cols:
        raise SourceError("MME exercises frame has no participant columns StateA ... StateAM")
    n = len(frame)
    start = _whole(frame, "s.year", label=original["s.year"])
    end = _whole(frame, "e.year", label=original["e.year"])
    if (end < start).any():
        i = int(np.flatnonzero(end < start)[0])
        raise SourceError(f"MME exercise {frame['mmeid'].iloc[i]} (row {i}) ends ({end[i]}) before it starts "
                         f"({start[i]})")
    exercises = pd.DataFrame({"exercise": np.arange(n, dtype="int32"),
                              "mmeid": frame["mmeid"].astype("string").to_numpy(),
                              "start_year": start.astype("int16"), "end_year": end.astype("int16")})
    for col in FLAGS:
        exercises[col] = _whole(frame, col, (0, 1), label=original[col]).astype("int8")

    # long table of every non-empty participant cell
    cells = frame[state_cols].to_numpy(dtype=object)
    rows, cols = np.nonzero(pd.notna(cells))
    raw = cells[rows, cols]
    codes, uniques = pd.factorize(raw)
    # classify the few distinct names, then broadcast to the cells
    mapping = country_codes()
    unique_keys = pd.Series([normalise_name(u) for u in uniques], dtype=object)
    unique_kind = unique_keys.map(non_states().set_index("key")["kind"])
    keys = unique_keys.to_numpy(dtype=object)[codes]
    blank = (unique_keys == "").to_numpy()[codes]
    listed = unique_keys.isin(mapping["key"]).to_numpy()[codes]
    unnamed_kind = unique_kind.isin(UNNAMED_KINDS).to_numpy()[codes]
    unknown = ~blank & ~listed & unique_kind.isna().to_numpy()[codes]
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        others = int(unknown.sum()) - 1
        raise SourceError(
            f"MME participant {raw[i]!r} (MMEID {frame['mmeid'].iloc[rows[i]]}, "
            f"column {original[state_cols[cols[i]]]!r}, row {rows[i]}) is neither mapped to a COW code in "
            f"alliances/data/mme_country_codes.csv nor listed in alliances/data/mme_non_states.csv"
            + (f"; {others} more unknown entr(ies)" if others else "")
        )
    unnamed = np.zeros(n, dtype=bool)
    unnamed[rows[unnamed_kind]] = True
    exercises["unnamed_participants"] = unnamed

    # resolve names to codes with the exercise's start year
    cells_long = pd.DataFrame({"exercise": rows[listed], "key": keys[listed], "start": start[rows[listed]],
                               "cell": np.flatnonzero(listed)})
    hit = cells_long.merge(mapping[["key", "ccode", "lo", "hi"]], on="key", how="inner")
    hit = hit[(hit["lo"] <= hit["start"]) & (hit["start"] <= hit["hi"])]
    if len(hit) != len(cells_long):
        miss = np.setdiff1d(cells_long["cell"].to_numpy(), hit["cell"].to_numpy())
        i = int(miss[0])
        raise SourceError(
            f"MME participant {raw[i]!r} (MMEID {frame['mmeid'].iloc[rows[i]]}, "
            f"column {original[state_cols[cols[i]]]!r}) has no COW code for the exercise's start year "
            f"{start[rows[i]]} in alliances/data/mme_country_codes.csv"
        )
    long = (hit[["exercise", "ccode"]].drop_duplicates().sort_values(["exercise", "ccode"], ignore_index=True)
            .astype({"exercise": "int32", "ccode": "int16"}))
    n_states = np.bincount(long["exercise"].to_numpy(), minlength=n)
    exercises["n_states"] = n_states.astype("int16")
    exercises["bilateral"] = (n_states == 2) & ~unnamed
    return long, exercises


def participants(mme: pd.DataFrame) -> pd.DataFrame:
    """One row per (exercise, participating state) of the MME data (D'Orazio and Galambos 2021).

    ``mme`` is the exercise table as read from ``mme-7.csv`` (original or lowercased column
    names). Returns ``exercise`` (row position in ``mme``; MMEIDs are not unique in v7),
    ``mmeid``, ``ccode``, ``start_year``, ``end_year``, the flags ``cpx air land sea
    amphibious cyber warfighting peacekeeping humanitarian`` (0/1), ``n_states`` (distinct
    states in the exercise), ``unnamed_participants`` (the exercise lists ``-9``, an
    organisation or a region) and ``bilateral``. Non-state entries are left out; a name
    neither mapped nor listed as a non-state raises ValueError naming it, its MMEID and column.
    """
    long, exercises = _exercises(mme)
    return long.merge(exercises, on="exercise", how="left")[
        ["exercise", "mmeid", "ccode", "start_year", "end_year", *FLAGS, "n_states", "unnamed_participants",
         "bilateral"]
    ]


def _pair_years(long: pd.DataFrame, exercises: pd.DataFrame, coverage: tuple[int, int]) -> pd.DataFrame:
    """Counts per (dyad, year) with at least one joint exercise, sorted by key."""
    pairs = long.merge(long, on="exercise", suffixes=("1", "2"))
    pairs = pairs[pairs["ccode1"] < pairs["ccode2"]]
    ex = pairs["exercise"].to_numpy()
    lo = np.maximum(exercises["start_year"].to_numpy(dtype="int64")[ex], coverage[0])
    hi = np.minimum(exercises["end_year"].to_numpy(dtype="int64")[ex], coverage[1])
    span = np.clip(hi - lo + 1, 0, None)
    which = np.repeat(np.arange(len(ex)), span)
    offset = np.arange(len(which)) - np.repeat(np.cumsum(span) - span, span)
    year = lo[which] + offset
    dyad = dyad_id(pairs["ccode1"], pairs["ccode2"])
    key = year_key(dyad[which], year)
    keys, inverse = np.unique(key, return_inverse=True)
    ex_rep = ex[which]
    out = {"key": keys, "mme_exercises": np.bincount(inverse, minlength=len(keys))}
    weights = {"mme_bilateral": exercises["bilateral"].to_numpy(dtype="int64")}
    weights.update({name: exercises[flag].to_numpy(dtype="int64") for flag, name in FLAGS.items()})
    for name, w in weights.items():
        out[name] = np.bincount(inverse, weights=w[ex_rep], minlength=len(keys)).astype("int64")
    if len(keys) and out["mme_exercises"].max() > np.iinfo(np.int16).max:
        raise SourceError("more joint exercises in one dyad-year than Int16 holds")
    return pd.DataFrame(out)


def exercise_dyad_years(mme: pd.DataFrame, dyads: pd.DataFrame,
                        coverage: tuple[int, int] = COVERAGE) -> pd.DataFrame:
    """Joint-exercise columns for undirected dyad-years, from the MME data (D'Orazio and Galambos 2021).

    ``dyads`` holds ``ccode1``, ``ccode2`` (``ccode1 < ccode2``; the order is ignored) and
    ``year``. Returns the columns of :data:`COLUMNS` as ``Int16``, aligned row for row with
    ``dyads`` (same index and order): counts of exercises both states took part in (all,
    bilateral, by domain and focus) and ``mme_years_since``. Every value is NA outside
    ``coverage``; see the module docstring for the rules.
    """
    if not {"ccode1", "ccode2", "year"} <= set(dyads.columns):
        raise SourceError("dyads must have columns ccode1, ccode2 and year")
    c1 = dyads["ccode1"].to_numpy()
    c2 = dyads["ccode2"].to_numpy()
    year = dyads["year"].to_numpy()
    for name, values in (("ccode1", c1), ("ccode2", c2), ("year", year)):
        if pd.isna(values).any():
            raise SourceError(f"dyads column '{name}' has missing values")
    long, exercises = _exercises(mme)
    counts = _pair_years(long, exercises, coverage)

    # only covered dyad-years are looked up; the rest stay NA
    covered = (year >= coverage[0]) & (year <= coverage[1])
    sel = np.flatnonzero(covered)
    lo = np.minimum(c1[sel], c2[sel]).astype("int64")
    hi = np.maximum(c1[sel], c2[sel]).astype("int64")
    if len(sel) and (lo.min() < 0 or hi.max() > 999):
        raise SourceError("dyads hold a ccode outside 0-999")
    dyad = dyad_id(lo, hi)
    query = year_key(dyad, year[sel])
    keys = counts["key"].to_numpy()
    # the latest (dyad, year) key with an exercise at or before the query: an exact match is
    # an exercise this year, a match on the dyad gives the years since
    pos = np.searchsorted(keys, query, side="right") - 1
    prev = np.concatenate([[-1], keys])[pos + 1]
    exact = prev == query
    same_dyad = (prev >= 0) & (prev // YEAR_BASE == dyad)
    # one int16 row per key plus a zero row for covered dyad-years without an exercise
    table = np.zeros((len(keys) + 1, len(COLUMN_NAMES) - 1), dtype="int16")
    table[:-1] = counts[COLUMN_NAMES[:-1]].to_numpy()
    values = table[np.where(exact, pos, len(keys))]

    n, missing = len(dyads), ~covered
    out = {}
    for j, name in enumerate(COLUMN_NAMES[:-1]):
        full = np.zeros(n, dtype="int16")
        full[sel] = values[:, j]
        out[name] = pd.arrays.IntegerArray(full, missing.copy())  # own mask: no aliasing between columns
    since = np.zeros(n, dtype="int16")
    since[sel] = np.where(same_dyad, query - prev, 0)  # same dyad: the key difference is the year difference
    unknown = missing.copy()
    unknown[sel] = ~same_dyad
    out["mme_years_since"] = pd.arrays.IntegerArray(since, unknown)
    return pd.DataFrame(out, index=dyads.index, copy=False)


def add_exercises(panel: pd.DataFrame, ctx) -> pd.DataFrame:
    """Add the joint-exercise columns (:data:`COLUMNS`, :data:`ONSET_COLUMNS`) to an undirected
    panel sorted by dyad and year, from the MME source (D'Orazio and Galambos 2021).

    Hard cases: MMEIDs that repeat, names that change code with the year, ``-9`` and
    organisations among the participants (module docstring). Past and before the coverage
    every column is missing (rule ``missing``).
    """
    src = ctx.source("mme")
    ctx.extend("mme", MISSING, note="joint-exercise columns are missing outside the MME coverage")
    cols = exercise_dyad_years(src.frame, panel[["ccode1", "ccode2", "year"]], coverage=src.coverage)
    for name in COLUMN_NAMES:
        panel[name] = cols[name].to_numpy()
    known = cols["mme_exercises"].notna().to_numpy()
    active = (cols["mme_exercises"].fillna(0).to_numpy() > 0).astype("int8")
    panel["mme_active"] = pd.arrays.IntegerArray(active.copy(), ~known)
    has_previous = previous_row_is_last_year(panel)  # the row before is the same dyad in year - 1
    # the dyad's previous year (covered) had an exercise
    before = has_previous & np.r_[False, known[:-1]] & (np.r_[0, active[:-1]] == 1)
    first_covered = panel["year"].to_numpy() == src.coverage[0]
    onset = ((active == 1) & ~before).astype("int8")
    panel["mme_onset"] = pd.arrays.IntegerArray(onset, ~known | first_covered)
    since = cols["mme_years_since"]
    # years since the latest exercise *before* this year: last year's value + 1
    prev_known = has_previous & np.r_[False, since.notna().to_numpy()[:-1]]
    prev_since = np.r_[0, since.fillna(0).to_numpy()[:-1]] + 1
    quiet = panel["year"].to_numpy() - np.maximum(src.coverage[0], panel["dyad_first_year"].to_numpy())
    duration = np.where(prev_known, prev_since, quiet).astype("int16")
    panel["mme_duration"] = pd.arrays.IntegerArray(duration, ~known)
    return panel
