"""The gradient-boosted-trees benchmark (alliances.analysis.boosting) on small synthetic data:
training rows only, determinism, a signal the trees must find and the logit cannot, its place in
the validation (scores, ranking, recalibration, ensemble) and the predict option's checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import test_validate as shared  # the validation tests' synthetic panel and fixtures (tests/ is on sys.path)
from threadpoolctl import threadpool_limits
from typer.testing import CliRunner

from alliances.analysis import boosting, metrics, validate
from alliances.analysis.validate import BOOSTED_TREES, Window, predict_window, run_validation
from alliances.cli import app
from alliances.errors import UsageError
from alliances.models import ModelError
from alliances.models.design import Design, DesignInfo

COVS, write_panel = shared.COVS, shared.write_panel
synth, synth_path, spec, design = shared.synth, shared.synth_path, shared.spec, shared.design
KEY = ["dyad_id", "year"]
ROLLING = dict(first_origin=1950, step=20, eras=False)  # origins 1950, 1970, 1990


@pytest.fixture(scope="module")
def validation(synth_path, spec):
    return run_validation(synth_path, spec, ["logit"], jobs=1, boosted_trees=True, **ROLLING)


def toy_design(n: int = 60_000, seed: int = 0) -> Design:
    """Onsets 8% a year where |x1| > 0.7 and 0.3% elsewhere, x2 noise: a U shape that a logit
    linear in x1 cannot see (its slope is about 0) and trees must find."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    y = (rng.random(n) < np.where(np.abs(x1) > 0.7, 0.08, 0.003)).astype(int)
    frame = pd.DataFrame({"dyad_id": np.arange(n) // 50 + 2001, "year": 1901 + np.arange(n) % 50, "y": y,
                          "x1": x1, "x2": x2, "_duration": rng.integers(0, 40, n).astype(float)})
    info = DesignInfo(covariates=("x1", "x2"), x_names=("x1", "x2"), intercept=False, time_controls="none",
                      duration="years_since_alliance", lag=1)
    return Design(frame, info, "alliance_onset", "toy", n, 0)


# -- the window forecast --------------------------------------------------------------------
def test_features_are_the_terms_and_the_duration(design):
    assert boosting.features(design) == [*COVS, "_duration"]
    assert "t" in design.info.x_names and "t" not in boosting.features(design)  # not the cubic terms


def test_uses_only_training_rows(design, spec):
    """Changing every outcome after the origin (the test rows' included) changes no forecast."""
    w = Window("rolling", "origin 1970", (1971, 1980), 1970)
    rng = np.random.default_rng(1)
    f = design.frame.copy()
    late = f["year"] > 1970
    f.loc[late, "y"] = (rng.random(int(late.sum())) < 0.2).astype(int)
    a = predict_window(design, spec, BOOSTED_TREES, w)
    b = predict_window(dataclasses.replace(design, frame=f), spec, BOOSTED_TREES, w)
    np.testing.assert_array_equal(a[KEY].to_numpy(), b[KEY].to_numpy())
    np.testing.assert_array_equal(a["p"].to_numpy(), b["p"].to_numpy())
    assert not np.array_equal(a["outcome"], b["outcome"])  # the change did reach the test rows
    # and the training rows do matter: changing those changes the forecasts
    early = f["year"] <= 1970
    g = design.frame.copy()
    g.loc[early, "y"] = (rng.random(int(early.sum())) < 0.05).astype(int)
    c = predict_window(dataclasses.replace(design, frame=g), spec, BOOSTED_TREES, w)
    assert np.abs(c["p"].to_numpy() - a["p"].to_numpy()).max() > 1e-3


@pytest.mark.heavy
def test_deterministic_for_any_thread_count(design):
    train, test = design.subset(design.frame["year"].to_numpy() <= 1980), design.frame
    first = boosting.window_forecast(train, test)
    with threadpool_limits(limits=2):
        again = boosting.window_forecast(train, test)
    np.testing.assert_array_equal(first, again)
    assert len(np.unique(first)) > 20 and (first > 0).all() and (first < 1).all()


def test_finds_a_signal_the_logit_cannot():
    d = toy_design()
    train = d.subset(d.frame["dyad_id"].to_numpy() % 2 == 0)
    test = d.frame[d.frame["dyad_id"] % 2 == 1].reset_index(drop=True)
    p = boosting.window_forecast(train, test)
    y = test["y"].to_numpy()
    high = np.abs(test["x1"].to_numpy()) > 0.7
    assert metrics.roc_auc(p, y) > 0.8
    assert 0.05 < p[high].mean() < 0.11 and p[~high].mean() < 0.01
    # a logit linear in x1 and x2 ranks these onsets about as well as chance
    import statsmodels.api as sm

    X = lambda f: np.column_stack([np.ones(len(f)), f["x1"], f["x2"]])  # noqa: E731
    res = sm.Logit(train.frame["y"].to_numpy(), X(train.frame)).fit(disp=0)
    assert metrics.roc_auc(res.predict(X(test)), y) < 0.6


def test_one_outcome_only_is_a_model_error():
    d = toy_design(n=2_000)
    with pytest.raises(ModelError, match="need both outcomes"):
        boosting.fit(d.frame[["x1", "x2"]].to_numpy(), np.zeros(2_000))


