"""alliances.models against R (tests/reference/models.R -> r_results.json).

R never runs here: the stored JSON holds R's estimates on tests/reference/sample.csv, the
command that produced each, and the sample's MD5.  Tolerances: 1e-6 absolute on
coefficients, 1e-4 relative on standard errors (observed agreement is ~1e-8 or better,
see the table in tests/reference/README.md).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliances.models import ModelError, Spec, fit
from alliances.models.design import build_design

REF = Path(__file__).resolve().parent / "reference"
R = json.loads((REF / "r_results.json").read_text())
FULL = ["cap_ratio", "log_capdist", "contig_land", "log1p(shared_mid_adversaries_5y)"]
WITHIN = ["cap_ratio", "log1p(shared_mid_adversaries_5y)"]  # FE models: time-varying covariates only
COEF_TOL, SE_RTOL = 1e-6, 1e-4


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(REF / "sample.csv")


def sample_spec(estimator: str, **kw) -> Spec:
    # the sample is already lagged and restricted to the risk set; models.R's references are
    # clustered by dyad (the LPM two-way by dyad and year; Firth and clogit model-based) and its
    # Cox model is on calendar time
    kw.setdefault("cluster", {"lpm": "dyad+year", "firth": "none", "clogit": "none"}.get(estimator, "dyad"))
    return Spec("alliance_onset", WITHIN if estimator in ("clogit", "lpm") else FULL, name="reference",
                risk_set="all", lag=0, time_controls="cubic", time_scale="calendar", **kw)


def test_sample_matches_json():
    meta = R["meta"]["sample"]
    assert hashlib.md5((REF / "sample.csv").read_bytes()).hexdigest() == meta["md5"]
    assert meta["nobs"] > 20_000 and meta["alliance_onsets"] > 100


@pytest.mark.parametrize("estimator", ["logit", "firth", "relogit", "cloglog", "clogit", "lpm", "cox", "mlogit"])
def test_against_r(sample, estimator):
    ref = R[estimator]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit(sample, sample_spec(estimator), estimator)
    names = ref["names"]
    assert set(names) == set(res.param_names), (names, res.param_names)
    assert res.nobs == (3557 if estimator == "clogit" else R["meta"]["sample"]["nobs"])
    np.testing.assert_allclose(res.params[names].to_numpy(), ref["params"], rtol=0, atol=COEF_TOL)
    np.testing.assert_allclose(res.bse[names].to_numpy(), ref["bse"], rtol=SE_RTOL)
    cov = res.cov_params().loc[names, names].to_numpy()
    np.testing.assert_allclose(cov, np.array(ref["cov"]), rtol=1e-3, atol=1e-12)
    if "llf" in ref:
        assert res.llf == pytest.approx(ref["llf"], abs=1e-6)


def test_cox_naive_variance_and_breslow_baseline(sample):
    ref = R["cox"]
    res = fit(sample, sample_spec("cox"), "cox")
    naive = res.model_based.cov
    np.testing.assert_allclose(np.sqrt(np.diag(naive)), np.sqrt(np.diag(ref["naive_cov"])), rtol=SE_RTOL)
    H = res.baseline.increments().cumsum()
    t, h = np.array(ref["baseline_time"]).astype(int), np.array(ref["baseline_cumhaz"])
    np.testing.assert_allclose(H.loc[t].to_numpy(), h, rtol=1e-6)


def test_lpm_uncorrected_two_way_matches_r_hc0(sample):
    """Without the G/(G-1) factors the two-way meat equals R's vcovCL(cadjust = FALSE). The
    package's adjusted two-way and one-way covariances give the unadjusted one in closed form:
    with c_D = G_D/(G_D-1) and V_D the one-way covariance of dimension D (its factor included),
    V_two = V_dyad + V_year - c_cell B M_cell B, so B M_cell B = (V_dyad + V_year - V_two) / c_cell
    and the unadjusted sum is V_dyad / c_dyad + V_year / c_year - B M_cell B."""
    import dataclasses

    two = fit(sample, sample_spec("lpm"), "lpm")
    one = {cl: fit(sample, dataclasses.replace(sample_spec("lpm"), cluster=cl), "lpm") for cl in ("dyad", "year")}
    ref = R["lpm"]
    names = ref["names"]

    def cov(r):
        return r.cov_params().loc[names, names].to_numpy()

    g_dyad, g_year, g_cell = sample["dyad_id"].nunique(), sample["year"].nunique(), len(sample)
    assert (g_dyad, g_year, g_cell) == (1207, 65, R["meta"]["sample"]["nobs"])  # dyad-years unique: cells = rows
    c = {"dyad": g_dyad / (g_dyad - 1), "year": g_year / (g_year - 1), "cell": g_cell / (g_cell - 1)}
    cell = (cov(one["dyad"]) + cov(one["year"]) - cov(two)) / c["cell"]
    unadjusted = cov(one["dyad"]) / c["dyad"] + cov(one["year"]) / c["year"] - cell
    np.testing.assert_allclose(unadjusted, np.array(ref["cov_hc0_noadjust"]), rtol=1e-8)


def test_reference_sample_has_separation_on_great_power_dyad(sample):
    """Why models.R leaves great_power_dyad out: no alliance onset among the sampled great-power rows."""
    spec = Spec("alliance_onset", FULL + ["great_power_dyad"], risk_set="all", lag=0)
    with pytest.raises(ModelError, match="perfect separation: alliance_onset never occurs when great_power_dyad == 1"):
        fit(sample, spec, "logit")
    assert fit(sample, spec, "firth").converged  # Firth's estimates stay finite


def test_build_design_reproduces_the_sample(panel, sample):
    """make_sample.py lags and applies the risk set with plain pandas; build_design must agree."""
    import sys

    sys.path.insert(0, str(REF))
    try:
        from make_sample import COVARIATES, YEARS
    finally:
        sys.path.pop(0)
    spec = Spec("tie_onset", COVARIATES, years=YEARS, time_controls="none", risk_set="auto")
    des = build_design(panel[panel["dyad_id"].isin(sample["dyad_id"].unique())], spec)
    got = des.frame.set_index(["dyad_id", "year"]).sort_index()
    want = sample.set_index(["dyad_id", "year"]).sort_index()
    assert got.index.equals(want.index)
    for c in COVARIATES:
        np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=1e-9)
