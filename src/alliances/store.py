"""Parquet output with the codebook and provenance embedded, written atomically.

Key-value metadata of each file (all JSON strings):

- ``alliances.codebook``: one entry per column (name, dtype, description, unit, sources,
  extension rule);
- ``alliances.build``: package version, build parameters, row count, the SHA-256, version,
  coverage and citation of every input, and the rule applied past each source's coverage;
- ``alliances.table``: ``dyad_years``, ``agreement_dyads`` or ``agreements``.

Each Arrow field also carries its own ``description`` and ``unit`` so R's ``arrow`` and
DuckDB show them. Nothing time-dependent is stored: two builds of the same inputs give
byte-identical files.

A build commits whole: every file is first written to a temporary file, then
``build.json`` (the manifest naming the build's ``build_id`` and files) and the files are
renamed into place. Each file carries the same ``build_id`` in ``alliances.build``;
readers refuse a file whose ``build_id`` differs from the manifest beside it, so an
interrupted build can never pass as a new panel beside an old agreement table.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from alliances.atomic import atomic_path, commit, folder_lock, remove_stale, staged
from alliances.codebook import (
    NULLABLE_INTS,
    Column,
    agreement_columns,
    agreement_dyad_columns,
    dyad_year_columns,
    to_markdown,
)
from alliances.errors import OutputError, PanelError, UsageError, os_error
from alliances.metadata import SharedMetadata
from alliances.sources import REGISTRY

if TYPE_CHECKING:  # type hints only: reading and writing a panel needs none of the build stages
    from alliances.build import Build

META_PREFIX = "alliances."
MANIFEST = "build.json"
# Page checksums let readers detect damaged data pages instead of returning wrong values.
WRITE_OPTIONS = {"compression": "zstd", "row_group_size": 1 << 20, "write_page_checksum": True}
TABLE_FILES = {"dyad_years": "dyad_years.parquet", "agreement_dyads": "agreement_dyads.parquet",
               "agreements": "agreements.parquet"}


def _table(frame: pd.DataFrame, columns: list[Column], name: str, build_meta: dict) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    by_name = {c.name: c for c in columns}
    fields = []
    for f in table.schema:
        col = by_name[f.name]
        fields.append(f.with_metadata({"description": col.description, "unit": col.unit,
                                       "sources": ",".join(col.sources), "extension": col.extension}))
    # pandas' own metadata is dropped: it cannot describe Arrow list columns portably, and R,
    # DuckDB and pandas all read the Arrow types (dictionary -> factor/categorical) directly.
    meta = {}
    meta.update({
        b"alliances.table": name.encode(),
        b"alliances.codebook": json.dumps([c.as_dict() for c in columns], sort_keys=True).encode(),
        b"alliances.build": json.dumps(build_meta, sort_keys=True).encode(),
    })
    return table.cast(pa.schema(fields, metadata=meta))


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write to a temporary file in the target directory, then rename over the target."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **WRITE_OPTIONS)


def build_id(metadata: dict) -> str:
    """Identity of a build: SHA-256 of its metadata (inputs' hashes, parameters, version)."""
    return hashlib.sha256(json.dumps(metadata, sort_keys=True).encode()).hexdigest()[:16]


def write_build(build: Build, out_dir: str | os.PathLike = "datasets") -> dict[str, Path]:
    """Write ``dyad_years.parquet``, ``agreement_dyads.parquet``, ``agreements.parquet`` and
    the manifest ``build.json`` into ``out_dir``, committing them together.

    All tables are converted and written to temporary files before any target is replaced,
    so a conversion error, a full disk or an unwritable folder leaves the previous build
    untouched; temporary files of killed builds are removed first.
    """
    out = Path(out_dir)
    meta = {**build.metadata}
    meta["build_id"] = build_id(build.metadata)
    tables = {
        "dyad_years": _table(build.panel, dyad_year_columns(), "dyad_years", meta),
        "agreement_dyads": _table(build.agreements, agreement_dyad_columns(), "agreement_dyads",
                                  {**meta, "rows": len(build.agreements)}),
    }
    if build.agreement_table is not None:
        tables["agreements"] = _table(build.agreement_table, agreement_columns(), "agreements",
                                      {**meta, "rows": len(build.agreement_table)})
    paths = {name: out / TABLE_FILES[name] for name in tables}
    manifest = {"build_id": meta["build_id"], "package": meta["package"], "version": meta["version"],
                "files": {name: {"file": TABLE_FILES[name], "rows": tables[name].num_rows} for name in tables}}
    with ExitStack() as stack:
        # one writer at a time: another build's staged files are not stale while it runs
        stack.enter_context(folder_lock(out))
        remove_stale(out, [*TABLE_FILES.values(), MANIFEST])
        staged_paths = {name: stack.enter_context(staged(path)) for name, path in paths.items()}
        manifest_tmp = stack.enter_context(staged(out / MANIFEST))
        for name, table in tables.items():
            try:
                pq.write_table(table, staged_paths[name], **WRITE_OPTIONS)
            except OSError as exc:  # named here: the staged files' handlers would name the last one opened
                raise os_error(exc, paths[name]) from exc
        manifest_tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        # The manifest goes first: from here on, a file not yet renamed is refused as stale.
        commit(manifest_tmp, out / MANIFEST)
        for name, path in paths.items():
            commit(staged_paths[name], path)
    return paths


def _check_manifest(path: Path, meta: dict) -> None:
    """Refuse a file that is not the one the manifest beside it names (an interrupted build)."""
    manifest = path.parent / MANIFEST
    if not manifest.is_file():
        return
    try:
        entry = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise PanelError(f"{manifest}: unreadable build manifest ({exc}); rebuild with `alliances build --out "
                         f"{path.parent}`") from exc
    names = {f["file"] for f in entry.get("files", {}).values()}
    mine = meta.get("build", {}).get("build_id")
    if path.name in names and mine != entry.get("build_id"):
        raise PanelError(
            f"{path}: this file is from build {mine or '(none)'}, but {manifest} names build {entry.get('build_id')}: "
            f"the last build into {path.parent} was interrupted and its files do not belong together; rebuild with "
            f"`alliances build --out {path.parent}`"
        )


def _no_such_file(path) -> PanelError:
    return PanelError(f"{path}: no such file; build it with `alliances build`")


def read_metadata(path: str | os.PathLike) -> dict:
    """The ``alliances.*`` metadata of a Parquet file, JSON-decoded (checked against ``build.json``)."""
    path = Path(path)
    if path.is_dir():
        raise PanelError(f"{path}: is a folder; give the Parquet file, e.g. {path / TABLE_FILES['dyad_years']}")
    if not path.is_file():
        raise _no_such_file(path)
    try:
        raw = pq.read_schema(path).metadata or {}
    except PermissionError as exc:
        raise OutputError(f"cannot read {path}: permission denied; make it readable (chmod u+r)") from exc
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged files
        raise PanelError(f"{path}: not a readable Parquet file ({_first_line(exc)}); rebuild it with "
                         "`alliances build`") from exc
    meta = {k.decode()[len(META_PREFIX):]: v.decode() for k, v in raw.items() if k.startswith(META_PREFIX.encode())}
    if "codebook" not in meta:
        raise PanelError(f"{path}: Parquet file without alliances metadata; was it written by `alliances build`?")
    try:
        decoded = {k: (json.loads(v) if k != "table" else v) for k, v in meta.items()}
    except ValueError as exc:
        raise PanelError(f"{path}: damaged alliances metadata ({exc}); rebuild it with `alliances build`") from exc
    _check_manifest(path, decoded)
    return decoded


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _reading(path) -> Iterator[None]:
    """Read a built file's pages: permission and damage (corrupt pages, truncation) become clear errors."""
    try:
        yield
    except PermissionError as exc:
        raise OutputError(f"cannot read {path}: permission denied; make it readable (chmod u+r)") from exc
    except FileNotFoundError as exc:
        raise _no_such_file(path) from exc
    except Exception as exc:  # noqa: BLE001 - corrupt pages surface as OSError/ArrowInvalid/...
        raise PanelError(f"{path}: damaged Parquet file ({_first_line(exc)}); rebuild it with `alliances build`") from exc


def read_table(path: str | os.PathLike, columns: list[str] | None = None) -> tuple[pd.DataFrame, dict]:
    """A built Parquet file as a DataFrame (nullable integers restored) and its metadata.

    A damaged file (corrupt pages, truncated) raises :class:`PanelError` naming it."""
    meta = read_metadata(path)
    if columns is not None:
        known = set(pq.read_schema(path).names)
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise PanelError(f"{path}: no column(s) {', '.join(unknown)}; see `alliances inspect {path}`")
    return _read_frame(path, columns, meta["codebook"]), meta


def present_columns(path: str | os.PathLike, columns: Sequence[str]) -> list[str]:
    """Those of ``columns`` that the Parquet file at ``path`` has, in the file's order: a part
    of a panel to read, where an absent column is reported later by what needs it (a model's
    unknown covariate, for example), as it would be after reading the whole file."""
    wanted = set(columns)
    return [n for n in column_names(path) if n in wanted]


def column_names(path: str | os.PathLike) -> list[str]:
    """The columns of the Parquet file at ``path``, in the file's order (its schema only)."""
    with _reading(path):
        return pq.read_schema(path).names


def is_list_column(series: pd.Series) -> bool:
    """Whether a column of a read or built table is an Arrow list column (``atopids``)."""
    return isinstance(series.dtype, pd.ArrowDtype) and pa.types.is_list(series.dtype.pyarrow_dtype)


def _read_frame(path, columns: list[str] | None, codebook: list[dict]) -> pd.DataFrame:
    """The file's columns as a DataFrame, the nullable integer columns as their declared types.

    Each column becomes its own block and Arrow's buffers are released column by column
    (``split_blocks``, ``self_destruct``), so the peak stays near one copy of the data, where
    ``pd.read_parquet`` followed by a cast of the nullable columns holds two."""
    with _reading(path):
        table = pq.read_table(path, columns=columns, page_checksum_verification=True)
    declared = {e["name"]: e["dtype"] for e in codebook if e["dtype"] in NULLABLE_INTS}
    order = table.column_names
    nullable = [n for n in order if n in declared]
    # Arrow integers with nulls would come out as float64: convert those columns directly
    converted = {n: table.column(n).to_pandas(types_mapper=lambda _t, d=declared[n]: pd.api.types.pandas_dtype(d))
                 for n in nullable}
    table = table.drop_columns(nullable)
    # list columns (atopids) stay Arrow-backed, as the build makes them: as numpy object arrays
    # each row would be its own array object (400 MB on the full panel)
    frame = table.to_pandas(split_blocks=True, self_destruct=True,
                            types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_list(t) else None)
    del table
    if not nullable:
        return frame
    return pd.concat([frame, pd.DataFrame(converted, index=frame.index)], axis=1)[order]


def read_panel(path: str | os.PathLike = "datasets/dyad_years.parquet", columns: list[str] | None = None) -> pd.DataFrame:
    """Read a panel written by :func:`write_build`; metadata lands in ``frame.attrs['alliances']``."""
    frame, meta = read_table(path, columns)
    frame.attrs["alliances"] = SharedMetadata(meta["build"])
    frame.attrs["alliances_table"] = meta["table"]
    return frame


def codebook_markdown() -> str:
    """The text of ``datasets/codebook.md``, generated from the column declarations."""
    intro = ("Generated by `alliances codebook` from the column declarations in `src/alliances/`; the same "
             "entries are embedded in each Parquet file (key `alliances.codebook`). One row per undirected "
             "dyad-year (ccode1 < ccode2) by default; `alliances build --directed` gives both orders, where "
             "obligations are ccode1's pledges. The panel is also counting-process data: each row is the "
             "interval (year - 1, year].")
    dy = to_markdown(dyad_year_columns(), "Codebook: dyad_years.parquet", REGISTRY, intro)
    ag = to_markdown(agreement_dyad_columns(), "Codebook: agreement_dyads.parquet", REGISTRY,
                     "One row per undirected dyad x ATOP agreement phase in which both states were members at "
                     "the same time; trace every tie in dyad_years to its atopid here.")
    tb = to_markdown(agreement_columns(), "Codebook: agreements.parquet", REGISTRY,
                     "One row per ATOP agreement (atopid), sorted by atopid: dates, members, founding members "
                     "and founding great powers, ATOP bilat and wartime, obligations, tie level, and the dyad-year "
                     "onsets it produced as primary agreement in the panel of the same build (see "
                     "`alliance_onset_agreement` above; `alliances.onset_sources` gives the shares).")
    return dy + "\n" + ag + "\n" + tb


def _csv_table(path: str | os.PathLike) -> pa.Table:
    """The Parquet table with CSV-ready columns: lists joined with ';', categories as their
    labels, booleans as 0/1; nulls stay empty cells."""
    read_metadata(path)  # the same checks as every reader (manifest, alliances metadata)
    with _reading(path):
        table = pq.read_table(path, page_checksum_verification=True)
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            column = pc.binary_join(pc.cast(column, pa.list_(pa.string())), ";")
        elif pa.types.is_dictionary(kind):
            column = pc.cast(column, pa.string())
        elif pa.types.is_boolean(kind):
            column = pc.cast(column, pa.int8())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def export_panel(path: str | os.PathLike, fmt: str = "csv", out: str | os.PathLike | None = None) -> Path:
    """Write a built Parquet file as CSV or Stata ``.dta`` (atomically).

    List columns (``atopids``) become ';'-joined strings; categories (``tie``) keep their
    labels: text in CSV, value labels in Stata (codes 0 none, 1 coordination, 2 alignment,
    3 alliance). Stata variable labels carry the codebook descriptions (80 characters).
    """
    if fmt not in ("csv", "dta"):
        raise UsageError(f"--format must be csv or dta, got {fmt!r}")
    target = Path(out) if out is not None else Path(path).with_suffix(f".{fmt}")
    if fmt == "csv":  # Arrow's multi-threaded writer, column by column: no pandas round trip
        table = _csv_table(path)
        with atomic_path(target) as tmp:
            pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(quoting_style="needed"))
        return target
    frame, meta = read_table(path)
    for col in frame.columns:
        if is_list_column(frame[col]):
            joined = pc.binary_join(pc.cast(pa.array(frame[col].array), pa.list_(pa.string())), ";")
            frame[col] = pc.fill_null(joined, "").to_numpy(zero_copy_only=False).astype(object)
        elif frame[col].dtype == bool:
            frame[col] = frame[col].astype("int8")
        elif pd.api.types.is_string_dtype(frame[col]) and str(frame[col].dtype) != "category":
            # text (missing as ""): Stata cannot store an all-null text column
            frame[col] = frame[col].astype("string").fillna("").astype(object)
        elif str(frame[col].dtype).startswith("date32") or frame[col].dtype == object:
            frame[col] = frame[col].astype(str).replace({"None": "", "NaT": ""})
    with atomic_path(target) as tmp:
        labels = {c["name"]: c["description"][:80] for c in meta["codebook"]}
        for col in frame.columns:
            if str(frame[col].dtype) == "category" and col not in ("tie",):
                frame[col] = frame[col].astype(str)
            if str(frame[col].dtype) in NULLABLE_INTS:
                frame[col] = frame[col].astype("float64")
        frame.to_stata(tmp, write_index=False, version=118, variable_labels=labels,
                       data_label=f"alliances {meta['build']['version']} {meta['table']}"[:80])
    return target
