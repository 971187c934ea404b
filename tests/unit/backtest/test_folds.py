"""Fold rules: dates in order, at least two, windows never overlapping, labels covered."""

from __future__ import annotations

from datetime import date

import pytest

from toolkit.backtest.folds import Fold, default_dates, plan_folds
from toolkit.errors import SegkitError


def test_consecutive_pairs_become_folds():
    folds = plan_folds(["2026-01-01", "2026-02-01", "2026-03-15"], 30, logs_end=date(2026, 4, 14))
    assert folds == [Fold(date(2026, 1, 1), date(2026, 2, 1)), Fold(date(2026, 2, 1), date(2026, 3, 15))]


def test_window_ending_exactly_on_the_next_date_is_allowed():
    # Di + H == Dj: the training labels end on the test date, never after it
    assert len(plan_folds(["2026-01-01", "2026-01-31"], 30)) == 1


@pytest.mark.parametrize("dates, horizon, end, needle", [
    (["2026-01-01"], 30, None, "at least two --as-of dates"),
    ([], 30, None, "at least two --as-of dates"),
    (["2026-03-01", "2026-02-01"], 30, None, "increasing order"),
    (["2026-02-01", "2026-02-01"], 30, None, "increasing order"),
    (["2026-01-31", "2026-02-28"], 30, None, "overlap"),
    (["2026-01-01", "2026-02-01"], 30, date(2026, 3, 2), "the logs end on 2026-03-02"),
    (["2026-01-01", "2026-02-01"], 0, None, "--horizon-days must be > 0"),
    (["2026-01-01", "2026-02-01"], -5, None, "--horizon-days must be > 0"),
    (["2026-01-01", "2026-13-01"], 30, None, "not a date"),
])
def test_bad_dates_are_one_line_errors(dates, horizon, end, needle):
    with pytest.raises(SegkitError) as err:
        plan_folds(dates, horizon, logs_end=end)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_overlap_message_names_both_dates_and_the_window_end():
    with pytest.raises(SegkitError, match="2026-01-31 and 2026-02-28 overlap.*runs to 2026-03-02"):
        plan_folds(["2026-01-31", "2026-02-28"], 30)


def test_default_dates_are_the_latest_covered_non_overlapping_ones():
    month_ends = ["2025-10-31", "2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28",
                  "2026-03-31", "2026-04-30", "2026-05-31"]
    # 2026-05-31 + 30 days is after the end: not a test date; 2026-02-28 + 30 > 2026-03-31? no
    # (2026-03-30 <= 2026-03-31); 2026-01-31 + 30 = 2026-03-02 > 2026-02-28: skipped.
    chosen = default_dates(month_ends, 30, logs_end=date(2026, 6, 15))
    assert chosen == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    plan_folds(chosen, 30, logs_end=date(2026, 6, 15))   # always a valid plan


def test_default_dates_refuse_when_too_few():
    with pytest.raises(SegkitError, match="too few as-of dates"):
        default_dates(["2026-01-31"], 30, logs_end=date(2026, 6, 30))
