"""The UN General Assembly ideal points (``unga``) and SIPRI arms transfers (``sipri``) sources,
and the panel columns built from them, checked against the raw files.

Expected values are recomputed here from the raw files with plain pandas, numpy, scipy and the
csv module (the Stata file with ``pandas.read_stata``, SIPRI's export tables cell by cell, the
name tables as CSV), never by calling the functions under test. The small broken fixtures of the
error-path tests are built in ``tmp_path``.

Sources: Bailey, Strezhnev and Voeten (2017), Voeten's release of 28 July 2025
(``unga/idealpoints-2025-07.dta``); SIPRI Arms Transfers Database, TIV export tables by supplier,
1950-2021 (``arms/sipri-tiv-1950-2021``).
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
import warnings
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, dyad
from scipy.stats import rankdata
from typer.testing import CliRunner

import alliances
from alliances.cli import app
from alliances.covariates.arms import coded_transfers
from alliances.errors import SourceError
from alliances.sources import UnknownVersionWarning, load

UNGA_FILE = Path("unga") / "idealpoints-2025-07.dta"
SIPRI_DIR = Path("arms") / "sipri-tiv-1950-2021"
NAME_TABLES = REPO / "src" / "alliances" / "data"
UNGA_COLUMNS = ["ccode", "year", "idealpointall", "idealpointfp", "nvotesall", "nvotesfp", "q5all", "q95all",
                "q5fp", "q95fp"]
#: measure suffix of the panel columns -> (ideal point, 5th and 95th posterior percentile) in the raw file
MEASURES = {"": ("idealpointall", "q5all", "q95all"), "_fp": ("idealpointfp", "q5fp", "q95fp")}
Z90 = NormalDist().inv_cdf(0.95)  # 1.6449: q5 and q95 bound the central 90% of a normal posterior


# ------------------------------------------------------------------------------------ raw readers


@pytest.fixture(scope="module")
def raw_unga(data_dir) -> pd.DataFrame:
    """The Stata file as pandas reads it (float32 columns as in the file)."""
    return pd.read_stata(data_dir / UNGA_FILE)


@pytest.fixture(scope="module")
def ideal(raw_unga) -> pd.DataFrame:
    """Raw ideal points and posterior quantiles by (ccode, year), in float64."""
    frame = raw_unga[UNGA_COLUMNS].astype({c: "float64" for c in UNGA_COLUMNS[2:]})
    frame = frame.assign(ccode=frame["ccode"].astype(int), year=frame["year"].astype(int))
    return frame.set_index(["ccode", "year"]).sort_index()


def parse_export_table(path: Path) -> tuple[str, pd.DataFrame]:
    """One SIPRI export table by hand: the supplier named in its title, and a (recipient, year,
    text, line) row for every non-empty cell of a year column (the Total row and column left out)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    supplier = re.fullmatch(r"TIV of arms exports from (.+), 1950-2021", rows[0][0]).group(1)
    header = next(i for i, r in enumerate(rows) if r and r[0] == "" and len(r) > 1 and r[1] == "1950")
    year_at = {j: int(c) for j, c in enumerate(rows[header]) if c.strip().isdigit()}
    assert sorted(year_at.values()) == list(range(1950, 2022)), path.name
    cells = []
    for number, row in enumerate(rows[header + 1:], start=header + 2):
        name = row[0].strip() if row else ""
        if not name or name == "Total":
            continue
        for j, year in year_at.items():
            text = row[j].strip() if j < len(row) else ""
            if text:
                cells.append((name, year, text, number))
    return supplier, pd.DataFrame(cells, columns=["recipient", "year", "text", "line"])


@pytest.fixture(scope="module")
def raw_sipri(data_dir) -> pd.DataFrame:
    """Every cell of every export table: supplier, recipient, year, tiv (float), file."""
    frames = []
    for path in sorted((data_dir / SIPRI_DIR).glob("TIV-Export-*.csv")):
        supplier, cells = parse_export_table(path)
        frames.append(cells.assign(supplier=supplier, file=path.name))
    out = pd.concat(frames, ignore_index=True)
    out["tiv"] = out["text"].astype(float)  # every cell of the bundled release is a number
    return out[["supplier", "recipient", "year", "tiv", "file", "line"]]


def key(name: str) -> str:
    """Names compared as the name tables' documentation says: NFKC, straight apostrophes,
    whitespace collapsed, case folded."""
    text = unicodedata.normalize("NFKC", name)
    for quote in "\u2019\u2018\u02bc`":
        text = text.replace(quote, "'")
    return " ".join(text.split()).casefold()


