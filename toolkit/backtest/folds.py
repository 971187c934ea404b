"""Which as-of dates a backtest may use: consecutive pairs whose periods never overlap.

A fold trains on the snapshot at ``Di`` (features up to ``Di``, labels in ``(Di, Di + H]``)
and is judged on the snapshot at ``Dj``. If ``Di + H`` were later than ``Dj``, the training
labels would cover days that are history at ``Dj``: the fold would be judged partly on a
period it already saw. So every pair must satisfy ``Di + H <= Dj``, the dates must be in
order, and the logs must cover the last date's label window (otherwise its snapshot has no
label to judge against). Each problem is one :class:`~toolkit.errors.SegkitError` line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

from toolkit.errors import SegkitError

DEFAULT_FOLD_DATES = 3
"""With ``--logs DIR`` and no ``--as-of``: this many of logs.json's as-of dates (two folds)."""


@dataclass(frozen=True)
class Fold:
    """One out-of-time pair: train on the period at ``train_as_of``, test on ``test_as_of``."""

    train_as_of: date
    test_as_of: date

    @property
    def name(self) -> str:
        return f"{self.train_as_of.isoformat()} -> {self.test_as_of.isoformat()}"


def parse_date(text: str | date, what: str = "--as-of") -> date:
    """A calendar date from ``YYYY-MM-DD`` (a datetime's time part is refused, not dropped)."""
    if isinstance(text, date):
        return text
    value = str(text).strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SegkitError(f"{what}: {value!r} is not a date (use YYYY-MM-DD, e.g. 2026-06-30)") from None


def check_horizon(horizon_days: int) -> int:
    """The label window length in days: a whole number > 0."""
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int):
        raise SegkitError(f"--horizon-days must be a whole number of days, got {horizon_days!r}")
    if horizon_days <= 0:
        raise SegkitError(f"--horizon-days must be > 0, got {horizon_days}")
    return horizon_days


def plan_folds(dates: Sequence[str | date], horizon_days: int, *,
               logs_end: date | None = None) -> list[Fold]:
    """Consecutive pairs of ``dates`` as folds, after checking every rule in the module
    docstring. ``logs_end`` is the last day the logs cover (None: not checked here)."""
    horizon = check_horizon(horizon_days)
    parsed = [parse_date(d) for d in dates]
    if len(parsed) < 2:
        raise SegkitError(f"a backtest needs at least two --as-of dates (train, then test), "
                          f"got {len(parsed)}")
    for earlier, later in zip(parsed, parsed[1:]):
        if later <= earlier:
            raise SegkitError(f"--as-of dates must be in increasing order: {later.isoformat()} "
                              f"comes after {earlier.isoformat()}")
    for earlier, later in zip(parsed, parsed[1:]):
        label_end = earlier + timedelta(days=horizon)
        if label_end > later:
            raise SegkitError(
                f"the periods at {earlier.isoformat()} and {later.isoformat()} overlap: its "
                f"{horizon}-day label window runs to {label_end.isoformat()}, after "
                f"{later.isoformat()} (each date + horizon must be <= the next date)")
    if logs_end is not None:
        last = parsed[-1]
        needed = last + timedelta(days=horizon)
        if needed > logs_end:
            raise SegkitError(
                f"the logs end on {logs_end.isoformat()}, before the label window of "
                f"{last.isoformat()} ends ({needed.isoformat()}): use a test date on or before "
                f"{(logs_end - timedelta(days=horizon)).isoformat()}")
    return [Fold(a, b) for a, b in zip(parsed, parsed[1:])]


def default_dates(as_of_dates: Iterable[str | date], horizon_days: int, *,
                  logs_end: date | None = None, count: int = DEFAULT_FOLD_DATES) -> list[date]:
    """The latest ``count`` of the logs' documented as-of dates that make valid folds.

    Walking back from the last date whose label window the logs cover, each earlier date is
    the latest one whose window ends by the next chosen date (monthly month-end dates with a
    30-day horizon would otherwise overlap around February). Fewer than two is an error.
    """
    horizon = check_horizon(horizon_days)
    candidates = sorted({parse_date(d, "logs.json as_of_dates") for d in as_of_dates})
    if logs_end is not None:
        candidates = [d for d in candidates if d + timedelta(days=horizon) <= logs_end]
    chosen: list[date] = []
    for d in reversed(candidates):
        if len(chosen) == count:
            break
        if not chosen or d + timedelta(days=horizon) <= chosen[-1]:
            chosen.append(d)
    if len(chosen) < 2:
        raise SegkitError(
            f"logs.json lists too few as-of dates with a covered, non-overlapping "
            f"{horizon}-day label window for a backtest; give --as-of dates explicitly")
    return list(reversed(chosen))
