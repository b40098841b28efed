"""Fit an onset model: build its design, run the estimator object, return :class:`Results`.

One path for ``alliances fit``, ``predict``, ``validate``, ``replicate`` and the multiverse:
:func:`design_for` builds the estimation frame an estimator needs, :func:`fit_design` fits an
estimator (an object of :mod:`.catalog`) on a design already built, and :func:`fit` does both.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from alliances.atomic import write_text_atomic
from alliances.sources import sha256_file
from alliances.store import column_names, present_columns, read_panel

from . import variance
from .catalog import CATALOG
from .catalog import info as estimator_info
from .design import Design, build_design, needed_columns
from .errors import ModelError, unknown_columns_error
from .fitted import Fit, FitOptions, SharedLogit
from .results import Results
from .spec import Spec


def design_for(panel: pd.DataFrame, spec: Spec, estimator: str) -> Design:
    """The estimation frame ``estimator`` needs for ``spec`` (one path for fit, predict and validate)."""
    e = estimator_info(estimator)
    return build_design(panel, spec, kind=e.design_kind, intercept=e.intercept, period_effects=e.period_effects)


def results_of(fitted: Fit, design: Design, spec: Spec, estimator: str, panel_sha256: str | None) -> Results:
    """The :class:`Results` of one estimator's :class:`Fit` on ``design``."""
    frame = design.frame if fitted.frame is None else fitted.frame
    return Results(
        estimator=estimator, spec=spec, outcome=design.outcome, param_names=tuple(fitted.names),
        params_=np.asarray(fitted.params, dtype=float), cov_=np.asarray(fitted.covariance.cov, dtype=float),
        cov_type=fitted.covariance.cov_type, nobs=len(frame), n_events=int((frame["y"] > 0).sum()),
        n_groups=int(frame["dyad_id"].nunique()), llf=None if fitted.llf is None else float(fitted.llf),
        converged=True, iterations=fitted.iterations, info=design.info if fitted.info is None else fitted.info,
        risk_set=design.risk_set, notes=tuple(design.notes) + tuple(fitted.notes), panel_sha256=panel_sha256,
        years=(int(frame["year"].min()), int(frame["year"].max())), status=design.status,
        alternatives=dict(sorted(fitted.alternatives.items())), model_based=fitted.model_based,
        baseline=fitted.baseline, effects=fitted.effects, bias=fitted.bias, category_counts=fitted.category_counts,
    )


def fit_design(design: Design, spec: Spec, estimator: str, panel_sha256: str | None = None, *,
               also_clusters: Iterable[str] = (), shared: SharedLogit | None = None) -> Results:
    """Fit ``estimator`` on a design already built (e.g. a training window of one).

    ``shared``: a :class:`~.fitted.SharedLogit` kept across the fits of one design (the logit
    first), so King-Zeng reuses the logit fit and Firth and the cloglog start from it."""
    e = estimator_info(estimator)
    opts = FitOptions(also_clusters=tuple(c for c in dict.fromkeys(also_clusters) if c != spec.cluster),
                      shared=shared)
    return _checked_variance(results_of(e.fit(design, spec, opts), design, spec, estimator, panel_sha256))


def _checked_variance(res: Results) -> Results:
    """Refuse a fit whose covariance has a negative or non-finite variance: the information matrix is
    not positive definite at the estimate (quasi-complete separation, often by the time controls on
    a short sample), so its standard errors and simulations would be meaningless."""
    diag = np.diag(np.asarray(res.cov_, dtype=float))
    bad = ~np.isfinite(diag) | (diag < 0)
    if bad.any():
        names = [n for n, b in zip(res.param_names, bad) if b]
        raise ModelError(f"{res.estimator}: the variance of {', '.join(names[:5])}{' ...' if len(names) > 5 else ''} is "
                         "negative or not finite at the estimate: the information matrix is not positive definite "
                         "(quasi-complete separation or near-collinearity in this sample). Lengthen the sample, drop "
                         "or simplify terms (time_controls = 'none'), or use estimator = 'firth'.")
    return res


def _panel_sha(panel: pd.DataFrame, given: str | None) -> str | None:
    if given:
        return given
    for key in ("panel_sha256", "sha256"):
        if isinstance(panel.attrs.get(key), str):
            return panel.attrs[key]
    return None


def design_spec(spec: Spec, also_clusters: Iterable[str] = ()) -> Spec:
    """The spec a design is built from: with agreement clustering among ``also_clusters`` the
    design must carry the onsets' agreements."""
    agreement = next((c for c in also_clusters if "agreement" in c), None)
    if agreement and "agreement" not in spec.cluster:
        return dataclasses.replace(spec, cluster=agreement)
    return spec


