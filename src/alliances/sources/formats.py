"""Readers for the sources that are not one plain CSV table: a Stata file and SIPRI's export tables.

Each reader returns the declared columns as a frame and, for every row, where it stands in
the files (``Parsed.where``: ``"<file> line <n>"`` or ``"<file> observation <n>"``), so the
validator and the stages that map names name the file and line at fault. The generic CSV
path lives in :mod:`alliances.sources.reading`.

- ``stata`` (the UN General Assembly ideal points, Bailey, Strezhnev and Voeten 2017): a
  Stata ``.dta`` file read with pandas; column names are matched case-insensitively, and a
  file without a declared column is refused with the columns it has.
- ``sipri`` (SIPRI Arms Transfers Database, trend-indicator values): a folder of SIPRI's own
  export tables, one ``TIV-Export-XXX-<first>-<last>.csv`` per supplier. Each file opens with
  a title line naming the supplier (``"TIV of arms exports from China, 1950-2021"``), notes,
  then a header row of years (``,1950,...,2021,Total``) and one row per recipient **name**;
  a final ``Total`` row sums the recipients. An empty cell means no delivery recorded; SIPRI
  writes ``0`` for deliveries under 0.5 million TIV. The reader returns one row per
  (supplier, recipient, year) with a recorded delivery (``tiv`` in millions of TIV, 0 kept).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alliances.errors import SourceError
from alliances.sources.locate import folder_files
from alliances.sources.registry import Source


@dataclass(frozen=True)
class Parsed:
    """A source's declared columns and each row's place in the file(s)."""

    frame: pd.DataFrame
    where: np.ndarray  # object array of "<file> line <n>" texts, one per row


def read_stata(path: Path, source: Source) -> Parsed:
    """The declared columns of a Stata file (names matched case-insensitively)."""
    try:
        raw = pd.read_stata(path, convert_categoricals=False, preserve_dtypes=True)
    except (ValueError, OSError, EOFError, UnicodeDecodeError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"{path}: cannot be read as a Stata .dta file ({text}); download the file again") from exc
    lower = {str(c).strip().lower(): c for c in raw.columns}
    missing = [c for c in source.columns if c not in lower]
    if missing:
        raise SourceError(
            f"{path}: not a valid '{source.key}' file ({source.title}): missing column(s) {', '.join(missing)}; "
            f"found {', '.join(list(lower)[:16])}" + (" ..." if len(lower) > 16 else ""))
    frame = pd.DataFrame({c: raw[lower[c]].to_numpy() for c in source.columns})
    for col in frame.columns:  # Stata stores whole numbers as float32 often; compare and hash as float64
        if frame[col].dtype.kind == "f":
            frame[col] = frame[col].astype("float64")
    where = np.array([f"{path.name} observation {i + 1}" for i in range(len(frame))], dtype=object)
    return Parsed(frame, where)


_TITLE = re.compile(r"^TIV of arms exports from (?P<supplier>.+), (?P<first>\d{4})-(?P<last>\d{4})$")


def read_sipri(folder: Path, source: Source) -> Parsed:
    """Every export table in ``folder`` as (supplier, recipient, year, tiv) rows of recorded deliveries."""
    files = folder_files(folder, source.folder_pattern)
    if not files:
        raise SourceError(f"{folder}: no SIPRI export tables ({source.folder_pattern}) in this folder")
    tables = [_sipri_table(file) for file in files]
    text = pd.Series(np.concatenate([t["text"] for t in tables]), dtype="string")
    tiv = pd.to_numeric(text, errors="coerce")  # one conversion for every file
    where = np.concatenate([t["where"] for t in tables])
    recipient = np.concatenate([t["recipient"] for t in tables])
    bad = tiv.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        name, place = where[i].split(" line ", 1)
        raise SourceError(f"{folder / name}: line {place}, recipient {recipient[i]!r}: TIV {text.iloc[i]!r} is not "
                          f"a number ({int(bad.sum())} such cell(s))")
    frame = pd.DataFrame({
        "supplier": np.concatenate([np.full(len(t["text"]), t["supplier"], dtype=object) for t in tables]),
        "recipient": recipient,
        "year": np.concatenate([t["year"] for t in tables]),
        "tiv": tiv.to_numpy(dtype="float64"),
    })
    return Parsed(frame[list(source.columns)], where)


def _sipri_table(file: Path) -> dict:
    """One export table's recorded cells: supplier, and per cell the recipient, year, text and place."""
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise SourceError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8 CSV") \
            from exc
    except OSError as exc:
        raise SourceError(f"{file}: cannot be read ({exc.strerror or exc})") from exc
    title = rows[0][0].strip() if rows and rows[0] else ""
    match = _TITLE.match(title)
    if match is None:
        raise SourceError(f"{file}: line 1 should name the supplier as 'TIV of arms exports from NAME, FIRST-LAST' "
                          f"(a SIPRI export table); it reads {title[:80]!r}")
    header_at = next((i for i, r in enumerate(rows) if len(r) > 1 and not r[0].strip() and r[1].strip().isdigit()),
                     None)
    if header_at is None:
        raise SourceError(f"{file}: no header row of years (',1950,1951,...,Total') after the title; "
                          "not a SIPRI export table")
    year_cells = [c.strip() for c in rows[header_at][1:]]
    year_cells = [c for c in year_cells if c and c.lower() != "total"]
    bad_year = next((c for c in year_cells if not c.isdigit()), None)
    if bad_year is not None:
        raise SourceError(f"{file}: line {header_at + 1}: header cell {bad_year!r} is not a year")
    years = np.array([int(c) for c in year_cells], dtype=np.int64)
    n_years = len(years)
    names, lines, cells = [], [], []
    for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(c.strip() for c in row):
            continue
        name = row[0].strip()
        if name.lower() == "total":  # SIPRI's column sums, not a recipient
            continue
        if not name:
            raise SourceError(f"{file}: line {number} has values but no recipient name")
        names.append(name)
        lines.append(number)
        cells.append([c.strip() for c in (row[1:1 + n_years] + [""] * n_years)[:n_years]])
    grid = np.array(cells, dtype=object).reshape(len(cells), n_years)
    row, col = np.nonzero(grid != "")
    names_arr, lines_arr = np.asarray(names, dtype=object), np.asarray(lines)
    return {
        "supplier": match["supplier"].strip(),
        "recipient": names_arr[row],
        "year": years[col],
        "text": grid[row, col],
        "where": np.array([f"{file.name} line {lines_arr[r]}, year {years[c]}" for r, c in zip(row, col)], dtype=object),
    }


READERS = {"stata": read_stata, "sipri": read_sipri}