@pytest.fixture(scope="module")
def name_codes() -> dict[str, list[tuple[float, float, int]]]:
    """sipri_country_codes.csv read by hand: name key -> [(first year, last year, ccode)], blanks open."""
    table = pd.read_csv(NAME_TABLES / "sipri_country_codes.csv", keep_default_na=False, dtype=str)
    out: dict[str, list] = {}
    for row in table.itertuples():
        lo = float(row.first_year) if row.first_year.strip() else -math.inf
        hi = float(row.last_year) if row.last_year.strip() else math.inf
        out.setdefault(key(row.name), []).append((lo, hi, int(row.ccode)))
    return out


@pytest.fixture(scope="module")
def non_states() -> set[str]:
    table = pd.read_csv(NAME_TABLES / "sipri_non_states.csv", keep_default_na=False, dtype=str)
    return {key(n) for n in table["name"]}


def code_at(name_codes: dict, name: str, year: int) -> int | None:
    hits = [c for lo, hi, c in name_codes.get(key(name), []) if lo <= year <= hi]
    assert len(hits) <= 1, (name, year, hits)
    return hits[0] if hits else None


@pytest.fixture(scope="module")
def state_transfers(raw_sipri, name_codes) -> pd.Series:
    """Deliveries between COW states summed by (supplier code, recipient code, year), by hand."""
    codes = {}
    for side in ("supplier", "recipient"):
        uniq = raw_sipri[[side, "year"]].drop_duplicates()
        codes[side] = {(n, y): code_at(name_codes, n, y) for n, y in zip(uniq[side], uniq["year"])}
    frame = raw_sipri.assign(
        s=[codes["supplier"][(n, y)] for n, y in zip(raw_sipri["supplier"], raw_sipri["year"])],
        r=[codes["recipient"][(n, y)] for n, y in zip(raw_sipri["recipient"], raw_sipri["year"])])
    frame = frame.dropna(subset=["s", "r"])
    frame = frame[frame["s"] != frame["r"]]
    return frame.groupby([frame["s"].astype(int), frame["r"].astype(int), "year"])["tiv"].sum()


# ------------------------------------------------------------------------------- 1. UNGA source


def test_unga_source_returns_the_raw_file(data_dir, raw_unga):
    loaded = load("unga", data_dir)
    assert loaded.path == data_dir / UNGA_FILE
    assert loaded.version == "2025-07" and loaded.coverage == (1946, 2024)
    frame = loaded.frame
    assert list(frame.columns) == UNGA_COLUMNS
    # the reader filters no row: one per (ccode, year) row of the file, sorted by the key
    assert len(frame) == len(raw_unga) == 11440
    expected = raw_unga[UNGA_COLUMNS].sort_values(["ccode", "year"], ignore_index=True)
    for col in UNGA_COLUMNS:
        np.testing.assert_array_equal(frame[col].to_numpy(dtype="float64"),
                                      expected[col].to_numpy(dtype="float64"), err_msg=col)
    assert int(frame["year"].min()) == 1946 and int(frame["year"].max()) == 2024
    # 1964: the session without recorded votes has no row; all-votes estimates end in 2023
    assert 1964 not in set(frame["year"].astype(int))
    assert frame.loc[frame["year"] == 2024, "idealpointall"].isna().all()
    assert frame.loc[frame["year"] == 2024, "idealpointfp"].notna().sum() == 191
    assert int(frame.loc[frame["ccode"] == 710, "year"].min()) == 1971  # the PRC from 1971


# ----------------------------------------------------------------------- 2. UNGA panel columns

CASES = [(365, 710, 2022), (2, 365, 2022), (2, 200, 1990), (365, 710, 2010), (710, 770, 2015), (2, 710, 1971)]


@pytest.mark.parametrize(("a", "b", "year"), CASES)
def test_ideal_points_and_distance_equal_the_raw_file(panel, ideal, a, b, year):
    row = dyad(panel, a, b).loc[year]
    for sfx, (point, _, _) in MEASURES.items():
        x1, x2 = ideal.loc[(a, year), point], ideal.loc[(b, year), point]
        assert row[f"unga_ideal{sfx}1"] == x1 and row[f"unga_ideal{sfx}2"] == x2
        assert row[f"unga_distance{sfx}"] == pytest.approx(abs(x1 - x2), abs=1e-12)
        assert row[f"unga_distance{sfx}_lo"] <= row[f"unga_distance{sfx}"] <= row[f"unga_distance{sfx}_hi"]


