"""Exceptions raised by `alliances`, and the exit code the command line gives each.

Every message names the file, column, row or value at fault and, where it can, the fix.
The one hierarchy: :class:`AlliancesError` -> :class:`SourceError` (input files),
:class:`PanelError` (built panels and their use), :class:`SpecError` (specifications, plans
and saved results), :class:`UsageError` (a bad option value),
:class:`ScenarioError` (a counterfactual that cannot be applied), :class:`OutputError`
(a file that cannot be written), and ``alliances.models.ModelError`` with
``SeparationError``, ``CollinearityError`` and ``ConvergenceError``.
"""

from __future__ import annotations

import errno

# Exit codes of the `alliances` command (README, "Exit codes").
EXIT_OK = 0
EXIT_INTERNAL = 1  # a bug: rerun with --debug and report the traceback
EXIT_USAGE = 2  # a bad option, argument or option value
EXIT_DATA = 3  # a source file, panel, specification or plan is missing, damaged or invalid
EXIT_MODEL = 4  # the model cannot be fitted or used as asked
EXIT_OS = 5  # the operating system refused to read or write a path (permissions, disk full, ...)
EXIT_INTERRUPTED = 130  # Ctrl-C


class AlliancesError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = EXIT_DATA


class SourceError(AlliancesError, ValueError):
    """A source file is missing, unreadable, or not the dataset it claims to be."""


class SourceNotFound(SourceError, FileNotFoundError):
    """No file for a source was found in the data directory."""


class PanelError(AlliancesError, ValueError):
    """A panel cannot be built or read as asked (bad years, bad file, unknown dyad)."""


class SpecError(AlliancesError, ValueError):
    """A specification, replication or multiverse plan, or saved result (a model's JSON, a
    validation's recalibration table) that is missing, damaged, invalid, or asks for panel
    columns the panel does not have."""


class UsageError(AlliancesError, ValueError):
    """An option or argument value the command cannot use."""

    exit_code = EXIT_USAGE


class ScenarioError(AlliancesError, ValueError):
    """A scenario (``--set``, ``--scenario`` or a scenario file) that cannot be applied."""

    exit_code = EXIT_USAGE


class OutputError(AlliancesError, OSError):
    """A file or folder cannot be written (or read) because the operating system refused."""

    exit_code = EXIT_OS


_FIXES = {
    errno.ENOSPC: "free disk space or write elsewhere (--out)",
    errno.EDQUOT: "free space in your quota or write elsewhere (--out)",
    errno.EACCES: "check the permissions of the folder or write elsewhere (--out)",
    errno.EPERM: "check the permissions of the folder or write elsewhere (--out)",
    errno.EROFS: "the file system is read-only; write elsewhere (--out)",
    errno.ENOTDIR: "a file stands where a folder is needed; remove it or write elsewhere (--out)",
    errno.EEXIST: "a file stands where a folder is needed; remove it or write elsewhere (--out)",
    errno.EISDIR: "a folder stands where a file is needed; remove it or choose another file name",
    errno.ENOENT: "the folder does not exist; create it or check the path",
}


def os_error(exc: OSError, path: object = None, action: str = "write") -> OutputError:
    """An :class:`OutputError` naming the path, the operating system's reason and the fix."""
    where = path if path is not None else (exc.filename or "a file")
    reason = exc.strerror or str(exc) or type(exc).__name__
    fix = _FIXES.get(exc.errno or -1, "check the path and try again")
    return OutputError(f"cannot {action} {where}: {reason}; {fix}")
