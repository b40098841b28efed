"""Parquet output: embedded codebook and provenance, determinism, atomic writes, readers."""

from __future__ import annotations

import csv
import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO

import alliances
from alliances import store
from alliances.config import DEFAULT_END
from alliances.errors import OutputError, PanelError
from alliances.sources import REGISTRY


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_metadata_documents_every_column(written, data_dir):
    meta = store.read_metadata(written["dyad_years"])
    schema = pq.read_schema(written["dyad_years"])
    book = {c["name"]: c for c in meta["codebook"]}
    assert list(book) == schema.names
    for name in schema.names:
        assert book[name]["description"], name
        assert schema.field(name).metadata[b"description"].decode() == book[name]["description"]
    manifest = {r["file"].split("/")[-1]: r["sha256"] for r in csv.DictReader(open(data_dir / "MANIFEST.csv"))}
    for src in meta["build"]["inputs"]:
        if REGISTRY[src["source"]].folder_pattern:  # a folder's digest covers its files (test_sources checks it)
            assert len(src["sha256"]) == 64
        else:
            assert src["sha256"] == manifest[src["file"]], src["source"]
        assert src["citation"]
    ext = meta["build"]["extensions"]
    assert ext["states"]["rule"] == "carry_forward" and ext["states"]["coverage_end"] == 2016
    assert ext["nmc"]["rule"] == "missing"
    assert meta["build"]["parameters"]["end"] == DEFAULT_END


@pytest.mark.heavy
def test_same_inputs_same_bytes(build_result, written, tmp_path, data_dir):
    again = store.write_build(build_result, tmp_path / "a")
    assert digest(again["dyad_years"]) == digest(written["dyad_years"])
    # two independent builds (a shorter span keeps the test quick)
    b1 = store.write_build(alliances.run(start=2010, data_dir=data_dir), tmp_path / "b1")
    b2 = store.write_build(alliances.run(start=2010, data_dir=data_dir), tmp_path / "b2")
    for name in b1:
        assert digest(b1[name]) == digest(b2[name]), name


def _arrow(series: pd.Series) -> pa.Array:
    arr = pa.array(series.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def test_read_panel_roundtrip(written, panel):
    """Every column reads back equal to the build, in its dtype (read twenty columns at a
    time: the worker already holds the session's panel)."""
    names = pq.read_schema(written["dyad_years"]).names
    assert names == list(panel.columns)
    for i in range(0, len(names), 20):
        back = alliances.read_panel(written["dyad_years"], columns=names[i:i + 20])
        assert back.attrs["alliances"]["rows"] == len(panel) == len(back)
        for col in back.columns:
            got, want = back[col], panel[col]
            if isinstance(want.dtype, pd.CategoricalDtype):  # codes and labels (the generic check takes seconds)
                assert got.dtype == want.dtype, col
                np.testing.assert_array_equal(got.cat.codes.to_numpy(), want.cat.codes.to_numpy(), err_msg=col)
            elif isinstance(want.dtype, pd.ArrowDtype):  # list columns
                assert got.dtype == want.dtype and _arrow(got).equals(_arrow(want)), col
            else:  # text comes back as pandas' default string dtype (missing as NaN, not NA)
                pd.testing.assert_series_equal(got, want, check_dtype=not pd.api.types.is_string_dtype(want), obj=col)
    back = alliances.read_panel(written["dyad_years"], columns=["tie", "alliance_onset_atopids"])
    assert back["tie"].dtype.name == "category"
    assert pq.read_schema(written["dyad_years"]).field("alliance_onset").type == pa.int8()
    assert pq.read_schema(written["dyad_years"]).field("alliance_onset_atopids").type == pa.list_(pa.int32())
    assert back["alliance_onset_atopids"].isna().sum() == panel["alliance_onset_atopids"].isna().sum() > 0


def test_agreement_table_file(written, build_result):
    path = written["agreements"]
    assert path.name == "agreements.parquet" and path.parent == written["dyad_years"].parent
    meta = store.read_metadata(path)
    assert meta["table"] == "agreements" and meta["build"]["rows"] == len(build_result.agreement_table)
    schema = pq.read_schema(path)
    assert [c["name"] for c in meta["codebook"]] == schema.names
    assert schema.field("members").type == pa.list_(pa.int16())
    assert schema.field("alliance_onsets").type == pa.int32()
    back = alliances.read_panel(path)
    assert back["alliance_onsets"].dtype == "Int32" and back["end_year"].dtype == "Int16"
    assert back["atopid"].is_monotonic_increasing
    assert list(back.set_index("atopid").loc[2550, "founding_great_powers"]) == [2, 200, 365]


def test_export_keeps_nulls_and_lists(written, tmp_path):
    out = store.export_panel(written["agreements"], "csv", tmp_path / "agreements.csv")
    text = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("atopid")
    assert text.loc["3180", "end_year"] == "" and text.loc["3200", "end_year"] == "1980"
    assert text.loc["2550", "founding_great_powers"] == "2;200;365"
    assert text.loc["1005", "alliance_onsets"] == "" and text.loc["3180", "alliance_onsets"] == "408"


def test_read_panel_refuses_foreign_files(tmp_path):
    pq.write_table(pa.table({"x": [1]}), tmp_path / "foreign.parquet")
    with pytest.raises(PanelError, match="without alliances metadata"):
        alliances.read_panel(tmp_path / "foreign.parquet")
    with pytest.raises(PanelError, match="no such file"):
        alliances.read_panel(tmp_path / "absent.parquet")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(PanelError, match="not a readable Parquet"):
        alliances.read_panel(tmp_path / "bad.parquet")


def test_failed_write_leaves_no_partial_file(build_result, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.pq, "write_table", boom)
    with pytest.raises(OutputError, match=rf"cannot write {tmp_path}/dyad_years.parquet: disk full; check the path"):
        store.write_build(build_result, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_duckdb_reads_types_lists_and_metadata(written):
    duckdb = pytest.importorskip("duckdb")
    path = str(written["dyad_years"])
    con = duckdb.connect()
    counts = dict(con.execute(f"select tie, count(*) from '{path}' group by tie").fetchall())
    assert set(counts) == {"none", "coordination", "alignment", "alliance"}
    ids = con.execute(f"select atopids from '{path}' where ccode1 = 365 and ccode2 = 710 and year = 1896").fetchall()
    assert ids == [([1395],)]
    kv = dict(con.execute(f"select key, value from parquet_kv_metadata('{path}')").fetchall())
    book = json.loads(kv[b"alliances.codebook"])
    assert any(c["name"] == "alliance_onset" for c in book)


def test_committed_codebook_is_current():
    assert (REPO / "datasets" / "codebook.md").read_text() == store.codebook_markdown(), (
        "datasets/codebook.md is stale: run `alliances codebook`")