def test_distance_is_missing_where_a_state_has_no_estimate(panel, ideal):
    us_china = dyad(panel, 2, 710)
    before = us_china.loc[1950:1970]
    # the US has estimates in every year but 1964 (the session without recorded votes)
    assert len(before) == 21 and before["unga_ideal1"].drop(1964).notna().all()
    cols = ["unga_ideal2", "unga_distance", "unga_distance_lo", "unga_distance_hi", "unga_distance_pct",
            "unga_ideal_fp2", "unga_distance_fp", "unga_distance_fp_pct"]
    assert before[cols].isna().all().all()
    assert us_china.loc[1971:2023, "unga_distance"].notna().all()
    # 1964 (no recorded votes) and 2025 (past the file): missing for every dyad and both measures
    for year in (1964, 2025):
        rows = panel[panel["year"] == year]
        assert len(rows) > 0
        assert rows[[f"unga_distance{s}{p}" for s in MEASURES for p in ("", "_lo", "_hi", "_pct")]].isna().all().all()
    # 2024: all-votes estimates end in 2023, final-passage estimates do not
    y2024 = panel[panel["year"] == 2024]
    assert y2024[["unga_ideal1", "unga_ideal2", "unga_distance", "unga_distance_pct"]].isna().all().all()
    both_fp = ideal.loc[(slice(None), 2024), "idealpointfp"].dropna().index.get_level_values("ccode")
    expected = y2024["ccode1"].isin(both_fp) & y2024["ccode2"].isin(both_fp)
    assert expected.sum() > 15000
    np.testing.assert_array_equal(y2024["unga_distance_fp"].notna().to_numpy(), expected.to_numpy())


def _expected_year(panel: pd.DataFrame, ideal: pd.DataFrame, year: int, sfx: str) -> tuple[pd.DataFrame, dict]:
    """The panel's rows of one year and the UNGA columns recomputed from the raw file with numpy."""
    point, q5, q95 = MEASURES[sfx]
    rows = panel[panel["year"] == year]
    raw = ideal.xs(year, level="year")
    x1 = rows["ccode1"].map(raw[point]).to_numpy(dtype="float64")
    x2 = rows["ccode2"].map(raw[point]).to_numpy(dtype="float64")
    sd = (raw[q95] - raw[q5]) / (2 * Z90)
    s = np.sqrt(rows["ccode1"].map(sd).to_numpy(dtype="float64") ** 2 +
                rows["ccode2"].map(sd).to_numpy(dtype="float64") ** 2)
    diff = x1 - x2
    low, high = diff - Z90 * s, diff + Z90 * s
    lo = np.where(low > 0, low, np.where(high < 0, -high, 0.0))  # the interval of |D| from that of D
    hi = np.maximum(np.abs(low), np.abs(high))
    dist = np.abs(diff)
    pct = np.full(len(rows), np.nan)
    known = ~np.isnan(dist)
    pct[known] = 100 * (rankdata(dist[known], method="average") - 0.5) / known.sum()
    return rows, {f"unga_ideal{sfx}1": x1, f"unga_ideal{sfx}2": x2, f"unga_distance{sfx}": dist,
                  f"unga_distance{sfx}_lo": np.where(known, lo, np.nan),
                  f"unga_distance{sfx}_hi": np.where(known, hi, np.nan), f"unga_distance{sfx}_pct": pct}


@pytest.mark.parametrize("year", [1950, 1971, 1990, 2022, 2023, 2024])
@pytest.mark.parametrize("sfx", list(MEASURES))
def test_whole_year_recomputed_from_the_raw_file(panel, ideal, year, sfx):
    """Every dyad of the year: ideal points, distance, folded 90% interval and mid-rank percentile
    (scipy's average ranks, 100 (rank - 0.5) / n over the year's known distances)."""
    rows, expected = _expected_year(panel, ideal, year, sfx)
    if sfx == "" and year == 2024:
        assert np.isnan(expected["unga_distance"]).all()
    else:
        assert np.isfinite(expected[f"unga_distance{sfx}"]).sum() > 1000
    for col, values in expected.items():
        np.testing.assert_allclose(rows[col].to_numpy(dtype="float64"), values, rtol=0, atol=1e-9, err_msg=col)


