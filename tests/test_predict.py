"""Predictions, scenarios and survival curves for a dyad (models fitted on the real panel)."""

from __future__ import annotations

import numpy as np
import pytest

from alliances.analysis.predict import (
    Scenario,
    dyad_predictions,
    great_power_distribution,
    load_fits,
    prediction_columns,
    run_predictions,
    scenario_effects,
    survival_curves,
)
from alliances.config import DEFAULT_END
from alliances.errors import PanelError, ScenarioError
from alliances.models import Spec, fit

SPEC = Spec(name="test", outcome="alliance_onset",
            covariates=("cap_ratio", "shared_rivals", "common_threat_cinc", "log_capdist", "great_power_dyad"),
            years=(1946, 2016))


@pytest.fixture(scope="module")
def fits(panel):
    return {e: fit(panel, SPEC, e) for e in ("logit", "cloglog")}


@pytest.fixture(scope="module")
def pred(panel, fits):
    return dyad_predictions(panel, fits, "CHN-RUS", years=(1946, 2022), sims=300, seed=7)


def test_intervals_contain_the_point_estimate(pred):
    ok = pred.dropna(subset=["p"])
    assert len(ok) > 0
    assert (ok["p_lo"] <= ok["p"]).all() and (ok["p"] <= ok["p_hi"]).all()
    assert ok["pct_all"].between(0, 100).all()


def test_point_probability_uses_last_years_covariates(panel, fits, pred):
    """The 2005 logit probability is the model at China-Russia's 2004 covariates (one-year lag)
    and its 2005 years-without-alliance, assembled here by hand from the panel rows."""
    import pandas as pd

    rows = panel[panel["dyad_id"] == 365710].set_index("year")
    frame = pd.DataFrame([rows.loc[2004, list(SPEC.covariates)]]).assign(
        years_since_alliance=float(rows.loc[2005, "years_since_alliance"]))
    expected = fits["logit"].predict(frame.reset_index(drop=True)).iloc[0]
    got = pred[(pred["model"] == "logit") & (pred["year"] == 2005)]["p"].item()
    assert got == pytest.approx(expected, rel=1e-12)


def test_at_risk_and_observed_follow_the_panel(pred):
    logit = pred[pred["model"] == "logit"].set_index("year")
    assert not logit.loc[1951:1980, "at_risk"].any()  # the 1950 treaty was in force
    assert logit.loc[1951:1980, "p"].isna().all()
    assert logit.loc[1982:2022, "at_risk"].all()
    assert logit.loc[2017:, "observed_onset"].isna().all()  # past ATOP coverage: unknown, not 0
    assert (logit.loc[1982:2016, "observed_onset"] == 0).all()
    assert (logit.loc[2010, "x_shared_rivals"] == 1)  # the United States, lagged from 2009


def test_seed_reproduces_exactly(panel, fits, pred):
    again = dyad_predictions(panel, fits, "365-710", years=(1946, 2022), sims=300, seed=7)
    assert again.equals(pred)
    other = dyad_predictions(panel, fits, "365-710", years=(1946, 2022), sims=300, seed=8)
    assert not np.allclose(other["p_lo"].dropna(), pred["p_lo"].dropna())


def test_first_difference_has_the_coefficient_sign(panel, fits):
    sc = Scenario("more_rivals", add={"shared_rivals": 1})
    eff = scenario_effects(panel, fits, [sc], "365-710", years=(2000, 2022), sims=300).dropna(subset=["first_difference"])
    for model, res in fits.items():
        sign = np.sign(res.params["shared_rivals"])
        fd = eff.loc[eff["model"] == model, "first_difference"]
        assert (np.sign(fd) == sign).all()
    assert (eff["fd_lo"] <= eff["first_difference"]).all() and (eff["first_difference"] <= eff["fd_hi"]).all()


def test_survival_curve_is_a_survival_curve(panel, fits):
    sv = survival_curves(panel, fits, "365-710", horizon=30, sims=300)
    for _, g in sv.groupby("model"):
        assert len(g) == 30
        assert (g["survival_lo"] <= g["survival"]).all() and (g["survival"] <= g["survival_hi"]).all()
        assert g["from_year"].iloc[0] == 2022


