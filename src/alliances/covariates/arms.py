"""Arms transfers by dyad-year, from SIPRI's trend-indicator values (TIV).

Source (citation key ``sipri``): Stockholm International Peace Research Institute, SIPRI Arms
Transfers Database, export tables by supplier (deliveries of major conventional weapons,
1950-2021, generated 28 July 2022). TIV is a volume index of military capability transferred,
in millions, not a price; a transfer is directed (supplier to recipient).

Rules (applied by :func:`arms_dyad_years`):

- **Names.** Suppliers (each table's title) and recipients (its rows) are country *names*, mapped
  to COW codes by year with ``alliances/data/sipri_country_codes.csv`` (Soviet Union through 1991
  and Russia from 1992 are both 365; Germany is 260 through 1990 and 255 after; East Germany 265;
  Czechoslovakia 315, Czechia 316; Yugoslavia and Serbia 345; North and South Yemen, Yemen; ...).
  Rebel groups, organisations (UN, NATO, African Union, ...), unknown recipients and
  non-state territories are listed in ``sipri_non_states.csv`` and left out. A name in neither
  table, or mapped but without a code in the delivery's year, is an error naming the file,
  line and name.
- **Deliveries** of one supplier to one recipient in one year are summed over names that map to
  the same codes (a state's deliveries to itself are dropped). SIPRI's ``0`` (under 0.5 million
  TIV) stays 0.
- **Coverage.** Inside the source's years (1950-2021), a pair of system members with no recorded
  delivery is 0: the database aims to record every delivery of major conventional weapons
  (reading the bundled release, whose tables cover every supplier). Outside those years every
  column is missing (rule ``missing``), never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column, pair
from alliances.dyads.context import MISSING, BuildContext
from alliances.dyads.keys import dyad_id, positions, take, year_key
from alliances.dyads.panel import with_columns
from alliances.errors import SourceError
from alliances.sources.names import name_table, normalise_name
from alliances.sources.reading import Loaded
from alliances.sources.registry import span

_COV = span("sipri")
_EXT = (f"missing (null) outside SIPRI's years ({_COV}); inside them 0 = no delivery recorded between two system "
        "members (SIPRI records every delivery of major conventional weapons); rule missing")

COLUMNS: list[Column] = [
    *pair("arms_tiv", "float64", "SIPRI trend-indicator value of major conventional weapons delivered by {state} to "
          "the other state this year (0 = none recorded; SIPRI's 0 for deliveries under 0.5 million stays 0)",
          unit="million TIV", sources=("sipri",), extension=_EXT),
    Column("arms_tiv", "float64", "arms_tiv1 + arms_tiv2: deliveries of major conventional weapons between the two "
           "states this year, both directions", unit="million TIV", sources=("sipri",), extension=_EXT),
]
COLUMN_NAMES = [c.name for c in COLUMNS]


def coded_transfers(loaded: Loaded) -> pd.DataFrame:
    """Deliveries between states: ``supplier``, ``recipient`` (COW codes), ``year``, ``tiv`` summed.

    Non-state suppliers and recipients are left out; an unknown name raises SourceError."""
    frame, table = loaded.frame, name_table("sipri")
    codes = {}
    for side in ("supplier", "recipient"):
        names = frame[side].to_numpy(dtype=object)
        uniques, inverse = np.unique(names, return_inverse=True)
        keys = pd.Series([normalise_name(u) for u in uniques], dtype=object)
        state = table.is_state(keys)
        listed = state | table.kinds(keys).notna().to_numpy()
        if not listed.all():
            _unknown(loaded, side, names, np.flatnonzero(~listed[inverse]), table.files)
        row_state = state[inverse]
        code = np.full(len(frame), -1, dtype=np.int64)
        code[row_state] = table.codes_at(keys.to_numpy(dtype=object)[inverse][row_state],
                                         frame["year"].to_numpy()[row_state])
        no_code = row_state & (code < 0)
        if no_code.any():
            i = int(np.flatnonzero(no_code)[0])
            raise SourceError(f"{loaded.path}: {loaded.place(i)}: {side} {names[i]!r} has no COW code for "
                              f"{frame['year'].iloc[i]} in alliances/data/sipri_country_codes.csv")
        codes[side] = code
    keep = (codes["supplier"] >= 0) & (codes["recipient"] >= 0) & (codes["supplier"] != codes["recipient"])
    out = pd.DataFrame({"supplier": codes["supplier"][keep], "recipient": codes["recipient"][keep],
                        "year": frame["year"].to_numpy(dtype=np.int64)[keep],
                        "tiv": frame["tiv"].to_numpy(dtype="float64")[keep]})
    return out.groupby(["supplier", "recipient", "year"], as_index=False, sort=True)["tiv"].sum()


def _unknown(loaded: Loaded, side: str, names: np.ndarray, rows: np.ndarray, files: str) -> None:
    i = int(rows[0])
    others = len(set(names[rows])) - 1
    raise SourceError(f"{loaded.path}: {loaded.place(i)}: {side} {names[i]!r} is neither mapped to a COW code nor "
                      f"listed as a non-state in {files}" + (f"; {others} more unknown name(s)" if others else ""))


def arms_dyad_years(transfers: pd.DataFrame, dyads: pd.DataFrame, coverage: tuple[int, int]) -> dict[str, np.ndarray]:
    """The columns of :data:`COLUMNS` for the rows of ``dyads`` (``ccode1``, ``ccode2``, ``year``)
    from coded transfers (:func:`coded_transfers`); missing outside ``coverage``."""
    key = year_key(dyad_id(transfers["supplier"], transfers["recipient"]), transfers["year"])
    c1 = dyads["ccode1"].to_numpy(dtype=np.int64)
    c2 = dyads["ccode2"].to_numpy(dtype=np.int64)
    year = dyads["year"].to_numpy(dtype=np.int64)
    covered = (year >= coverage[0]) & (year <= coverage[1])
    tiv = transfers["tiv"].to_numpy(dtype="float64")
    out = {}
    for name, (a, b) in (("arms_tiv1", (c1, c2)), ("arms_tiv2", (c2, c1))):
        values = take(positions(year_key(dyad_id(a, b), year), key), tiv, fill=0.0)
        out[name] = np.where(covered, values, np.nan)
    out["arms_tiv"] = out["arms_tiv1"] + out["arms_tiv2"]
    return out


def add_arms(panel: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """Add the arms-transfer columns (SIPRI TIV) to the undirected panel; to_directed swaps
    ``arms_tiv1``/``arms_tiv2`` with the states."""
    loaded = ctx.source("sipri")
    ctx.extend("sipri", MISSING, note="arms-transfer columns are missing outside SIPRI's years")
    transfers = coded_transfers(loaded)
    return with_columns(panel, arms_dyad_years(transfers, panel[["ccode1", "ccode2", "year"]], loaded.coverage))
