"""Recalibration and the ensemble use only forecasts made and scored before their window."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from alliances.analysis import combine
from alliances.analysis.predict import recalibrated
from alliances.analysis.validate import Window, best_of, ranking, skill


def _forecasts(seed: int = 1, per_year: int = 400) -> tuple[pd.DataFrame, list[Window]]:
    """Rolling windows with origins 1900, 1910, 1920 (ten test years each) for a model whose
    forecasts are too extreme (true slope 0.6) and the base rate; outcomes drawn from the truth."""
    rng = np.random.default_rng(seed)
    wins = [Window("rolling", f"origin {t}", (t + 1, t + 10), t) for t in (1900, 1910, 1920)]
    rows = []
    for w in wins:
        years = np.repeat(np.arange(w.test[0], w.test[1] + 1), per_year)
        dyad = np.tile(np.arange(per_year) + 2_001, w.test[1] - w.test[0] + 1)
        x = rng.normal(-3.5, 1.5, len(years))
        y = (rng.random(len(years)) < 1 / (1 + np.exp(-(-0.8 + 0.6 * x)))).astype(np.int8)
        for model, p in (("logit", 1 / (1 + np.exp(-x))), ("base_rate", np.full(len(x), 0.04))):
            rows.append(pd.DataFrame({"dyad_id": dyad, "year": years, "scheme": "rolling", "window": w.label,
                                      "origin": w.train_through, "model": model, "p": p, "outcome": y}))
    frame = pd.concat(rows, ignore_index=True)
    frame["origin"] = frame["origin"].astype("Int16")
    return frame, wins


def test_recalibration_recovers_the_slope_and_is_nested():
    pred, wins = _forecasts()
    derived, coef, weights = combine.derived_predictions(pred, ["logit"], ["logit", "base_rate"], wins)
    c = coef.set_index(["window", "model"])
    assert c.loc[("origin 1900", "logit"), "rule"].startswith("identity")  # nothing earlier
    fit_1910 = c.loc[("origin 1910", "logit")]
    assert fit_1910["rows"] == 4000 and fit_1910["slope"] == pytest.approx(0.6, abs=0.15)
    assert c.loc[("origin 1920", "logit"), "rows"] == 8000
    assert c.loc[(combine.FINAL, "logit"), "rows"] == 12000
    # changing outcomes of the window itself and of later years leaves its recalibration unchanged
    shaken = pred.copy()
    later = shaken["year"] > 1910
    shaken.loc[later, "outcome"] = 1 - shaken.loc[later, "outcome"]
    again, coef2, _ = combine.derived_predictions(shaken, ["logit"], ["logit", "base_rate"], wins)
    mine = lambda d: d[(d["model"] == "logit_recal") & (d["window"] == "origin 1910")]["p"].to_numpy()  # noqa: E731
    np.testing.assert_array_equal(mine(derived), mine(again))
    assert not np.allclose(coef2.set_index(["window", "model"]).loc[("origin 1920", "logit"), "slope"],
                           fit_1910["slope"])  # while a later window does see them


def test_recalibration_rules():
    y = np.r_[np.ones(5), np.zeros(500)]
    a, b, rule = combine.recalibration(np.full(505, 0.01), y)
    assert (a, b) == (0.0, 1.0) and rule.startswith("identity: fewer than")
    p = np.array([0.2, 0.4, 0.6])
    np.testing.assert_allclose(combine.apply_recalibration(p, 0.0, 1.0), p)
    np.testing.assert_allclose(combine.apply_recalibration(p, np.log(2), 1.0), 2 * p / (2 * p + 1 - p))


def test_pool_weights_maximise_the_log_score():
    rng = np.random.default_rng(4)
    n = 5000
    truth = 1 / (1 + np.exp(-rng.normal(-2, 1, n)))
    y = (rng.random(n) < truth).astype(float)
    P = np.column_stack([truth, np.full(n, y.mean()), np.clip(truth * 3, 0, 0.99)])
    w = combine.pool_weights(P, y)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()

    def ls(v):
        m = P @ v
        return np.mean(np.where(y == 1, np.log(m), np.log(1 - m)))

    grid = [np.array([a, b, 1 - a - b]) / 1.0 for a, b in itertools.product(np.linspace(0, 1, 41), repeat=2)
            if a + b <= 1 + 1e-12]
    assert ls(w) >= max(ls(g) for g in grid) - 1e-9


def test_ensemble_weights_use_earlier_windows_only():
    pred, wins = _forecasts()
    derived, _, weights = combine.derived_predictions(pred, ["logit"], ["logit", "base_rate"], wins)
    first = weights[weights["window"] == "origin 1900"]
    assert first["rule"].str.startswith("equal weights").all() and np.allclose(first["weight"], 0.5)
    w1910 = weights[weights["window"] == "origin 1910"].set_index("component")
    assert (w1910["rows"] == 4000).all()
    ens = derived[(derived["model"] == combine.ENSEMBLE) & (derived["window"] == "origin 1910")]
    raw = pred[pred["window"] == "origin 1910"]
    expected = (w1910.loc["logit", "weight"] * raw[raw["model"] == "logit"]["p"].to_numpy()
                + w1910.loc["base_rate", "weight"] * raw[raw["model"] == "base_rate"]["p"].to_numpy())
    np.testing.assert_allclose(ens["p"].to_numpy(), expected)
    assert "ensemble_recal" in set(derived["model"])


def test_ranking_skill_and_headline_rule():
    pred, wins = _forecasts()
    derived, _, _ = combine.derived_predictions(pred, ["logit"], ["logit", "base_rate"], wins)
    both = pd.concat([pred, derived], ignore_index=True)
    rank = ranking(both)
    assert set(rank["model"]) == {"logit", "logit_recal", "ensemble", "ensemble_recal"}
    best = best_of(both)
    assert best in set(rank.loc[rank["beats_base_rate"], "model"]) or not rank["beats_base_rate"].any()
    s = skill(both, "logit_recal", reps=200)
    assert s["log_score_gain_lo"] <= s["log_score_gain"] <= s["log_score_gain_hi"]
    assert s["brier_skill_lo"] <= s["brier_skill"] <= s["brier_skill_hi"]
    # the point values recompute from the forecasts
    r = both[both["model"] == "logit_recal"]
    b = both[both["model"] == "base_rate"]
    bss = 1 - np.mean((r["p"].to_numpy() - r["outcome"]) ** 2) / np.mean((b["p"].to_numpy() - b["outcome"]) ** 2)
    assert s["brier_skill"] == pytest.approx(bss)


def test_recalibrated_predictions_map_the_interval():
    pred = pd.DataFrame({"model": ["logit", "logit", "cox"], "year": [2024, 2025, 2025],
                         "p": [0.01, 0.02, 0.03], "p_lo": [0.005, 0.01, 0.02], "p_hi": [0.02, 0.04, 0.05]})
    table = pd.DataFrame({"scheme": ["rolling"], "window": [combine.FINAL], "model": ["logit"], "intercept": [-0.5],
                          "slope": [0.8], "rows": [100], "events": [20], "rule": ["logistic recalibration"]})
    out = recalibrated(pred, table)
    new = out[out["model"] == "logit_recal"]
    assert len(out) == 5 and len(new) == 2  # cox has no final recalibration
    for c in ("p", "p_lo", "p_hi"):
        x = np.log(pred.loc[:1, c] / (1 - pred.loc[:1, c]))
        np.testing.assert_allclose(new[c].to_numpy(), 1 / (1 + np.exp(-(-0.5 + 0.8 * x))))
    assert (new["p_lo"] <= new["p"]).all() and (new["p"] <= new["p_hi"]).all()


def test_read_recalibration_errors_name_the_file(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from alliances.errors import SpecError

    with pytest.raises(SpecError, match="recalibration.csv: not found"):
        combine.read_recalibration(tmp_path)
    good = pd.DataFrame({"scheme": ["rolling"], "window": ["final"], "model": ["logit"], "intercept": [-1.0],
                         "slope": [0.7], "rows": [10], "events": [3], "rule": ["logistic recalibration"]})
    good.drop(columns="slope").to_csv(tmp_path / "recalibration.csv", index=False)
    table = pa.table({"p": [0.1]}).replace_schema_metadata({b"alliances.predictions": b'{"spec": {"name": "b"}}'})
    pq.write_table(table, tmp_path / "predictions.parquet")
    with pytest.raises(SpecError, match="missing column.*slope"):
        combine.read_recalibration(tmp_path)
    good.assign(slope=-0.5).to_csv(tmp_path / "recalibration.csv", index=False)
    with pytest.raises(SpecError, match="line 2: slope '-0.5' is not a positive number"):
        combine.read_recalibration(tmp_path)
    good.to_csv(tmp_path / "recalibration.csv", index=False)
    got, spec = combine.read_recalibration(tmp_path)
    assert spec == {"name": "b"} and got["slope"].iloc[0] == 0.7
    good.assign(intercept="abc").to_csv(tmp_path / "recalibration.csv", index=False)
    with pytest.raises(SpecError, match="line 2: intercept 'abc' is not a number"):
        combine.read_recalibration(tmp_path)
