"""alliances.models.design on hand-made frames: lags, terms, time controls (the spline by
Harrell's formula written out here), period dummies, the risk set and its notes, the model
matrix for new rows, and the separation / collinearity / absorption checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliances.errors import SpecError
from alliances.models import CollinearityError, ModelError, SeparationError, Spec
from alliances.models.design import (
    absorbed,
    build_design,
    check_collinearity,
    check_separation,
    lag_within_dyad,
    model_matrix,
    needed_columns,
    period_columns,
    rcs_basis,
    restrict_periods,
    same_dyad_previous,
    spline_knots,
    term_values,
    time_control_columns,
)


def _panel() -> pd.DataFrame:
    """Dyad 1: 1900-1905, allied 1901-1902 and from 1905; dyad 2: 1900, 1901, 1903 (1902 missing),
    allied 1903. x is the row's value; d a duration column (years since the alliance ended)."""
    rows = [
        # dyad, year, alliance, x, d
        (1, 1900, 0, 1.0, 5), (1, 1901, 1, 2.0, 6), (1, 1902, 1, 3.0, 0), (1, 1903, 0, 4.0, 0),
        (1, 1904, 0, 5.0, 1), (1, 1905, 1, 6.0, 2),
        (2, 1900, 0, 10.0, 9), (2, 1901, 0, 20.0, 10), (2, 1903, 1, 40.0, 11),
    ]
    df = pd.DataFrame(rows, columns=["dyad_id", "year", "alliance", "x", "years_since_alliance"])
    prev = df.groupby("dyad_id")["alliance"].shift(1)
    consecutive = df.groupby("dyad_id")["year"].diff() == 1
    df["alliance_onset"] = ((df["alliance"] == 1) & ~(consecutive & (prev == 1))).astype(int)
    return df


def test_same_dyad_previous_and_lag_by_hand():
    dyad = np.array([1, 1, 1, 2, 2, 2])
    year = np.array([1, 2, 4, 1, 2, 3])
    np.testing.assert_array_equal(same_dyad_previous(dyad, year, 1), [False, True, False, False, True, True])
    # k rows back, and exactly k years earlier: row 2 (year 4) is 3 years after row 0
    np.testing.assert_array_equal(same_dyad_previous(dyad, year, 2), [False, False, False, False, False, True])
    assert same_dyad_previous(dyad, year, 0).all()
    v = np.array([10.0, 20, 40, 1, 2, 3])
    np.testing.assert_array_equal(lag_within_dyad(v, dyad, year, 1), [np.nan, 10, np.nan, np.nan, 1, 2])
    np.testing.assert_array_equal(lag_within_dyad(v, dyad, year, 2, fill=-1.0), [-1, -1, -1, -1, -1, 1])
    lag0 = lag_within_dyad(v, dyad, year, 0)
    np.testing.assert_array_equal(lag0, v)
    assert lag0 is not v  # a copy


def test_term_values_and_their_errors():
    df = pd.DataFrame({"a": [1.0, np.e, np.nan], "b": [0.0, np.e - 1, 3.0]})
    np.testing.assert_allclose(term_values(df, "log(a)"), [0.0, 1.0, np.nan])
    np.testing.assert_allclose(term_values(df, "log1p(b)"), [0.0, 1.0, np.log(4.0)])
    np.testing.assert_array_equal(term_values(df, "b"), [0.0, np.e - 1, 3.0])
    with pytest.raises(ModelError, match=r"log\(b\): 1 row\(s\) have b <= 0; use log1p\(b\) or a shifted column"):
        term_values(df, "log(b)")
    with pytest.raises(ModelError, match=r"log1p\(c\): 1 row\(s\) have c <= -1"):
        term_values(pd.DataFrame({"c": [-1.0, 0.0]}), "log1p(c)")


