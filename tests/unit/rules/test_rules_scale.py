"""Big rulesets: the blocked first-match gives exactly what one rule at a time would, and
check/apply/live coverage handle thousands of segments (correctness only, never timing)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from toolkit.ruleset.coverage import CoverageEngine
from toolkit.ruleset import APPLY_CHUNK, Ruleset, Segment
from toolkit.ruleset.ops import OVERLAP_EXACT_MAX, check
from toolkit.rules import to_polars


def _frame(rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=rows)
    f[rng.random(rows) < 0.1] = np.nan  # NaN is missing in a float column
    n = rng.integers(0, 20, rows).astype(float)
    return pl.DataFrame({
        "f": f,
        "g": pl.Series(rng.normal(size=rows)).set(pl.Series(rng.random(rows) < 0.1), None),
        "n": pl.Series(n).cast(pl.Int64).set(pl.Series(rng.random(rows) < 0.1), None),
        "s": pl.Series(rng.choice(["a", "b", "c"], rows)).set(pl.Series(rng.random(rows) < 0.1), None),
    })


def _atom(r: random.Random) -> str:
    kind = r.randrange(7)
    col = r.choice(["f", "g"])
    if kind == 0:
        return f"{col} {r.choice(['<', '<=', '>', '>='])} {r.uniform(-2, 2):.2f}"
    if kind == 1:
        return f"n {r.choice(['==', '!=', '<', '>='])} {r.randrange(20)}"
    if kind == 2:
        return f"s {r.choice(['in', 'not in'])} [{', '.join(repr(x) for x in r.sample('abc', 2))}]"
    if kind == 3:
        lo = r.uniform(-2, 1.5)
        return f"{col} {r.choice(['between', 'not between'])} {lo:.2f} and {lo + r.uniform(0, 1):.2f}"
    if kind == 4:
        return f"{r.choice(['f', 'g', 'n', 's'])} is {r.choice(['', 'not '])}missing"
    if kind == 5:
        return f"not ({_atom(r)})"
    return r.choice(["false", f"s == {r.choice(['a', 'b'])!r}"])


def _rule(r: random.Random) -> str:
    parts = [_atom(r) for _ in range(r.randint(1, 4))]
    text = parts[0]
    for p in parts[1:]:
        text = f"{text} {r.choice(['and', 'and', 'or'])} {p}"
    return text


def _ruleset(n: int, seed: int) -> Ruleset:
    r = random.Random(seed)
    return Ruleset("big", [Segment(f"s{i}", f"S{i}", "", _rule(r)) for i in range(n)])


def _reference(rs: Ruleset, frame: pl.DataFrame) -> tuple[list[str], np.ndarray]:
    """One rule at a time, first match in plain Python: the semantics, written simply."""
    nan = rs.nan_columns(frame.schema)
    masks = np.column_stack([
        frame.select(to_polars(s.node, nan, frame.schema).fill_null(False)).to_series().to_numpy()
        for s in rs.segments]) if rs.segments else np.zeros((frame.height, 0), dtype=bool)
    out = []
    for row in masks:
        hit = np.flatnonzero(row)
        out.append(rs.segments[hit[0]].id if hit.size else rs.default.id)
    return out, masks


def _chained(rs: Ruleset, frame: pl.DataFrame) -> list[str]:
    """The former implementation: one when/then chain over every rule."""
    exprs = rs.rule_exprs(frame.schema)
    out = None
    for s in rs.segments:
        out = (pl.when(exprs[s.id]) if out is None else out.when(exprs[s.id])).then(pl.lit(s.id))
    return frame.select(out.otherwise(pl.lit(rs.default.id))).to_series().to_list()


@pytest.mark.parametrize("seed", range(6))
def test_blocked_first_match_equals_reference_on_random_rules(seed):
    r = random.Random(seed)
    n = r.choice([1, 3, APPLY_CHUNK - 1, APPLY_CHUNK, APPLY_CHUNK + 1, 3 * APPLY_CHUNK + 7])
    rs = _ruleset(n, seed)
    frame = _frame(300, seed)
    expected, _ = _reference(rs, frame)
    assert rs.apply(frame)["segment"].to_list() == expected
    assert frame.select(rs.to_polars_expr(frame.schema)).to_series().to_list() == expected
    if n <= APPLY_CHUNK + 1:
        assert _chained(rs, frame) == expected


def test_later_blocks_decide_rows_earlier_blocks_leave_and_names_follow():
    # rules 0..199 match nobody, 200 matches x == 1, 201 matches everyone: three blocks
    segs = [Segment(f"z{i}", f"Z{i}", "", "x > 100") for i in range(200)]
    segs += [Segment("one", "One", "", "x == 1"), Segment("all", "All", "", "true")]
    rs = Ruleset("t", segs)
    frame = pl.DataFrame({"x": [1, 2, None]})
    out = rs.apply(frame, name_column="segment_name")
    assert out["segment"].to_list() == ["one", "all", "all"]
    assert out["segment_name"].to_list() == ["One", "All", "All"]
    assert rs.match_index(frame).to_list() == [200, 201, 201]
    assert rs.apply(frame.head(0))["segment"].to_list() == []


def test_two_thousand_segments_on_small_data_complete_and_are_right():
    rs = _ruleset(2000, 11)
    frame = _frame(200, 11)
    expected, masks = _reference(rs, frame)
    assert rs.apply(frame)["segment"].to_list() == expected
    report = check(rs, frame)
    assert [s.matched for s in report.segments[:-1]] == masks.sum(axis=0).tolist()
    got = {s.id: s.assigned for s in report.segments}
    assert got == {sid: expected.count(sid) for sid in rs.ids}
    assert sum(got.values()) == frame.height


def test_check_overlap_exact_below_the_limit_matches_pairwise_counts():
    rs = _ruleset(40, 3)
    frame = _frame(400, 3)
    _, masks = _reference(rs, frame)
    report = check(rs, frame)
    assert report.overlap_exact
    both = masks.T.astype(int) @ masks.astype(int)
    ids = [s.id for s in rs.segments]
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            assert report.overlap[a][b] == both[i, j]


def test_check_above_the_limit_counts_rows_each_earlier_segment_takes():
    n = OVERLAP_EXACT_MAX + 20
    rs = _ruleset(n, 5)
    frame = _frame(150, 5)
    expected, masks = _reference(rs, frame)
    report = check(rs, frame)
    assert not report.overlap_exact and report.to_dict()["overlap_exact"] is False
    pos = {sid: i for i, sid in enumerate(rs.ids)}
    first = np.array([pos[e] for e in expected])
    for j, b in enumerate(rs.ids[:-1]):
        taken = np.bincount(first[masks[:, j]], minlength=n + 1)
        assert report.overlap[b][b] == masks[:, j].sum()
        for i in range(j):
            assert report.overlap[rs.ids[i]].get(b, 0) == taken[i]
    pairs = report.overlapping_pairs()
    assert pairs and all(pos[a] < pos[b] for a, b, _ in pairs)
    assert [c for *_, c in pairs] == sorted((c for *_, c in pairs), reverse=True)


def test_live_coverage_agrees_with_check_on_a_big_ruleset():
    rs = _ruleset(OVERLAP_EXACT_MAX + 5, 8)
    frame = _frame(120, 8)
    report = check(rs, frame)
    cov = CoverageEngine(frame).coverage(rs)
    assert [(s.matched, s.assigned) for s in cov.segments] == [(s.matched, s.assigned) for s in report.segments]
    assert cov.overlap == report.overlap


def test_apply_accepts_pandas_and_pyarrow_like_polars():
    rs = Ruleset("t", [Segment("hi", "Hi", "", "x > 1 and c == 'a'")])
    frame = pl.DataFrame({"x": [0.5, 2.0, None, 3.0], "c": ["a", "a", "a", None]})
    expected = rs.apply(frame)["segment"].to_list()
    assert expected == ["others", "hi", "others", "others"]
    assert rs.apply(frame.to_pandas())["segment"].to_list() == expected
    assert rs.apply(frame.to_arrow())["segment"].to_list() == expected
    assert rs.apply(pd.DataFrame({"x": [2.0, float("nan")], "c": ["a", "a"]}))["segment"].to_list() == ["hi", "others"]
    assert check(rs, frame.to_pandas()).segments[0].assigned == 1
    assert rs.match_index(pa.table({"x": [5], "c": ["a"]})).to_list() == [0]


def test_apply_refuses_what_is_not_a_table_in_one_line():
    from toolkit.errors import SegkitError

    rs = Ruleset("t", [Segment("hi", "Hi", "", "x > 1")])
    with pytest.raises(SegkitError, match="DataFrame"):
        rs.apply([1, 2, 3])
