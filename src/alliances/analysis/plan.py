"""The replication plan (``analyses/replicate.toml``): which specifications run with which
estimators, the dyad, years, scenarios, simulation settings, the robustness grid, the validation
and the alignment section. :func:`load_plan` reads and checks it, naming the file and entry at fault.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alliances.config import read_toml
from alliances.errors import SpecError
from alliances.models.catalog import DEFAULT_ESTIMATORS


@dataclass(frozen=True)
class SpecRun:
    """One ``[[specs]]`` entry: the specification's name, its file and the estimators fitted to it."""

    name: str
    path: Path
    estimators: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The whole plan: the specifications, the dyad and its predictions (spec, estimators,
    scenarios, draws, seed, horizon), the robustness grid, the validation, user events, the
    behaviour comparison and the alignment section; see ``analyses/replicate.toml``."""

    runs: tuple[SpecRun, ...]
    predict_spec: str
    predict_estimators: tuple[str, ...]
    dyad: str
    scenarios: tuple[str, ...]
    sims: int
    seed: int
    horizon: int
    key_covariates: tuple[str, ...]
    robustness_estimator: str
    robustness_fallback: str = "firth"  # used for a specification whose robustness estimator failed
    robust_spec: str | None = None
    robust_estimators: tuple[str, ...] = ()
    robust_clusters: tuple[str, ...] = ()
    robust_periods: tuple[str, ...] = ()
    validate_spec: str | None = None
    validate_estimators: tuple[str, ...] = ()
    validate_options: tuple[tuple[str, object], ...] = ()
    events: Path | None = None
    behaviour_specs: tuple[str, ...] = ()
    alignment: AlignmentPlan | None = None


@dataclass(frozen=True)
class AlignmentPlan:
    """The ``[alignment]`` section: the dyad's record beside reference pairs, the voting-alignment
    model validated and predicted, and the behaviour-foretells-treaties comparisons."""

    references: tuple[str, ...] = ()
    voting_spec: str | None = None
    voting_estimators: tuple[str, ...] = ("logit",)
    foretell: tuple[tuple[str, str], ...] = ()  # (with behaviour, without) specification names
    validate_estimators: tuple[str, ...] = ("logit",)
    validate_options: tuple[tuple[str, object], ...] = ()

    @property
    def validated(self) -> tuple[str, ...]:
        """Specifications the section validates out of sample."""
        names = ([self.voting_spec] if self.voting_spec else []) + [n for pair in self.foretell for n in pair]
        return tuple(dict.fromkeys(names))


def _alignment_plan(path: Path, raw: dict, names: set[str]) -> AlignmentPlan | None:
    if not raw:
        return None
    foretell = []
    for item in raw.get("foretell", []):
        pair = tuple(str(item).split(":"))
        if len(pair) != 2:
            raise SpecError(f"{path}: [alignment] foretell entry {item!r} is not 'WITH:WITHOUT'")
        foretell.append(pair)
    for name in [raw.get("voting_spec"), *(n for pair in foretell for n in pair)]:
        if name is not None and name not in names:
            raise SpecError(f"{path}: [alignment] spec {name!r} is not among the [[specs]] entries")
    return AlignmentPlan(
        references=tuple(raw.get("references", [])), voting_spec=raw.get("voting_spec"),
        voting_estimators=tuple(raw.get("voting_estimators", ["logit"])), foretell=tuple(foretell),
        validate_estimators=tuple(raw.get("validate_estimators", ["logit"])),
        validate_options=tuple(sorted((k, v) for k, v in raw.items() if k in ("first_origin", "step", "horizon"))))


def load_plan(path: str | os.PathLike = "analyses/replicate.toml") -> Plan:
    """Read and check the plan: every specification file exists, and every section names a
    specification of the plan (:class:`~alliances.errors.SpecError` naming the file and entry)."""
    path = Path(path)
    raw = read_toml(path, "replication plan")
    folder = path.parent / raw.get("spec_folder", "specs")
    default_est = tuple(raw.get("estimators", ["logit"]))
    runs = []
    for item in raw.get("specs", []):
        spec_path = folder / f"{item['name']}.toml"
        if not spec_path.is_file():
            raise SpecError(f"{path}: specification {item['name']!r} has no file {spec_path}")
        runs.append(SpecRun(item["name"], spec_path, tuple(item.get("estimators", default_est))))
    if not runs:
        raise SpecError(f"{path}: no [[specs]] entries")
    pred = raw.get("predict", {})
    rob, val = raw.get("robustness", {}), raw.get("validate", {})
    names = {r.name for r in runs}
    for what, section in (("robustness", rob), ("validate", val)):
        if section and section.get("spec") not in names:
            raise SpecError(f"{path}: [{what}] spec {section.get('spec')!r} is not among the [[specs]] entries")
    return Plan(
        runs=tuple(runs), predict_spec=pred.get("spec", runs[0].name),
        predict_estimators=tuple(pred.get("estimators", DEFAULT_ESTIMATORS)),
        dyad=pred.get("dyad", "365-710"), scenarios=tuple(pred.get("scenarios", [])),
        sims=int(pred.get("sims", 1000)), seed=int(pred.get("seed", 0)), horizon=int(pred.get("horizon", 30)),
        key_covariates=tuple(raw.get("key_covariates", [])),
        robustness_estimator=raw.get("robustness_estimator", "logit"),
        robustness_fallback=raw.get("robustness_fallback", "firth"),
        robust_spec=rob.get("spec"), robust_estimators=tuple(rob.get("estimators", ["logit"])),
        robust_clusters=tuple(rob.get("clusters", ["dyad", "dyad+year"])),
        robust_periods=tuple(rob.get("period_effects", ["none", "decade"])),
        validate_spec=val.get("spec"), validate_estimators=tuple(val.get("estimators", [])),
        validate_options=tuple(sorted((k, v) for k, v in val.items() if k in ("first_origin", "step", "horizon", "eras"))),
        events=_events_path(path, raw.get("events")),
        behaviour_specs=tuple(s for s in raw.get("behaviour", {}).get("specs", []) if s in names),
        alignment=_alignment_plan(path, raw.get("alignment", {}), names),
    )


def _events_path(plan_path: Path, value: str | None) -> Path | None:
    """The plan's user-supplied events file (relative to the plan's folder)."""
    if value is None:
        return None
    events = plan_path.parent / value
    if not events.is_file():
        raise SpecError(f"{plan_path}: events file {events} does not exist")
    return events
