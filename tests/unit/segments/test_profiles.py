"""Segment profiles for any segment column, and the automatic names."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from toolkit.errors import DataError
from toolkit.segments.profiles import FeatureDifference, SegmentProfile, name_segments, profile_segments, suggest_name


def _frame() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    n_a, n_b = 300, 700
    return pl.DataFrame({
        "customer_id": np.arange(n_a + n_b),
        "segment": ["vip"] * n_a + ["rest"] * n_b,
        "orders_90d": np.concatenate([rng.poisson(6, n_a), rng.poisson(1, n_b)]),
        "days_since_last_purchase": np.concatenate([rng.integers(0, 20, n_a), rng.integers(20, 300, n_b)]),
        "cart_add_rate": np.concatenate([rng.uniform(0.1, 0.2, n_a), rng.uniform(0.1, 0.2, n_b)]),
        "email_opens_30d": pl.Series([None] * 100 + list(range(n_a + n_b - 100)), dtype=pl.Int64),
        "device_type": ["mobile"] * n_a + ["desktop"] * (n_b // 2) + ["mobile"] * (n_b - n_b // 2),
        "loyalty_tier": [None] * 10 + ["gold"] * (n_a - 10) + ["none"] * n_b,
        "purchased_next_30d": np.concatenate([np.ones(n_a // 2), np.zeros(n_a - n_a // 2),
                                              np.zeros(n_b - 70), np.ones(70)]).astype(np.int8),
        "p": np.concatenate([np.full(n_a, 0.6), np.full(n_b, 0.1)]),
    })


def test_sizes_rates_probabilities_and_differences():
    f = _frame()
    profiles = profile_segments(f, "segment", probability="p")
    by = {p.id: p for p in profiles}
    assert [p.id for p in profiles] == ["rest", "vip"]  # by size
    vip = by["vip"]
    assert vip.size == 300 and vip.share == pytest.approx(0.3)
    assert vip.purchase_rate == pytest.approx(0.5) and by["rest"].purchase_rate == pytest.approx(0.1)
    assert vip.mean_probability == pytest.approx(0.6)
    top = vip.differences[0]
    assert top.feature in ("orders_90d", "days_since_last_purchase")
    orders = next(d for d in vip.differences if d.feature == "orders_90d")
    assert orders.smd > 1.5
    assert orders.median == pytest.approx(float(np.median(f.filter(pl.col("segment") == "vip")["orders_90d"])))
    assert orders.text.startswith("orders_90d median ") and " vs " in orders.text
    recency = next(d for d in vip.differences if d.feature == "days_since_last_purchase")
    assert recency.smd < -1.5
    # a rate that does not differ ranks last, or is left out when its shown figures are equal
    rate = next((d for d in vip.differences if d.feature == "cart_add_rate"), None)
    assert rate is None or (abs(rate.smd) < 0.3 and vip.differences.index(rate) >= 2)


def test_smd_is_segment_vs_rest_on_log_scale():
    f = _frame()
    vip = next(p for p in profile_segments(f, "segment") if p.id == "vip")
    d = next(d for d in vip.differences if d.feature == "orders_90d")
    x = np.log1p(f["orders_90d"].to_numpy().astype(float))
    a, b = x[:300], x[300:]
    expected = (a.mean() - b.mean()) / math.sqrt((a.var() + b.var()) / 2)
    assert d.smd == pytest.approx(expected)


def test_profile_mix_and_missing():
    f = _frame()
    vip = next(p for p in profile_segments(f, "segment") if p.id == "vip")
    device = {m["value"]: m for m in vip.mix["device_type"]}
    assert device["mobile"]["share"] == 1.0
    assert device["mobile"]["lift"] == pytest.approx(1 / 0.65, rel=1e-3)
    tiers = {m["value"]: m["share"] for m in vip.mix["loyalty_tier"]}
    assert tiers["(missing)"] == pytest.approx(10 / 300, abs=1e-4)  # stored rounded to 4 digits
    assert vip.missing["email_opens_30d"]["share"] == pytest.approx(100 / 300, abs=1e-4)
    d = vip.to_dict(top=2)
    assert len(d["differences"]) == 2 and d["name"] is None


def test_any_segment_column_even_with_nulls_and_no_target():
    f = _frame().drop("purchased_next_30d").with_columns(
        pl.when(pl.col("customer_id") < 5).then(None).otherwise(pl.col("segment")).alias("seg"))
    profiles = profile_segments(f, "seg", order=["vip", "rest"])
    assert [p.id for p in profiles][:2] == ["vip", "rest"] and profiles[2].id == "(missing)"
    assert all(p.purchase_rate is None and p.mean_probability is None for p in profiles)
    with pytest.raises(DataError, match="segment column"):
        profile_segments(f, "nope")


def _p(pid, size, diffs):
    return SegmentProfile(pid, size, 0.1, differences=[
        FeatureDifference(name, smd, med, 1.0, None, None, "") for name, smd, med in diffs])


def test_names_describe_and_are_unique():
    recent_frequent = _p("a", 500, [("days_since_last_purchase", -2.0, 5), ("orders_365d", 2.5, 12)])
    assert suggest_name(recent_frequent) == "Recent frequent buyers"
    lapsed_bargain = _p("b", 400, [("discount_order_share", 2.0, 0.8), ("days_since_last_purchase", 1.5, 300),
                                   ("orders_365d", 0.2, 2)])
    assert suggest_name(lapsed_bargain) == "Lapsed bargain hunters"
    lapsed = _p("c", 300, [("sessions_30d", -3.0, 0), ("days_since_last_purchase", 2.0, 400),
                           ("orders_365d", -1.0, 0)])
    assert suggest_name(lapsed) == "Lapsed inactive customers"
    # two segments that read alike get distinct names
    twin = _p("d", 200, [("days_since_last_purchase", -1.9, 6), ("orders_365d", 2.4, 11),
                         ("email_opens_30d", 1.2, 9)])
    # (issue 10: each twin adds what sets it apart from the other, no " 2")
    names = name_segments([recent_frequent, twin, lapsed_bargain, lapsed])
    assert names["a"] == "Recent frequent buyers, lower 30-day email opens"
    assert names["d"] == "Recent frequent email-engaged buyers"
    assert len(set(n.lower() for n in names.values())) == 4
    # no difference at all: still a name
    assert suggest_name(_p("e", 10, [])) == "Typical customers"


def test_unknown_columns_get_generic_names():
    a = _p("a", 10, [("visits", 2.0, 5), ("score", 1.0, 1)])
    b = _p("b", 9, [("visits", 1.9, 5), ("score", -1.0, 1)])
    names = name_segments([a, b])
    assert names == {"a": "High visits, high score", "b": "High visits, low score"}


def test_profiles_of_a_hand_written_ruleset():
    from pathlib import Path

    from toolkit.data.generate import generate
    from toolkit.ruleset import Ruleset

    rules = Ruleset.load(Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml")
    customers, _ = generate(2000, 5)
    segmented = rules.apply(customers)
    profiles = profile_segments(segmented, "segment", order=rules.ids, names=rules.names)
    assert sum(p.size for p in profiles) == 2000
    assert {p.id for p in profiles} <= set(rules.ids)
    assert all(p.name == rules.names[p.id] for p in profiles)
    assert all(p.purchase_rate is not None and p.differences for p in profiles)
    assert "country" in profiles[0].mix and "loyalty_tier" in profiles[0].mix


def _number(text: str) -> float:
    return float(text.strip().rstrip("%").lstrip("$").replace(",", ""))


def _shown(d) -> tuple[float, float]:
    """The two numbers a difference's text puts side by side ("A vs B ...")."""
    import re

    m = re.search(r"(?:median|mean|above 0 for) (\S+) vs (\S+)", d.text)
    assert m, d.text
    return _number(m.group(1)), _number(m.group(2))


