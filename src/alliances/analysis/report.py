"""REPORT.md of a replication: the answer first (the China-Russia headline and the rule that
chose its model), then where the events come from, what predicts onsets and how robustly, how
well the models forecast out of sample, the dyad in detail, the census and the extensions.
"""

from __future__ import annotations

import pandas as pd

from alliances.analysis.plan import Plan
from alliances.analysis.robustness import ROBUST_RULE
from alliances.analysis.tables import markdown_table
from alliances.outcomes.onsets import outcome_words
from alliances.version import __version__


def _fmt(x: float, digits: int = 4) -> str:
    return "" if pd.isna(x) else f"{x:.{digits}g}"


def _pct(x: float) -> str:
    return "" if pd.isna(x) else f"{100 * x:.2g}%" if x < 0.01 else f"{100 * x:.1f}%"


def _ordinal(x: float) -> str:
    if pd.isna(x):
        return "unknown"
    n = int(round(x))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def headline(pred: dict, validation, plan: Plan) -> list[str]:
    """The one-sentence answer: China-Russia's latest predicted probability, its interval, the
    model it comes from (the best out of sample) and the range across models, against base rates."""
    if not pred:
        return ["No China-Russia predictions were made (the prediction spec could not be fitted)."]
    p = pred["predictions"]
    at = p[p["at_risk"] & p["p"].notna()]
    if at.empty:
        return [f"The dyad {plan.dyad} is not at risk of the predicted outcome in any year with complete covariates."]
    year = int(at["year"].max())
    last = at[at["year"] == year]
    rank = validation.ranking if validation is not None and validation.ranking is not None else pd.DataFrame()
    # the headline rule (validate.best_of) among the models predicted for the dyad
    pool = rank[rank["beats_base_rate"]] if len(rank) and rank["beats_base_rate"].any() else rank
    order = [m for m in pool.get("model", []) if m in set(last["model"])]
    row = last[last["model"] == order[0]].iloc[0] if order else last.iloc[0]
    score = rank.set_index("model").loc[row["model"]] if order and row["model"] in set(rank["model"]) else None
    beats = bool(rank["beats_base_rate"].any()) if len(rank) else False
    if score is None:
        how = "the first model (no out-of-sample ranking available)"
    else:
        rule = ("the best rolling-origin log score among the models that beat the base rate on both the log score "
                "and the Brier score" if beats else "the best rolling-origin log score")
        how = (f"{rule}{'' if row['model'] == validation.best else ' among the models predicted for the dyad'} "
               f"(against the base rate out of sample: log-score gain {score['log_score_gain']:+.5f} nats per "
               f"dyad-year [{score['log_score_gain_lo']:+.5f}, {score['log_score_gain_hi']:+.5f}], Brier skill "
               f"{score['brier_skill']:+.4f} [{score['brier_skill_lo']:+.4f}, {score['brier_skill_hi']:+.4f}]; "
               "95% intervals from a bootstrap of forecast years"
               + ("; the Brier skill's interval includes 0, so on that score the model is not distinguishable "
                  "from the base rate)" if score["brier_skill_lo"] <= 0 <= score["brier_skill_hi"] else ")"))
    # base rates from the last ten years whose outcome is observed (later onsets are unknown)
    known = at[at["model"] == row["model"]].dropna(subset=["base_rate_all"])
    recent = known[known["year"] > known["year"].max() - 10] if len(known) else known
    span = f"{int(recent['year'].min())}-{int(recent['year'].max())}" if len(recent) else "no observed year"
    carried = str(row.get("x_carried", "") or "")
    lines = [] if beats or score is None else [
        "**No model beats the base rate on both proper scores out of sample** (pooled rolling origins: a constant "
        "forecast of the training years' onset rate has the better Brier score or log score); read the "
        "probability below as a ranking of dyads more than as a calibrated chance."]
    lines += [
        f"**China-Russia, {year}: the predicted probability that a {outcome_words(str(row['outcome']))} begins "
        f"within the year is {_pct(row['p'])} (95% simulation interval {_pct(row['p_lo'])} to {_pct(row['p_hi'])}), "
        f"from the {row['model']} model, chosen by {how}; across the {len(last)} models it ranges from "
        f"{_pct(last['p'].min())} to {_pct(last['p'].max())}.** For comparison, the observed yearly rate among "
        f"all at-risk dyads in {span} (the last ten years with an observed outcome) averages "
        f"{_pct(recent['base_rate_all'].mean())}, and among great-power dyads "
        f"{_pct(recent['base_rate_great_powers'].mean())}; the dyad ranks at the {_ordinal(row.get('pct_all'))} "
        f"percentile of all at-risk dyads in {year} and the {_ordinal(row.get('pct_great_powers'))} among "
        "great-power dyads.",
    ]
    if carried:
        lines.append(f"Covariates past their source's coverage entered this prediction by the rule "
                     f"carry_forward_past_coverage: {carried.replace(',', ', ')} (column@last covered year).")
    lines.append(f"Simulation: {plan.sims} coefficient draws, seed {plan.seed}; `alliances predict` uses the same seed "
                 "by default, so `alliances predict --model analyses/specs/"
                 f"{plan.predict_spec}.toml` reproduces these numbers.")
    return lines


