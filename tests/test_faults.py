"""Fault injection: damaged, re-encoded, out-of-range and inconsistent inputs; unwritable,
full and interrupted outputs; corrupt Parquet into every command that reads one; hostile
command-line values.

Each case runs the command as a user would (typer's runner, in-process) on a copy of the
real data with one file changed, and asserts the exit code (README "Exit codes": 0 ok,
2 bad option value, 3 bad input, 5 operating-system error, 130 interrupted), the message,
and that nothing partial is left behind.
"""

from __future__ import annotations

import errno
import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from alliances import atomic, store
from alliances.cli import app

runner = CliRunner()
YEARS = ["--start", "2012", "--end", "2022"]  # a small panel: every source is still read and checked

ATOP = "atop/atop-4.01-members.csv"
NMC = "cow/nmc-7.0.csv"
STATES = "cow/states-2016.csv"
CONTIG = "cow/contiguity-3.2.csv"
CAPITALS = "cow/capitals.csv"
MINDIST = "cow/min-distance-directed-dyad-years.csv.gz"


def copy_data(data_dir: Path, target: Path) -> Path:
    """A data folder of symlinks to the real files (changed files are replaced, not edited)."""
    for src in data_dir.rglob("*"):
        if src.is_file():
            dst = target / src.relative_to(data_dir)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src)
    return target


def with_file(tmp_path: Path, data_dir: Path, rel: str, content: bytes | str) -> Path:
    """A copy of the data folder where ``rel`` holds ``content``."""
    folder = copy_data(data_dir, tmp_path / "data")
    (folder / rel).unlink()
    if isinstance(content, str):
        content = content.encode()
    (folder / rel).write_bytes(content)
    return folder


def lines(data_dir: Path, rel: str) -> list[str]:
    return (data_dir / rel).read_text().splitlines()


def csv(rows: list[str]) -> str:
    return "\n".join(rows) + "\n"


def frame_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def build(folder: Path, out: Path, *extra: str):
    return runner.invoke(app, ["build", *YEARS, "--data-dir", str(folder), "--out", str(out), *extra])


def assert_refused(res, code: int, *fragments: str, out: Path | None = None) -> None:
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    for fragment in fragments:
        assert fragment in res.output, (fragment, res.output)
    if out is not None:
        assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())


@pytest.fixture(scope="module")
def reference(tmp_path_factory, data_dir) -> Path:
    """The small build on the untouched data."""
    out = tmp_path_factory.mktemp("reference")
    res = build(data_dir, out)
    assert res.exit_code == 0, res.output
    return out


def same_panel(a: Path, b: Path) -> None:
    """The same rows and values; the metadata differs at most in the recorded byte hashes."""
    for name in ("dyad_years", "agreement_dyads", "agreements"):
        left, right = pq.read_table(a / f"{name}.parquet"), pq.read_table(b / f"{name}.parquet")
        assert left.equals(right), name
    ma, mb = store.read_metadata(a / "dyad_years.parquet"), store.read_metadata(b / "dyad_years.parquet")
    versions = lambda m: {i["source"]: (i["version"], i["content_sha256"], tuple(i["coverage"])) for i in m["build"]["inputs"]}
    assert versions(ma) == versions(mb)


# --- damaged inputs --------------------------------------------------------------------------

def test_atop_cut_mid_line(tmp_path, data_dir):
    rows = lines(data_dir, ATOP)[:867]
    rows[-1] = ",".join(rows[-1].split(",")[:30])
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, ATOP, csv(rows)), out)
    assert_refused(res, 3, "atop-4.01-members.csv", "line 867 has 30 field(s)", "truncated", out=out)


def test_nmc_cut_in_half(tmp_path, data_dir):
    text = (data_dir / NMC).read_text()
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, NMC, text[: len(text) // 2]), out)
    assert_refused(res, 3, "nmc-7.0.csv", "field(s)", out=out)


def test_compressed_file_cut(tmp_path, data_dir):
    raw = (data_dir / MINDIST).read_bytes()
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, MINDIST, raw[: len(raw) // 2]), out)
    assert_refused(res, 3, "min-distance-directed-dyad-years.csv.gz", "cannot be read as CSV", out=out)


def test_empty_file(tmp_path, data_dir):
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, STATES, b""), out)
    assert_refused(res, 3, "states-2016.csv", "cannot be read as CSV", out=out)


