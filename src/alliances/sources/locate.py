"""Where source files are found: the data directory, the fetch cache and file hashing.

Order: ``--data-dir`` (CLI) or the ``data_dir`` argument alone; else ``$ALLIANCES_DATA``
alone; else the fetch cache (``$ALLIANCES_CACHE`` or the user cache folder) followed by the
documented default ``../shared/data``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

from alliances.errors import SourceNotFound
from alliances.sources.registry import Source

ENV_VAR = "ALLIANCES_DATA"
CACHE_ENV = "ALLIANCES_CACHE"


def cache_dir() -> Path:
    """The fetch cache (``alliances fetch``): ``$ALLIANCES_CACHE``, else the user cache folder (platformdirs)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])

    return Path(platformdirs.user_cache_dir("alliances"))


def default_data_dirs() -> list[Path]:
    """Where the data are looked for when neither ``--data-dir`` nor ``ALLIANCES_DATA`` is set.

    ``../shared/data`` relative to the working directory (a clone with the shared folder
    beside it), then relative to this repository's checkout (editable installs).
    """
    here = Path(__file__).resolve()
    return [Path.cwd().parent / "shared" / "data", here.parents[4] / "shared" / "data"]


def resolve_data_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for source files, in order.

    ``data_dir`` (``--data-dir``) alone if given; else ``$ALLIANCES_DATA`` alone if set; else
    the fetch cache (``alliances fetch``) followed by the default ``../shared/data``, each
    only if it exists. A source is read from the first folder that has one of its files.
    """
    if data_dir is not None or os.environ.get(ENV_VAR):
        path = Path(data_dir) if data_dir is not None else Path(os.environ[ENV_VAR])
        origin = "--data-dir" if data_dir is not None else f"${ENV_VAR}"
        if not path.is_dir():
            raise SourceNotFound(f"data directory {path} (from {origin}) does not exist or is not a directory")
        return [path.resolve()]
    found = [p.resolve() for p in [cache_dir(), *default_data_dirs()] if p.is_dir()]
    if not found:
        tried = ", ".join(str(p) for p in [cache_dir(), *default_data_dirs()])
        raise SourceNotFound(
            f"no data directory found (tried {tried}); run `alliances fetch`, pass --data-dir DIR or set {ENV_VAR}=DIR"
        )
    return list(dict.fromkeys(found))


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The first folder of :func:`resolve_data_dirs`."""
    return resolve_data_dirs(data_dir)[0]


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def folder_files(path: Path, pattern: str) -> list[Path]:
    """The files of a folder source (``Source.folder_pattern``), sorted by name."""
    return sorted((p for p in Path(path).glob(pattern) if p.is_file()), key=lambda p: p.name)


def sha256_folder(path: Path, pattern: str) -> str:
    """SHA-256 of a folder source: of one ``name<TAB>sha256`` line per matching file, sorted by
    name, so the digest changes when any file is added, removed, renamed or edited."""
    lines = "".join(f"{p.name}\t{sha256_file(p)}\n" for p in folder_files(path, pattern))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def sha256_source(path: Path, source: Source) -> str:
    """The version hash of a source's file, or of its folder for a folder source."""
    return sha256_folder(path, source.folder_pattern) if source.folder_pattern else sha256_file(path)


def present(path: Path, source: Source) -> bool:
    """Whether ``path`` is the kind of thing the source is read from: a file, or a folder."""
    return path.is_dir() if source.folder_pattern else path.is_file()


def find_file(source: Source, data_dirs: Path | list[Path]) -> Path:
    dirs = [data_dirs] if isinstance(data_dirs, (str, Path)) else list(data_dirs)
    for folder in dirs:
        for name in source.names:
            candidate = Path(folder) / name
            if present(candidate, source):
                return candidate
    raise SourceNotFound(
        f"source '{source.key}' ({source.title}) not found in {', '.join(map(str, dirs))}: looked for "
        + ", ".join(source.names)
    )
