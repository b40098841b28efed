"""Command line: build, inspect, sources and their error messages."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliances.cli import app

runner = CliRunner()


def _build(tmp_path_factory, data_dir, start: int, end: int) -> Path:
    """`alliances build` in its own process: the build's memory does not add to this worker's."""
    out = tmp_path_factory.mktemp(f"cli_{start}_{end}")
    result = subprocess.run([sys.executable, "-c", "from alliances.cli import app; app()", "build", "--start",
                             str(start), "--end", str(end), "--data-dir", str(data_dir), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory, data_dir):
    return _build(tmp_path_factory, data_dir, 1990, 2022)


@pytest.fixture(scope="module")
def small_built(tmp_path_factory, data_dir):
    """Three years only: exports of the whole format path without a million-row Stata file."""
    return _build(tmp_path_factory, data_dir, 2014, 2016)


def test_build_writes_both_files(built):
    assert (built / "dyad_years.parquet").is_file() and (built / "agreement_dyads.parquet").is_file()
    assert not list(built.glob("*.tmp"))


def test_inspect_dyad_by_code_and_by_abbreviation(built):
    path = str(built / "dyad_years.parquet")
    by_code = runner.invoke(app, ["inspect", path, "--dyad", "710-365"])
    by_abb = runner.invoke(app, ["inspect", path, "--dyad", "CHN-RUS"])
    assert by_code.exit_code == 0, by_code.output
    assert "dyad 365-710: 33 rows" in by_code.output
    assert by_code.output == by_abb.output
    assert "[3755, 4810, 4980, 6020]" in by_code.output
    assert "carry_forward" not in by_code.output  # provenance only when asked
    chosen = runner.invoke(app, ["inspect", path, "--dyad", "CHN-RUS", "--columns", "tie,portfolio_s", "--provenance"])
    assert chosen.exit_code == 0, chosen.output
    assert "atop_members" in chosen.output and "carry_forward" in chosen.output
    table = chosen.output.split("rows\n", 1)[1].splitlines()
    assert table[0].split() == ["year", "tie", "portfolio_s"] and len(table) == 34


def test_inspect_column_and_errors(built):
    path = str(built / "dyad_years.parquet")
    ok = runner.invoke(app, ["inspect", path, "--column", "cap_ratio"])
    assert ok.exit_code == 0 and "log of the stronger" in ok.output
    bad = runner.invoke(app, ["inspect", path, "--column", "cap_ration"])
    assert bad.exit_code == 3 and "did you mean cap_ratio" in bad.output
    nodyad = runner.invoke(app, ["inspect", path, "--dyad", "XYZ-RUS"])
    assert nodyad.exit_code == 3 and "unknown state abbreviation 'XYZ'" in nodyad.output


def test_build_errors_are_clear_and_leave_nothing(tmp_path, data_dir):
    out = tmp_path / "out"
    res = runner.invoke(app, ["build", "--data-dir", str(tmp_path / "none"), "--out", str(out)])
    assert res.exit_code == 3 and "does not exist" in res.output
    res = runner.invoke(app, ["build", "--data-dir", str(data_dir), "--source", "atop=x.csv", "--out", str(out)])
    assert res.exit_code == 2 and "KEY=PATH with KEY one of" in res.output
    res = runner.invoke(app, ["build", "--start", "2000", "--end", "1990", "--data-dir", str(data_dir), "--out", str(out)])
    assert res.exit_code == 2 and "start <= end" in res.output
    assert not out.exists()


def test_official_atop_layout_builds_to_its_coverage(tmp_path, data_dir):
    """A member-level file of another release (here: the bundled one with its last agreement
    removed, so its hash is unknown) is accepted with a warning and recorded."""
    lines = (data_dir / "atop" / "atop-4.01-members.csv").read_text().splitlines()
    official = tmp_path / "atop5_1m.csv"
    official.write_text("\n".join(lines[:-1]) + "\n")
    res = runner.invoke(app, ["build", "--start", "2010", "--data-dir", str(data_dir),
                              "--source", f"atop_members={official}", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "unknown version of 'atop_members'" in res.output


def test_sources_lists_every_source(data_dir):
    res = runner.invoke(app, ["sources", "--data-dir", str(data_dir), "--json"])
    assert res.exit_code == 0
    assert '"source": "atop_members"' in res.output and '"version": "4.01"' in res.output


def test_export_csv_and_stata(small_built, tmp_path):
    import pandas as pd

    path = str(small_built / "dyad_years.parquet")
    res = runner.invoke(app, ["export", path, "--format", "dta", "--out", str(tmp_path / "p.dta")])
    assert res.exit_code == 0, res.output
    with pd.io.stata.StataReader(tmp_path / "p.dta") as reader:
        assert reader.value_labels()["tie"] == {0: "none", 1: "coordination", 2: "alignment", 3: "alliance"}
    dta = pd.read_stata(tmp_path / "p.dta")
    row = dta[(dta["ccode1"] == 365) & (dta["ccode2"] == 710) & (dta["year"] == 2016)].iloc[0]
    assert row["tie"] == "alignment" and row["atopids"] == "3755;4810;4980;6020"
    res = runner.invoke(app, ["export", path, "--out", str(tmp_path / "p.csv")])
    assert res.exit_code == 0
    csv = pd.read_csv(tmp_path / "p.csv", low_memory=False)
    assert len(csv) == len(dta) and csv["tie"].iloc[0] in {"none", "coordination", "alignment", "alliance"}
    bad = runner.invoke(app, ["export", path, "--format", "xlsx"])
    assert bad.exit_code == 2 and "csv or dta" in bad.output


def test_predict_and_fit_refuse_bad_input_before_fitting(built, tmp_path):
    panel = str(built / "dyad_years.parquet")
    spec = tmp_path / "s.toml"
    spec.write_text('outcome = "alliance_onset"\ncovariates = ["cap_ratio", "log_capdist"]\n[sample]\nyears = [1990, 2016]\n')
    cases = [  # (arguments, exit code, message): 2 a bad option value, 3 a bad input file or value
        (["fit", str(tmp_path / "nosuch.toml"), "--panel", panel], 3, "cannot read the specification"),
        (["fit", str(spec), "--panel", panel, "--estimators", ","], 2, "names no estimator"),
        (["predict", "--panel", panel, "--model", str(spec), "--years", "2020-1990"], 2, "first year after last"),
        (["predict", "--panel", panel, "--model", str(spec), "--dyad", "CHN-XXX"], 3, "unknown state abbreviation"),
        (["predict", "--panel", panel, "--model", str(tmp_path / "bad.json")], 3, "not a readable saved result"),
    ]
    (tmp_path / "bad.json").write_text("{not json")
    for args, code, message in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == code and message in res.output, (args, res.output)
        assert "fitting" not in res.output
    res = runner.invoke(app, ["predict", "--panel", panel, "--model", str(spec), "--sims", "0"])
    assert res.exit_code == 2  # typer's own range check


def test_predict_dyad_with_tie_in_force_at_the_end(built, tmp_path):
    """US-Canada has an alliance in force in 2022: predictions are written, survival curves skipped."""
    spec = tmp_path / "s.toml"
    spec.write_text('outcome = "alliance_onset"\ncovariates = ["cap_ratio", "log_capdist"]\n[sample]\nyears = [1990, 2016]\n')
    res = runner.invoke(app, ["predict", "--panel", str(built / "dyad_years.parquet"), "--model", str(spec),
                              "--estimators", "logit", "--dyad", "2-20", "--sims", "50", "--no-figures",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "predictions.csv").is_file() and not (tmp_path / "o" / "survival.csv").exists()


def test_every_command_in_the_readme_exists():
    """Each `alliances NAME` the README documents is a command (guards renames such as fetch)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    names = set(re.findall(r"`alliances ([a-z]+)", readme))
    assert {"build", "fetch", "multiverse", "sources"} <= names
    for name in sorted(names):
        res = runner.invoke(app, [name, "--help"])
        assert res.exit_code == 0, (name, res.output)


def test_fit_names_an_unknown_covariate_against_the_whole_panel(written, tmp_path):
    """`alliances fit` reads only the columns a specification needs, but an unknown covariate is
    checked against every column of the file, so the closest match is suggested (exit 3)."""
    spec = tmp_path / "typo.toml"
    spec.write_text('outcome = "alliance_onset"\ncovariates = ["cap_ration"]\n')
    res = runner.invoke(app, ["fit", str(spec), "--panel", str(written["dyad_years"])])
    assert res.exit_code == 3, res.output
    assert "'cap_ration' (did you mean 'cap_ratio'" in " ".join(res.output.split())