def test_interval_by_hand_for_one_dyad_year(panel, ideal):
    """Russia-China 2022 and US-Russia 2022 with scalar arithmetic: normal posteriors from q5/q95,
    independent, the interval of the signed difference folded onto |d|."""
    for (a, b, year), contains_zero in (((365, 710, 2022), True), ((2, 365, 2022), False)):
        row = dyad(panel, a, b).loc[year]
        r1, r2 = ideal.loc[(a, year)], ideal.loc[(b, year)]
        sd1 = (r1["q95all"] - r1["q5all"]) / (2 * 1.6448536269514722)
        sd2 = (r2["q95all"] - r2["q5all"]) / (2 * 1.6448536269514722)
        d = r1["idealpointall"] - r2["idealpointall"]
        half = 1.6448536269514722 * math.sqrt(sd1 ** 2 + sd2 ** 2)
        if contains_zero:
            assert d - half < 0 < d + half
            lo, hi = 0.0, max(abs(d - half), abs(d + half))
        else:
            assert abs(d) > half
            lo, hi = abs(d) - half, abs(d) + half
        assert row["unga_distance_lo"] == pytest.approx(lo, abs=1e-12)
        assert row["unga_distance_hi"] == pytest.approx(hi, abs=1e-12)
        assert row["unga_distance_lo"] <= row["unga_distance"] <= row["unga_distance_hi"]


def test_percentile_ties_share_the_mean_rank():
    """The convention the whole-year test relies on, on a toy year (scipy, not the package)."""
    d = np.array([0.5, 0.1, 0.5, 0.9])
    assert (100 * (rankdata(d) - 0.5) / 4).tolist() == [50.0, 12.5, 50.0, 87.5]


# -------------------------------------------------------------------------- 3. voting alignment


def _by_hand(years: list[int], pct: list[float]) -> dict[str, list]:
    """Status, onset and duration of one dyad by a plain loop over its panel years (None = missing).

    Enter at pct <= 10, leave at pct > 25; in between (or after a year with an unknown pct) the
    latest decisive year holds; not aligned before any. Onset: aligned and not aligned the year
    before (no row then = not aligned), missing if this year's or an existing previous row's
    status is unknown. Duration: years since the last aligned year before this one, else since
    the year before the first known year; also known in a year right after a known one."""
    aligned, onset, duration = [], [], []
    state = False
    first_known = None
    last_aligned = None
    for i, (year, p) in enumerate(zip(years, pct)):
        prev = i - 1 if i > 0 and years[i - 1] == year - 1 else None
        known = not math.isnan(p)
        if known:
            if p <= 10:
                state = True
            elif p > 25:
                state = False
            if first_known is None:
                first_known = year
        aligned.append(int(state) if known else None)
        if not known or (prev is not None and aligned[prev] is None):
            onset.append(None)
        else:
            onset.append(int(state and not (prev is not None and aligned[prev] == 1)))
        if known or (prev is not None and aligned[prev] is not None):
            duration.append(year - (last_aligned if last_aligned is not None else first_known - 1))
        else:
            duration.append(None)
        if known and state:
            last_aligned = year
    return {"aligned": aligned, "onset": onset, "duration": duration}


def _nullable(series: pd.Series) -> list:
    return [None if pd.isna(v) else int(v) for v in series]


@pytest.mark.parametrize("sfx", list(MEASURES))
def test_voting_alignment_follows_the_hysteresis_rule(panel, sfx):
    """Every dyad of the US, Russia or China, over its whole history."""
    rows = panel[panel["ccode1"].isin([2, 365, 710]) | panel["ccode2"].isin([2, 365, 710])]
    band = 0
    n_dyads = 0
    for (_, _), d in rows.groupby(["ccode1", "ccode2"], sort=False):
        d = d.sort_values("year")
        pct = d[f"unga_distance{sfx}_pct"].to_numpy(dtype="float64")
        hand = _by_hand(d["year"].tolist(), pct.tolist())
        for name in ("aligned", "onset", "duration"):
            got = _nullable(d[f"unga_{name}{sfx}"])
            assert got == hand[name], (name, d["ccode1"].iat[0], d["ccode2"].iat[0])
        band += int(((pct > 10) & (pct <= 25) & (np.array(hand["aligned"], dtype=float) == 1)).sum())
        n_dyads += 1
    assert n_dyads > 400
    assert band > 0  # the second threshold matters: some dyad-years stay aligned inside the band


