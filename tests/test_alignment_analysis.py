"""The alignment record and the behaviour-foretells-treaties comparison (alliances.analysis.alignment)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliances.analysis import alignment
from alliances.errors import SpecError
from alliances.models import ModelError


def _validation(p: np.ndarray, y: np.ndarray, years: np.ndarray, model: str = "logit") -> pd.DataFrame:
    n = len(p)
    return pd.DataFrame({"scheme": "rolling", "window": "origin 2000", "model": model, "dyad_id": np.arange(n) % 50,
                         "year": years, "p": p, "outcome": y})


def test_compare_forecasts_scores_the_shared_rows_by_hand():
    rng = np.random.default_rng(3)
    n = 2000
    years = 2001 + np.arange(n) // 50
    y = (rng.random(n) < 0.05).astype(float)
    good = np.clip(0.02 + 0.5 * y * rng.random(n), 0.001, 0.999)  # informative
    flat = np.full(n, 0.05)
    with_b = _validation(good, y, years)
    without = pd.concat([_validation(flat, y, years), _validation(flat[:10], y[:10], years[:10] + 100)])
    table = alignment.compare_forecasts(with_b, without, seed=1, reps=200)
    by_hand = lambda p: np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))  # noqa: E731
    assert table.loc[0, "log_score"] == pytest.approx(by_hand(good), rel=1e-12)
    assert table.loc[1, "log_score"] == pytest.approx(by_hand(flat), rel=1e-12)
    assert table.loc[0, "brier"] == pytest.approx(np.mean((good - y) ** 2), rel=1e-12)
    assert table.loc[0, "dyad_years"] == n  # the extra rows of one validation are not matched
    gain = table.loc[0, "log_score_gain"]
    assert gain == pytest.approx(by_hand(good) - by_hand(flat), rel=1e-12)
    assert table.loc[0, "log_score_gain_lo"] < gain < table.loc[0, "log_score_gain_hi"]
    assert table.loc[0, "log_score_gain_lo"] > 0  # an informative forecast beats a flat one, with room to spare
    assert table.loc[0, "brier_gain"] == pytest.approx(np.mean((flat - y) ** 2) - np.mean((good - y) ** 2))


def test_compare_forecasts_refuses_disagreeing_outcomes_and_no_overlap():
    y = np.array([0.0, 1.0, 0.0])
    a = _validation(np.full(3, 0.1), y, np.array([2001, 2002, 2003]))
    b = _validation(np.full(3, 0.1), 1 - y, np.array([2001, 2002, 2003]))
    with pytest.raises(ModelError, match="disagree on an outcome"):
        alignment.compare_forecasts(a, b)
    with pytest.raises(ModelError, match="share no rolling-origin forecast"):
        alignment.compare_forecasts(a, _validation(np.full(3, 0.1), y, np.array([1901, 1902, 1903])))


def test_record_and_great_power_percentiles(panel):
    pairs = [(365, 710), *alignment.parse_pairs(["200-2", "2-365"])]
    table = alignment.record(panel, pairs)
    assert list(dict.fromkeys(table["pair"])) == ["RUS-CHN", "USA-UKG", "USA-RUS"]
    cr = table[table["pair"] == "RUS-CHN"].set_index("year")
    assert cr.index.min() == 1946 and cr.index.max() == int(panel["year"].max())
    # the percentile among great-power dyads, by hand for 2023
    gp = panel[(panel["year"] == 2023) & (panel["great_power_dyad"] == 1)]["unga_distance"].dropna()
    mine = cr.loc[2023, "unga_distance"]
    assert cr.loc[2023, "unga_distance_gp_pct"] == pytest.approx(
        100 * ((gp < mine).sum() + 0.5 * (gp == mine).sum()) / len(gp))
    spread = alignment.great_power_spread(panel)
    row = spread[(spread["group"] == "great-power dyads") & (spread["year"] == 2023)].iloc[0]
    assert row["unga_distance_p50"] == pytest.approx(gp.median())
    with pytest.raises(SpecError, match="not 'CCODE-CCODE'"):
        alignment.parse_pairs(["USA-UKG"])


def test_record_lines_say_what_each_record_shows_and_cannot(panel):
    table = alignment.record(panel, [(365, 710), (2, 200)])
    lines = "\n".join(alignment.record_lines(table, alignment.great_power_spread(panel), "RUS-CHN"))
    for phrase in ("Treaties (ATOP)", "UN voting, all votes", "final-passage votes only", "Arms transfers",
                   "Joint exercises", "What the records cannot show", "USA-UKG"):
        assert phrase in lines, phrase
    assert "(carried)" in lines  # ties past ATOP's release are marked in the table
