"""Out-of-sample validation (alliances.analysis.validate) on a synthetic panel: windows, no leakage,
benchmarks, scores recomputed from the predictions, output files (fast, in-process).

The last tests guard defects found in review and fixed: a Cox baseline of 0 past the last
training duration, spline knots from the whole sample, test decades without an onset dropped,
and a best model chosen on different windows.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import statsmodels.api as sm
from scipy.special import expit

from alliances.analysis import metrics, validate
from alliances.analysis.validate import (
    BENCHMARKS,
    ERAS,
    Window,
    full_design,
    predict_window,
    run_validation,
    windows,
    write_validation,
)
from alliances.errors import AlliancesError
from alliances.models import ModelError, Spec
from alliances.models._synthetic import synthetic_panel
from alliances.models.catalog import VALIDATED_ESTIMATORS
from alliances.models.fitting import design_for

COVS = ["cap_ratio", "log_capdist", "contig_land"]  # no separation in any window of the seed-0 panel
KEY = ["dyad_id", "year"]
ROLLING = dict(first_origin=1950, step=20)  # origins 1950, 1970, 1990 on the 1901-2010 outcome years


def write_panel(frame: pd.DataFrame, path) -> str:
    """The frame as Parquet with the (empty) alliances metadata ``read_panel`` insists on: a plain
    ``DataFrame.to_parquet`` file is refused ("Parquet file without alliances metadata")."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({b"alliances.codebook": b"[]", b"alliances.build": b"{}",
                                           b"alliances.table": b"dyad_years"})
    pq.write_table(table, path)
    return str(path)


@pytest.fixture(scope="module")
def synth() -> pd.DataFrame:
    return synthetic_panel(n_states=30, seed=0)


@pytest.fixture(scope="module")
def synth_path(synth, tmp_path_factory) -> str:
    return write_panel(synth, tmp_path_factory.mktemp("panel") / "synthetic.parquet")


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec("alliance_onset", COVS, name="synthetic")


@pytest.fixture(scope="module")
def design(synth, spec):
    return design_for(synth, spec, "logit")


@pytest.fixture(scope="module")
def validation(synth_path, spec):
    return run_validation(synth_path, spec, jobs=1, **ROLLING)


def merged(a: pd.DataFrame, b: pd.DataFrame, **kw) -> pd.DataFrame:
    out = a.merge(b, on=KEY, how="outer", indicator=True, **kw)
    assert (out["_merge"] == "both").all(), "row sets differ"
    return out


def logit_p(train: pd.DataFrame, test: pd.DataFrame, names) -> np.ndarray:
    res = sm.Logit(train["y"].to_numpy(), train[list(names)].to_numpy(dtype=float)).fit(method="newton", disp=0)
    assert res.mle_retvals["converged"]
    return expit(test[list(names)].to_numpy(dtype=float) @ np.asarray(res.params))


# -- windows ------------------------------------------------------------------------------
def test_rolling_windows():
    ws = windows(1816, 2016)
    rolling = [w for w in ws if w.scheme == "rolling"]
    assert [w.train_through for w in rolling] == list(range(1850, 2016, 10))  # 1850 .. 2010, before the last year
    for w in rolling:
        t = w.train_through
        assert w.test == (t + 1, min(t + 10, 2016)) and w.label == f"origin {t}"
    assert rolling[-1].test == (2011, 2016)
    ws = windows(1900, 1950, first_origin=1900, step=7, horizon=3, eras=())
    assert [(w.train_through, w.test) for w in ws] == [(t, (t + 1, min(t + 3, 1950))) for t in range(1901, 1950, 7)]
    assert ws[-1].test == (1944, 1946)
    assert [w.train_through for w in windows(1900, 1950, first_origin=1949, eras=())] == [1949]  # test 1950 only
    year = np.arange(1900, 1931)
    w = windows(1900, 1930, first_origin=1910, eras=())[0]
    assert year[w.train_mask(year)].max() == 1910 and list(year[w.test_mask(year)]) == list(range(1911, 1921))


