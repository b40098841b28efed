"""Unknown outcomes, clustering schemes and period effects on the real panel and hand-made frames."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alliances.config import DEFAULT_END
from alliances.models import ModelError, Spec, fit
from alliances.models.design import build_design, period_columns
from alliances.models.variance import cluster_dimensions, sandwich

COVS = ("cap_ratio", "log_capdist", "contig_land")


def test_fit_refuses_years_whose_outcome_is_unknown(panel):
    spec = Spec("alliance_onset", COVS, years=(1990, 2022))
    with pytest.raises(ModelError, match=r"alliance_onset is unknown \(missing\) in 2017-2022 .*end before 2017"):
        fit(panel, spec, "logit")


def test_fit_without_years_leaves_unknown_years_out_and_says_so(panel):
    spec = Spec("alliance_onset", COVS, time_controls="none")
    with pytest.warns(UserWarning, match=f"unknown in 2017-{DEFAULT_END}"):
        res = fit(panel[panel["year"] >= 2000], spec, "logit")
    assert res.years == (2001, 2016)  # 2000 has no lagged covariates; 2017 on unknown
    assert "Outcome years:  2001-2016" in res.summary()


def test_agreement_clusters_group_onsets_of_one_treaty():
    frame = pd.DataFrame({"dyad_id": [1, 1, 2, 2, 3], "year": [1, 2, 1, 2, 2],
                          "agreement": [-1, 7, -1, 7, 9]})
    (sign, codes), = cluster_dimensions(frame, "agreement")
    assert codes[1] == codes[3] != codes[4]  # the two onsets of treaty 7 share a cluster
    assert codes[0] != codes[2] and len(set(codes)) == 4  # other rows by dyad: 1, 2 (+ treaties 7, 9)
    dims = cluster_dimensions(frame, "dyad+agreement")
    assert [s for s, _ in dims] == [1, 1, -1]
    assert len(set(dims[1][1])) == 4  # treaty 7, treaty 9 and the two rows without an onset (singletons)
    assert len(set(dims[2][1])) == 5  # every (dyad, agreement) cell is one row here


def test_two_way_sandwich_by_hand():
    """M_dyad + M_year - M_cell with G/(G-1) each, on a 4-row frame computed by hand."""
    frame = pd.DataFrame({"dyad_id": [1, 1, 2, 2], "year": [1, 2, 1, 2]})
    s = np.array([[1.0], [2.0], [3.0], [-1.0]])
    cov, counts = sandwich(np.eye(1), s, frame, "dyad+year")
    m_dyad = (1 + 2) ** 2 + (3 - 1) ** 2  # 13, G = 2
    m_year = (1 + 3) ** 2 + (2 - 1) ** 2  # 17, G = 2
    m_cell = 1 + 4 + 9 + 1  # 15, G = 4
    assert cov[0, 0] == pytest.approx(2 * m_dyad + 2 * m_year - 4 / 3 * m_cell)
    assert counts == {"dyad": 2, "year": 2, "dyad x year": 4}


def test_agreement_clustering_on_the_real_panel(panel):
    """Every onset row of the real design carries the ATOP agreement the panel attributes to it
    (its alliance_onset_agreement), the other rows -1. The covariance itself is checked by hand
    in test_variance.py::test_fitted_logit_covariance_by_hand."""
    spec = Spec("alliance_onset", COVS, years=(1900, 1960), cluster="dyad+agreement")
    design = build_design(panel, spec)
    f = design.frame
    onset = f["y"] == 1
    assert onset.sum() > 100
    assert (f.loc[onset, "agreement"] > 0).all() and (f.loc[~onset, "agreement"] == -1).all()
    raw = panel.set_index(["dyad_id", "year"])["alliance_onset_agreement"]
    keys = pd.MultiIndex.from_frame(f.loc[onset, ["dyad_id", "year"]])
    np.testing.assert_array_equal(f.loc[onset, "agreement"].to_numpy(), raw.loc[keys].to_numpy(float))


def test_period_columns_carry_the_last_period_forward():
    cols = period_columns(np.array([1835, 1841, 1999, 2022]), "decade", (1840, 1990))
    assert cols["decade_1840"].tolist() == [0, 1, 0, 0]
    assert cols["decade_1990"].tolist() == [0, 0, 1, 1]  # 2022: the last decade's effect (the forecast rule)


@pytest.fixture(scope="module")
def synth():
    """A synthetic panel whose onsets carry an agreement (same decade and first state: one treaty)."""
    from alliances.models._synthetic import synthetic_panel

    df = synthetic_panel(n_states=30, seed=2)
    agreement = (df["year"] // 10) * 1000 + df["ccode1"]
    return df.assign(alliance_onset_agreement=agreement.where(df["alliance_onset"] == 1))


@pytest.mark.parametrize("estimator", ["logit", "relogit", "firth", "cloglog", "cox"])
def test_one_fit_serves_every_clustering(synth, estimator):
    """fit(also_clusters=...) + with_cluster gives what a separate fit with that cluster gives."""
    spec = Spec("alliance_onset", COVS, years=(1946, 1990), cluster="dyad")
    res = fit(synth, spec, estimator, also_clusters=["dyad+year", "dyad+agreement"])
    for cl in ("dyad+year", "dyad+agreement"):
        direct = fit(synth, dataclasses.replace(spec, cluster=cl), estimator)
        alt = res.with_cluster(cl)
        np.testing.assert_allclose(alt.params_, direct.params_, rtol=1e-10)
        np.testing.assert_allclose(alt.cov_, direct.cov_, rtol=1e-8)
        assert alt.cov_type == direct.cov_type and alt.spec.cluster == cl
        assert not np.allclose(alt.cov_, res.cov_)  # another clustering, not the dyad covariance again
    with pytest.raises(ModelError, match="no covariance for cluster = 'year'"):
        res.with_cluster("year")


def test_year_effects_with_year_clustering_fit():
    """Year dummies' scores sum to 0 within their year, so the two-way sum is not PSD there: the
    negative eigenvalues are set to 0 (Cameron-Gelbach-Miller) and the covariates keep valid errors."""
    from pathlib import Path

    sample = pd.read_csv(Path(__file__).resolve().parent / "reference" / "sample.csv")
    spec = Spec("alliance_onset", ("cap_ratio", "log_capdist", "contig_land"), risk_set="all", lag=0,
                period_effects="year", cluster="dyad+year")
    res = fit(sample, spec, "logit")
    assert np.all(np.linalg.eigvalsh(res.cov_) > -1e-12)
    assert "negative eigenvalue(s) set to 0 (Cameron-Gelbach-Miller)" in res.cov_type
    # the clipping is checked by hand in test_variance.py; here: the covariates' errors stay
    # those of a proper covariance (finite, and no correlation outside [-1, 1])
    sd = res.bse[["cap_ratio", "log_capdist", "contig_land"]]
    assert np.isfinite(sd).all() and (sd > 0).all()
    corr = res.cov_ / np.outer(res.bse, res.bse)
    assert np.all(np.abs(corr[np.isfinite(corr)]) <= 1 + 1e-9)


def test_common_windows_compare_models_on_the_same_rows():
    from alliances.analysis.validate import common_windows

    pred = pd.DataFrame({"scheme": "rolling", "window": ["a", "a", "b", "b", "b"],
                         "model": ["logit", "base_rate", "logit", "base_rate", "firth"]})
    pred = pd.concat([pred, pd.DataFrame({"scheme": ["rolling"], "window": ["a"], "model": ["firth"]})])
    assert set(common_windows(pred)["window"]) == {"a", "b"}
    assert set(common_windows(pred[~((pred["window"] == "a") & (pred["model"] == "logit"))])["window"]) == {"b"}


def test_survival_curve_is_the_cox_formula_at_the_dyads_year(panel):
    """Point survival over 1..5 years after T = exp(-exp(x_T'b) * sum of the one-year baseline
    hazards at durations d_T + 1 .. d_T + k), computed here from the fitted coefficients, the
    stored baseline (its Breslow increments are checked against R's survfit in
    test_models_reference.py) and China-Russia's raw row for T."""
    from alliances.analysis.predict import survival_curves

    spec = Spec("alliance_onset", COVS, years=(1946, 2016), time_controls="none")
    res = fit(panel, spec, "cox")
    T = 2010
    curve = survival_curves(panel, {"cox": res}, "CHN-RUS", horizon=5, sims=200, from_year=T)
    row = panel[(panel["ccode1"] == 365) & (panel["ccode2"] == 710) & (panel["year"] == T)].iloc[0]
    x = np.array([float(row[c]) for c in res.params.index])
    h0 = np.asarray(res.baseline.smoothed_h0, dtype=float)
    durations = int(row[res.info.duration]) + np.arange(1, 6)
    hazards = h0[np.clip(durations, 1, len(h0)) - 1]
    expected = np.exp(-np.exp(x @ res.params.to_numpy()) * np.cumsum(hazards))
    assert list(curve["year"]) == [2011, 2012, 2013, 2014, 2015] and (curve["from_year"] == T).all()
    np.testing.assert_allclose(curve["survival"], expected, rtol=1e-10)
    assert (curve["survival_lo"] <= curve["survival"]).all() and (curve["survival"] <= curve["survival_hi"]).all()


def test_agreement_clustering_needs_an_attributed_outcome(synth):
    spec = Spec("alliance_new", COVS, years=(1946, 1990), cluster="dyad+agreement")
    with pytest.raises(ModelError, match="needs the agreement that produced each onset.*alliance_new has none"):
        fit(synth, spec, "logit")


def test_unknown_outcomes_inside_the_sources_years_are_left_out_with_a_note(panel):
    """Inside the UN source's years, rows it could not code (no votes recorded in 1964; states
    without an estimate) are left out and counted in a note, while years past the source's
    coverage (2025) are still refused."""
    part = panel.loc[(panel["year"] >= 1958) & (panel["year"] <= 1972)]
    spec = Spec("unga_onset", ("log_capdist", "contig_land"), years=(1960, 1970), time_controls="none")
    res = fit(part, spec, "logit")
    note = next(n for n in res.notes if "inside its observed years" in n)
    # the risk set recomputed with pandas: last year's status (same dyad, year - 1) not aligned
    d = part.sort_values(["ccode1", "ccode2", "year"])
    prev = d.groupby(["ccode1", "ccode2"])["unga_aligned"].shift(1).astype(float).fillna(0)  # unknown: at risk
    consecutive = d.groupby(["ccode1", "ccode2"])["year"].diff() == 1
    at_risk = ~(consecutive & (prev == 1)) & d["year"].between(1960, 1970)
    unknown = at_risk & d["unga_onset"].isna()
    assert f"unknown for {int(unknown.sum()):,} risk-set rows" in note
    assert not (at_risk & (d["year"] == 1964) & d["unga_onset"].notna()).any()  # no votes recorded in 1964
    # the rows kept are the known outcomes less those with a missing (lagged) covariate, noted apart
    dropped = next(n for n in res.notes if n.startswith("dropped"))
    assert res.nobs + int(dropped.split()[1]) == int((at_risk & d["unga_onset"].notna()).sum())
    late = panel.loc[panel["year"] >= 2020]
    with pytest.raises(ModelError, match=r"unga_onset_fp is unknown \(missing\) in 2025 .*end before 2025"):
        fit(late, Spec("unga_onset_fp", ("log_capdist",), years=(2021, 2025), time_controls="none"), "logit")
