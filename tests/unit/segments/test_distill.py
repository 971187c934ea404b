"""Distillation: rounding, path length, ordered-rule exactness, OR-merged segments, missing
values and fidelity measured on the rounded rules."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from toolkit.segments import distill as D
from toolkit.rules import parse, to_polars
from toolkit.rules.nodes import Between, Compare, predicates
from toolkit.segments.space import fit_space
from toolkit.segments import clustering as C

from segment_fixtures import blobs


@pytest.mark.parametrize("t, whole, integer, expected", [
    (2.5, True, True, 3),          # x <= 2.5 on whole numbers is exactly x < 3
    (0.5, True, True, 1),
    (17.5, True, True, 18),
    (137.5, True, True, 140),      # >= 100: two significant digits
    (2.4, True, False, 2),         # count column holding fractions: nearest whole number
    (123.456, False, False, 120),  # money: two significant digits
    (0.0345, False, False, 0.035),
    (0.51999, False, False, 0.52),
    (1234.5, False, False, 1200),
    (-0.046, False, False, -0.046),
])
def test_round_cut(t, whole, integer, expected):
    cut = D.round_cut(t, whole=whole, integer_valued=integer)
    assert cut == expected
    if whole:
        assert isinstance(cut, int)
    assert repr(cut) == repr(expected)  # no float noise such as 0.35000000000000003


def _tree_data(n: int = 4000, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """Clusters defined by ranges of a few columns, one of them with missing values."""
    rng = np.random.default_rng(seed)
    orders = rng.integers(0, 12, n)
    recency = rng.integers(0, 400, n)
    spend = np.round(rng.gamma(2.0, 150.0, n), 2)
    opens = rng.integers(0, 10, n).astype(float)
    opens[rng.random(n) < 0.2] = np.nan
    y = np.where(recency > 180, 0,                                 # lapsed
                 np.where(orders >= 6, np.where(spend > 400, 1, 2),  # frequent: big / small spend
                          np.where(np.isnan(opens), 3, 4)))          # rest: no email consent / email
    frame = pl.DataFrame({"orders_90d": orders, "days_since_last_purchase": recency,
                          "total_spend_365d": spend,
                          "email_opens_30d": pl.Series(opens).fill_nan(None)})
    return frame, y


FEATURES = ["orders_90d", "days_since_last_purchase", "total_spend_365d", "email_opens_30d"]


def _fit(frame, y, leaves=12, **kw):
    infos = D.column_infos(frame, FEATURES)
    model = D.fit_tree(D.tree_matrix(frame, infos), y, leaves=leaves, seed=0, features=FEATURES,
                       min_leaf=5)
    return model, infos


def test_unrounded_ordered_rules_reproduce_the_tree_exactly():
    """Dropping conditions in the ordered form must not change a single assignment."""
    frame, y = _tree_data()
    model, infos = _fit(frame, y, leaves=16)
    rules = D.tree_rules(model, FEATURES, infos, max_conditions=99, rounded=False)
    predicted = model.predict(D.tree_matrix(frame, infos))
    assert (rules.assign(frame) == predicted).all()
    # and it did drop conditions: the ordered rules are shorter than the raw paths
    assert rules.max_conditions <= rules.settings["unordered_max_conditions"]


def test_paths_have_at_most_three_conditions_and_whole_number_cuts():
    frame, y = blobs(3000, k=5, seed=2, separation=3.0)
    space = fit_space(frame)
    labels = C.assign(space.transform(frame), C.fit_kmeans(space.transform(frame), 5, seed=0))
    dist = D.distill(frame, labels, list(range(5)), features=space.features,
                     fit_rows=np.arange(0, 3000, 2), valid_rows=np.arange(1, 3000, 2),
                     leaves=[5, 10, 20], max_conditions=3)
    rules = dist.rules
    assert rules.max_conditions <= 3
    assert all(p.conditions <= 3 for p in rules.paths)
    for c in rules.ordered:
        node = parse(rules.text(c))
        for branch in (node.operands if type(node).__name__ == "Or" else (node,)):
            assert len({p.column for p in predicates(branch)}) <= 3
        for p in predicates(node):
            if p.column.endswith(("_30d", "_90d", "_365d")) and p.column.split("_")[0] in (
                    "orders", "sessions", "email", "page", "product", "search", "checkout"):
                values = [p.value] if isinstance(p, Compare) else [p.low, p.high] if isinstance(p, Between) else []
                assert all(isinstance(v.value, int) for v in values), rules.text(c)
    held = np.arange(1, 3000, 2)
    assert D.fidelity(rules.assign(frame[held]), labels[held]) > 0.9


def test_or_merged_segment_and_missing_values():
    frame, y = _tree_data()
    model, infos = _fit(frame, y)
    rules = D.tree_rules(model, FEATURES, infos, max_conditions=3)
    assert D.fidelity(rules.assign(frame), y) > 0.98
    texts = {c: rules.text(c) for c in rules.ordered}
    # email consent: the segment of customers without opens says so explicitly (or, if it is
    # the default, the other one says "is not missing")
    if rules.default != 3:
        assert "email_opens_30d is missing" in texts[3]
    else:
        assert "email_opens_30d is not missing" in texts[4] or "email_opens_30d >=" in texts[4]
    # a cluster spread over two regions is one segment: an OR of its paths. Two such clusters,
    # so that one of them cannot be the default segment and must be written out.
    rng = np.random.default_rng(0)
    orders, rec = rng.integers(0, 30, 6000), rng.integers(0, 100, 6000)
    mid = (orders >= 5) & (orders < 25)
    y2 = np.where(~mid, 0, np.where((rec < 20) | (rec >= 80), 1, 2))
    frame2 = pl.DataFrame({"orders_90d": orders, "days_since_last_purchase": rec})
    cols = ["orders_90d", "days_since_last_purchase"]
    infos2 = D.column_infos(frame2, cols)
    m2 = D.fit_tree(D.tree_matrix(frame2, infos2), y2, leaves=10, seed=0, features=cols, min_leaf=5)
    r2 = D.tree_rules(m2, cols, infos2)
    assert (r2.assign(frame2) == y2).all()
    ors = [c for c in r2.ordered if len(r2.paths_of(c)) > 1]
    assert ors, {c: r2.text(c) for c in r2.ordered}
    text = r2.text(ors[0])
    assert " or " in text
    if ors[0] == 0:
        assert text == "orders_90d < 5 or orders_90d >= 25"
    # the segment's rule alone matches exactly its cluster's two regions
    alone = frame2.select(to_polars(parse(text)).fill_null(False).alias("m"))["m"].to_numpy()
    assert (alone == (y2 == ors[0])).all()


def test_missing_side_of_a_split_is_written_out():
    frame, y = _tree_data()
    model, infos = _fit(frame, y)
    assert infos["email_opens_30d"].sentinel == -1.0 and infos["orders_90d"].sentinel is None
    rules = D.tree_rules(model, FEATURES, infos, max_conditions=3)
    for c in rules.ordered:
        for p in predicates(parse(rules.text(c))):
            assert p.column != "email_opens_30d" or type(p).__name__ in ("IsMissing", "Compare", "Between")
    # evaluating the text with the rule language gives the same as SegmentRules.assign
    order = rules.ordered
    expr = None
    for c in order:
        m = to_polars(parse(rules.text(c))).fill_null(False)
        expr = pl.when(m).then(c) if expr is None else expr.when(m).then(c)
    via_text = frame.select(expr.otherwise(rules.default).alias("s"))["s"].to_numpy()
    assert (via_text == rules.assign(frame)).all()


def test_fidelity_is_measured_after_rounding():
    # clusters split exactly at spend 123.4: the rounded cut (120) moves 120 <= spend < 123.4
    rng = np.random.default_rng(5)
    spend = np.round(rng.uniform(0, 300, 5000), 2)
    frame = pl.DataFrame({"total_spend_365d": spend})
    y = (spend > 123.4).astype(int)
    infos = D.column_infos(frame, ["total_spend_365d"])
    model = D.fit_tree(D.tree_matrix(frame, infos), y, leaves=2, seed=0,
                       features=["total_spend_365d"], min_leaf=1)
    raw = D.tree_rules(model, ["total_spend_365d"], infos, rounded=False)
    rounded = D.tree_rules(model, ["total_spend_365d"], infos)
    assert D.fidelity(raw.assign(frame), y) == 1.0
    moved = ((spend >= 120) & (spend <= 123.4)).mean()
    assert moved > 0
    assert D.fidelity(rounded.assign(frame), y) == pytest.approx(1 - moved)
    assert "120" in (rounded.text(rounded.ordered[0]) or "")


def test_coverage_and_default():
    labels = np.array([0, 1, 2, 2, -1])
    assert D.coverage(labels) == pytest.approx(0.8)
    assert D.fidelity(np.array([0, 1, 1]), np.array([0, 1, 2])) == pytest.approx(2 / 3)


def test_hstree_gives_a_tree_too():
    frame, y = _tree_data(2000)
    infos = D.column_infos(frame, FEATURES)
    model = D.fit_tree(D.tree_matrix(frame, infos), y, leaves=10, seed=0, features=FEATURES, kind="hs")
    rules = D.tree_rules(model, FEATURES, infos)
    assert D.fidelity(rules.assign(frame), y) > 0.9
