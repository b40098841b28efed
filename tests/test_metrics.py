"""Forecast metrics against independent values: hand arithmetic, scipy, statsmodels and brute force."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu
from statsmodels.stats.proportion import proportion_confint

from alliances.analysis import metrics
from alliances.analysis.figures import reliability_figure, separation_figure
from alliances.models import ModelError

# The hand example used throughout: five rows, three events, a tie at 0.8 between an event
# and a non-event.
P = np.array([0.9, 0.8, 0.8, 0.4, 0.2])
Y = np.array([1, 0, 1, 0, 1])


def _ap_brute_force(p, y) -> float:
    """Average precision by looping over the distinct thresholds, highest first."""
    p, y = list(p), list(y)
    n_events = sum(y)
    total, recall_before = 0.0, 0.0
    for t in sorted(set(p), reverse=True):
        tp = sum(1 for pi, yi in zip(p, y) if pi >= t and yi == 1)
        predicted = sum(1 for pi in p if pi >= t)
        recall = tp / n_events
        total += (recall - recall_before) * (tp / predicted)
        recall_before = recall
    return total


def _auc_brute_force(p, y) -> float:
    """Share of (event, non-event) pairs where the event has the higher p, ties 1/2."""
    wins = 0.0
    events = [pi for pi, yi in zip(p, y) if yi == 1]
    others = [pi for pi, yi in zip(p, y) if yi == 0]
    for a in events:
        for b in others:
            wins += 1.0 if a > b else 0.5 if a == b else 0.0
    return wins / (len(events) * len(others))


def test_brier_and_log_score_by_hand():
    # squared errors: 0.1^2, 0.8^2, 0.2^2, 0.4^2, 0.8^2 = 0.01 + 0.64 + 0.04 + 0.16 + 0.64 = 1.49; / 5 = 0.298
    assert metrics.brier(P, Y) == pytest.approx(0.298, abs=1e-12)
    # log 0.9 + log(1 - 0.8) + log 0.8 + log(1 - 0.4) + log 0.2
    # = -0.1053605 - 1.6094379 - 0.2231436 - 0.5108256 - 1.6094379 = -4.0582055; / 5 = -0.8116411
    assert metrics.log_score(P, Y) == pytest.approx(-0.8116411, abs=1e-7)
    # a confident miss costs log(eps) instead of -inf; a confident hit costs ~0
    assert metrics.log_score([0.0, 1.0], [1, 1]) == pytest.approx(math.log(1e-15) / 2, rel=1e-9)
    assert metrics.log_score([0.0, 1.0], [0, 1]) == pytest.approx(0.0, abs=1e-12)
    # reference: the base rate 0.6 for every row; Brier (3 * 0.4^2 + 2 * 0.6^2) / 5 = 0.24
    assert metrics.brier_skill(P, Y, 0.6) == pytest.approx(1 - 0.298 / 0.24, abs=1e-12)
    assert metrics.brier_skill(P, Y, P) == pytest.approx(0.0)
    assert math.isnan(metrics.brier_skill(P, Y, Y))  # the reference scores perfectly


def test_roc_auc_by_hand_and_against_mann_whitney():
    # events 0.9, 0.8, 0.2 against non-events 0.8, 0.4: 0.9 beats both (2), 0.8 ties 0.8 and beats 0.4 (1.5),
    # 0.2 beats neither (0): 3.5 of 6 pairs
    assert metrics.roc_auc(P, Y) == pytest.approx(3.5 / 6, abs=1e-12)
    rng = np.random.default_rng(20110701)
    for n, k in ((200, 7), (5000, 40)):
        p = rng.integers(0, k, n) / k  # many ties
        y = (rng.random(n) < 0.1 + 0.5 * p).astype(int)
        u = mannwhitneyu(p[y == 1], p[y == 0], alternative="two-sided").statistic
        assert metrics.roc_auc(p, y) == pytest.approx(u / (y.sum() * (n - y.sum())), abs=1e-12)
    assert metrics.roc_auc(p[:200], y[:200]) == pytest.approx(_auc_brute_force(p[:200], y[:200]), abs=1e-12)
    assert math.isnan(metrics.roc_auc([0.1, 0.2], [0, 0]))
    assert math.isnan(metrics.roc_auc([0.1, 0.2], [1, 1]))


def test_average_precision_by_hand_and_brute_force():
    # thresholds from the top (n1 = 3 events):
    #   p >= 0.9: 1 of 1 rows are events  -> P = 1,   R = 1/3, R gain 1/3
    #   p >= 0.8: 2 of 3 rows (tie enters together) -> P = 2/3, R = 2/3, R gain 1/3
    #   p >= 0.4: 2 of 4 rows             -> P = 1/2, R = 2/3, R gain 0
    #   p >= 0.2: 3 of 5 rows             -> P = 3/5, R = 1,   R gain 1/3
    # AP = 1/3 * 1 + 1/3 * 2/3 + 0 * 1/2 + 1/3 * 3/5 = 15/45 + 10/45 + 9/45 = 34/45
    # (breaking the tie with the event first would give 13/15 instead)
    assert metrics.pr_auc(P, Y) == pytest.approx(34 / 45, abs=1e-12)
    rng = np.random.default_rng(7)
    p = np.round(rng.beta(1, 8, 200), 2)  # rounded: ties
    y = (rng.random(200) < p).astype(int)
    assert len(np.unique(p)) < 200 and y.sum() > 5
    assert metrics.pr_auc(p, y) == pytest.approx(_ap_brute_force(p, y), abs=1e-12)
    # a perfect ranking scores 1; without events there is nothing to recall
    assert metrics.pr_auc([0.1, 0.2, 0.9], [0, 0, 1]) == pytest.approx(1.0)
    assert math.isnan(metrics.pr_auc([0.1, 0.2], [0, 0]))


def test_calibration_table_counts_and_wilson_interval():
    p = np.linspace(0.001, 0.5, 500)  # distinct values: ten bins of 50
    y = np.zeros(500, dtype=int)
    y[-50:][::10] = 1  # 5 events in the top bin
    y[:3] = 1
    t = metrics.calibration_table(p, y, bins=10)
    assert list(t.columns) == ["bin", "n", "p_mean", "observed", "events", "lo", "hi"]
    assert list(t["bin"]) == list(range(1, 11)) and (t["n"] == 50).all()
    assert t["n"].sum() == 500 and t["events"].sum() == y.sum()
    assert t["p_mean"].iloc[0] == pytest.approx(p[:50].mean())
    top = t.iloc[-1]
    assert top["events"] == 5 and top["observed"] == pytest.approx(0.1)
    # Wilson 95% for 5/50, z = 1.959964, z^2 = 3.841459:
    #   centre = (0.1 + z^2/100) / (1 + z^2/50) = 0.1384146 / 1.0768292 = 0.1285393
    #   half   = z * sqrt(0.1 * 0.9 / 50 + z^2 / 10000) / 1.0768292 = z * 0.0467349 / 1.0768292 = 0.0850632
    #   (lo, hi) = (0.0434761, 0.2136025)
    assert top["lo"] == pytest.approx(0.0434761, abs=1e-6) and top["hi"] == pytest.approx(0.2136025, abs=1e-6)
    lo, hi = proportion_confint(t["events"], t["n"], alpha=0.05, method="wilson")
    np.testing.assert_allclose(t["lo"], lo, atol=1e-12)
    np.testing.assert_allclose(t["hi"], hi, atol=1e-12)
    assert (t["lo"] <= t["observed"]).all() and (t["observed"] <= t["hi"]).all()


def test_calibration_table_keeps_ties_in_one_bin():
    rng = np.random.default_rng(3)
    p = np.r_[np.full(600, 0.002), rng.uniform(0.01, 0.3, 400)]  # 60% tied: spans six decile edges
    y = (rng.random(1000) < p).astype(int)
    t = metrics.calibration_table(p, y, bins=10)
    assert t["n"].sum() == 1000 and t["events"].sum() == y.sum()
    assert len(t) == 5 and t["n"].iloc[0] == 600 and (t["n"].iloc[1:] == 100).all()
    assert t["p_mean"].is_monotonic_increasing
    one = metrics.calibration_table(np.full(10, 0.3), np.r_[1, np.zeros(9)], bins=4)
    assert len(one) == 1 and one["n"].iloc[0] == 10


def test_summary():
    s = metrics.summary(pd.Series(P), pd.Series(Y))
    assert set(s) == {"n", "events", "base_rate", "mean_p", "brier", "log_score", "roc_auc", "pr_auc",
                      "calibration_intercept", "calibration_slope", "reliability", "resolution", "uncertainty",
                      "obs_pred_top1", "obs_pred_top5"}
    # five rows hold fewer than MIN_CALIBRATION_EVENTS events: no calibration line is estimated
    assert math.isnan(s["calibration_intercept"]) and math.isnan(s["calibration_slope"])
    assert (s["n"], s["events"]) == (5, 3)
    assert s["base_rate"] == pytest.approx(0.6) and s["mean_p"] == pytest.approx(0.62)
    assert s["pr_auc"] == pytest.approx(34 / 45) and s["brier"] == pytest.approx(0.298)


@pytest.mark.parametrize("p, y, message", [
    ([0.1, 1.2, -0.1, 2.0], [0, 1, 0, 1], r"p has 3 values outside \[0, 1\]"),
    ([0.1, np.nan, 0.3], [0, 1, 0], r"p has 1 missing or infinite"),
    ([0.1, np.inf, 0.3], [0, 1, 0], r"p has 1 missing or infinite"),
    ([0.1, 0.2, 0.3], [0, 2, 1], r"y has 1 values other than 0 and 1"),
    ([0.1, 0.2, 0.3], [0, np.nan, 1], r"y has 1 values other than 0 and 1"),
    ([0.1, 0.2, 0.3], [0, 1], r"differ in length: 3 predictions for 2 outcomes"),
    ([], [], r"empty"),
    ([[0.1, 0.2], [0.3, 0.4]], [0, 1, 0, 1], r"one-dimensional"),
])
def test_bad_inputs_are_named(p, y, message):
    for fn in (metrics.brier, metrics.log_score, metrics.roc_auc, metrics.pr_auc, metrics.calibration_table,
               metrics.summary):
        with pytest.raises(ModelError, match=message):
            fn(p, y)


def test_bad_reference_and_bins():
    with pytest.raises(ModelError, match=r"p_ref has 1 values outside"):
        metrics.brier_skill(P, Y, 1.5)
    with pytest.raises(ModelError, match="p_ref and y differ in length"):
        metrics.brier_skill(P, Y, [0.5, 0.5])
    with pytest.raises(ModelError, match="bins must be a positive whole number"):
        metrics.calibration_table(P, Y, bins=0)


def test_figures_write_png_and_svg_deterministically(tmp_path):
    rng = np.random.default_rng(11)
    n = 30_000  # more rows than separation columns, so the binned path runs
    p = rng.beta(0.5, 100, n)
    y = (rng.random(n) < p).astype(int)
    tables = {"logit": metrics.calibration_table(p, y), "doubled": metrics.calibration_table(np.minimum(2 * p, 1), y)}
    outputs = []
    for run in ("a", "b"):
        paths = reliability_figure(tables, tmp_path / run / "reliability", "Reliability, test data")
        paths += separation_figure(p, y, tmp_path / run / "separation", "Separation, test data")
        assert [x.name for x in paths] == ["reliability.png", "reliability.svg", "separation.png", "separation.svg"]
        assert all(x.is_file() and x.stat().st_size > 5_000 for x in paths)
        outputs.append([x.read_bytes() for x in paths])
    assert outputs[0] == outputs[1]
    assert b"<dc:date>" not in outputs[0][1] and b"<dc:date>" not in outputs[0][3]
    # small input: one column per row, and a bin with no events on the log axes
    small = separation_figure(p[:300], y[:300], tmp_path / "small_separation", "Separation, 300 rows")
    assert all(x.is_file() for x in small)
    zero = metrics.calibration_table(np.r_[np.zeros(100), p[:100]], np.r_[np.zeros(100, int), y[:100]], bins=4)
    assert (zero["events"] == 0).any()
    assert all(x.is_file() for x in reliability_figure({"m": zero}, tmp_path / "zero", "No-event bins"))


def _miscalibrated(n=200_000, a=-0.4, b=0.7, seed=3):
    """Forecasts p and outcomes drawn from expit(a + b logit p): slope b, too extreme when b < 1."""
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-rng.normal(-4.0, 1.2, n)))
    x = np.log(p / (1 - p))
    y = (rng.random(n) < 1 / (1 + np.exp(-(a + b * x)))).astype(float)
    return p, y, x


def test_calibration_fit_matches_statsmodels():
    import statsmodels.api as sm

    p, y, x = _miscalibrated()
    intercept, slope = metrics.calibration_fit(p, y)
    ref_slope = sm.Logit(y, sm.add_constant(x)).fit(disp=0).params[1]
    ref_large = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=x).fit().params[0]
    assert slope == pytest.approx(ref_slope, rel=1e-7)
    assert intercept == pytest.approx(ref_large, rel=1e-7)
    assert slope == pytest.approx(0.7, abs=0.05)  # the slope the outcomes were drawn with


def test_fit_logistic_with_slope_and_offset_matches_statsmodels():
    """The two-parameter fit with an offset (the form no caller uses yet, but the docstring
    promises) against statsmodels' GLM; separation gives None, a start of the wrong size an error."""
    import statsmodels.api as sm

    p, y, x = _miscalibrated(seed=3)
    offset = 0.3 * np.sin(x)
    ref = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial(), offset=offset).fit().params
    assert metrics.fit_logistic(x, offset, y) == pytest.approx(ref, rel=1e-7)
    sep = np.r_[np.zeros(50), np.ones(50)]
    assert metrics.fit_logistic(np.arange(100.0), None, sep) is None
    with pytest.raises(ModelError, match=r"start must have 2 value\(s\); got \[0.0\]"):
        metrics.fit_logistic(x, None, y, start=(0.0,))


