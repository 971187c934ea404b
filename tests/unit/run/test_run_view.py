"""RunView: aggregates from a column projection, pages, profiles, one customer explained."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tui_run import copy_run
from toolkit.errors import SegkitError
from toolkit.run.view import RunView, bar_checks, model_rows, one_line, sort_segment_rows


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return copy_run(tmp_path_factory.mktemp("rv") / "demo")


def test_segment_rows_match_a_full_apply(run):
    view = RunView(run)
    rs = view.ruleset()
    rows = view.segment_rows(rs)
    assert not view.frame_loaded  # the quick path does not load the whole table
    data = pl.read_parquet(run / "data.parquet")
    scores = pl.read_parquet(run / "scores.parquet")
    seg = rs.apply(data)
    assert [r.id for r in rows] == rs.ids
    for r in rows:
        mask = seg["segment"] == r.id
        assert r.size == int(mask.sum())
        assert r.purchase_rate == pytest.approx(data.filter(mask)["purchased_next_30d"].mean())
        assert r.mean_probability == pytest.approx(scores.filter(mask)["purchase_probability"].mean())
    assert sum(r.share for r in rows) == pytest.approx(1.0)
    assert rows[-1].is_default and rows[-1].rule == "(everyone else)"
    assert rows[0].rule == one_line(rs.segments[0].rule)
    # the full frame gives the same numbers
    assert view.aggregate(view.frame(), rs) == rows


def test_sort_rows():
    from toolkit.run.view import SegmentRow

    rows = [SegmentRow("a", "B", 1, 10, 0.1, None, 0.2, "x"), SegmentRow("b", "a", 2, 30, 0.3, 0.5, 0.1, "y"),
            SegmentRow("c", "C", None, 20, 0.2, 0.1, 0.3, "")]
    assert [r.id for r in sort_segment_rows(rows, "size", True)] == ["b", "c", "a"]
    assert [r.id for r in sort_segment_rows(rows, "purchase_rate")] == ["c", "b", "a"]  # missing last
    assert [r.id for r in sort_segment_rows(rows, "position")] == ["a", "b", "c"]
    assert [r.id for r in sort_segment_rows(rows, "name")] == ["b", "a", "c"]
    with pytest.raises(SegkitError, match="cannot sort"):
        sort_segment_rows(rows, "colour")


def test_pages_profiles_and_customer(run):
    view = RunView(run)
    rs = view.ruleset()
    seg = view.with_segments(rs)
    sid = rs.segments[0].id
    page = view.page(seg, sid, offset=0, limit=25, columns=view.sample_columns(seg))
    members = seg.filter(pl.col("segment") == sid)
    assert page.total == members.height and page.rows.height == min(25, members.height)
    probs = page.rows["purchase_probability"].to_list()
    assert probs == sorted(probs, reverse=True)
    assert probs[0] == pytest.approx(members["purchase_probability"].max())
    last = view.page(seg, sid, offset=10**9, limit=25)
    assert last.number == last.pages and last.rows.height >= 1
    profiles = view.profiles(seg, rs)
    assert set(profiles) == set(rs.ids) - {s for s in rs.ids if not (seg["segment"] == s).any()}
    assert profiles[sid].size == members.height

    cid = members["customer_id"][0]
    e = view.explain_customer(cid, rs)
    card = view.scorecard()
    row = seg.filter(pl.col("customer_id") == cid)
    assert e.probability == pytest.approx(row["purchase_probability"][0])
    assert e.probability == pytest.approx(card.predict_proba(row)[0])
    logit = e.intercept + sum(c.score for c in e.contributions)
    assert 1 / (1 + np.exp(-logit)) == pytest.approx(e.probability)
    assert e.segment == sid and e.decision == (e.probability >= card.threshold)
    assert [abs(c.score) for c in e.contributions] == sorted((abs(c.score) for c in e.contributions), reverse=True)
    assert all(c.score > 0 for c in e.up) and all(c.score < 0 for c in e.down)
    with pytest.raises(SegkitError, match="no customer"):
        view.explain_customer("nobody", rs)


def test_customer_lookup_before_the_frame_is_loaded(run):
    view = RunView(run)
    first = pl.read_parquet(run / "data.parquet", columns=["customer_id"])["customer_id"][5]
    row = view.find_customer(first)
    assert row is not None and row["purchase_probability"] is not None
    assert not view.frame_loaded


def test_metrics_views_and_missing_pieces(run, tmp_path):
    view = RunView(run)
    metrics = view.metrics()
    checks = {c.metric: c for c in bar_checks(metrics)}
    assert checks["roc_auc"].value == metrics["test"]["roc_auc"]
    assert checks["f1"].passed == (metrics["test"]["f1"] >= 0.68)
    labels = [label for label, _ in model_rows(metrics)]
    assert labels[0].startswith("EBM") and "logistic regression" in labels
    # a run without data: clear message; without a folder: clear message
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "metrics.json").write_text(json.dumps(metrics))
    v = RunView(bare)
    assert not v.has_data and v.ruleset() is None
    with pytest.raises(SegkitError, match="--data"):
        v.segment_rows(None)
    with pytest.raises(SegkitError, match="no such run folder"):
        RunView(tmp_path / "missing")
    # --data pointing elsewhere works, and a run without a ruleset groups by scores' segment
    v2 = RunView(bare, data=run / "data.parquet")
    rows = v2.segment_rows(None)
    assert len(rows) == 1 and rows[0].size == 3000


# ---- another table with the same ids (next month's customers) ----------------------------


def test_new_month_with_the_same_ids_is_scored_and_clustered_not_joined(run, tmp_path):
    """Issue 8: `tui --run RUN --data NEW` showed the run's old scores and clusters, joined by id."""
    from tui_run import ROWS

    from toolkit.data.generate import generate
    from toolkit.model.scorecard import Scorecard
    from toolkit.segments.pipeline import assign_clusters

    new, _ = generate(ROWS, 99)                  # same ids C0000001.., other customers
    old = pl.read_parquet(run / "data.parquet")
    assert new["customer_id"].equals(old["customer_id"])
    path = tmp_path / "next_month.parquet"
    new.write_parquet(path)

    view = RunView(run, data=path)
    assert not view.data_matches_run() and RunView(run).data_matches_run()
    rs = view.ruleset()
    rows = view.segment_rows(rs)
    card = Scorecard.load(run / "scorecard.json")
    fresh = card.predict_proba(new)
    seg = rs.apply(new)["segment"]
    old_scores = pl.read_parquet(run / "scores.parquet")["purchase_probability"].to_numpy()
    moved = 0
    for r in rows:
        mask = (seg == r.id).to_numpy()
        if not mask.any():
            continue
        assert r.mean_probability == pytest.approx(float(fresh[mask].mean()), rel=1e-9)
        moved += abs(float(old_scores[mask].mean()) - r.mean_probability) > 1e-6
    assert moved                                 # the old scores would have given other means
    assert any("not the table this run was built from" in p for p in view.problems)

    frame = view.frame()
    assert np.allclose(frame["purchase_probability"].to_numpy(), fresh)
    summary = json.loads((run / "segments.json").read_text())
    placed = assign_clusters(summary, new)
    assert np.array_equal(frame["__cluster"].to_numpy(), placed)
    old_clusters = pl.read_parquet(run / "assignments.parquet")["cluster"].to_numpy()
    assert not np.array_equal(placed, old_clusters)
    # fidelity is measured against the clusters of *these* customers
    cov = view.coverage_engine(rs).coverage(rs)
    seg_of = view.cluster_segments()
    expected = np.mean(seg.to_numpy() == np.array([seg_of[int(c)] for c in placed], dtype=object))
    assert cov.fidelity == pytest.approx(float(expected))
    # a customer looked up by id gets this month's probability
    cid = new["customer_id"][3]
    assert view.find_customer(cid)["purchase_probability"] == pytest.approx(float(fresh[3]))


