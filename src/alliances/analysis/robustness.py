"""The robustness grid: one specification under every estimator x clustering x period-effects
choice, every fit's key coefficients, and the verdict of :data:`ROBUST_RULE` per covariate.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from alliances.analysis.plan import Plan


def robustness_table(fits: dict, plan: Plan) -> pd.DataFrame:
    """Coefficient, standard error and p-value of each key covariate in every specification of
    a treaty outcome (exercise and voting-alignment onsets have their own sections)."""
    rows = []
    for name, by_est in fits.items():
        for est, res in by_est.items():
            if res.outcome.startswith(("mme_", "unga_")):  # behavioural outcomes: own sections
                continue
            if est != plan.robustness_estimator and not (est == plan.robustness_fallback
                                                         and plan.robustness_estimator not in by_est):
                continue
            for term in plan.key_covariates:
                if term in res.params.index:
                    rows.append({"spec": name, "estimator": est, "outcome": res.outcome, "term": term,
                                 "coef": res.params[term], "std_err": res.bse[term], "p_value": res.pvalues[term],
                                 "nobs": res.nobs, "events": res.n_events})
    return pd.DataFrame(rows, columns=["spec", "estimator", "outcome", "term", "coef", "std_err", "p_value", "nobs",
                                       "events"])


def robustness_specs(specs: dict, plan: Plan) -> dict:
    """The robustness grid's fits: the plan's spec under each period-effects choice (clustered by
    the first option; the others come from the same fit, :func:`grid_name` names each cell)."""
    if not plan.robust_spec:
        return {}
    base = specs[plan.robust_spec]
    return {f"{base.name}[periods={pe}]": dataclasses.replace(base, name=f"{base.name}[periods={pe}]",
                                                            cluster=plan.robust_clusters[0], period_effects=pe)
            for pe in plan.robust_periods}


def grid_name(spec_name: str, cluster: str, periods: str) -> str:
    return f"{spec_name}[cluster={cluster}; periods={periods}]"


#: the rule printed in REPORT.md and applied by :func:`robustness_grid`
ROBUST_RULE = ("robust = the same sign and p < 0.05 in every fit of the grid: every estimator x clustering scheme "
               "x period-effects choice, one outcome")


def robustness_fits(grid_fits: dict) -> pd.DataFrame:
    """Every fit of the robustness grid: one row per variant x estimator x covariate (the
    intercept, time controls and period dummies are not claims and are left out)."""
    rows = []
    for name, by_est in grid_fits.items():
        for est, res in by_est.items():
            for term in (t for t in res.info.covariates if t in res.params.index):
                rows.append({"variant": name, "estimator": est, "outcome": res.outcome, "term": term,
                             "coef": res.params[term], "std_err": res.bse[term], "p_value": res.pvalues[term],
                             "covariance": res.cov_type.split(";")[0]})
    return pd.DataFrame(rows, columns=["variant", "estimator", "outcome", "term", "coef", "std_err", "p_value",
                                       "covariance"])


def robustness_grid(fitsframe: pd.DataFrame) -> pd.DataFrame:
    """Per covariate of the robustness spec: fits, signs, number significant, and the verdict of
    :data:`ROBUST_RULE`, from :func:`robustness_fits`."""
    if fitsframe.empty:
        return pd.DataFrame(columns=["outcome", "term", "fits", "positive", "negative", "significant", "verdict"])
    out = []
    for (outcome, term), g in fitsframe.groupby(["outcome", "term"], sort=False):
        pos, neg = int((g["coef"] > 0).sum()), int((g["coef"] < 0).sum())
        sig = int((g["p_value"] < 0.05).sum())
        same_sign = pos == len(g) or neg == len(g)
        verdict = "robust" if same_sign and sig == len(g) else (
            "same sign, significance varies" if same_sign else "sign varies")
        out.append({"outcome": outcome, "term": term, "fits": len(g), "positive": pos, "negative": neg,
                    "significant": sig, "verdict": verdict})
    return pd.DataFrame(out)