def validation_sentence(scores: pd.DataFrame) -> str:
    """What the pooled rolling-origin scores say, in words, the wording following the numbers."""
    r = scores[(scores["scheme"] == "rolling") & (scores["window"] == "pooled")].set_index("model")
    if r.empty or "base_rate" not in r.index:
        return ""
    models = r.drop(index=[m for m in ("base_rate", "duration_only") if m in r.index])
    if models.empty:
        return ""
    base = r.loc["base_rate"]
    beat_log = int((models["log_score"] > base["log_score"]).sum())
    beat_brier = int((models["brier_skill"] > 0).sum())
    auc_lo, auc_hi = models["roc_auc"].min(), models["roc_auc"].max()
    ranking = ("rank onsets better than chance" if auc_lo > 0.5 else
               "do not all rank onsets better than chance")
    return (f"Out of sample (pooled over the windows every model could be fitted on), {beat_log} of {len(models)} "
            f"models have a better log score than the training base rate ({models['log_score'].min():.4f} to "
            f"{models['log_score'].max():.4f} against {base['log_score']:.4f}); the models {ranking} (ROC AUC "
            f"{auc_lo:.2f}-{auc_hi:.2f}; 0.5 is chance); {beat_brier} of {len(models)} beat the base rate on the "
            "Brier score, which rare events leave dominated by the non-events. Read the probabilities with the "
            "calibration below.")