def test_stored_centroids_reproduce_the_run_assignments(run):
    from toolkit.segments.pipeline import assign_clusters

    summary = json.loads((run / "segments.json").read_text())
    data = pl.read_parquet(run / "data.parquet")
    stored = pl.read_parquet(run / "assignments.parquet")["cluster"].to_numpy()
    assert np.array_equal(assign_clusters(summary, data), stored)


def test_old_run_without_centroids_says_fidelity_is_not_available(run, tmp_path):
    import shutil

    from toolkit.data.generate import generate

    old = tmp_path / "old"
    shutil.copytree(run, old)
    summary = json.loads((old / "segments.json").read_text())
    summary.pop("centroids")
    (old / "segments.json").write_text(json.dumps(summary))
    new, _ = generate(1000, 5)
    path = tmp_path / "new.parquet"
    new.write_parquet(path)
    view = RunView(old, data=path)
    rs = view.ruleset()
    frame = view.frame()
    assert "__cluster" not in frame.columns
    assert view.coverage_engine(rs).coverage(rs).fidelity is None
    assert any("fidelity to clusters is not available" in p for p in view.problems)


def test_ruleset_figures_reproduce_segments_json_then_follow_an_edit(run):
    """Issue 8: after saving edited rules, Compare and provenance.fidelity showed the old figures."""
    from toolkit.run.compare import compare_approaches
    from toolkit.ruleset import Ruleset

    view = RunView(run)
    rs = view.ruleset()
    summary = json.loads((run / "segments.json").read_text())
    same = view.ruleset_figures(rs)
    assert same.held_out and same.rows == summary["held_out_rows"]
    assert same.fidelity == pytest.approx(summary["fidelity"], abs=1e-4)
    assert same.coverage == pytest.approx(summary["coverage"], abs=1e-4)
    assert same.cost_ratio == pytest.approx(summary["cost_ratio"], abs=1e-3)

    # an edit: the first rule's segment loses everyone (rule "false"): they fall to later rules
    text = (run / "segments.yaml").read_text()
    first = rs.segments[0]
    edited = Ruleset.loads(text.replace(f"rule: {first.rule}", "rule: sessions_30d < -1", 1))
    figs = view.ruleset_figures(edited)
    assert figs.fidelity < same.fidelity - 0.01
    seg = edited.apply(view.frame())["segment"].to_numpy()
    assert not (seg == first.id).any()
    rows = compare_approaches(run, rules=figs.as_overrides())
    evaluation = next(r for r in rows if r.key == "evaluation")
    assert evaluation.unsupervised_figures["fidelity"] == figs.fidelity
    assert f"rules fidelity {figs.fidelity:.3f}" in evaluation.unsupervised
    assert "edited rules" in evaluation.unsupervised
    original = next(r for r in compare_approaches(run) if r.key == "evaluation")
    assert original.unsupervised_figures["fidelity"] == summary["fidelity"]


def test_the_customer_table_is_read_once_for_fingerprint_and_frame(run, monkeypatch):
    """The first screen checks the fingerprint (a full read); the frame must reuse that table."""
    view = RunView(run)
    reads = []
    original = view._read_table
    monkeypatch.setattr(view, "_read_table", lambda: reads.append(1) or original())
    view.segment_rows()          # the first screen: decides by fingerprint
    assert view.data_matches_run("training")
    frame = view.frame()
    assert len(reads) == 1 and frame.height == RunView(run).frame().height