def test_china_russia_aligned_in_2022_and_2023(panel):
    cr = dyad(panel, 365, 710)
    assert cr.loc[2022, "unga_distance_pct"] <= 10 and cr.loc[2023, "unga_distance_pct"] <= 10
    assert cr.loc[2022, "unga_aligned"] == 1 and cr.loc[2023, "unga_aligned"] == 1
    assert cr.loc[2023, "unga_onset"] == 0 and cr.loc[2023, "unga_duration"] == 1
    assert pd.isna(cr.loc[2024, "unga_aligned"])  # no all-votes estimates for 2024
    assert cr.loc[2024, "unga_duration"] == 1  # known in the year after the last known status
    assert pd.isna(cr.loc[2025, "unga_duration"])
    assert cr.loc[2024, "unga_aligned_fp"] in (0, 1)  # final-passage estimates run to 2024


def test_onset_is_exactly_aligned_after_not_aligned(panel):
    for sfx in MEASURES:
        rows = panel[panel["ccode1"].isin([2, 200, 365])].sort_values(["ccode1", "ccode2", "year"])
        a = rows[f"unga_aligned{sfx}"]
        prev_row = (rows["ccode1"].eq(rows["ccode1"].shift()) & rows["ccode2"].eq(rows["ccode2"].shift())
                    & rows["year"].eq(rows["year"].shift() + 1))
        prev = a.shift().where(prev_row, 0)  # no row the year before: not aligned
        decided = a.notna() & prev.notna()
        on = rows[f"unga_onset{sfx}"]
        assert on[decided].eq((a[decided] == 1) & (prev[decided] == 0)).all()
        assert on[~decided].isna().all()
        assert (on == 1).sum() > 50


# ------------------------------------------------------------------------------ 4. SIPRI source


@pytest.mark.parametrize("code", ["RUS", "USR", "CHI", "USA"])
def test_sipri_rows_equal_the_raw_export_table(data_dir, code):
    supplier, cells = parse_export_table(data_dir / SIPRI_DIR / f"TIV-Export-{code}-1950-2021.csv")
    frame = load("sipri", data_dir).frame
    got = frame[frame["supplier"] == supplier].sort_values(["recipient", "year"], ignore_index=True)
    expected = cells.assign(tiv=cells["text"].astype(float)).sort_values(["recipient", "year"], ignore_index=True)
    assert len(got) == len(expected) > 50
    assert got["recipient"].tolist() == expected["recipient"].tolist()
    assert got["year"].tolist() == expected["year"].tolist()
    np.testing.assert_array_equal(got["tiv"].to_numpy(), expected["tiv"].to_numpy())


def test_sipri_source_has_every_cell_of_every_file(data_dir, raw_sipri):
    loaded = load("sipri", data_dir)
    assert loaded.version == "2022-07-28" and loaded.coverage == (1950, 2021)
    frame = loaded.frame
    assert len(frame) == len(raw_sipri) == 22225
    assert frame["supplier"].nunique() == raw_sipri["supplier"].nunique() == 134
    assert frame["tiv"].sum() == pytest.approx(raw_sipri["tiv"].sum(), abs=1e-6)
    assert (frame["tiv"] == 0).sum() == (raw_sipri["tiv"] == 0).sum() > 0  # SIPRI's 0 (under 0.5m) is kept


def test_every_sipri_name_is_mapped_or_a_listed_non_state(raw_sipri, name_codes, non_states):
    assert not set(name_codes) & non_states
    unknown, no_code = set(), set()
    for side in ("supplier", "recipient"):
        for name, year in raw_sipri[[side, "year"]].drop_duplicates().itertuples(index=False):
            if key(name) in non_states:
                continue
            if key(name) not in name_codes:
                unknown.add(name)
            elif code_at(name_codes, name, year) is None:
                no_code.add((name, year))
    assert not unknown, f"names neither mapped nor listed as non-states: {sorted(unknown)}"
    assert not no_code, f"mapped names without a code in a year they appear: {sorted(no_code)[:20]}"
    names = set(raw_sipri["supplier"]) | set(raw_sipri["recipient"])
    assert len(names) > 200
    # every listed non-state occurs in the release
    assert non_states <= {key(n) for n in names}


def test_soviet_union_and_russia_are_both_365(raw_sipri, name_codes):
    soviet = raw_sipri[raw_sipri["supplier"] == "Soviet Union"]
    russia = raw_sipri[raw_sipri["supplier"] == "Russia"]
    assert soviet["year"].max() == 1991 and russia["year"].min() == 1992
    assert {code_at(name_codes, "Soviet Union", y) for y in soviet["year"]} == {365}
    assert {code_at(name_codes, "Russia", y) for y in russia["year"]} == {365}
    assert code_at(name_codes, "Soviet Union", 1992) is None  # closed window: no Soviet Union after 1991
    assert code_at(name_codes, "China", 2000) == 710


# ------------------------------------------------------------------------ 5. arms panel columns