def test_era_windows_only_inside_the_sample():
    eras = [w for w in windows(1901, 2010) if w.scheme == "era"]
    assert [w.test for w in eras] == [(1901, 1913), (1914, 1945), (1946, 1989), (1990, 2010)]  # 1816-1870 outside
    assert [w.label for w in eras] == ["era 1871-1913", "era 1914-1945", "era 1946-1989", "era 1990-"]
    assert [w.test for w in windows(1816, 2016) if w.scheme == "era"] == [(max(a, 1816), min(b, 2016)) for a, b in ERAS]
    year = np.arange(1901, 2011)
    w = eras[1]
    assert set(year[w.train_mask(year)]) == set(year) - set(range(1914, 1946))
    assert not (w.train_mask(year) & w.test_mask(year)).any()
    # an era holding the whole sample leaves nothing to train on: no window at all
    with pytest.raises(AlliancesError, match="no validation window"):
        windows(1950, 1960, first_origin=1990)


@pytest.mark.parametrize("kw", [{"step": 0}, {"horizon": 0}, {"step": -10}])
def test_windows_refuse_nonpositive_step_or_horizon(kw):
    with pytest.raises(AlliancesError, match="step and horizon must be positive"):
        windows(1816, 2016, **kw)


# -- no leakage ---------------------------------------------------------------------------
def test_rolling_logit_equals_independent_refit(design, spec):
    w = Window("rolling", "origin 1970", (1971, 1980), 1970)
    out = predict_window(design, spec, "logit", w)
    f = design.frame
    train, test = f[f["year"] <= 1970], f[(f["year"] >= 1971) & (f["year"] <= 1980)]
    assert len(out) == len(test) and out["year"].between(1971, 1980).all()
    expected = test[KEY + ["y"]].assign(p_ref=logit_p(train, test, design.info.x_names))
    m = merged(out, expected)
    np.testing.assert_allclose(m["p"], m["p_ref"], rtol=0, atol=1e-8)
    assert (m["outcome"] == m["y"]).all()


@pytest.mark.parametrize("model", [*VALIDATED_ESTIMATORS, *BENCHMARKS])
def test_predictions_ignore_outcomes_after_the_origin(design, spec, model):
    """Scrambling every outcome after the origin changes no out-of-sample probability."""
    w = Window("rolling", "origin 1970", (1971, 1980), 1970)
    rng = np.random.default_rng(1)
    f = design.frame.copy()
    late = f["year"] > 1970
    f.loc[late, "y"] = (rng.random(int(late.sum())) < 0.05).astype(int)
    scrambled = dataclasses.replace(design, frame=f)
    a, b = predict_window(design, spec, model, w), predict_window(scrambled, spec, model, w)
    np.testing.assert_array_equal(a[KEY].to_numpy(), b[KEY].to_numpy())
    np.testing.assert_allclose(a["p"], b["p"], rtol=0, atol=1e-12)
    assert not np.array_equal(a["outcome"], b["outcome"])  # the scramble did reach the test rows


def test_training_rows_do_not_depend_on_later_years(synth, spec, design):
    """The design rows of years <= T are the same when the panel stops at T (lags look back only)."""
    short = design_for(synth[synth["year"] <= 1970], spec, "logit").frame
    full = design.frame[design.frame["year"] <= 1970].reset_index(drop=True)
    pd.testing.assert_frame_equal(short, full)


