"""Live coverage, error positions, structured text edits and safe saving (toolkit.ruleset.editing,
toolkit.ruleset.coverage)."""

from __future__ import annotations

import os

import numpy as np
import polars as pl
import pytest

from toolkit.ruleset import ops as ruleset_ops
from toolkit.ruleset.coverage import CoverageEngine
from toolkit.ruleset.editing import (ConflictError, EditSession, FileStamp, changed_since,
                                     move_in_text, parse_text, rename_in_text, rule_location,
                                     segment_at, segment_spans)
from toolkit.ruleset import Ruleset, RulesetError

TEXT = """\
format: segkit-ruleset/1
name: test
# who buys a lot
segments:
  - id: big
    name: Big spenders
    rule: spend >= 100 and orders >= 3
  # comment above recent
  - id: recent
    name: Recent
    rule: days <= 30
  - id: lapsed
    name: Lapsed
    rule: |
      days > 200
      and orders <= 1
default:
  id: others
  name: Others
"""


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    rng = np.random.default_rng(3)
    n = 5000
    spend = rng.gamma(2.0, 60.0, n)
    spend[rng.random(n) < 0.05] = np.nan
    return pl.DataFrame({
        "id": np.arange(n),
        "spend": spend,
        "orders": rng.poisson(2.0, n),
        "days": rng.integers(0, 400, n).astype(float),
        "y": (rng.random(n) < 0.3).astype(np.int8),
        "p": rng.random(n),
        "cluster": rng.integers(1, 5, n),
    })


def test_parse_text_ok_and_positions_of_rule_errors():
    rs, problem = parse_text(TEXT)
    assert problem is None and rs.ids == ["big", "recent", "lapsed", "others"]
    bad = TEXT.replace("orders >= 3", "orders >= ")
    rs, problem = parse_text(bad)
    assert rs is None and problem.segment == "big"
    line = bad.splitlines()[problem.line - 1]
    assert line.strip().startswith("rule: spend >= 100")
    assert problem.col == len(line.rstrip()) + 1  # just after the dangling ">="
    assert "expected a value" in problem.message and problem.message.startswith(f"line {problem.line}")


def test_parse_text_block_scalar_and_unknown_column():
    bad = TEXT.replace("and orders <= 1", "and ordres <= 1")
    _, problem = parse_text(bad, ["spend", "orders", "days"])
    lines = bad.splitlines()
    assert "ordres" in problem.message and "orders" in problem.message  # suggestion
    assert lines[problem.line - 1][problem.col - 1:].startswith("ordres")
    assert problem.segment == "lapsed"


def test_parse_text_yaml_error_and_missing_key_have_lines():
    _, problem = parse_text(TEXT.replace("  - id: recent", "  - id: [recent"))
    assert problem is not None and problem.line is not None
    _, problem = parse_text(TEXT.replace("    name: Recent\n", ""))
    assert "missing 'name'" in problem.message and problem.line == 9


def test_segment_spans_survive_broken_text():
    spans = segment_spans(TEXT)
    assert [s.id for s in spans] == ["big", "recent", "lapsed", "others"]
    assert spans[-1].is_default
    assert segment_at(TEXT, 6) == "big"
    assert segment_at(TEXT, 12) == "lapsed"
    assert segment_at(TEXT, 0) is None
    broken = TEXT.replace("days <= 30", "days <= (")
    assert segment_at(broken, 10) == "recent"
    line, col = rule_location(TEXT, "recent")
    assert TEXT.splitlines()[line][col:] == "days <= 30"
    line, col = rule_location(TEXT, "lapsed")
    assert TEXT.splitlines()[line][col:] == "days > 200"


def test_rename_and_move_keep_comments_and_refuse_impossible_moves():
    renamed = rename_in_text(TEXT, "recent", "Recently active")
    assert "name: Recently active" in renamed and "# comment above recent" in renamed
    assert Ruleset.loads(renamed).segment("recent").id == "recent"
    moved, index = move_in_text(TEXT, "recent", -1)
    assert index == 0 and Ruleset.loads(moved).ids[:2] == ["recent", "big"]
    # the comment written above 'recent' moves with it
    assert moved.index("# comment above recent") < moved.index("id: recent") < moved.index("id: big")
    with pytest.raises(RulesetError, match="already first"):
        move_in_text(TEXT, "big", -1)
    with pytest.raises(RulesetError, match="already last"):
        move_in_text(TEXT, "lapsed", 1)
    with pytest.raises(RulesetError, match="default"):
        move_in_text(TEXT, "others", -1)


def _same_as_check(cov, report):
    for a, b in zip(report.segments, cov.segments):
        assert (a.id, a.matched, a.assigned, a.position) == (b.id, b.matched, b.assigned, b.position)
        assert a.share == pytest.approx(b.share)
    assert report.overlap == cov.overlap
    assert report.empty == cov.empty and report.unreachable == cov.unreachable


