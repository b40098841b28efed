"""Command-line interface (thin: every command calls the library).

One error path: every command is wrapped by :func:`command`, which turns any failure into
one plain-text line on stderr and an exit code from :mod:`alliances.errors` (README,
"Exit codes"); ``alliances --debug COMMAND`` (or ``ALLIANCES_DEBUG=1``) shows the traceback.
User text (paths, values) is never read as markup.

Each command imports the library modules it needs inside its function, the one place in the
package that does so on purpose: ``alliances --help`` and the quick commands (``sources``,
``codebook``, ``inspect``) then start without loading statsmodels, Dask or matplotlib, which
together take several seconds to import.
"""

from __future__ import annotations

import functools
import json
import os
import time
import warnings
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console
from rich.table import Table

from alliances.config import DEFAULT_END, DEFAULT_SEED
from alliances.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    AlliancesError,
    UsageError,
    os_error,
)
from alliances.memory import tune_allocator

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Dyad-year panels and models of alliance and alignment formation (ATOP + COW).")
console = Console(stderr=True, soft_wrap=True, log_path=False, markup=False, highlight=False)
out = Console(markup=False, highlight=False)
_DEBUG = {"on": False}


@app.callback()
def _options(debug: Annotated[bool, typer.Option("--debug", help="show the Python traceback of a failure")] = False) -> None:
    """Dyad-year panels and models of alliance and alignment formation (ATOP + COW)."""
    _DEBUG["on"] = debug or os.environ.get("ALLIANCES_DEBUG", "") not in ("", "0")
    tune_allocator()  # before any command allocates: fewer pages for the kernel to zero (alliances.memory)


def _say(kind: str, text: str) -> None:
    """One plain line on stderr (newlines in a message folded)."""
    typer.echo(f"{kind}: " + " ".join(str(text).split("\n")), err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one plain line, without the library's file and line (they are not the user's)."""
    _say("warning", str(message))


def command(func=None, *, name: str | None = None):
    """Register ``func`` as a command (``name``: its name, default the function's) behind the one error path."""
    if func is None:
        return lambda f: command(f, name=name)

    @functools.wraps(func)
    def run(*args, **kwargs):
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                return func(*args, **kwargs)
        except (typer.Exit, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place failures become exit codes
            if _DEBUG["on"]:
                raise
            if isinstance(exc, AlliancesError):
                _say("error", str(exc))
                raise typer.Exit(code=exc.exit_code) from None
            if isinstance(exc, OSError):
                err = os_error(exc, action="read or write")
                _say("error", str(err))
                raise typer.Exit(code=err.exit_code) from None
            _say("error", f"internal error ({type(exc).__name__}: {exc}); rerun with `alliances --debug ...` "
                 "for the traceback and report it")
            raise typer.Exit(code=EXIT_INTERNAL) from None
        except KeyboardInterrupt:
            _say("error", "interrupted; no partial output was left")
            raise typer.Exit(code=EXIT_INTERRUPTED) from None

    return app.command(name)(run)

DataDir = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="folder with the source files (default: $ALLIANCES_DATA, else the fetch cache, then ../shared/data)")]


def _log(msg: str) -> None:
    """Progress lines as plain text (spec names such as baseline[cluster=dyad] are not markup)."""
    console.log(msg)


def _parse_sources(values: list[str] | None) -> dict[str, Path]:
    from alliances.sources import REGISTRY

    paths = {}
    for item in values or []:
        key, sep, path = item.partition("=")
        if not sep or key not in REGISTRY:
            raise UsageError(f"--source takes KEY=PATH with KEY one of {', '.join(sorted(REGISTRY))}; got {item!r}")
        paths[key] = Path(path)
    return paths


