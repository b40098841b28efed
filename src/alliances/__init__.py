"""alliances: dyad-year panels, onset models and predictions of alliance and alignment formation.

The layout follows the data flow:

- ``sources``: the registry of input datasets, finding, reading and validating their files, downloads;
- ``dyads``: the build context, the COW state system and the dyad-year rows, keyed lookups;
- ``covariates``: power, geography, threat, regime, portfolio similarity, exercises, user events;
- ``outcomes``: ATOP ties, onsets and risk sets, COW alliances, the agreement table;
- ``build`` runs those stages in order, ``store`` writes and reads the documented Parquet and
  ``codebook`` holds every column's entry;
- ``models``: specifications, designs, estimators, variance and results;
- ``analysis``: predictions, validation, figures, the report, ``replicate`` and ``multiverse``;
- ``cli`` is the ``alliances`` command.
"""

from alliances.analysis.census import onset_sources
from alliances.build import build_panel, run
from alliances.store import read_panel, write_build
from alliances.version import __version__

__all__ = ["__version__", "build_panel", "onset_sources", "read_panel", "run", "write_build"]