def render_report(build_meta: dict, plan: Plan, fits: dict, failures: list, robust: pd.DataFrame,
                  pred: dict, census: dict, *, grid: pd.DataFrame | None = None, models: pd.DataFrame | None = None,
                  validation=None, sources: pd.DataFrame | None = None, behaviour: list[str] | None = None) -> str:
    """REPORT.md: the answer first, then where the events come from, what predicts onsets and how
    robustly, how well the models forecast, China-Russia in detail, the census and the extensions."""
    params = build_meta["parameters"]
    lines = [
        "# Replication report", "",
        f"alliances {__version__}; panel {params['start']}-{params['end']}, {build_meta['rows']:,} "
        f"{params['unit']}. Every number below is produced by `alliances replicate`; the tables are in "
        "`tables/`, the models in `models/`, the out-of-sample checks in `validation/`, the China-Russia "
        "predictions in `china_russia/`, the census in `census/`, and `manifest.json` lists the SHA-256 of every "
        "input and output.", "",
        "## The answer", "",
        *headline(pred, validation, plan), "",
    ]
    if sources is not None and len(sources):
        lines += ["## Where the events come from", "",
                  "Dyad-year onsets are not independent decisions: one multilateral treaty makes an onset for every "
                  "pair of its members. Share of onsets (years with a known outcome) by the agreement that produced "
                  "them (the largest agreement in force at the outcome's level in the onset year):", ""]
        tab = sources.copy()
        for c in ("share_top10", "share_top20", "share_bilateral", "share_wartime", "largest_share"):
            tab[c] = tab[c].map(_pct)
        lines += [markdown_table(tab), "",
                  "The models answer with two-way clustering by dyad and year (or dyad and agreement), decade "
                  "effects, and bilateral-only and peacetime-only outcomes; `agreements.parquet` holds one row per "
                  "agreement for analyses at the level where the decision is made.", ""]
    lines += ["## What predicts alliance and alignment onset", "",
              f"Coefficients of the key covariates ({plan.robustness_estimator}) in each specification, with the "
              "specification's own covariance (see the model table below); * p < 0.05.", ""]
    if len(robust):
        wide = robust.assign(cell=[f"{c:.3f}{'*' if p < 0.05 else ''} ({s:.3f})" for c, s, p in
                                   zip(robust["coef"], robust["std_err"], robust["p_value"])])
        order = list(dict.fromkeys(robust["term"]))
        wide = wide.pivot_table(index="term", columns="spec", values="cell", aggfunc="first").reindex(order)
        # every column says what it rests on: N, events, outcome years, variance type
        foot = {}
        for spec_name in wide.columns:
            r = fits[spec_name].get(plan.robustness_estimator) or fits[spec_name].get(plan.robustness_fallback)
            foot[spec_name] = {"N": f"{r.nobs:,}", "events": f"{r.n_events:,}", "outcome": r.outcome,
                               "years": f"{r.years[0]}-{r.years[1]}" if r.years else "",
                               "variance": r.cov_type.split(";")[0]}
        wide = pd.concat([wide, pd.DataFrame(foot)[list(wide.columns)]])
        wide.index.name = "term"
        lines += [markdown_table(wide.reset_index().fillna("")), ""]
    if grid is not None and len(grid):
        lines += [f"**Robustness** of `{plan.robust_spec}`: {ROBUST_RULE} "
                  f"({', '.join(plan.robust_estimators)} x clustering {', '.join(plan.robust_clusters)} x period "
                  f"effects {', '.join(plan.robust_periods)}). Every fit: `tables/robustness_grid_fits.csv`.", "",
                  markdown_table(grid), ""]
    mlogit = [(name, r) for name, by_est in fits.items() for r in by_est.values() if r.model.categories]
    for name, res in mlogit:
        lines += [f"Alignment versus alliance (`{name}`, multinomial logit against no onset; {res.nobs:,} dyad-years "
                  "without any tie in t-1):", ""]
        rows = []
        for term in plan.key_covariates:
            cells = {}
            for cat in ("alignment_onset", "alliance_onset"):
                key = f"{cat}:{term}"
                if key in res.params.index:
                    star = "*" if res.pvalues[key] < 0.05 else ""
                    cells[cat] = f"{res.params[key]:.3f}{star} ({res.bse[key]:.3f})"
            if cells:
                rows.append({"term": term, **cells})
        if rows:
            lines += [markdown_table(pd.DataFrame(rows)), ""]
    if models is not None and len(models):
        lines += ["Every model: observations, events, outcome years and variance type:", "",
                  markdown_table(models), ""]
    if failures:
        lines += ["Models that could not be fitted (see `tables/failures.csv`):", ""]
        lines += [f"- {f['spec']} / {f['estimator']}: {f['error'][:300]}" for f in failures]
        lines.append("")
    if validation is not None:
        sc = validation.scores[validation.scores["window"] == "pooled"].copy()
        n_roll = sum(w.scheme == "rolling" for w in validation.windows)
        n_era = sum(w.scheme == "era" for w in validation.windows)
        lines += [f"## How well the models forecast (`{plan.validate_spec}`, out of sample)", "",
                  f"{n_roll} rolling origins (fit on outcome years up to T, predict each year T+1 to T+h from its observed "
                  f"lagged covariates) and {n_era} leave-one-era-out "
                  "windows; benchmarks: the training years' at-risk base rate and a duration-only logit. Log score: "
                  "mean log-likelihood (higher is better); Brier skill: 1 - Brier / Brier of the base rate. Every "
                  f"prediction is in `validation/predictions.parquet`. Headline model: **{validation.best}** "
                  "(the best rolling log score among the models that beat the base rate on both scores, or of all "
                  "models when none does).", "",
                  "Models ending in `_recal` are logistic recalibrations of a model's forecasts, and `ensemble` is a "
                  "log-score-weighted linear pool of the models and benchmarks: each fitted, for a rolling window "
                  "with origin T, only on earlier windows' forecasts of years up to T (`validation/recalibration.csv`, "
                  "`validation/ensemble_weights.csv`; for the eras, on the other eras). Calibration: intercept 0 and "
                  "slope 1 are calibrated (slope < 1: forecasts too extreme); reliability (lower better) and "
                  "resolution (higher better) decompose the Brier score in bins at the deciles, top 5% and top 1%; "
                  "obs/pred is observed over predicted onsets among the top 1% and 5% of forecasts.", ""]
        lines += [validation_sentence(validation.scores), ""]
        for c in ("base_rate", "mean_p", "brier", "log_score", "roc_auc", "pr_auc", "brier_skill"):
            sc[c] = sc[c].map(lambda v: _fmt(v, 4))
        for c in ("calibration_intercept", "calibration_slope", "obs_pred_top1", "obs_pred_top5"):
            sc[c] = sc[c].map(lambda v: _fmt(v, 3))
        for c in ("reliability", "resolution"):
            sc[c] = sc[c].map(lambda v: _fmt(v, 3))
        lines += [markdown_table(sc[["scheme", "model", "n", "events", "mean_p", "brier", "log_score",
                                     "roc_auc", "pr_auc", "brier_skill"]]), "",
                  "Calibration of the same forecasts:", "",
                  markdown_table(sc[["scheme", "model", "calibration_intercept", "calibration_slope", "reliability",
                                     "resolution", "obs_pred_top1", "obs_pred_top5"]].rename(columns={
                                         "calibration_intercept": "intercept", "calibration_slope": "slope",
                                         "obs_pred_top1": "obs/pred top 1%", "obs_pred_top5": "obs/pred top 5%"})),
                  ""]
        if validation.ranking is not None and len(validation.ranking):
            rk = validation.ranking
            cells = rk.assign(**{
                "log-score gain [95%]": [f"{g:+.5f} [{lo:+.5f}, {hi:+.5f}]" for g, lo, hi in
                                         zip(rk["log_score_gain"], rk["log_score_gain_lo"], rk["log_score_gain_hi"])],
                "Brier skill [95%]": [f"{g:+.4f} [{lo:+.4f}, {hi:+.4f}]" for g, lo, hi in
                                      zip(rk["brier_skill"], rk["brier_skill_lo"], rk["brier_skill_hi"])],
                "beats base rate on both": rk["beats_base_rate"].map({True: "yes", False: "no"})})
            lines += ["Skill against the base rate (pooled rolling origins, windows every model was fitted on; "
                      "intervals from 1,000 bootstrap samples of forecast years):", "",
                      markdown_table(cells[["model", "log-score gain [95%]", "Brier skill [95%]",
                                            "beats base rate on both"]]), ""]
            above = {what: rk.loc[rk[f"{col}_lo"] > 0, "model"].tolist()
                     for what, col in (("log score", "log_score_gain"), ("Brier score", "brier_skill"))}
            lines += [" ".join(f"Better than the base rate on the {what} with the interval above 0: "
                               f"{', '.join(ms) if ms else 'no model'}." for what, ms in above.items()), ""]
        lines += [
                  "Calibration by era (rolling origins): mean predicted probability against the observed rate; "
                  "ratio > 1 means over-prediction.", ""]
        era = validation.calibration_by_era.copy()
        for c in ("mean_p", "observed", "ratio"):
            era[c] = era[c].map(lambda v: _fmt(v, 3))
        lines += [markdown_table(era), ""]
    if pred:
        p = pred["predictions"]
        at = p[p["at_risk"] & p["p"].notna()]
        lines += [f"## China-Russia ({plan.dyad}) against great-power dyads", "",
                  f"Specification `{plan.predict_spec}`; predicted probability of onset in the year with 95% "
                  f"simulation intervals ({plan.sims} draws, seed {plan.seed}), and the dyad's percentile among all "
                  "at-risk dyads and among great-power dyads in the same year.", ""]
        last_year = int(p["year"].max())
        last_tie = p.loc[p["year"] == last_year, "observed_tie"].iloc[0]
        first_tie_year = int(p.loc[(p["observed_tie"] == last_tie) & (p["year"] <= last_year), "year"].min())
        lines += [f"Observed in {last_year}: **{last_tie}** (a tie of this level first appears in {first_tie_year}; "
                  "past ATOP's coverage the tie is carried forward). The rows below give the probability that an "
                  f"**{p['outcome'].iloc[0].replace('_', ' ')}** begins in each year.", ""]
        if len(at):
            recent = at[at["year"] >= at["year"].max() - 12]
            recent = recent[recent["year"] % 3 == recent["year"].max() % 3]
            tab = recent[["year", "model", "p", "p_lo", "p_hi", "pct_all", "pct_great_powers", "base_rate_all",
                          "x_carried"]].copy()
            for c in ("p", "p_lo", "p_hi", "base_rate_all"):
                tab[c] = tab[c].map(_fmt)
            for c in ("pct_all", "pct_great_powers"):
                tab[c] = tab[c].map(lambda v: _fmt(v, 3))
            lines += [markdown_table(tab), ""]
        if "scenarios" in pred:
            sc = pred["scenarios"].dropna(subset=["first_difference"])
            if len(sc):
                last = sc[sc["year"] == sc["year"].max()]
                tab = last[["scenario", "model", "p_observed", "p_scenario", "first_difference", "fd_lo", "fd_hi"]].copy()
                for c in tab.columns[2:]:
                    tab[c] = tab[c].map(_fmt)
                lines += [f"Scenarios in {int(last['year'].max())} (first differences with 95% intervals):", "",
                          markdown_table(tab), ""]
        if "survival" in pred:
            sv = pred["survival"]
            horizon = sv[sv["years_ahead"] == sv["years_ahead"].max()]
            what = str(horizon["outcome"].iloc[0]).replace("_", " ")
            lines += [f"Probability of no {what} within {int(horizon['years_ahead'].max())} years of "
                      f"{int(horizon['from_year'].iloc[0])} (covariates held at their latest values; Cox on the "
                      "duration scale uses the baseline hazard at the dyad's own years at risk):", ""]
            lines += [f"- {r.model}: {_fmt(r.survival, 3)} [{_fmt(r.survival_lo, 3)}, {_fmt(r.survival_hi, 3)}]"
                      for r in horizon.itertuples()]
            lines.append("")
    lines += behaviour or []
    gp = census["census"]
    row = gp[(gp["great_powers"] == ">=2 great powers") & (gp["era"] == "all eras")]
    pacts = census["great_power_pacts"]
    lines += ["## Great-power agreement census (ATOP)", "",
              f"Agreements with two or more great powers among the founding members: "
              f"{int(row[row['timing'] == 'peacetime']['agreements'].sum())} in peacetime and "
              f"{int(row[row['timing'] == 'wartime']['agreements'].sum())} in wartime; "
              f"{len(pacts)} peacetime pacts with a great power's defense or offense pledge "
              "(listed in `census/great_power_pacts.md`).", ""]
    ext = build_meta["extensions"]
    lines += ["## What rests on extended data", "",
              "Years past a source's coverage follow a named rule; rows carry `extended_sources`.", ""]
    lines += [f"- `{k}`: covered to {e['coverage_end']}; after that **{e['rule']}**" for k, e in ext.items()]
    lines += ["", "Onsets past ATOP's coverage are unknown (missing in the panel, never 0) and no model is fitted "
              "on them; predictions there are forecasts, with covariates past their own coverage carried forward "
              "by the named rule above.", ""]
    return "\n".join(lines)
