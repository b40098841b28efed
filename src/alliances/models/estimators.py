"""The eight onset estimators: fit functions, each returning a :class:`.fitted.Fit`.

| name      | model                                             | default covariance (``cluster = "dyad"``) |
|-----------|---------------------------------------------------|-----------------------------------------|
| logit     | pooled logit (own Newton, :mod:`.newton`)         | cluster sandwich, CR1                   |
| firth     | Firth penalized logit (:mod:`.firth`)             | cluster sandwich around the inverse information at the Firth estimate |
| relogit   | King-Zeng (2001) bias-corrected logit             | (n/(n+k))^2 x logit covariance          |
| clogit    | conditional dyad-FE logit, exact (:mod:`.clogit`) | inverse information (no cluster option) |
| lpm       | LPM, dyad + year effects (Frisch-Waugh; = PanelOLS) | cluster sandwich, HC0 with G/(G-1)   |
| cloglog   | GLM binomial, complementary log-log link          | cluster sandwich (expected information), CR1 |
| cox       | Cox PH, counting process, Efron ties (own Newton) | Lin-Wei robust, summed by cluster (as R coxph cluster=) |
| mlogit    | multinomial logit (``MNLogit``)                   | cluster sandwich, CR1                   |

Every clustering option of :attr:`Spec.cluster` (dyad, year, two-way dyad + year,
agreement, dyad + agreement, none) goes through one sandwich, :func:`.variance.sandwich`.
Each fit function takes a design, the specification and :class:`.fitted.FitOptions` and returns
a :class:`.fitted.Fit`; :mod:`.catalog` makes each one an estimator object, and
:mod:`.fitting` turns its fit into :class:`~alliances.models.Results`.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationError

from . import cox as coxmod
from . import variance
from .clogit import conditional_logit
from .design import (
    MLOGIT_CATEGORIES,
    Design,
    absorbed,
    check_collinearity,
    check_events,
    check_separation,
)
from .errors import CollinearityError, ConvergenceError, ModelError
from .firth import firth_logit
from .fitted import Covariance, CoxBaseline, Fit, FitOptions, TwoWayEffects
from .linalg import weighted_gram
from .newton import LogitLikelihood, damped_newton
from .spec import Spec

MODEL_BASED = "model-based (inverse information)"
HC1 = "G/(G-1) per dimension and (N-1)/(N-K) (R vcovCL type HC1; CR1 one-way)"


def _not_converged(estimator: str, detail: str = "") -> ConvergenceError:
    return ConvergenceError(
        f"{estimator}: the optimizer did not converge{(' (' + detail + ')') if detail else ''}. "
        "Suspicion is separation or near-collinearity: check sparse binary covariates, rescale "
        "large covariates (e.g. log them) or try estimator='firth'."
    )


def _covariance(cluster: str, design: Design, bread: np.ndarray, scores: np.ndarray, convention: str,
                frame: pd.DataFrame | None) -> tuple[np.ndarray, str]:
    if cluster == "none":
        return bread, MODEL_BASED
    frame = design.frame if frame is None else frame
    n, k = scores.shape
    factor = (n - 1) / (n - k) if convention == "HC1" else 1.0
    cov, counts = variance.sandwich(bread, scores, frame, cluster, factor=factor, cadjust=convention != "cox")
    text = {"HC1": HC1, "HC0": "G/(G-1) per dimension (R vcovCL type HC0, cadjust)",
            "cox": "Lin-Wei dfbeta sums, no small-sample factor (R coxph cluster=)"}[convention]
    return cov, variance.describe(cluster, counts, text)


def clustered(design: Design, spec: Spec, bread: np.ndarray, scores: np.ndarray, opts: FitOptions, *,
              convention: str = "HC1", frame: pd.DataFrame | None = None) -> tuple[Covariance, dict[str, Covariance]]:
    """The spec's covariance around ``bread`` with per-row ``scores``, and those of
    ``opts.also_clusters`` from the same bread and scores (the estimates do not depend on the
    clustering).

    ``convention``: ``"HC1"`` (logit family: (N-1)/(N-K) and G/(G-1) per dimension),
    ``"HC0"`` (LPM: G/(G-1) only) or ``"cox"`` (no adjustment, as ``coxph``).
    """
    alt = {c: Covariance(*_covariance(c, design, bread, scores, convention, frame)) for c in opts.also_clusters
           if c != spec.cluster and not (c == "none" and convention == "HC0")}  # the LPM's "none" is not bread
    return Covariance(*_covariance(spec.cluster, design, bread, scores, convention, frame)), alt


def _checked(design: Design, *, separation: bool = True) -> tuple[np.ndarray, np.ndarray, list[str]]:
    X, y, names = design.X, design.y, list(design.info.x_names)
    check_events(y, design.outcome)
    check_collinearity(X, names)
    if separation:
        check_separation(y, X, names, design.outcome)
    return X, y, names


def _sm_fit(estimator: str, fn: Callable, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*[Ss]eparation.*")
        try:
            return fn(*args, **kw)
        except (PerfectSeparationError, np.linalg.LinAlgError) as exc:
            raise ModelError(f"{estimator}: {exc}; suspicion is separation or high collinearity") from exc


def null_start(names: list[str], y: np.ndarray, link: str = "logit") -> np.ndarray:
    """Starting values: the intercept at the base rate (on the ``link`` scale: logit or
    cloglog), the rest 0. Onsets are rare, far from p = 0.5, and Newton with step halving
    from here takes a quarter (logit, Firth) to half (cloglog) fewer steps than from 0."""
    b = np.zeros(len(names))
    rate = float(np.mean(y))
    if "const" in names and 0 < rate < 1:
        b[names.index("const")] = np.log(rate / (1 - rate)) if link == "logit" else np.log(-np.log1p(-rate))
    return b


@dataclasses.dataclass(frozen=True)
class _MLE:
    params: np.ndarray
    llf: float
    hessian: np.ndarray
    iterations: int


def _newton_mle(estimator: str, model, start: np.ndarray) -> _MLE:
    """Maximise a model's log likelihood (its own ``loglike``, ``score`` and ``hessian``: a
    statsmodels model or :class:`.newton.LogitLikelihood`) by Newton with step halving from
    ``start``. statsmodels' ``newton`` has no line search: from the base-rate start it diverges
    on designs with cubic time terms, and its default start for GLM (a pseudo-inverse
    least-squares step) costs about as much as the fit."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        b, llf, hess, it, ok = damped_newton(model.loglike, model.score, model.hessian, start)
    if not ok:
        raise _not_converged(estimator, f"{it} Newton steps")
    return _MLE(b, llf, hess, it)


