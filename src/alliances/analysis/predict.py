"""Predicted probabilities with simulation intervals for any dyad, scenarios and survival.

For a dyad and each fitted model this module reports, year by year: whether the dyad is at
risk of the model's outcome (the tie was not in force the year before), the observed tie
and outcome, the covariates that entered the prediction (lagged as in fitting), the
predicted probability with a 95% interval from simulated coefficients (King, Tomz and
Wittenberg 2000), the dyad's percentile among all at-risk dyads and among great-power dyads
in the same year, and the observed onset rate in those groups.

Observed outcomes in years past the ATOP release's coverage are unknown (agreements are
only carried forward there), so they are reported as missing, not as 0.

Covariates past their source's coverage (for example GML disputes after 2010, Polity2 after
2017) are carried forward from the source's last covered year, by the named rule
``carry_forward_past_coverage``: each prediction row lists what was carried in
``x_carried`` (``column@year``), and nothing inside a source's coverage is ever filled.

Scenarios change covariate values (``set``, ``add``, ``multiply``) after lagging; first
differences use the same coefficient draws for the scenario and the baseline. The default
seed, :data:`DEFAULT_SEED`, is the replication plan's, so ``alliances predict`` reproduces
the report's intervals.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from alliances.analysis.combine import FINAL, apply_recalibration, recalibrated_name
from alliances.atomic import write_text_atomic
from alliances.config import DEFAULT_SEED, read_toml
from alliances.dyads.keys import year_key
from alliances.errors import PanelError, ScenarioError
from alliances.inspect import parse_dyad as parse
from alliances.models import Results, Spec, fit, load
from alliances.models.catalog import CATALOG, DEFAULT_ESTIMATORS, HAZARD_ESTIMATORS, PROBABILITY_ESTIMATORS
from alliances.models.design import lag_within_dyad, needed_columns, same_dyad_previous
from alliances.models.spec import parse_term
from alliances.store import write_parquet_atomic

CARRY_RULE = "carry_forward_past_coverage"
# what the predictions read besides each model's own columns: the dyad and its names, the
# observed tie, the rows past a source's coverage, and the great-power comparison group
PREDICTION_COLUMNS = ("ccode1", "ccode2", "stateabb1", "stateabb2", "dyad_id", "year", "tie", "extended_sources",
                      "great_power_dyad")


@dataclass(frozen=True)
class Scenario:
    """Counterfactual covariate values for the years predicted.

    ``set`` replaces a covariate's value, ``add`` adds to it, ``multiply`` scales it; all
    act on the values that enter the model (the lagged raw columns, before transforms such
    as ``log1p``).
    """

    name: str
    description: str = ""
    set: Mapping[str, float] = field(default_factory=dict)
    add: Mapping[str, float] = field(default_factory=dict)
    multiply: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> "Scenario":
        path = Path(path)
        data = read_toml(path, "scenario", ScenarioError)
        unknown = set(data) - {"name", "description", "set", "add", "multiply"}
        if unknown:
            raise ScenarioError(f"{path}: unknown scenario keys {sorted(unknown)}; use name, description, set, add, multiply")
        for part in ("set", "add", "multiply"):
            table = data.get(part, {})
            if not isinstance(table, dict) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in table.values()):
                raise ScenarioError(f"{path}: [{part}] must be a table of COLUMN = NUMBER entries with finite "
                                    f"numbers; got {table!r}")
        return cls(name=data.get("name", path.stem), description=data.get("description", ""),
                   set=data.get("set", {}), add=data.get("add", {}), multiply=data.get("multiply", {}))

    @classmethod
    def from_assignments(cls, items: Sequence[str], name: str = "custom") -> "Scenario":
        """``["shared_rivals=2", "cap_ratio=0.5"]`` -> a scenario setting those values."""
        values = {}
        for item in items:
            key, sep, value = item.partition("=")
            try:
                number = float(value)
            except ValueError:
                sep = ""
            if not sep or not key.strip():
                raise ScenarioError(f"--set takes COLUMN=NUMBER, e.g. shared_rivals=2; got {item!r}")
            if not math.isfinite(number):
                raise ScenarioError(f"--set {item!r}: the value must be a finite number, not {value.strip()!r}")
            values[key.strip()] = number
        return cls(name=name, description="; ".join(items), set=values)

    def columns(self) -> set[str]:
        return set(self.set) | set(self.add) | set(self.multiply)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for col, v in self.set.items():
            out[col] = float(v)
        for col, v in self.add.items():
            out[col] = out[col] + float(v)
        for col, v in self.multiply.items():
            out[col] = out[col] * float(v)
        return out


def parse_dyad(text: str | tuple[int, int], panel: pd.DataFrame) -> tuple[int, int]:
    a, b = text if isinstance(text, tuple) else parse(text, panel)
    a, b = min(a, b), max(a, b)
    if not ((panel["ccode1"] == a) & (panel["ccode2"] == b)).any():
        raise PanelError(f"dyad {a}-{b} is not in the panel (both must be COW system members in the same year)")
    return a, b


def check_simulable(label: str, res: Results) -> None:
    """Simulation needs finite estimates and a finite covariance matrix."""
    if not (np.isfinite(res.params_).all() and np.isfinite(res.cov_).all()):
        raise PanelError(f"model {label!r} ({res.estimator}) has non-finite estimates or covariance; its intervals "
                         "cannot be simulated (check its summary for separation or convergence notes)")


def raw_columns(res: Results) -> list[str]:
    return sorted({parse_term(t)[1] for t in res.info.covariates})


def _check_sorted(panel: pd.DataFrame) -> None:
    key = year_key(panel["dyad_id"], panel["year"])
    if len(key) > 1 and not (np.diff(key) > 0).all():
        raise PanelError("the panel must be sorted by dyad_id and year (as alliances.read_panel returns it) so "
                         "that lags are taken within dyad; sort it with panel.sort_values(['dyad_id', 'year'])")


def coverage_ends(panel: pd.DataFrame, columns: Sequence[str]) -> dict[str, int]:
    """Last year in which each column has any observed value in the panel."""
    year = panel["year"].to_numpy()
    out = {}
    for c in columns:
        seen = panel[c].notna().to_numpy()
        if seen.any():
            out[c] = int(year[seen].max())
    return out


def carry_past_coverage(panel: pd.DataFrame, columns: Sequence[str],
                        ends: Mapping[str, int] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Raw covariate values with rule ``carry_forward_past_coverage`` applied.

    For a column whose last observed year in the panel is E (its source's coverage end), rows
    of years after E take the dyad's value in E; rows up to E are left as they are (missing
    stays missing). Returns the values and, per row, the ``column@E`` entries carried.
    """
    _check_sorted(panel)
    ends = coverage_ends(panel, columns) if ends is None else ends
    year = panel["year"].to_numpy()
    dyad = panel["dyad_id"].to_numpy()
    out, mask, tags = {}, np.zeros(len(panel), dtype=np.int64), []
    for c in columns:
        v = panel[c].to_numpy(dtype=float)
        end = ends.get(c)
        if end is not None:
            idx = np.flatnonzero((year > end) & np.isnan(v))  # only the rows past coverage are touched
            if len(idx):
                at_end = pd.Series(v[year == end], index=dyad[year == end])
                fill = pd.Series(dyad[idx]).map(at_end).to_numpy(dtype=float)
                idx, fill = idx[~np.isnan(fill)], fill[~np.isnan(fill)]
                v = v.copy()
                v[idx] = fill
                mask[idx] |= 1 << len(tags)  # one bit per carried column: labels are built once per combination
                tags.append(f"{c}@{end}")
        out[c] = v
    codes, masks = pd.factorize(np.r_[0, mask], sort=True)  # hashing, not a sort of every row; 0 (nothing) first
    labels = [",".join(t for i, t in enumerate(tags) if m >> i & 1) for m in masks]
    carried = pd.Series(pd.Categorical.from_codes(codes[1:], labels), index=panel.index, name="x_carried")
    return pd.DataFrame(out, index=panel.index), carried


