"""Atomic writes (toolkit.data.files): modes a team can read, symlinks kept, unique temporaries,
one-line errors naming the path."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import polars as pl
import pytest

from toolkit.errors import SegkitError
from toolkit.data.files import (WriteError, atomic_path, atomic_write_frame, atomic_write_json,
                            atomic_write_text)
from toolkit.ruleset import Ruleset

RFM = Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_002():
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


def test_new_files_follow_the_umask(tmp_path, umask_002):
    # mkstemp made every file 0600, unreadable to the team sharing a run folder
    atomic_write_json(tmp_path / "metrics.json", {"a": 1})
    atomic_write_text(tmp_path / "segments.yaml", "x: 1\n")
    atomic_write_frame(tmp_path / "scores.parquet", pl.DataFrame({"a": [1]}))
    for name in ("metrics.json", "segments.yaml", "scores.parquet"):
        assert _mode(tmp_path / name) == 0o664, name
    os.umask(0o022)
    atomic_write_text(tmp_path / "report.md", "# r\n")
    assert _mode(tmp_path / "report.md") == 0o644


def test_a_replaced_file_keeps_its_mode(tmp_path, umask_002):
    target = tmp_path / "segments.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert _mode(target) == 0o640


def test_ruleset_save_keeps_a_0664_file_0664_and_writes_through_a_symlink(tmp_path, umask_002):
    rs = Ruleset.load(RFM)
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "rules.yaml"
    real.write_text("placeholder\n")
    os.chmod(real, 0o664)
    link = tmp_path / "segments.yaml"
    link.symlink_to(real)
    rs.save(link)
    assert link.is_symlink(), "the link was replaced by a file"
    assert os.readlink(link) == str(real)
    assert Ruleset.load(real).ids == rs.ids
    assert _mode(real) == 0o664
    assert sorted(p.name for p in shared.iterdir()) == ["rules.yaml"]  # no temporary left


def test_a_dangling_symlink_is_written_through_to_its_target(tmp_path):
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "real.json")
    atomic_write_json(link, [1])
    assert link.is_symlink() and (tmp_path / "real.json").read_text() == "[\n  1\n]\n"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "scores.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]


def test_each_writer_gets_its_own_temporary(tmp_path):
    target = tmp_path / "scores.parquet"
    with atomic_path(target) as a, atomic_path(target) as b:
        assert a != b and a.parent == b.parent == tmp_path
        a.write_text("A")
        b.write_text("B")
    assert target.read_text() == "A"  # the last to finish (the outer block) wins, whole


def test_concurrent_text_writers_never_mix(tmp_path):
    target = tmp_path / "out.txt"
    texts = [str(i) * 200_000 for i in range(6)]
    threads = [threading.Thread(target=atomic_write_text, args=(target, t)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_text() in texts
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_os_errors_become_one_line_naming_the_path(tmp_path):
    # Runs as root in CI, where permission bits do not stop writes: a parent that is a
    # regular file fails for every user.
    blocker = tmp_path / "notadir"
    blocker.write_text("x")
    with pytest.raises(WriteError, match=r"cannot write .*notadir/out\.json") as info:
        atomic_write_json(blocker / "out.json", {})
    assert isinstance(info.value, SegkitError) and isinstance(info.value, OSError)
    assert "\n" not in str(info.value)
    with pytest.raises(WriteError, match="is a directory"):
        atomic_write_text(tmp_path, "x")


def test_a_failing_rename_is_a_write_error_and_cleans_up(tmp_path, monkeypatch):
    def denied(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", denied)
    with pytest.raises(WriteError, match=r"cannot write .*x\.txt: Permission denied"):
        atomic_write_text(tmp_path / "x.txt", "x")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_frame_round_trips_and_names_bad_extensions(tmp_path):
    frame = pl.DataFrame({"id": ["a", "b"], "v": [1.5, None]})
    atomic_write_frame(tmp_path / "f.parquet", frame)
    atomic_write_frame(tmp_path / "f.csv", frame)
    assert pl.read_parquet(tmp_path / "f.parquet").equals(frame)
    assert pl.read_csv(tmp_path / "f.csv").equals(frame)
    with pytest.raises(SegkitError, match=r"unsupported output type '\.txt'"):
        atomic_write_frame(tmp_path / "f.txt", frame)