def test_header_only(tmp_path, data_dir):
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, NMC, lines(data_dir, NMC)[0] + "\n"), out)
    assert_refused(res, 3, "nmc-7.0.csv", "header but no rows", out=out)


def test_binary_garbage(tmp_path, data_dir):
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, CONTIG, bytes(range(256)) * 40), out)
    assert_refused(res, 3, "contiguity-3.2.csv: not a UTF-8 text CSV file", out=out)


def test_not_utf8(tmp_path, data_dir):
    rows = lines(data_dir, STATES)
    rows[5] = rows[5].replace("Cuba", "Cub\xe1")
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, STATES, csv(rows).encode("latin-1")), out)
    assert_refused(res, 3, "states-2016.csv: not a UTF-8 text CSV file", "save it as UTF-8", out=out)


def test_not_utf8_deep_in_the_file(tmp_path, data_dir):
    rows = lines(data_dir, NMC)
    rows[-1] = "\xe9" + rows[-1]
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, NMC, csv(rows).encode("latin-1")), out)
    assert_refused(res, 3, f"nmc-7.0.csv: column 'ccode' is not UTF-8 text on line {len(rows)}", out=out)


def test_missing_column(tmp_path, data_dir):
    nmc = pd.read_csv(data_dir / NMC).drop(columns="cinc")
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, NMC, frame_csv(nmc)), out)
    assert_refused(res, 3, "nmc-7.0.csv", "missing column(s) cinc", out=out)


def test_text_in_a_code_column(tmp_path, data_dir):
    states = pd.read_csv(data_dir / STATES, dtype=str)
    states.loc[10, "ccode"] = "abc"
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, STATES, frame_csv(states)), out)
    assert_refused(res, 3, "column 'ccode' must be numeric; line 12 holds 'abc'", out=out)


def test_fraction_in_a_code_column(tmp_path, data_dir):
    nmc = pd.read_csv(data_dir / NMC)
    nmc["ccode"] = nmc["ccode"].astype(float)
    nmc.loc[3, "ccode"] = 2.5
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, NMC, frame_csv(nmc)), out)
    assert_refused(res, 3, "column 'ccode' must hold whole numbers; line 5 holds 2.5", out=out)


def test_empty_pledge(tmp_path, data_dir):
    atop = pd.read_csv(data_dir / ATOP)
    atop["defense"] = atop["defense"].astype("Int64")
    atop.loc[99, "defense"] = pd.NA
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, ATOP, frame_csv(atop)), out)
    assert_refused(res, 3, "column 'defense' is empty on line 101", out=out)


def test_state_removed_from_nmc_is_named(tmp_path, data_dir):
    nmc = pd.read_csv(data_dir / NMC)
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, NMC, frame_csv(nmc[nmc["ccode"] != 2])), out)
    assert res.exit_code == 0, res.output
    assert "unknown version of 'nmc'" in res.output
    assert "state-year(s) of the COW state system" in res.output and "in 1 state(s) (2: 5 year(s) 2012-2016)" in res.output


# --- re-encoded inputs: same version, same panel ----------------------------------------------

@pytest.mark.parametrize("rel, encode", [
    (ATOP, lambda text: text.replace("\n", "\r\n").encode()),
    (STATES, lambda text: b"\xef\xbb\xbf" + text.encode()),
    (NMC, lambda text: text.replace("\n", "\r\n").encode("utf-8-sig")),
], ids=["crlf", "bom", "bom+crlf"])
def test_re_encoding_keeps_the_version(tmp_path, data_dir, reference, rel, encode):
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, rel, encode((data_dir / rel).read_text())), out)
    assert res.exit_code == 0 and "unknown version" not in res.output, res.output
    same_panel(reference, out)


def test_shuffled_rows_keep_the_version(tmp_path, data_dir, reference):
    shuffled = pd.read_csv(data_dir / CONTIG, dtype=str).sample(frac=1, random_state=1)
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, CONTIG, frame_csv(shuffled)), out)
    assert res.exit_code == 0 and "unknown version" not in res.output, res.output
    same_panel(reference, out)


def test_column_order_extra_columns_and_case(tmp_path, data_dir, reference):
    caps = pd.read_csv(data_dir / CAPITALS, dtype=str)
    caps = caps[caps.columns[::-1]].assign(note="added by a user")
    caps.columns = [c.upper() for c in caps.columns]
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, CAPITALS, frame_csv(caps)), out)
    assert res.exit_code == 0 and "unknown version" not in res.output, res.output
    same_panel(reference, out)