def test_rcs_basis_is_harrells_formula():
    """Knots 0, 2, 5, 10: two basis columns, each written out with (u)+^3 terms here."""
    k = (0.0, 2.0, 5.0, 10.0)
    t = np.array([-1.0, 0.0, 1.0, 3.0, 6.0, 12.0])

    def pos3(u):
        return np.where(u > 0, u, 0.0) ** 3

    want = np.column_stack([
        (pos3(t - kj) - pos3(t - 5) * (10 - kj) / 5 + pos3(t - 10) * (5 - kj) / 5) / 100 for kj in (0.0, 2.0)])
    np.testing.assert_allclose(rcs_basis(t, k), want, rtol=1e-14)
    # t = 6 by hand: column 1 = (216 - 1 * 10/5) / 100 = 2.14; column 2 = (64 - 1 * 8/5) / 100 = 0.624
    np.testing.assert_allclose(rcs_basis(np.array([6.0]), k), [[2.14, 0.624]], rtol=1e-14)
    # linear beyond the last knot, zero below the first
    far = rcs_basis(np.array([20.0, 30.0, 40.0]), k)
    np.testing.assert_allclose(far[2] - far[1], far[1] - far[0], rtol=1e-12)
    assert (rcs_basis(np.array([-3.0, 0.0]), k) == 0).all()


def test_spline_knots_at_harrells_quantiles():
    t = np.arange(101.0)  # quantile q of 0..100 is 100 q
    assert spline_knots(t, 3) == (10.0, 50.0, 90.0)
    assert spline_knots(t, 4) == (5.0, 35.0, 65.0, 95.0)
    assert spline_knots(np.append(t, np.nan), 5) == pytest.approx((5.0, 27.5, 50.0, 72.5, 95.0), abs=1e-12)
    with pytest.raises(ModelError, match="at least 3 distinct knots.*Use time_controls = 'cubic'"):
        spline_knots(np.array([0.0] * 80 + [1.0] * 20), 3)  # knots 0, 0, 1


def test_time_control_columns():
    t = np.array([0.0, 10.0, 20.0])
    cubic = time_control_columns(t, "cubic")
    assert list(cubic) == ["t", "t^2/100", "t^3/1000"]
    np.testing.assert_array_equal(cubic["t^2/100"], [0.0, 1.0, 4.0])
    np.testing.assert_array_equal(cubic["t^3/1000"], [0.0, 1.0, 8.0])
    assert time_control_columns(t, "none") == {}
    spline = time_control_columns(t, "spline", (0.0, 5.0, 15.0))
    assert list(spline) == ["t", "t_spline1"]


def test_period_columns_and_the_forecast_rule():
    years = np.array([1899, 1905, 1913, 1925, 1960])
    cols = period_columns(years, "decade", (1910, 1920))
    assert list(cols) == ["decade_1910", "decade_1920"]
    assert cols["decade_1910"].tolist() == [0, 0, 1, 0, 0]
    assert cols["decade_1920"].tolist() == [0, 0, 0, 1, 1]  # 1960: after the last period -> its dummy
    yearly = period_columns(np.array([1950, 1951, 1952]), "year", (1951,))
    assert yearly == {"year_1951": pytest.approx(np.array([0.0, 1.0, 1.0]))}
    assert period_columns(years, "none", (1910,)) == {} and period_columns(years, "decade", ()) == {}


def test_build_design_risk_set_lag_and_counts_by_hand():
    """Risk set: no alliance in t-1 of the same dyad (a gap year counts as no alliance).
    dyad 1: 1900 (no lag row: x missing), 1901 (lag 1.0, onset), 1904 (lag 4.0), 1905 (lag 5.0, onset);
            1902 and 1903 follow allied years.
    dyad 2: 1900 (no lag), 1901 (lag 10.0), 1903 (at risk: 1902 absent; x lag missing -> dropped)."""
    d = build_design(_panel(), Spec("alliance_onset", ["x"], time_controls="none"))
    f = d.frame
    assert list(zip(f["dyad_id"], f["year"], f["x"], f["y"])) == [
        (1, 1901, 1.0, 1), (1, 1904, 4.0, 0), (1, 1905, 5.0, 1), (2, 1901, 10.0, 0)]
    assert d.n_risk_set == 7 and d.n_dropped_missing == 3
    assert d.info.x_names == ("const", "x") and d.status == "alliance"
    assert d.years == (1901, 1905)
    assert "dropped 3 risk-set rows with missing values ({'x': 3})" in d.notes
    np.testing.assert_array_equal(d.X, f[["const", "x"]].to_numpy())
    np.testing.assert_array_equal(d.y, [1, 0, 1, 0])


