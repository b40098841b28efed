"""Every clustering option against R (tests/reference/variance.R -> r_variance.json).

R never runs here. ``sandwich::vcovCL(cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE,
multi0 = FALSE)`` for the logit family, ``type = "HC0"`` for the LPM, ``coxph(cluster = year)``
and a dfbeta-based two-way sum for Cox, the duration-scale Cox with its Breslow baseline.
Tolerances as in test_models_reference.py: 1e-6 absolute on coefficients, 1e-4 relative on
standard errors and 1e-3 relative (1e-12 absolute) on covariances; observed agreement is
1e-8 or better (tests/reference/README.md).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliances.models import Spec, fit

REF = Path(__file__).resolve().parent / "reference"
R = json.loads((REF / "r_variance.json").read_text())
FULL = ["cap_ratio", "log_capdist", "contig_land", "log1p(shared_mid_adversaries_5y)"]
WITHIN = ["cap_ratio", "log1p(shared_mid_adversaries_5y)"]
COEF_TOL, SE_RTOL = 1e-6, 1e-4

CASES = {  # R entry -> (estimator, spec options)
    "logit_dyad": ("logit", {"cluster": "dyad"}),
    "logit_year": ("logit", {"cluster": "year"}),
    "logit_dyad_year": ("logit", {"cluster": "dyad+year"}),
    "cloglog_year": ("cloglog", {"cluster": "year"}),
    "cloglog_dyad_year": ("cloglog", {"cluster": "dyad+year"}),
    "firth_dyad_year": ("firth", {"cluster": "dyad+year"}),
    "logit_decade_dyad_year": ("logit", {"cluster": "dyad+year", "period_effects": "decade"}),
    "mlogit_dyad_year": ("mlogit", {"cluster": "dyad+year"}),
    "lpm_dyad": ("lpm", {"cluster": "dyad"}),
    "lpm_year": ("lpm", {"cluster": "year"}),
    "cox_year": ("cox", {"cluster": "year", "time_scale": "calendar"}),
    "cox_dyad_year": ("cox", {"cluster": "dyad+year", "time_scale": "calendar"}),
    "cox_duration_dyad": ("cox", {"cluster": "dyad", "time_scale": "duration"}),
}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(REF / "sample.csv")


def _fit(sample: pd.DataFrame, entry: str):
    estimator, options = CASES[entry]
    spec = Spec("alliance_onset", WITHIN if estimator == "lpm" else FULL, name="reference", risk_set="all", lag=0,
                time_controls="cubic", **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(sample, spec, estimator)


def test_sample_is_the_one_r_used():
    assert hashlib.md5((REF / "sample.csv").read_bytes()).hexdigest() == R["meta"]["sample"]["md5"]


@pytest.mark.parametrize("entry", list(CASES))
def test_variance_option_against_r(sample, entry):
    ref = R[entry]
    res = _fit(sample, entry)
    names = ref["names"]
    assert set(names) == set(res.param_names), (names, res.param_names)
    np.testing.assert_allclose(res.params[names].to_numpy(), ref["params"], rtol=0, atol=COEF_TOL)
    np.testing.assert_allclose(res.bse[names].to_numpy(), ref["bse"], rtol=SE_RTOL)
    cov = res.cov_params().loc[names, names].to_numpy()
    np.testing.assert_allclose(cov, np.array(ref["cov"]), rtol=1e-3, atol=1e-12)
    if "nobs" in ref:
        assert res.nobs == ref["nobs"]


def test_two_way_is_the_cgm_sum_computed_by_hand(sample):
    """The two-way logit covariance recomputed with numpy from the fitted coefficients:
    (N-1)/(N-K) B [sum_D sign_D G_D/(G_D-1) sum_g s_g s_g'] B over dyad (+), year (+) and
    dyad x year (-), B the inverse information; and it differs from the one-way (dyad) covariance
    by exactly the year and cell terms."""
    from alliances.models.fitting import design_for

    one, two = _fit(sample, "logit_dyad"), _fit(sample, "logit_dyad_year")
    f = design_for(sample, two.spec, "logit").frame
    names = list(two.param_names)
    X, y = f[names].to_numpy(float), f["y"].to_numpy(float)
    p = 1 / (1 + np.exp(-X @ two.params_))
    bread = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    scores = X * (y - p)[:, None]
    n, k = X.shape

    def term(keys) -> np.ndarray:
        sums = pd.DataFrame(scores).groupby([f[c].to_numpy() for c in keys]).sum().to_numpy()
        g = len(sums)
        return g / (g - 1) * sums.T @ sums

    m_dyad, m_year, m_cell = term(["dyad_id"]), term(["year"]), term(["dyad_id", "year"])
    factor = (n - 1) / (n - k)
    np.testing.assert_allclose(two.cov_, factor * bread @ (m_dyad + m_year - m_cell) @ bread, rtol=1e-8)
    np.testing.assert_allclose(one.cov_, factor * bread @ m_dyad @ bread, rtol=1e-8)
    assert f["dyad_id"].nunique() == 1207 and f["year"].nunique() == 65
    assert "two-way" in two.cov_type and "1,207 dyad" in two.cov_type and "65 year" in two.cov_type


def test_decade_effects_drop_eventless_decade(sample):
    res = _fit(sample, "logit_decade_dyad_year")
    ref = R["logit_decade_dyad_year"]
    assert res.nobs == ref["nobs"] and res.info.periods[0] == 1950
    assert any("2010" in n and "without an event" in n for n in res.notes)


def test_cox_duration_baseline_against_survfit(sample):
    """Breslow increments at x = 0 on the duration scale equal R's survfit(ctype = 1) increments."""
    ref = R["cox_duration_dyad"]
    res = _fit(sample, "cox_duration_dyad")
    assert res.baseline.time_scale == "duration"
    got = res.baseline.increments()
    times = np.array(ref["times"]).astype(int)
    np.testing.assert_allclose(got.loc[times].to_numpy(), ref["dH0"], rtol=1e-6)
    assert (got.drop(times) == 0).all()  # durations without an event add nothing
    naive = res.model_based.cov
    np.testing.assert_allclose(np.sqrt(np.diag(naive)), np.sqrt(np.diag(ref["naive_cov"])), rtol=SE_RTOL)
