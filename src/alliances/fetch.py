"""Download the official releases of the sources from their publishers, with pooch.

Each entry of :data:`FETCHABLE` names the publisher's URL, the file inside the archive, the
name it gets in the cache (one of the names :mod:`alliances.sources` looks for) and, where
the publisher's file is known, its SHA-256. Publishers do not announce hashes, so most
entries have ``sha256=None``: the hash is recorded on first download ("trust on first
use") in ``fetched.json`` in the cache, and a later download with a different hash is an
error unless ``update=True`` (``alliances fetch --update``). Every downloaded file is then
checked with the same validator the builder uses (columns, codes, years).

Sources whose only public copies are in another layout than the one the builder reads
(COW contiguity and formal alliances, the rivalry, threat and regime files that
peacesciencer assembles) are listed in :data:`NOT_FETCHABLE` with the reason; point
``--data-dir`` at a folder that holds them (the bundled ``../shared/data`` does).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError
from .sources import load, sha256_file

CACHE_ENV = "ALLIANCES_CACHE"


@dataclass(frozen=True)
class Fetchable:
    key: str  # source key in alliances.sources.REGISTRY
    url: str
    target: str  # file name in the cache
    member: str | None = None  # file inside a zip archive
    sha256: str | None = None  # of the downloaded file (archive or CSV); None: recorded on first use
    version: str = ""


FETCHABLE: dict[str, Fetchable] = {f.key: f for f in [
    Fetchable("atop_members", "http://www.atopdata.org/uploads/6/9/1/3/69134503/atop_5.1__.csv_.zip",
              "atop5_1m.csv", member="atop5_1m.csv", version="5.1"),
    Fetchable("states", "https://correlatesofwar.org/wp-content/uploads/states2016.csv", "states2016.csv",
              version="2016"),
    Fetchable("majors", "https://correlatesofwar.org/wp-content/uploads/majors2016.csv", "majors2016.csv",
              version="2016"),
    Fetchable("nmc", "https://correlatesofwar.org/wp-content/uploads/NMCv7.zip", "NMC_7.0.csv",
              member="NMC-70-abridged.csv", version="7.0"),
]}

NOT_FETCHABLE = {
    "contiguity": "the official DirectContiguity320.zip holds contdird.csv (dyad-years) and contdir.csv (yyyymm "
                  "spells), not the spell layout with dates the builder reads",
    "cow_alliance": "the official version4.1_csv.zip uses other column names than the bundled dyad-year file",
    "capitals": "assembled by peacesciencer (no publisher release)",
    "mindist": "computed by peacesciencer from CShapes 2.0 polygons",
    "gml_mid": "bundled as peacesciencer's dyad-year-dispute file",
    "td_rivalries": "published as a book appendix; bundled by peacesciencer",
    "tss_rivalries": "published as a book appendix; bundled by peacesciencer",
    "lsthreat": "replication file of Leeds and Savun (2007)",
    "terrthreat": "estimates published with Miller (2022); bundled by peacesciencer",
    "democracy": "V-Dem/Polity/UDS merged by peacesciencer",
    "atop_dyads": "cross-check file only",
}


def cache_dir() -> Path:
    """The fetch cache: ``$ALLIANCES_CACHE``, else the user cache folder (platformdirs)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import platformdirs

    return Path(platformdirs.user_cache_dir("alliances"))


def _ledger(dest: Path) -> dict:
    path = dest / "fetched.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: the record of fetched files is damaged ({exc}); delete it and fetch again "
                          "with --update") from exc


def _write_ledger(dest: Path, ledger: dict) -> None:
    from .report import write_text_atomic

    write_text_atomic(dest / "fetched.json", json.dumps(ledger, indent=1, sort_keys=True) + "\n")


def _download(item: Fetchable, folder: Path, progress: bool) -> Path:
    """Download ``item.url`` into ``folder`` (pooch writes to a temporary file, then renames)."""
    import pooch

    fname = item.url.rsplit("/", 1)[-1]
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=60)
    registry = pooch.create(path=folder, base_url="", registry={fname: item.sha256 and f"sha256:{item.sha256}"},
                            urls={fname: item.url}, retry_if_failed=2)
    try:
        return Path(registry.fetch(fname, downloader=downloader))
    except Exception as exc:  # noqa: BLE001 - network errors, HTTP errors and hash mismatches alike
        raise SourceError(f"fetching '{item.key}' from {item.url} failed: {exc}") from exc


def fetch(keys: list[str] | None = None, dest: str | os.PathLike | None = None, update: bool = False,
          progress: bool = True, registry: dict[str, Fetchable] | None = None) -> list[dict]:
    """Download, unpack, validate and record the official files; returns one record per source."""
    registry = FETCHABLE if registry is None else registry
    dest = Path(dest) if dest is not None else cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    keys = list(registry) if not keys else keys
    unknown = [k for k in keys if k not in registry]
    if unknown:
        why = "; ".join(f"{k}: {NOT_FETCHABLE[k]}" for k in unknown if k in NOT_FETCHABLE)
        raise SourceError(f"cannot fetch {', '.join(unknown)}; fetchable: {', '.join(registry)}" + (f" ({why})" if why else ""))
    ledger = _ledger(dest)
    records = []
    for key in keys:
        item = registry[key]
        with tempfile.TemporaryDirectory(dir=dest, prefix=".fetch-") as tmp:
            raw = _download(item, Path(tmp) / "download", progress)
            digest = sha256_file(raw)
            known = ledger.get(key, {}).get("download_sha256")
            if known and known != digest and not update:
                raise SourceError(f"'{key}' from {item.url} changed: SHA-256 {digest} differs from {known} recorded "
                                  f"on {ledger[key].get('file')}; run `alliances fetch --update --only {key}` to "
                                  "accept the new release")
            staged = Path(tmp) / item.target
            if item.member:
                try:
                    with zipfile.ZipFile(raw) as archive:
                        names = [n for n in archive.namelist() if Path(n).name == item.member]
                        if not names:
                            raise SourceError(f"{item.url}: archive has no {item.member} "
                                              f"(it holds {', '.join(archive.namelist()[:8])})")
                        with archive.open(names[0]) as src, open(staged, "wb") as out:
                            shutil.copyfileobj(src, out)
                except zipfile.BadZipFile as exc:
                    raise SourceError(f"{item.url}: not a zip archive ({exc})") from exc
            else:
                shutil.copyfile(raw, staged)
            checked = load(key, path=staged)  # the builder's own validator; raises on a bad file
            os.replace(staged, dest / item.target)  # only a validated file reaches the cache
        record = {"source": key, "url": item.url, "file": item.target, "download_sha256": digest,
                  "sha256": checked.sha256, "version": item.version or checked.version,
                  "coverage": list(checked.coverage), "hash_pinned": item.sha256 is not None}
        ledger[key] = record
        _write_ledger(dest, ledger)
        records.append(record)
    return records