def test_decade_effect_carried_forward(synth, spec):
    """A test year in a later decade than the training data takes the last training decade's dummy."""
    s = dataclasses.replace(spec, period_effects="decade")
    d = design_for(synth, s, "logit")
    w = Window("rolling", "origin 1975", (1976, 1985), 1975)
    out = predict_window(d, s, "logit", w)
    # by hand: training rows of decades with an onset among years <= 1975, first such decade the reference
    base = ["const", *COVS, "t", "t^2/100", "t^3/1000"]
    f = d.frame[base + KEY + ["y"]]
    train = f[f["year"] <= 1975]
    decade = train["year"] // 10 * 10
    with_events = np.unique(decade[train["y"] == 1])
    assert with_events[-1] == 1970 and len(with_events) >= 3  # the last training decade is the 1970s
    train = train[decade.isin(with_events)]
    dummies = [f"decade_{p}" for p in with_events[1:]]
    train = train.assign(**{n: (train["year"] // 10 * 10 == p).astype(float) for n, p in zip(dummies, with_events[1:])})
    test = f[(f["year"] >= 1976) & (f["year"] <= 1985)]
    test = test.assign(**{n: float(n == "decade_1970") for n in dummies})  # 1976-79 and 1980-85 alike
    m = merged(out, test[KEY].assign(p_ref=logit_p(train, test, base + dummies)))
    assert (m["year"] >= 1980).sum() > 0
    np.testing.assert_allclose(m["p"], m["p_ref"], rtol=0, atol=1e-8)
    # and the dummy matters: the reference decade would give other probabilities
    ref = logit_p(train, test.assign(decade_1970=0.0), base + dummies)
    assert np.abs(m["p"].to_numpy() - ref).max() > 1e-3


# -- benchmarks ---------------------------------------------------------------------------
def test_base_rate_is_the_training_mean(design, spec):
    w = Window("rolling", "origin 1970", (1971, 1980), 1970)
    out = predict_window(design, spec, "base_rate", w)
    y_train = design.frame.loc[design.frame["year"] <= 1970, "y"]
    assert out["p"].nunique() == 1 and out["p"].iloc[0] == pytest.approx(y_train.mean(), abs=1e-15)
    w = Window("era", "era 1914-1945", (1914, 1945))
    out = predict_window(design, spec, "base_rate", w)
    y_train = design.frame.loc[~design.frame["year"].between(1914, 1945), "y"]
    assert out["p"].iloc[0] == pytest.approx(y_train.mean(), abs=1e-15)


def test_duration_only_equals_independent_cubic_logit(synth, design, spec):
    w = Window("rolling", "origin 1990", (1991, 2000), 1990)
    out = predict_window(design, spec, "duration_only", w)
    # the duration straight from the panel, not from the design
    rows = design.frame[KEY + ["y"]].merge(synth[KEY + ["years_since_alliance"]], on=KEY, how="left")
    t = rows["years_since_alliance"].to_numpy(dtype=float)
    rows = rows.assign(const=1.0, t1=t, t2=t**2 / 100, t3=t**3 / 1000)
    train, test = rows[rows["year"] <= 1990], rows[rows["year"].between(1991, 2000)]
    m = merged(out, test[KEY].assign(p_ref=logit_p(train, test, ["const", "t1", "t2", "t3"])))
    np.testing.assert_allclose(m["p"], m["p_ref"], rtol=0, atol=1e-8)
    assert m["p"].nunique() > 10  # varies with the duration, unlike the base rate


# -- the whole validation -----------------------------------------------------------------
def test_predictions_one_row_per_window_model_dyad_year(validation, design):
    pred = validation.predictions
    assert list(pred.columns) == ["ccode1", "ccode2", "dyad_id", "year", "scheme", "window", "origin", "model",
                                  "p", "outcome"]
    derived = {*(f"{m}_recal" for m in VALIDATED_ESTIMATORS), "ensemble", "ensemble_recal"}
    assert set(pred["model"]) == {*VALIDATED_ESTIMATORS, *BENCHMARKS, *derived} and "cox" in set(pred["model"])
    assert validation.failures.empty
    assert [w.scheme for w in validation.windows].count("rolling") == 3 and len(validation.windows) == 7
    assert not pred.duplicated(["scheme", "window", "model", "dyad_id", "year"]).any()
    assert (pred["ccode1"].astype(int) * 1000 + pred["ccode2"] == pred["dyad_id"]).all()
    assert pred["p"].between(0, 1).all()
    f = design.frame
    for w in validation.windows:
        expected = f.loc[w.test_mask(f["year"].to_numpy()), KEY + ["y"]]
        for model, g in pred[pred["window"] == w.label].groupby("model"):
            assert len(g) == len(expected), (w.label, model)
            m = merged(g, expected)
            assert (m["outcome"] == m["y"]).all()
            assert (m["origin"] == w.train_through).all() if w.scheme == "rolling" else m["origin"].isna().all()


def test_scores_recomputed_from_predictions(validation):
    pred, scores = validation.predictions, validation.scores.set_index(["scheme", "window", "model"])
    n_pooled = pred.groupby(["scheme", "model"]).ngroups
    assert len(scores) == pred.groupby(["scheme", "window", "model"]).ngroups + n_pooled
    for (scheme, model), g in pred.groupby(["scheme", "model"]):
        row = scores.loc[(scheme, "pooled", model)]
        assert row["n"] == len(g) and row["events"] == g["outcome"].sum()
        assert row["brier"] == pytest.approx(metrics.brier(g["p"], g["outcome"]), rel=1e-12)
        assert row["brier"] == pytest.approx(np.mean((g["p"] - g["outcome"]) ** 2), rel=1e-12)
        assert row["log_score"] == pytest.approx(metrics.log_score(g["p"], g["outcome"]), rel=1e-12)
        assert row["roc_auc"] == pytest.approx(metrics.roc_auc(g["p"], g["outcome"]), rel=1e-12)
        ref = pred[(pred["scheme"] == scheme) & (pred["model"] == "base_rate")]
        ref = g[KEY + ["window"]].merge(ref, on=KEY + ["window"], how="left")["p"]
        assert row["brier_skill"] == pytest.approx(metrics.brier_skill(g["p"], g["outcome"], ref), rel=1e-9, abs=1e-15)
    for (scheme, window, model), g in pred.groupby(["scheme", "window", "model"]):
        assert scores.loc[(scheme, window, model), "brier"] == pytest.approx(metrics.brier(g["p"], g["outcome"]))
    assert (scores.xs("base_rate", level="model")["brier_skill"] == 0).all()


def _headline_by_hand(pred: pd.DataFrame) -> str:
    """The headline rule recomputed from the rows: on the rolling windows every model was fitted
    on, the best log score among the models better than the base rate on log score and Brier
    score, or of all models when none is."""
    rolling = pred[pred["scheme"] == "rolling"]
    windows = [set(g["window"]) for _, g in rolling.groupby("model")]
    c = rolling[rolling["window"].isin(set.intersection(*windows))]
    scores = {m: (metrics.log_score(g["p"], g["outcome"]), metrics.brier(g["p"], g["outcome"]))
              for m, g in c.groupby("model")}
    base = scores.pop("base_rate")
    scores.pop("duration_only")
    winners = {m: v for m, v in scores.items() if v[0] > base[0] and v[1] < base[1]}
    pool = winners or scores
    return max(pool, key=lambda m: pool[m][0])


def test_best_follows_the_headline_rule(validation):
    assert validation.best == _headline_by_hand(validation.predictions)
    assert validation.best not in BENCHMARKS
    rank = validation.ranking
    assert rank["log_score"].is_monotonic_decreasing and set(rank["model"]) == \
        set(validation.predictions["model"]) - set(BENCHMARKS)


def test_calibration_tables(validation):
    rolling = validation.predictions[validation.predictions["scheme"] == "rolling"]
    for model, g in rolling.groupby("model"):
        got = validation.calibration[validation.calibration["model"] == model].drop(columns="model")
        pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                      metrics.calibration_table(g["p"], g["outcome"], quantiles=metrics.TAIL_QUANTILES))
    by_era = validation.calibration_by_era
    assert set(by_era["era"]) == {"1946-1989", "1990-"}  # rolling test years 1951-2000
    for model, g in by_era.groupby("model"):
        assert g["n"].sum() == (rolling["model"] == model).sum()
        assert g["events"].sum() == rolling.loc[rolling["model"] == model, "outcome"].sum()


def test_failures_are_listed_not_raised(synth, spec, tmp_path):
    quiet = synth.assign(alliance_onset=np.where(synth["year"] <= 1950, 0, synth["alliance_onset"]))
    path = write_panel(quiet, tmp_path / "quiet.parquet")
    v = run_validation(path, spec, ["logit", "cox"], jobs=1, **ROLLING)
    failed = v.failures[v.failures["window"] == "origin 1950"]
    assert set(failed["model"]) == {"logit", "cox", *BENCHMARKS}
    assert failed["error"].str.contains("no onset among the").all()
    assert set(v.failures["window"]) == {"origin 1950"}
    assert "origin 1950" not in set(v.predictions["window"])
    assert {"origin 1970", "origin 1990"} <= set(v.predictions["window"])
    # every task failing is an error
    none = synth.assign(alliance_onset=0)
    with pytest.raises(ModelError, match="no validation window could be fitted"):
        run_validation(write_panel(none, tmp_path / "none.parquet"), spec, ["logit"], jobs=1, **ROLLING)


@pytest.mark.parametrize("model", ["lpm", "clogit"])
def test_models_without_probabilities_are_refused(synth_path, spec, model):
    with pytest.raises(ModelError, match="cannot be validated out of sample"):
        run_validation(synth_path, spec, [model], jobs=1)


# -- files --------------------------------------------------------------------------------
def test_write_validation_files_and_reproducibility(validation, synth_path, spec, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    paths = write_validation(validation, a)
    validate._DESIGNS.clear()  # the second run rebuilds everything
    write_validation(run_validation(synth_path, spec, jobs=1, **ROLLING), b, figures=False)
    assert paths["predictions"] == a / "predictions.parquet"
    tables = ["scores", "calibration", "calibration_by_era", "failures"]
    for name in tables:
        assert (a / f"{name}.csv").is_file() and (a / f"{name}.md").is_file()
    for stem in ["reliability", *(f"separation_{m}" for m in [*VALIDATED_ESTIMATORS, *BENCHMARKS])]:
        assert (a / f"{stem}.png").stat().st_size > 0 and (a / f"{stem}.svg").stat().st_size > 0, stem
    # readable, with the spec in the key-value metadata
    back = pd.read_parquet(a / "predictions.parquet")
    pd.testing.assert_frame_equal(back, validation.predictions, check_dtype=False)
    meta = json.loads(pq.read_schema(a / "predictions.parquet").metadata[b"alliances.predictions"])
    assert meta["spec"] == validation.spec.to_dict() and meta["spec"]["cluster"] == "none"
    assert meta["best_model"] == validation.best and len(meta["windows"]) == len(validation.windows)
    scores = pd.read_csv(a / "scores.csv")
    assert len(scores) == len(validation.scores)
    # two runs, byte-identical tables and predictions
    for name in [*(f"{t}.csv" for t in tables), "predictions.parquet"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


# -- Cox ----------------------------------------------------------------------------------
def test_cox_on_the_duration_scale_is_validated(validation, spec):
    assert "cox" in VALIDATED_ESTIMATORS and spec.time_scale == "duration"
    cox = validation.predictions[validation.predictions["model"] == "cox"]
    assert np.isfinite(cox["p"]).all() and (cox["p"] < 1).all() and (cox["p"] >= 0).all()
    # on windows whose test durations stay within the training durations, strictly inside (0, 1)
    inside = cox[cox["window"].isin(["origin 1970", "origin 1990", "era 1990-"])]
    assert len(inside) > 1000 and (inside["p"] > 0).all() and (inside["p"] < 1).all()
    assert inside["p"].nunique() > 100
    logit = validation.predictions[validation.predictions["model"] == "logit"]
    assert len(cox) == len(logit)


# -- known defects ------------------------------------------------------------------------
def test_cox_probabilities_positive_past_the_training_durations(design, spec):
    w = Window("rolling", "origin 1950", (1951, 1960), 1950)
    out = predict_window(design, spec, "cox", w)
    assert (out["p"] > 0).all()


def test_spline_knots_from_training_years_only(synth, spec):
    s = dataclasses.replace(spec, time_controls="spline")
    w = Window("rolling", "origin 1970", (1971, 1980), 1970)
    a = predict_window(design_for(synth, s, "logit"), s, "logit", w)
    b = predict_window(design_for(synth[synth["year"] <= 1980], s, "logit"), s, "logit", w)
    np.testing.assert_allclose(a["p"], b["p"], rtol=0, atol=1e-10)


def test_eventless_test_decade_is_still_predicted(synth, spec, tmp_path):
    s = dataclasses.replace(spec, period_effects="decade")
    quiet = synth.assign(alliance_onset=np.where(synth["year"].between(1980, 1989), 0, synth["alliance_onset"]))
    path = write_panel(quiet, tmp_path / "quiet80s.parquet")
    d = full_design(path, s.to_dict())
    w = Window("rolling", "origin 1979", (1980, 1989), 1979)
    at_risk = design_for(quiet, dataclasses.replace(s, period_effects="none"), "logit").frame
    assert len(predict_window(d, s, "logit", w)) == int(at_risk["year"].between(1980, 1989).sum())


def test_best_compares_models_on_the_same_windows(tmp_path):
    panel = synthetic_panel(n_states=25, seed=0)
    s = Spec("alliance_onset", [*COVS, "great_power_dyad"])
    v = run_validation(write_panel(panel, tmp_path / "p25.parquet"), s, ["logit", "firth"], jobs=1, **ROLLING)
    assert set(v.failures["model"]) == {"logit"}
    assert v.best == _headline_by_hand(v.predictions)