def test_russia_to_china_deliveries_2014_2021(panel, data_dir):
    _, cells = parse_export_table(data_dir / SIPRI_DIR / "TIV-Export-RUS-1950-2021.csv")
    to_china = cells[(cells["recipient"] == "China") & cells["year"].between(2014, 2021)]
    by_year = to_china.set_index("year")["text"].astype(float)
    assert by_year.sum() == 7385
    cr = dyad(panel, 365, 710).loc[2014:2021]
    # ccode1 = 365 (Russia): arms_tiv1 is what Russia delivered to China
    assert cr["arms_tiv1"].sum() == 7385
    pd.testing.assert_series_equal(cr["arms_tiv1"], by_year.reindex(cr.index, fill_value=0.0), check_names=False)
    assert (cr["arms_tiv2"] == 0).all()  # China delivered nothing to Russia
    _, china = parse_export_table(data_dir / SIPRI_DIR / "TIV-Export-CHI-1950-2021.csv")
    assert not china["recipient"].isin(["Russia", "Soviet Union"]).any()


def test_arms_columns_equal_the_hand_coded_transfers(panel, state_transfers):
    """Every panel dyad-year of 1950-2021: arms_tiv1 = deliveries ccode1 -> ccode2 summed from the raw
    cells (names mapped with the name table), 0 where none; arms_tiv2 the other way."""
    rows = panel[panel["year"].between(1950, 2021)]
    c1, c2, year = (rows[c].to_numpy(dtype=np.int64) for c in ("ccode1", "ccode2", "year"))
    lookup = pd.Series(state_transfers.to_numpy(), index=pd.Index(
        (state_transfers.index.get_level_values(0) * 1000 + state_transfers.index.get_level_values(1)) * 10_000
        + state_transfers.index.get_level_values(2)))
    for col, (a, b) in (("arms_tiv1", (c1, c2)), ("arms_tiv2", (c2, c1))):
        expected = lookup.reindex((a * 1000 + b) * 10_000 + year).fillna(0.0).to_numpy()
        np.testing.assert_allclose(rows[col].to_numpy(dtype="float64"), expected, rtol=0, atol=1e-9, err_msg=col)
    # the panel holds most of the state-to-state volume (the rest: recipients not in the state system)
    assert rows["arms_tiv"].sum() > 0.9 * state_transfers.sum()
    # Soviet deliveries count for 365: USSR -> Egypt (651) in 1970 from the Soviet Union's table
    assert dyad(panel, 365, 651).loc[1970, "arms_tiv1"] == state_transfers.loc[(365, 651, 1970)] > 0


def test_arms_zero_inside_and_missing_outside_the_coverage(panel):
    us_nz = dyad(panel, 2, 920).loc[1949:2025]
    inside = panel[panel["year"].between(1950, 2021)]
    assert inside[["arms_tiv1", "arms_tiv2", "arms_tiv"]].notna().all().all()
    outside = panel[(panel["year"] == 1949) | (panel["year"] >= 2022)]
    assert len(outside) > 50_000
    assert outside[["arms_tiv1", "arms_tiv2", "arms_tiv"]].isna().all().all()
    # a dyad-year without a recorded delivery is 0 (China -> Nepal none in 1950), not missing
    assert dyad(panel, 710, 790).loc[1950, ["arms_tiv1", "arms_tiv2", "arms_tiv"]].tolist() == [0.0, 0.0, 0.0]
    assert us_nz.loc[1950:2021, "arms_tiv"].notna().all() and us_nz.loc[[1949, 2022], "arms_tiv"].isna().all()
    np.testing.assert_array_equal(inside["arms_tiv"].to_numpy(), (inside["arms_tiv1"] + inside["arms_tiv2"]).to_numpy())


# ---------------------------------------------------------------------------- 6. directed panel


@pytest.fixture(scope="module")
def directed(data_dir) -> pd.DataFrame:
    """A directed build of 2016-2023 (arms to 2021, UNGA all-votes to 2023)."""
    return alliances.build_panel(start=2016, end=2023, directed=True, data_dir=data_dir)


SWAPPED = [("unga_ideal1", "unga_ideal2"), ("unga_ideal_fp1", "unga_ideal_fp2"), ("arms_tiv1", "arms_tiv2")]
SYMMETRIC = ["unga_distance", "unga_distance_lo", "unga_distance_hi", "unga_distance_pct", "unga_distance_fp",
             "unga_distance_fp_pct", "arms_tiv"]