# --- out-of-range values --------------------------------------------------------------------

def _edit(data_dir: Path, rel: str, row: int, column: str, value, dtype=None) -> str:
    frame = pd.read_csv(data_dir / rel, dtype=dtype)
    if dtype is None and pd.api.types.is_integer_dtype(frame[column]) and isinstance(value, float):
        frame[column] = frame[column].astype(float)
    frame.loc[row, column] = value
    return frame_csv(frame)


@pytest.mark.parametrize("rel, row, column, value, message", [
    (ATOP, 5, "yrexit", 3000, "column 'yrexit' holds year 3000 on line 7, outside the plausible span 1815-"),
    (NMC, 7, "year", 1700, "column 'year' holds year 1700 on line 9"),
    (NMC, 8, "cinc", 1.5, "column 'cinc' holds 1.5 on line 10, outside its range 0-1"),
    (NMC, 9, "cinc", -0.2, "column 'cinc' holds -0.2 on line 11"),
    (CAPITALS, 3, "lat", 100.0, "column 'lat' holds 100.0 on line 5, outside its range -90-90"),
    (CONTIG, 4, "conttype", 9, "column 'conttype' holds 9 on line 6, outside its range 0-5"),
    (ATOP, 6, "defense", 2, "column 'defense' holds 2 on line 8, outside its range 0-1"),
    (STATES, 2, "stmonth", 13, "column 'stmonth' holds 13 on line 4, outside its range 1-12"),
], ids=["yrexit-3000", "year-1700", "cinc-1.5", "cinc-negative", "lat-100", "conttype-9", "defense-2", "month-13"])
def test_out_of_range_values_are_refused(tmp_path, data_dir, rel, row, column, value, message):
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, rel, _edit(data_dir, rel, row, column, value)), out)
    assert_refused(res, 3, Path(rel).name, message, out=out)


# --- inconsistent rows ----------------------------------------------------------------------

def test_atop_exit_before_entry(tmp_path, data_dir):
    atop = pd.read_csv(data_dir / ATOP)
    row = int((atop["yrent"] > 1900).to_numpy().argmax())
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, ATOP, _edit(data_dir, ATOP, row, "yrexit", 1899)), out)
    assert_refused(res, 3, f"line {row + 2} ends before it starts: yrexit/moexit/dayexit = 1899/", out=out)


def test_state_ends_before_it_starts(tmp_path, data_dir):
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, STATES, _edit(data_dir, STATES, 1, "endyear", 1866)), out)
    assert_refused(res, 3, "states-2016.csv", "ends before it starts", out=out)


def test_contiguity_dates_reversed(tmp_path, data_dir):
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, CONTIG, _edit(data_dir, CONTIG, 1, "enddate", "1900-01-01", str)), out)
    assert_refused(res, 3, "contiguity-3.2.csv: line 3 ends before it starts", out=out)


def test_duplicated_member_rows(tmp_path, data_dir):
    rows = lines(data_dir, ATOP)
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, ATOP, csv(rows + [rows[10]])), out)
    assert_refused(res, 3, "2 rows share a key (atopid, member, phase, yrent, moent, dayent), first on line 11", out=out)


_HOLDER = """
import sys, time
from pathlib import Path
from alliances import atomic
out = Path(sys.argv[1])
with atomic.folder_lock(out):
    staged = out / ".dyad_years.parquet.other-writer.tmp"  # another build's file, mid-write
    staged.write_bytes(b"x")
    print("holding", flush=True)
    deadline = time.monotonic() + 10.0  # longer than the build takes to reach its writes
    while staged.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    survived = staged.exists()
    staged.unlink(missing_ok=True)
sys.exit(0 if survived else 1)
"""


def test_a_second_build_into_the_same_folder_waits_for_the_first(tmp_path, data_dir):
    """A build into a folder another writer holds waits for it, instead of removing the other's
    staged files as stale (which ended the other with "No such file or directory"), then finishes."""
    import subprocess
    import sys

    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    res = build(data_dir, out)
    code = holder.wait(timeout=60)
    holder.stdout.close()
    assert code == 0, "the second build removed the first writer's staged file"
    assert res.exit_code == 0, res.output
    assert store.read_panel(out / "dyad_years.parquet", columns=["year"])["year"].max() == int(YEARS[-1])
    assert not list(out.glob(".*.tmp"))


