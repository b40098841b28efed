"""Exceptions raised by `alliances`.

Every message names the file, column, row or value at fault and, where it can, the fix.
"""

from __future__ import annotations


class AlliancesError(Exception):
    """Base class of every error this package raises on purpose."""


class SourceError(AlliancesError, ValueError):
    """A source file is missing, unreadable, or not the dataset it claims to be."""


class SourceNotFound(SourceError, FileNotFoundError):
    """No file for a source was found in the data directory."""


class PanelError(AlliancesError, ValueError):
    """A panel cannot be built or read as asked (bad years, bad file, unknown dyad)."""