@command
def build(
    start: Annotated[int, typer.Option(help="first year")] = 1816,
    end: Annotated[int, typer.Option(help="last year (years past a source's coverage follow its named rule)")] = DEFAULT_END,
    directed: Annotated[bool, typer.Option("--directed", help="both orders of each dyad; row (A, B) carries A's pledges")] = False,
    data_dir: DataDir = None,
    out_dir: Annotated[Path, typer.Option("--out", help="output folder")] = Path("datasets"),
    source: Annotated[Optional[list[str]], typer.Option(
        "--source", help="use this file for one source, KEY=PATH (e.g. atop_members=atop5_1m.csv); repeatable")] = None,
    events: Annotated[Optional[Path], typer.Option(
        help="user-supplied events CSV (ccode1, ccode2, year, kind, count, source, note), kept in its own columns")] = None,
) -> None:
    """Build dyad_years.parquet, agreement_dyads.parquet and agreements.parquet (written atomically)."""
    from alliances.build import run
    from alliances.store import write_build

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with console.status("building") as status:
            def say(msg: str) -> None:
                _log(msg)
                status.update(msg)

            result = run(start=start, end=end, directed=directed, data_dir=data_dir,
                         paths=_parse_sources(source), progress=say, events=events)
            say("writing Parquet")
            paths = write_build(result, out_dir)
    for w in caught:
        _say("warning", str(w.message))
    console.log(f"done in {time.perf_counter() - t0:.1f} s")
    for name, path in paths.items():
        out.print(f"{name}: {path}")
    out.print(f"rows: {len(result.panel):,} dyad-years, {len(result.agreements):,} agreement-dyads, "
              f"{len(result.agreement_table):,} agreements")


@command
def inspect(
    path: Annotated[Path, typer.Argument(help="a Parquet file written by `alliances build`")],
    column: Annotated[Optional[str], typer.Option(help="show this column's codebook entry and summary")] = None,
    dyad: Annotated[Optional[str], typer.Option(help="show the rows of one dyad, e.g. 365-710")] = None,
    columns: Annotated[Optional[str], typer.Option(
        help="comma-separated columns shown with --dyad, e.g. tie,alliance_onset,portfolio_s")] = None,
    provenance: Annotated[bool, typer.Option("--provenance", help="also list every input and the rule past its coverage")] = False,
) -> None:
    """A short header, then the columns, one column's codebook entry, or the rows of one dyad."""
    from alliances.inspect import describe

    names = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    if columns is not None and not names:
        raise UsageError(f"--columns names no column: {columns!r}")
    typer.echo(describe(path, column=column, dyad=dyad, columns=names, provenance=provenance))


@command
def codebook(
    out_path: Annotated[Path, typer.Option("--out", help="where to write the Markdown codebook")] = Path("datasets/codebook.md"),
) -> None:
    """Write the codebook generated from the column declarations."""
    from alliances.atomic import write_text_atomic
    from alliances.store import codebook_markdown

    write_text_atomic(out_path, codebook_markdown())
    out.print(f"codebook: {out_path}")


def _estimators(text: str | None, default: str = "DEFAULT_ESTIMATORS") -> list[str]:
    """The estimators an ``--estimators`` option names; None: the catalogue's ``default`` list."""
    from alliances.models import catalog
    from alliances.models.catalog import CATALOG

    if text is None:
        return list(getattr(catalog, default))
    names = [e.strip().lower() for e in text.split(",") if e.strip()]  # LOGIT and logit alike
    if not names:
        raise UsageError(f"--estimators names no estimator: {text!r}; e.g. logit,firth,cox")
    unknown = [n for n in names if n not in CATALOG]
    if unknown:
        raise UsageError(f"--estimators: unknown estimator(s) {', '.join(unknown)}; choose from {', '.join(CATALOG)}")
    return names