def test_survival_starts_from_the_latest_observed_values(panel, fits):
    import pandas as pd

    sv = survival_curves(panel, {"logit": fits["logit"]}, "365-710", horizon=3, sims=50)
    last = panel[(panel["dyad_id"] == 365710) & (panel["year"] == 2022)]
    # 2022 values feed 2023-2025 under a one-year lag (held), while the years without an alliance grow
    frame = pd.concat([last[list(SPEC.covariates)]] * 3, ignore_index=True).assign(
        years_since_alliance=float(last["years_since_alliance"].iloc[0]) + np.arange(1, 4))
    p = fits["logit"].predict(frame).to_numpy()
    np.testing.assert_allclose(sv["survival"].to_numpy(), np.cumprod(1 - p), rtol=1e-12)
    with pytest.raises(PanelError, match=f"not at risk of alliance_onset after {DEFAULT_END}"):
        survival_curves(panel, fits, "2-200")  # NATO in force
    with pytest.raises(PanelError, match="sorted by dyad_id and year"):
        dyad_predictions(panel.iloc[::-1], fits, "365-710")


def test_clear_messages(panel, fits):
    with pytest.raises(PanelError, match="dyad 2-999 is not in the panel"):
        dyad_predictions(panel, fits, "2-999")
    with pytest.raises(PanelError, match="no years in 1700-1750"):
        dyad_predictions(panel, fits, "365-710", years=(1700, 1750))
    with pytest.raises(PanelError, match="never at risk of alliance_onset"):
        dyad_predictions(panel, fits, "2-200", years=(1960, 2010))  # NATO in force throughout
    with pytest.raises(ScenarioError, match="does not use"):
        dyad_predictions(panel, fits, "365-710", scenario=Scenario("x", set={"polity2_1": 3}))
    with pytest.raises(ScenarioError, match="COLUMN=NUMBER"):
        Scenario.from_assignments(["shared_rivals:2"])


@pytest.mark.heavy
def test_outputs_and_figures(panel, fits, tmp_path):
    frames = run_predictions(panel, fits, "365-710", years=(1990, 2022), sims=100,
                             scenarios=[Scenario("more", add={"shared_rivals": 1})], horizon=10, out_dir=tmp_path)
    for name in ("predictions", "scenarios", "survival", "great_power_distribution"):
        assert (tmp_path / f"{name}.csv").is_file() and (tmp_path / f"{name}.parquet").is_file()
    for fig in ("probability_alliance_onset", "scenarios_alliance_onset", "survival", "versus_great_powers_logit"):
        assert (tmp_path / f"{fig}.png").stat().st_size > 10_000 and (tmp_path / f"{fig}.svg").is_file()
    dist = frames["great_power_distribution"]
    assert (dist["q10"] <= dist["q90"]).all() and (dist["n_dyads"] > 0).all()
    first = {name: (tmp_path / f"{name}.csv").read_bytes() for name in frames}
    # a rerun gives the same bytes, also on the panel read in part as `alliances predict` and the
    # replication read it (a column left out would raise or, worse, change a frame)
    part = panel[prediction_columns([SPEC])]
    assert len(part.columns) < 40
    run_predictions(part, fits, "365-710", years=(1990, 2022), sims=100,
                    scenarios=[Scenario("more", add={"shared_rivals": 1})], horizon=10, out_dir=tmp_path)
    assert {name: (tmp_path / f"{name}.csv").read_bytes() for name in frames} == first
    svg = (tmp_path / "survival.svg").read_text()
    assert "<dc:date>" not in svg  # no creation date: reruns give the same bytes


def test_prediction_columns_serve_the_fits(panel, fits):
    """The columns named for a specification and for its fitted results agree, and a fit on them
    equals the fit on the whole panel."""
    part = panel[prediction_columns([SPEC])]
    assert prediction_columns(list(fits.values())) == list(part.columns)
    refit = load_fits(part, [SPEC], ["logit"])["logit"]
    np.testing.assert_array_equal(refit.params_, fits["logit"].params_)