def test_coverage_equals_check_and_tracks_changes(frame):
    saved = Ruleset.loads(TEXT)
    engine = CoverageEngine(frame, saved, clusters=frame["cluster"],
                            cluster_segments={1: "big", 2: "recent", 3: "lapsed", 4: "others"},
                            target="y", probability="p")
    cov = engine.coverage(saved)
    _same_as_check(cov, ruleset_ops.check(saved, frame))
    assert cov.moved == 0 and all(s.change == 0 for s in cov.segments)
    expected = np.mean(saved.apply(frame)["segment"].to_numpy()
                       == frame["cluster"].replace_strict({1: "big", 2: "recent", 3: "lapsed", 4: "others"})
                       .to_numpy())
    assert cov.fidelity == pytest.approx(expected) and cov.saved_fidelity == pytest.approx(expected)
    # purchase rate and mean probability per segment, as Polars computes them
    seg = saved.apply(frame)
    rates = dict(seg.group_by("segment").agg(pl.col("y").mean()).iter_rows())
    for s in cov.segments:
        assert s.purchase_rate == pytest.approx(rates[s.id])

    edited = Ruleset.loads(TEXT.replace("days <= 30", "days <= 90"))
    cov2 = engine.coverage(edited)
    _same_as_check(cov2, ruleset_ops.check(edited, frame))
    before = saved.apply(frame)["segment"]
    after = edited.apply(frame)["segment"]
    assert cov2.moved == int((before != after).sum()) > 0
    recent = next(s for s in cov2.segments if s.id == "recent")
    assert recent.change == recent.moved_in - recent.moved_out > 0
    assert sum(s.change for s in cov2.segments) == 0


def test_coverage_new_segment_empty_and_unreachable(frame):
    engine = CoverageEngine(frame, Ruleset.loads(TEXT))
    text = TEXT.replace("default:", "  - id: never\n    name: Never\n    rule: spend < -5\n"
                                    "  - id: shadow\n    name: Shadow\n    rule: days <= 10\ndefault:")
    rs = Ruleset.loads(text)
    cov = engine.coverage(rs)
    _same_as_check(cov, ruleset_ops.check(rs, frame))
    assert "never" in cov.empty and "shadow" in cov.unreachable
    assert next(s for s in cov.segments if s.id == "never").saved_assigned is None
    assert cov.fidelity is None  # no clusters given


def test_coverage_reuses_masks_across_spacing_edits(frame):
    engine = CoverageEngine(frame, None)
    engine.coverage(Ruleset.loads(TEXT))
    cached = len(engine._masks)
    engine.coverage(Ruleset.loads(TEXT.replace("days <= 30", "days   <=   30")))
    assert len(engine._masks) == cached
    assert (engine.assign(Ruleset.loads(TEXT)) == Ruleset.loads(TEXT).apply(frame)["segment"].to_numpy()).all()


def test_session_save_refuses_errors_and_conflicts(tmp_path):
    path = tmp_path / "segments.yaml"
    path.write_text(TEXT)
    session = EditSession(path)
    assert not session.is_dirty(TEXT)
    with pytest.raises(RulesetError, match="not saved"):
        session.save(TEXT.replace("days <= 30", "days <="))
    assert path.read_text() == TEXT
    edited = TEXT.replace("days <= 30", "days <= 45")
    _, written = session.save(edited)
    assert path.read_text() == written == edited and not session.is_dirty(edited)
    # someone else changes the file
    other = edited.replace("Recent", "Recent (by a colleague)")
    path.write_text(other)
    assert session.changed_on_disk()
    with pytest.raises(ConflictError, match="changed on disk"):
        session.save(edited.replace("45", "50"))
    assert path.read_text() == other
    assert session.reload() == other and not session.changed_on_disk()
    # save as: a new file, and the session follows it
    new = tmp_path / "copy.yaml"
    session.save_as(other, new)
    assert session.path == new and new.read_text() == other
    with pytest.raises(Exception, match="already exists"):
        session.save_as(other, path)


def test_touching_a_file_is_not_a_conflict(tmp_path):
    path = tmp_path / "segments.yaml"
    path.write_text(TEXT)
    stamp = FileStamp.of(path)
    os.utime(path, ns=(stamp.mtime_ns + 5_000_000_000, stamp.mtime_ns + 5_000_000_000))
    assert not changed_since(path, stamp)
    path.unlink()
    assert changed_since(path, stamp)


def test_recovery_copy_round_trip(tmp_path):
    path = tmp_path / "segments.yaml"
    path.write_text(TEXT)
    session = EditSession(path)
    session.write_recovery(TEXT)  # nothing unsaved: nothing kept
    assert not session.recovery_path.exists()
    session.write_recovery(TEXT + "# more\n")
    assert EditSession(path).read_recovery() == TEXT + "# more\n"
    session.save(TEXT.replace("days <= 30", "days <= 31"))
    assert not session.recovery_path.exists()
