"""Exceptions raised by the onset models."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from alliances.errors import EXIT_MODEL, AlliancesError, SpecError


class ModelError(AlliancesError, ValueError):
    """A model cannot be specified, fitted or used as asked.

    The message names the column, covariate or setting at fault and says what to do.
    """

    exit_code = EXIT_MODEL


class SeparationError(ModelError):
    """A covariate (quasi-)perfectly predicts the outcome: its coefficient would be infinite."""


class CollinearityError(ModelError):
    """Covariates are constant or linearly dependent in the estimation sample."""


class ConvergenceError(ModelError):
    """The optimizer did not converge."""


def unknown_columns_error(missing: Iterable[str], available: Iterable[str], what: str = "panel") -> SpecError:
    """Build a :class:`~alliances.errors.SpecError` naming unknown columns and their closest matches."""
    available = list(available)
    parts = []
    for name in missing:
        close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        parts.append(f"{name!r}{hint}")
    return SpecError(
        f"unknown column(s) in the {what}: {'; '.join(parts)}. "
        "Check the spec's outcome and covariates against the panel codebook."
    )
