"""Feature values and labels on tiny hand-written logs, where every number is computed by hand.

as_of = 2025-06-30. A row on the as-of day (even 23:59:59) counts; a row at 2025-07-01
00:00 does not. "Last N days" = dates in (as_of - N, as_of], so a row N days before as-of
is outside. The label window is (as_of, as_of + 30 days] = 2025-07-01 .. 2025-07-30.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from toolkit.snapshot import build_snapshot, load_sources, write_snapshot
from toolkit.snapshot.build import sidecar_path

AS_OF = dt.date(2025, 6, 30)
T = dt.datetime


def _orders() -> pl.DataFrame:
    rows = [
        # A: d = 0 (last second of the as-of day), 29, 30, 90, 364, 365; then one after as-of
        ("A", T(2025, 6, 30, 23, 59, 59), 10.0), ("A", T(2025, 6, 1, 10), 20.0),
        ("A", T(2025, 5, 31, 8), 30.0), ("A", T(2025, 4, 1), 40.0), ("A", T(2024, 7, 1), 50.0),
        ("A", T(2024, 6, 30), 60.0), ("A", T(2025, 7, 1, 0, 0, 0), 1000.0),
        # B: one order 171 days before; the next exactly on as_of + 30 -> label 1
        ("B", T(2025, 1, 10, 12), 5.0), ("B", T(2025, 7, 30, 23), 7.0),
        # C: next order on as_of + 31 -> label 0
        ("C", T(2025, 3, 1), 8.0), ("C", T(2025, 7, 31, 1), 9.0),
        # D: an order and a refund row (negative amount)
        ("D", T(2025, 6, 10), 25.0), ("D", T(2025, 6, 15), -5.0),
        # E: only after as-of -> not in the snapshot
        ("E", T(2025, 7, 5), 99.0),
    ]
    return pl.DataFrame(rows, schema=["customer_id", "ordered_at", "amount"], orient="row")


def _sessions() -> pl.DataFrame:
    return pl.DataFrame({
        "customer_id": ["A", "A", "A"],
        "started_at": [T(2025, 6, 30, 22), T(2025, 5, 31, 9), T(2025, 7, 1, 0)],
        "duration_s": [100.0, 1000.0, 5.0], "page_views": [10, 50, 999],
        "product_views": [4, 40, 999], "searches": [2, 9, 9], "cart_adds": [1, 9, 999],
        "checkout_starts": [1, 0, 9], "wishlist_adds": [0, 3, 9], "reviews_written": [0, 1, 9],
        "support_tickets": [0, 1, 9], "device": ["mobile", "desktop", "mobile"],
        "is_app": [True, False, False],
    })


def _marketing() -> pl.DataFrame:
    rows = [
        ("A", T(2025, 6, 30, 12), "email", "open"), ("A", T(2025, 6, 20), "email", "click"),
        ("A", T(2025, 6, 1), "push", "sent"), ("A", T(2025, 6, 2), "push", "sent"),
        ("A", T(2025, 6, 2, 1), "push", "click"), ("A", T(2025, 5, 1), "sms", "sent"),
        ("A", T(2025, 6, 5), "email", "redeem"), ("A", T(2025, 7, 1), "email", "click"),
        ("B", T(2025, 6, 29), "email", "click"),
    ]
    return pl.DataFrame(rows, schema=["customer_id", "event_at", "channel", "event"], orient="row")


def _profiles() -> pl.DataFrame:
    return pl.DataFrame({
        "customer_id": ["A", "F", "G"],
        "signup_at": [T(2024, 1, 1), T(2025, 6, 1), T(2025, 7, 2)],
        "country": ["DE", "US", "GB"], "device_type": ["mobile", "desktop", "mobile"],
        "acquisition_channel": ["organic", "social", "email"], "loyalty_tier": ["gold", "none", "none"],
        "newsletter_subscriber": [True, False, True], "age": [40, 30, 20],
        "email_consent": [True, True, True], "push_enabled": [False, True, True],
        "sms_opt_in": [True, True, True], "offers_opt_in": [True, True, True],
    })


@pytest.fixture()
def logs(tmp_path):
    paths = {}
    for name, frame in (("orders", _orders()), ("sessions", _sessions()), ("marketing", _marketing()),
                        ("profiles", _profiles())):
        paths[name] = tmp_path / f"{name}.parquet"
        frame.write_parquet(paths[name])
    return paths


def _row(frame: pl.DataFrame, cid: str) -> dict:
    return frame.filter(pl.col("customer_id") == cid).row(0, named=True)


def test_orders_only_windows_edges_and_label(logs):
    snap = build_snapshot(load_sources(orders=logs["orders"]), AS_OF, 30)
    frame = snap.frame
    assert frame.get_column("customer_id").to_list() == ["A", "B", "C", "D"]  # E comes later
    a = _row(frame, "A")
    assert (a["orders_30d"], a["orders_90d"], a["orders_365d"], a["orders_total"]) == (2, 3, 5, 6)
    assert a["total_spend_365d"] == 150.0 and a["spend_30d"] == 30.0 and a["spend_90d"] == 60.0
    assert a["avg_order_value"] == 30.0
    assert a["days_since_last_purchase"] == 0 and a["days_since_first_purchase"] == 365
    assert a["orders_trend"] == pytest.approx((3 - 1) / (3 + 1))  # 90d: d 0,29,30; before: d 90
    assert a["avg_gap_days"] == pytest.approx(365 / 5) and a["gap_ratio"] == 0.0
    b = _row(frame, "B")
    assert b["days_since_last_purchase"] == 171 and b["orders_90d"] == 0 and b["orders_365d"] == 1
    assert b["avg_gap_days"] is None and b["gap_ratio"] is None
    d = _row(frame, "D")  # refund row: not an order, reduces net spend; refund_rate from rows
    assert d["orders_365d"] == 1 and d["total_spend_365d"] == 20.0 and d["avg_order_value"] == 25.0
    assert d["refund_rate"] == 1.0 and a["refund_rate"] == 0.0
    labels = dict(zip(frame.get_column("customer_id"), frame.get_column("purchased_next_30d")))
    assert labels == {"A": 1, "B": 1, "C": 0, "D": 0}  # B on as_of+30 in, C on as_of+31 out
    assert snap.info["positives"] == 2 and snap.info["positive_rate"] == 0.5
    assert snap.info["label_window"] == ["2025-07-01", "2025-07-30"]
    # absent tables: their groups are absent, not zero-filled
    assert not any(c in frame.columns for c in ("sessions_30d", "email_opens_30d", "country"))
    assert set(snap.info["groups"]) == {"transactional"}
    assert snap.info["sources"]["orders"]["negative_amounts"] == 1
    assert any("negative" in n and "refunds" in n for n in snap.notes)
    skipped = {s["name"] for s in snap.info["skipped_features"]}
    assert {"avg_items_per_order", "discount_order_share", "distinct_categories_365d"} <= skipped


def test_sessions_marketing_profiles_and_consent(logs):
    sources = load_sources(orders=logs["orders"], sessions=logs["sessions"],
                           marketing=logs["marketing"], profiles=logs["profiles"])
    frame = build_snapshot(sources, AS_OF, 30).frame
    assert frame.get_column("customer_id").to_list() == ["A", "B", "C", "D", "F"]  # G signs up later
    a = _row(frame, "A")
    assert a["sessions_30d"] == 1 and a["avg_session_duration"] == 100.0
    assert a["page_views_30d"] == 10 and a["product_views_30d"] == 4 and a["cart_add_rate"] == 0.25
    assert a["search_count_30d"] == 2 and a["checkout_starts_30d"] == 1 and a["wishlist_events"] == 0
    assert a["app_session_share"] == 1.0 and a["days_since_last_visit"] == 0
    assert a["reviews_written_365d"] == 1 and a["support_tickets_90d"] == 1
    assert a["email_opens_30d"] == 1 and a["email_clicks_30d"] == 1
    assert a["days_since_last_email_click"] == 10
    assert a["push_click_rate"] is None  # push_enabled false
    assert a["sms_click_rate"] == 0.0 and a["coupon_redemptions"] == 1
    assert a["account_age_days"] == (AS_OF - dt.date(2024, 1, 1)).days and a["country"] == "DE"
    b = _row(frame, "B")  # no profile row: consents unknown -> marketing null; profile null
    assert b["email_clicks_30d"] is None and b["country"] is None and b["account_age_days"] is None
    assert b["sessions_30d"] == 0 and b["days_since_last_visit"] == 171  # since the first row
    f = _row(frame, "F")  # signed up, never ordered or visited
    assert f["account_age_days"] == 29 and f["days_since_last_purchase"] == 29
    assert f["days_since_first_purchase"] == 0 and f["orders_365d"] == 0
    assert f["days_since_last_email_click"] == 365 and f["email_opens_30d"] == 0
    assert f["purchased_next_30d"] == 0


def test_marketing_without_consent_columns_is_computed_and_noted(logs, tmp_path):
    bare = tmp_path / "bare_profiles.parquet"
    _profiles().drop("email_consent", "push_enabled", "sms_opt_in", "offers_opt_in").write_parquet(bare)
    snap = build_snapshot(load_sources(orders=logs["orders"], marketing=logs["marketing"],
                                       profiles=bare), AS_OF, 30)
    assert _row(snap.frame, "A")["push_click_rate"] == 0.5
    assert _row(snap.frame, "B")["email_clicks_30d"] == 1
    assert any("not gated by consent" in n for n in snap.notes)


def test_scoring_snapshot_when_the_logs_end_too_early(logs):
    snap = build_snapshot(load_sources(orders=logs["orders"]), AS_OF, 40)  # last order 2025-07-31
    assert snap.label is None and "purchased_next_40d" not in snap.frame.columns
    assert "2025-07-31" in snap.info["label_missing_reason"]
    assert snap.info["positive_rate"] is None


def test_write_snapshot_and_sidecar(logs, tmp_path):
    import json

    snap = build_snapshot(load_sources(orders=logs["orders"], profiles=logs["profiles"]), AS_OF, 30)
    out = write_snapshot(snap, tmp_path / "out" / "customers.parquet")
    assert pl.read_parquet(out).equals(snap.frame)
    side = json.loads(sidecar_path(out).read_text())
    assert side["as_of"] == "2025-06-30" and side["horizon_days"] == 30
    assert side["label"] == "purchased_next_30d" and side["rows"] == 5 and side["positives"] == 2
    src = side["sources"]["orders"]
    assert src["rows"] == 14 and src["rows_at_or_before_as_of"] == 10 and src["rows_in_label_window"] == 3
    assert len(src["sha256"]) == 64 and src["size"] == logs["orders"].stat().st_size
    names = [d["name"] for d in side["features"]]
    assert names[:1] == ["orders_90d"] and all({"group", "window", "formula"} <= set(d) for d in side["features"])
    assert list(snap.frame.columns) == ["customer_id", *names, "purchased_next_30d"]
    write_snapshot(snap, tmp_path / "c.csv")
    assert pl.read_csv(tmp_path / "c.csv").height == 5


def test_order_lines_sharing_an_order_id_are_one_order(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("order_id,customer_id,ordered_at,amount,quantity\n"
                    "O1,A,2025-06-01,10,1\nO1,A,2025-06-01,15,2\nO2,A,2025-06-20,5,1\n")
    snap = build_snapshot(load_sources(orders=path), AS_OF, 30)
    a = _row(snap.frame, "A")
    assert a["orders_30d"] == 2 and a["avg_order_value"] == 15.0 and a["avg_items_per_order"] == 2.0
    assert any("share an order id" in n for n in snap.notes)


def test_schema_only_with_every_table_gives_the_35_schema_features(tmp_path):
    from logmaker import make_logs, write_logs

    from toolkit.schema import FEATURES

    sources = load_sources(write_logs(tmp_path / "logs", make_logs(customers=50)))
    snap = build_snapshot(sources, sources.default_as_of, 30, schema_only=True)
    assert snap.frame.columns == ["customer_id", *FEATURES, "purchased_next_30d"]
    assert {g: len(n) for g, n in snap.features_by_group.items()} == {
        "behavioral": 12, "transactional": 10, "marketing": 6, "profile": 7}
    full = build_snapshot(sources, sources.default_as_of, 30)
    extras = [c for c in full.frame.columns if c not in snap.frame.columns]
    assert extras == ["orders_30d", "spend_30d", "spend_90d", "orders_total", "orders_trend",
                      "avg_gap_days", "gap_ratio"]
