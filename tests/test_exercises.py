"""Joint-exercise dyad-year columns from the Multinational Military Exercises data.

D'Orazio, Vito and Kevin Galambos. 2021. Multinational Military Exercises, 1980-2010.
Harvard Dataverse, V7. doi:10.7910/DVN/KHFODX (``exercises/mme-7.csv``).

The real-file tests read the file from ``$ALLIANCES_DATA`` or ``../shared/data`` and are
skipped, with the reason, when it is absent; the fixture tests need no data.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alliances.covariates import exercises as ex
from alliances.errors import SourceError
from alliances.sources import default_data_dirs

MME_FILE = Path("exercises") / "mme-7.csv"
STATES_FILE = Path("cow") / "states-2016.csv"


def _data_file(relative: Path) -> Path | None:
    dirs = [Path(os.environ["ALLIANCES_DATA"])] if os.environ.get("ALLIANCES_DATA") else []
    dirs += [*default_data_dirs(), Path("/work/shared/data")]
    return next((d / relative for d in dirs if (d / relative).is_file()), None)


@pytest.fixture(scope="module")
def mme_path() -> Path:
    path = _data_file(MME_FILE)
    if path is None:
        pytest.skip(f"real MME file {MME_FILE} not found in $ALLIANCES_DATA or ../shared/data")
    return path


@pytest.fixture(scope="module")
def mme(mme_path) -> pd.DataFrame:
    return pd.read_csv(mme_path)


@pytest.fixture(scope="module")
def raw(mme_path) -> pd.DataFrame:
    """The file as plain text, for counts made independently of the module."""
    return pd.read_csv(mme_path, dtype=str, keep_default_na=False)


def _state_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.lower().startswith("state")]


# ---------------------------------------------------------------------------- real file: names


def test_every_participant_name_is_mapped_or_listed(raw):
    codes = pd.read_csv(Path(ex.__file__).parents[1] / "data" / "mme_country_codes.csv", keep_default_na=False)
    nonstates = pd.read_csv(Path(ex.__file__).parents[1] / "data" / "mme_non_states.csv", keep_default_na=False,
                            dtype=str)
    known = {ex.normalise_name(n) for n in codes["name"]} | {ex.normalise_name(n) for n in nonstates["name"]}
    names = pd.unique(raw[_state_columns(raw)].to_numpy().ravel())
    names = [n for n in names if n.strip()]
    unknown = sorted(n for n in names if ex.normalise_name(n) not in known)
    assert not unknown, f"names neither mapped nor listed as non-states: {unknown}"
    assert len(names) == 194  # distinct entries in v7, incl. '-9' and 'st. christopher'
    # every listed non-state occurs in v7 and no name is both a state and a non-state
    present = {ex.normalise_name(n) for n in names}
    assert {ex.normalise_name(n) for n in nonstates["name"]} <= present
    assert not {ex.normalise_name(n) for n in codes["name"]} & {ex.normalise_name(n) for n in nonstates["name"]}
    assert set(nonstates["kind"]) <= {"unspecified", "organisation", "region", "dependency"}
    ex.participants(raw)  # raises on any unmapped name


def test_participants_long_table(mme):
    long = ex.participants(mme)
    assert not long.duplicated(["exercise", "ccode"]).any()
    # every exercise naming at least one state appears (v7: 91 rows list only '-9')
    named = mme[_state_columns(mme)].apply(lambda s: s.astype("string").str.strip().ne("-9") & s.notna()).any(axis=1)
    assert long["exercise"].nunique() == int(named.sum()) == len(mme) - 91
    # MMEIDs repeat in v7: the exercise key is the row, so both mme3460 rows are kept
    assert long.loc[long["mmeid"] == "mme3460", "exercise"].nunique() == 2
    # the same result from the loader's lowercased column names
    lower = ex.participants(mme.rename(columns=str.lower))
    pd.testing.assert_frame_equal(long, lower)
    # Tradewinds 2002 lists Dominica twice: counted once
    tw = long[long["mmeid"] == "mme3498"]
    assert (tw["ccode"] == 54).sum() == 1


# ------------------------------------------------------------------ real file: state membership

# (ccode, year) pairs in which a mapped participant is not a COW system member, with the reason
MEMBERSHIP_EXCEPTIONS = {
    **{(955, y): "Tonga: independent since 1970 but a COW member only from 1999 (v7 lists it 1988-1995)"
       for y in (1988, 1989, 1990, 1991, 1993, 1995)},
    (626, 2010): "South Sudan: in Africa Endeavour 2010, before independence (9 July 2011)",
}


def test_mapped_codes_are_cow_members_in_the_exercise_years(mme):
    path = _data_file(STATES_FILE)
    if path is None:
        pytest.skip(f"COW state list {STATES_FILE} not found")
    states = pd.read_csv(path)
    codes = ex.country_codes()
    assert set(codes["ccode"]) <= set(states["ccode"]), set(codes["ccode"]) - set(states["ccode"])
    # each mapping window overlaps a membership spell of its code
    for row in codes.itertuples():
        spells = states[states["ccode"] == row.ccode]
        assert ((spells["endyear"] >= row.lo) & (spells["styear"] <= row.hi)).any(), row.name

    long = ex.participants(mme)
    span = (long["end_year"] - long["start_year"] + 1).to_numpy()
    years = pd.DataFrame({"ccode": np.repeat(long["ccode"].to_numpy(), span),
                          "year": np.concatenate([np.arange(s, e + 1) for s, e in
                                                  zip(long["start_year"], long["end_year"])])}).drop_duplicates()
    spells = years.merge(states[["ccode", "styear", "endyear"]], on="ccode")
    inside = spells[(spells["styear"] <= spells["year"]) & (spells["year"] <= spells["endyear"])]
    outside = years.merge(inside[["ccode", "year"]], how="left", indicator=True)
    outside = {(int(c), int(y)) for c, y in outside.loc[outside["_merge"] == "left_only", ["ccode", "year"]].to_numpy()}
    assert outside == set(MEMBERSHIP_EXCEPTIONS), (
        f"new non-members: {sorted(outside - set(MEMBERSHIP_EXCEPTIONS))}; "
        f"stale exceptions: {sorted(set(MEMBERSHIP_EXCEPTIONS) - outside)}")


def test_year_dependent_names():
    frame = _mme([
        ("a", 1985, 1985, ["Germany", "Federal Republic of Germany", "German Democratic Republic", "Yemen"]),
        ("b", 1991, 1991, ["Germany", "Yemen", "Czechia", "Russia"]),
        ("c", 1990, 1990, ["Czechoslovakia", "Soviet Union"]),
        ("d", 1994, 1994, ["Czechia", "Russia"]),
    ])
    long = ex.participants(frame)
    got = {m: sorted(long.loc[long["mmeid"] == m, "ccode"].tolist()) for m in "abcd"}
    # 1985: 'Germany' and the FRG are both West Germany (260), counted once; Yemen = Yemen Arab Republic.
    # 1991: unified Germany and Yemen; 'Czechia' before 1993 is Czechoslovakia (315), from 1993 316.
    assert got == {"a": [260, 265, 678], "b": [255, 315, 365, 679], "c": [315, 365], "d": [316, 365]}


# ----------------------------------------------------------------- real file: hand-counted values


def _hand_count(raw: pd.DataFrame, a: str, b: str, year: int) -> tuple[int, int, int]:
    """(exercises, bilateral, sea) for names a and b in ``year``, by plain string matching."""
    cols = _state_columns(raw)
    cells = raw[cols].apply(lambda s: s.str.strip())
    running = (raw["s.year"].astype(int) <= year) & (raw["e.year"].astype(int) >= year)
    both = running & cells.eq(a).any(axis=1) & cells.eq(b).any(axis=1)
    n_entries = cells.ne("").sum(axis=1)
    distinct = cells.apply(lambda r: len({v for v in r if v}), axis=1)
    bilateral = both & (distinct == 2) & (n_entries == 2)  # two named states and nothing else (no -9/NATO)
    sea = both & raw["Sea"].eq("1")
    return int(both.sum()), int(bilateral.sum()), int(sea.sum())


@pytest.mark.parametrize(
    ("a", "b", "c1", "c2", "year", "expected"),
    [
        ("United States", "United Kingdom", 2, 200, 1985, (10, 1, 6)),  # 'brave defender' is the bilateral one
        ("China", "Russia", 365, 710, 2005, (1, 1, 1)),  # Peace Mission 2005
        ("Egypt", "United States", 2, 651, 1980, (3, 3, 0)),  # Saudi Arabian skies, Bright Star 80, mme109
        ("China", "Russia", 365, 710, 2007, (3, 1, 1)),  # Peace Mission 2007, Cooperation 2007, mme2938 (naval)
    ],
)
def test_hand_counted_dyad_years(mme, raw, a, b, c1, c2, year, expected):
    hand = _hand_count(raw, a, b, year)
    assert hand == expected
    dyads = pd.DataFrame({"ccode1": [c1], "ccode2": [c2], "year": [year]})
    got = ex.exercise_dyad_years(mme, dyads).iloc[0]
    assert (got["mme_exercises"], got["mme_bilateral"], got["mme_sea"]) == hand
    assert got["mme_years_since"] == 0


def test_real_values_na_outside_coverage_and_zero_inside(mme):
    dyads = pd.DataFrame({"ccode1": [2, 2, 2, 2], "ccode2": [200, 200, 200, 40], "year": [1979, 2011, 1990, 1990]})
    got = ex.exercise_dyad_years(mme, dyads)
    assert got.iloc[:2].isna().all().all()
    assert got.loc[2, "mme_exercises"] > 0
    assert got.loc[3, "mme_exercises"] == 0 and pd.isna(got.loc[3, "mme_years_since"])


# ---------------------------------------------------------------------------------- fixture


def _mme(rows: list[tuple]) -> pd.DataFrame:
    """An MME-shaped frame: (mmeid, s.year, e.year, participants, flags...)."""
    width = max(len(r[3]) for r in rows)
    letters = [chr(ord("A") + i) for i in range(width)]
    records = []
    for row in rows:
        mmeid, start, end, names = row[:4]
        flags = row[4] if len(row) > 4 else {}
        rec = {"MMEID": mmeid, "s.year": start, "e.year": end}
        rec.update({f: int(f in flags) for f in ("CPX", "Air", "Land", "Sea", "Amphibious", "Cyber",
                                                 "Warfighting", "Peacekeeping", "Humanitarian")})
        rec.update({f"State{x}": (names[i] if i < len(names) else np.nan) for i, x in enumerate(letters)})
        records.append(rec)
    return pd.DataFrame(records)


US, CAN, MEX, CUBA = 2, 20, 70, 40
FIXTURE = [
    # bilateral naval exercise; Canada listed twice (once in another case) counts once
    ("e1", 2000, 2000, ["United States", "Canada", " canada"], {"Sea", "Warfighting"}),
    # three states, runs 2000-2002
    ("e2", 2000, 2002, ["Canada", "United States", "Mexico"], {"Land", "Humanitarian"}),
    # two named states plus -9 (unnamed others): not bilateral
    ("e3", 2004, 2004, ["-9", "united  states", "MEXICO", "NATO"], {"Air", "Peacekeeping", "CPX"}),
]
YEARS = [1979, 1999, 2000, 2001, 2002, 2003, 2004, 2005, 2011]
NA = pd.NA
# expected[dyad] = {column: values for YEARS}
EXPECTED = {
    (US, CAN): {"mme_exercises": [NA, 0, 2, 1, 1, 0, 0, 0, NA],
                "mme_bilateral": [NA, 0, 1, 0, 0, 0, 0, 0, NA],
                "mme_sea": [NA, 0, 1, 0, 0, 0, 0, 0, NA],
                "mme_land": [NA, 0, 1, 1, 1, 0, 0, 0, NA],
                "mme_warfighting": [NA, 0, 1, 0, 0, 0, 0, 0, NA],
                "mme_humanitarian": [NA, 0, 1, 1, 1, 0, 0, 0, NA],
                "mme_air": [NA, 0, 0, 0, 0, 0, 0, 0, NA],
                "mme_years_since": [NA, NA, 0, 0, 0, 1, 2, 3, NA]},
    (US, MEX): {"mme_exercises": [NA, 0, 1, 1, 1, 0, 1, 0, NA],
                "mme_bilateral": [NA, 0, 0, 0, 0, 0, 0, 0, NA],
                "mme_air": [NA, 0, 0, 0, 0, 0, 1, 0, NA],
                "mme_cpx": [NA, 0, 0, 0, 0, 0, 1, 0, NA],
                "mme_peacekeeping": [NA, 0, 0, 0, 0, 0, 1, 0, NA],
                "mme_years_since": [NA, NA, 0, 0, 0, 1, 0, 1, NA]},
    (CAN, MEX): {"mme_exercises": [NA, 0, 1, 1, 1, 0, 0, 0, NA],
                 "mme_land": [NA, 0, 1, 1, 1, 0, 0, 0, NA],
                 "mme_years_since": [NA, NA, 0, 0, 0, 1, 2, 3, NA]},
    (US, CUBA): {c: [NA, 0, 0, 0, 0, 0, 0, 0, NA] for c in ex.COLUMN_NAMES[:-1]}
    | {"mme_years_since": [NA] * 9},
}


def test_fixture_counts():
    frame = _mme(FIXTURE)
    dyads = pd.DataFrame([(a, b, y) for (a, b) in EXPECTED for y in YEARS], columns=["ccode1", "ccode2", "year"])
    # shuffled, with a non-default index: the result must follow dyads row for row
    dyads = dyads.sample(frac=1, random_state=3).set_axis(np.arange(len(dyads)) * 7 + 5)
    got = ex.exercise_dyad_years(frame, dyads)
    assert list(got.columns) == ex.COLUMN_NAMES
    assert got.index.equals(dyads.index)
    assert all(str(t) == "Int16" for t in got.dtypes)
    table = pd.concat([dyads, got], axis=1).set_index(["ccode1", "ccode2", "year"]).sort_index()
    for (a, b), columns in EXPECTED.items():
        for col, values in columns.items():
            actual = table.loc[(a, b), col].reindex(YEARS).tolist()
            assert actual == values, f"{(a, b)} {col}: {actual} != {values}"


def test_fixture_participants_and_coverage_argument():
    long = ex.participants(_mme(FIXTURE))
    assert sorted(long.loc[long["mmeid"] == "e1", "ccode"]) == [US, CAN]
    assert long.groupby("mmeid")["bilateral"].first().to_dict() == {"e1": True, "e2": False, "e3": False}
    assert long.groupby("mmeid")["unnamed_participants"].first().to_dict() == {"e1": False, "e2": False, "e3": True}
    # a narrower coverage: 2001 is outside, and years since restart at the coverage start
    dyads = pd.DataFrame({"ccode1": [US, US, US], "ccode2": [CAN, CAN, CAN], "year": [2001, 2002, 2003]})
    got = ex.exercise_dyad_years(_mme(FIXTURE), dyads, coverage=(2002, 2010))
    assert got["mme_exercises"].tolist() == [NA, 1, 0]
    assert got["mme_years_since"].tolist() == [NA, 0, 1]
    # ccode order within the dyad does not matter
    flipped = ex.exercise_dyad_years(_mme(FIXTURE), dyads.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"}))
    pd.testing.assert_frame_equal(flipped, ex.exercise_dyad_years(_mme(FIXTURE), dyads))


def test_codebook_entries():
    assert [c.name for c in ex.COLUMNS] == ex.COLUMN_NAMES
    for col in ex.COLUMNS:
        assert col.sources == ("mme",) and col.dtype == "Int16" and col.unit and col.description
        assert "1980-2010" in col.extension and "missing" in col.extension


# ----------------------------------------------------------------------------------- errors


def test_unknown_name_raises_naming_it():
    frame = _mme(FIXTURE + [("e9", 2001, 2001, ["Canada", "Mexico", "Atlantis"])])
    with pytest.raises(SourceError, match=r"MME participant 'Atlantis' \(MMEID e9, column 'StateC', row \d+\) is "
                                          r"neither mapped to a COW code"):
        ex.participants(frame)
    with pytest.raises(SourceError, match=r"MME participant 'Atlantis' \(MMEID e9, column 'StateC'"):
        ex.exercise_dyad_years(frame, pd.DataFrame({"ccode1": [2], "ccode2": [20], "year": [2001]}))


def test_name_without_code_for_the_year_raises():
    frame = _mme([("e1", 1995, 1995, ["Canada", "German Democratic Republic"])])
    with pytest.raises(SourceError, match=r"MME participant 'German Democratic Republic' \(MMEID e1, column "
                                          r"'State.'\) has no COW code for the exercise's start year 1995"):
        ex.participants(frame)


def test_bad_flag_raises():
    frame = _mme(FIXTURE)
    frame.loc[1, "Sea"] = 2
    with pytest.raises(SourceError, match=r"MME column 'Sea' holds 2 for MMEID e2 \(row 1\); expected 0 or 1"):
        ex.participants(frame)