def _years(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    first, sep, last = text.partition("-")
    try:
        span = (int(first), int(last) if sep else int(first))
    except ValueError:
        raise UsageError(f"--years takes FIRST-LAST, e.g. 1990-2022; got {text!r}") from None
    if span[0] > span[1]:
        raise UsageError(f"--years: first year after last year in {text!r}")
    return span


@command
def predict(
    dyad: Annotated[str, typer.Option(help="the dyad: COW codes (365-710, either order) or abbreviations (CHN-RUS)")] = "365-710",
    years: Annotated[Optional[str], typer.Option(help="years to predict, FIRST-LAST (default: every year of the dyad)")] = None,
    model: Annotated[Optional[list[str]], typer.Option(
        help="a specification (.toml, fitted here) or saved result (.json); repeatable")] = None,
    estimators: Annotated[Optional[str], typer.Option(
        help="estimators fitted for a .toml specification (default: the catalogue's defaults, "
             "alliances.models.catalog.DEFAULT_ESTIMATORS)")] = None,
    sims: Annotated[int, typer.Option(min=1, help="coefficient draws for the intervals")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed of the draws (default: the replication plan's, so the "
                                      "report's intervals are reproduced)")] = DEFAULT_SEED,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="counterfactual value COLUMN=NUMBER; repeatable")] = None,
    scenario: Annotated[Optional[list[str]], typer.Option(
        help="a scenario name in analyses/scenarios or a .toml path; repeatable")] = None,
    horizon: Annotated[int, typer.Option(min=0, help="years ahead for the survival curves (0: none)")] = 30,
    panel_path: Annotated[Path, typer.Option("--panel", help="panel built by `alliances build`")] = Path("datasets/dyad_years.parquet"),
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="output folder (default analyses/output/predict/<dyad>)")] = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="write PNG and SVG figures")] = True,
    recalibrate: Annotated[Optional[Path], typer.Option(
        help="a validation folder of the same specification: add each model's recalibrated version "
             "(<model>_recal, from its recalibration.csv)")] = None,
    boosted_trees: Annotated[bool, typer.Option(
        "--boosted-trees", help="add the gradient-boosted-trees benchmark (boosted_trees) fitted on each "
        "specification's full sample: a benchmark without coefficients, scenarios or survival curves")] = False,
    boosted_trees_reps: Annotated[Optional[int], typer.Option(
        help="dyad-cluster bootstrap refits for the boosted-trees interval (0: no interval; default "
             "alliances.analysis.boosting.BOOTSTRAP_REPS)")] = None,
) -> None:
    """Predicted probabilities with 95% simulation intervals, scenarios and survival curves for one dyad."""
    from alliances.analysis.predict import (
        Scenario,
        load_fits,
        parse_dyad,
        prediction_columns,
        read_models,
        resolve_scenario,
        run_predictions,
    )
    from alliances.sources import sha256_file
    from alliances.store import present_columns, read_panel

    span = _years(years)  # every input is checked before any model is fitted
    ests = _estimators(estimators)
    scenarios = [resolve_scenario(s) for s in scenario or []]
    if set_:
        scenarios.append(Scenario.from_assignments(set_))
    models = read_models(model or ["analyses/specs/baseline.toml"])
    reps = _boosted_reps(boosted_trees, boosted_trees_reps)
    recal = None
    if recalibrate is not None:
        from alliances.analysis.combine import read_recalibration
        from alliances.models import Spec

        recal, validated = read_recalibration(recalibrate)
        for m in models:
            spec = m if isinstance(m, Spec) else m.spec
            if not spec.same_model(Spec.from_dict(validated)):
                raise UsageError(f"{recalibrate}: validated specification {validated.get('name')!r} differs from "
                                 f"{spec.name!r} in its outcome, covariates, sample or time controls; a "
                                 "recalibration applies only to forecasts of the model it was fitted on")
    # only the columns the models and predictions use (25 of the panel's columns for the baseline)
    panel = read_panel(panel_path, columns=present_columns(panel_path, prediction_columns(models)))
    parse_dyad(dyad, panel)
    fits = load_fits(panel, models, ests, panel_sha256=sha256_file(panel_path), progress=_log)
    boosted = []
    if boosted_trees:
        from alliances.analysis.boosting import NAME, dyad_forecast
        from alliances.models import Spec

        for m in models:
            spec = m if isinstance(m, Spec) else m.spec
            label = f"{spec.name}:{NAME}" if len(models) > 1 else NAME
            boosted.append(dyad_forecast(panel, spec, parse_dyad(dyad, panel), span, reps, label=label,
                                         progress=_log))
    target = out_dir or Path("analyses/output/predict") / dyad.replace("/", "-")
    frames = run_predictions(panel, fits, dyad, span, sims, seed, scenarios, horizon, target, figures,
                             recalibration=recal, boosted=boosted)
    pred = frames["predictions"]
    cols = ["year", "model", "outcome", "at_risk", "observed_tie", "p", "p_lo", "p_hi", "pct_great_powers"]
    typer.echo(pred[pred["at_risk"]][cols].tail(12).to_string(index=False))
    if "scenarios" in frames:
        sc = frames["scenarios"].dropna(subset=["first_difference"])
        last = sc[sc["year"] == sc["year"].max()]
        typer.echo(last[["scenario", "model", "year", "p_observed", "p_scenario", "first_difference", "fd_lo", "fd_hi"]]
                   .to_string(index=False))
    if boosted:
        from alliances.analysis.boosting import NOTE

        typer.echo(f"note: {NOTE} ({reps} replicates; 0: no interval)")
    typer.echo(f"written to {target}")