def _logit_core(design: Design, spec: Spec, opts: FitOptions):
    shared = opts.shared
    key = json.dumps(spec.to_dict(), sort_keys=True)
    if shared is not None and not opts.also_clusters and shared.design is design and shared.key == key:
        return (design.X, design.y, list(design.info.x_names), *shared.fit)
    X, y, names = _checked(design)
    # _checked has refused collinear designs already
    lik = LogitLikelihood(y, X)
    res = _newton_mle("logit", lik, null_start(names, y))
    p = lik.probabilities(res.params)
    cov, alt = clustered(design, spec, _inverse_information(res.hessian), X * (y - p)[:, None], opts)
    if shared is not None:
        shared.design, shared.key, shared.fit = design, key, (res, cov, alt)
    return X, y, names, res, cov, alt


def _start(design: Design, names: list[str], y: np.ndarray, opts: FitOptions, link: str = "logit") -> np.ndarray:
    """Starting values: the logit estimates of the same design when ``opts.shared`` holds them
    (Firth's and the cloglog's optimum lie close to them for rare events: 2 and 5 Newton steps
    fewer), else :func:`null_start`."""
    shared = opts.shared
    if shared is not None and shared.design is design and shared.fit is not None:
        return np.asarray(shared.fit[0].params, dtype=float).copy()
    return null_start(names, y, link)


