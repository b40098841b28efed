"""Unit tests of alliances.models on synthetic panels (fast; the R comparisons live in
test_models_reference.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from alliances.errors import SpecError
from alliances.models import (
    ESTIMATORS,
    CollinearityError,
    ModelError,
    Results,
    SeparationError,
    Spec,
    compare,
    fit,
    fit_all,
    load,
)
from alliances.models._synthetic import TRUE_ONSET, synthetic_panel
from alliances.models.clogit import conditional_logit
from alliances.models.design import (
    build_design,
    lag_within_dyad,
    rcs_basis,
    spline_knots,
)
from alliances.models.firth import firth_logit

COVS = ["cap_ratio", "log_capdist", "contig_land", "great_power_dyad"]


@pytest.fixture(scope="module")
def synth() -> pd.DataFrame:
    return synthetic_panel(n_states=40, seed=0)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec("alliance_onset", COVS, name="synthetic")


@pytest.fixture(scope="module")
def fits(synth, spec) -> dict[str, Results]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_all(synth, spec)


# -- spec ------------------------------------------------------------------------------
def test_spec_from_toml(tmp_path):
    p = tmp_path / "m.toml"
    p.write_text('outcome = "tie_onset"\ncovariates = ["cap_ratio", "log(capdist_km)"]\ntime_controls = "spline"\n'
                 "[sample]\nyears = [1946, 2010]\npolitically_relevant = true\n")
    s = Spec.from_toml(p)
    assert s.name == "m" and s.years == (1946, 2010) and s.politically_relevant and s.covariates[1] == "log(capdist_km)"
    assert Spec.from_dict(s.to_dict()) == s


def test_example_specs_load():
    from pathlib import Path

    from alliances.codebook import dyad_year_columns
    from alliances.models.design import needed_columns
    from alliances.sources.registry import coverage

    known = {c.name for c in dyad_year_columns()}
    paths = sorted((Path(__file__).resolve().parents[1] / "analyses" / "specs").glob("*.toml"))
    assert paths
    for p in paths:
        spec = Spec.from_toml(p)
        unknown = [c for c in needed_columns(spec) if c not in known]
        assert not unknown, (p.name, unknown)  # every outcome and covariate is a declared column
        if spec.years is not None:  # no shipped spec reaches years whose outcome is unknown
            last = coverage("unga")[1] if spec.outcome.startswith("unga_") else 2016  # UN votes; ATOP 4.01
            assert spec.years[1] <= last, p.name


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"outcome": "alliance_onsets"}, "is not one of"),
        ({"time_controls": "quadratic"}, "time_controls must be one of cubic, spline, none"),
        ({"covariates": ["sqrt(x)"]}, "not understood"),
        ({"lag": -1}, "non-negative"),
        ({"years": (2000, 1990)}, "first <= last"),
    ],
)
def test_spec_errors(kw, match):
    base = {"outcome": "alliance_onset", "covariates": ["cap_ratio"]}
    with pytest.raises(SpecError, match=match):
        Spec(**{**base, **kw})


def test_unknown_toml_field(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('outcome = "alliance_onset"\ncovariates = []\nclustr = "dyad"\n')
    with pytest.raises(SpecError, match="unknown spec field.*clustr"):
        Spec.from_toml(p)


# -- design ----------------------------------------------------------------------------
def tiny_panel() -> pd.DataFrame:
    """Two dyads; dyad 2 skips 1903, so its 1904 row has no lag."""
    rows = [(1, y, a, x) for y, a, x in [(1900, 0, 1.0), (1901, 1, 2.0), (1902, 1, 3.0), (1903, 0, 4.0), (1904, 1, 5.0)]]
    rows += [(2, y, a, x) for y, a, x in [(1901, 1, 10.0), (1902, 0, 20.0), (1904, 1, 40.0)]]
    df = pd.DataFrame(rows, columns=["dyad_id", "year", "alliance", "x"])
    df["alliance_onset"] = (df["alliance"] == 1) & (df.groupby("dyad_id")["alliance"].shift(1).fillna(0) == 0)
    df["alliance_onset"] = df["alliance_onset"].astype(int)
    df["years_since_alliance"] = 1
    return df.sample(frac=1, random_state=0)  # unsorted on purpose


def test_lag_needs_previous_year():
    v = lag_within_dyad(np.array([1.0, 2, 3, 4]), np.array([1, 1, 2, 2]), np.array([1, 2, 1, 3]), 1)
    np.testing.assert_array_equal(np.isnan(v), [True, False, True, True])
    assert v[1] == 1.0


def test_risk_set_and_lag():
    d = build_design(tiny_panel(), Spec("alliance_onset", ["x"], time_controls="none"))
    f = d.frame
    # dyad 1: 1900 (no lag -> dropped), 1901 at risk (x lag 1), 1902 not at risk, 1903 not at risk
    # (allied 1902), 1904 at risk (x lag 4).  dyad 2: 1901 no lag, 1902 not at risk, 1904 at risk
    # (no 1903 row -> status lag 0) but x lag missing -> dropped
    assert list(zip(f["dyad_id"], f["year"], f["x"], f["y"])) == [(1, 1901, 1.0, 1), (1, 1904, 4.0, 1)]
    assert d.n_risk_set == 5 and d.n_dropped_missing == 3
    assert "alliance_lag == 0" in d.risk_set


def test_unknown_column_lists_close_matches(synth):
    with pytest.raises(SpecError, match=r"'cap_ration' \(did you mean 'cap_ratio'"):
        fit(synth, Spec("alliance_onset", ["cap_ration"]), "logit")


def test_empty_risk_set(synth):
    with pytest.raises(ModelError, match="risk set is empty"):
        fit(synth, Spec("alliance_onset", COVS, years=(1700, 1750)), "logit")


def test_unknown_estimator(synth, spec):
    with pytest.raises(ModelError, match="unknown estimator 'probit'; choose one of logit, firth"):
        fit(synth, spec, "probit")


def test_separation_names_covariate(synth):
    df = synth.assign(sure=synth.groupby("dyad_id")["alliance_onset"].shift(-1).fillna(0))
    with pytest.raises(SeparationError, match="perfect separation: alliance_onset never occurs when sure == 0"):
        fit(df, Spec("alliance_onset", COVS + ["sure"]), "logit")
    thr = synth.assign(z=np.where(synth.groupby("dyad_id")["alliance_onset"].shift(-1).fillna(0) > 0, 5.0, 0.0)
                       + np.random.default_rng(0).random(len(synth)))
    with pytest.raises(ModelError, match="every alliance_onset event has z >="):
        fit(thr, Spec("alliance_onset", COVS + ["z"]), "cloglog")


def test_collinearity_names_covariates(synth):
    df = synth.assign(dist2=2 * synth["log_capdist"] + 1, const5=5.0)
    with pytest.raises(CollinearityError, match="collinearity: the covariates .*log_capdist.*dist2|dist2.*log_capdist"):
        fit(df, Spec("alliance_onset", ["log_capdist", "dist2"]), "logit")
    with pytest.raises(ModelError, match="const5 is constant"):
        fit(df, Spec("alliance_onset", ["log_capdist", "const5"]), "logit")


def test_log_transform_and_restrictions(synth):
    s = Spec("alliance_onset", ["log(capdist_km)", "contig_land"], politically_relevant=True, years=(1950, 2000))
    r = fit(synth, s, "logit")
    assert "log(capdist_km)" in r.param_names
    base = Spec("alliance_onset", ["log(capdist_km)", "contig_land"])
    assert r.nobs < fit(synth, base, "logit").nobs
    with pytest.raises(ModelError, match="use log1p"):
        fit(synth, Spec("alliance_onset", ["log(shared_rivals)"]), "logit")


def test_spline_time_controls(synth):
    r = fit(synth, Spec("alliance_onset", COVS, time_controls="spline"), "logit")
    assert [n for n in r.param_names if n.startswith("t")] == ["t", "t_spline1"]
    assert len(r.info.knots) == 3


def test_rcs_is_linear_beyond_boundary_knots():
    knots = spline_knots(np.arange(100.0), 4)
    t = np.linspace(knots[-1] + 1, knots[-1] + 50, 20)
    b = rcs_basis(t, knots)
    np.testing.assert_allclose(np.diff(b, n=2, axis=0), 0, atol=1e-9)
    assert np.all(rcs_basis(np.array([knots[0] - 5.0]), knots) == 0)


# -- estimators ------------------------------------------------------------------------
def test_fit_all_returns_every_estimator(fits, synth):
    """Each estimator's rows, events and dyads, counted here with pandas: the risk set is the
    rows whose dyad had no alliance (any tie for the multinomial logit) the year before, less
    each dyad's first year (no lagged covariates); the conditional logit keeps only dyads with
    both an onset and a non-onset."""
    assert list(fits) == list(ESTIMATORS)
    d = synth.sort_values(["dyad_id", "year"])
    g = d.groupby("dyad_id")
    later = g.cumcount() > 0  # the synthetic panel has no gap years inside a dyad
    risk = later & (g["alliance"].shift(1).fillna(0) == 0)
    tie_risk = later & (g["any_tie"].shift(1).fillna(0) == 0)
    per_dyad = d[risk].groupby("dyad_id")["alliance_onset"].agg(["sum", "count"])
    mixed = per_dyad[(per_dyad["sum"] > 0) & (per_dyad["sum"] < per_dyad["count"])]
    want = {name: (int(risk.sum()), int(d.loc[risk, "alliance_onset"].sum()), d.loc[risk, "dyad_id"].nunique())
            for name in fits}
    want["clogit"] = (int(mixed["count"].sum()), int(mixed["sum"].sum()), len(mixed))
    want["mlogit"] = (int(tie_risk.sum()),
                      int(d.loc[tie_risk, ["alliance_onset", "alignment_onset"]].to_numpy().sum()),
                      d.loc[tie_risk, "dyad_id"].nunique())
    for name, r in fits.items():
        assert (r.nobs, r.n_events, r.n_groups) == want[name], name
        assert r.converged and np.all(np.isfinite(r.params)), name
        assert np.all(np.linalg.eigvalsh(r.cov_) > 0), name  # a proper (positive definite) covariance


def test_logit_recovers_truth():
    df = synthetic_panel(n_states=60, seed=3)
    r = fit(df, Spec("alliance_onset", ["contig_land", "log_capdist", "great_power_dyad", "cap_ratio"],
                     time_controls="none"), "logit")
    for name in ("contig_land", "log_capdist", "great_power_dyad", "cap_ratio"):
        assert abs(r.params[name] - TRUE_ONSET[name]) < 3.5 * r.bse[name], name


def test_relogit_shrinks_toward_zero_and_scales_variance(fits):
    lg, kz = fits["logit"], fits["relogit"]
    n, k = lg.nobs, len(lg.params)
    np.testing.assert_allclose(kz.bse, lg.bse * n / (n + k))
    assert abs(kz.params["const"]) < abs(lg.params["const"])


def test_firth_finite_under_separation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = (x > 0.5).astype(float)
    X = np.column_stack([np.ones(200), x])
    f = firth_logit(y, X)
    assert f.converged and np.all(np.isfinite(f.params)) and 2 < f.params[1] < 100


def test_clogit_matches_statsmodels(synth, spec):
    from statsmodels.base.model import LikelihoodModel
    from statsmodels.discrete.conditional_models import ConditionalLogit

    d = build_design(synth, Spec("alliance_onset", ["cap_ratio"], lag=1), intercept=False)
    f = d.frame[d.frame.groupby("dyad_id")["y"].transform("std").fillna(0) > 0]
    X = f[list(d.info.x_names)].to_numpy()
    mine = conditional_logit(f["y"].to_numpy(), X, f["dyad_id"].to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = LikelihoodModel.fit(ConditionalLogit(f["y"].to_numpy(), X, groups=f["dyad_id"].to_numpy()),
                                 start_params=np.zeros(X.shape[1]), method="newton", tol=1e-12, disp=0)
    assert f.groupby("dyad_id")["y"].sum().max() >= 2  # exercises the multi-onset recursion
    np.testing.assert_allclose(mine.params, sm.params, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(mine.cov)), sm.bse, rtol=1e-5)


def test_fixed_effect_models_drop_absorbed_covariates(fits):
    assert "log_capdist" not in fits["clogit"].param_names
    assert any("absorbed" in n for n in fits["clogit"].notes)
    assert "const" not in fits["cox"].param_names and "log_capdist" in fits["cox"].param_names


def test_mlogit_names(fits):
    r = fits["mlogit"]
    assert r.param_names[0] == "alignment_onset:const" and "alliance_onset:cap_ratio" in r.param_names
    assert r.category_counts["alliance_onset"] > 0


# -- results ---------------------------------------------------------------------------
def test_results_are_read_only(fits):
    import dataclasses

    r = fits["logit"]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'nobs'"):
        r.nobs = 3
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        r.params_[0] = 1.0
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        r.cov_[0, 0] = 1.0


def test_conf_int_and_pvalues(synth, spec, fits):
    """p-values, z and intervals against statsmodels' Logit with the same CR1 dyad-clustered
    covariance (an independent implementation), and the interval/p-value duality: the
    (1 - p_j) interval of each coefficient ends exactly at 0."""
    import statsmodels.api as sm

    from alliances.models.fitting import design_for

    r = fits["logit"]
    f = design_for(synth, spec, "logit").frame
    names = list(r.param_names)
    ref = sm.Logit(f["y"].to_numpy(float), f[names].to_numpy(float)).fit(
        disp=0, method="newton", tol=1e-12, cov_type="cluster", cov_kwds={"groups": f["dyad_id"].to_numpy()})
    np.testing.assert_allclose(r.params_, ref.params, rtol=1e-7)
    np.testing.assert_allclose(r.bse, ref.bse, rtol=1e-6)
    np.testing.assert_allclose(r.tvalues, ref.tvalues, rtol=1e-6)
    np.testing.assert_allclose(r.pvalues, ref.pvalues, rtol=1e-5, atol=1e-300)
    np.testing.assert_allclose(r.conf_int(0.1).to_numpy(), ref.conf_int(0.1), rtol=1e-6)
    for j, name in enumerate(names):
        ci = r.conf_int(float(r.pvalues.iloc[j])).loc[name]
        assert min(abs(ci["lower"]), abs(ci["upper"])) == pytest.approx(0.0, abs=1e-8 * abs(r.params_[j])), name
    tidy = r.to_frame()
    assert list(tidy["term"]) == names and {"estimate", "std_error", "p_value"} <= set(tidy)
    np.testing.assert_allclose(tidy["p_value"], ref.pvalues, rtol=1e-5, atol=1e-300)


def test_summary_states_the_method(fits):
    text = repr(fits["cox"])
    for s in ("Risk set:", "alliance_lag == 0", "year t-1", "cubic in t = years_since_alliance", "clustered by dyad"):
        assert s in text
    assert "log_capdist" in fits["logit"].summary()


def test_predict_and_simulate(fits, synth):
    rows = synth[synth["dyad_id"] == synth["dyad_id"].iloc[0]].tail(5)
    for name, r in fits.items():
        if name == "clogit":
            with pytest.raises(ModelError, match="does not estimate the dyad effects"):
                r.predict(rows)
            continue
        p = r.predict(rows)
        sims = r.simulate(rows, n=200, seed=7)
        if name == "mlogit":
            assert p.shape == (5, 3) and np.allclose(p.sum(axis=1), 1)
            assert sims.shape == (200, 5, 3)
            continue
        assert p.shape == (5,) and sims.shape == (200, 5)
        if name != "lpm":
            assert ((p > 0) & (p < 1)).all()
        np.testing.assert_array_equal(sims, r.simulate(rows, n=200, seed=7))
        assert abs(np.median(sims, axis=0) - p.to_numpy()).max() < 0.5 * max(p.max(), 1e-3)


def test_predict_with_panel_lag(fits, synth):
    r = fits["logit"]
    rows = synth[synth["dyad_id"] == synth["dyad_id"].iloc[0]]
    p = r.predict(rows, lag=True)
    assert np.isnan(p.iloc[0]) and p.iloc[1:].notna().all()


def test_cox_duration_prediction_uses_baseline_at_own_duration(fits, synth):
    """Duration scale: p = 1 - exp(-h0(d) exp(x'b)), h0(d) the mean Breslow increment over the
    durations d-2..d+2 that have a risk set (window 5), recomputed here from the raw increments."""
    r = fits["cox"]
    assert r.baseline.time_scale == "duration" and "t" not in r.param_names
    rows = synth[synth["years_since_alliance"].between(3, 8)].head(5)
    X = np.column_stack([rows[c] for c in r.param_names])
    raw = dict(zip(r.baseline.time, r.baseline.dH0))
    h0 = np.array([np.mean([raw[k] for k in range(d - 2, d + 3) if k in raw]) for d in rows["years_since_alliance"].astype(int)])
    np.testing.assert_allclose(r.predict(rows), 1 - np.exp(-h0 * np.exp(X @ r.params_)), rtol=1e-12)


def test_cox_calendar_baseline_period_is_named(synth):
    spec = Spec("alliance_onset", COVS, time_scale="calendar", cox_baseline_years=(1901, 1910))
    r = fit(synth, spec, "cox")
    base = r.baseline.increments()
    assert r.baseline.per_year == pytest.approx(base.loc[1901:1910].mean())
    assert r.baseline.years == (1901, 1910)
    assert any("1901-1910 (cox_baseline_years)" in n for n in r.notes)


def test_save_load_roundtrip(fits, tmp_path):
    for name, r in fits.items():
        path = r.save(tmp_path / f"{name}.json")
        back = load(path)
        assert back.spec == r.spec and back.param_names == r.param_names
        np.testing.assert_array_equal(back.params_, r.params_)
        np.testing.assert_array_equal(back.cov_, r.cov_)
        assert back.summary() == r.summary()


def test_panel_sha_recorded(synth, spec):
    r = fit(synth, spec, "logit", panel_sha256="ab" * 32)
    assert r.panel_sha256 == "ab" * 32 and "ab" * 32 in r.summary()


def test_compare_table(fits):
    t = compare([fits["logit"], fits["firth"], fits["cox"]])
    assert list(t.columns) == ["synthetic logit", "synthetic firth", "synthetic cox"]
    assert t.loc["Observations"].nunique() == 1
    assert t.loc["const"].iloc[2] == ""  # Cox has no intercept


def test_fit_file(tmp_path, synth, monkeypatch):
    from alliances.models import fit_file, fitting

    monkeypatch.setattr(fitting, "read_for", lambda path, _spec: pd.read_parquet(path))  # no build metadata
    panel = tmp_path / "panel.parquet"
    synth.to_parquet(panel)
    spec = tmp_path / "s.toml"
    spec.write_text('outcome = "alliance_onset"\ncovariates = ["cap_ratio", "contig_land"]\n')
    out = fit_file(spec, panel, ["logit", "cox"], out_dir=tmp_path / "out")
    assert set(out) == {"logit", "cox"} and (tmp_path / "out" / "s.logit.json").exists()
    assert (tmp_path / "out" / "s.cox.csv").read_text().startswith("model,estimator,outcome,term,estimate")
    assert len(out["logit"].panel_sha256) == 64
    with pytest.raises(ModelError, match="unknown estimator.*'probit'"):
        fit_file(spec, panel, ["probit"])


@pytest.mark.parametrize("covariates, message, code", [
    # a covariate that is 1 exactly in the year before every onset: perfect separation
    (["cap_ratio", "sure"], "perfect separation: alliance_onset never occurs when sure == 0", 4),
    (["log_capdist", "dist2"], "collinearity: the covariates", 4),
    (["log_capdist", "const5"], "const5 is constant", 4),
    # a covariate the panel lacks is a specification error (exit 3), not a model failure
    (["cap_ration"], r"'cap_ration' \(did you mean 'cap_ratio'", 3),
])
def test_cli_fit_failures_exit_with_their_code_naming_the_covariate(tmp_path, synth, monkeypatch, covariates, message,
                                                                   code):
    """`alliances fit` stops a separated, collinear or constant covariate with exit code 4 (the
    README's "model cannot be fitted") and an unknown one with 3 (a specification naming columns
    the panel lacks), the message naming the covariate; no result file."""
    import re

    from typer.testing import CliRunner

    from alliances.cli import app
    from alliances.models import fitting

    monkeypatch.setattr(fitting, "read_for", lambda path, _spec: pd.read_parquet(path))  # no build metadata
    df = synth.assign(sure=synth.groupby("dyad_id")["alliance_onset"].shift(-1).fillna(0),
                      dist2=2 * synth["log_capdist"] + 1, const5=5.0)
    panel = tmp_path / "panel.parquet"
    df.to_parquet(panel)
    spec = tmp_path / "s.toml"
    spec.write_text('outcome = "alliance_onset"\ncovariates = [' + ", ".join(f'"{c}"' for c in covariates) + "]\n")
    res = CliRunner().invoke(app, ["fit", str(spec), "--panel", str(panel), "--out", str(tmp_path / "out")])
    assert res.exit_code == code, res.output
    assert re.search(message, " ".join(res.output.split())), res.output
    assert not list((tmp_path / "out").glob("*.json")) if (tmp_path / "out").exists() else True


def test_firth_reports_the_steps_it_took(synth):
    res = fit(synth, Spec("alliance_onset", COVS), "firth")
    assert 1 <= res.iterations < 100  # not the iteration limit


def test_efron_likelihood_matches_statsmodels_phreg():
    """Our Efron log partial likelihood, score and Hessian against statsmodels' PHReg (an
    independent implementation) on ties-heavy synthetic data, at a non-zero coefficient."""
    from statsmodels.duration.hazard_regression import PHReg

    from alliances.models.cox import EfronLikelihood

    rng = np.random.default_rng(11)
    n = 5000
    X = rng.normal(size=(n, 3))
    time = rng.integers(1, 25, n).astype(float)  # about 200 rows per time point: many ties
    event = (rng.random(n) < 0.08 / (1 + np.exp(-X[:, 0]))).astype(int)
    beta = np.array([0.4, -0.3, 0.2])
    ref = PHReg(time, X, status=event, entry=time - 0.5, ties="efron")  # entry - 0.5: R's (t-1, t] risk sets
    ours = EfronLikelihood(time, event, X)
    assert ours.loglike(beta) == pytest.approx(ref.loglike(beta), rel=1e-12)
    np.testing.assert_allclose(ours.score(beta), ref.score(beta), atol=1e-9)
    np.testing.assert_allclose(ours.hessian(beta), ref.hessian(beta), rtol=1e-10)


def test_lpm_matches_linearmodels_panelols(synth):
    """The two-way FE LPM (Frisch-Waugh on exactly demeaned data) against linearmodels'
    PanelOLS with entity and time effects: the same coefficients and unadjusted covariance."""
    from linearmodels.panel import PanelOLS

    from alliances.models.fitting import design_for

    spec = Spec("alliance_onset", ("cap_ratio", "shared_rivals"), cluster="none")
    res = fit(synth, spec, "lpm")
    f = design_for(synth, spec, "lpm").frame
    idx = pd.MultiIndex.from_arrays([f["dyad_id"], f["year"]])
    names = list(res.params.index)
    ref = PanelOLS(pd.Series(f["y"].to_numpy(float), index=idx), pd.DataFrame(f[names].to_numpy(float), index=idx,
                   columns=names), entity_effects=True, time_effects=True).fit(cov_type="unadjusted")
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.cov_params().to_numpy(), np.asarray(ref.cov), rtol=1e-6)