def test_direction_words_agree_with_the_numbers_shown():
    """Issue 8: "higher avg_session_duration median 242 vs 254 s overall" and "lower
    orders_365d median 1 vs 1": the SMD (log-scale means) decided the word, the median was shown."""
    rng = np.random.default_rng(3)
    n_a, n_b = 300, 700
    seg_dur = np.where(rng.random(n_a) < 0.6, rng.uniform(240, 244, n_a), 900.0)   # median ~242, long tail
    rest_dur = rng.uniform(250, 258, n_b)                                           # median ~254
    seg_orders = np.where(rng.random(n_a) < 0.6, 1, 0)                              # median 1
    rest_orders = rng.choice([1, 1, 1, 1, 1, 2, 2, 2, 5, 5], n_b)                   # median 1
    f = pl.DataFrame({
        "segment": ["a"] * n_a + ["b"] * n_b,
        "avg_session_duration": np.concatenate([seg_dur, rest_dur]).round(1),
        "orders_365d": np.concatenate([seg_orders, rest_orders]),
    })
    a = next(p for p in profile_segments(f, "segment", target=None) if p.id == "a")
    by = {d.feature: d for d in a.differences}
    dur, orders = by["avg_session_duration"], by["orders_365d"]
    # the reproduction: the medians themselves point the other way / are equal
    assert dur.smd > 0 and dur.median < dur.overall_median
    assert orders.smd < 0 and _fmt_equal(orders.median, orders.overall_median)
    for d in a.differences:
        mine, everyone = _shown(d)
        assert mine != everyone, d.text
        assert (mine > everyone) == (d.direction == "higher"), (d.direction, d.text)
    assert dur.direction == "higher" and dur.statistic == "mean" and dur.text.startswith("avg_session_duration mean ")
    assert orders.direction == "lower" and "median 1 vs 1" not in orders.text


def _fmt_equal(a, b) -> bool:
    from toolkit.segments.profiles import _fmt

    return _fmt(a, "orders_365d") == _fmt(b, "orders_365d")


def test_share_above_zero_and_dropping_a_difference_no_figure_bears_out():
    from toolkit.segments.profiles import _agreeing_text

    # medians 0 vs 0, means 0.5 vs 0.5 (equal as shown), but fewer at 0: the share is shown
    text, stat = _agreeing_text("orders_365d", +1, 0.0, 0.0, 0.5, 0.5, 0.57, 0.39)
    assert stat == "share_above_zero" and text == "orders_365d above 0 for 57% vs 39% of all customers"
    # nothing shown moves the SMD's way: no text at all rather than a contradiction
    assert _agreeing_text("avg_session_duration", +1, 242.0, 254.0, 300.0, 310.0, 1.0, 1.0) is None