def test_build_design_sorts_and_refuses_duplicates():
    panel = _panel()
    shuffled = build_design(panel.sample(frac=1, random_state=3), Spec("alliance_onset", ["x"], time_controls="none"))
    pd.testing.assert_frame_equal(shuffled.frame, build_design(panel, Spec("alliance_onset", ["x"],
                                                                            time_controls="none")).frame)
    with pytest.raises(ModelError, match=r"duplicated \(dyad_id, year\) rows"):
        build_design(pd.concat([panel, panel.iloc[:1]]), Spec("alliance_onset", ["x"], time_controls="none"))


def test_build_design_time_controls_years_and_lag_0():
    panel = _panel()
    d = build_design(panel, Spec("alliance_onset", ["x"], years=(1904, 1905), lag=0))
    f = d.frame
    assert list(f["year"]) == [1904, 1905] and list(f["x"]) == [5.0, 6.0]  # lag 0: the year's own value
    assert list(f["t"]) == [1.0, 2.0] and list(f["t^3/1000"]) == [0.001, 0.008]
    assert d.info.x_names == ("const", "x", "t", "t^2/100", "t^3/1000")
    everyone = build_design(panel, Spec("alliance_onset", ["x"], risk_set="all", lag=0, time_controls="none"))
    assert len(everyone.frame) == len(panel) and everyone.status is None


def test_unknown_outcomes_are_refused_or_left_out():
    panel = _panel()
    panel.loc[panel["year"] == 1905, "alliance_onset"] = np.nan  # past the outcome's coverage
    with pytest.raises(ModelError, match=r"alliance_onset is unknown \(missing\) in 1905 for 1 risk-set rows.*"
                                         r"end before 1905"):
        build_design(panel, Spec("alliance_onset", ["x"], years=(1900, 1905), time_controls="none"))
    with pytest.warns(UserWarning, match="alliance_onset is unknown in 1905: 1 risk-set rows left out"):
        d = build_design(panel, Spec("alliance_onset", ["x"], time_controls="none"))
    assert 1905 not in set(d.frame["year"])


def test_empty_risk_set_and_missing_columns():
    with pytest.raises(ModelError, match="the risk set is empty for outcome 'alliance_onset'"):
        build_design(_panel(), Spec("alliance_onset", ["x"], years=(1800, 1850)))
    with pytest.raises(SpecError, match=r"'xx' \(did you mean 'x'"):
        build_design(_panel(), Spec("alliance_onset", ["xx"]))


def test_period_effects_drop_eventless_periods_and_restrict():
    """Decades 1900 (events), 1910 (none), 1920 (events): the 1910 rows leave; 1920 gets a dummy."""
    rows = []
    for dyad in (1, 2, 3):
        for year in range(1900, 1930):
            rows.append((dyad, year, int((dyad, year) in {(1, 1903), (2, 1921), (3, 1925), (2, 1905)})))
    df = pd.DataFrame(rows, columns=["dyad_id", "year", "alliance_onset"])
    df["alliance"] = 0
    df["x"] = np.arange(len(df), dtype=float) % 7
    spec = Spec("alliance_onset", ["x"], risk_set="all", lag=0, time_controls="none", period_effects="decade")
    d = build_design(df, spec)
    assert d.info.periods == (1920,) and d.info.x_names == ("const", "x", "decade_1920")
    assert not d.frame["year"].between(1910, 1919).any() and len(d.frame) == 60
    assert d.frame["decade_1920"].sum() == 30
    assert any("30 rows of 1 decade(s) without an event left out (1910)" in n for n in d.notes)
    # a training window ending in 1921: 1920 still has an event (2-1921); one ending 1919 has only 1900
    window = d.subset(d.frame["year"].to_numpy() <= 1921)
    r = restrict_periods(window)
    assert r.info.periods == (1920,) and r.frame["decade_1920"].sum() == 6
    with pytest.raises(ModelError, match="decade effects need events in at least two decades; the sample has 1"):
        build_design(df[df["year"] < 1920], spec)


