"""Reading and validating a source file against its registry entry.

Version identity is by content: a file is a known version when its bytes' SHA-256 or the
SHA-256 of its parsed, canonically sorted declared columns (:func:`content_sha256`) is in
the registry, so CRLF line endings, a byte-order mark, column order, extra columns and row
order do not change the version or the panel. A file with unknown content but the right
columns and valid rows is accepted with an :class:`UnknownVersionWarning`; its coverage is
read from its year columns (bounded by the source's plausible years) or, for sources
without years, is the declared coverage; the rule used is recorded in the build metadata.
Anything else raises :class:`~alliances.errors.SourceError` naming the file, line, column
and value at fault.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from alliances.errors import SourceError, SourceNotFound
from alliances.sources.formats import READERS
from alliances.sources.locate import (
    find_file,
    present,
    resolve_data_dirs,
    sha256_source,
)
from alliances.sources.registry import LATEST_YEAR, REGISTRY, Source


@dataclass(frozen=True)
class Loaded:
    """A validated source table and its provenance."""

    source: Source
    path: Path
    sha256: str
    version: str
    coverage: tuple[int, int]
    frame: pd.DataFrame
    content_sha256: str = ""
    coverage_rule: str = ""
    # each row's place in the file(s) for sources read by :mod:`.formats` (None: CSV line = row + 2 before sorting)
    where: np.ndarray | None = field(default=None, repr=False, compare=False)
    # each row's position in the file before sorting (CSV line = position + 2)
    rows: np.ndarray | None = field(default=None, repr=False, compare=False)

    def place(self, row: int) -> str:
        """Where row ``row`` of :attr:`frame` stands in the file: ``line N`` (or the reader's place)."""
        if self.where is not None:
            return str(self.where[row])
        return f"line {int(self.rows[row]) + 2}" if self.rows is not None else f"row {row}"

    def provenance(self) -> dict:
        return {
            "source": self.source.key,
            "title": self.source.title,
            "file": self.path.name,
            "sha256": self.sha256,
            "content_sha256": self.content_sha256,
            "version": self.version,
            "coverage": list(self.coverage),
            "coverage_rule": self.coverage_rule,
            "citation": self.source.citation,
        }


def _read_csv(path: Path, source: Source) -> pd.DataFrame:
    """Parse with pyarrow (multi-threaded; BOM and CRLF are handled); a line with the wrong
    number of fields (a truncated or damaged file) is an error naming the line."""
    _sniff(path)
    try:  # the header only (bad rows are reported by the full read below)
        with pacsv.open_csv(path, parse_options=pacsv.ParseOptions(invalid_row_handler=lambda _row: "skip")) as reader:
            header = list(reader.schema.names)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise _unreadable(path, exc) from exc
    lower = {c.strip().lower(): c for c in header}
    missing = [c for c in source.columns if c not in lower]
    if missing:
        raise SourceError(
            f"{path}: not a valid '{source.key}' file ({source.title}): missing column(s) "
            f"{', '.join(missing)}; found {', '.join(list(lower)[:12])}" + (" ..." if len(lower) > 12 else "")
        )
    convert = pacsv.ConvertOptions(
        include_columns=[lower[c] for c in source.columns],
        column_types={lower[c]: pa.string() for c in source.text_columns},
        strings_can_be_null=True,
    )
    bad: list = []

    def invalid(row) -> str:
        bad.append(row)
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=threads),
                              parse_options=pacsv.ParseOptions(invalid_row_handler=invalid), convert_options=convert)

    try:
        table = read(True)
        if bad:  # read again on one thread: only then does pyarrow know the line number
            bad.clear()
            read(False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise _unreadable(path, exc) from exc
    if bad:
        row = bad[0]
        where = f"line {row.number}" if row.number is not None else "a line"
        raise SourceError(
            f"{path}: {where} has {row.actual_columns} field(s), the header {row.expected_columns} "
            f"({len(bad)} such line(s)); the file is truncated or damaged - download it again. "
            f"Line text: {row.text[:80]!r}"
        )
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_binary(column.type):  # pyarrow falls back to bytes where text is not UTF-8
            values = column.to_pylist()
            row = next(i for i, v in enumerate(values) if v is not None and not _is_utf8(v))
            raise SourceError(f"{path}: column '{name.strip().lower()}' is not UTF-8 text on line {row + 2} "
                              f"({values[row][:40]!r}); save the file as UTF-8")
    frame = table.to_pandas()
    frame.columns = [c.strip().lower() for c in frame.columns]
    return frame[list(source.columns)]


def _sniff(path: Path) -> None:
    """Refuse binary files before parsing: the first 64 KiB must be UTF-8 text without NUL bytes."""
    try:
        with pa.input_stream(str(path), compression="detect") as stream:
            head = stream.read(1 << 16)
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        raise _unreadable(path, exc) from exc
    text_like = b"\x00" not in head
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        text_like = text_like and exc.start >= len(head) - 3  # a character cut at the end of the sample
    if not text_like:
        raise SourceError(f"{path}: not a UTF-8 text CSV file (binary or other encoding in its first bytes); "
                          "download the file again or save it as UTF-8 CSV")


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unreadable(path: Path, exc: BaseException) -> SourceError:
    if isinstance(exc, PermissionError):
        return SourceError(f"{path}: permission denied; make the file readable (chmod u+r) or copy it elsewhere")
    if isinstance(exc, IsADirectoryError):
        return SourceError(f"{path}: is a folder, not a CSV file")
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return SourceError(f"{path}: cannot be read as CSV ({text}); download the file again")


def _show(value: object) -> str:
    """A cell as the user wrote it (numpy scalars as plain numbers)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _date_part(value: object) -> str:
    """A year, month or day as written (whole floats from columns with gaps as integers)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _line(frame: pd.DataFrame, mask: np.ndarray | pd.Series, where: np.ndarray | None = None) -> tuple[int, str, int]:
    """(first flagged row, its place in the file, count) of the rows flagged by ``mask``.

    Frames are validated before they are sorted, so in a CSV file row i is line i + 2 (line 1
    is the header; blank lines, which the parser skips, would shift this); readers of other
    layouts give each row's place in ``where``."""
    flags = np.asarray(mask, dtype=bool)
    row = int(np.flatnonzero(flags)[0])
    return row, (f"line {row + 2}" if where is None else str(where[row])), int(flags.sum())


def validate(frame: pd.DataFrame, path: Path, source: Source, where: np.ndarray | None = None) -> None:
    """Apply the source's declared rules; raise SourceError naming file, line, column and value.

    ``where`` gives each row's place for sources that are not one CSV table (:mod:`.formats`)."""
    for col in source.required:
        empty = frame[col].isna()
        if empty.any():
            row, at, n = _line(frame, empty, where)
            raise SourceError(f"{path}: column '{col}' is empty on {at} ({n} empty in all); "
                              "the file may be truncated or damaged - download it again")
    numeric = {}
    for col in source.int_columns + tuple(c for c in source.bounds if c not in source.int_columns):
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            row, at, n = _line(frame, bad, where)
            raise SourceError(f"{path}: column '{col}' must be numeric; {at} holds "
                              f"{_show(frame[col].iloc[row])} ({n} such value(s))")
        numeric[col] = values
    for col in source.int_columns:
        values = numeric[col]
        frac = values.notna() & (values % 1 != 0)
        if frac.any():
            row, at, n = _line(frame, frac, where)
            raise SourceError(f"{path}: column '{col}' must hold whole numbers; {at} holds "
                              f"{_show(values.iloc[row])} ({n} such value(s))")
    lo, hi = source.year_bounds[0], min(source.year_bounds[1], LATEST_YEAR)
    for col in source.year_columns:
        years = numeric[col]
        # ATOP codes "still in force" as yrexit 0; COW codes ongoing spells as -9 in some releases.
        bad = (years > 0) & ((years < lo) | (years > hi))
        if bad.any():
            row, at, n = _line(frame, bad, where)
            raise SourceError(f"{path}: column '{col}' holds year {years.iloc[row]:.0f} on {at}, "
                              f"outside the plausible span {lo}-{hi} for {source.title} ({n} such value(s))")
    for col, (low, high) in source.bounds.items():
        values = numeric[col]
        bad = values.notna() & ((values < low) | (values > high))
        if bad.any():
            row, at, n = _line(frame, bad, where)
            raise SourceError(f"{path}: column '{col}' holds {_show(values.iloc[row])} on {at}, outside "
                              f"its range {low}-{high} ({n} such value(s))")
    for start, end in source.order:
        first, last = _date_key(frame, start, end=False), _date_key(frame, end, end=True)
        bad = (last > 0) & (first > 0) & (last < first)
        if bad.any():
            row, at, n = _line(frame, bad, where)
            row = frame.iloc[row]
            raise SourceError(f"{path}: {at} ends before it starts: {'/'.join(end)} = "
                              f"{'/'.join(_date_part(row[c]) for c in end)} is before {'/'.join(start)} = "
                              f"{'/'.join(_date_part(row[c]) for c in start)} ({n} such row(s))")
    if source.row_key:
        dupes = frame.duplicated(list(source.row_key), keep=False)
        if dupes.any():
            row, at, n = _line(frame, dupes, where)
            row = frame.iloc[row]
            key = ", ".join(f"{c}={row[c]}" for c in source.row_key)
            raise SourceError(f"{path}: {n} rows share a key ({', '.join(source.row_key)}), first on {at} "
                              f"({key}); each key may appear once - remove the duplicated rows")


def _date_key(frame: pd.DataFrame, cols: tuple[str, ...], *, end: bool) -> np.ndarray:
    """A sortable number yyyymmdd from (year, month, day) columns or one ISO/yyyymm text date.

    Unknown parts (0 or empty) sort first for a start and last for an end; a year <= 0
    (ongoing) gives 0, which the order check skips."""
    if len(cols) == 1 and frame[cols[0]].dtype.kind not in "iuf":
        digits = frame[cols[0]].astype("string").str.replace(r"\D", "", regex=True).str.ljust(8, "0").str[:8]
        return pd.to_numeric(digits, errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    parts = [pd.to_numeric(frame[c], errors="coerce").fillna(0).to_numpy(dtype=np.int64) for c in cols]
    year = parts[0]
    fill = 99 if end else 0
    month = np.where(parts[1] > 0, parts[1], fill) if len(parts) > 1 else np.full_like(year, fill)
    day = np.where(parts[2] > 0, parts[2], fill) if len(parts) > 2 else np.full_like(year, fill)
    return np.where(year > 0, year * 10000 + month * 100 + day, 0)


def content_sha256(frame: pd.DataFrame, source: Source) -> str:
    """SHA-256 of the declared columns, parsed and canonically sorted.

    Numbers are hashed as float64, text as UTF-8, missing as a marker; rows are sorted by
    every declared column. Line endings, a byte-order mark, column order, extra columns and
    row order therefore leave the hash unchanged; any changed value changes it."""
    cols = list(source.columns)
    values, codes = [], []
    for col in cols:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            v = s.to_numpy(dtype="float64", na_value=np.nan)
            v = np.where(np.isnan(v), np.nan, v + 0.0)  # one NaN and no negative zero
            values.append(v)
            codes.append(pd.factorize(v, sort=True, use_na_sentinel=True)[0])
        else:
            text = s.astype("string").fillna("\x00NA").to_numpy(dtype=object)
            values.append(text)
            codes.append(pd.factorize(text, sort=True)[0])
    order = np.lexsort(codes[::-1]) if codes else np.arange(len(frame))
    digest = hashlib.sha256(json.dumps({"source": source.key, "columns": cols, "rows": len(frame)}).encode())
    for v in values:
        v = v[order]
        if v.dtype == object:
            digest.update("\x1f".join(v.tolist()).encode("utf-8"))
        else:
            digest.update(np.ascontiguousarray(v, dtype="<f8").tobytes())
        digest.update(b"\x1e")
    return digest.hexdigest()


def read_source(path: Path, source: Source) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The declared columns of a source file (or folder) as read, before validation and sorting, and
    each row's place for readers other than CSV (:mod:`.formats`; None: CSV line = row + 2)."""
    if source.reader == "csv":
        return _read_csv(path, source), None
    parsed = READERS[source.reader](path, source)
    return parsed.frame, parsed.where


def load(key: str, data_dir: str | os.PathLike | list[Path] | None = None,
         path: str | os.PathLike | None = None) -> Loaded:
    """Find, hash, read and validate one source; rows come back sorted by the source's key.

    Raises SourceError naming the file and the fault; warns (and records both hashes) for
    an unknown version whose columns and rows check out.
    """
    source = REGISTRY[key]
    dirs = data_dir if isinstance(data_dir, list) else resolve_data_dirs(data_dir)
    file = Path(path) if path is not None else find_file(source, dirs)
    if not present(file, source):
        kind = "folder" if source.folder_pattern else "file"
        raise SourceNotFound(f"source '{key}': {kind} {file} does not exist" +
                             (" (it is a folder)" if file.is_dir() else " (it is a file)" if file.is_file() else ""))
    try:
        digest = sha256_source(file, source)
    except OSError as exc:
        raise _unreadable(file, exc) from exc
    frame, where = read_source(file, source)
    if frame.empty:
        raise SourceError(f"{file}: '{key}' file has a header but no rows")
    known = next((v for v in source.versions if v.sha256 == digest), None)
    if known is None:  # registered bytes passed these rules (tests/test_sources.py checks them again)
        validate(frame, file, source, where)
    if source.row_key:  # canonical row order: the panel never depends on the file's row order
        order = frame.sort_values(list(source.row_key), kind="stable").index.to_numpy()
        frame = frame.iloc[order].reset_index(drop=True)
        where = where[order] if where is not None else None
    else:
        order = np.arange(len(frame))
    if known is not None and known.content:
        content = known.content
    else:
        content = content_sha256(frame, source)
        known = known or next((v for v in source.versions if v.content == content), None)
    if known is not None:
        version, coverage = known.version, known.coverage
        rule = f"registry: known version {known.version}"
    else:
        version = f"unknown (content sha256 {content[:12]})"
        coverage, rule = _coverage_from_data(frame, source)
        warnings.warn(
            f"{file}: unknown version of '{key}' ({source.title}); columns and rows check out, so it is used and "
            f"its SHA-256 {digest} recorded in the build metadata; coverage {coverage[0]}-{coverage[1]} ({rule})",
            UnknownVersionWarning,
            stacklevel=2,
        )
    return Loaded(source, file, digest, version, coverage, frame, content, rule, where, order)


class UnknownVersionWarning(UserWarning):
    """A source file with the right layout but content the registry does not know."""


class SourceWarning(UserWarning):
    """A source's rows are usable but not what the state system expects (codes, completeness)."""


def _coverage_from_data(frame: pd.DataFrame, source: Source) -> tuple[tuple[int, int], str]:
    """Coverage of an unknown version: its year columns (already bounded by validation), or
    the declared coverage for sources without years."""
    cols = source.coverage_columns or source.year_columns
    if not cols:
        cov = source.declared_coverage
        return cov, f"declared coverage of '{source.key}' (the file has no year column)"
    values = pd.concat([pd.to_numeric(frame[c], errors="coerce") for c in cols])
    values = values[values > 0]
    starts = pd.concat([pd.to_numeric(frame[c], errors="coerce") for c in (source.year_columns or cols)])
    cov = (int(starts[starts > 0].min()), int(values.max()))
    return cov, (f"read from the data: first year in {', '.join(source.year_columns or cols)}, last year in "
                 f"{', '.join(cols)}, within the plausible span {source.year_bounds[0]}-"
                 f"{min(source.year_bounds[1], LATEST_YEAR)}")
