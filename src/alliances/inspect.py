"""Human-readable description of a Parquet file written by `alliances build`."""

from __future__ import annotations

import difflib
import os

import pandas as pd
import pyarrow.parquet as pq

from alliances.errors import PanelError
from alliances.store import is_list_column, read_metadata, read_table

DYAD_VIEW = ["year", "tie", "defense", "offense", "neutral", "nonagg", "consul", "n_agreements", "atopids",
             "alliance_onset", "alliance_new", "alignment_onset", "cinc1", "cinc2", "cap_ratio", "major1", "major2",
             "rivals", "shared_rivals", "common_threat_ccode", "extended_sources"]


def parse_dyad(text: str, frame: pd.DataFrame | None = None) -> tuple[int, int]:
    """'365-710', '710-365', 'RUS-CHN' -> (smaller code, larger code)."""
    parts = text.replace(",", "-").split("-")
    if len(parts) != 2:
        raise PanelError(f"dyad must look like 365-710 or RUS-CHN; got {text!r}")
    codes = []
    for part in parts:
        part = part.strip()
        if part.isdigit():
            codes.append(int(part))
            continue
        if frame is None or "stateabb1" not in frame:
            raise PanelError(f"this table has no state abbreviations to resolve {part!r}; use COW codes, e.g. 365-710")
        abb = pd.concat([frame[["stateabb1", "ccode1"]].set_axis(["abb", "code"], axis=1),
                         frame[["stateabb2", "ccode2"]].set_axis(["abb", "code"], axis=1)]).drop_duplicates()
        hit = abb.loc[abb["abb"].astype(str).str.upper() == part.upper(), "code"]
        if hit.empty:
            raise PanelError(f"unknown state abbreviation {part!r} (COW abbreviations such as RUS, CHN, USA)")
        codes.append(int(hit.iloc[0]))
    return min(codes), max(codes)


def _unknown(path, names: list[str], book: dict) -> PanelError:
    hints = []
    for name in names:
        close = difflib.get_close_matches(name, list(book), n=3)
        hints.append(f"{name!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    return PanelError(f"{path}: no column {'; '.join(hints)}")


def describe(path: str | os.PathLike, column: str | None = None, dyad: str | None = None,
             columns: list[str] | None = None, provenance: bool = False) -> str:
    """A short header (table, rows, columns, version, years); with ``provenance`` every input's
    file, version, coverage and hash and the rule past each source's coverage; ``column``: its
    codebook entry and a summary; ``dyad``: its rows, with ``columns`` (default: a view of the
    ties, onsets, power and threat); without ``column`` or ``dyad`` the list of columns."""
    meta = read_metadata(path)
    build = meta["build"]
    schema = pq.read_schema(path)
    book = {c["name"]: c for c in meta["codebook"]}
    params = build["parameters"]
    lines = [f"{path}: table {meta['table']}, {pq.ParquetFile(path).metadata.num_rows:,} rows, "
             f"{len(schema.names)} columns; alliances {build['version']}, years {params.get('start')}-"
             f"{params.get('end')}{', directed' if params.get('directed') else ''}, build {build.get('build_id', '-')}"]
    if provenance:
        lines.append("inputs:")
        for src in build["inputs"]:
            lines.append(f"  {src['source']:<14} {src['file']:<45} v{src['version']:<10} "
                         f"{src['coverage'][0]}-{src['coverage'][1]}  sha256 {src['sha256'][:16]}")
        lines.append("past coverage:")
        for key, ext in build["extensions"].items():
            lines.append(f"  {key:<14} after {ext['coverage_end']}: {ext['rule']}"
                         + (f" ({ext['note']})" if ext.get("note") else ""))
        if build.get("user_events"):
            ev = build["user_events"]
            lines.append(f"user events: {ev['file']} ({ev['rows']} rows, sources {', '.join(ev['sources'])})")
    if column is not None:
        if column not in book:
            raise _unknown(path, [column], book)
        entry = book[column]
        values = read_table(path, [column])[0][column]
        lines += ["", f"column {column} ({entry['dtype']}, unit: {entry['unit'] or '-'})",
                  f"  {entry['description']}", f"  sources: {', '.join(entry['sources'])}",
                  f"  past coverage: {entry['extension']}",
                  f"  non-missing {int(values.notna().sum()):,}, missing {int(values.isna().sum()):,}"]
        if values.dtype.kind in "biuf" and values.nunique() > 10:
            lines.append("  " + values.describe().to_string().replace("\n", "\n  "))
        elif values.dtype.kind in "biufO" or str(values.dtype) == "category":
            lines.append("  " + values.astype(str).value_counts().head(12).to_string().replace("\n", "\n  "))
    elif dyad is None:
        lines += ["", "columns:"]
        for name in schema.names:
            lines.append(f"  {name:<28} {book[name]['dtype']:<12} {book[name]['description'][:90]}")
    if dyad is not None:
        if columns:
            missing = [c for c in columns if c not in book]
            if missing:
                raise _unknown(path, missing, book)
            view = ["year", *[c for c in columns if c != "year"]]
        else:
            view = [c for c in DYAD_VIEW if c in book] if meta["table"] == "dyad_years" else list(schema.names)
        keys = [c for c in ("ccode1", "ccode2", "stateabb1", "stateabb2") if c in book]
        frame = read_table(path, list(dict.fromkeys([*keys, *view])))[0]
        a, b = parse_dyad(dyad, frame)
        rows = frame[(frame["ccode1"] == a) & (frame["ccode2"] == b)]
        if rows.empty:
            raise PanelError(f"{path}: no rows for dyad {a}-{b} (is each a COW system member in the panel's years?)")
        shown = rows[view].copy()
        for col in shown.columns:  # lists as [1, 2]; missing lists as <NA>
            if is_list_column(shown[col]):
                shown[col] = [("[" + ", ".join(map(str, v)) + "]") if isinstance(v, list) else "<NA>"
                              for v in shown[col].tolist()]
        with pd.option_context("display.width", 250, "display.max_columns", 40, "display.max_rows", 400):
            lines += ["", f"dyad {a}-{b}: {len(rows)} rows", shown.to_string(index=False)]
    return "\n".join(lines)