def design_key(spec: Spec, estimator: str, also_clusters: Iterable[str] = ()) -> str:
    """Identity of the design :func:`fit` builds for ``spec``, ``estimator`` and ``also_clusters``:
    fits with the same key can share one design (other estimators, clusterings, names)."""
    e = estimator_info(estimator)
    agreement = any("agreement" in c for c in (spec.cluster, *also_clusters))
    fields = {k: v for k, v in spec.to_dict().items() if k not in ("name", "cluster")}
    return json.dumps([fields, agreement, e.intercept, e.period_effects, e.design_kind], sort_keys=True)


def fit(panel: pd.DataFrame, spec: Spec, estimator: str = "logit", *, panel_sha256: str | None = None,
        also_clusters: Iterable[str] = (), design: Design | None = None, shared: SharedLogit | None = None) -> Results:
    """Fit one onset model.

    Parameters
    ----------
    panel : dyad-year panel (one row per undirected dyad-year; see the panel codebook).
    spec : the model specification.
    estimator : a name in :data:`~.catalog.CATALOG`: ``logit``, ``firth``, ``relogit``,
        ``clogit``, ``lpm``, ``cloglog``, ``cox``, ``mlogit``.
    panel_sha256 : hash of the panel file, recorded in the results (else taken from
        ``panel.attrs["panel_sha256"]`` when present).
    also_clusters : other clustering options to compute from the same fit; read them with
        ``Results.with_cluster(option)`` (one fit serves a whole robustness grid).
    design : a design built before for the same :func:`design_key` (shared across fits, as the
        multiverse does); built here when None.
    shared : a :class:`~.fitted.SharedLogit` kept across the fits of one design, the logit
        first (King-Zeng reuses its fit; Firth and the cloglog start from its estimates).
    """
    estimator_info(estimator)
    if not isinstance(spec, Spec):
        raise ModelError(f"spec must be an alliances.models.Spec, got {type(spec).__name__}")
    also = tuple(c for c in dict.fromkeys(also_clusters) if c != spec.cluster)
    for c in also:
        if c not in variance.DESCRIPTION:
            raise ModelError(f"unknown cluster option {c!r}; choose from {', '.join(variance.DESCRIPTION)}")
    if design is None:
        design = design_for(panel, design_spec(spec, also), estimator)
    return fit_design(design, spec, estimator, _panel_sha(panel, panel_sha256), also_clusters=also, shared=shared)


def fit_all(panel: pd.DataFrame, spec: Spec, estimators: Iterable[str] | None = None, *,
            panel_sha256: str | None = None, skip_errors: bool = False) -> dict[str, Results]:
    """Fit several estimators on one spec (all eight by default), in a dict keyed by name.

    With ``skip_errors=True`` an estimator raising :class:`ModelError` is skipped with a
    warning instead of stopping the others.
    """
    out: dict[str, Results] = {}
    for est in estimators or CATALOG:
        try:
            out[est] = fit(panel, spec, est, panel_sha256=panel_sha256)
        except ModelError as exc:
            if not skip_errors:
                raise
            warnings.warn(f"{est}: {exc}", stacklevel=2)
    return out


def read_for(path: str | os.PathLike, spec: Spec) -> pd.DataFrame:
    """The panel at ``path`` with only the columns ``spec``'s designs read (any estimator's); a
    missing, damaged or foreign file raises :class:`~alliances.errors.PanelError` naming it."""
    names = column_names(path)
    missing = [c for c in needed_columns(spec) if c not in names]
    if missing:  # named against the whole file, so the closest matches can be suggested
        raise unknown_columns_error(missing, names)
    return read_panel(path, columns=present_columns(path, ["ccode1", "ccode2", *needed_columns(spec),
                                                          *needed_columns(spec, "mlogit")]))


def fit_file(spec_path: str | os.PathLike, panel_path: str | os.PathLike, estimators: Sequence[str],
             out_dir: str | os.PathLike | None = None) -> dict[str, Results]:
    """Fit ``estimators`` on the specification file ``spec_path`` and the panel ``panel_path``;
    with ``out_dir``, save ``<spec name>.<estimator>.json`` and the tidy ``.csv`` of each."""
    spec = Spec.from_toml(spec_path)
    unknown = [e for e in estimators if e not in CATALOG]
    if unknown:
        raise ModelError(f"unknown estimator(s) {unknown}; choose from {', '.join(CATALOG)}")
    panel = read_for(panel_path, spec)
    sha = sha256_file(panel_path)
    out: dict[str, Results] = {}
    for est in estimators:
        out[est] = res = fit(panel, spec, est, panel_sha256=sha)
        if out_dir is not None:
            stem = f"{spec.name or 'model'}.{est}"
            res.save(Path(out_dir) / f"{stem}.json")
            write_text_atomic(Path(out_dir) / f"{stem}.csv", res.to_frame().to_csv(index=False, lineterminator="\n"))
    return out