def test_a_held_folder_is_named_when_the_wait_ends(tmp_path, data_dir, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setattr(atomic, "LOCK_WAIT", 0.2)
    with atomic.folder_lock(out):
        res = build(data_dir, out)
    assert_refused(res, 5, "another alliances build is writing there", out=out)


def test_duplicated_state_year(tmp_path, data_dir):
    rows = lines(data_dir, NMC)
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, NMC, csv(rows[:3] + [rows[2]] + rows[3:])), out)
    assert_refused(res, 3, "nmc-7.0.csv", "rows share a key (ccode, year), first on line 3", out=out)


def test_member_code_not_a_cow_state_is_named(tmp_path, data_dir):
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, ATOP, _edit(data_dir, ATOP, 20, "member", 9999)), out)
    assert res.exit_code == 0, res.output
    # the code, its line in the file and the agreement (row 20 of the frame is line 22: atopid 1020)
    assert "column 'member' holds 1 value(s) that are not COW state codes: 9999 (line 22, atopid=1020, phase=" \
        in res.output, res.output


def test_unknown_version_coverage_from_its_years(tmp_path, data_dir):
    atop = pd.read_csv(data_dir / ATOP)
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, ATOP, frame_csv(atop[atop["yrent"] < 2012])), out)
    assert res.exit_code == 0, res.output
    assert "unknown version of 'atop_members'" in res.output and "read from the data" in res.output
    inputs = {i["source"]: i for i in store.read_metadata(out / "dyad_years.parquet")["build"]["inputs"]}
    assert inputs["atop_members"]["coverage_rule"].startswith("read from the data")


def test_unknown_version_without_years_keeps_declared_coverage(tmp_path, data_dir, reference):
    contig = pd.read_csv(data_dir / CONTIG, dtype=str)
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, CONTIG, frame_csv(contig[contig["ccode1"] != "2"])), out)
    assert res.exit_code == 0 and "declared coverage of 'contiguity'" in res.output, res.output
    new = pd.read_parquet(out / "dyad_years.parquet", columns=["ccode1", "year", "contig_land"])
    old = pd.read_parquet(reference / "dyad_years.parquet", columns=["ccode1", "year", "contig_land"])
    later = (old["year"] > 2016) & (old["ccode1"] != 2)
    assert (new.loc[later, "contig_land"] == old.loc[later, "contig_land"]).all()
    assert new.loc[later, "contig_land"].sum() > 1000


# --- outputs: unwritable, full, interrupted -----------------------------------------------------

def test_output_path_is_a_file(tmp_path, data_dir):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    res = build(data_dir, blocker)
    assert_refused(res, 5, str(blocker), "write elsewhere (--out)")
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("code, words", [(errno.EACCES, "Permission denied"), (errno.EROFS, "read-only")])
def test_unwritable_output_folder(tmp_path, data_dir, monkeypatch, code, words):
    def refuse(*_a, **_k):
        raise OSError(code, "Permission denied" if code == errno.EACCES else "Read-only file system")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    out = tmp_path / "out"
    res = build(data_dir, out)
    assert_refused(res, 5, "cannot write", words, out=out)


def test_disk_full_keeps_the_previous_build(tmp_path, data_dir, reference, monkeypatch):
    out = tmp_path / "out"
    for f in reference.iterdir():
        (out / f.name).parent.mkdir(exist_ok=True)
        (out / f.name).write_bytes(f.read_bytes())
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    real, calls = pq.write_table, []

    def fill_up(table, where, **kw):
        calls.append(where)
        if len(calls) == 2:
            Path(where).write_bytes(b"PAR1 partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, **kw)

    monkeypatch.setattr(store.pq, "write_table", fill_up)
    res = build(data_dir, out, "--end", "2016")
    assert_refused(res, 5, "No space left on device", "free disk space")
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before  # old build intact, no .tmp left


def test_interrupted_commit_is_refused_and_cleaned(tmp_path, data_dir, reference, monkeypatch):
    out = tmp_path / "out"
    for f in reference.iterdir():
        (out / f.name).parent.mkdir(exist_ok=True)
        (out / f.name).write_bytes(f.read_bytes())
    real, renamed = atomic.os.replace, []

    def killed(src, dst):
        renamed.append(dst)
        if len(renamed) == 3:  # manifest and dyad_years are in place, agreement_dyads is not
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", killed)
    res = build(data_dir, out, "--end", "2016")
    assert res.exit_code == 130 and "interrupted" in res.output
    monkeypatch.setattr(atomic.os, "replace", real)
    assert not [f for f in out.iterdir() if f.name.endswith(".tmp")]  # Ctrl-C removes its temporary files
    for name in (".dyad_years.parquet.x1y2z3.tmp", ".build.json.a1b2c3.tmp"):  # what a SIGKILL would leave
        (out / name).write_bytes(b"partial")
    res = runner.invoke(app, ["inspect", str(out / "agreement_dyads.parquet")])
    assert_refused(res, 3, "was interrupted", "rebuild with `alliances build")
    assert runner.invoke(app, ["inspect", str(out / "dyad_years.parquet")]).exit_code == 0
    res = build(data_dir, out)
    assert res.exit_code == 0, res.output
    assert not [f for f in out.iterdir() if f.name.endswith(".tmp")]
    manifest = json.loads((out / "build.json").read_text())
    ids = {store.read_metadata(out / f)["build"]["build_id"] for f in ("dyad_years.parquet", "agreement_dyads.parquet",
                                                                       "agreements.parquet")}
    assert ids == {manifest["build_id"]}


def test_codebook_into_a_file_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["codebook", "--out", str(blocker / "codebook.md")])
    assert_refused(res, 5, str(blocker), "a file stands where a folder is needed")