def test_directed_rows_swap_the_pair_columns(directed, panel):
    und = panel[panel["year"].between(2016, 2023)]
    assert len(directed) == 2 * len(und)
    cols = [c for pair in SWAPPED for c in pair] + SYMMETRIC
    keyed = und.set_index(["ccode1", "ccode2", "year"])[cols]
    forward = directed[directed["ccode1"] < directed["ccode2"]].set_index(["ccode1", "ccode2", "year"])[cols]
    backward = directed[directed["ccode1"] > directed["ccode2"]].set_index(["ccode2", "ccode1", "year"])[cols]
    backward.index.names = keyed.index.names  # (b, a, y) rows keyed by their undirected (a, b, y)
    forward, backward = forward.loc[keyed.index], backward.loc[keyed.index]
    pd.testing.assert_frame_equal(forward, keyed)
    for one, two in SWAPPED:
        np.testing.assert_array_equal(backward[one].to_numpy(), keyed[two].to_numpy())
        np.testing.assert_array_equal(backward[two].to_numpy(), keyed[one].to_numpy())
    pd.testing.assert_frame_equal(backward[SYMMETRIC], keyed[SYMMETRIC])
    # China's row with Russia: arms_tiv1 is China's deliveries (none), arms_tiv2 Russia's
    cn_ru = directed[(directed["ccode1"] == 710) & (directed["ccode2"] == 365)].set_index("year")
    assert cn_ru.loc[2018, "arms_tiv1"] == 0 and cn_ru.loc[2018, "arms_tiv2"] == 1767
    assert cn_ru.loc[2022, "unga_ideal1"] == dyad(panel, 365, 710).loc[2022, "unga_ideal2"]


def test_panel_of_years_after_atop_coverage_builds(data_dir):
    """A panel of recent years only (no ATOP onset in it) builds, with its behavioural columns."""
    late = alliances.build_panel(start=2018, end=2023, data_dir=data_dir)
    assert late["unga_distance"].notna().any()
    assert late["alliance_onset"].isna().all()  # ATOP's agreements end in 2016: unknown, not 0


# --------------------------------------------------------------------------------- 7. error paths


