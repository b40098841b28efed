"""Onset models: logit family and hazard family behind one results object.

>>> from alliances.models import Spec, fit, compare
>>> spec = Spec.from_toml("analyses/specs/baseline.toml")
>>> res = fit(panel, spec, "logit")          # doctest: +SKIP
>>> print(res.summary())                     # doctest: +SKIP
"""

from .catalog import ESTIMATORS
from .design import build_design
from .errors import CollinearityError, ConvergenceError, ModelError, SeparationError
from .fitting import fit, fit_all, fit_file
from .results import Results, compare, load
from .spec import OUTCOMES, Spec

__all__ = ["ESTIMATORS", "OUTCOMES", "CollinearityError", "ConvergenceError", "ModelError", "SeparationError", "Results", "Spec", "build_design", "compare", "fit",
           "fit_all", "fit_file", "load"]
