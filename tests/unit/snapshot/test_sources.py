"""Reading raw logs: column mapping, timestamp forms, and one readable line for each mistake."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from toolkit.errors import DataError, SegkitError
from toolkit.snapshot import build_snapshot, load_sources

AS_OF = dt.date(2025, 6, 30)


def _csv(tmp_path, text: str, name: str = "orders.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_custom_column_names_mixed_timestamp_forms_and_int_ids(tmp_path):
    path = _csv(tmp_path, "user,when,paid\n"
                          "7,2025-06-30,10\n"               # a date: the whole day counts
                          "7,2025-06-29T23:10:00,5.5\n"     # ISO datetime
                          "7,2025-06-29 08:00:00.250,1\n"   # space-separated with fraction
                          "8,2025-06-01T10:00:00Z,2\n"      # UTC marker
                          "8,2025-07-01T01:30:00+02:00,3\n"  # = 2025-06-30 23:30 UTC: counts
                          "9,2025-07-15,4\n")
    sources = load_sources(orders=path, id_column="user", time_column="when", amount_column="paid")
    snap = build_snapshot(sources, AS_OF, 30)
    rows = {r["customer_id"]: r for r in snap.frame.iter_rows(named=True)}
    assert set(rows) == {"7", "8"}
    assert rows["7"]["orders_30d"] == 3 and rows["7"]["total_spend_365d"] == 16.5
    assert rows["8"]["orders_30d"] == 2 and rows["8"]["days_since_last_purchase"] == 0
    assert snap.info["sources"]["orders"]["columns"] == {"customer_id": "user", "ordered_at": "when",
                                                         "amount": "paid"}


def test_missing_column_names_the_closest(tmp_path):
    path = _csv(tmp_path, "customer_id,order_date,amount\nA,2025-06-01,1\n")
    with pytest.raises(DataError) as exc:
        load_sources(orders=path)
    line = _one_line(exc)
    assert "missing order time column 'ordered_at'" in line and "did you mean 'order_date'" in line
    assert "--time-column" in line
    path = _csv(tmp_path, "customer_id,ordered_at,amt\nA,2025-06-01,1\n")
    with pytest.raises(DataError, match="missing amount column 'amount'.*--amount-column"):
        load_sources(orders=path)
    with pytest.raises(DataError, match="missing customer id column 'cust'.*--id-column"):
        load_sources(orders=path, id_column="cust", amount_column="amt")


def test_unparseable_dates_show_examples(tmp_path):
    path = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-06-01,1\nB,30/06/2025,1\n"
                          "C,yesterday,2\nD,2025-13-45,3\nE,soon,4\n")
    with pytest.raises(DataError) as exc:
        load_sources(orders=path)
    line = _one_line(exc)
    assert "4 values of 'ordered_at' are not dates" in line
    assert "'30/06/2025'" in line and "'yesterday'" in line and "'2025-13-45'" in line
    assert "'soon'" not in line  # three examples at most


def test_id_nulls_counted(tmp_path):
    path = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-06-01,1\n,2025-06-02,1\n,2025-06-03,1\n")
    with pytest.raises(DataError, match="id column 'customer_id' has 2 empty values of 3"):
        load_sources(orders=path)


def test_non_numeric_amount(tmp_path):
    path = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-06-01,1\nB,2025-06-02,ten\n"
                          "C,2025-06-02,$5\n")
    with pytest.raises(DataError) as exc:
        load_sources(orders=path)
    line = _one_line(exc)
    assert "2 values of 'amount' are not numeric" in line and "'ten'" in line and "'$5'" in line


def test_empty_times_and_amounts_are_errors_not_dropped(tmp_path):
    path = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-06-01,1\nB,,2\n")
    with pytest.raises(DataError, match="'ordered_at' is empty in 1 rows"):
        load_sources(orders=path)
    path = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-06-01,1\nB,2025-06-01,\n")
    with pytest.raises(DataError, match="'amount' is empty in 1 rows"):
        load_sources(orders=path)


def test_no_orders_at_or_before_as_of(tmp_path):
    path = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-07-01T00:00:00,1\n")
    with pytest.raises(SegkitError) as exc:
        build_snapshot(load_sources(orders=path), AS_OF, 30)
    assert "no orders at or before the as-of date 2025-06-30" in _one_line(exc)
    assert "2025-07-01" in str(exc.value)


@pytest.mark.parametrize("horizon", [0, -5])
def test_horizon_must_be_positive(tmp_path, horizon):
    path = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-06-01,1\n")
    with pytest.raises(SegkitError, match="positive number of days"):
        build_snapshot(load_sources(orders=path), AS_OF, horizon)


def test_bad_flags_and_duplicate_profiles(tmp_path):
    path = _csv(tmp_path, "customer_id,ordered_at,amount,refunded\nA,2025-06-01,1,yes\nB,2025-06-01,1,maybe\n")
    with pytest.raises(DataError, match="1 values of 'refunded' are not true/false.*'maybe'"):
        load_sources(orders=path)
    orders = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-06-01,1\n")
    prof = _csv(tmp_path, "customer_id,signup_at\nA,2025-01-01\nA,2025-02-01\n", "profiles.csv")
    with pytest.raises(DataError, match="1 customer ids appear more than once"):
        load_sources(orders=orders, profiles=prof)


def test_missing_file_and_folder_without_orders(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_sources(orders=tmp_path / "nope.csv")
    with pytest.raises(DataError, match="no orders.parquet or orders.csv"):
        load_sources(tmp_path)


def test_string_flags_and_discount_amount_alias(tmp_path):
    path = _csv(tmp_path, "customer_id,ordered_at,amount,discount_amount,refund\n"
                          "A,2025-06-01,10,0,false\nA,2025-06-02,10,2.5,TRUE\n")
    snap = build_snapshot(load_sources(orders=path), AS_OF, 30)
    row = snap.frame.row(0, named=True)
    assert row["discount_order_share"] == 0.5 and row["refund_rate"] == 0.5


def test_time_suggestions_prefer_time_like_columns(tmp_path):
    """A missing 'order_time' once suggested 'order_id' first; only time-like columns now."""
    path = tmp_path / "o.parquet"
    pl.DataFrame({"order_id": ["1"], "customer_id": ["A"], "ordered_at": [dt.datetime(2025, 6, 1)],
                  "amount": [1.0]}).write_parquet(path)
    with pytest.raises(DataError) as exc:
        load_sources(orders=path, time_column="order_time")
    assert "(did you mean 'ordered_at'?)" in _one_line(exc)


def test_channel_and_event_words_are_matched_case_and_space_insensitively(tmp_path):
    orders = _csv(tmp_path, "customer_id,ordered_at,amount\nA,2025-06-01,1\n")
    events = _csv(tmp_path, "customer_id,event_at,channel,event\nA,2025-06-20,Email ,OPEN\n"
                            "A,2025-06-21,email,open\nA,2025-06-21, EMAIL,Click\n", "marketing.csv")
    row = build_snapshot(load_sources(orders=orders, marketing=events), AS_OF, 30).frame.row(0, named=True)
    assert row["email_opens_30d"] == 2 and row["email_clicks_30d"] == 1
