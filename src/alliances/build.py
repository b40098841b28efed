"""Orchestrates the data flow: sources -> panel -> ties -> covariates -> outcomes.

Stage order matters for directed panels: pledges are aggregated per member on the
undirected dyad, covariates are added once per undirected dyad, then the panel is turned
into both orders and only then are the tie levels and onsets derived (a directed row
(A, B) carries A's pledges).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alliances.codebook import (
    NULLABLE_INTS,
    Column,
    agreement_columns,
    agreement_dyad_columns,
    dyad_year_columns,
)
from alliances.config import DEFAULT_END, Progress
from alliances.covariates.arms import add_arms
from alliances.covariates.events import add_user_events
from alliances.covariates.exercises import add_exercises
from alliances.covariates.geography import add_geography, capital_years
from alliances.covariates.network import add_network
from alliances.covariates.power import add_power
from alliances.covariates.regime import add_regime
from alliances.covariates.similarity import add_similarity
from alliances.covariates.threat import add_threat
from alliances.covariates.unga import add_unga
from alliances.dyads.context import MISSING, BuildContext
from alliances.dyads.panel import dyad_years, to_directed
from alliances.errors import PanelError
from alliances.metadata import SharedMetadata
from alliances.outcomes.agreements import agreement_table
from alliances.outcomes.cow_alliance import add_cow_alliance
from alliances.outcomes.onsets import add_onset_agreements, add_outcomes
from alliances.outcomes.ties import add_ties, orient
from alliances.outcomes.voting import add_voting_alignment
from alliances.version import __version__


@dataclass(frozen=True)
class Build:
    """The outputs of one build and the context that records their provenance.

    ``agreements`` is the agreement-dyad table (``agreement_dyads.parquet``);
    ``agreement_table`` has one row per ATOP agreement (``agreements.parquet``).
    """

    panel: pd.DataFrame
    agreements: pd.DataFrame
    metadata: dict
    agreement_table: pd.DataFrame | None = None


def run(
    start: int = 1816,
    end: int = DEFAULT_END,
    directed: bool = False,
    data_dir: str | os.PathLike | None = None,
    paths: dict[str, str | os.PathLike] | None = None,
    progress: Progress | None = None,
    events: str | os.PathLike | None = None,
) -> Build:
    """Build the dyad-year panel, the agreement-dyad table and the agreement table.

    ``paths`` maps source keys (see ``alliances.sources.REGISTRY``) to explicit files, for
    example ``{"atop_members": "atop5_1m.csv"}``; other sources come from ``data_dir``.
    ``events`` is a user-supplied events CSV (``alliances.covariates.events``), kept in its own columns.
    """
    say = progress or (lambda _msg: None)
    ctx = BuildContext(start=int(start), end=int(end), directed=bool(directed),
                       data_dir=Path(data_dir) if data_dir is not None else None,
                       paths={k: Path(v) for k, v in (paths or {}).items()})
    with warnings.catch_warnings():
        # the stages add their columns without a consolidating copy (with_columns; the directed
        # frame too), so the frame has many blocks: pandas' hint that
        # inserting into such a frame is slower is moot here
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        say(f"state system {ctx.start}-{ctx.end}")
        panel = dyad_years(ctx)
        say(f"ATOP ties ({len(panel):,} undirected dyad-years)")
        panel, agreements, agreement_years = add_ties(panel, ctx)
        say("capabilities and major powers (NMC, COW majors)")
        panel = add_power(panel, ctx)
        say("geography (contiguity, capitals, minimum distance)")
        caps = capital_years(ctx)
        panel = add_geography(panel, ctx, caps)
        say("threat (rivalries, MIDs, common threats, threat indices)")
        panel = add_threat(panel, ctx, caps)
        say("regime (Polity2, V-Dem)")
        panel = add_regime(panel, ctx)
        say("COW formal alliances (robustness source)")
        panel = add_cow_alliance(panel, ctx)  # symmetric: added once per undirected dyad
        say("joint military exercises (MME)")
        panel = add_exercises(panel, ctx)  # symmetric: added once per undirected dyad
        say("UN General Assembly ideal points and voting alignment")
        panel = add_voting_alignment(add_unga(panel, ctx))  # percentiles rank each undirected dyad once
        say("arms transfers (SIPRI TIV)")
        panel = add_arms(panel, ctx)  # arms_tiv1/2 swap with the states in a directed panel
        if ctx.directed:
            say("directed dyads (both orders)")
            panel = to_directed(panel)
        panel = orient(panel, ctx.directed)
        say("alliance-portfolio similarity (S, kappa, tau-b)")
        panel = add_similarity(panel, ctx.directed)
        say("alliance-network terms (shared allies, degree, allies of rivals, common great-power allies)")
        panel = add_network(panel)
        panel, user_events = add_user_events(panel, events, ctx.start, ctx.end)
        say("onsets and durations")
        panel = add_outcomes(panel, ctx.coverage_end("atop_members"))
        panel = add_onset_agreements(panel, agreement_years, ctx.directed)
        del agreement_years
        panel = add_extension_flags(panel, ctx)
    panel = conform(panel, dyad_year_columns(), "dyad_years")
    agreements = conform(agreements, agreement_dyad_columns(), "agreement_dyads")
    say("agreement table")
    table = conform(agreement_table(ctx, panel), agreement_columns(), "agreements")
    meta = build_metadata(ctx, panel)
    if user_events is not None:
        meta["user_events"] = user_events
    return Build(panel, agreements, meta, table)


def build_panel(start: int = 1816, end: int = DEFAULT_END, directed: bool = False,
                data_dir: str | os.PathLike | None = None, **kw) -> pd.DataFrame:
    """The dyad-year panel as a DataFrame; its metadata is in ``frame.attrs['alliances']``."""
    result = run(start=start, end=end, directed=directed, data_dir=data_dir, **kw)
    result.panel.attrs["alliances"] = SharedMetadata(result.metadata)
    return result.panel


def add_extension_flags(panel: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """``extended_sources``: sources extended by a named rule in the row's year (per year)."""
    years = np.arange(ctx.start, ctx.end + 1)
    labels = []
    for y in years:
        keys = sorted(k for k, e in ctx.extensions.items() if e["rule"] != MISSING and y > e["coverage_end"])
        labels.append(",".join(keys))
    cats = sorted(set(labels))
    codes = np.searchsorted(cats, labels)
    row_codes = codes[panel["year"].to_numpy().astype(int) - ctx.start]
    panel["extended_sources"] = pd.Categorical.from_codes(row_codes, categories=cats)
    panel["extended"] = np.asarray(cats, dtype=object)[row_codes] != ""
    return panel