def test_export_onto_a_folder(tmp_path, reference):
    target = tmp_path / "folder.csv"
    target.mkdir()
    res = runner.invoke(app, ["export", str(reference / "agreements.parquet"), "--out", str(target)])
    assert_refused(res, 5, "is a folder")


# --- corrupt Parquet into every command that reads one ------------------------------------------

@pytest.fixture(scope="module")
def corrupt(tmp_path_factory, reference) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corrupt")
    raw = (reference / "dyad_years.parquet").read_bytes()
    pages = bytearray(raw)
    footer = int.from_bytes(raw[-8:-4], "little") + 8  # footer length, then b"PAR1"
    for i in range(4, len(raw) - footer, 101):  # every column's data pages damaged, footer intact
        pages[i] ^= 0xFF
    files = {"pages": folder / "pages" / "dyad_years.parquet", "truncated": folder / "truncated.parquet",
             "not-parquet": folder / "text.parquet"}
    files["pages"].parent.mkdir()
    files["pages"].write_bytes(bytes(pages))
    files["truncated"].write_bytes(raw[: len(raw) // 3])
    files["not-parquet"].write_text("ccode1,ccode2,year\n2,20,1990\n")
    return files


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "s.toml"
    spec.write_text('outcome = "alliance_onset"\ncovariates = ["cap_ratio"]\n[sample]\nyears = [2013, 2016]\n')
    return spec


@pytest.mark.parametrize("kind", ["pages", "truncated", "not-parquet"])
@pytest.mark.parametrize("command", ["inspect", "inspect-dyad", "export", "fit", "predict", "validate"])
def test_corrupt_parquet_is_refused(tmp_path, corrupt, command, kind):
    if command == "inspect" and kind == "pages":
        pytest.skip("inspect --column reads one column, whose pages may be intact; inspect-dyad reads them all")
    path = str(corrupt[kind])
    spec = str(_spec(tmp_path))
    out = tmp_path / "out"
    args = {
        "inspect": ["inspect", path, "--column", "cinc1"],
        "inspect-dyad": ["inspect", path, "--dyad", "365-710"],
        "export": ["export", path, "--out", str(out / "p.csv")],
        "fit": ["fit", spec, "--panel", path, "--out", str(out)],
        "predict": ["predict", "--panel", path, "--model", spec, "--estimators", "logit", "--out", str(out)],
        "validate": ["validate", spec, "--panel", path, "--jobs", "1", "--out", str(out)],
    }[command]
    res = runner.invoke(app, args)
    assert_refused(res, 3, path, out=out)
    assert "Parquet" in res.output


# --- hostile command-line values ----------------------------------------------------------------

def test_markup_in_a_path_is_printed_verbatim(tmp_path):
    odd = tmp_path / "data[red]x[/red] [bold]"
    res = runner.invoke(app, ["build", "--data-dir", str(odd), "--out", str(tmp_path / "out")])
    assert_refused(res, 3, str(odd), "does not exist")


@pytest.mark.parametrize("args, code, message", [
    (["--set", "cap_ratio=nan"], 2, "must be a finite number"),
    (["--set", "cap_ratio=inf"], 2, "must be a finite number"),
    (["--set", "=2"], 2, "COLUMN=NUMBER"),
    (["--years", "abc"], 2, "--years takes FIRST-LAST"),
    (["--years", "2020-1990"], 2, "first year after last"),
    (["--estimators", ", ,"], 2, "names no estimator"),
    (["--estimators", "logit,probit"], 2, "unknown estimator(s) probit"),
    (["--scenario", "no_such_scenario"], 2, "scenario 'no_such_scenario' not found"),
    (["--dyad", "365-99999"], 3, "not in the panel"),
], ids=["nan", "inf", "no-column", "years-text", "years-reversed", "no-estimator", "bad-estimator", "scenario", "dyad"])
def test_hostile_predict_values(tmp_path, reference, args, code, message):
    res = runner.invoke(app, ["predict", "--panel", str(reference / "dyad_years.parquet"), "--model",
                              str(_spec(tmp_path)), "--out", str(tmp_path / "out"), *args])
    assert_refused(res, code, message, out=tmp_path / "out")
    assert "fitting" not in res.output


@pytest.mark.parametrize("args, code, message", [
    (["build", "--source", "nosuch=x.csv"], 2, "--source takes KEY=PATH"),
    (["build", "--start", "2000", "--end", "1990"], 2, "start <= end"),
    (["build", "--source", "nmc=/no/such/file.csv"], 3, "/no/such/file.csv does not exist"),
    (["export", "PLACEHOLDER", "--format", "xlsx"], 2, "csv or dta"),
    (["validate", "analyses/specs/baseline.toml", "--jobs", "0"], 2, "greater than or equal to 1"),
], ids=["source-key", "years", "source-path", "format", "jobs-0"])
def test_hostile_options(tmp_path, reference, data_dir, args, code, message):
    args = [str(reference / "agreements.parquet") if a == "PLACEHOLDER" else a for a in args]
    if args[0] == "build":
        args += ["--data-dir", str(data_dir), "--out", str(tmp_path / "out")]
    res = runner.invoke(app, args)
    assert_refused(res, code, message, out=tmp_path / "out")


def test_unreadable_source_file(tmp_path, data_dir, monkeypatch):
    from alliances.sources import reading as sources

    def denied(path, source):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(sources, "sha256_source", denied)
    res = build(data_dir, tmp_path / "out")
    assert_refused(res, 3, "permission denied", "chmod", out=tmp_path / "out")


def test_debug_shows_the_traceback(tmp_path):
    res = runner.invoke(app, ["--debug", "build", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and res.exception is not None
    assert type(res.exception).__name__ == "SourceNotFound"


def test_internal_errors_say_how_to_report(tmp_path, data_dir, monkeypatch):
    from alliances import build as build_module

    def bug(*_a, **_k):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(build_module, "add_power", bug)
    res = build(data_dir, tmp_path / "out")
    assert_refused(res, 1, "internal error (ZeroDivisionError", "--debug", out=tmp_path / "out")


def test_gzip_layout_is_read(tmp_path, data_dir, reference):
    """A re-compressed copy of a .csv.gz source (other gzip bytes, same content) keeps its version."""
    text = gzip.decompress((data_dir / MINDIST).read_bytes())
    out = tmp_path / "out"
    res = build(with_file(tmp_path, data_dir, MINDIST, gzip.compress(text, compresslevel=1, mtime=0)), out)
    assert res.exit_code == 0 and "unknown version" not in res.output, res.output
    same_panel(reference, out)


def test_model_errors_exit_4(tmp_path, reference):
    spec = tmp_path / "separates.toml"
    spec.write_text('outcome = "alliance_onset"\ncovariates = ["great_power_dyad"]\n[sample]\nyears = [2013, 2016]\n')
    res = runner.invoke(app, ["fit", str(spec), "--panel", str(reference / "dyad_years.parquet"), "--out",
                              str(tmp_path / "out")])
    assert_refused(res, 4, "perfect separation", "great_power_dyad", out=tmp_path / "out")
    bad = tmp_path / "bad.toml"
    bad.write_text("outcome = \n")
    res = runner.invoke(app, ["fit", str(bad), "--panel", str(reference / "dyad_years.parquet")])
    assert_refused(res, 3, "cannot read the specification: not valid TOML")


def test_sources_with_nothing_found_exits_3(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for extra in ([], ["--json"]):
        res = runner.invoke(app, ["sources", "--data-dir", str(empty), *extra])
        assert res.exit_code == 3, res.output
        assert "internal error" not in res.output