def _boosted_reps(boosted_trees: bool, reps: int | None) -> int:
    """The bootstrap replicates of ``--boosted-trees``, checked before anything is fitted."""
    from alliances.analysis.boosting import BOOTSTRAP_REPS, check_reps

    if reps is not None and not boosted_trees:
        raise UsageError(f"--boosted-trees-reps {reps} needs --boosted-trees (the replicates are the boosted trees' "
                         "bootstrap)")
    return check_reps(BOOTSTRAP_REPS if reps is None else reps)


@command
def fit(
    spec: Annotated[Path, typer.Argument(help="a specification file (.toml), e.g. analyses/specs/baseline.toml")],
    estimators: Annotated[str, typer.Option(
        help="comma-separated: logit, firth, relogit, clogit, lpm, cloglog, cox, mlogit")] = "logit",
    panel_path: Annotated[Path, typer.Option("--panel", help="panel built by `alliances build`")] = Path("datasets/dyad_years.parquet"),
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="folder for <spec>.<estimator>.json and estimates CSV")] = None,
) -> None:
    """Fit onset models of one specification; print summaries; save JSON results and a tidy CSV."""
    from alliances.models import compare, fit_file

    fits = fit_file(spec, panel_path, _estimators(estimators), out_dir)
    for res in fits.values():
        typer.echo(res.summary() + "\n")
    if len(fits) > 1:
        typer.echo(compare(list(fits.values()), names=list(fits)).to_string())