_NUMPY = {"int8", "int16", "int32", "int64", "float64", "bool"}


def conform(frame: pd.DataFrame, columns: list[Column], table: str) -> pd.DataFrame:
    """Check that the frame has exactly the declared columns, cast them, and order them."""
    names = [c.name for c in columns]
    extra = [c for c in frame.columns if c not in names]
    missing = [c for c in names if c not in frame.columns]
    if extra or missing:
        raise PanelError(f"{table}: columns not declared in the codebook {extra}; declared but not built {missing}")
    out = {}
    for col in columns:
        s = frame[col.name]
        if col.dtype in _NUMPY and s.dtype != col.dtype:
            if s.isna().any() and col.dtype != "float64":
                raise PanelError(f"{table}.{col.name}: declared {col.dtype} but holds missing values")
            s = s.astype(col.dtype)
        elif col.dtype in NULLABLE_INTS and s.dtype != col.dtype:
            s = s.astype(col.dtype)
        out[col.name] = s
    return pd.DataFrame(out, copy=False)  # no consolidation copy: the build's peak memory is here otherwise


def build_metadata(ctx: BuildContext, panel: pd.DataFrame) -> dict:
    return {
        "package": "alliances",
        "version": __version__,
        "parameters": {"start": ctx.start, "end": ctx.end, "directed": ctx.directed,
                       "unit": "directed dyad-year" if ctx.directed else "undirected dyad-year (ccode1 < ccode2)",
                       "membership_rule": "a state is a member in year t if a COW membership spell covers any part "
                       "of t; dyads are pairs of members in the same year that share at least one day of "
                       "membership (COW start and end dates)",
                       "obligation_rule": "directed: row (A, B) carries A's pledges" if ctx.directed else
                       "undirected: an obligation exists if either member pledged it"},
        "rows": int(len(panel)),
        "inputs": ctx.provenance(),
        "extensions": {k: ctx.extensions[k] for k in sorted(ctx.extensions)},
    }
