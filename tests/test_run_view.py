"""RunView: aggregates from a column projection, pages, profiles, one customer explained."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tui_run import copy_run
from toolkit.errors import SegkitError
from toolkit.run_view import RunView, bar_checks, model_rows, one_line, sort_segment_rows


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
    from toolkit.run_view import SegmentRow

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
