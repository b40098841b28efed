"""From a dyad-year panel to an estimation frame: risk set, lags, time controls, checks.

The dyad-year panel is counting-process data already: the row for dyad *d* in year *t*
covers the interval (t-1, t], so a Cox model needs no reshaping (start = year - 1,
stop = year, event = onset in year t).

Steps (:func:`build_design`):

1. sort by dyad and year; compute ``<status>_lag``, the dyad's status in year t-1
   (0 when the dyad has no row in t-1, e.g. in its first year);
2. compute covariate terms (``log(x)``, ``log1p(x)``) and lag them within dyad by
   ``spec.lag`` years (missing unless the dyad has a row exactly ``lag`` years earlier);
3. keep the risk set (``<status>_lag == 0``) and the sample restrictions, which are
   read from year-t values;
4. add time controls from the (unlagged) years since the dyad's last tie, and period
   dummies (decade or year of the outcome) when the spec asks for them;
5. refuse years whose outcome is unknown (ATOP records no new agreements past its
   coverage, so onsets there are missing, not 0): an explicit ``years`` range that reaches
   them is an error naming the years; without ``years`` they are left out with a warning;
6. drop rows with a missing covariate or time control (listwise deletion) and report the
   outcome years used.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alliances.dyads.keys import dyad_id, year_key

from .errors import (
    CollinearityError,
    ModelError,
    SeparationError,
    unknown_columns_error,
)
from .spec import Spec, parse_term

KNOT_QUANTILES = {
    3: (0.10, 0.50, 0.90),
    4: (0.05, 0.35, 0.65, 0.95),
    5: (0.05, 0.275, 0.50, 0.725, 0.95),
}
MLOGIT_CATEGORIES = ("none", "alignment_onset", "alliance_onset")


@dataclass(frozen=True)
class DesignInfo:
    """Everything needed to rebuild the design matrix for new rows (JSON-serialisable)."""

    covariates: tuple[str, ...]
    x_names: tuple[str, ...]
    intercept: bool
    time_controls: str
    duration: str
    lag: int
    knots: tuple[float, ...] = ()
    period_effects: str = "none"
    periods: tuple[int, ...] = ()  # first year of each period with a dummy (the reference excluded)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DesignInfo":
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


@dataclass(frozen=True)
class Design:
    """Estimation frame plus bookkeeping.

    ``frame`` has columns ``dyad_id``, ``year``, ``y`` and one column per entry of
    ``info.x_names`` (``const`` included when ``info.intercept``).
    """

    frame: pd.DataFrame
    info: DesignInfo
    outcome: str
    risk_set: str
    n_risk_set: int
    n_dropped_missing: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    status: str | None = None  # status column whose t-1 value defines the risk set

    @property
    def years(self) -> tuple[int, int]:
        """First and last outcome year in the estimation frame."""
        y = self.frame["year"].to_numpy()
        return int(y.min()), int(y.max())

    def subset(self, keep: np.ndarray, note: str | None = None) -> "Design":
        """The same design on a subset of its rows (e.g. a training window)."""
        frame = self.frame.loc[np.asarray(keep)].reset_index(drop=True)
        return dataclasses.replace(self, frame=frame, notes=self.notes + ((note,) if note else ()))

    @property
    def X(self) -> np.ndarray:
        return self.frame[list(self.info.x_names)].to_numpy(dtype=float)

    @property
    def y(self) -> np.ndarray:
        return self.frame["y"].to_numpy()


# ----------------------------------------------------------------------------------
# small pieces
# ----------------------------------------------------------------------------------
def _sorted(panel: pd.DataFrame) -> pd.DataFrame:
    if "dyad_id" not in panel.columns:
        if {"ccode1", "ccode2"} <= set(panel.columns):
            panel = panel.assign(dyad_id=dyad_id(panel["ccode1"], panel["ccode2"]))
        else:
            raise unknown_columns_error(["dyad_id"], panel.columns)
    if "year" not in panel.columns:
        raise unknown_columns_error(["year"], panel.columns)
    key = year_key(panel["dyad_id"], panel["year"])
    if len(key) > 1 and not np.all(np.diff(key) > 0):
        if len(np.unique(key)) != len(key):
            raise ModelError("the panel has duplicated (dyad_id, year) rows; expected one row per dyad-year")
        panel = panel.iloc[np.argsort(key, kind="stable")]
    return panel.reset_index(drop=True)


def same_dyad_previous(dyad: np.ndarray, year: np.ndarray, k: int) -> np.ndarray:
    """Boolean: row i-k exists, belongs to the same dyad and is exactly k years earlier."""
    ok = np.zeros(len(dyad), dtype=bool)
    if k == 0:
        return ~ok
    if len(dyad) > k:
        ok[k:] = (dyad[k:] == dyad[:-k]) & (year[k:] - year[:-k] == k)
    return ok


def lag_within_dyad(values: np.ndarray, dyad: np.ndarray, year: np.ndarray, k: int, fill: float = np.nan) -> np.ndarray:
    """Values from year t-k of the same dyad (``fill`` when that row does not exist).

    Rows must be sorted by dyad and year.
    """
    values = np.asarray(values, dtype=float)
    if k == 0:
        return values.copy()
    out = np.full(len(values), fill, dtype=float)
    ok = same_dyad_previous(dyad, year, k)
    out[k:][ok[k:]] = values[:-k][ok[k:]]
    return out


def term_values(df: pd.DataFrame, term: str) -> np.ndarray:
    """Evaluate a covariate term (``x``, ``log(x)``, ``log1p(x)``) on a frame."""
    fn, col = parse_term(term)
    x = df[col].to_numpy(dtype=float)
    if fn is None:
        return x
    bad_floor = 0.0 if fn == "log" else -1.0
    bad = np.sum(x[~np.isnan(x)] <= bad_floor)
    if bad:
        raise ModelError(
            f"{term}: {bad} row(s) have {col} <= {bad_floor:g}; use log1p({col}) or a shifted column"
        )
    return np.log(x) if fn == "log" else np.log1p(x)


def rcs_basis(t: np.ndarray, knots: tuple[float, ...]) -> np.ndarray:
    """Natural (restricted) cubic spline basis without the linear term (Harrell's form).

    For knots k_1 < ... < k_K, column j (j = 1..K-2) is
    ``[(t-k_j)+^3 - (t-k_{K-1})+^3 (k_K-k_j)/(k_K-k_{K-1}) + (t-k_K)+^3 (k_{K-1}-k_j)/(k_K-k_{K-1})] / (k_K-k_1)^2``;
    together with ``t`` itself the fit is cubic between knots and linear beyond the
    boundary knots.
    """
    k = np.asarray(knots, dtype=float)
    K = len(k)
    pos = lambda u: np.maximum(u, 0.0) ** 3  # noqa: E731
    cols = []
    for j in range(K - 2):
        c = (
            pos(t - k[j])
            - pos(t - k[K - 2]) * (k[K - 1] - k[j]) / (k[K - 1] - k[K - 2])
            + pos(t - k[K - 1]) * (k[K - 2] - k[j]) / (k[K - 1] - k[K - 2])
        )
        cols.append(c / (k[K - 1] - k[0]) ** 2)
    return np.column_stack(cols)


def spline_knots(t: np.ndarray, n: int) -> tuple[float, ...]:
    """Knots at Harrell's default quantiles of t; error if t has too few distinct values."""
    t = t[~np.isnan(t)]
    knots = tuple(float(v) for v in np.unique(np.quantile(t, KNOT_QUANTILES[n])))
    if len(knots) < 3:
        raise ModelError(
            f"spline time controls need at least 3 distinct knots; the quantiles of the duration give {knots}. "
            "Use time_controls = 'cubic'."
        )
    return knots


def time_control_columns(t: np.ndarray, kind: str, knots: tuple[float, ...] = ()) -> dict[str, np.ndarray]:
    """Time-control columns from t = years since the last tie."""
    t = np.asarray(t, dtype=float)
    if kind == "none":
        return {}
    if kind == "cubic":
        return {"t": t, "t^2/100": t**2 / 100.0, "t^3/1000": t**3 / 1000.0}
    basis = rcs_basis(t, knots)
    out = {"t": t}
    for j in range(basis.shape[1]):
        out[f"t_spline{j + 1}"] = basis[:, j]
    return out


def period_of(year: np.ndarray, kind: str) -> np.ndarray:
    """Period of each outcome year: its decade's first year, or the year itself."""
    year = np.asarray(year).astype(np.int64)
    return (year // 10) * 10 if kind == "decade" else year


def period_columns(year: np.ndarray, kind: str, periods: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Dummies for ``periods`` (the reference period excluded).

    Outside the estimation sample: a year after the last period takes the last period's
    dummy (its effect is carried forward, the rule for forecasts); any other period not
    among ``periods`` (the reference, or one without events) has all dummies 0.
    """
    if kind == "none" or not periods:
        return {}
    per = period_of(year, kind)
    per = np.where(per > periods[-1], periods[-1], per)
    return {f"{kind}_{p}": (per == p).astype(float) for p in periods}


def model_matrix(frame: pd.DataFrame, info: DesignInfo, *, lag: bool = False) -> pd.DataFrame:
    """Design matrix for new rows (scenarios or panel rows) using a fitted model's recipe.

    With ``lag=False`` (default) the covariate columns of ``frame`` are taken as the
    values entering the model (scenario values).  With ``lag=True`` the frame is read as
    panel rows and covariates are lagged within dyad as in fitting (rows need
    ``dyad_id`` and ``year``; the first ``lag`` years of each dyad become missing).
    """
    needed = sorted({parse_term(t)[1] for t in info.covariates} | ({info.duration} if info.time_controls != "none" else set()))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise unknown_columns_error(missing, frame.columns, what="prediction frame")
    cols: dict[str, np.ndarray] = {}
    if info.intercept:
        cols["const"] = np.ones(len(frame))
    if lag and info.lag:
        if not {"dyad_id", "year"} <= set(frame.columns):
            raise ModelError("predict(..., lag=True) needs dyad_id and year columns in the frame")
        dyad = frame["dyad_id"].to_numpy()
        year = frame["year"].to_numpy()
        order = np.lexsort((year, dyad))
        if not np.all(order == np.arange(len(order))):
            raise ModelError("predict(..., lag=True) needs rows sorted by dyad_id and year")
    for term in info.covariates:
        v = term_values(frame, term)
        if lag and info.lag:
            v = lag_within_dyad(v, dyad, year, info.lag)
        cols[term] = v
    if info.time_controls != "none":
        cols.update(time_control_columns(frame[info.duration].to_numpy(dtype=float), info.time_controls, info.knots))
    if info.periods:
        if "year" not in frame.columns:
            raise ModelError("a model with period effects needs a year column in the prediction frame")
        cols.update(period_columns(frame["year"].to_numpy(), info.period_effects, info.periods))
    return pd.DataFrame(cols, index=frame.index)[list(info.x_names)]


# ----------------------------------------------------------------------------------
# the main builder
# ----------------------------------------------------------------------------------
def _year_ranges(years: np.ndarray) -> str:
    """``[1817, 1818, 1819, 2017]`` -> ``"1817-1819, 2017"``."""
    ys = np.unique(years)
    runs, first = [], ys[0]
    for a, b in zip(ys[:-1], ys[1:]):
        if b != a + 1:
            runs.append((first, a))
            first = b
    runs.append((first, ys[-1]))
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def _outcome_columns(spec: Spec, kind: str) -> tuple[list[str], str | None, str, str]:
    """(outcome columns, risk-set status, duration column, risk-set text)."""
    if kind == "mlogit":
        sfx = spec.variant
        status = None if spec.risk_set == "all" else f"any_tie{sfx}"
        text = ("all dyad-years" if status is None
                else f"dyad-years without any tie in force in year t-1 ({status}_lag == 0)")
        return [f"alliance_onset{sfx}", f"alignment_onset{sfx}"], status, f"years_since_tie{sfx}", text
    return [spec.outcome], spec.status, spec.duration, spec.describe_risk_set()


def needed_columns(spec: Spec, kind: str = "binary") -> list[str]:
    """Panel columns a design for ``spec`` reads (so callers can read only those from Parquet)."""
    outcome_cols, status, duration, _ = _outcome_columns(spec, kind)
    cols = ["dyad_id", "year", *outcome_cols, *sorted({parse_term(t)[1] for t in spec.covariates}), duration]
    cols += [status] if status else []
    cols += [f"{c}_agreement" for c in outcome_cols] if spec.cluster in ("agreement", "dyad+agreement") else []
    cols += ["great_power_dyad"] if spec.great_powers_only else []
    cols += ["conttype", "major1", "major2"] if spec.politically_relevant else []
    return list(dict.fromkeys(cols))


def build_design(panel: pd.DataFrame, spec: Spec, *, kind: str = "binary", intercept: bool = True,
                 period_effects: bool = True) -> Design:
    """Build the estimation frame for ``spec``.

    ``kind="binary"`` uses ``spec.outcome``; ``kind="mlogit"`` builds the three-category
    outcome 0 = none, 1 = alignment onset, 2 = alliance onset (alliance wins when both
    happen in a year) with the risk set "no tie of either kind in force in t-1"
    (the peacetime or bilateral variants when ``spec.outcome`` is one).
    ``period_effects=False`` leaves out the spec's period dummies (estimators whose own
    effects absorb them).
    """
    outcome_cols, status, duration, risk_text = _outcome_columns(spec, kind)
    periods_kind = spec.period_effects if period_effects else "none"
    base_cols = sorted({parse_term(t)[1] for t in spec.covariates})
    agreement_cols = [f"{c}_agreement" for c in outcome_cols] if spec.cluster in ("agreement", "dyad+agreement") else []
    needed = list(outcome_cols) + base_cols + ([status] if status else []) + agreement_cols
    if spec.time_controls != "none" or duration in panel.columns:
        needed.append(duration)
    if spec.great_powers_only:
        needed.append("great_power_dyad")
    if spec.politically_relevant:
        needed += ["conttype", "major1", "major2"]
    absent = [c for c in agreement_cols if c not in panel.columns]
    if absent:
        raise ModelError(f"cluster = {spec.cluster!r} needs the agreement that produced each onset, and "
                         f"{' / '.join(outcome_cols)} has none ({', '.join(absent)} is not in the panel; the status "
                         "onsets alliance/alignment/tie_onset and their _peace and _bilat variants have one). "
                         "Choose cluster = 'dyad', 'year' or 'dyad+year'.")
    missing = [c for c in dict.fromkeys(needed) if c not in panel.columns]
    if missing:
        raise unknown_columns_error(missing, panel.columns)

    df = _sorted(panel)
    dyad = df["dyad_id"].to_numpy()
    year = df["year"].to_numpy()
    notes: list[str] = [f"risk set: {risk_text}"]

    mask = np.ones(len(df), dtype=bool)
    if status:
        st = df[status].to_numpy(dtype=float)
        st_lag = lag_within_dyad(np.nan_to_num(st, nan=0.0), dyad, year, 1, fill=0.0)
        mask &= st_lag == 0
    if spec.years is not None:
        mask &= (year >= spec.years[0]) & (year <= spec.years[1])
    if spec.great_powers_only:
        mask &= df["great_power_dyad"].to_numpy(dtype=float) == 1
    if spec.politically_relevant:
        ct = df["conttype"].to_numpy(dtype=float)
        major = (df["major1"].to_numpy(dtype=float) == 1) | (df["major2"].to_numpy(dtype=float) == 1)
        mask &= ((ct >= 1) & (ct <= spec.max_conttype)) | major

    # Unknown outcomes (past the outcome source's coverage) are missing, never non-events.
    outcomes = {c: df[c].to_numpy(dtype=float) for c in outcome_cols}
    unknown = mask & np.any([np.isnan(v) for v in outcomes.values()], axis=0)
    observed = year[mask & ~unknown]
    # Inside the outcome's observed years, an unknown outcome is a row its source could not code
    # (a state without a UN estimate, a year without recorded votes): left out, with a note.
    # Unknown years before or after them are the source's coverage ending: refused or dropped below.
    inside = unknown & (year >= observed.min()) & (year <= observed.max()) if observed.size else unknown & False
    if inside.any():
        msg = (f"{' / '.join(outcome_cols)} is unknown for {int(inside.sum()):,} risk-set rows inside its observed "
               f"years (in {_year_ranges(year[inside])}): rows the outcome's source could not code, left out")
        notes.append(msg)
        mask &= ~inside
        unknown &= ~inside
    if unknown.any():
        where = _year_ranges(year[unknown])
        what = " / ".join(outcome_cols)
        if spec.years is not None:
            raise ModelError(
                f"{what} is unknown (missing) in {where} for {int(unknown.sum()):,} risk-set rows: the outcome's "
                "source does not cover those years (ATOP records no new agreements past its coverage), so they "
                f"cannot count as non-events. Set [sample] years to end before {int(year[unknown].min())}."
            )
        msg = (f"{what} is unknown in {where}: {int(unknown.sum()):,} risk-set rows left out "
               "(past the outcome source's coverage)")
        warnings.warn(msg, stacklevel=3)
        notes.append(msg)
        mask &= ~unknown

    cols: dict[str, np.ndarray] = {"dyad_id": dyad[mask], "year": year[mask]}
    if kind == "mlogit":
        a, g = outcomes[outcome_cols[0]][mask], outcomes[outcome_cols[1]][mask]
        y = np.where(a == 1, 2.0, np.where(g == 1, 1.0, 0.0))
    else:
        y = outcomes[outcome_cols[0]][mask]
    cols["y"] = y
    if agreement_cols:
        agr = np.full(int(mask.sum()), -1.0)
        for c in reversed(agreement_cols):  # mlogit: the alliance's agreement wins, as its category does
            v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)[mask]
            agr = np.where(~np.isnan(v), v, agr)
        cols["agreement"] = agr
    x_names: list[str] = []
    if intercept:
        cols["const"] = np.ones(int(mask.sum()))
        x_names.append("const")
    for term in spec.covariates:
        v = term_values(df, term)
        cols[term] = lag_within_dyad(v, dyad, year, spec.lag)[mask]
        x_names.append(term)
    knots: tuple[float, ...] = ()
    if spec.time_controls != "none":
        t = df[duration].to_numpy(dtype=float)[mask]
        if spec.time_controls == "spline":
            knots = spline_knots(t, spec.spline_knots)
        tc = time_control_columns(t, spec.time_controls, knots)
        cols.update(tc)
        x_names += list(tc)
    if duration in df.columns:  # the Cox model's time scale
        cols["_duration"] = df[duration].to_numpy(dtype=float)[mask]
    frame = pd.DataFrame(cols)
    n_risk = len(frame)
    if n_risk == 0:
        raise ModelError(
            f"the risk set is empty for outcome {spec.outcome!r} ({risk_text}; sample: {spec.describe_sample()}). "
            "Widen the years or drop a sample restriction."
        )
    complete = frame.drop(columns=["agreement"], errors="ignore").notna().all(axis=1).to_numpy()
    frame = frame.loc[complete].reset_index(drop=True)
    n_drop = n_risk - len(frame)
    if n_drop:
        nan_counts = {c: int(v) for c, v in pd.DataFrame(cols).isna().sum().items() if v and c != "agreement"}
        notes.append(f"dropped {n_drop} risk-set rows with missing values ({nan_counts})")
    if len(frame) == 0:
        raise ModelError(
            f"no complete rows: all {n_risk} risk-set rows miss the outcome, a covariate or a time control. "
            "Check the covariates' coverage years against spec.years."
        )
    periods: tuple[int, ...] = ()
    if periods_kind != "none":
        per = period_of(frame["year"].to_numpy(), periods_kind)
        with_events = np.unique(per[frame["y"].to_numpy() > 0])
        empty = np.setdiff1d(np.unique(per), with_events)
        if len(empty):
            drop = np.isin(per, empty)
            notes.append(f"{periods_kind} effects: {int(drop.sum())} rows of {len(empty)} {periods_kind}(s) "
                         f"without an event left out ({_year_ranges(empty)}), their effect being minus infinity")
            frame = frame.loc[~drop].reset_index(drop=True)
            per = per[~drop]
        if len(with_events) < 2:
            raise ModelError(f"{periods_kind} effects need events in at least two {periods_kind}s; the sample has "
                             f"{len(with_events)}")
        periods = tuple(int(p) for p in with_events[1:])
        for name, v in period_columns(frame["year"].to_numpy(), periods_kind, periods).items():
            frame[name] = v
            x_names.append(name)
        notes.append(f"{periods_kind} effects: reference {int(with_events[0])}; a later year than "
                     f"{periods[-1]} is predicted with the last {periods_kind}'s effect")
    elif spec.period_effects != "none":
        notes.append(f"{spec.period_effects} effects not added: absorbed by this estimator's own effects")
    frame["y"] = frame["y"].astype(int)
    info = DesignInfo(
        covariates=tuple(spec.covariates),
        x_names=tuple(x_names),
        intercept=intercept,
        time_controls=spec.time_controls,
        duration=duration,
        lag=spec.lag,
        knots=knots,
        period_effects=periods_kind,
        periods=periods,
    )
    return Design(
        frame=frame,
        info=info,
        outcome="/".join(MLOGIT_CATEGORIES) if kind == "mlogit" else spec.outcome,
        risk_set=risk_text,
        n_risk_set=n_risk,
        n_dropped_missing=n_drop,
        notes=tuple(notes),
        status=status,
    )


def restrict_periods(design: Design) -> Design:
    """Period dummies recomputed for a subset of a design's rows (a training window).

    The periods with an event in the subset keep a dummy, the first of them being the new
    reference; rows of periods without an event are left out (their effect would be minus
    infinity). Predictions for later periods take the last period's dummy, earlier or
    eventless ones the reference (:func:`period_columns`).
    """
    info = design.info
    if info.period_effects == "none":
        return design
    old = [n for n in info.x_names if n.startswith(f"{info.period_effects}_")]
    frame = design.frame.drop(columns=old)
    per = period_of(frame["year"].to_numpy(), info.period_effects)
    with_events = np.unique(per[frame["y"].to_numpy() > 0])
    keep = np.isin(per, with_events)
    notes = design.notes
    if not keep.all():
        notes += (f"{int((~keep).sum())} rows of {info.period_effects}s without an event in this window left out",)
        frame = frame.loc[keep].reset_index(drop=True)
    periods = tuple(int(p) for p in with_events[1:])
    dummies = period_columns(frame["year"].to_numpy(), info.period_effects, periods)
    for name, v in dummies.items():
        frame[name] = v
    x_names = tuple(n for n in info.x_names if n not in old) + tuple(dummies)
    return dataclasses.replace(design, frame=frame, notes=notes,
                               info=dataclasses.replace(info, x_names=x_names, periods=periods))


def design_matrix(design_frame: pd.DataFrame, info: DesignInfo) -> np.ndarray:
    """X for rows of a design frame (covariates already lagged) under another fit's ``info``:
    the period dummies are recomputed from the year with ``info.periods``."""
    dummies = period_columns(design_frame["year"].to_numpy(), info.period_effects, info.periods)
    cols = [dummies[n] if n in dummies else design_frame[n].to_numpy(dtype=float) for n in info.x_names]
    return np.column_stack(cols) if cols else np.zeros((len(design_frame), 0))


# ----------------------------------------------------------------------------------
# checks: separation, collinearity, absorbed covariates
# ----------------------------------------------------------------------------------
def check_events(y: np.ndarray, outcome: str) -> None:
    n1 = int(np.sum(y > 0))
    if n1 == 0:
        raise ModelError(f"no events: {outcome} never occurs among the {len(y)} estimation rows")
    if n1 == len(y):
        raise ModelError(f"{outcome} occurs in every estimation row; nothing to explain")


def check_separation(y: np.ndarray, X: np.ndarray, names: list[str] | tuple[str, ...], outcome: str) -> None:
    """Raise if one covariate alone (quasi-)perfectly predicts a binary outcome.

    Binary covariate: the outcome never (or always) occurs at one of its two values.
    Other covariates: every event lies at or above (or at or below) every non-event.
    Only single-covariate separation is detected; separation by a combination of
    covariates shows up as non-convergence.
    """
    ev = y > 0
    for j, name in enumerate(names):
        if name == "const":
            continue
        x = X[:, j]
        lo, hi = x.min(), x.max()
        if lo == hi:
            continue
        if np.all((x == lo) | (x == hi)):  # binary: O(n), no sort
            for v in (lo, hi):
                sel = x == v
                r = ev[sel].mean()
                if r in (0.0, 1.0):
                    what = "never" if r == 0 else "always"
                    raise SeparationError(
                        f"perfect separation: {outcome} {what} occurs when {name} == {v:g} "
                        f"({int(sel.sum())} rows), so the {name} coefficient is infinite. "
                        "Drop the covariate, merge categories or use estimator='firth'."
                    )
        else:
            x1, x0 = x[ev], x[~ev]
            if x1.min() >= x0.max() or x1.max() <= x0.min():
                side = f">= {x0.max():g}" if x1.min() >= x0.max() else f"<= {x0.min():g}"
                raise SeparationError(
                    f"perfect separation: every {outcome} event has {name} {side}, beyond all non-events, "
                    "so its coefficient is infinite. Drop or recode the covariate or use estimator='firth'."
                )


def check_collinearity(X: np.ndarray, names: list[str] | tuple[str, ...]) -> None:
    """Raise naming covariates that are constant or linearly dependent on others."""
    names = list(names)
    has_const = "const" in names
    constant = X.max(axis=0) == X.min(axis=0)  # exact, unlike a standard deviation's rounding
    for j, n in enumerate(names):
        if n != "const" and constant[j]:
            raise CollinearityError(
                f"collinearity: {n} is constant ({X[0, j]:g}) in the estimation sample"
                + (" and so collinear with the intercept" if has_const else "")
                + "; drop it or widen the sample."
            )
    cols = [j for j, n in enumerate(names) if n != "const"]
    if not cols:
        return
    # correlation (or, without an intercept, uncentred cosine) matrix of the covariates, summed
    # in chunks of rows so no full-size centred copy of X is made
    centre = X.mean(axis=0)[cols] if has_const else np.zeros(len(cols))
    C = np.zeros((len(cols), len(cols)))
    for a in range(0, len(X), 1 << 16):
        chunk = X[a:a + (1 << 16), cols] - centre
        C += chunk.T @ chunk
    scale = np.sqrt(np.diag(C))
    C = C / np.outer(scale, scale)
    w, V = np.linalg.eigh(C)
    if w[0] < 1e-10 * max(w[-1], 1.0):
        v = V[:, 0]
        involved = [names[cols[i]] for i in np.argsort(-np.abs(v)) if abs(v[i]) > 0.05]
        raise CollinearityError(
            "collinearity: the covariates " + ", ".join(involved) + (" (with the intercept)" if has_const else "")
            + " are linearly dependent in the estimation sample; drop one of them."
        )


def absorbed(frame: pd.DataFrame, names: list[str] | tuple[str, ...], by: str) -> list[str]:
    """Covariates with no variation within any level of ``by`` (absorbed by its fixed effects)."""
    out = []
    g = frame.groupby(by, sort=False)
    for n in names:
        if n == "const":
            continue
        within = (frame[n] - g[n].transform("mean")).abs().max()
        if not within > 1e-12 * max(frame[n].abs().max(), 1.0):
            out.append(n)
    return out