@command
def validate(
    spec: Annotated[Path, typer.Argument(help="a specification file (.toml), e.g. analyses/specs/baseline.toml")],
    estimators: Annotated[Optional[str], typer.Option(
        help="comma-separated estimators with absolute probabilities (default: the catalogue's validated "
             "estimators, alliances.models.catalog.VALIDATED_ESTIMATORS)")] = None,
    first_origin: Annotated[int, typer.Option(help="first rolling origin T (fit through T, predict T+1..T+h)")] = 1850,
    step: Annotated[int, typer.Option(min=1, help="years between rolling origins")] = 10,
    horizon: Annotated[int, typer.Option(min=1, help="years predicted after each origin")] = 10,
    eras: Annotated[bool, typer.Option("--eras/--no-eras", help="also leave each era out in turn")] = True,
    panel_path: Annotated[Path, typer.Option("--panel", help="panel built by `alliances build`")] = Path("datasets/dyad_years.parquet"),
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="output folder (default analyses/output/validate/<spec>)")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="worker processes of the local Dask cluster (1: in-process)")] = 2,
    scheduler: Annotated[Optional[str], typer.Option(help="address of an existing dask.distributed scheduler")] = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="reliability and separation figures")] = True,
    boosted_trees: Annotated[bool, typer.Option(
        "--boosted-trees/--no-boosted-trees",
        help="also validate the gradient-boosted-trees benchmark boosted_trees (alliances.analysis.boosting)")] = False,
) -> None:
    """Out-of-sample validation: rolling-origin and leave-one-era-out forecasts scored against the base rate and a duration-only model, with calibration and every prediction in Parquet."""
    from alliances.analysis.validate import run_validation
    from alliances.models import Spec
    from alliances.store import read_metadata

    parsed = Spec.from_toml(spec)
    read_metadata(panel_path)  # a missing or foreign panel is refused before any work (exit 3, as in fit)
    target = out_dir or Path("analyses/output/validate") / (parsed.name or spec.stem)
    # written where it is scored (on a worker); only the scores come back for the summary below
    v = run_validation(panel_path, parsed, _estimators(estimators, "VALIDATED_ESTIMATORS"), first_origin=first_origin, step=step,
                       horizon=horizon, eras=eras, jobs=jobs, scheduler=scheduler, progress=_log,
                       boosted_trees=boosted_trees, out_dir=target, figures=figures, keep_predictions=False)
    pooled = v.scores[v.scores["window"] == "pooled"]
    typer.echo(pooled[["scheme", "model", "n", "events", "mean_p", "brier", "log_score", "roc_auc", "pr_auc",
                       "brier_skill"]].to_string(index=False))
    typer.echo(f"best out-of-sample model (rolling log score): {v.best}; written to {target}")


@command
def replicate(
    out_dir: Annotated[Path, typer.Option("--out", help="output folder")] = Path("analyses/output"),
    plan: Annotated[Path, typer.Option(help="replication plan")] = Path("analyses/replicate.toml"),
    data_dir: DataDir = None,
    datasets: Annotated[Path, typer.Option(help="where the built panel is written")] = Path("datasets"),
    start: Annotated[int, typer.Option(help="first year of the panel")] = 1816,
    end: Annotated[int, typer.Option(help="last year of the panel")] = DEFAULT_END,
    jobs: Annotated[int, typer.Option(min=1, help="Dask worker processes of the local cluster (1: run in-process)")] = 2,
    scheduler: Annotated[Optional[str], typer.Option(help="address of an existing dask.distributed scheduler")] = None,
    sims: Annotated[Optional[int], typer.Option(help="simulation draws (default: the plan's)")] = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="write PNG and SVG figures")] = True,
) -> None:
    """Rerun every analysis: build, fit every specification, predict China-Russia, census, report, manifest."""
    from alliances.analysis.replicate import run_replication

    t0 = time.perf_counter()
    run_replication(out_dir, plan, data_dir, datasets, start, end, jobs, scheduler, sims, figures,
                    progress=_log)
    console.log(f"replication done in {time.perf_counter() - t0:.1f} s")
    out.print(f"report: {out_dir / 'REPORT.md'}\nmanifest: {out_dir / 'manifest.json'}")


@command
def multiverse(
    plan: Annotated[Path, typer.Argument(help="a multiverse plan (.toml), e.g. analyses/multiverse.toml")],
    out_dir: Annotated[Path, typer.Option("--out", help="output folder")] = Path("analyses/output/multiverse"),
    panel_path: Annotated[Optional[Path], typer.Option(
        "--panel", help="panel built by `alliances build` (default: the plan's [panels], else datasets/dyad_years.parquet)")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="worker processes of the local Dask cluster (1: in-process)")] = 2,
    scheduler: Annotated[Optional[str], typer.Option(help="address of an existing dask.distributed scheduler")] = None,
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="specification-curve figures")] = True,
) -> None:
    """Fit every combination of a plan's choices (Dask tasks): one tidy Parquet of estimates and predictions, specification curves and MULTIVERSE.md."""
    from alliances.analysis.multiverse import run_multiverse

    t0 = time.perf_counter()
    frame = run_multiverse(plan, out_dir, panel_path, jobs, scheduler, figures, progress=_log)
    console.log(f"multiverse done in {time.perf_counter() - t0:.1f} s")
    out.print(f"{frame['spec_id'].nunique()} specifications: {out_dir / 'multiverse.parquet'}, {out_dir / 'MULTIVERSE.md'}")


