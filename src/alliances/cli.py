"""Command-line interface (thin: every command calls the library)."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from .errors import AlliancesError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Dyad-year panels and models of alliance and alignment formation (ATOP + COW).")
console = Console(stderr=True, soft_wrap=True)
out = Console()

DataDir = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="folder with the source files (default: $ALLIANCES_DATA, then ../shared/data)")]


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


def _parse_sources(values: list[str] | None) -> dict[str, Path]:
    from .sources import REGISTRY

    paths = {}
    for item in values or []:
        key, sep, path = item.partition("=")
        if not sep or key not in REGISTRY:
            raise AlliancesError(f"--source takes KEY=PATH with KEY one of {', '.join(sorted(REGISTRY))}; got {item!r}")
        paths[key] = Path(path)
    return paths


@app.command()
def build(
    start: Annotated[int, typer.Option(help="first year")] = 1816,
    end: Annotated[int, typer.Option(help="last year (years past a source's coverage follow its named rule)")] = 2022,
    directed: Annotated[bool, typer.Option("--directed", help="both orders of each dyad; row (A, B) carries A's pledges")] = False,
    data_dir: DataDir = None,
    out_dir: Annotated[Path, typer.Option("--out", help="output folder")] = Path("datasets"),
    source: Annotated[Optional[list[str]], typer.Option(
        "--source", help="use this file for one source, KEY=PATH (e.g. atop_members=atop5_1m.csv); repeatable")] = None,
) -> None:
    """Build dyad_years.parquet and agreement_dyads.parquet (written atomically)."""
    from .build import run
    from .store import write_build

    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with console.status("building") as status:
                def say(msg: str) -> None:
                    console.log(msg)
                    status.update(msg)

                result = run(start=start, end=end, directed=directed, data_dir=data_dir,
                             paths=_parse_sources(source), progress=say)
                say("writing Parquet")
                paths = write_build(result, out_dir)
        for w in caught:
            console.print(f"[yellow]warning:[/] {w.message}")
    except AlliancesError as exc:
        _fail(exc)
    console.log(f"done in {time.perf_counter() - t0:.1f} s")
    for name, path in paths.items():
        out.print(f"{name}: {path}")
    out.print(f"rows: {len(result.panel):,} dyad-years, {len(result.agreements):,} agreement-dyads")


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="a Parquet file written by `alliances build`")],
    column: Annotated[Optional[str], typer.Option(help="show this column's codebook entry and summary")] = None,
    dyad: Annotated[Optional[str], typer.Option(help="show the rows of one dyad, e.g. 365-710")] = None,
) -> None:
    """Schema, provenance, codebook, row counts, and the rows of one dyad."""
    from .inspect import describe

    try:
        typer.echo(describe(path, column=column, dyad=dyad))
    except AlliancesError as exc:
        _fail(exc)


@app.command()
def codebook(
    out_path: Annotated[Path, typer.Option("--out", help="where to write the Markdown codebook")] = Path("datasets/codebook.md"),
) -> None:
    """Write the codebook generated from the column declarations."""
    from .store import codebook_markdown

    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(codebook_markdown())
    out.print(f"codebook: {out_path}")


@app.command()
def census(
    data_dir: DataDir = None,
    out_dir: Annotated[Path, typer.Option("--out", help="folder for census.csv/.md and great_power_pacts.csv/.md")] = Path("analyses/output/census"),
) -> None:
    """Great-power agreement census from the ATOP member-level file."""
    from .census import run_census
    from .context import BuildContext
    from .report import write_tables

    try:
        tables = run_census(BuildContext(data_dir=data_dir))
    except AlliancesError as exc:
        _fail(exc)
    for path in write_tables(tables, out_dir):
        out.print(str(path))


@app.command()
def sources(data_dir: DataDir = None,
            as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False) -> None:
    """List each source: file found, version, SHA-256, coverage, citation."""
    from .sources import REGISTRY, load, resolve_data_dir

    rows = []
    try:
        folder = resolve_data_dir(data_dir)
    except AlliancesError as exc:
        _fail(exc)
    for key in REGISTRY:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loaded = load(key, folder)
            rows.append(loaded.provenance() | {"path": str(loaded.path)})
        except AlliancesError as exc:
            rows.append({"source": key, "error": str(exc)})
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"sources in {folder}")
    for col in ("source", "file", "version", "coverage", "sha256"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["source"], r.get("file", r.get("error", "")), r.get("version", ""),
                      "-".join(map(str, r.get("coverage", []))), r.get("sha256", "")[:16])
    out.print(table)


def main() -> None:  # pragma: no cover
    app()