def _stata(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_stata(path, write_index=False)
    return path


def _unga_rows(years: list[int]) -> pd.DataFrame:
    n = len(years)
    return pd.DataFrame({"ccode": [2] * n, "year": years, "idealpointall": [1.5] * n, "idealpointfp": [1.4] * n,
                         "nvotesall": [80.0] * n, "nvotesfp": [60.0] * n, "q5all": [1.2] * n, "q95all": [1.8] * n,
                         "q5fp": [1.1] * n, "q95fp": [1.7] * n})


def test_stata_file_with_other_columns_is_refused(tmp_path):
    frame = pd.DataFrame({"ccode": [2, 200], "session": [45, 45], "agree": [0.3, 0.7]})
    _stata(tmp_path / UNGA_FILE, frame)
    with pytest.raises(SourceError, match=r"idealpoints-2025-07\.dta: not a valid 'unga' file .*missing column\(s\) "
                       r"year, idealpointall, .*found ccode, session, agree"):
        load("unga", tmp_path)
    with pytest.raises(SourceError, match=r"other\.dta: .*missing column\(s\) year"):
        load("unga", path=_stata(tmp_path / "other.dta", frame))


def test_not_a_stata_file_is_refused(tmp_path):
    path = tmp_path / UNGA_FILE
    path.parent.mkdir(parents=True)
    path.write_text("ccode,year\n2,1990\n")
    with pytest.raises(SourceError, match=r"idealpoints-2025-07\.dta: cannot be read as a Stata \.dta file"):
        load("unga", tmp_path)


@pytest.mark.parametrize("bad", [1900, 2999])
def test_stata_year_outside_the_plausible_span_is_refused(tmp_path, bad):
    _stata(tmp_path / UNGA_FILE, _unga_rows([1990, bad, 1992]))
    with pytest.raises(SourceError, match=rf"idealpoints-2025-07\.dta: column 'year' holds year {bad} on "
                       r"idealpoints-2025-07\.dta observation 2, outside the plausible span 1946-"):
        load("unga", tmp_path)


def test_small_valid_stata_file_is_an_unknown_version(tmp_path):
    _stata(tmp_path / UNGA_FILE, _unga_rows([1990, 1991]))
    with pytest.warns(UnknownVersionWarning, match="unknown version of 'unga'"):
        loaded = load("unga", tmp_path)
    assert loaded.coverage == (1990, 1991) and loaded.frame["idealpointall"].tolist() == [1.5, 1.5]


def _export_table(folder: Path, code: str, supplier: str, rows: list[tuple[str, dict[int, str]]]) -> Path:
    """A SIPRI export table in the bundled layout (title, notes, a year row, recipients, Total)."""
    years = list(range(1950, 2022))
    blank = [""] * (len(years) + 1)
    lines = [[f"TIV of arms exports from {supplier}, 1950-2021", *blank[1:]],
             ["Figures are SIPRI Trend Indicator Values (TIVs) expressed in millions.", *blank[1:]],
             *[blank] * 8, ["", *map(str, years), "Total"]]
    for name, cells in rows:
        lines.append([name, *(cells.get(y, "") for y in years), ""])
    lines.append(["Total", *blank[1:], ""])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"TIV-Export-{code}-1950-2021.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(lines)
    return path


def test_sipri_tiv_that_is_not_a_number_names_file_line_and_value(tmp_path):
    folder = tmp_path / SIPRI_DIR
    _export_table(folder, "CHI", "China", [("Pakistan", {1990: "12"})])
    _export_table(folder, "RUS", "Russia", [("China", {1995: "498"}), ("India", {1996: "3O1", 1997: "12"})])
    # the India row is line 13 (title, notes, 8 lines, the year row on 11, China on 12)
    with pytest.raises(SourceError, match=r"TIV-Export-RUS-1950-2021\.csv: line 13, year 1996, recipient 'India': "
                       r"TIV '3O1' is not a number"):
        load("sipri", tmp_path)


def test_sipri_valid_fixture_is_read_as_the_raw_cells(tmp_path):
    folder = tmp_path / SIPRI_DIR
    _export_table(folder, "RUS", "Russia", [("China", {1995: "498", 2000: "0"}), ("Hamas (Palestine)*", {})])
    with pytest.warns(UnknownVersionWarning):
        loaded = load("sipri", tmp_path)
    assert loaded.frame.to_dict("list") == {"supplier": ["Russia", "Russia"], "recipient": ["China", "China"],
                                            "year": [1995, 2000], "tiv": [498.0, 0.0]}
    assert loaded.coverage == (1995, 2000)


def _with_unknown_name(tmp_path: Path) -> Path:
    folder = tmp_path / SIPRI_DIR
    _export_table(folder, "RUS", "Russia", [("China", {1995: "498"}), ("Atlantis", {2001: "7"})])
    return folder


def test_unmapped_sipri_name_names_the_name_and_the_file(tmp_path):
    folder = _with_unknown_name(tmp_path)
    with pytest.warns(UnknownVersionWarning):
        loaded = load("sipri", tmp_path)
    with pytest.raises(SourceError, match=r"sipri-tiv-1950-2021: TIV-Export-RUS-1950-2021\.csv line 13, year 2001: "
                       r"recipient 'Atlantis' is neither mapped to a COW code nor listed as a non-state"):
        coded_transfers(loaded)
    # an unknown supplier (the table's title) too
    _export_table(folder, "RUS", "Atlantis", [("China", {1995: "498"})])
    with pytest.warns(UnknownVersionWarning):
        loaded = load("sipri", tmp_path)
    with pytest.raises(SourceError, match=r"supplier 'Atlantis' is neither mapped"):
        coded_transfers(loaded)


def test_mapped_sipri_name_outside_its_years_is_refused(tmp_path):
    _export_table(tmp_path / SIPRI_DIR, "USR", "Soviet Union", [("China", {1995: "10"})])
    with pytest.warns(UnknownVersionWarning):
        loaded = load("sipri", tmp_path)
    with pytest.raises(SourceError, match=r"TIV-Export-USR-1950-2021\.csv line 12, year 1995: supplier 'Soviet Union' "
                       r"has no COW code for 1995"):
        coded_transfers(loaded)


def test_build_with_an_unmapped_name_fails_and_writes_nothing(tmp_path, data_dir):
    folder = _with_unknown_name(tmp_path / "in")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["build", "--start", "2000", "--end", "2001", "--data-dir", str(data_dir),
                                   "--source", f"sipri={folder}", "--out", str(out)])
    assert res.exit_code != 0
    text = "".join(res.output.split())  # the console may wrap the message anywhere
    assert "recipient'Atlantis'isneithermapped" in text and "TIV-Export-RUS-1950-2021.csv" in text
    assert not out.exists() or not any(out.iterdir())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownVersionWarning)
        with pytest.raises(SourceError, match="Atlantis"):
            alliances.run(start=2000, end=2001, data_dir=data_dir, paths={"sipri": folder})
