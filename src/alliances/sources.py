"""Source registry, data-directory lookup, loading and validation.

The registry below is the one place where each input dataset is declared: the file names
it may have, the columns the package needs, the known versions (SHA-256 -> version and
coverage), and the citation. Loading, validation, the codebook and the Parquet provenance
all read it.

A file whose SHA-256 is known is accepted silently. A file with an unknown hash but the
right columns and a plausible year span is accepted with a warning, and its hash is
recorded in the build metadata (for example the official ATOP 5.1 ``atop5_1m.csv``).
Anything else raises :class:`~alliances.errors.SourceError` naming the file and the fault.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SourceError, SourceNotFound

ENV_VAR = "ALLIANCES_DATA"


@dataclass(frozen=True)
class Version:
    """One known release of a source file."""

    version: str
    sha256: str
    coverage: tuple[int, int]


@dataclass(frozen=True)
class Source:
    """A declared input dataset.

    ``names`` are the relative paths tried in order inside the data directory (the bundled
    layout first, then the names of the official downloads). ``year_columns`` are checked
    against ``year_bounds``. ``coverage_end`` of an unknown version is read from the data
    (the largest value in ``coverage_columns``).
    """

    key: str
    title: str
    names: tuple[str, ...]
    columns: tuple[str, ...]
    citation: str
    versions: tuple[Version, ...] = ()
    year_columns: tuple[str, ...] = ()
    year_bounds: tuple[int, int] = (1400, 2100)
    coverage_columns: tuple[str, ...] = ()
    int_columns: tuple[str, ...] = ()
    # Columns that must never be empty (an empty ATOP yrexit or pledge is a damaged file, not a 0).
    required: tuple[str, ...] = ()
    # Extra read_csv keyword arguments (e.g. dtypes of free-text columns).
    read_options: dict = field(default_factory=dict, hash=False, compare=False)


COW_STATES = "Correlates of War Project. 2017. State System Membership List, v2016."
COW_MAJORS = COW_STATES + " Major powers list."
NMC = (
    "Singer, J. David, Stuart Bremer and John Stuckey. 1972. Capability Distribution, "
    "Uncertainty, and Major Power War, 1820-1965. In Russett (ed.), Peace, War, and Numbers. "
    "National Material Capabilities v7.0 (Greig, Bennett and Nordstrom)."
)
ATOP = (
    "Leeds, Brett Ashley, Jeffrey M. Ritter, Sara McLaughlin Mitchell and Andrew G. Long. 2002. "
    "Alliance Treaty Obligations and Provisions, 1815-1944. International Interactions 28: 237-260."
)
PEACESCIENCER = "Miller, Steven V. 2022. peacesciencer. Conflict Management and Peace Science 39(6)."

REGISTRY: dict[str, Source] = {
    s.key: s
    for s in [
        Source(
            key="atop_members",
            title="ATOP member-level agreement file",
            names=("atop/atop-4.01-members.csv", "atop5_1m.csv", "atop/atop5_1m.csv", "atop4_01m.csv"),
            columns=("atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit",
                     "phase", "wartime", "bilat", "defense", "offense", "neutral", "nonagg", "consul"),
            int_columns=("atopid", "member", "yrent", "yrexit", "phase", "wartime",
                         "defense", "offense", "neutral", "nonagg", "consul"),
            required=("atopid", "member", "yrent", "yrexit", "phase", "wartime", "defense", "offense", "neutral",
                      "nonagg", "consul"),
            citation=ATOP,
            versions=(Version("4.01", "37533634acbba64af9b900425fad50fcecb69f4a80f9f1d22d9847911bf21e40", (1815, 2016)),),
            year_columns=("yrent",),
            year_bounds=(1815, 2100),
            coverage_columns=("yrent", "yrexit"),
        ),
        Source(
            key="atop_dyads",
            title="ATOP 5.1 directed dyad-years (cross-check only)",
            names=("atop/atop-5.1-directed-dyad-years.csv.gz",),
            columns=("ccode1", "ccode2", "year", "atop_defense", "atop_offense", "atop_neutral",
                     "atop_nonagg", "atop_consul"),
            citation=ATOP + " Dyad-year file v5.1 as bundled by " + PEACESCIENCER,
            versions=(Version("5.1", "57176f23c90053b08c447ab3021144cc18f93fb1c183c14e002c5589a1befe28", (1815, 2018)),),
            year_columns=("year",),
            coverage_columns=("year",),
        ),
        Source(
            key="states",
            title="COW State System Membership",
            names=("cow/states-2016.csv", "states2016.csv"),
            columns=("ccode", "stateabb", "statenme", "styear", "stmonth", "stday", "endyear", "endmonth", "endday"),
            int_columns=("ccode", "styear", "endyear"),
            required=("ccode", "styear", "endyear"),
            citation=COW_STATES,
            versions=(Version("2016", "76733bacf602007038b72e2ebec24d37a34ba6dc36793eb7c894af82e952f735", (1816, 2016)),),
            year_columns=("styear", "endyear"),
            year_bounds=(1816, 2100),
            coverage_columns=("endyear",),
        ),
        Source(
            key="majors",
            title="COW major powers",
            names=("cow/majors-2016.csv", "majors2016.csv"),
            columns=("ccode", "styear", "endyear"),
            int_columns=("ccode", "styear", "endyear"),
            required=("ccode", "styear", "endyear"),
            citation=COW_MAJORS,
            versions=(Version("2016", "9e8b72eec51bec8bc175c2d1a1c968828c4571558e281c0b3bd554dca135100e", (1816, 2016)),),
            year_columns=("styear", "endyear"),
            year_bounds=(1816, 2100),
            coverage_columns=("endyear",),
        ),
        Source(
            key="nmc",
            title="COW National Material Capabilities",
            names=("cow/nmc-7.0.csv", "NMC-60-abridged.csv", "NMC_7.0.csv"),
            columns=("ccode", "year", "milex", "milper", "irst", "pec", "tpop", "upop", "cinc"),
            int_columns=("ccode", "year"),
            citation=NMC,
            versions=(Version("7.0", "81f5863d4d50bc3eea30a7ed0c69c6ad5deab0aef3caaf58b5e6f164edbccda8", (1816, 2022)),),
            year_columns=("year",),
            year_bounds=(1816, 2100),
            coverage_columns=("year",),
        ),
        Source(
            key="contiguity",
            title="COW Direct Contiguity",
            names=("cow/contiguity-3.2.csv",),
            columns=("ccode1", "ccode2", "conttype", "stdate", "enddate"),
            int_columns=("ccode1", "ccode2", "conttype"),
            required=("ccode1", "ccode2", "conttype", "stdate", "enddate"),
            citation="Stinnett, Douglas M., Jaroslav Tir, Philip Schafer, Paul F. Diehl and Charles Gochman. "
            "2002. The Correlates of War Project Direct Contiguity Data, Version 3. CMPS 19(2): 58-66.",
            versions=(Version("3.2", "1fbc6601fdb72823da4d0eb260028abc7a1de02c9b444b86175d699554ee2ae9", (1816, 2016)),),
            read_options={"dtype": {"stdate": str, "enddate": str}},
        ),
        Source(
            key="capitals",
            title="Capitals with coordinates",
            names=("cow/capitals.csv",),
            columns=("ccode", "capital", "stdate", "enddate", "lat", "lng"),
            int_columns=("ccode",),
            citation=PEACESCIENCER + " Capitals file (cow_capitals).",
            versions=(Version("2020", "8a350460f35b1b7dfa9d0dc4816e1d6becf1c84bbee1c96051865c35d2e0cba3", (1816, 2024)),),
            read_options={"dtype": {"stdate": str, "enddate": str}},
        ),
        Source(
            key="mindist",
            title="Minimum distance between states (CShapes 2)",
            names=("cow/min-distance-directed-dyad-years.csv.gz",),
            columns=("ccode1", "ccode2", "year", "mindist"),
            int_columns=("ccode1", "ccode2", "year"),
            citation="Schvitz, Guy et al. 2022. Mapping the International System, 1886-2019: The CShapes 2.0 "
            "Dataset. Journal of Conflict Resolution 66(1). Distances as computed by " + PEACESCIENCER,
            versions=(Version("2", "45626a2be934f95028b19189a0bc91baea85f15ac2386c6f82471912b601baf8", (1886, 2019)),),
            year_columns=("year",),
            coverage_columns=("year",),
        ),
        Source(
            key="cow_alliance",
            title="COW Formal Alliances (directed dyad-years)",
            names=("cow/alliance-4.1-directed-dyad-years.csv.gz",),
            columns=("ccode1", "ccode2", "year", "cow_defense", "cow_neutral", "cow_nonagg", "cow_entente"),
            int_columns=("ccode1", "ccode2", "year"),
            citation="Gibler, Douglas M. 2009. International Military Alliances, 1648-2008. CQ Press. v4.1.",
            versions=(Version("4.1", "7d7a73fe8b047542c2a8dfb748abee9b056402d688625390bdc22302448538f1", (1816, 2012)),),
            year_columns=("year",),
            coverage_columns=("year",),
        ),
        Source(
            key="gml_mid",
            title="Gibler-Miller-Little MIDs (directed dyad-year-dispute)",
            names=("conflict/gml-mid-2.2.1-directed-dyad-years.csv.gz",),
            columns=("dispnum", "ccode1", "ccode2", "year", "sidea1", "sidea2"),
            int_columns=("dispnum", "ccode1", "ccode2", "year"),
            citation="Gibler, Douglas M., Steven V. Miller and Erin K. Little. 2016. An Analysis of the "
            "Militarized Interstate Dispute (MID) Dataset, 1816-2001. International Studies Quarterly 60(4). v2.2.1.",
            versions=(Version("2.2.1", "f9d2935751fe5b0faa78c6f5e3d025adb8bba4ecab0f52da94c80521636a05c1", (1816, 2010)),),
            year_columns=("year",),
            coverage_columns=("year",),
        ),
        Source(
            key="td_rivalries",
            title="Thompson-Dreyer strategic rivalries",
            names=("threat/thompson-dreyer-rivalries.csv",),
            columns=("rivalryno", "ccode1", "ccode2", "styear", "endyear", "type1"),
            int_columns=("ccode1", "ccode2", "styear", "endyear"),
            citation="Thompson, William R. and David R. Dreyer. 2012. Handbook of International Rivalries, "
            "1494-2010. CQ Press.",
            versions=(Version("2012", "ec77f12e94d822e0213d8708b8fd13dd1fb32a4579dfaef082d3a53d4c77872e", (1494, 2010)),),
            year_columns=("styear", "endyear"),
            coverage_columns=("endyear",),
        ),
        Source(
            key="tss_rivalries",
            title="Thompson, Sakuwa and Suhas strategic rivalries",
            names=("threat/tss-rivalries.csv",),
            columns=("tssr_id", "ccode1", "ccode2", "start", "end"),
            int_columns=("ccode1", "ccode2", "start", "end"),
            citation="Thompson, William R., Kentaro Sakuwa and Prashant Hosur Suhas. 2022. Analyzing Strategic "
            "Rivalries in World Politics. Springer.",
            versions=(Version("2022", "7d975b0e99dabdb6a5ce72d5949066362c91615c7479a8d5c0634fb757d9294d", (1494, 2020)),),
            year_columns=("start", "end"),
            coverage_columns=("end",),
        ),
        Source(
            key="lsthreat",
            title="Leeds-Savun external threat index",
            names=("threat/leeds-savun-threat.csv",),
            columns=("ccode", "year", "lsthreat"),
            int_columns=("year",),
            citation="Leeds, Brett Ashley and Burcu Savun. 2007. Terminating Alliances: Why Do States Abrogate "
            "Agreements? Journal of Politics 69(4): 1118-1132.",
            # The bundled file runs to 2015, but every 2008 value is 0 and the 2009-2015 rows have no
            # ccode: the index itself ends in 2007.
            versions=(Version("2007", "faf99d4cb2d67c56520a84d0b337ba77839ecee97a70d5cd61232831f42ecfef", (1816, 2007)),),
            year_columns=("year",),
            coverage_columns=("year",),
        ),
        Source(
            key="terrthreat",
            title="Latent external territorial threat",
            names=("threat/territorial-threat.csv",),
            columns=("ccode", "year", "lterrthreat", "sd"),
            int_columns=("ccode", "year"),
            citation="Miller, Steven V. 2022. A Random Item Response Model of External Territorial Threat, "
            "1816-2010. Journal of Global Security Studies 7(4).",
            versions=(Version("2022", "5536272df1463d3a8591bf05eca45e0adb7e6a17e2c522ce666c77392f90f8b0", (1816, 2010)),),
            year_columns=("year",),
            coverage_columns=("year",),
        ),
        Source(
            key="democracy",
            title="V-Dem polyarchy, Polity2 and extended UDS",
            names=("regime/democracy.csv",),
            columns=("ccode", "year", "v2x_polyarchy", "polity2"),
            int_columns=("ccode", "year"),
            citation="Coppedge, Michael et al. 2020. V-Dem Dataset v10; Marshall, Monty G., Ted Robert Gurr and "
            "Keith Jaggers. 2017. Polity IV Project; as bundled by " + PEACESCIENCER,
            # Rows run to 2020, but Polity2 ends in 2017 and V-Dem polyarchy in 2019 (later values empty).
            versions=(Version("2020", "0721899bbde6d0183a0dafdb674260a1a79e07319e96684c5cd02da6a98f8725", (1816, 2019)),),
            year_columns=("year",),
            coverage_columns=("year",),
        ),
    ]
}


@dataclass(frozen=True)
class Loaded:
    """A validated source table and its provenance."""

    source: Source
    path: Path
    sha256: str
    version: str
    coverage: tuple[int, int]
    frame: pd.DataFrame

    def provenance(self) -> dict:
        return {
            "source": self.source.key,
            "title": self.source.title,
            "file": self.path.name,
            "sha256": self.sha256,
            "version": self.version,
            "coverage": list(self.coverage),
            "citation": self.source.citation,
        }


def default_data_dirs() -> list[Path]:
    """Where the data are looked for when neither ``--data-dir`` nor ``ALLIANCES_DATA`` is set.

    ``../shared/data`` relative to the working directory (a clone with the shared folder
    beside it), then relative to this repository's checkout (editable installs).
    """
    here = Path(__file__).resolve()
    return [Path.cwd().parent / "shared" / "data", here.parents[3] / "shared" / "data"]


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
    from .fetch import cache_dir

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
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_file(source: Source, data_dirs: Path | list[Path]) -> Path:
    dirs = [data_dirs] if isinstance(data_dirs, (str, Path)) else list(data_dirs)
    for folder in dirs:
        for name in source.names:
            candidate = Path(folder) / name
            if candidate.is_file():
                return candidate
    raise SourceNotFound(
        f"source '{source.key}' ({source.title}) not found in {', '.join(map(str, dirs))}: looked for "
        + ", ".join(source.names)
    )


def _read_csv(path: Path, source: Source) -> pd.DataFrame:
    try:
        header = pd.read_csv(path, nrows=0)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file
        raise SourceError(f"{path}: cannot be read as CSV ({exc})") from exc
    header.columns = [c.strip().lower() for c in header.columns]
    missing = [c for c in source.columns if c not in header.columns]
    if missing:
        raise SourceError(
            f"{path}: not a valid '{source.key}' file ({source.title}): missing column(s) "
            f"{', '.join(missing)}; found {', '.join(header.columns[:12])}"
            + (" ..." if len(header.columns) > 12 else "")
        )
    try:
        frame = pd.read_csv(path, low_memory=False, **source.read_options)
    except Exception as exc:  # noqa: BLE001
        raise SourceError(f"{path}: cannot be read as CSV ({exc})") from exc
    frame.columns = [c.strip().lower() for c in frame.columns]
    return frame


def _check_values(frame: pd.DataFrame, path: Path, source: Source) -> None:
    for col in source.required:
        empty = frame[col].isna()
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0])
            raise SourceError(
                f"{path}: column '{col}' is empty on file line {row + 2} ({int(empty.sum())} empty in all); "
                "the file may be truncated or damaged - download it again"
            )
    for col in source.int_columns:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna()
        if bad.any():
            row = int(bad.idxmax())
            raise SourceError(
                f"{path}: column '{col}' must be numeric; file line {row + 2} holds "
                f"{frame[col].iloc[row]!r}"
            )
        if col in ("ccode", "ccode1", "ccode2", "member", "atopid") and values.isna().any():
            row = int(values.isna().idxmax())
            raise SourceError(f"{path}: column '{col}' is empty on file line {row + 2}")
    lo, hi = source.year_bounds
    for col in source.year_columns:
        years = pd.to_numeric(frame[col], errors="coerce")
        # ATOP codes "still in force" as yrexit 0; COW codes ongoing spells as -9 in some releases.
        bad = years.notna() & (years > 0) & ((years < lo) | (years > hi))
        if bad.any():
            row = int(bad.idxmax())
            raise SourceError(
                f"{path}: column '{col}' holds year {years.iloc[row]:.0f} on file line {row + 2}, "
                f"outside the plausible span {lo}-{hi} for {source.title}"
            )


def load(key: str, data_dir: str | os.PathLike | list[Path] | None = None,
         path: str | os.PathLike | None = None) -> Loaded:
    """Find, hash, read and validate one source.

    Raises SourceError naming the file and the fault; warns (and records the hash) for an
    unknown version whose columns and years check out.
    """
    source = REGISTRY[key]
    dirs = data_dir if isinstance(data_dir, list) else resolve_data_dirs(data_dir)
    file = Path(path) if path is not None else find_file(source, dirs)
    if not file.is_file():
        raise SourceNotFound(f"source '{key}': file {file} does not exist")
    digest = sha256_file(file)
    frame = _read_csv(file, source)
    if frame.empty:
        raise SourceError(f"{file}: '{key}' file has a header but no rows")
    _check_values(frame, file, source)
    known = {v.sha256: v for v in source.versions}
    if digest in known:
        version, coverage = known[digest].version, known[digest].coverage
    else:
        version = f"unknown (sha256 {digest[:12]})"
        coverage = _coverage_from_data(frame, source)
        warnings.warn(
            f"{file}: unknown version of '{key}' ({source.title}); columns and years check out, "
            f"so it is used and its SHA-256 {digest} recorded in the build metadata; "
            f"coverage read from the data: {coverage[0]}-{coverage[1]}",
            UnknownVersionWarning,
            stacklevel=2,
        )
    return Loaded(source, file, digest, version, coverage, frame)


class UnknownVersionWarning(UserWarning):
    """A source file with the right layout but a SHA-256 the registry does not know."""


def _coverage_from_data(frame: pd.DataFrame, source: Source) -> tuple[int, int]:
    cols = source.coverage_columns or source.year_columns
    if not cols:
        return (source.year_bounds[0], source.year_bounds[1])
    values = pd.concat([pd.to_numeric(frame[c], errors="coerce") for c in cols])
    values = values[values > 0]
    starts = source.year_columns or cols
    first = pd.concat([pd.to_numeric(frame[c], errors="coerce") for c in starts])
    return (int(first[first > 0].min()), int(values.max()))
