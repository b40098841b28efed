"""alliances.atomic and the helpers built on it (write_text_atomic, write_parquet_atomic): a
failing write leaves no partial file and keeps the old one; OS failures become OutputError
naming the path; stale temporary files are removed; the folder lock waits, then names the
holder. Small files only."""

from __future__ import annotations

import errno
import os
import stat
import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alliances import atomic
from alliances.atomic import write_text_atomic
from alliances.errors import OutputError
from alliances.store import write_parquet_atomic


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_path_writes_beside_then_renames(tmp_path):
    target = tmp_path / "out.txt"
    with atomic.atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.txt.") and tmp.name.endswith(".tmp")
        tmp.write_text("new")
        assert not target.exists()  # nothing under the target's name until the block ends
    assert target.read_text() == "new" and _leftovers(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # a new file's permissions, not mkstemp's 0600


def test_a_failing_block_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="conversion failed"):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half of the new conte")
            raise RuntimeError("conversion failed")
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def test_an_os_error_in_the_block_becomes_output_error_naming_the_target(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(OutputError, match=rf"cannot write {target}: No space left on device; free disk space"):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def test_write_text_atomic_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "table.md"
    assert write_text_atomic(target, "first\n") == target
    assert target.read_bytes() == b"first\n"
    real = atomic.os.replace

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    with pytest.raises(OutputError, match=rf"cannot write {target}: No space left on device"):
        write_text_atomic(target, "second\n")
    monkeypatch.setattr(atomic.os, "replace", real)
    assert target.read_bytes() == b"first\n" and _leftovers(tmp_path) == []
    write_text_atomic(target, "line 1\r\nline 2\n")  # newline="\n": text written as given
    assert target.read_bytes() == b"line 1\r\nline 2\n"


def test_write_parquet_atomic_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "t.parquet"
    write_parquet_atomic(pa.table({"x": [1, 2, 3]}), target)
    assert pq.read_table(target).column("x").to_pylist() == [1, 2, 3]
    real = pq.write_table

    def dies_half_way(table, where, **kw):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 half a file")
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(pq, "write_table", dies_half_way)
    with pytest.raises(OutputError, match=rf"cannot write {target}: Input/output error"):
        write_parquet_atomic(pa.table({"x": [9]}), target)
    monkeypatch.setattr(pq, "write_table", real)
    assert pq.read_table(target).column("x").to_pylist() == [1, 2, 3] and _leftovers(tmp_path) == []


def test_staged_then_commit_replaces_several_targets_at_the_end(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    with atomic.staged(a) as ta, atomic.staged(b) as tb:
        ta.write_text("new a")
        tb.write_text("new b")
        assert a.read_text() == "old a" and not b.exists()
        atomic.commit(ta, a)
        atomic.commit(tb, b)
    assert (a.read_text(), b.read_text()) == ("new a", "new b") and _leftovers(tmp_path) == []


def test_a_folder_where_the_file_should_be(tmp_path):
    (tmp_path / "x.csv").mkdir()
    with pytest.raises(OutputError, match=r"cannot write .*x\.csv: it is a folder; remove it or choose another"):
        write_text_atomic(tmp_path / "x.csv", "a\n")


def test_a_file_where_the_folder_should_be(tmp_path):
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(OutputError, match=r"cannot create the folder .*out: .*a file stands where a folder is needed"):
        write_text_atomic(tmp_path / "out" / "x.csv", "a\n")
    assert (tmp_path / "out").read_text() == "not a folder"


def test_missing_folders_are_created(tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    write_text_atomic(target, "x")
    assert target.read_text() == "x"


def test_remove_stale_deletes_only_the_named_targets_temporaries(tmp_path):
    for name in (".dyad_years.parquet.abc123.tmp", ".dyad_years.parquet.zz.tmp", ".other.parquet.q.tmp",
                 "dyad_years.parquet"):
        (tmp_path / name).write_text("x")
    gone = atomic.remove_stale(tmp_path, ["dyad_years.parquet", "build.json"])
    assert [p.name for p in gone] == [".dyad_years.parquet.abc123.tmp", ".dyad_years.parquet.zz.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.parquet.q.tmp", "dyad_years.parquet"]
    assert atomic.remove_stale(tmp_path / "absent", ["x"]) == []


def test_folder_lock_makes_a_second_writer_wait(tmp_path):
    events = []
    with atomic.folder_lock(tmp_path):
        def second():
            with atomic.folder_lock(tmp_path, wait=10):
                events.append("second in")

        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.3)
        assert events == []  # still waiting for the first
        events.append("first out")
    t.join(5)
    assert events == ["first out", "second in"]
    assert list(tmp_path.iterdir()) == []  # no lock file left behind


def test_folder_lock_names_the_holder_when_the_wait_ends(tmp_path):
    with atomic.folder_lock(tmp_path):
        start = time.monotonic()
        with pytest.raises(OutputError, match=rf"cannot write into {tmp_path}: another alliances build is writing "
                                              r"there now; wait for it to finish, or build into another folder"):
            with atomic.folder_lock(tmp_path, wait=0.3):
                pass
        assert 0.3 <= time.monotonic() - start < 5