# -- in the validation -----------------------------------------------------------------------
def test_validation_scores_ranks_recalibrates_and_pools_it(validation):
    pred = validation.predictions
    assert {BOOSTED_TREES, f"{BOOSTED_TREES}_recal", "ensemble"} <= set(pred["model"])
    assert validation.failures.empty
    # the same rows as every other model in each window
    for _, g in pred.groupby("window"):
        rows = {m: set(zip(h["dyad_id"], h["year"])) for m, h in g.groupby("model")}
        assert all(r == rows["logit"] for r in rows.values())
    scores = validation.scores.set_index(["scheme", "window", "model"])
    bt = pred[pred["model"] == BOOSTED_TREES]
    assert scores.loc[("rolling", "pooled", BOOSTED_TREES), "log_score"] == \
        pytest.approx(metrics.log_score(bt["p"], bt["outcome"]), rel=1e-12)
    assert BOOSTED_TREES in set(validation.ranking["model"]) and BOOSTED_TREES in set(validation.calibration["model"])
    assert BOOSTED_TREES in set(validation.recalibration["model"])
    weights = validation.weights
    assert BOOSTED_TREES in set(weights["component"])
    # each rolling window's weights rest only on earlier origins' forecasts of years up to its origin
    rolling = pred[pred["scheme"] == "rolling"]
    for w in [w for w in validation.windows if w.scheme == "rolling"]:
        mine = weights[(weights["window"] == w.label) & (weights["component"] == BOOSTED_TREES)]
        past = rolling[(rolling["model"] == BOOSTED_TREES) & (rolling["origin"] < w.train_through)
                       & (rolling["year"] <= w.train_through)]
        assert int(mine["rows"].iloc[0]) == len(past), w.label


def test_validation_is_opt_in(synth_path, spec):
    v = run_validation(synth_path, spec, ["logit"], jobs=1, **ROLLING)
    assert BOOSTED_TREES not in set(v.predictions["model"])


@pytest.mark.heavy
def test_identical_for_any_jobs(validation, synth_path, spec):
    validate._DESIGNS.clear()
    two = run_validation(synth_path, spec, ["logit"], jobs=2, boosted_trees=True, **ROLLING)
    a = validation.predictions[validation.predictions["model"] == BOOSTED_TREES].reset_index(drop=True)
    b = two.predictions[two.predictions["model"] == BOOSTED_TREES].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


# -- predictions ---------------------------------------------------------------------------
def test_bootstrap_draws_whole_dyads():
    dyad = np.array([5, 5, 5, 7, 9, 9, 7])
    rows = boosting.bootstrap_rows(dyad, np.random.default_rng(3))
    drawn = dyad[rows]
    assert len(set(drawn)) < 3 or len(rows) != 7  # with replacement: this seed repeats a dyad
    for d in set(drawn):  # every drawn dyad with its whole history, as often as drawn
        assert (drawn == d).sum() % (dyad == d).sum() == 0
    again = boosting.bootstrap_rows(dyad, np.random.default_rng(3))
    np.testing.assert_array_equal(rows, again)


@pytest.fixture(scope="module")
def predict_panel(synth) -> pd.DataFrame:
    tie = np.where(synth["alliance"] == 1, "alliance", "none")
    return synth.assign(tie=pd.Categorical(tie), extended_sources="", stateabb1="A", stateabb2="B")


@pytest.mark.heavy
def test_dyad_forecast(predict_panel, spec):
    dyad = tuple(int(v) for v in predict_panel.loc[predict_panel["year"] == 1900, ["ccode1", "ccode2"]].iloc[0])
    out = boosting.dyad_forecast(predict_panel, spec, dyad, (1950, 2010), reps=2, seed=5)
    assert set(out["year"]) == set(range(1950, 2011)) and (out["model"] == BOOSTED_TREES).all()
    ok = out["p"].notna()
    assert ok.any() and (out.loc[ok, "at_risk"]).all()
    assert (out.loc[ok, "p_lo"] <= out.loc[ok, "p_hi"]).all() and out.loc[ok, "pct_all"].between(0, 100).all()
    assert out["note"].str.contains("benchmark without coefficients").all()
    again = boosting.dyad_forecast(predict_panel, spec, dyad, (1950, 2010), reps=2, seed=5)
    pd.testing.assert_frame_equal(out, again)
    assert out.attrs["meta"]["bootstrap"] == {"reps": 2, "seed": 5, "cluster": "dyad"}
    none = boosting.dyad_forecast(predict_panel, spec, dyad, (1950, 2010), reps=0, compare_groups=False)
    np.testing.assert_array_equal(none["p"], out["p"])
    assert none["p_lo"].isna().all()


@pytest.mark.parametrize("reps", [-1, 1, 2.5, True])
def test_bad_replicates_are_refused(reps):
    with pytest.raises(UsageError, match="--boosted-trees-reps must be 0"):
        boosting.check_reps(reps)


@pytest.mark.parametrize("args, message", [
    (["--boosted-trees", "--boosted-trees-reps", "1"], "--boosted-trees-reps must be 0"),
    (["--boosted-trees", "--boosted-trees-reps", "-4"], "--boosted-trees-reps must be 0"),
    (["--boosted-trees-reps", "30"], "--boosted-trees-reps 30 needs --boosted-trees"),
    (["--boosted-trees", "--boosted-trees-reps", "many"], "--boosted-trees-reps"),
])
def test_predict_option_errors(args, message, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('outcome = "alliance_onset"\ncovariates = ["cap_ratio"]\n')
    res = CliRunner().invoke(app, ["predict", "--panel", str(tmp_path / "none.parquet"), "--model", str(spec), *args])
    assert res.exit_code == 2 and message in res.output, res.output
    assert "fitting" not in res.output
