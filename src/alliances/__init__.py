"""alliances: dyad-year panels, onset models and predictions of alliance and alignment formation.

Data flow (one module per stage): ``sources`` -> ``panel`` -> ``ties`` -> ``power`` /
``geography`` / ``threat`` / ``regime`` -> ``outcomes`` -> ``models`` -> ``predict`` ->
``report``; ``build`` runs the data stages and ``store`` writes documented Parquet.
"""

__version__ = "0.1.0"

from .build import build_panel, run  # noqa: E402
from .outcomes import onset_sources  # noqa: E402
from .store import read_panel, write_build  # noqa: E402

__all__ = ["__version__", "build_panel", "onset_sources", "read_panel", "run", "write_build"]
