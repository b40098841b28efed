"""The one TOML reader for specifications, scenarios and plans, and the package-wide defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path

from alliances.errors import AlliancesError, SpecError

#: a callback that receives one progress line (build, replicate, validate, multiverse)
Progress = Callable[[str], None]

#: The default last panel year: the year after the latest year any systematic source observes (UN
#: final-passage ideal points, 2024), so a one-year-lagged model predicts it from observed values.
DEFAULT_END = 2025


def read_toml(path: str | os.PathLike, what: str, error: type[AlliancesError] = SpecError) -> dict:
    """Parse ``path`` as TOML; an unreadable or invalid file raises ``error`` naming the file,
    ``what`` it should be and the parser's reason (with its line and column)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path}: cannot read the {what}: not valid TOML ({exc})") from exc


#: the shipped replication plan's simulation seed, also `alliances predict`'s default, so that the
#: report's intervals can be reproduced from the command line
DEFAULT_SEED = 20261123
