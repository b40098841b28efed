"""Library side of ``alliances fit``: the CLI only parses arguments and calls :func:`cli_fit`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from alliances.sources import sha256_file

from .catalog import ESTIMATORS
from .design import needed_columns
from .errors import ModelError
from .fitting import fit
from .results import Results, compare
from .spec import Spec

DEFAULT_PANEL = Path("datasets/dyad_years.parquet")


def read_panel(path: str | Path, spec: Spec | None = None) -> pd.DataFrame:
    """The panel via ``alliances.read_panel`` (damaged files and interrupted builds refused);
    with ``spec``, only the columns its designs read (any estimator's)."""
    from alliances.store import present_columns
    from alliances.store import read_panel as _read

    if spec is None:
        return _read(path)
    return _read(path, columns=present_columns(path, ["ccode1", "ccode2", *needed_columns(spec),
                                                      *needed_columns(spec, "mlogit")]))


def cli_fit(spec_path: str | Path, panel_path: str | Path = DEFAULT_PANEL, estimators: Sequence[str] | None = None,
            out_dir: str | Path | None = None, echo=print) -> dict[str, Results]:
    """Fit ``estimators`` (default: all) on the spec in ``spec_path``; print each summary and a
    comparison table; save ``<out_dir>/<spec name>.<estimator>.json`` when ``out_dir`` is given."""
    spec = Spec.from_toml(spec_path)
    panel_path = Path(panel_path)
    if not panel_path.exists():
        raise ModelError(f"panel file {panel_path} not found; build it first (alliances build) or pass --panel")
    ests = list(estimators or ESTIMATORS)
    unknown = [e for e in ests if e not in ESTIMATORS]
    if unknown:
        raise ModelError(f"unknown estimator(s) {unknown}; choose from {', '.join(ESTIMATORS)}")
    sha = sha256_file(panel_path)
    panel = read_panel(panel_path, spec)
    out: dict[str, Results] = {}
    for est in ests:
        res = fit(panel, spec, est, panel_sha256=sha)
        out[est] = res
        echo(res.summary())
        echo("")
        if out_dir is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            stem = f"{spec.name or 'model'}.{est}"
            res.save(Path(out_dir) / f"{stem}.json")
            res.to_frame().to_csv(Path(out_dir) / f"{stem}.csv", index=False, lineterminator="\n")
    if len(out) > 1:
        echo(compare(list(out.values()), names=list(out)).to_string())
    return out