def _inverse_information(hessian: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(-hessian)
    except np.linalg.LinAlgError as exc:
        raise CollinearityError("singular information matrix; suspicion is high collinearity") from exc


def fit_logit(design: Design, spec: Spec, opts: FitOptions) -> Fit:
    X, y, names, res, cov, alt = _logit_core(design, spec, opts)
    return Fit(names, res.params, cov, llf=res.llf, iterations=res.iterations, alternatives=alt)


def fit_relogit(design: Design, spec: Spec, opts: FitOptions) -> Fit:
    """King and Zeng (2001), eqs. 11-12 with w_i = 1 (no prior correction):

    bias(b) = (X'WX)^{-1} X'W xi,  xi_i = 1/2 Q_ii (2 p_i - 1),  Q = X (X'WX)^{-1} X',
    W = diag(p_i (1 - p_i));  b_tilde = b - bias(b);  V(b_tilde) = (n / (n + k))^2 V(b).
    """
    X, y, names, res, logit_cov, logit_alt = _logit_core(design, spec, opts)
    b = res.params
    p = 1 / (1 + np.exp(-(X @ b)))
    w = p * (1 - p)
    inv = np.linalg.inv(weighted_gram(X, w))
    q = np.einsum("ij,ij->i", X @ inv, X)  # diag(X inv X') through one matrix product
    xi = 0.5 * q * (2 * p - 1)
    bias = inv @ (X.T @ (w * xi))
    n, k = X.shape
    shrink = (n / (n + k)) ** 2

    def scaled(c: Covariance) -> Covariance:
        return Covariance(shrink * c.cov, f"(n/(n+k))^2 x logit covariance, {c.cov_type}")

    return Fit(names, b - bias, scaled(logit_cov), llf=None, iterations=res.iterations,
               alternatives={c: scaled(v) for c, v in logit_alt.items()},
               notes=["King-Zeng bias correction without prior correction (tau unknown, w_i = 1); "
                      "predictions use the corrected coefficients without the probability correction"],
               bias=dict(zip(names, bias.tolist())))


def fit_firth(design: Design, spec: Spec, opts: FitOptions) -> Fit:
    X, y, names = _checked(design, separation=False)
    f = firth_logit(y, X, start=_start(design, names, y, opts))
    if not f.converged:
        raise _not_converged("firth", f"{f.iterations} Newton steps")
    # clustered: the sandwich around the inverse Fisher information at the Firth estimate with the
    # ordinary scores X'(y - p), what R's sandwich::vcovCL computes for a brglm2 fit
    p = expit(X @ f.params)
    cov, alt = clustered(design, spec, f.cov, X * (y - p)[:, None], opts)
    if spec.cluster == "none":
        cov = Covariance(cov.cov, "model-based (inverse Fisher information at the Firth estimate)")
    return Fit(names, f.params, cov, llf=f.llf, iterations=f.iterations, alternatives=alt,
               notes=[f"penalized log-likelihood {f.penalized_llf:.4f}; log-likelihood reported is unpenalized"])


def fit_cloglog(design: Design, spec: Spec, opts: FitOptions) -> Fit:
    X, y, names = _checked(design)
    fam = sm.families.Binomial(link=sm.families.links.CLogLog())
    res = _newton_mle("cloglog", sm.GLM(y, X, family=fam), _start(design, names, y, opts, link="cloglog"))
    # covariance from the expected information, as R's glm and sandwich::vcovCL: statsmodels'
    # cluster sandwich uses the observed Hessian, which differs for the non-canonical cloglog link
    eta = X @ res.params
    mu = -np.expm1(-np.exp(eta))
    dmu = np.exp(eta - np.exp(eta))
    var = mu * (1 - mu)
    bread = np.linalg.inv(weighted_gram(X, dmu**2 / var))
    cov, alt = clustered(design, spec, bread, X * ((y - mu) * dmu / var)[:, None], opts)
    return Fit(names, res.params, cov, llf=res.llf, iterations=res.iterations, alternatives=alt)


def _drop_absorbed(design: Design, names: list[str], by: str | list[str], what: str) -> tuple[list[str], list[str]]:
    by = [by] if isinstance(by, str) else by
    gone: list[str] = []
    for b in by:
        gone += [n for n in absorbed(design.frame, names, b) if n not in gone]
    keep = [n for n in names if n not in gone]
    notes = [f"dropped {', '.join(gone)}: no variation within {what}, absorbed by the fixed effects"] if gone else []
    if gone:
        warnings.warn(notes[0], stacklevel=3)
    if not [n for n in keep if n != "const"]:
        raise ModelError(f"every covariate is absorbed by the fixed effects ({what}); nothing left to estimate")
    return keep, notes


def fit_clogit(design: Design, spec: Spec, opts: FitOptions) -> Fit:
    f = design.frame
    check_events(f["y"].to_numpy(), design.outcome)
    var = f.groupby("dyad_id")["y"].transform("std").fillna(0).to_numpy() > 0
    sub = f.loc[var].reset_index(drop=True)
    if sub.empty:
        raise ModelError("clogit: no dyad has both onset and non-onset years; the conditional likelihood is empty")
    sub_design = Design(sub, design.info, design.outcome, design.risk_set, design.n_risk_set, design.n_dropped_missing, design.notes)
    names, notes = _drop_absorbed(sub_design, list(design.info.x_names), "dyad_id", "dyads")
    X = sub[names].to_numpy(dtype=float)
    demeaned = X - sub.groupby("dyad_id")[names].transform("mean").to_numpy()
    check_collinearity(np.column_stack([np.ones(len(X)), demeaned]), ["const"] + names)
    fc = conditional_logit(sub["y"].to_numpy(), X, sub["dyad_id"].to_numpy())
    if not fc.converged:
        raise _not_converged("clogit")
    notes.append(f"{len(f) - len(sub)} rows of dyads without outcome variation do not enter the conditional likelihood")
    cov_type = MODEL_BASED
    if spec.cluster != "none":
        cov_type += f" (cluster = {spec.cluster!r} not available for the conditional logit)"
        notes.append(f"clogit: cluster = {spec.cluster!r} is not implemented for the conditional likelihood; "
                     "the model-based covariance is reported")
    info = dataclasses.replace(design.info, x_names=tuple(names))
    return Fit(names, fc.params, Covariance(fc.cov, cov_type), llf=fc.llf, iterations=fc.iterations,
               frame=sub, notes=notes, info=info)


def _two_way_effects(resid: np.ndarray, dyad: np.ndarray, year: np.ndarray, tol: float = 1e-10, maxiter: int = 500):
    """Dyad and year effects a_d + g_t fitting ``resid`` by alternating projections (mean g = 0)."""
    du, di = np.unique(dyad, return_inverse=True)
    yu, yi = np.unique(year, return_inverse=True)
    nd, ny = np.bincount(di), np.bincount(yi)
    a, g = np.zeros(len(du)), np.zeros(len(yu))
    for _ in range(maxiter):
        a_new = np.bincount(di, resid - g[yi]) / nd
        g_new = np.bincount(yi, resid - a_new[di]) / ny
        done = max(np.abs(a_new - a).max(), np.abs(g_new - g).max()) < tol
        a, g = a_new, g_new
        if done:
            break
    shift = g.mean()
    return dict(zip(map(str, du.tolist()), (a + shift).tolist())), dict(zip(map(str, yu.tolist()), (g - shift).tolist()))


def two_way_demean(V: np.ndarray, dyad: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Exact residuals of the columns of ``V`` on dyad and year dummies (unbalanced panels too).

    Frisch-Waugh in two steps: sweep out dyad means, then regress on the dyad-demeaned year
    dummies, whose cross-product ``diag(n_t) - C diag(1/n_d) C'`` (C = year x dyad counts)
    is only years x years, so memory stays that of ``V`` (linearmodels' iterative
    ``PanelData.demean("both")`` holds several dense copies of the panel).
    """
    _, di = np.unique(dyad, return_inverse=True)
    _, ti = np.unique(year, return_inverse=True)
    nd, nt = np.bincount(di), np.bincount(ti)
    C = np.zeros((len(nt), len(nd)))
    np.add.at(C, (ti, di), 1.0)
    TT = np.diag(nt.astype(float)) - (C / nd) @ C.T
    TT_pinv = np.linalg.pinv(TT)
    out = np.empty_like(V, dtype=float)
    for j in range(V.shape[1]):
        v = V[:, j] - (np.bincount(di, V[:, j]) / nd)[di]
        gamma = TT_pinv @ np.bincount(ti, v, minlength=len(nt))
        tg = gamma[ti]
        out[:, j] = v - (tg - (np.bincount(di, tg) / nd)[di])
    return out


def fit_lpm(design: Design, spec: Spec, opts: FitOptions) -> Fit:
    """Two-way FE LPM: OLS of the exactly two-way demeaned outcome on the two-way demeaned
    covariates (:func:`two_way_demean`; Frisch-Waugh-Lovell gives the dummy-variable estimates).
    Covariance: the shared cluster sandwich (:func:`clustered`, HC0 with G/(G-1) per
    dimension, as R ``vcovCL(type = "HC0", cadjust = TRUE)``) on the same demeaned data.

    linearmodels' ``PanelOLS`` with entity and time effects gives the same estimates (tested)
    but demeans iteratively in pandas, an order of magnitude slower than this, and its two-way
    clustered covariance differs from R's by 1-3 %."""
    f = design.frame
    check_events(f["y"].to_numpy(), design.outcome)
    names, notes = _drop_absorbed(design, [n for n in design.info.x_names if n != "const"],
                                  ["dyad_id", "year"], "dyads or within years")
    dyad, year = f["dyad_id"].to_numpy(), f["year"].to_numpy()
    dt = two_way_demean(np.column_stack([f[names].to_numpy(dtype=float), f["y"].to_numpy(dtype=float)]), dyad, year)
    Xt, yt = dt[:, :-1], dt[:, -1]
    check_collinearity(Xt, names)  # after the effects: a covariate they absorb up to rounding is refused
    XtX = Xt.T @ Xt
    b = np.linalg.solve(XtX, Xt.T @ yt)
    e = yt - Xt @ b
    cov, alt = clustered(design, spec, np.linalg.inv(XtX), Xt * e[:, None], opts, convention="HC0")
    if spec.cluster == "none":
        dof = len(yt) - len(b) - len(np.unique(dyad)) - len(np.unique(year)) + 1
        cov = Covariance(np.linalg.inv(XtX) * float(e @ e) / dof, "homoskedastic (unadjusted)")
    resid = f["y"].to_numpy(dtype=float) - f[names].to_numpy(dtype=float) @ b
    dyad_eff, year_eff = _two_way_effects(resid, dyad, year)
    info = dataclasses.replace(design.info, x_names=tuple(names), intercept=False)
    return Fit(names, b, cov, llf=None, iterations=None, notes=notes, info=info, alternatives=alt,
               effects=TwoWayEffects(dyad_eff, year_eff, float(1 - (e @ e) / (yt @ yt))))


def fit_cox(design: Design, spec: Spec, opts: FitOptions) -> Fit:
    """Cox PH in counting-process form on the spec's time scale.

    ``time_scale = "duration"``: the risk set at duration d holds the rows with d years at risk
    since the dyad's last tie (or entry), so the baseline hazard is a function of duration and
    the time controls, constant within each risk set, are left out. Predictions use the
    Breslow increments smoothed over ``cox_baseline_window`` durations around the row's own
    duration. ``"calendar"``: risk sets are calendar years; system-level covariates are
    absorbed; predictions use the mean yearly increment over ``cox_baseline_years``.
    """
    f = design.frame
    check_events(f["y"].to_numpy(), design.outcome)
    calendar = spec.time_scale == "calendar"
    if not calendar and "_duration" not in f.columns:
        raise ModelError(f"cox on the duration time scale needs the duration column {design.info.duration!r}")
    time = (f["year"] if calendar else f["_duration"]).to_numpy().astype(float)
    scale = "calendar year" if calendar else f"years at risk ({design.info.duration})"
    names = list(design.info.x_names)
    notes: list[str] = []
    if not calendar:
        tc = [n for n in names if n == "t" or n.startswith(("t^", "t_spline"))]
        names = [n for n in names if n not in tc]
        if tc:
            notes.append(f"time controls {', '.join(tc)} left out: the duration is the time scale")
    # the risk sets absorb anything constant within a time point (e.g. system-level covariates on calendar time)
    ev_times = np.unique(time[f["y"].to_numpy() > 0])
    probe = f[np.isin(time, ev_times)].assign(_time=time[np.isin(time, ev_times)])
    names, more = _drop_absorbed(Design(probe, design.info, design.outcome, design.risk_set, 0, 0), names, "_time",
                                 f"risk sets (the time scale is {scale})")
    notes += more
    X = f[names].to_numpy(dtype=float)
    y = f["y"].to_numpy()
    check_collinearity(np.column_stack([np.ones(len(X)), X]), ["const"] + names)
    check_separation(y, X, names, design.outcome)
    # R's (start, stop] risk sets: with whole-year intervals the risk set at t is the rows whose time is t
    lik = coxmod.EfronLikelihood(time, y, X)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # trial steps may overflow; halved
        b, llf, hess, iters, conv = damped_newton(lik.loglike, lik.score, lik.hessian, np.zeros(len(names)))
    if not conv:
        raise _not_converged("cox", f"{iters} Newton steps")
    naive = np.linalg.inv(-hess)
    need = spec.cluster != "none" or any(c != "none" for c in opts.also_clusters)
    resid = coxmod.efron_score_residuals(time, y, X, b) if need else np.zeros((len(y), len(b)))
    cov, alt = clustered(design, spec, naive, resid, opts, convention="cox")
    times, dh = coxmod.breslow_baseline(time, y, X, b)
    base = CoxBaseline(time_scale=spec.time_scale, time=tuple(times.astype(int).tolist()), dH0=tuple(dh.tolist()))
    if calendar:
        first, last = spec.cox_baseline_years or (int(times.max()) - 19, int(times.max()))
        sel = (times >= first) & (times <= last)
        if not sel.any():
            raise ModelError(f"cox_baseline_years {first}-{last} has no estimation year; the model covers "
                             f"{int(times.min())}-{int(times.max())}")
        years = (int(times[sel].min()), int(times[sel].max()))
        base = dataclasses.replace(base, years=years, per_year=float(dh[sel].mean()))
        notes.append(f"time scale: calendar year; predictions use the mean yearly baseline hazard of "
                     f"{years[0]}-{years[1]} (cox_baseline_years)")
    else:
        grid, h0 = coxmod.smoothed_baseline(times, dh, spec.cox_baseline_window)
        base = dataclasses.replace(base, smoothed_duration=tuple(grid.astype(int).tolist()),
                                   smoothed_h0=tuple(h0.tolist()), window=spec.cox_baseline_window)
        notes.append(f"time scale: {scale}; predictions use the Breslow baseline at the row's own duration, "
                     f"averaged over {spec.cox_baseline_window} neighbouring durations (cox_baseline_window)")
    info = dataclasses.replace(design.info, x_names=tuple(names))
    return Fit(names, b, cov, llf=llf, iterations=iters, notes=notes, info=info, alternatives=alt,
               model_based=Covariance(naive, MODEL_BASED), baseline=base)


def fit_mlogit(design: Design, spec: Spec, opts: FitOptions) -> Fit:
    X, y, names = design.X, design.y, list(design.info.x_names)
    counts = np.bincount(y, minlength=3)
    for c, n in zip(MLOGIT_CATEGORIES[1:], counts[1:]):
        if n == 0:
            raise ModelError(f"mlogit: no {c} among the {len(y)} estimation rows")
    check_collinearity(X, names)
    for c in (1, 2):
        sel = (y == 0) | (y == c)
        check_separation((y[sel] == c).astype(int), X[sel], names, MLOGIT_CATEGORIES[c])
    res = _sm_fit("mlogit", sm.MNLogit(y, X, check_rank=False).fit, method="newton", maxiter=100, disp=0)
    if not res.mle_retvals.get("converged", False):
        raise _not_converged("mlogit")
    params = np.asarray(res.params).T.ravel()  # equation-major: alignment block, then alliance block
    pnames = [f"{MLOGIT_CATEGORIES[c]}:{n}" for c in (1, 2) for n in names]
    bread = np.linalg.inv(-res.model.hessian(params))
    cov, alt = clustered(design, spec, bread, res.model.score_obs(params), opts)
    return Fit(pnames, params, cov, llf=res.llf, iterations=res.mle_retvals.get("iterations"), alternatives=alt,
               notes=["categories: 0 none, 1 alignment onset, 2 alliance onset (alliance when both); base = none"],
               category_counts=dict(zip(MLOGIT_CATEGORIES, counts.tolist())))
