"""alliances.inspect on a six-row Parquet file written here with pyarrow and the metadata keys
store.py documents (alliances.table, alliances.codebook, alliances.build): the header, the
provenance, a column's summary, a dyad's rows, and the messages naming what is wrong."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliances.codebook import dyad_year_columns
from alliances.errors import PanelError
from alliances.inspect import describe, parse_dyad

BUILD = {
    "version": "9.9.9", "build_id": "feedc0de12345678",
    "parameters": {"start": 2000, "end": 2001, "directed": False},
    "inputs": [{"source": "atop_members", "file": "atop/atop-4.01-members.csv", "version": "4.01",
                "coverage": [1815, 2018], "sha256": "0123456789abcdef" * 4}],
    "extensions": {"atop": {"coverage_end": 2018, "rule": "carry_forward", "note": "agreements in force"}},
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Dyads 2-200 (USA-UKG) and 365-710 (RUS-CHN) in 2000-2001, and 2-365 in 2000."""
    rows = pd.DataFrame({
        "ccode1": [2, 2, 2, 365, 365, 2], "ccode2": [200, 200, 365, 710, 710, 710],
        "year": [2000, 2001, 2000, 2000, 2001, 2001],
        "stateabb1": ["USA", "USA", "USA", "RUS", "RUS", "USA"],
        "stateabb2": ["UKG", "UKG", "RUS", "CHN", "CHN", "CHN"],
        "tie": ["alliance", "alliance", "none", "alignment", "alliance", "none"],
        "cap_ratio": [0.5, 0.25, 0.1, 0.2, 0.3, None],
        "atopids": [[3180], [3180], None, [], [4125], None],
    })
    table = pa.table({
        "ccode1": pa.array(rows["ccode1"], pa.int16()), "ccode2": pa.array(rows["ccode2"], pa.int16()),
        "year": pa.array(rows["year"], pa.int16()),
        "stateabb1": pa.array(rows["stateabb1"]).dictionary_encode(),
        "stateabb2": pa.array(rows["stateabb2"]).dictionary_encode(),
        "tie": pa.array(rows["tie"]).dictionary_encode(),
        "cap_ratio": pa.array(rows["cap_ratio"], pa.float64()),
        "atopids": pa.array(rows["atopids"], pa.list_(pa.int32())),
    })
    meta = {b"alliances.table": b"dyad_years",
            b"alliances.codebook": json.dumps([c.as_dict() for c in dyad_year_columns()
                                               if c.name in table.column_names]).encode(),
            b"alliances.build": json.dumps(BUILD).encode()}
    path = tmp_path_factory.mktemp("inspect") / "dyad_years.parquet"
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path


def test_header_and_column_list(small):
    text = describe(small)
    lines = text.splitlines()
    assert lines[0] == (f"{small}: table dyad_years, 6 rows, 8 columns; alliances 9.9.9, years 2000-2001, "
                        "build feedc0de12345678")
    assert lines[1:3] == ["", "columns:"]
    assert [line.split()[0] for line in lines[3:]] == ["ccode1", "ccode2", "year", "stateabb1", "stateabb2", "tie",
                                                       "cap_ratio", "atopids"]
    assert lines[3].split()[1] == "int16" and "COW country code of the first state" in lines[3]


def test_provenance(small):
    lines = describe(small, provenance=True).splitlines()
    assert lines[1] == "inputs:"
    assert lines[2].split() == ["atop_members", "atop/atop-4.01-members.csv", "v4.01", "1815-2018", "sha256",
                                "0123456789abcdef"]
    assert lines[3] == "past coverage:"
    assert lines[4].split() == ["atop", "after", "2018:", "carry_forward", "(agreements", "in", "force)"]


def test_column_summary_counts_by_hand(small):
    lines = describe(small, column="cap_ratio").splitlines()
    assert lines[2] == "column cap_ratio (float64, unit: log ratio)"
    assert lines[3].strip().startswith("log of the stronger state's CINC")
    assert lines[4] == "  sources: nmc"
    assert lines[6] == "  non-missing 5, missing 1"
    # five distinct values (<= 10): their counts under the column's name, not describe()
    assert lines[7].strip() == "cap_ratio"
    assert sorted(line.split()[0] for line in lines[8:]) == ["0.1", "0.2", "0.25", "0.3", "0.5"]
    assert all(line.split()[1] == "1" for line in lines[8:])
    tie = describe(small, column="tie").splitlines()
    assert tie[6] == "  non-missing 6, missing 0" and tie[7].strip() == "tie"
    counts = {line.split()[0]: int(line.split()[1]) for line in tie[8:]}
    assert counts == {"alliance": 3, "none": 2, "alignment": 1}


def test_dyad_rows_in_either_order_and_by_abbreviation(small):
    by_code = describe(small, dyad="710-365")
    assert describe(small, dyad="CHN-rus") == by_code == describe(small, dyad="365,710")
    lines = by_code.splitlines()
    assert lines[2] == "dyad 365-710: 2 rows"
    assert lines[3].split() == ["year", "tie", "atopids", "cap_ratio"]
    assert lines[4].split() == ["2000", "alignment", "[]", "0.2"]
    assert lines[5].split() == ["2001", "alliance", "[4125]", "0.3"]
    chosen = describe(small, dyad="USA-RUS", columns=["cap_ratio", "atopids"]).splitlines()
    assert chosen[2:] == ["dyad 2-365: 1 rows", chosen[3], chosen[4]]
    assert chosen[3].split() == ["year", "cap_ratio", "atopids"] and chosen[4].split() == ["2000", "0.1", "<NA>"]


def test_parse_dyad():
    assert parse_dyad("710-365") == (365, 710) and parse_dyad(" 2 , 200") == (2, 200)
    with pytest.raises(PanelError, match=r"dyad must look like 365-710 or RUS-CHN; got '1-2-3'"):
        parse_dyad("1-2-3")
    with pytest.raises(PanelError, match="this table has no state abbreviations to resolve 'RUS'"):
        parse_dyad("RUS-710")


@pytest.mark.parametrize("kwargs, message", [
    ({"column": "cap_ration"}, r"no column 'cap_ration' \(did you mean cap_ratio"),
    ({"dyad": "2-999"}, r"no rows for dyad 2-999 \(is each a COW system member"),
    ({"dyad": "XYZ-RUS"}, r"unknown state abbreviation 'XYZ' \(COW abbreviations such as RUS, CHN, USA\)"),
    ({"dyad": "2-200", "columns": ["tie", "ti"]}, r"no column 'ti' \(did you mean tie"),
])
def test_errors_name_the_file_and_the_value(small, kwargs, message):
    with pytest.raises(PanelError, match=message) as info:
        describe(small, **kwargs)
    if "column" in kwargs or "columns" in kwargs:
        assert str(info.value).startswith(f"{small}: no column")


def test_files_that_are_not_panels(tmp_path):
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"x": [1]}), plain)
    with pytest.raises(PanelError, match=r"plain\.parquet: Parquet file without alliances metadata"):
        describe(plain)
    with pytest.raises(PanelError, match=r"absent\.parquet: no such file; build it with `alliances build`"):
        describe(tmp_path / "absent.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(PanelError, match=r"junk\.parquet: not a readable Parquet file"):
        describe(tmp_path / "junk.parquet")
