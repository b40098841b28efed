"""Source registry, data-directory lookup and validation errors (small fixtures built here)."""

from __future__ import annotations

import csv
import hashlib
import shutil
import warnings
from pathlib import Path

import pytest

from alliances.errors import SourceError, SourceNotFound
from alliances.sources import (
    ENV_VAR,
    REGISTRY,
    UnknownVersionWarning,
    load,
    resolve_data_dir,
)


def test_every_bundled_source_is_a_known_version(data_dir):
    manifest = {row["file"]: row for row in csv.DictReader(open(data_dir / "MANIFEST.csv"))}
    for key in REGISTRY:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loaded = load(key, data_dir)
        rel = str(loaded.path.relative_to(data_dir))
        assert not loaded.version.startswith("unknown"), key
        if loaded.source.folder_pattern:  # a folder source: its digest is that of the files MANIFEST lists
            files = sorted((Path(f).name, row["sha256"]) for f, row in manifest.items() if f.startswith(rel + "/"))
            assert [n for n, _ in files] == [p.name for p in sorted(loaded.path.glob(loaded.source.folder_pattern))]
            lines = "".join(f"{name}\t{digest}\n" for name, digest in files)
            assert loaded.sha256 == hashlib.sha256(lines.encode()).hexdigest(), key
            continue
        assert loaded.sha256 == manifest[rel]["sha256"], key
        assert int(manifest[rel]["rows"]) == len(loaded.frame), key


def test_registered_versions_pass_the_current_rules(data_dir):
    """Known bytes skip validation when loaded (they passed when registered): check every bundled
    file against the rules as they are now, and that its content hash is the registered one."""
    from alliances.sources.reading import (
        content_sha256,
        find_file,
        read_source,
        validate,
    )

    for key, source in REGISTRY.items():
        path = find_file(source, [data_dir])
        frame, where = read_source(path, source)
        validate(frame, path, source, where)  # raises SourceError naming file, line, column and value
        ordered = frame.sort_values(list(source.row_key), kind="stable", ignore_index=True)
        assert content_sha256(ordered, source) == source.versions[-1].content, key


def test_data_dir_order(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert resolve_data_dir() == tmp_path.resolve()
    other = tmp_path / "x"
    other.mkdir()
    assert resolve_data_dir(other) == other.resolve()  # the option beats the environment
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(SourceNotFound, match=r"nope.*ALLIANCES_DATA"):
        resolve_data_dir()


def test_missing_file_names_the_source_and_candidates(tmp_path):
    with pytest.raises(SourceNotFound, match=r"'nmc'.*cow/nmc-7.0.csv"):
        load("nmc", tmp_path)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_wrong_columns_name_the_file_and_column(tmp_path):
    f = _write(tmp_path / "cow" / "nmc-7.0.csv", "ccode,year,milex\n2,1816,1\n")
    with pytest.raises(SourceError, match=r"nmc-7.0.csv.*missing column\(s\) milper, irst"):
        load("nmc", tmp_path)
    assert f.exists()


def test_non_numeric_value_names_the_line(tmp_path):
    _write(tmp_path / "cow" / "majors-2016.csv", "ccode,styear,endyear\n2,1898,2016\nUSA,1900,2016\n")
    with pytest.raises(SourceError, match=r"column 'ccode'.*line 3.*'USA'"):
        load("majors", tmp_path)


def test_implausible_year_is_refused(tmp_path):
    _write(tmp_path / "cow" / "majors-2016.csv", "ccode,styear,endyear\n2,1898,2016\n200,1716,2016\n")
    with pytest.raises(SourceError, match=r"styear.*1716.*line 3"):
        load("majors", tmp_path)


def test_header_only_file_is_refused(tmp_path):
    _write(tmp_path / "cow" / "majors-2016.csv", "ccode,styear,endyear\n")
    with pytest.raises(SourceError, match="no rows"):
        load("majors", tmp_path)


def test_unknown_version_is_accepted_with_warning_and_hash(tmp_path, data_dir):
    src = data_dir / "cow" / "majors-2016.csv"
    dst = tmp_path / "cow" / "majors-2016.csv"
    dst.parent.mkdir(parents=True)
    rows = src.read_text().splitlines()
    dst.write_text("\n".join(rows[:-1]) + "\n")  # one spell fewer: another 'release'
    with pytest.warns(UnknownVersionWarning, match="unknown version of 'majors'"):
        loaded = load("majors", tmp_path)
    assert loaded.version.startswith("unknown")
    assert loaded.coverage == (1816, 2016)
    assert len(loaded.sha256) == 64


def test_official_atop_file_name_is_found(tmp_path, data_dir):
    """An official member-level download (atop5_1m.csv layout) is picked up by name."""
    shutil.copy(data_dir / "atop" / "atop-4.01-members.csv", tmp_path / "atop5_1m.csv")
    loaded = load("atop_members", tmp_path)
    assert loaded.path.name == "atop5_1m.csv"
    assert loaded.version == "4.01"  # same bytes, so the registry still recognises them


def test_empty_required_field_is_refused(tmp_path, data_dir):
    """A member file cut mid-row (empty pledge fields) is damaged, not a file of zeros."""
    lines = (data_dir / "atop" / "atop-4.01-members.csv").read_text().splitlines()
    cut = lines[:867]
    cut[-1] = ",".join(cut[-1].split(",")[:30])  # the row stops before the obligation fields
    _write(tmp_path / "atop5_1m.csv", "\n".join(cut) + "\n")
    with pytest.raises(SourceError, match=r"line 867 has 30 field\(s\), the header 105.*truncated"):
        load("atop_members", tmp_path)


def test_column_texts_quote_the_registry_coverage():
    """Years in a column's extension text come from its sources' registry coverage (first, last,
    last + 1 for a successor), so a new source version changes them in one place."""
    import re

    from alliances.codebook import dyad_year_columns
    from alliances.sources.registry import coverage

    # Facts inside a file that the registry does not hold: Polity2 ends in 2017 within the
    # democracy file; the Leeds-Savun file's 2008 zeros and 2009-2015 rows without codes.
    # UN all-vote estimates end in 2023 within the file (final-passage ones in 2024), and 1964 has no votes.
    inside = {"democracy": {2017}, "lsthreat": {2008, 2009, 2015}, "unga": {1964, 2023}}
    checked = 0
    for col in dyad_year_columns():
        years = {int(y) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", col.extension or "")}
        allowed = set()
        for key in col.sources:
            first, last = coverage(key)
            allowed |= {first, first + 1, last, last + 1} | inside.get(key, set())
        assert years <= allowed, (col.name, sorted(years - allowed))
        checked += bool(years)
    assert checked > 30