def test_fit_logistic_reaches_the_maximum_where_undamped_newton_overshoots():
    """Forecasts spread from p = 0.001 to 0.99 with a slope below 1 (as on some era windows):
    Newton's full steps from (0, 1) overshot and never converged, and the calibration slope was
    reported missing although statsmodels finds it; with step halving it is found."""
    import statsmodels.api as sm
    from scipy.special import expit

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-5.0, 1.5, 16557), rng.normal(3.0, 2.0, 300)])
    y = (rng.random(len(x)) < expit(0.5 + 0.65 * x)).astype(float)
    ref = sm.Logit(y, sm.add_constant(x)).fit(disp=0).params
    assert metrics.fit_logistic(x, None, y, start=(0.0, 1.0)) == pytest.approx(ref, rel=1e-8)
    assert metrics.calibration_fit(expit(x), y)[1] == pytest.approx(ref[1], rel=1e-8)


def test_fit_logistic_of_a_constant_forecast_has_no_slope():
    """The base-rate benchmark forecasts one p for every row: the slope is not identified."""
    y = np.r_[np.zeros(90), np.ones(10)]
    assert metrics.fit_logistic(np.full(100, -2.0), None, y, start=(0.0, 1.0)) is None
    assert np.isnan(metrics.calibration_fit(np.full(100, 0.1), y)[1])
    assert metrics.fit_logistic(None, np.full(100, -2.0), y)[0] == pytest.approx(np.log(1 / 9) + 2.0, rel=1e-10)


