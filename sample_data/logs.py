"""The ShopSphere world as raw logs: orders, sessions, marketing events, profiles and an oracle.

:mod:`sample_data.generator` writes the finished customer table at one date. A shop does not
have that table; it has what its systems logged. This module simulates those logs month by
month for 24 months, so a snapshot builder can compute the customer table at any date, and it
knows the exact probability behind every future purchase, so a model trained on a snapshot
can be measured against the best possible ranking (the oracle).

Timeline
--------
The logs cover the 24 calendar months ``START`` (2024-07-01) .. ``END`` (2026-06-30). The
documented as-of dates are the 12 month ends 2025-06-30 .. 2026-05-31: each has a full 365-day
history in the logs and a 30-day label window (as_of, as_of + 30 days] inside them; the
default as-of is the latest, 2026-05-31.

Customers, personas and monthly states
--------------------------------------
Every customer has a fixed persona (the ShopSphere types) and a hidden monthly state:

==============  =====  =================================================================
persona         share  behaviour while active (``orders_month`` before the rate factor k,
                       browsing sessions a month)
==============  =====  =================================================================
champion        12 %   2.6 orders, 12 sessions, high spend, rarely lapses
loyal           25 %   0.6 orders, 4 app-heavy sessions, pays full price
bargain_hunter  17 %   0.9 orders, 7 sessions, 75 % discounted, redeems coupons, opens email
window_shopper  18 %   0.1 orders, 9 long sessions, many product views and wishlists
lapsed          28 %   lapse-prone: 0.4 orders when active, mostly in the lapsed state
==============  =====  =================================================================

The state follows a Markov chain, one step a month, with a transition matrix per persona
(``TRANSITIONS``): ``active`` (order rate x 1), ``cooling`` (x 0.25: visits and orders thin
out), ``lapsed`` (x 0.015: gone, hardly visits) and ``reactivated`` (x 1.25: came back, a
burst). About a third of customer-months are lapsed in the long run; 12 % of the lapsed come back
each month (6 % for the lapse-prone persona).
Lapsed customers come back (lapsed -> reactivated), active ones cool down and lapse, so
customers move between segments from one as-of date to the next. Customers who sign up during
the logs start ``reactivated`` (the onboarding burst) and place a welcome order in their
sign-up month with a persona-dependent probability; customers who signed up before the logs
start in a state drawn from their chain's stationary distribution.

Within a customer-month everything is Poisson with a constant intensity, so events are drawn
as Poisson counts per customer-month and placed at uniform times within the month (after the
sign-up in the sign-up month):

- orders: ``lambda_i * k * season(month) * ORDER_MULT[state] * (1 + 0.25 * min(r, 12))``
  where ``r`` is the customer's orders in the previous 3 months (purchases beget purchases:
  the habit is in the logs, visible as ``orders_90d``); ``lambda_i`` is the persona's median
  times lognormal noise (sigma 0.15-0.2) and a gamma "activity" factor; ``k`` is one global
  factor solved by bisection (re-drawing the counts from the same random stream) so that the
  mean true probability at the default as-of is 28 %; ``season`` peaks in November/December;
- browsing sessions: ``sessions_i * SESSION_MULT[state]`` with ``sessions_i`` proportional
  to ``lambda_i`` (keen buyers browse more), pages, time and cart adds per session scaled by
  ``DEPTH_MULT[state]``, plus one purchase session at each order (cart adds, a checkout
  start), so the current state shows in the last 30 days' sessions and the purchase-rate
  heterogeneity in the order counts and the cart-add rate: the hidden state is observable
  from logged behaviour rather than noise a model cannot see;
- marketing: emails (~2 a month, with email consent), pushes (~1.5, push enabled) and SMS
  (~0.7, SMS opt-in) are ``sent``; each is opened/clicked with a per-customer rate scaled by
  the state's engagement; a click implies an open for email; discounted orders of customers
  opted in to offers redeem a coupon (a ``redeem`` event at the order time).

Profiles (``customers.parquet``) are static: sign-up time, country, most used device,
acquisition channel, loyalty tier (from the customer's expected annual spend, not from
realised future orders, so the profile leaks nothing), newsletter flag, age and four consents.
About 3 % of each profile field is null (more for long-standing lapse-prone accounts, fewer
for new ones); about 8 % of customers lack each marketing consent (more lapsed and window
shoppers), which makes the snapshot's marketing features null.

The oracle
----------
``truth.parquet`` has, for each as-of date and each customer signed up by then, the exact
probability of at least one order in (as_of, as_of + 30 days]. The as-of is the end of month
``m``; the window covers ``f1 = min(30, D1) / D1`` of month ``m+1`` and ``f2 = (30 - D1) / D2``
of month ``m+2`` when ``m+1`` is shorter than 30 days (February). With the hidden state
``s0`` at month ``m``, ``a = lambda_i k season(m+1) h(orders in months m-2..m)`` and
``b = lambda_i k season(m+2) h(orders in months m-1..m)`` (``h`` the habit factor; month
``m+1``'s orders are 0 on the event counted):

    P(no order) = sum_s1 T[s0, s1] exp(-a M[s1] f1) * sum_s2 T[s1, s2] exp(-b M[s2] f2)

and ``true_probability = 1 - P(no order)``. Orders are drawn from exactly this law, so the
realised label rate matches the mean probability up to sampling noise. ``latent_type`` is the
customer's type at that date: ``new_customer`` within 90 days of sign-up, else ``lapsed`` in
the lapsed state (or for the lapse-prone persona), else the persona; ``state`` is the hidden
state.

Measured (``bench/check_logs_generator.py --customers 180000 --seed 42``): 27 s and 3.4 GB
peak for 180K customers (3.1M orders, 18.8M sessions, 16.2M marketing events, 1.9M truth
rows); at the default as-of the snapshot has 176K customers, 28.0 % positives, 7.7-8.0 %
nulls in the marketing fields, 3 % in the profile fields and an oracle ROC-AUC of 0.898.
Out of time (``segkit backtest`` on 2026-03-31/04-30/05-31, one outer bag) the EBM reaches
0.891 and 0.889 against the oracle's 0.900 and 0.898 (gap 0.009 and 0.010), RFM logistic
0.864/0.862, BG/NBD 0.861/0.860, recency 0.840/0.838.

Everything is vectorised numpy (loops only over the 24 months, for the Markov chain and the
habit factor), driven by one ``numpy.random.Generator(seed)``: a seed and a customer count
always give the same logs.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import polars as pl

from toolkit import schema

Progress = Callable[[str], None]

START = dt.date(2024, 7, 1)
MONTHS = 24
HORIZON_DAYS = 30
TARGET_RATE = 0.28
FIRST_AS_OF_MONTH = 11          # as-of dates: ends of months 11 .. MONTHS - 2
NEW_CUSTOMER_DAYS = 90
EXCITE, EXCITE_CAP, EXCITE_MONTHS = 0.25, 12, 3   # rate x (1 + 0.25 * min(orders in 3 months, 12))

PERSONAS: tuple[str, ...] = ("champion", "loyal", "bargain_hunter", "window_shopper", "lapsed")
PERSONA_SHARES = (0.12, 0.25, 0.17, 0.18, 0.28)
STATES: tuple[str, ...] = ("active", "cooling", "lapsed", "reactivated")
ORDER_MULT = np.array([1.0, 0.25, 0.015, 1.25])
SESSION_MULT = np.array([1.0, 0.35, 0.05, 1.3])
DEPTH_MULT = np.array([1.0, 0.6, 0.4, 1.15])     # pages, time and cart adds per browsing session
ENGAGE_MULT = np.array([1.0, 0.6, 0.15, 1.2])   # email/push/SMS engagement by state
LATENT_TYPES: tuple[str, ...] = ("champion", "loyal", "bargain_hunter", "window_shopper",
                                 "new_customer", "lapsed")

# Monthly transition matrices, rows = from (active, cooling, lapsed, reactivated).
TRANSITIONS = np.array([
    [[0.955, 0.040, 0.005, 0.0], [0.55, 0.37, 0.08, 0.0], [0.0, 0.0, 0.88, 0.12], [0.85, 0.13, 0.02, 0.0]],  # champion
    [[0.940, 0.050, 0.010, 0.0], [0.45, 0.43, 0.12, 0.0], [0.0, 0.0, 0.88, 0.12], [0.80, 0.16, 0.04, 0.0]],  # loyal
    [[0.920, 0.065, 0.015, 0.0], [0.42, 0.42, 0.16, 0.0], [0.0, 0.0, 0.88, 0.12], [0.72, 0.22, 0.06, 0.0]],  # bargain
    [[0.930, 0.055, 0.015, 0.0], [0.40, 0.43, 0.17, 0.0], [0.0, 0.0, 0.88, 0.12], [0.72, 0.22, 0.06, 0.0]],  # window
    [[0.700, 0.180, 0.120, 0.0], [0.20, 0.40, 0.40, 0.0], [0.0, 0.0, 0.94, 0.06], [0.50, 0.33, 0.17, 0.0]],  # lapsed
])
# Purchase seasonality by calendar month (January .. December).
SEASON = np.array([0.85, 0.85, 0.95, 0.95, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.35, 1.45])

CATEGORIES: tuple[str, ...] = ("apparel", "shoes", "accessories", "beauty", "home", "kitchen",
                               "electronics", "books", "toys", "sports", "garden", "grocery")

# Per-persona parameters (PERSONAS order):
#              champ  loyal  bargain window lapsed
_P = {
    "orders_month": (2.6, 0.6, 0.9, 0.1, 0.4),     # median orders a month while active
    "orders_sigma": (0.15, 0.15, 0.15, 0.2, 0.2),
    "activity_shape": (30.0, 30.0, 30.0, 30.0, 30.0),
    "sessions_month": (12.0, 4.0, 7.0, 9.0, 3.0),     # median browsing sessions a month, active
    "welcome_p": (0.95, 0.85, 0.85, 0.5, 0.7),        # welcome order in the sign-up month
    "prelog_p": (0.75, 0.7, 0.6, 0.55, 0.8),          # signed up before the logs start
    "aov": (110.0, 70.0, 42.0, 70.0, 65.0),
    "aov_sigma": (0.4, 0.4, 0.35, 0.45, 0.45),
    "items_extra": (1.3, 0.9, 1.8, 0.7, 0.8),         # mean items per order minus one
    "discount": (0.12, 0.12, 0.75, 0.3, 0.25),
    "coupon_per_discount": (0.3, 0.3, 0.8, 0.4, 0.3),
    "refund": (0.03, 0.015, 0.10, 0.01, 0.015),
    "favourite_p": (0.35, 0.55, 0.4, 0.5, 0.5),       # share of orders in the favourite category
    "duration": (320.0, 280.0, 260.0, 430.0, 170.0),  # median session seconds
    "pages": (7.0, 6.0, 8.0, 11.0, 4.0),
    "product_share": (0.45, 0.45, 0.5, 0.55, 0.4),
    "searches": (0.6, 0.5, 0.8, 1.0, 0.3),
    "cart": (0.12, 0.16, 0.10, 0.025, 0.05),
    "checkout_per_add": (0.25, 0.2, 0.2, 0.1, 0.15),  # abandoned checkouts in browsing sessions
    "wishlist": (0.02, 0.015, 0.04, 0.08, 0.02),
    "review": (0.03, 0.03, 0.015, 0.02, 0.01),
    "ticket": (0.02, 0.006, 0.03, 0.003, 0.01),
    "app": (0.6, 0.8, 0.55, 0.4, 0.3),
    "p_no_email": (0.04, 0.06, 0.02, 0.10, 0.13),
    "p_no_push": (0.04, 0.06, 0.04, 0.10, 0.12),
    "p_no_sms": (0.05, 0.07, 0.03, 0.09, 0.12),
    "p_no_offers": (0.05, 0.08, 0.01, 0.10, 0.12),
    "open": (0.45, 0.3, 0.55, 0.2, 0.08),
    "click_per_open": (0.25, 0.2, 0.3, 0.1, 0.1),
    "push_click": (0.14, 0.09, 0.16, 0.05, 0.03),
    "sms_click": (0.10, 0.06, 0.14, 0.03, 0.02),
    "profile_missing": (0.6, 0.8, 0.8, 1.2, 1.4),
    "age": (41.0, 43.0, 37.0, 33.0, 45.0),
}
_COUNTRY_P = (0.32, 0.12, 0.12, 0.09, 0.06, 0.06, 0.05, 0.05, 0.04, 0.09)
_CHANNEL_P = np.array([
    (0.35, 0.20, 0.10, 0.15, 0.12, 0.08),
    (0.33, 0.22, 0.12, 0.15, 0.10, 0.08),
    (0.15, 0.15, 0.20, 0.10, 0.15, 0.25),
    (0.25, 0.20, 0.30, 0.10, 0.05, 0.10),
    (0.30, 0.25, 0.15, 0.10, 0.10, 0.10),
])
_TIER_CUTS = (150.0, 500.0, 1500.0, 4500.0)
EMAILS_MONTH, PUSHES_MONTH, SMS_MONTH = 2.0, 1.5, 0.7

STAGES: tuple[str, ...] = (
    "Drawing customers and personas",
    "Simulating monthly states",
    "Calibrating purchase rates",
    "Drawing orders",
    "Drawing sessions",
    "Drawing marketing events",
    "Computing the oracle",
)

_US_DAY = 86_400_000_000


def month_starts() -> list[dt.date]:
    """First day of each simulated month, plus the day after the last one."""
    out, y, m = [], START.year, START.month
    for _ in range(MONTHS + 1):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def end_date() -> dt.date:
    """The last day the logs cover."""
    return month_starts()[-1] - dt.timedelta(days=1)


def as_of_dates() -> list[dt.date]:
    """The documented as-of dates: month ends with a full year behind and 30 days ahead."""
    starts = month_starts()
    return [starts[m + 1] - dt.timedelta(days=1) for m in range(FIRST_AS_OF_MONTH, MONTHS - 1)
            if starts[m + 1] - dt.timedelta(days=1) + dt.timedelta(days=HORIZON_DAYS) <= end_date()]


@dataclass
class World:
    """The simulated logs and their oracle (Polars frames) plus the logs.json facts."""

    customers: pl.DataFrame
    orders: pl.DataFrame
    sessions: pl.DataFrame
    marketing: pl.DataFrame
    truth: pl.DataFrame
    info: dict = field(default_factory=dict)
    hidden: dict = field(default_factory=dict)   # per-customer persona and rate (not written)


def _us(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * _US_DAY


def _stationary(t: np.ndarray) -> np.ndarray:
    p = np.full(len(STATES), 1.0 / len(STATES))
    for _ in range(500):
        p = p @ t
    return p


def _draw_next(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """One categorical draw per row of the cumulative probabilities ``cum`` (n x k)."""
    return (rng.random(len(cum))[:, None] >= cum[:, :-1]).sum(axis=1).astype(np.int8)


def window_parts(as_of_month: int) -> tuple[float, float]:
    """(f1, f2): the shares of months m+1 and m+2 inside (as_of, as_of + 30 days]."""
    starts = month_starts()
    d1 = (starts[as_of_month + 2] - starts[as_of_month + 1]).days
    f1 = min(HORIZON_DAYS, d1) / d1
    if d1 >= HORIZON_DAYS:
        return f1, 0.0
    d2 = (starts[as_of_month + 3] - starts[as_of_month + 2]).days
    return f1, (HORIZON_DAYS - d1) / d2


def excitement(recent_orders: np.ndarray) -> np.ndarray:
    """Purchases beget purchases: the rate factor from the orders of the last 3 months."""
    return 1.0 + EXCITE * np.minimum(recent_orders, EXCITE_CAP)


def no_order_probability(rate: np.ndarray, persona: np.ndarray, state: np.ndarray,
                         counts: np.ndarray, m: int, season: np.ndarray) -> np.ndarray:
    """P(no order in (as_of, as_of + 30 days]) for the as-of at the end of month ``m``.

    ``rate`` is lambda_i * k, ``state`` the hidden state in month ``m`` and ``counts`` the
    realised order counts per month (only months <= m are read). See the module docstring.
    """
    f1, f2 = window_parts(m)
    t = TRANSITIONS[persona]                                        # n x 4 x 4
    lo = max(0, m + 1 - EXCITE_MONTHS)
    a = rate * season[m + 1] * f1 * excitement(counts[:, lo:m + 1].sum(axis=1))
    if f2 > 0:   # month m+1 is shorter than the window: its orders are 0 on the event counted
        lo2 = max(0, m + 2 - EXCITE_MONTHS)
        b = rate * season[m + 2] * f2 * excitement(counts[:, lo2:m + 1].sum(axis=1))
        later = np.einsum("nij,nj->ni", t, np.exp(-b[:, None] * ORDER_MULT[None, :]))
    else:
        later = 1.0
    first = t[np.arange(len(state)), state]                         # T[s0, .]
    return (first * np.exp(-a[:, None] * ORDER_MULT[None, :]) * later).sum(axis=1)


def simulate(customers: int, seed: int, *, progress: Progress | None = None) -> World:
    """The whole world for ``customers`` customers; deterministic per ``seed``."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    say = progress or (lambda message: None)
    rng = np.random.default_rng(seed)
    n, M = int(customers), MONTHS
    starts = month_starts()
    start_us = np.array([_us(d) for d in starts], dtype=np.int64)
    month_len = np.diff(start_us)
    season = SEASON[[d.month - 1 for d in starts[:M]]]
    end_us = int(start_us[-1])

    # ---- customers -------------------------------------------------------------------------
    say(STAGES[0])
    shares = np.asarray(PERSONA_SHARES)
    t = rng.choice(len(PERSONAS), size=n, p=shares / shares.sum()).astype(np.int8)

    def P(name: str) -> np.ndarray:
        return np.asarray(_P[name], dtype=np.float64)[t]

    def lognormal(median, sigma) -> np.ndarray:
        return np.exp(np.log(median) + sigma * rng.standard_normal(n))

    def beta(mean, conc: float) -> np.ndarray:
        return rng.beta(mean * conc, (1.0 - mean) * conc)

    prelog = rng.random(n) < P("prelog_p")
    tenure_days = np.clip(lognormal(700.0, 0.7), 1.0, 3650.0)
    signup_pre = start_us[0] - (tenure_days * _US_DAY).astype(np.int64)
    growth = np.exp(np.log(3.0) / (M - 1) * np.arange(M))      # sign-ups grow 3x over the logs
    signup_month = rng.choice(M, size=n, p=growth / growth.sum())
    signup_in = start_us[signup_month] + (rng.random(n) * month_len[signup_month]).astype(np.int64)
    signup_us = np.where(prelog, signup_pre, signup_in)
    first_month = np.where(prelog, 0, signup_month).astype(np.int64)
    del tenure_days, signup_pre, signup_in, signup_month
    # share of each month the customer exists (0 before sign-up, partial in the sign-up month)
    mm = np.arange(M)
    exposure = np.clip((start_us[None, 1:] - signup_us[:, None]) / month_len[None, :], 0.0, 1.0)

    shape = P("activity_shape")
    activity = rng.gamma(shape, 1.0 / shape)
    noise = lognormal(1.0, P("orders_sigma"))
    rate = P("orders_month") * noise * activity ** 0.8            # orders a month, active, before k
    sessions_rate = P("sessions_month") * noise * activity ** 0.8
    keen = noise * activity ** 0.8          # the customer's buying intensity relative to the persona
    del noise, shape

    # ---- monthly states --------------------------------------------------------------------
    say(STAGES[1])
    cum = np.cumsum(TRANSITIONS, axis=2)                           # persona x from x to
    stationary = np.array([_stationary(T) for T in TRANSITIONS])
    state = np.full((n, M), -1, dtype=np.int8)
    init = _draw_next(rng, np.cumsum(stationary, axis=1)[t])
    for m in range(M):
        prev = state[:, m - 1] if m else np.full(n, -1, np.int8)
        nxt = _draw_next(rng, cum[t, np.maximum(prev, 0)])
        born = first_month == m
        state[:, m] = np.where(born, np.where(prelog, init, 3), np.where(prev >= 0, nxt, -1))
    del init, prev, nxt, born

    # ---- orders, calibrated: k so that the mean true probability at the default as-of is 28 % -
    say(STAGES[2])
    dates = as_of_dates()
    as_of_months = [starts.index(d + dt.timedelta(days=1)) - 1 for d in dates]
    d_month = as_of_months[-1]
    known = np.flatnonzero(signup_us < start_us[d_month + 1])
    base = rate[:, None] * season[None, :] * ORDER_MULT[np.maximum(state, 0)] * exposure
    welcome = (~prelog) & (rng.random(n) < P("welcome_p"))
    count_seed = int(rng.integers(2**62))

    def draw_counts(k: float) -> np.ndarray:
        """Order counts per customer-month for the rate factor ``k`` (same random stream)."""
        g = np.random.default_rng(count_seed)
        counts = np.zeros((n, M), dtype=np.int32)
        for m in range(M):
            lam = k * base[:, m] * excitement(counts[:, max(0, m - EXCITE_MONTHS):m].sum(axis=1))
            counts[:, m] = g.poisson(lam) + (welcome & (first_month == m))
        return counts

    def oracle(k: float, rows: np.ndarray, m: int, counts: np.ndarray) -> np.ndarray:
        return 1.0 - no_order_probability(k * rate[rows], t[rows], state[rows, m], counts[rows],
                                          m, season)

    lo, hi = 0.05, 20.0
    for _ in range(30):
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if oracle(mid, known, d_month, draw_counts(mid)).mean() < TARGET_RATE else (lo, mid)
        if hi / lo < 1.0005:
            break
    k = (lo * hi) ** 0.5
    n_orders = draw_counts(k)
    del base, known

    # ---- orders ----------------------------------------------------------------------------
    say(STAGES[3])
    st = np.maximum(state, 0)

    def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(customer, month, timestamp) of each event from per customer-month counts."""
        flat = counts.ravel()
        cell = np.repeat(np.arange(flat.size, dtype=np.int64), flat)
        cust, month = cell // M, cell % M
        lo_us = np.maximum(start_us[month], signup_us[cust])
        span = start_us[month + 1] - lo_us
        when = lo_us + (rng.random(cell.size) * span).astype(np.int64)
        return cust.astype(np.int32), month.astype(np.int16), when

    o_cust, o_month, o_when = expand(n_orders)
    n_orders_kept = n_orders
    no = o_cust.size
    ot = t[o_cust]
    aov_i = lognormal(P("aov"), P("aov_sigma"))
    disc_i = beta(P("discount"), 15.0)
    refund_i = beta(P("refund"), 30.0)
    discount = rng.random(no) < disc_i[o_cust]
    amount = np.round(aov_i[o_cust] * np.exp(0.35 * rng.standard_normal(no))
                      * np.where(discount, 0.85, 1.0), 2)
    amount = np.maximum(amount, 1.0)
    items = (1 + rng.poisson(np.asarray(_P["items_extra"])[ot])).astype(np.int32)
    favourite = rng.integers(0, len(CATEGORIES), n)
    fav = rng.random(no) < np.asarray(_P["favourite_p"])[ot]
    category = np.where(fav, favourite[o_cust], rng.integers(0, len(CATEGORIES), no)).astype(np.uint32)
    refunded = rng.random(no) < refund_i[o_cust]
    del fav, ot

    # consents (needed for coupons and marketing)
    email_ok = rng.random(n) >= P("p_no_email")
    push_ok = rng.random(n) >= P("p_no_push")
    sms_ok = rng.random(n) >= P("p_no_sms")
    offers_ok = rng.random(n) >= P("p_no_offers")

    # ---- sessions --------------------------------------------------------------------------
    say(STAGES[4])
    n_browse = rng.poisson(sessions_rate[:, None] * SESSION_MULT[st] * exposure)
    del st
    b_cust, b_month, b_when = expand(n_browse)
    depth = np.concatenate([DEPTH_MULT[np.maximum(state[b_cust, b_month], 0)], np.ones(no)])
    del b_month
    del n_browse
    nb = b_cust.size
    # purchase sessions: one per order, starting a few minutes before it
    p_dur = np.round(np.exp(np.log(400.0) + 0.5 * rng.standard_normal(no)), 1)
    p_when = np.maximum(o_when - (p_dur * 1e6 * rng.uniform(0.3, 0.95, no)).astype(np.int64),
                        np.maximum(signup_us[o_cust], start_us[0]))  # inside the logs
    s_cust = np.concatenate([b_cust, o_cust])
    s_when = np.concatenate([b_when, p_when])
    del b_cust, b_when, p_when
    ns = s_cust.size
    purchase = np.zeros(ns, dtype=bool)
    purchase[nb:] = True
    stp = t[s_cust]

    def per(name: str) -> np.ndarray:
        return np.asarray(_P[name], dtype=np.float64)[stp]

    duration = np.where(purchase, np.concatenate([np.zeros(nb), p_dur]),
                        np.round(np.exp(np.log(per("duration") * depth) + 0.6 * rng.standard_normal(ns)), 1))
    del p_dur
    page_views = (1 + rng.poisson((per("pages") - 1.0) * depth + 2.0 * purchase)).astype(np.int32)
    product_views = rng.binomial(page_views, per("product_share")).astype(np.int32)
    product_views = np.where(purchase, np.maximum(product_views, 1), product_views)
    cart_i = np.minimum(P("cart") * keen ** 0.7, 0.6)   # keen buyers add more of what they view
    cart_adds = rng.binomial(product_views, np.minimum(cart_i[s_cust] * depth, 0.9))
    del depth
    order_items = np.concatenate([np.zeros(nb, np.int32), items])
    cart_adds = np.where(purchase, np.clip(np.maximum(cart_adds, order_items), 1, product_views),
                         cart_adds).astype(np.int32)
    del order_items
    checkouts = np.where(purchase, 1, rng.binomial(cart_adds, per("checkout_per_add"))).astype(np.int32)
    searches = rng.poisson(per("searches")).astype(np.int32)
    wishlist = rng.poisson(product_views * per("wishlist")).astype(np.int32)
    reviews = (rng.random(ns) < per("review")).astype(np.int32)
    ticket_p = per("ticket") + 0.1 * purchase * refunded[np.maximum(np.arange(ns) - nb, 0)]
    tickets = (rng.random(ns) < ticket_p).astype(np.int32)
    del ticket_p
    app_i = beta(P("app"), 8.0)
    is_app = push_ok[s_cust] & (rng.random(ns) < app_i[s_cust])
    main_device = np.where(rng.random(n) < 0.3 + 0.55 * np.where(push_ok, app_i, 0.0), 0,
                           np.where(rng.random(n) < 0.15, 2, 1))  # mobile / tablet / desktop
    u = rng.random(ns)
    device = np.where(is_app, np.where(u < 0.85, 0, 2),
                      np.where(u < 0.8, main_device[s_cust], rng.integers(0, 3, ns))).astype(np.uint32)
    del u, stp, purchase

    # ---- marketing -------------------------------------------------------------------------
    say(STAGES[5])
    engage = ENGAGE_MULT[np.maximum(state, 0)]
    open_i = beta(P("open"), 12.0)
    click_i = beta(P("click_per_open"), 20.0)
    push_i = beta(P("push_click"), 40.0)
    sms_i = beta(P("sms_click"), 40.0)
    m_parts: list[tuple[np.ndarray, np.ndarray, int, int]] = []   # cust, when, channel, event
    for channel, (per_month, ok) in enumerate(((EMAILS_MONTH, email_ok), (PUSHES_MONTH, push_ok),
                                               (SMS_MONTH, sms_ok))):
        sent = rng.poisson(per_month * exposure * ok[:, None])
        c, month, when = expand(sent)
        del sent
        m_parts.append((c, when, channel, 0))
        eng = engage[c, month]
        if channel == 0:
            opened = rng.random(c.size) < np.minimum(open_i[c] * eng, 0.95)
            oc = c[opened]
            ow = when[opened] + (rng.exponential(6.0, oc.size) * 3.6e9).astype(np.int64)
            m_parts.append((oc, ow, channel, 1))
            clicked = rng.random(oc.size) < np.minimum(click_i[oc] * eng[opened], 0.95)
            m_parts.append((oc[clicked], ow[clicked] + (rng.exponential(60.0, int(clicked.sum())) * 1e6)
                            .astype(np.int64), channel, 2))
        else:
            p = push_i[c] if channel == 1 else sms_i[c]
            clicked = rng.random(c.size) < np.minimum(p * eng, 0.95)
            m_parts.append((c[clicked], when[clicked] + (rng.exponential(1.0, int(clicked.sum())) * 3.6e9)
                            .astype(np.int64), channel, 2))
    del engage
    # coupon redemptions: discounted orders of customers opted in to offers
    redeem = discount & offers_ok[o_cust] & (rng.random(no) < np.asarray(_P["coupon_per_discount"])[t[o_cust]])
    rc = o_cust[redeem]
    ok_mat = np.stack([email_ok[rc], push_ok[rc], sms_ok[rc]], axis=1) * np.array([0.7, 0.2, 0.1])
    ok_mat[ok_mat.sum(axis=1) == 0, 0] = 1.0
    r_channel = _draw_next(rng, np.cumsum(ok_mat / ok_mat.sum(axis=1, keepdims=True), axis=1))
    del ok_mat
    mk_cust = np.concatenate([p[0] for p in m_parts] + [rc])
    mk_when = np.concatenate([p[1] for p in m_parts] + [o_when[redeem]])
    mk_channel = np.concatenate([np.full(p[0].size, p[2], np.uint32) for p in m_parts]
                                + [r_channel.astype(np.uint32)])
    mk_event = np.concatenate([np.full(p[0].size, p[3], np.uint32) for p in m_parts]
                              + [np.full(rc.size, 3, np.uint32)])
    del m_parts, rc, r_channel
    inside = mk_when < end_us                    # opens/clicks after the last day are not logged
    if not inside.all():
        mk_cust, mk_when, mk_channel, mk_event = (a[inside] for a in (mk_cust, mk_when, mk_channel, mk_event))

    # ---- profiles --------------------------------------------------------------------------
    country = rng.choice(len(schema.COUNTRIES), size=n, p=_COUNTRY_P)
    ccum = np.cumsum(_CHANNEL_P, axis=1)[t]
    channel = _draw_next(rng, ccum)
    yearly = 12.0 * rate * aov_i * lognormal(1.0, 0.25)
    tier = np.searchsorted(np.asarray(_TIER_CUTS), yearly, side="right")
    newsletter = email_ok & (rng.random(n) < 0.25 + 0.6 * P("open"))
    age = np.clip(np.rint(P("age") + 11.0 * rng.standard_normal(n)), 18, 85).astype(np.int16)
    weight = P("profile_missing") * np.where(prelog, 1.15, 0.6)
    p_profile = 0.03 * weight / weight.mean()
    miss = {name: rng.random(n) < p_profile for name in
            ("country", "device_type", "acquisition_channel", "loyalty_tier", "newsletter_subscriber", "age")}
    del ccum, yearly, weight, p_profile

    # ---- oracle ----------------------------------------------------------------------------
    say(STAGES[6])
    truth_parts = []
    for day, m in zip(dates, as_of_months):
        known_m = np.flatnonzero(signup_us < start_us[m + 1])
        s0 = state[known_m, m]
        prob = oracle(k, known_m, m, n_orders_kept)
        new = (start_us[m + 1] - signup_us[known_m]) <= NEW_CUSTOMER_DAYS * _US_DAY
        lapsed = (s0 == 2) | (t[known_m] == PERSONAS.index("lapsed"))
        persona_type = np.array([LATENT_TYPES.index(p) for p in PERSONAS])[t[known_m]]
        latent = np.where(new, LATENT_TYPES.index("new_customer"),
                          np.where(lapsed, LATENT_TYPES.index("lapsed"), persona_type))
        truth_parts.append((known_m, day, prob, latent, s0))

    # ---- frames ----------------------------------------------------------------------------
    width = max(7, len(str(n)))
    ids = pl.select((pl.lit("C") + pl.int_range(1, n + 1, dtype=pl.Int64).cast(pl.String)
                     .str.zfill(width)).alias(schema.ID_COLUMN)).to_series()

    def cat(values: tuple[str, ...], codes: np.ndarray, name: str) -> pl.Series:
        return pl.Series(name, values, dtype=pl.String).gather(pl.Series(codes.astype(np.uint32)))

    def stamp(us: np.ndarray, name: str) -> pl.Series:
        return pl.Series(name, us, dtype=pl.Int64).cast(pl.Datetime("us"))

    def nulls(series: pl.Series, missing: np.ndarray) -> pl.Series:
        return series.to_frame().select(pl.when(pl.Series(missing)).then(None)
                                        .otherwise(pl.col(series.name)).alias(series.name)).to_series()

    customers_df = pl.DataFrame([
        ids, stamp(signup_us, "signup_at"),
        nulls(cat(schema.COUNTRIES, country, "country"), miss["country"]),
        nulls(cat(schema.DEVICES, main_device, "device_type"), miss["device_type"]),
        nulls(cat(schema.CHANNELS, channel, "acquisition_channel"), miss["acquisition_channel"]),
        nulls(cat(schema.LOYALTY_TIERS, tier, "loyalty_tier"), miss["loyalty_tier"]),
        nulls(pl.Series("newsletter_subscriber", newsletter), miss["newsletter_subscriber"]),
        nulls(pl.Series("age", age, dtype=pl.Int16), miss["age"]),
        pl.Series("email_consent", email_ok), pl.Series("push_enabled", push_ok),
        pl.Series("sms_opt_in", sms_ok), pl.Series("offers_opt_in", offers_ok),
    ])
    order_width = max(9, len(str(no)))
    orders_df = pl.DataFrame([
        pl.select((pl.lit("O") + pl.int_range(1, no + 1, dtype=pl.Int64).cast(pl.String)
                   .str.zfill(order_width)).alias("order_id")).to_series(),
        ids.gather(pl.Series(o_cust.astype(np.uint32))),
        stamp(o_when, "ordered_at"),
        pl.Series("amount", amount, dtype=pl.Float64),
        pl.Series("items", items, dtype=pl.Int32),
        cat(CATEGORIES, category, "category"),
        pl.Series("discount", discount), pl.Series("refunded", refunded),
    ])
    del o_month, amount, category, discount, refunded
    sessions_df = pl.DataFrame([
        ids.gather(pl.Series(s_cust.astype(np.uint32))),
        stamp(s_when, "started_at"),
        pl.Series("duration_s", duration, dtype=pl.Float64),
        pl.Series("page_views", page_views, dtype=pl.Int32),
        pl.Series("product_views", product_views, dtype=pl.Int32),
        pl.Series("searches", searches, dtype=pl.Int32),
        pl.Series("cart_adds", cart_adds, dtype=pl.Int32),
        pl.Series("checkout_starts", checkouts, dtype=pl.Int32),
        pl.Series("wishlist_adds", wishlist, dtype=pl.Int32),
        pl.Series("reviews_written", reviews, dtype=pl.Int32),
        pl.Series("support_tickets", tickets, dtype=pl.Int32),
        cat(schema.DEVICES, device, "device"),
        pl.Series("is_app", is_app),
    ])
    del s_cust, s_when, duration, page_views, product_views, searches, cart_adds, checkouts
    del wishlist, reviews, tickets, device, is_app
    marketing_df = pl.DataFrame([
        ids.gather(pl.Series(mk_cust.astype(np.uint32))),
        stamp(mk_when, "event_at"),
        cat(("email", "push", "sms"), mk_channel, "channel"),
        cat(("sent", "open", "click", "redeem"), mk_event, "event"),
    ])
    del mk_cust, mk_when, mk_channel, mk_event
    truth_df = pl.concat([
        pl.DataFrame([
            ids.gather(pl.Series(rows.astype(np.uint32))),
            pl.Series("true_probability", prob, dtype=pl.Float64),
            cat(LATENT_TYPES, latent, "latent_type"),
            cat(STATES, s0, "state"),
        ]).with_columns(pl.lit(day, dtype=pl.Date).alias("as_of"))
        for rows, day, prob, latent, s0 in truth_parts
    ]).select(schema.ID_COLUMN, "as_of", "true_probability", "latent_type", "state")
    info = {
        "generator": "segkit",
        "seed": int(seed),
        "customers": n,
        "start": START.isoformat(),
        "end": end_date().isoformat(),
        "as_of_dates": [d.isoformat() for d in dates],
        "default_as_of": dates[-1].isoformat(),
        "horizon_days": HORIZON_DAYS,
        "rate_factor": round(float(k), 6),
    }
    hidden = {"persona": t, "rate": rate * k, "state": state}
    return World(customers_df, orders_df, sessions_df, marketing_df, truth_df, info, hidden)