def test_great_power_distribution_counts(panel, fits, majors):
    """2000: the great powers of COW's majors file (raw CSV) give C(7, 2) = 21 dyads; those at
    risk are the ones without an ATOP alliance in 1999 (NATO's US, UK, France, Germany among
    themselves and US-Japan are not): the count and the quantiles over their predicted probabilities."""
    gp = sorted(majors.loc[(majors["styear"] <= 2000) & (majors["endyear"] >= 2000), "ccode"].unique())
    assert gp == [2, 200, 220, 255, 365, 710, 740]
    pairs = [(a, b) for i, a in enumerate(gp) for b in gp[i + 1:]]
    prev = panel[panel["year"] == 1999].set_index(["ccode1", "ccode2"])
    free = [(a, b) for a, b in pairs if prev.loc[(a, b), "alliance"] == 0]
    assert len(pairs) == 21 and len(free) == 21 - 7  # the six NATO pairs and US-Japan are allied
    dist = great_power_distribution(panel, {"logit": fits["logit"]}, years=(2000, 2000))
    assert dist["n_dyads"].tolist() == [len(free)]
    # each at-risk dyad's probability from the 1999 covariates (one-year lag) and the 2000 duration
    res = fits["logit"]
    now = panel[panel["year"] == 2000].set_index(["ccode1", "ccode2"])
    x = {c: prev.loc[free, c].to_numpy(float) for c in SPEC.covariates}
    t = now.loc[free, res.info.duration].to_numpy(float)
    x.update({"t": t, "t^2/100": t ** 2 / 100, "t^3/1000": t ** 3 / 1000, "const": np.ones(len(free))})
    eta = sum(res.params[name] * x[name] for name in res.param_names)
    p = 1 / (1 + np.exp(-eta))
    np.testing.assert_allclose(dist.loc[0, ["q10", "q50", "q90"]].to_numpy(float), np.quantile(p, [0.1, 0.5, 0.9]),
                               rtol=1e-10)


def test_scenario_files_are_checked(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[set]\ncap_ratio = "abc"\n')
    with pytest.raises(ScenarioError, match=r"\[set\] must be a table of COLUMN = NUMBER"):
        Scenario.from_toml(bad)
    bad.write_text('name = "bad"\nset = 3\n')
    with pytest.raises(ScenarioError, match=r"\[set\] must be a table"):
        Scenario.from_toml(bad)


def test_covariates_past_coverage_are_carried_by_the_named_rule():
    """carry_forward_past_coverage: only years after the column's last observed year are filled,
    from the dyad's value in that year; gaps inside coverage stay missing; rows say what was carried."""
    import pandas as pd

    from alliances.analysis.predict import carry_past_coverage

    frame = pd.DataFrame({"dyad_id": [1] * 5 + [2] * 5, "year": list(range(2008, 2013)) * 2,
                          "mids_5y": [0, np.nan, 1, np.nan, np.nan, 2, 3, np.nan, np.nan, np.nan]})
    values, carried = carry_past_coverage(frame, ["mids_5y"])
    # coverage ends 2010 (last observed anywhere): dyad 1 carries its 2010 value; its 2009 gap stays missing
    assert np.isnan(values["mids_5y"].iloc[1])
    np.testing.assert_array_equal(values["mids_5y"].to_numpy()[[0, 2, 3, 4]], [0, 1, 1, 1])
    # dyad 2 has no 2010 value: nothing to carry, nothing filled
    assert values["mids_5y"].iloc[7:].isna().all()
    assert carried.tolist() == ["", "", "", "mids_5y@2010", "mids_5y@2010", "", "", "", "", ""]


def test_predictions_flag_carried_covariates(panel):
    spec = Spec(name="carry", outcome="alliance_onset", covariates=("cap_ratio", "log1p(mids_5y)"), years=(1946, 2010))
    res = fit(panel, spec, "logit")
    pred = dyad_predictions(panel, {"logit": res}, "CHN-RUS", years=(2009, 2022), sims=50, compare_groups=False)
    assert (pred.loc[pred["year"] <= 2011, "x_carried"] == "").all()  # 2011 uses 2010's observed value
    assert (pred.loc[pred["year"] >= 2012, "x_carried"] == "mids_5y@2010").all()
    assert pred.loc[pred["year"] >= 2012, "p"].notna().all()


def test_percentile_does_not_depend_on_the_years_asked(panel, fits):
    """The dyad's percentile uses its own entry in the pool: predicting one year or many gives the same rank."""
    one = dyad_predictions(panel, fits, "CHN-RUS", years=(2000, 2000), sims=20, seed=3)
    many = dyad_predictions(panel, fits, "CHN-RUS", years=(1990, 2010), sims=20, seed=3)
    a = one.set_index(["model", "year"])[["pct_all", "pct_great_powers"]]
    b = many.set_index(["model", "year"]).loc[a.index, ["pct_all", "pct_great_powers"]]
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
