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
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import atomic_path
from .build import Build
from .codebook import NULLABLE_INTS, Column, agreement_columns, agreement_dyad_columns, dyad_year_columns, to_markdown
from .errors import PanelError
from .sources import REGISTRY

META_PREFIX = "alliances."


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
        pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20)


def write_build(build: Build, out_dir: str | os.PathLike = "datasets") -> dict[str, Path]:
    """Write ``dyad_years.parquet``, ``agreement_dyads.parquet`` and ``agreements.parquet`` into ``out_dir``.

    Each file is written to a temporary file and renamed; all tables are converted to Arrow
    before the first file is written, so a conversion error leaves no file behind.
    """
    out = Path(out_dir)
    paths = {"dyad_years": out / "dyad_years.parquet", "agreement_dyads": out / "agreement_dyads.parquet"}
    tables = {
        "dyad_years": _table(build.panel, dyad_year_columns(), "dyad_years", build.metadata),
        "agreement_dyads": _table(build.agreements, agreement_dyad_columns(), "agreement_dyads",
                                  {**build.metadata, "rows": len(build.agreements)}),
    }
    if build.agreement_table is not None:
        paths["agreements"] = out / "agreements.parquet"
        tables["agreements"] = _table(build.agreement_table, agreement_columns(), "agreements",
                                      {**build.metadata, "rows": len(build.agreement_table)})
    for name, table in tables.items():
        write_parquet_atomic(table, paths[name])
    return paths


def read_metadata(path: str | os.PathLike) -> dict:
    """The ``alliances.*`` metadata of a Parquet file, JSON-decoded."""
    path = Path(path)
    if not path.is_file():
        raise PanelError(f"{path}: no such file; build it with `alliances build`")
    try:
        raw = pq.read_schema(path).metadata or {}
    except Exception as exc:  # noqa: BLE001
        raise PanelError(f"{path}: not a readable Parquet file ({exc})") from exc
    meta = {k.decode()[len(META_PREFIX):]: v.decode() for k, v in raw.items() if k.startswith(META_PREFIX.encode())}
    if "codebook" not in meta:
        raise PanelError(f"{path}: Parquet file without alliances metadata; was it written by `alliances build`?")
    return {k: (json.loads(v) if k != "table" else v) for k, v in meta.items()}


def read_panel(path: str | os.PathLike = "datasets/dyad_years.parquet", columns: list[str] | None = None) -> pd.DataFrame:
    """Read a panel written by :func:`write_build`; metadata lands in ``frame.attrs['alliances']``."""
    meta = read_metadata(path)
    frame = pd.read_parquet(path, columns=columns)
    _restore_nullable(frame, meta["codebook"])
    frame.attrs["alliances"] = meta["build"]
    frame.attrs["alliances_table"] = meta["table"]
    return frame


def _restore_nullable(frame: pd.DataFrame, codebook: list[dict]) -> None:
    """Nullable integer columns (Arrow ints with nulls read as float64) back to their declared type."""
    for entry in codebook:
        if entry["dtype"] in NULLABLE_INTS and entry["name"] in frame.columns:
            frame[entry["name"]] = frame[entry["name"]].astype(entry["dtype"])


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


def export_panel(path: str | os.PathLike, fmt: str = "csv", out: str | os.PathLike | None = None) -> Path:
    """Write a built Parquet file as CSV or Stata ``.dta`` (atomically).

    List columns (``atopids``) become ';'-joined strings; categories (``tie``) keep their
    labels: text in CSV, value labels in Stata (codes 0 none, 1 coordination, 2 alignment,
    3 alliance). Stata variable labels carry the codebook descriptions (80 characters).
    """
    if fmt not in ("csv", "dta"):
        raise PanelError(f"--format must be csv or dta, got {fmt!r}")
    meta = read_metadata(path)
    frame = pd.read_parquet(path)
    _restore_nullable(frame, meta["codebook"])
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
            frame[col] = frame[col].map(lambda v: "" if v is None else ";".join(str(int(x)) for x in v))
        elif frame[col].dtype == bool:
            frame[col] = frame[col].astype("int8")
        elif str(frame[col].dtype).startswith("date32") or frame[col].dtype == object:
            frame[col] = frame[col].astype(str).replace({"None": "", "NaT": ""})
    target = Path(out) if out is not None else Path(path).with_suffix(f".{fmt}")
    with atomic_path(target) as tmp:
        if fmt == "csv":
            frame.to_csv(tmp, index=False, lineterminator="\n")
        else:
            labels = {c["name"]: c["description"][:80] for c in meta["codebook"]}
            for col in frame.columns:
                if str(frame[col].dtype) == "category" and col not in ("tie",):
                    frame[col] = frame[col].astype(str)
                if str(frame[col].dtype) in NULLABLE_INTS:
                    frame[col] = frame[col].astype("float64")
            frame.to_stata(tmp, write_index=False, version=118, variable_labels=labels,
                           data_label=f"alliances {meta['build']['version']} {meta['table']}"[:80])
    return target