def test_model_matrix_for_new_rows():
    d = build_design(_panel(), Spec("alliance_onset", ["log(x)"], time_controls="cubic"))
    new = pd.DataFrame({"x": [np.e, 1.0], "years_since_alliance": [10.0, 0.0]})
    m = model_matrix(new, d.info)
    assert list(m.columns) == ["const", "log(x)", "t", "t^2/100", "t^3/1000"]
    np.testing.assert_allclose(m.to_numpy(), [[1, 1, 10, 1, 1], [1, 0, 0, 0, 0]])
    # lag=True reads panel rows: x of t-1 within the dyad
    rows = _panel()
    lagged = model_matrix(rows, d.info, lag=True)
    np.testing.assert_allclose(lagged["log(x)"].to_numpy(),
                               np.log([np.nan, 1, 2, 3, 4, 5, np.nan, 10, np.nan]))
    with pytest.raises(ModelError, match="needs rows sorted by dyad_id and year"):
        model_matrix(rows.iloc[::-1], d.info, lag=True)
    with pytest.raises(SpecError, match=r"'years_since_alliance'"):
        model_matrix(new.drop(columns="years_since_alliance"), d.info)


def test_needed_columns():
    spec = Spec("alliance_onset", ["log(capdist_km)", "cap_ratio"], cluster="dyad+agreement", politically_relevant=True)
    assert needed_columns(spec) == ["dyad_id", "year", "alliance_onset", "cap_ratio", "capdist_km",
                                    "years_since_alliance", "alliance", "alliance_onset_agreement",
                                    "conttype", "major1", "major2"]
    assert needed_columns(Spec("alliance_onset", ["x"]), kind="mlogit")[:4] == [
        "dyad_id", "year", "alliance_onset", "alignment_onset"]


def test_separation_checks_name_the_covariate():
    y = np.array([0, 0, 1, 1, 0, 1])
    binary = np.column_stack([np.ones(6), [0, 0, 1, 1, 0, 1], [0, 1, 0, 1, 0, 1]])
    with pytest.raises(SeparationError, match=r"perfect separation: ev never occurs when b == 0 \(3 rows\)"):
        check_separation(y, binary, ["const", "b", "ok"], "ev")
    cont = np.column_stack([np.ones(6), [0.1, 0.2, 0.9, 0.8, 0.3, 0.7]])
    with pytest.raises(SeparationError, match=r"every ev event has z >= 0\.3, beyond all non-events"):
        check_separation(y, cont, ["const", "z"], "ev")
    overlap = np.column_stack([np.ones(6), [0.1, 0.8, 0.9, 0.2, 0.3, 0.7]])
    check_separation(y, overlap, ["const", "z"], "ev")  # no error


def test_collinearity_checks_name_the_covariates():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    with pytest.raises(CollinearityError, match=r"collinearity: k is constant \(5\) in the estimation sample and so "
                                                r"collinear with the intercept"):
        check_collinearity(np.column_stack([np.ones(50), a, np.full(50, 5.0)]), ["const", "a", "k"])
    X = np.column_stack([np.ones(50), a, b, 2 * a - b])
    with pytest.raises(CollinearityError, match=r"the covariates .*(a|b|c).*\(with the intercept\) are linearly "
                                                r"dependent"):
        check_collinearity(X, ["const", "a", "b", "c"])
    check_collinearity(np.column_stack([np.ones(50), a, b]), ["const", "a", "b"])  # no error


def test_absorbed_covariates():
    frame = pd.DataFrame({"g": [1, 1, 2, 2], "fixed": [3.0, 3.0, 7.0, 7.0], "varies": [1.0, 2.0, 1.0, 1.0]})
    assert absorbed(frame, ["const", "fixed", "varies"], "g") == ["fixed"]