def explanatory(panel: pd.DataFrame, res: Results, carry: bool = True,
                ends: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Panel rows with each raw covariate lagged within dyad as in fitting (duration and year
    unlagged). With ``carry`` the values past a covariate's coverage are carried forward
    (:func:`carry_past_coverage`), and the column ``x_carried`` lists per row what entered it so.

    ``panel`` may hold only some dyads' whole histories (fast for one dyad); then pass
    ``ends`` = :func:`coverage_ends` of the full panel, since coverage is a source's, not a dyad's.
    """
    _check_sorted(panel)
    dyad, year = panel["dyad_id"].to_numpy(), panel["year"].to_numpy()
    cols = {"dyad_id": dyad, "year": year}
    raw_cols = raw_columns(res)
    raw, carried = carry_past_coverage(panel, raw_cols, ends if carry else {})
    lag = res.info.lag
    for c in raw_cols:
        v = raw[c].to_numpy(dtype=float)
        cols[c] = lag_within_dyad(v, dyad, year, lag) if lag else v
    if res.info.duration in panel.columns:
        cols[res.info.duration] = panel[res.info.duration].to_numpy(dtype=float)
    frame = pd.DataFrame(cols, index=panel.index)
    # what entered a row is the lagged value: the carried note of year t - lag, shifted like the values
    codes = carried.cat.codes.to_numpy()
    if lag:
        shifted = np.zeros(len(codes), dtype=codes.dtype)  # code 0: nothing carried
        ok = same_dyad_previous(dyad, year, lag)
        shifted[lag:][ok[lag:]] = codes[:-lag][ok[lag:]]
        codes = shifted
    frame["x_carried"] = pd.Categorical.from_codes(codes, carried.cat.categories)
    return frame


def risk_status(res: Results) -> str | None:
    """The status column whose previous-year value defines the model's risk set (stored with
    the results; older results files fall back to the specification)."""
    if res.status is not None or res.years is not None:
        return res.status
    return res.model.risk_status(res.spec)


def at_risk(panel: pd.DataFrame, res: Results) -> np.ndarray:
    """True where the row is in the model's risk set (status not in force the year before)."""
    status = risk_status(res)
    if status is None:
        return np.ones(len(panel), dtype=bool)
    _check_sorted(panel)
    st = panel[status].to_numpy(dtype=float)
    return lag_within_dyad(st, panel["dyad_id"].to_numpy(), panel["year"].to_numpy(), 1, fill=0.0) == 0