@command
def census(
    data_dir: DataDir = None,
    out_dir: Annotated[Path, typer.Option("--out", help="folder for census.csv/.md and great_power_pacts.csv/.md")] = Path("analyses/output/census"),
) -> None:
    """Great-power agreement census from the ATOP member-level file."""
    from alliances.analysis.census import run_census
    from alliances.analysis.tables import write_tables
    from alliances.dyads.context import BuildContext

    tables = run_census(BuildContext(data_dir=data_dir))
    for path in write_tables(tables, out_dir):
        out.print(str(path))


@command(name="fetch")
def fetch_cmd(
    dest: Annotated[Optional[Path], typer.Option(help="download folder (default: $ALLIANCES_CACHE or the user cache)")] = None,
    only: Annotated[Optional[str], typer.Option(help="comma-separated source keys, e.g. atop_members,nmc")] = None,
    update: Annotated[bool, typer.Option("--update", help="accept a release whose SHA-256 differs from the recorded one")] = False,
) -> None:
    """Download every source into the cache, checked and recorded: ATOP and COW releases from their publishers, the other files from peacesciencer, arms-allies and troopdata at pinned commits."""
    from alliances.sources import cache_dir
    from alliances.sources.fetch import fetch

    records = fetch([k.strip() for k in only.split(",")] if only else None, dest, update=update)
    for r in records:
        out.print(f"{r['source']:<14} {r['file']:<18} v{r['version']:<6} {r['coverage'][0]}-{r['coverage'][1]} "
                  f"sha256 {r['sha256'][:16]}{'' if r['hash_pinned'] else ' (recorded on first download)'}")
    out.print(f"cache: {dest or cache_dir()}")


@command
def export(
    path: Annotated[Path, typer.Argument(help="a Parquet file written by `alliances build`")],
    fmt: Annotated[str, typer.Option("--format", help="csv or dta (Stata 118, value labels for tie)")] = "csv",
    out_path: Annotated[Optional[Path], typer.Option("--out", help="output file (default: PATH with the new suffix)")] = None,
) -> None:
    """Export a built panel to CSV or Stata .dta (list columns joined with ';')."""
    from alliances.store import export_panel

    target = export_panel(path, fmt.lower(), out_path)
    out.print(str(target))


@command
def sources(data_dir: DataDir = None,
            as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False) -> None:
    """List each source: file found, version, SHA-256, coverage, citation."""
    from alliances.sources import REGISTRY, load, resolve_data_dirs

    rows = []
    folders = resolve_data_dirs(data_dir)
    for key in REGISTRY:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loaded = load(key, folders)
            rows.append(loaded.provenance() | {"path": str(loaded.path)})
        except AlliancesError as exc:
            rows.append({"source": key, "error": str(exc)})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        if any("error" in r for r in rows):
            raise typer.Exit(code=AlliancesError.exit_code)
        return
    table = Table(title=f"sources (searched in order: {', '.join(map(str, folders))})")
    for col in ("source", "found at", "version", "coverage", "sha256", "citation"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["source"], r.get("path", r.get("error", "")), r.get("version", ""),
                      "-".join(map(str, r.get("coverage", []))), r.get("sha256", "")[:16], r.get("citation", ""))
    out.print(table)
    failed = [r["source"] for r in rows if "error" in r]
    if failed:
        _say("error", f"{len(failed)} source(s) missing or invalid: {', '.join(failed)}; see the table above")
        raise typer.Exit(code=AlliancesError.exit_code)