def test_calibration_fit_of_calibrated_forecasts_is_near_identity():
    p, y, _ = _miscalibrated(a=0.0, b=1.0)
    intercept, slope = metrics.calibration_fit(p, y)
    assert abs(intercept) < 0.05 and slope == pytest.approx(1.0, abs=0.05)


def test_brier_decomposition_by_hand():
    # two bins (quantile 0.5): p = (0.1, 0.1 | 0.5, 0.5), y = (0, 1 | 1, 1)
    p, y = np.array([0.1, 0.1, 0.5, 0.5]), np.array([0, 1, 1, 1])
    d = metrics.brier_decomposition(p, y, quantiles=[0.5])
    assert d["reliability"] == pytest.approx((2 * (0.1 - 0.5) ** 2 + 2 * (0.5 - 1.0) ** 2) / 4)
    assert d["resolution"] == pytest.approx((2 * (0.5 - 0.75) ** 2 + 2 * (1.0 - 0.75) ** 2) / 4)
    assert d["uncertainty"] == pytest.approx(0.75 * 0.25)
    # constant p within bins: the decomposition is exact
    assert d["reliability"] - d["resolution"] + d["uncertainty"] == pytest.approx(metrics.brier(p, y))


def test_top_ratio_by_hand():
    p = np.r_[np.full(95, 0.01), np.full(5, 0.4)]
    y = np.r_[np.zeros(95), [1, 1, 0, 0, 0]]
    assert metrics.top_ratio(p, y, 0.05) == pytest.approx(2 / 2.0)  # 2 events against 5 x 0.4
    assert metrics.top_ratio(p, y, 0.01) == pytest.approx(2 / 2.0)  # ties at the cut enter together
    y2 = y.copy()
    y2[:3] = 1
    assert metrics.top_ratio(p, y2, 0.5) == pytest.approx(5 / (95 * 0.01 + 5 * 0.4))  # 50th highest ties all
    assert metrics.top_ratio(p, y2, 0.05) == pytest.approx(2 / 2.0)
    with pytest.raises(ModelError, match="share must be in"):
        metrics.top_ratio(p, y, 0.0)


def test_tail_bins_resolve_the_top_percent():
    p = np.linspace(0.0001, 0.1, 10_000)
    t = metrics.calibration_table(p, np.zeros(len(p)), quantiles=metrics.TAIL_QUANTILES)
    assert list(t["n"]) == [1000] * 9 + [500, 400, 100]
    with pytest.raises(ModelError, match="increase strictly"):
        metrics.calibration_table(p, np.zeros(len(p)), quantiles=[0.5, 0.2])


def test_block_bootstrap_sums_match_a_loop():
    rng = np.random.default_rng(0)
    blocks = rng.integers(1900, 1910, 300)
    v = rng.normal(size=300)
    sums, n = metrics.block_bootstrap_sums({"v": v}, blocks, reps=20, seed=5)
    labels = np.unique(blocks)
    draws = np.random.default_rng(5).integers(0, len(labels), size=(20, len(labels)))
    for r in range(20):
        chosen = labels[draws[r]]
        assert sums["v"][r] == pytest.approx(sum(v[blocks == b].sum() for b in chosen))
        assert n[r] == sum((blocks == b).sum() for b in chosen)
