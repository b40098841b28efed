"""One record per onset estimator: what it is and what it allows.

``fit``, ``predict``, the CLI defaults, ``replicate``, ``validate`` and the results object
all read these records; adding an estimator means adding one :class:`EstimatorInfo` here
and its fit function in :mod:`.estimators` (CONTRIBUTING.md).
"""

from __future__ import annotations

from dataclasses import dataclass

#: clustering schemes of :attr:`alliances.models.Spec.cluster` (see :mod:`.variance`)
CLUSTERS = ("dyad", "year", "dyad+year", "agreement", "dyad+agreement", "none")


@dataclass(frozen=True)
class EstimatorInfo:
    """Facts about one estimator.

    ``probabilities``: gives absolute onset probabilities (so it can be predicted and
    validated out of sample); ``hazard``: its yearly probabilities chain into survival
    curves; ``clusters``: the :data:`CLUSTERS` options it implements (others raise a
    ``ModelError`` naming what it allows); ``period_effects``: accepts decade or year
    dummies (the LPM has year effects already, Cox on calendar time absorbs them).
    """

    name: str
    label: str
    intercept: bool = True
    probabilities: bool = True
    hazard: bool = True
    clusters: tuple[str, ...] = CLUSTERS
    period_effects: bool = True
    validated: bool = True  # included by default in ``alliances validate``


CATALOG: dict[str, EstimatorInfo] = {e.name: e for e in (
    EstimatorInfo("logit", "pooled logit"),
    EstimatorInfo("firth", "Firth penalized logit"),
    EstimatorInfo("relogit", "rare-events logit (King-Zeng bias correction)"),
    EstimatorInfo("clogit", "conditional (dyad fixed-effects) logit", intercept=False, probabilities=False,
                  hazard=False, clusters=("none",), validated=False),
    EstimatorInfo("lpm", "linear probability model, dyad and year effects", intercept=False, probabilities=False,
                  hazard=False, period_effects=False, validated=False),
    EstimatorInfo("cloglog", "discrete-time complementary log-log hazard"),
    EstimatorInfo("cox", "Cox proportional hazards, counting process, Efron ties", intercept=False),
    EstimatorInfo("mlogit", "multinomial logit (none / alignment onset / alliance onset)", hazard=False,
                  validated=False),
)}

#: estimators with absolute probabilities, in the order predictions and reports list them
PROBABILITY_ESTIMATORS = tuple(n for n, e in CATALOG.items() if e.probabilities)
#: estimators whose yearly probabilities chain into survival curves
HAZARD_ESTIMATORS = tuple(n for n, e in CATALOG.items() if e.hazard)
#: estimators ``alliances validate`` runs by default (binary outcome, absolute probabilities)
VALIDATED_ESTIMATORS = tuple(n for n, e in CATALOG.items() if e.validated)


def info(name: str) -> EstimatorInfo:
    from .errors import ModelError

    if name not in CATALOG:
        raise ModelError(f"unknown estimator {name!r}; choose one of {', '.join(CATALOG)}")
    return CATALOG[name]
