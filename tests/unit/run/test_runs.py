"""toolkit.run.folder.Run: one way to read a run folder (names, cached loaders, lookups, errors)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pytest

from toolkit.run import folder as runs
from toolkit.errors import SegkitError
from toolkit.run.folder import Run


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_a_missing_folder_and_missing_results_are_one_line(tmp_path):
    with pytest.raises(SegkitError, match="no such run folder") as info:
        Run.of(tmp_path / "absent")
    _one_line(info)
    run = Run.of(tmp_path)
    assert Run.of(run) is run and os.fspath(run) == str(tmp_path) and Path(run) == tmp_path
    assert run.metrics() is None and run.segments_summary() is None and run.scorecard() is None
    assert run.ruleset() is None and run.split() is None and run.data() is None
    with pytest.raises(SegkitError, match="neither metrics.json nor segments.json"):
        run.results()
    with pytest.raises(SegkitError, match="segkit train --out") as info:
        run.require_scorecard()
    _one_line(info)


@pytest.mark.parametrize("name, text, message", [
    (runs.METRICS, "{not json", "not valid JSON \\(line 1"),
    (runs.SEGMENTS, "[1, 2]", "holds a JSON list, not an object"),
    (runs.TIMINGS, b"\xff\xfe{", "cannot read"),
])
def test_a_corrupt_json_artifact_is_one_line_naming_the_file(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SegkitError, match=message) as info:
        Run.of(tmp_path).json(name)
    assert _one_line(info).startswith(str(path))


def test_corrupt_parquet_and_scorecard_are_one_line(tmp_path):
    (tmp_path / runs.SPLIT).write_bytes(b"PAR1 not really")
    (tmp_path / runs.SCORECARD).write_text("{}")
    run = Run.of(tmp_path)
    with pytest.raises(SegkitError, match="cannot read") as info:
        run.split()
    assert _one_line(info).startswith(str(tmp_path / runs.SPLIT))
    with pytest.raises(SegkitError, match="not a valid scorecard file") as info:
        run.scorecard()
    _one_line(info)


def test_loaders_cache_except_the_ruleset(tmp_path):
    from toolkit.ruleset import DefaultSegment, Ruleset, Segment

    (tmp_path / runs.METRICS).write_text(json.dumps({"training": {"id_column": "cid"}}))
    pl.DataFrame({"cid": ["a"], "split": ["test"]}).write_parquet(tmp_path / runs.SPLIT)
    Ruleset(name="r", segments=[Segment(id="a", name="A", rule="x > 1")],
            default=DefaultSegment()).save(tmp_path / runs.RULESET)
    run = Run.of(tmp_path)
    assert run.metrics() is run.metrics() and run.split() is run.split()
    first = run.ruleset()
    assert first is not None and run.ruleset() is not first  # mutable and edited: read afresh
    first.rename_segment("a", "changed")
    assert run.ruleset().names["a"] == "A"


def test_id_and_target_lookup(tmp_path):
    run = Run.of(tmp_path)
    assert run.id_column == "customer_id" and run.target == "purchased_next_30d"
    # a segmentation-only run with its own id column: the id it recorded, also in the viewer
    (tmp_path / runs.SEGMENTS).write_text(json.dumps({"settings": {"id_column": "client"}}))
    assert Run.of(tmp_path).id_column == "client"
    from toolkit.run.view import RunView

    assert RunView(tmp_path).id_column == "client"
    # training's record wins, and a broken metrics.json never breaks the lookup
    (tmp_path / runs.METRICS).write_text(json.dumps({"training": {"id_column": "cid", "target": "y"}}))
    fresh = Run.of(tmp_path)
    assert fresh.id_column == "cid" and fresh.target == "y"
    (tmp_path / runs.METRICS).write_text("{broken")
    assert Run.of(tmp_path).id_column == "client"


def test_fingerprints_and_the_customer_table_check(tmp_path):
    from toolkit.data.io import fingerprint

    frame = pl.DataFrame({"customer_id": ["a", "b"], "x": [1, 2]})
    own = tmp_path / "own.parquet"
    frame.write_parquet(own)
    other = tmp_path / "other.parquet"
    frame.with_columns(pl.col("x") + 1).write_parquet(other)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / runs.METRICS).write_text(json.dumps({"training": {"data_fingerprint": fingerprint(frame)}}))
    run = Run.of(run_dir)
    assert run.fingerprints() == {"training": fingerprint(frame)}
    assert run.customer_table(own).equals(frame)
    with pytest.raises(SegkitError, match="not the table this run was built from") as info:
        run.customer_table(other)
    _one_line(info)
    assert run.customer_table() is None  # no data.parquet


def test_monitor_and_report_say_a_corrupt_artifact_in_one_line(tmp_path):
    """Before, these reached Polars' own error (a traceback) instead of one line."""
    from toolkit.monitor import training_reference
    from toolkit.report.build import build_report

    (tmp_path / runs.DATA).write_bytes(b"not parquet")
    with pytest.raises(SegkitError, match="data.parquet: cannot read") as info:
        training_reference(tmp_path)
    _one_line(info)
    (tmp_path / runs.METRICS).write_text(json.dumps({"training": {}}))
    (tmp_path / runs.SPLIT).write_bytes(b"not parquet")
    with pytest.raises(SegkitError, match="split.parquet: cannot read") as info:
        build_report(tmp_path, sql=False)
    _one_line(info)
    assert not (tmp_path / runs.REPORT_FILES).exists()  # nothing written before the check



def test_json_and_loaded_objects_of_one_file_do_not_share_a_cache_entry(tmp_path, monkeypatch):
    """Run.json(SCORECARD) after Run.scorecard() returned the Scorecard object (one cache key
    for both), so `column_types_for_run(run)` failed after `run.require_scorecard()`."""
    from toolkit.model.scorecard import Scorecard
    from toolkit.run.folder import SCORECARD, Run

    loaded = object()
    monkeypatch.setattr(Scorecard, "load", classmethod(lambda cls, path: loaded))
    (tmp_path / SCORECARD).write_text('{"kind": "scorecard"}')
    run = Run(tmp_path)
    assert run.scorecard() is loaded
    assert run.json(SCORECARD) == {"kind": "scorecard"}
    assert run.scorecard() is loaded