def _outcomes(res: Results) -> list[str]:
    return res.model.outcome_columns(res.spec)


def _probabilities(res: Results, X: pd.DataFrame, draws: int | None, seed: int) -> dict[str, np.ndarray]:
    """Per outcome: point probabilities (rows,) or simulated (draws, rows)."""
    p = res.predict(X).to_numpy()[None] if draws is None else res.simulate(X, n=draws, seed=seed)
    if res.model.categories:  # one outcome per category after "none"
        out = {o: p[:, :, i + 1] for i, o in enumerate(_outcomes(res))}
    else:
        out = {_outcomes(res)[0]: p}
    return {o: v[0] for o, v in out.items()} if draws is None else out


def group_stats(panel: pd.DataFrame, keep: np.ndarray, p: np.ndarray, outcome: str) -> pd.DataFrame:
    """Per year: sorted predicted probabilities and onset rates of at-risk dyads (all, great powers)."""
    observed = panel[outcome].to_numpy(dtype=float)  # missing where the outcome's source has no record
    frame = pd.DataFrame({"year": panel["year"].to_numpy(), "p": p, "obs": observed,
                          "gp": panel["great_power_dyad"].to_numpy() == 1})[keep & ~np.isnan(p)]
    return frame


def percentile_in_year(pool: pd.DataFrame, years: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share of ``pool`` rows of the same year with a probability <= value (x 100)."""
    out = np.full(len(years), np.nan)
    grouped = {y: np.sort(g["p"].to_numpy()) for y, g in pool.groupby("year")}
    for i, (y, v) in enumerate(zip(years, values)):  # one lookup per predicted year, not per dyad-year
        arr = grouped.get(y)
        if arr is not None and len(arr) and not np.isnan(v):
            out[i] = 100.0 * np.searchsorted(arr, v, side="right") / len(arr)
    return out


def add_group_columns(frame: pd.DataFrame, pool: pd.DataFrame, own: np.ndarray) -> None:
    """Add the dyad's percentile among all at-risk dyads and among great-power dyads of the same
    year (``pct_all``, ``pct_great_powers``, from its probabilities ``own``) and the year's
    observed onset rates of both groups (``base_rate_all``, ``base_rate_great_powers``) to
    ``frame``, from the pool of :func:`group_stats`."""
    years = frame["year"].to_numpy()
    frame["pct_all"] = percentile_in_year(pool, years, own)
    frame["pct_great_powers"] = percentile_in_year(pool[pool["gp"]], years, own)
    frame["base_rate_all"] = frame["year"].map(pool.groupby("year")["obs"].mean()).to_numpy(dtype=float)
    frame["base_rate_great_powers"] = frame["year"].map(
        pool[pool["gp"]].groupby("year")["obs"].mean()).to_numpy(dtype=float)


def dyad_predictions(
    panel: pd.DataFrame,
    fits: Mapping[str, Results],
    dyad: str | tuple[int, int] = (365, 710),
    years: tuple[int, int] | None = None,
    sims: int = 1000,
    seed: int = DEFAULT_SEED,
    scenario: Scenario | None = None,
    compare_groups: bool = True,
) -> pd.DataFrame:
    """Tidy predictions: one row per model x outcome x year of the dyad."""
    a, b = parse_dyad(dyad, panel)
    history = panel.index[(panel["ccode1"] == a) & (panel["ccode2"] == b)]
    rows = history
    if years is not None:
        rows = rows[panel.loc[rows, "year"].between(*years).to_numpy()]
        if len(rows) == 0:
            span = panel.loc[history, "year"]
            raise PanelError(f"dyad {a}-{b} has no years in {years[0]}-{years[1]}; it exists {span.min()}-{span.max()}")
    # the pool of all dyad-years is needed only for percentiles and base rates; otherwise the
    # dyad's whole history (for its lags and risk status) is enough
    base = panel if compare_groups else panel.loc[history]
    pos = base.index.get_indexer(rows)
    out = []
    shared: dict[tuple, pd.DataFrame] = {}  # models with the same covariates and lag share one frame
    for label, res in fits.items():
        if not CATALOG[res.estimator].probabilities:
            raise PanelError(f"model {label!r} ({res.estimator}) gives no absolute probabilities; use one of "
                             f"{', '.join(PROBABILITY_ESTIMATORS)}")
        check_simulable(label, res)
        missing = [c for c in raw_columns(res) if c not in panel.columns]
        if missing:
            raise PanelError(f"model {label!r} uses columns {missing} that the panel lacks")
        key = (tuple(raw_columns(res)), res.info.lag, res.info.duration)
        if key not in shared:
            shared[key] = explanatory(base, res, ends=coverage_ends(panel, raw_columns(res)))
        X_all = shared[key]
        risk_all = at_risk(base, res)
        X = X_all.iloc[pos]
        if scenario is not None:
            bad = scenario.columns() - set(raw_columns(res))
            if bad:
                raise ScenarioError(f"scenario {scenario.name!r} changes {sorted(bad)}, which model {label!r} does not "
                                 f"use; its covariates are {', '.join(res.info.covariates)}")
            X = scenario.apply(X)
        complete = X[raw_columns(res)].notna().all(axis=1).to_numpy()
        sims_p = _probabilities(res, X.fillna(0.0), sims, seed)
        point = _probabilities(res, X.fillna(0.0), None, seed)
        pool_p = _probabilities(res, X_all.fillna(0.0), None, seed) if compare_groups else {}
        complete_all = X_all[raw_columns(res)].notna().all(axis=1).to_numpy()
        if not risk_all[pos].any():
            raise PanelError(f"dyad {a}-{b} is never at risk of {'/'.join(_outcomes(res))} in the years asked "
                             f"(model {label!r}): {risk_status(res)} was in force in every previous year; choose "
                             "other years or an outcome such as alliance_new")
        for outcome in _outcomes(res):
            ok = complete & risk_all[pos]
            p = np.where(ok, point[outcome], np.nan)
            lo = np.where(ok, np.percentile(sims_p[outcome], 2.5, axis=0), np.nan)
            hi = np.where(ok, np.percentile(sims_p[outcome], 97.5, axis=0), np.nan)
            sub = base.iloc[pos]
            frame = pd.DataFrame({
                "ccode1": a, "ccode2": b, "year": sub["year"].to_numpy(), "model": label,
                "estimator": res.estimator, "outcome": outcome, "scenario": scenario.name if scenario else "observed",
                "at_risk": risk_all[pos], "observed_tie": sub["tie"].astype(str).to_numpy(),
                "observed_onset": sub[outcome].to_numpy(dtype=float),
                "extended_sources": sub["extended_sources"].astype(str).to_numpy(),
                "x_carried": X["x_carried"].to_numpy(),
                "p": p, "p_lo": lo, "p_hi": hi,
            })
            if compare_groups:
                pool = group_stats(base, risk_all & complete_all, pool_p[outcome], outcome)
                # the dyad's own pool value (not p recomputed on fewer rows, whose last bits can differ
                # and break the tie with itself); a scenario's p is ranked among the observed pool
                own = p if scenario is not None else np.where(ok, pool_p[outcome][pos], np.nan)
                add_group_columns(frame, pool, own)
            for c in raw_columns(res):
                frame[f"x_{c}"] = X[c].to_numpy()
            out.append(frame)
    return pd.concat(out, ignore_index=True)


def scenario_effects(panel: pd.DataFrame, fits: Mapping[str, Results], scenarios: Sequence[Scenario],
                     dyad: str | tuple[int, int] = (365, 710), years: tuple[int, int] | None = None,
                     sims: int = 1000, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Probabilities under each scenario and first differences from the observed covariates.

    The same seed gives the same coefficient draws for baseline and scenario, so the first
    difference's interval reflects only the scenario's change.
    """
    kw = dict(dyad=dyad, years=years, sims=sims, seed=seed, compare_groups=False)
    out = []
    for sc in scenarios:
        usable = {k: r for k, r in fits.items() if sc.columns() <= set(raw_columns(r))}
        if not usable:
            raise ScenarioError(f"scenario {sc.name!r} changes {sorted(sc.columns())}, which no model uses")
        base = dyad_predictions(panel, usable, **kw)
        alt = dyad_predictions(panel, usable, scenario=sc, **kw)
        fd_lo, fd_hi = [], []
        a, b = parse_dyad(dyad, panel)
        history = panel.index[(panel["ccode1"] == a) & (panel["ccode2"] == b)]
        rows = history if years is None else history[panel.loc[history, "year"].between(*years).to_numpy()]
        for label, res in usable.items():
            X = explanatory(panel.loc[history], res, ends=coverage_ends(panel, raw_columns(res))).loc[rows]
            d0 = _probabilities(res, X.fillna(0.0), sims, seed)
            d1 = _probabilities(res, sc.apply(X).fillna(0.0), sims, seed)
            for outcome in _outcomes(res):
                diff = d1[outcome] - d0[outcome]
                fd_lo.append(np.percentile(diff, 2.5, axis=0))
                fd_hi.append(np.percentile(diff, 97.5, axis=0))
        alt = alt.rename(columns={"p": "p_scenario", "p_lo": "p_scenario_lo", "p_hi": "p_scenario_hi"})
        alt["p_observed"] = base["p"].to_numpy()
        alt["first_difference"] = alt["p_scenario"] - alt["p_observed"]
        ok = alt["p_observed"].notna().to_numpy()
        alt["fd_lo"] = np.where(ok, np.concatenate(fd_lo), np.nan)
        alt["fd_hi"] = np.where(ok, np.concatenate(fd_hi), np.nan)
        alt["scenario_description"] = sc.description
        out.append(alt)
    return pd.concat(out, ignore_index=True)


def survival_curves(panel: pd.DataFrame, fits: Mapping[str, Results], dyad: str | tuple[int, int] = (365, 710),
                    horizon: int = 30, sims: int = 1000, seed: int = DEFAULT_SEED, scenario: Scenario | None = None,
                    from_year: int | None = None, skip_not_at_risk: bool = False) -> pd.DataFrame:
    """Probability of no onset over the next 1..horizon years after year T, the dyad's latest
    year with complete covariates (or ``from_year``): covariates held at their year-T values
    (what a one-year lag feeds into T+1), the years-since counter advancing one a year.

    The dyad must be at risk after T (the tie not in force in T): otherwise a PanelError, or
    with ``skip_not_at_risk`` the model is left out (an empty frame if every model is). For
    Cox the one-year baseline hazard is its average over the estimation years.
    """
    a, b = parse_dyad(dyad, panel)
    rows = panel.index[(panel["ccode1"] == a) & (panel["ccode2"] == b)]
    out = []
    for label, res in fits.items():
        if res.estimator not in HAZARD_ESTIMATORS:
            continue
        check_simulable(label, res)
        cols = raw_columns(res)
        # the same rule as the yearly predictions, with the coverage ends of the whole panel
        values, _ = carry_past_coverage(panel.loc[rows], cols, coverage_ends(panel, cols))
        raw = panel.loc[rows].assign(**{c: values[c] for c in cols})
        if from_year is not None:
            raw = raw[raw["year"] <= from_year]
        raw = raw[raw[cols].notna().all(axis=1)]
        if raw.empty:
            raise PanelError(f"dyad {a}-{b} has no year with complete covariates for model {label!r}")
        last = raw.iloc[[-1]]
        year_t = int(last["year"].iloc[0])
        status = risk_status(res)
        if status is not None and last[status].iloc[0] == 1:
            if skip_not_at_risk:
                continue
            raise PanelError(f"dyad {a}-{b} is not at risk of {res.spec.outcome} after {year_t}: {status} is in "
                             "force that year, so there is no survival curve to draw")
        steps = np.arange(1, horizon + 1)
        future = pd.DataFrame({c: np.repeat(float(last[c].iloc[0]), horizon) for c in cols})
        future["dyad_id"] = int(last["dyad_id"].iloc[0])
        future["year"] = year_t + steps
        if res.info.duration in last.columns:  # time controls and the Cox duration scale advance with the years
            future[res.info.duration] = float(last[res.info.duration].iloc[0]) + steps
        if scenario is not None:
            future = scenario.apply(future)
        outcome = _outcomes(res)[0]
        draws = _probabilities(res, future, sims, seed)[outcome]
        surv = np.cumprod(1 - draws, axis=1)
        point = np.cumprod(1 - _probabilities(res, future, None, seed)[outcome])
        out.append(pd.DataFrame({
            "ccode1": a, "ccode2": b, "model": label, "estimator": res.estimator, "outcome": outcome,
            "scenario": scenario.name if scenario else "observed", "from_year": year_t,
            "years_ahead": steps, "year": future["year"].to_numpy(), "survival": point,
            "survival_lo": np.percentile(surv, 2.5, axis=0), "survival_hi": np.percentile(surv, 97.5, axis=0),
        }))
    if not out:
        if skip_not_at_risk:
            return pd.DataFrame()
        raise PanelError(f"no hazard model among {list(fits)}; survival curves need one of {', '.join(HAZARD_ESTIMATORS)}")
    return pd.concat(out, ignore_index=True)


def great_power_distribution(panel: pd.DataFrame, fits: Mapping[str, Results],
                             years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Per model and year: quantiles (10, 25, 50, 75, 90) of the predicted probability among
    great-power dyads at risk, with the number of such dyads."""
    out = []
    gp = panel["great_power_dyad"].to_numpy() == 1
    for label, res in fits.items():
        if not CATALOG[res.estimator].probabilities:
            continue
        X = explanatory(panel, res)
        keep = gp & at_risk(panel, res) & X[raw_columns(res)].notna().all(axis=1).to_numpy()
        sub = X[keep]
        p = _probabilities(res, sub, None, 0)[_outcomes(res)[-1]]
        frame = pd.DataFrame({"year": sub["year"].to_numpy(), "p": p})
        if years is not None:
            frame = frame[frame["year"].between(*years)]
        if frame.empty:
            continue
        q = frame.groupby("year")["p"].quantile([0.1, 0.25, 0.5, 0.75, 0.9]).unstack()
        q.columns = ["q10", "q25", "q50", "q75", "q90"]
        q["n_dyads"] = frame.groupby("year").size()
        q = q.reset_index()
        q.insert(0, "outcome", _outcomes(res)[-1])
        q.insert(0, "model", label)
        out.append(q)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def write_frame(frame: pd.DataFrame, path: str | os.PathLike, metadata: Mapping[str, object]) -> Path:
    """CSV or Parquet (by suffix), atomically; Parquet carries ``metadata`` as JSON."""
    path = Path(path)
    if path.suffix == ".parquet":
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = {b"alliances.predictions": json.dumps(metadata, sort_keys=True, default=str).encode()}
        write_parquet_atomic(table.replace_schema_metadata(meta), path)
    elif path.suffix == ".csv":
        write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"))
    else:
        raise PanelError(f"{path}: output must end in .csv or .parquet")
    return path


def read_models(model_paths: Sequence[str | os.PathLike]) -> list[Spec | Results]:
    """Each ``--model`` file read: a specification (``.toml``, to be fitted) or a saved result (``.json``)."""
    models: list[Spec | Results] = []
    for path in map(Path, model_paths):
        if path.suffix == ".json":
            models.append(load(path))
        elif path.suffix == ".toml":
            models.append(Spec.from_toml(path))
        else:
            raise PanelError(f"--model {path}: expected a specification (.toml) or a saved result (.json)")
    return models


def prediction_columns(models: Sequence[Spec | Results]) -> list[str]:
    """Panel columns that fitting these models and :func:`run_predictions` read, so that a
    panel can be read in part (``read_panel(path, columns=...)``; 25 of the 157 columns for
    the baseline specification)."""
    cols = list(PREDICTION_COLUMNS)
    for m in models:
        spec = m.spec if isinstance(m, Results) else m
        cols += needed_columns(spec) + needed_columns(spec, "mlogit")
        if isinstance(m, Results) and risk_status(m) is not None:
            cols.append(risk_status(m))
    return list(dict.fromkeys(cols))


def load_fits(panel: pd.DataFrame, models: Sequence[str | os.PathLike | Spec | Results],
              estimators: Sequence[str] = DEFAULT_ESTIMATORS, panel_sha256: str | None = None,
              progress=None) -> dict[str, Results]:
    """Fitted models from specifications (fit each estimator) or saved results, given as files
    (see :func:`read_models`) or as read. Labels are ``<spec name>:<estimator>`` when several
    models are given."""
    read = [m if isinstance(m, (Spec, Results)) else read_models([m])[0] for m in models]
    fits: dict[str, Results] = {}
    for model in read:
        if isinstance(model, Results):
            fits[f"{model.spec.name}:{model.estimator}" if len(read) > 1 else model.estimator] = model
            continue
        for est in estimators:
            if progress:
                progress(f"fitting {model.name} with {est}")
            res = fit(panel, model, est, panel_sha256=panel_sha256)
            fits[f"{model.name}:{est}" if len(read) > 1 else est] = res
    return fits


def resolve_scenario(item: str, folder: str | os.PathLike = "analyses/scenarios") -> Scenario:
    """A scenario file path, or the name of a file in ``analyses/scenarios``."""
    path = Path(item)
    if path.suffix != ".toml":
        path = Path(folder) / f"{item}.toml"
    if not path.is_file():
        available = sorted(p.stem for p in Path(folder).glob("*.toml"))
        raise ScenarioError(f"scenario {item!r} not found (looked for {path}); available: {', '.join(available) or 'none'}")
    return Scenario.from_toml(path)


def recalibrated(pred: pd.DataFrame, recalibration: pd.DataFrame) -> pd.DataFrame:
    """``pred`` with a ``<model>_recal`` copy of each model's rows that has a final logistic
    recalibration (:mod:`alliances.analysis.combine`, fitted on all of the model's rolling-origin
    forecasts): p, p_lo and p_hi go through expit(a + b logit p). The map is increasing, so the
    interval is the model's simulation interval mapped exactly, for fixed (a, b); the uncertainty of
    (a, b) itself is not in it. Percentiles among dyads are unchanged; base rates are observed."""
    final = recalibration[(recalibration["window"] == FINAL) & (recalibration["rule"] == "logistic recalibration")]
    parts = [pred]
    for r in final.itertuples(index=False):
        rows = pred[pred["model"] == r.model]
        if rows.empty:
            continue
        parts.append(rows.assign(model=recalibrated_name(r.model),
                                 **{c: apply_recalibration(rows[c].to_numpy(dtype=float), r.intercept, r.slope)
                                    for c in ("p", "p_lo", "p_hi")}))
    return pd.concat(parts, ignore_index=True)


def run_predictions(panel: pd.DataFrame, fits: Mapping[str, Results], dyad="365-710",
                    years: tuple[int, int] | None = None, sims: int = 1000, seed: int = DEFAULT_SEED,
                    scenarios: Sequence[Scenario] = (), horizon: int = 30,
                    out_dir: str | os.PathLike | None = None, figures: bool = True,
                    recalibration: pd.DataFrame | None = None,
                    boosted: Sequence[pd.DataFrame] = ()) -> dict[str, pd.DataFrame]:
    """Predictions, scenarios, survival curves and the great-power comparison for one dyad;
    written as CSV and Parquet (and figures) into ``out_dir`` when given. With a validation's
    ``recalibration`` table the predictions also hold each model's recalibrated version
    (:func:`recalibrated`). ``boosted``: rows of the boosted-trees benchmark
    (:func:`alliances.analysis.boosting.dyad_forecast`) added to the predictions."""
    frames = {"predictions": dyad_predictions(panel, fits, dyad, years, sims, seed)}
    if len(boosted):
        frames["predictions"] = pd.concat([frames["predictions"], *boosted], ignore_index=True)
    if recalibration is not None and len(recalibration):
        frames["predictions"] = recalibrated(frames["predictions"], recalibration)
    if scenarios:
        frames["scenarios"] = scenario_effects(panel, fits, scenarios, dyad, years, sims, seed)
    hazard = {k: r for k, r in fits.items() if r.estimator in HAZARD_ESTIMATORS}
    if hazard and horizon > 0:
        # Curves start after the last year asked; a dyad with its tie in force then has none.
        surv = survival_curves(panel, hazard, dyad, horizon, sims, seed, from_year=years[1] if years else None,
                               skip_not_at_risk=True)
        if len(surv):
            frames["survival"] = surv
    frames["great_power_distribution"] = great_power_distribution(panel, fits, years)
    if out_dir is not None:
        out = Path(out_dir)
        meta = {"dyad": str(dyad), "years": years, "sims": sims, "seed": seed,
                "models": {k: {"estimator": r.estimator, "spec": r.spec.to_dict(), "panel_sha256": r.panel_sha256}
                           for k, r in fits.items()},
                "scenarios": [{"name": s.name, "description": s.description, "set": dict(s.set), "add": dict(s.add),
                               "multiply": dict(s.multiply)} for s in scenarios]}
        if len(boosted):
            meta["boosted_trees"] = [b.attrs.get("meta", {}) for b in boosted]
        for name, frame in frames.items():
            write_frame(frame, out / f"{name}.csv", meta)
            write_frame(frame, out / f"{name}.parquet", meta)
        if figures:
            # here, not at the top: matplotlib is loaded only when figures are drawn
            from alliances.analysis.figures import all_figures

            names = {}
            for code, abb in (("ccode1", "stateabb1"), ("ccode2", "stateabb2")):  # one row per state, not per dyad-year
                last = panel[[code, abb]].drop_duplicates(code, keep="last")
                names |= dict(zip(last[code].tolist(), last[abb].astype(str).tolist()))
            all_figures(frames["predictions"], frames.get("scenarios"), frames.get("survival"),
                        frames["great_power_distribution"], out, names=names)
    return frames
