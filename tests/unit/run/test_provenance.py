"""Provenance: the snapshot sidecar a run was trained on, the flow and the backtest it
recorded, written and read back with one-line errors (toolkit.run.provenance)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from cli_run import run_cli
from toolkit.errors import SegkitError
from toolkit.ruleset import Ruleset, Segment
from toolkit.ruleset.flow import flow
from toolkit.run import folder as runs
from toolkit.run.provenance import (Backtest, backtest_of, flow_document, read_sidecar,
                                    record_flow, record_snapshot, recorded_backtest,
                                    recorded_movement, recorded_snapshot, sidecar_path,
                                    snapshot_sentence)

RFM = Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml"


def sidecar(table: Path, as_of: str = "2026-06-30", rows: int | None = 2000, **extra) -> Path:
    doc = {"as_of": as_of, "horizon_days": 30, "label": "purchased_next_30d", "rows": rows,
           "positives": 500, "sources": {"orders": {"sha256": "x"}}, "features": [], **extra}
    path = sidecar_path(table)
    path.write_text(json.dumps(doc, indent=1))
    return path


def test_the_sidecar_sits_beside_its_table_and_is_read_checked(tmp_path):
    table = tmp_path / "customers.parquet"
    assert sidecar_path(table) == tmp_path / "customers.parquet.snapshot.json"
    assert read_sidecar(table) is None
    sidecar(table)
    doc, info = read_sidecar(table)
    assert doc["sources"] == {"orders": {"sha256": "x"}}
    assert (str(info.as_of), info.horizon_days, info.label, info.rows, info.positive_rate) == \
        ("2026-06-30", 30, "purchased_next_30d", 2000, 0.25)
    assert "as of 2026-06-30" in snapshot_sentence(info) and "30 days after it" in snapshot_sentence(info)


@pytest.mark.parametrize("text, needle", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not an object"),
    ('{"as_of": "June"}', "'as_of' is 'June'"),
    ('{"horizon_days": 30}', "'as_of' is None"),
    ('{"as_of": "2026-06-30", "horizon_days": 0}', "'horizon_days' is 0"),
    ('{"as_of": "2026-06-30", "rows": "many"}', "'rows' is 'many'"),
])
def test_a_broken_sidecar_is_one_line_naming_it(tmp_path, text, needle):
    table = tmp_path / "t.parquet"
    sidecar_path(table).write_text(text)
    with pytest.raises(SegkitError) as exc:
        read_sidecar(table)
    msg = str(exc.value)
    assert "\n" not in msg and "t.parquet.snapshot.json" in msg and needle in msg


def test_record_snapshot_copies_removes_a_stale_one_and_refuses_other_rows(tmp_path):
    run, table = tmp_path / "run", tmp_path / "customers.parquet"
    run.mkdir()
    side = sidecar(table)
    info, note = record_snapshot(run, table, rows=2000)
    assert note is None and str(info.as_of) == "2026-06-30"
    assert (run / runs.SNAPSHOT).read_bytes() == side.read_bytes()  # the file itself
    assert str(recorded_snapshot(run).as_of) == "2026-06-30"
    # the table was rewritten by hand since (other row count): the sidecar is not its own
    info, note = record_snapshot(run, table, rows=1999)
    assert info is None and "2,000 rows" in note and "1,999" in note
    assert not (run / runs.SNAPSHOT).exists()
    # a table without a sidecar: a snapshot.json from an earlier run in the folder goes
    (run / runs.SNAPSHOT).write_bytes(side.read_bytes())
    other = tmp_path / "plain.parquet"
    info, note = record_snapshot(run, other, rows=10)
    assert info is None and "removed" in note and not (run / runs.SNAPSHOT).exists()
    assert record_snapshot(run, other, rows=10) == (None, None)
    assert recorded_snapshot(run) is None


def test_train_records_the_snapshot_its_rows_came_from(toy_table, tmp_path, capsys):
    table = tmp_path / "snap.parquet"
    toy_table.write_parquet(table)
    side = sidecar(table, rows=toy_table.height)
    out = tmp_path / "run"
    args = ["train", "--data", str(table), "--out", str(out), "--outer-bags", "1", "--interactions", "0"]
    assert run_cli(args) == 0
    assert json.loads((out / runs.SNAPSHOT).read_text()) == json.loads(side.read_text())
    assert "snapshot as of 2026-06-30" in capsys.readouterr().out
    # the same folder trained again on a table that is no snapshot: the record goes
    plain = tmp_path / "plain.parquet"
    toy_table.write_parquet(plain)
    assert run_cli([*args[:2], str(plain), *args[3:]]) == 0
    assert not (out / runs.SNAPSHOT).exists()
    capsys.readouterr()


def test_train_refuses_a_broken_sidecar_before_fitting(toy_table, tmp_path, capsys):
    table = tmp_path / "snap.parquet"
    toy_table.write_parquet(table)
    sidecar_path(table).write_text("{oops")
    out = tmp_path / "run"
    assert run_cli(["train", "--data", str(table), "--out", str(out), "--outer-bags", "1",
                    "--interactions", "0"]) == 2
    err = capsys.readouterr().err
    assert "snap.parquet.snapshot.json: not valid JSON" in err and "Traceback" not in err
    assert not (out / runs.SCORECARD).exists()


# -- flow.json -----------------------------------------------------------------------------
RS = Ruleset("t", [Segment("champions", "Champions", "", "x > 10"),
                   Segment("at_risk", "At risk", "", "x > 5")])
A = pl.DataFrame({"id": [1, 2, 3, 4, 5], "x": [20, 20, 20, 7, 1]})
B = pl.DataFrame({"id": [1, 2, 3, 4, 6], "x": [7, 7, 20, 20, 1]})


def _tables(tmp_path: Path, a_as_of: str | None, b_as_of: str | None) -> tuple[Path, Path]:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    A.write_parquet(a)
    B.write_parquet(b)
    for table, as_of in ((a, a_as_of), (b, b_as_of)):
        if as_of:
            sidecar(table, as_of)
    return a, b


def test_flow_document_has_campaigns_dates_and_reads_back(tmp_path):
    a, b = _tables(tmp_path, "2026-05-31", "2026-06-30")
    f = flow(RS, A, B, "id")
    doc = flow_document(f, RS, a, b)
    assert doc["as_of"] == {"before": "2026-05-31", "after": "2026-06-30"}
    assert doc["files"] == {"before": "a.parquet", "after": "b.parquet"}
    assert doc["biggest"][0]["campaign"]["kind"] == "win_back"  # 2 champions became at risk
    run = tmp_path / "run"
    run.mkdir()
    record_flow(run, doc)
    moved = recorded_movement(run)
    assert moved.flow.matrix == f.matrix and moved.period == "2026-05-31 -> 2026-06-30"
    (move, campaign), (back, campaign2) = moved.biggest(3)
    assert (move.source, move.target, move.customers) == ("champions", "at_risk", 2)
    assert campaign["kind"] == "win_back" and campaign2["kind"] == "welcome_back"
    assert (back.source, back.target) == ("at_risk", "champions")


def test_flow_dates_unknown_without_sidecars_and_backwards_dates_refused(tmp_path):
    a, b = _tables(tmp_path, None, None)
    doc = flow_document(flow(RS, A, B, "id"), RS, a, b)
    assert doc["as_of"] == {"before": None, "after": None}
    a, b = _tables(tmp_path, "2026-06-30", "2026-05-31")
    with pytest.raises(SegkitError, match="give the earlier snapshot as --data"):
        flow_document(flow(RS, A, B, "id"), RS, a, b)
    with pytest.raises(SegkitError, match="no such run folder"):
        record_flow(tmp_path / "nowhere", doc)


def test_rules_flow_run_records_the_same_json_as_json(tmp_path, capsys):
    a, b = _tables(tmp_path, "2026-05-31", "2026-06-30")
    rules = tmp_path / "rules.yaml"
    RS.save(rules)
    run = tmp_path / "run"
    run.mkdir()
    assert run_cli(["rules", "flow", str(rules), "--data", str(a), "--then", str(b), "--id", "id",
                    "--json", str(tmp_path / "flow.json"), "--run", str(run)]) == 0
    out = capsys.readouterr().out
    assert "2 Champions became At risk" in out and "-> Win-back:" in out
    assert "as of 2026-05-31 (A) and 2026-06-30 (B)" in out
    assert json.loads((run / runs.FLOW).read_text()) == json.loads((tmp_path / "flow.json").read_text())
    # a run folder that does not exist: one line, exit 2, nothing written
    assert run_cli(["rules", "flow", str(rules), "--data", str(a), "--then", str(b), "--id", "id",
                    "--run", str(tmp_path / "typo")]) == 2
    assert "no such run folder" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


# -- backtest.json -------------------------------------------------------------------------
def backtest_doc(oracle: bool = True) -> dict:
    def m(auc):
        return {"roc_auc": auc, "pr_auc": auc - 0.3, "f1": 0.5, "lift_top_decile": 2.5}

    folds = []
    for (tr, te), aucs in zip([("2026-01-31", "2026-03-02"), ("2026-03-02", "2026-04-01")],
                              [(0.88, 0.80, 0.83, 0.85, 0.89), (0.86, 0.81, 0.87, 0.84, 0.87)]):
        base = {"recency": m(aucs[1]), "rfm_logistic": m(aucs[2]), "bgnbd": m(aucs[3])}
        if oracle:
            base["oracle"] = m(aucs[4])
        folds.append({"train_as_of": tr, "test_as_of": te, "rows": 5000, "positives": 1400,
                      "model": m(aucs[0]), "baselines": base})
    return {"folds": folds}


def test_a_backtest_reads_back_with_its_verdict_per_fold(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert recorded_backtest(run) is None
    (run / runs.BACKTEST).write_text(json.dumps(backtest_doc()))
    bt = recorded_backtest(run)
    assert isinstance(bt, Backtest) and len(bt.folds) == 2
    assert bt.baseline_names == ["recency", "rfm_logistic", "bgnbd", "oracle"]
    assert bt.folds[0].beats() is True            # 0.88 above 0.80, 0.83, 0.85 (oracle aside)
    assert bt.folds[1].beats() is False           # rfm_logistic 0.87 > 0.86
    assert backtest_of(backtest_doc(oracle=False)).baseline_names == ["recency", "rfm_logistic", "bgnbd"]


@pytest.mark.parametrize("doc, needle", [
    ({}, "no 'folds' list"),
    ({"folds": [{"test_as_of": "x", "model": {}}]}, "no 'train_as_of'"),
    ({"folds": [{"train_as_of": "a", "test_as_of": "b", "model": {"roc_auc": "high"}}]}, "roc_auc is 'high'"),
    ({"folds": [{"train_as_of": "a", "test_as_of": "b", "model": {}, "rows": -1}]}, "'rows' is -1"),
])
def test_a_broken_backtest_is_one_line(doc, needle):
    with pytest.raises(SegkitError) as exc:
        backtest_of(doc, "run/backtest.json")
    assert "\n" not in str(exc.value) and needle in str(exc.value) and "run/backtest.json" in str(exc.value)


def test_run_view_hands_out_what_the_run_recorded(tmp_path):
    """The TUI reads these through RunView, never the files; a flow recorded after the view
    was opened is seen (not cached)."""
    from toolkit.run.view import RunView

    run = tmp_path / "run"
    run.mkdir()
    view = RunView(run)
    assert (view.snapshot_info(), view.backtest(), view.movement(), view.movement_stamp()) == \
        (None, None, None, None)
    (run / runs.SNAPSHOT).write_text(json.dumps({"as_of": "2026-06-30", "horizon_days": 30}))
    (run / runs.BACKTEST).write_text(json.dumps(backtest_doc()))
    a, b = _tables(tmp_path, "2026-05-31", "2026-06-30")
    record_flow(run, flow_document(flow(RS, A, B, "id"), RS, a, b))
    view2 = RunView(run)
    assert str(view2.snapshot_info().as_of) == "2026-06-30" and len(view2.backtest().folds) == 2
    assert view.movement().period == "2026-05-31 -> 2026-06-30"  # the first view sees it too
    assert view.movement_stamp() is not None
