"""Synthetic customer table: 35 schema features, a 30-day purchase label and its true probability.

The sample has to be realistic enough to demo segmentation and purchase prediction, and it has
to have a known answer: latent customer types a segmentation should recover, and the exact
purchase probability the label was drawn from (the "oracle" a model is measured against).

Latent customer types
---------------------
Every customer belongs to one of six hidden types (``truth.latent_type``). A type sets the
typical values; within a type customers vary through a shared gamma "activity"
factor (busy customers browse, buy and open emails more, all at once) and per-feature
lognormal, beta and Poisson noise.

==================  =====  ==========================================================
type                share  typical customer (medians at seed 42; 30-day purchase rate)
==================  =====  ==========================================================
champion            10 %   ~33 orders a year, last order 4 days ago, 27 sessions a
                           month, ~3,700 USD a year, gold/platinum tier, about one
                           support ticket per quarter (buy rate 84 %)
loyal               21 %   steady buyer: ~6 orders a year, last order ~4 weeks ago, few
                           sessions (5), mostly in the app, adds 1 in 6 viewed products
                           to the cart, pays full price (29 %)
bargain_hunter      15 %   ~10 orders a year, 80 % of them discounted, 2 coupons in 90
                           days, small baskets, refunds 10 % of orders, clicks many
                           emails (58 %)
window_shopper      16 %   17 long sessions and ~100 product views a month, wishlists,
                           low add-to-cart rate, last (often only) order ~10 months ago (5 %)
new_customer        14 %   signed up in the last 90 days (median 35), one order so far,
                           15 % not yet (27 %)
lapsed              24 %   last order ~1.5 years ago (at least 180 days), no sessions in
                           the last 30 days, ignores email (1 %)
==================  =====  ==========================================================

The types are separated mainly by orders_90d/orders_365d, days_since_last_purchase,
days_since_first_purchase, sessions and product views, cart_add_rate, app_session_share,
discount_order_share and coupon_redemptions: k-means (k=6) on the log1p + robust-scaled
behavioral, transactional and marketing columns (:mod:`toolkit.segments.space`) recovers them
with an adjusted Rand index of about 0.95, and k=6 has the best silhouette of k=3..7.

Orders form a Poisson process between the first and the last order (active types: the last
order is Gamma-distributed around half the customer's usual gap; window shoppers and lapsed
customers: months to years ago), so counts, recencies and tenure agree by construction:

- ``orders_90d <= orders_365d``; for buyers ``orders_90d > 0`` exactly when the last order
  is at most 90 days ago and ``orders_365d > 0`` exactly when it is at most 365 days ago;
- customers who never ordered have ``days_since_last_purchase = account_age_days`` (>= 1)
  and ``days_since_first_purchase = 0`` (a first order today also gives 0, with
  ``days_since_last_purchase = 0``);
- otherwise ``days_since_last_purchase <= days_since_first_purchase <= account_age_days``;
- ``days_since_last_visit <= days_since_last_purchase`` (buying needs a visit), < 30 exactly
  when ``sessions_30d > 0``; ``avg_session_duration = 0`` without sessions;
- ``total_spend_365d = orders_365d * avg_order_value`` (to the cent; spend is lognormal per
  order), and spend, order value, items, categories, refund and discount shares are 0
  without orders in the last 365 days;
- ``email_clicks_30d <= email_opens_30d``, ``coupon_redemptions <= orders_90d``,
  ``product_views_30d <= page_views_30d``, ``checkout_starts_30d >= 1`` after an order in the
  last 30 days; ``loyalty_tier`` follows the 365-day spend (with noise).

Purchase propensity
-------------------
The label ``purchased_next_30d`` is Bernoulli(``true_probability``) with

    logit(p) = b + 0.88 * g(x) + e,     e ~ Normal(0, 0.4)

where ``g`` uses only the published feature values:

    g(x) =  2.6  * exp(-days_since_last_purchase / 25)            recency, exponential decay
          + 0.55 * log1p(orders_365d)                             frequency, saturating
          + 0.25 * log1p(orders_90d) * exp(-days_since_last_purchase / 60)   recency x frequency
          + 0.40 * log1p(sessions_30d)
          + 0.30 * log1p(checkout_starts_30d)
          + 2.5  * cart_add_rate
          + 0.8  * exp(-0.5 * ((log1p(avg_session_duration) - log(300)) / 0.55) ** 2)
                                                                  hump: ~5-minute sessions best
          + 0.30 * min(coupon_redemptions, 5) * discount_order_share   coupon x discount
          + 0.9  * exp(-days_since_last_email_click / 10)
          + 1.0  * push_click_rate
          - 0.30 * support_tickets_90d - 1.2 * refund_rate
          + tier effect (bronze .10, silver .20, gold .30, platinum .40)
          + 0.15 * newsletter_subscriber

A missing (null) value contributes 0 to its term, the same for every customer, so the
probability is a function of what is published. ``b`` (about -5.1) is solved numerically
(bisection on the drawn logits, noise included) so that the mean probability is exactly 28 %
for any seed and size; the realised positive rate is 28 % up to Bernoulli noise (+-0.3
points at 20,000 rows). The noise ``e`` is the only part of the probability no model can
learn from the features. Ranking by ``true_probability`` (the oracle) gives a ROC-AUC of
about 0.90 and a best F1 of about 0.72; an EBM on the 35 features gets within ~0.01 of it.

Missing values
--------------
Missingness is not at random; each field is missing for about 8 % (marketing) or 3 %
(profile) of customers, more often for lapsed customers and window shoppers:

- no email consent: ``email_opens_30d``, ``email_clicks_30d`` and
  ``days_since_last_email_click`` are all null (and ``newsletter_subscriber`` is false);
- no app or push disabled: ``push_click_rate`` null (``app_session_share`` is then 0);
- no SMS opt-in: ``sms_click_rate`` null;
- opted out of promotional offers: ``coupon_redemptions`` null (they redeem none);
- profile fields (country, device, channel, tier, newsletter flag, age, account age) are
  independently null for ~3 %, more often for old lapsed accounts migrated from a previous
  shop system and less often for new accounts.

Everything is vectorised numpy driven by one ``numpy.random.Generator(seed)``, so a seed
always gives the same table (for a given number of rows); 180,000 rows take under a second,
2.4 million about 10 s and 1.3 GB of memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import polars as pl

from toolkit import schema

TARGET_RATE = 0.28
LOGIT_SCALE = 0.88
NOISE_SD = 0.4

# The polars dtype of each schema kind (the table's contract).
DTYPES: dict[str, pl.DataType] = {
    "count": pl.Int64, "days": pl.Int64, "years": pl.Int64,
    "rate": pl.Float64, "money": pl.Float64, "seconds": pl.Float64,
    "category": pl.String, "flag": pl.Boolean,
}


@dataclass(frozen=True)
class CustomerType:
    """One latent type: its share of customers and the typical values of its behaviour."""

    name: str
    share: float
    description: str


TYPES: tuple[CustomerType, ...] = (
    CustomerType("champion", 0.10, "frequent, recent, high-spend buyers"),
    CustomerType("loyal", 0.21, "steady regular buyers"),
    CustomerType("bargain_hunter", 0.15, "buy on discount, redeem coupons, read emails"),
    CustomerType("window_shopper", 0.16, "browse a lot, rarely buy"),
    CustomerType("new_customer", 0.14, "signed up in the last 90 days"),
    CustomerType("lapsed", 0.24, "no order for months, hardly visit"),
)
TYPE_NAMES: tuple[str, ...] = tuple(t.name for t in TYPES)

# Per-type parameters, one value per type in TYPES order:
#              champ  loyal  bargain window  new    lapsed
_P = {
    "activity_shape": (12.0, 12.0, 10.0, 8.0, 6.0, 4.0),   # gamma shape of the activity factor
    # tenure (days): lognormal median / sigma, clipped to [min, max]
    "age_median": (1100, 900, 700, 650, 35, 1300),
    "age_sigma": (0.45, 0.5, 0.55, 0.6, 0.7, 0.45),
    "age_min": (200, 150, 120, 100, 1, 420),
    "age_max": (3650, 3650, 3650, 3650, 90, 3650),
    # orders
    "p_ordered": (1.0, 1.0, 1.0, 0.97, 0.85, 0.97),
    "rate_median": (34.0, 5.5, 11.0, 1.0, 12.0, 3.0),   # orders a year while active
    "rate_sigma": (0.25, 0.25, 0.25, 0.5, 0.5, 0.4),
    "recency_periodic": (1, 1, 1, 0, 0, 0),   # 1: last order ~ Gamma(2) with mean half the gap
    "recency_median": (0, 0, 0, 330, 8, 520),          # else lognormal median (days)
    "recency_sigma": (0, 0, 0, 0.55, 1.0, 0.45),
    "recency_min": (0, 0, 0, 40, 0, 180),
    "p_one_order": (0.0, 0.02, 0.03, 0.5, 0.6, 0.25),
    "aov_median": (110.0, 70.0, 42.0, 70.0, 60.0, 65.0),
    "aov_sigma": (0.4, 0.4, 0.35, 0.45, 0.45, 0.45),
    "items_median": (1.1, 0.9, 1.6, 0.7, 0.8, 0.8),    # items per order minus one
    "discount_mean": (0.12, 0.14, 0.8, 0.3, 0.35, 0.25),
    "discount_conc": (10.0, 10.0, 20.0, 8.0, 8.0, 8.0),
    "coupon_per_order": (0.05, 0.06, 0.85, 0.2, 0.3, 0.1),
    "refund_mean": (0.03, 0.015, 0.10, 0.01, 0.01, 0.01),
    "category_p": (0.3, 0.25, 0.3, 0.2, 0.25, 0.2),
    "review_per_order": (0.12, 0.1, 0.05, 0.2, 0.08, 0.05),
    "ticket_base": (0.6, 0.05, 0.6, 0.02, 0.25, 0.01),
    # browsing (per 30 days)
    "sessions_mean": (28.0, 5.5, 12.0, 18.0, 9.0, 0.04),
    "pages_per_session": (7.0, 6.0, 8.0, 11.0, 7.0, 4.0),
    "product_share": (0.45, 0.45, 0.5, 0.55, 0.5, 0.4),
    "searches_per_session": (0.6, 0.5, 0.8, 1.0, 0.7, 0.3),
    "cart_mean": (0.14, 0.18, 0.11, 0.025, 0.08, 0.05),
    "checkout_per_add": (0.5, 0.45, 0.4, 0.2, 0.4, 0.3),
    "wishlist_per_view": (0.02, 0.015, 0.04, 0.08, 0.03, 0.02),
    "duration_median": (320.0, 280.0, 260.0, 430.0, 240.0, 150.0),
    "idle_mean": (10.0, 20.0, 15.0, 20.0, 10.0, 150.0),  # days beyond 30 without a visit
    "app_mean": (0.6, 0.8, 0.55, 0.4, 0.45, 0.3),
    # marketing
    "p_no_email": (0.04, 0.06, 0.02, 0.1, 0.09, 0.13),
    "p_no_app": (0.04, 0.06, 0.04, 0.1, 0.09, 0.12),
    "p_no_sms": (0.05, 0.07, 0.03, 0.09, 0.08, 0.12),
    "p_no_coupon": (0.05, 0.08, 0.01, 0.1, 0.06, 0.12),
    "open_rate": (0.45, 0.3, 0.55, 0.2, 0.35, 0.05),
    "click_per_open": (0.25, 0.2, 0.3, 0.1, 0.2, 0.1),
    "click_idle_mean": (30.0, 60.0, 25.0, 120.0, 40.0, 400.0),
    "push_rate": (0.14, 0.09, 0.16, 0.05, 0.08, 0.02),
    "sms_rate": (0.10, 0.06, 0.14, 0.03, 0.06, 0.015),
    # profile
    "profile_missing_weight": (0.6, 0.8, 0.8, 1.2, 0.3, 1.6),
    "age_mean": (41.0, 43.0, 37.0, 33.0, 31.0, 45.0),
}

_COUNTRY_P = (0.32, 0.12, 0.12, 0.09, 0.06, 0.06, 0.05, 0.05, 0.04, 0.09)
#                   organic paid_search social referral email affiliate
_CHANNEL_P = np.array([
    (0.35, 0.20, 0.10, 0.15, 0.12, 0.08),   # champion
    (0.33, 0.22, 0.12, 0.15, 0.10, 0.08),   # loyal
    (0.15, 0.15, 0.20, 0.10, 0.15, 0.25),   # bargain_hunter
    (0.25, 0.20, 0.30, 0.10, 0.05, 0.10),   # window_shopper
    (0.20, 0.30, 0.25, 0.10, 0.05, 0.10),   # new_customer
    (0.30, 0.25, 0.15, 0.10, 0.10, 0.10),   # lapsed
])
# loyalty tier from 365-day spend (with noise): none < 150 <= bronze < 500 <= silver < 1500 <= gold < 4500 <= platinum
_TIER_CUTS = (150.0, 500.0, 1500.0, 4500.0)

# Propensity coefficients (see the module docstring; keep both in sync).
_TIER_EFFECT = (0.0, 0.10, 0.20, 0.30, 0.40)

Progress = Callable[[str], None]

# The messages ``generate`` passes to ``progress``, in order (one per stage).
STAGES: tuple[str, ...] = (
    "Drawing latent customer types",
    "Drawing orders, spend and tenure",
    "Drawing sessions and browsing",
    "Drawing marketing engagement",
    "Drawing profiles",
    "Computing purchase propensity and labels",
    "Assembling the table",
)


def _solve_intercept(z: np.ndarray, target: float) -> float:
    """The b with mean(sigmoid(b + z)) == target.

    The mean is increasing in b, so Newton steps are kept inside a shrinking bracket
    (bisection when a step would leave it); converges in a handful of passes over ``z``.
    """
    lo, hi = -40.0 - float(z.max()), 40.0 - float(z.min())
    b = math.log(target / (1.0 - target)) - float(np.median(z))
    for _ in range(100):
        s = _sigmoid(b + z)
        gap = float(s.mean()) - target
        if abs(gap) < 1e-12:
            break
        if gap < 0:
            lo = b
        else:
            hi = b
        slope = float((s * (1.0 - s)).mean())
        step = b - gap / slope if slope > 0 else (lo + hi) / 2
        b = step if lo < step < hi else (lo + hi) / 2
    return b


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def propensity_score(x: dict[str, np.ndarray]) -> np.ndarray:
    """g(x) of the module docstring from observed feature arrays (NaN = missing -> 0).

    ``x`` maps feature names to float arrays; ``loyalty_tier`` is the tier index (NaN when
    missing) and ``newsletter_subscriber`` 0/1/NaN.
    """
    def obs(name: str) -> np.ndarray:
        return np.nan_to_num(x[name], nan=0.0)

    dslp = x["days_since_last_purchase"]
    recency = np.exp(-dslp / 25.0)
    g = 2.6 * recency
    g += 0.55 * np.log1p(x["orders_365d"])
    g += 0.25 * np.log1p(x["orders_90d"]) * np.exp(-dslp / 60.0)
    g += 0.40 * np.log1p(x["sessions_30d"])
    g += 0.30 * np.log1p(x["checkout_starts_30d"])
    g += 2.5 * x["cart_add_rate"]
    g += 0.8 * np.exp(-0.5 * ((np.log1p(x["avg_session_duration"]) - math.log(300.0)) / 0.55) ** 2)
    g += 0.30 * np.minimum(obs("coupon_redemptions"), 5.0) * x["discount_order_share"]
    email = x["days_since_last_email_click"]
    g += 0.9 * np.where(np.isnan(email), 0.0, np.exp(-np.nan_to_num(email, nan=365.0) / 10.0))
    g += 1.0 * obs("push_click_rate")
    g -= 0.30 * x["support_tickets_90d"]
    g -= 1.2 * x["refund_rate"]
    tier = x["loyalty_tier"]
    tier_idx = np.nan_to_num(tier, nan=0.0).astype(np.int64)
    g += np.where(np.isnan(tier), 0.0, np.asarray(_TIER_EFFECT)[tier_idx])
    g += 0.15 * obs("newsletter_subscriber")
    return g


def propensity_from_table(customers: pl.DataFrame) -> np.ndarray:
    """``LOGIT_SCALE * g(x)`` recomputed from a published customer table.

    ``logit(true_probability)`` minus this is the intercept plus the noise ``e``: the check
    that the label depends on nothing but the published features (and ``e``).
    """
    names = ("days_since_last_purchase", "orders_365d", "orders_90d", "sessions_30d",
             "checkout_starts_30d", "cart_add_rate", "avg_session_duration", "coupon_redemptions",
             "discount_order_share", "days_since_last_email_click", "push_click_rate",
             "support_tickets_90d", "refund_rate")
    x = {n: customers.get_column(n).cast(pl.Float64).fill_null(np.nan).to_numpy() for n in names}
    tier = customers.get_column("loyalty_tier").replace_strict(
        {name: i for i, name in enumerate(schema.LOYALTY_TIERS)}, default=None, return_dtype=pl.Float64)
    x["loyalty_tier"] = tier.fill_null(np.nan).to_numpy()
    x["newsletter_subscriber"] = (customers.get_column("newsletter_subscriber").cast(pl.Float64)
                                  .fill_null(np.nan).to_numpy())
    return LOGIT_SCALE * propensity_score(x)


def generate(rows: int, seed: int, *, progress: Progress | None = None
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(customers, truth) for ``rows`` customers; the same seed gives the same tables.

    customers: ``customer_id``, the 35 schema features in schema order, ``purchased_next_30d``
    (Int8 0/1). truth: ``customer_id``, ``true_probability`` (what the label was drawn from)
    and ``latent_type`` (the hidden customer type).
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    say = progress or (lambda message: None)
    rng = np.random.default_rng(seed)
    n = int(rows)

    say(STAGES[0])
    shares = np.array([t.share for t in TYPES])
    t = rng.choice(len(TYPES), size=n, p=shares / shares.sum()).astype(np.int8)

    def P(name: str) -> np.ndarray:
        return np.asarray(_P[name], dtype=np.float64)[t]

    def lognormal(median: np.ndarray | float, sigma: np.ndarray | float) -> np.ndarray:
        return np.exp(np.log(median) + sigma * rng.standard_normal(n))

    def beta(mean: np.ndarray, conc: np.ndarray | float) -> np.ndarray:
        return rng.beta(mean * conc, (1.0 - mean) * conc)

    shape = P("activity_shape")
    activity = rng.gamma(shape, 1.0 / shape)

    # ---- tenure and orders -------------------------------------------------------------
    say(STAGES[1])
    account_age = np.clip(np.rint(lognormal(P("age_median"), P("age_sigma"))),
                          P("age_min"), P("age_max")).astype(np.int64)
    ordered = rng.random(n) < P("p_ordered")
    rate = lognormal(P("rate_median"), P("rate_sigma")) * activity ** 0.7  # orders a year
    recency_periodic = rng.gamma(2.0, 0.25 * 365.0 / rate)
    med = P("recency_median")
    recency_ln = lognormal(np.where(med > 0, med, 1.0), P("recency_sigma"))
    last = np.where(P("recency_periodic") > 0, recency_periodic, recency_ln)
    last = np.clip(np.floor(np.maximum(last, P("recency_min"))), 0, account_age).astype(np.int64)
    one_order = rng.random(n) < P("p_one_order")
    # first order: soon after sign-up for repeat buyers
    span = (account_age - last) * rng.beta(6.0, 1.0, n)
    first = np.where(one_order, last, last + np.floor(span).astype(np.int64))
    del span, recency_periodic, recency_ln, med
    has_first = ordered & (first > last)
    # interior orders: Poisson process on (last, first), counted per window
    len90 = np.clip(np.minimum(first, 90) - last, 0, None)
    len365 = np.clip(np.minimum(first, 365) - np.maximum(last, 90), 0, None)
    inner90 = rng.poisson(np.where(ordered, rate * len90 / 365.0, 0.0))
    inner365 = rng.poisson(np.where(ordered, rate * len365 / 365.0, 0.0))
    del len90, len365
    orders_90d = (ordered & (last <= 90)) + (has_first & (first <= 90)) + inner90
    orders_365d = (ordered & (last <= 365)) + (has_first & (first <= 365)) + inner90 + inner365
    orders_90d = orders_90d.astype(np.int64)
    orders_365d = orders_365d.astype(np.int64)
    del inner90, inner365, has_first
    dslp = np.where(ordered, last, account_age)
    dsfp = np.where(ordered, first, 0)
    del last, first, one_order
    bought = orders_365d > 0

    aov_true = lognormal(P("aov_median"), P("aov_sigma"))
    total_spend = np.where(bought, np.round(orders_365d * aov_true, 2), 0.0)
    aov = np.where(bought, np.round(total_spend / np.maximum(orders_365d, 1), 2), 0.0)
    del aov_true
    items = np.where(bought, 1 + np.rint(lognormal(P("items_median"), 0.45)), 0).astype(np.int64)
    cat_trials = np.clip(orders_365d * items - 1, 0, 14)
    categories = np.where(bought, 1 + rng.binomial(cat_trials, P("category_p")), 0).astype(np.int64)
    del cat_trials
    refund_p = beta(P("refund_mean"), 25.0)
    refunds = rng.binomial(orders_365d, refund_p)
    refund_rate = np.where(bought, refunds / np.maximum(orders_365d, 1), 0.0)
    del refund_p

    coupon_ok = rng.random(n) >= P("p_no_coupon")
    coupons = np.where(coupon_ok, rng.binomial(orders_90d, beta(P("coupon_per_order"), 12.0)), 0)
    discounted = np.maximum(rng.binomial(orders_365d, beta(P("discount_mean"), P("discount_conc"))), coupons)
    discount_share = np.where(bought, discounted / np.maximum(orders_365d, 1), 0.0)
    del discounted

    # ---- browsing ------------------------------------------------------------------------
    say(STAGES[2])
    exposure = np.minimum(account_age, 30) / 30.0   # share of the 30-day window since sign-up
    sessions = rng.poisson(P("sessions_mean") * activity * exposure)
    must_visit = np.minimum(account_age, dslp) < 30  # signed up or bought in the window
    sessions = np.where(must_visit, np.maximum(sessions, 1), sessions).astype(np.int64)
    pps = lognormal(P("pages_per_session"), 0.3)
    page_views = sessions + rng.poisson(sessions * np.maximum(pps - 1.0, 0.0))
    del pps
    product_views = rng.binomial(page_views, P("product_share"))
    searches = rng.poisson(sessions * P("searches_per_session") * lognormal(1.0, 0.4))
    adds = rng.binomial(product_views, beta(P("cart_mean"), 30.0))
    cart_rate = np.where(product_views > 0, adds / np.maximum(product_views, 1), 0.0)
    checkouts = rng.binomial(adds, P("checkout_per_add"))
    checkouts = np.where(ordered & (dslp < 30), np.maximum(checkouts, 1), checkouts).astype(np.int64)
    del adds
    wishlist = rng.poisson(product_views * P("wishlist_per_view"))
    recent_visit = np.floor(30.0 * rng.beta(1.0, np.maximum(sessions, 1)))
    idle_visit = 30.0 + np.floor(rng.exponential(P("idle_mean")))
    dslv = np.where(sessions > 0, recent_visit, idle_visit)
    dslv = np.minimum(dslv, dslp).astype(np.int64)
    del recent_visit, idle_visit
    duration = np.where(sessions > 0, np.round(lognormal(P("duration_median"), 0.3), 1), 0.0)
    has_app = rng.random(n) >= P("p_no_app")
    app_p = beta(P("app_mean"), 8.0)
    app_share = np.where(has_app & (sessions > 0),
                         rng.binomial(sessions, app_p) / np.maximum(sessions, 1), 0.0)
    del app_p
    reviews = rng.poisson(orders_365d * P("review_per_order"))
    tickets = rng.poisson(P("ticket_base") + 0.02 * orders_90d + 0.3 * refunds * (orders_90d > 0))
    del refunds

    # ---- marketing -----------------------------------------------------------------------
    say(STAGES[3])
    email_ok = rng.random(n) >= P("p_no_email")
    opens = rng.poisson(12.0 * beta(P("open_rate"), 12.0) * activity ** 0.5 * exposure)
    clicks = rng.binomial(opens, beta(P("click_per_open"), 20.0))
    click_recent = np.minimum(np.floor(30.0 * rng.beta(1.0, np.maximum(clicks, 1))), account_age)
    click_old = 30.0 + np.floor(rng.exponential(P("click_idle_mean")))
    click_old = np.where(click_old > np.minimum(account_age, 365), 365.0, click_old)
    email_click = np.where(clicks > 0, click_recent, click_old)
    del click_recent, click_old
    pushes = 20 + rng.poisson(40.0, n)
    push_rate = rng.binomial(pushes, beta(P("push_rate"), 40.0)) / pushes
    smss = 12 + rng.poisson(18.0, n)
    sms_ok = rng.random(n) >= P("p_no_sms")
    sms_rate = rng.binomial(smss, beta(P("sms_rate"), 40.0)) / smss
    del pushes, smss

    # ---- profile -------------------------------------------------------------------------
    say(STAGES[4])
    country = rng.choice(len(schema.COUNTRIES), size=n, p=_COUNTRY_P)
    u = rng.random(n)
    p_mobile = 0.3 + 0.55 * app_share
    device = np.where(u < p_mobile, 0, np.where(u < p_mobile + 0.1, 2, 1))  # mobile/tablet/desktop
    cum = np.cumsum(_CHANNEL_P, axis=1)[t]
    channel = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(schema.CHANNELS) - 1)
    del cum, u, p_mobile
    tier_spend = total_spend * lognormal(1.0, 0.25)
    tier = np.searchsorted(np.asarray(_TIER_CUTS), tier_spend, side="right")
    del tier_spend
    newsletter = email_ok & (rng.random(n) < 0.25 + 0.6 * P("open_rate"))
    age = np.clip(np.rint(P("age_mean") + 11.0 * rng.standard_normal(n)), 18, 85).astype(np.int64)

    weight = P("profile_missing_weight")
    shares_w = np.asarray(_P["profile_missing_weight"]) @ (shares / shares.sum())
    p_profile = 0.03 * weight / shares_w
    profile_names = ("country", "device_type", "acquisition_channel", "loyalty_tier",
                     "newsletter_subscriber", "age", "account_age_days")
    profile_missing = {name: rng.random(n) < p_profile for name in profile_names}
    del weight, p_profile

    # ---- label ---------------------------------------------------------------------------
    say(STAGES[5])
    nan = np.nan
    observed = {
        "days_since_last_purchase": dslp.astype(np.float64),
        "orders_365d": orders_365d.astype(np.float64),
        "orders_90d": orders_90d.astype(np.float64),
        "sessions_30d": sessions.astype(np.float64),
        "checkout_starts_30d": checkouts.astype(np.float64),
        "cart_add_rate": cart_rate,
        "avg_session_duration": duration,
        "coupon_redemptions": np.where(coupon_ok, coupons, nan),
        "discount_order_share": discount_share,
        "days_since_last_email_click": np.where(email_ok, email_click, nan),
        "push_click_rate": np.where(has_app, push_rate, nan),
        "support_tickets_90d": tickets.astype(np.float64),
        "refund_rate": refund_rate,
        "loyalty_tier": np.where(profile_missing["loyalty_tier"], nan, tier),
        "newsletter_subscriber": np.where(profile_missing["newsletter_subscriber"], nan, newsletter),
    }
    z = LOGIT_SCALE * propensity_score(observed) + NOISE_SD * rng.standard_normal(n)
    del observed
    z += _solve_intercept(z, TARGET_RATE)
    probability = _sigmoid(z)
    del z
    label = (rng.random(n) < probability).astype(np.int8)

    # ---- assemble ------------------------------------------------------------------------
    say(STAGES[6])
    values: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
        "sessions_30d": (sessions, None),
        "avg_session_duration": (duration, None),
        "page_views_30d": (page_views, None),
        "product_views_30d": (product_views, None),
        "search_count_30d": (searches, None),
        "cart_add_rate": (np.round(cart_rate, 4), None),
        "checkout_starts_30d": (checkouts, None),
        "wishlist_events": (wishlist, None),
        "days_since_last_visit": (dslv, None),
        "app_session_share": (np.round(app_share, 4), None),
        "reviews_written_365d": (reviews, None),
        "support_tickets_90d": (tickets, None),
        "orders_90d": (orders_90d, None),
        "orders_365d": (orders_365d, None),
        "total_spend_365d": (total_spend, None),
        "avg_order_value": (aov, None),
        "avg_items_per_order": (items, None),
        "distinct_categories_365d": (categories, None),
        "days_since_last_purchase": (dslp, None),
        "days_since_first_purchase": (dsfp, None),
        "refund_rate": (np.round(refund_rate, 4), None),
        "discount_order_share": (np.round(discount_share, 4), None),
        "email_opens_30d": (opens, ~email_ok),
        "email_clicks_30d": (clicks, ~email_ok),
        "days_since_last_email_click": (email_click, ~email_ok),
        "push_click_rate": (np.round(push_rate, 4), ~has_app),
        "sms_click_rate": (np.round(sms_rate, 4), ~sms_ok),
        "coupon_redemptions": (coupons, ~coupon_ok),
        "age": (age, profile_missing["age"]),
        "account_age_days": (account_age, profile_missing["account_age_days"]),
        "newsletter_subscriber": (newsletter, profile_missing["newsletter_subscriber"]),
    }
    categorical = {
        "country": (schema.COUNTRIES, country),
        "device_type": (schema.DEVICES, device),
        "acquisition_channel": (schema.CHANNELS, channel),
        "loyalty_tier": (schema.LOYALTY_TIERS, tier),
    }
    width = max(7, len(str(n)))
    columns: list[pl.Series] = [_ids(n, width)]
    for col in schema.COLUMNS:
        dtype = DTYPES[col.kind]
        if col.name in categorical:
            cats, codes = categorical.pop(col.name)
            codes = pl.Series(codes.astype(np.uint32))
            missing = profile_missing[col.name]
            series = pl.Series(col.name, cats, dtype=pl.String).gather(codes)
            series = _with_nulls(series, missing)
        else:
            arr, missing = values.pop(col.name)
            series = _with_nulls(pl.Series(col.name, arr).cast(dtype), missing)
        columns.append(series.alias(col.name))
    columns.append(pl.Series(schema.TARGET_COLUMN, label, dtype=pl.Int8))
    customers = pl.DataFrame(columns)
    truth = pl.DataFrame([
        columns[0],
        pl.Series("true_probability", probability, dtype=pl.Float64),
        pl.Series("latent_type", TYPE_NAMES, dtype=pl.String).gather(pl.Series(t.astype(np.uint32))),
    ])
    return customers, truth


def _ids(n: int, width: int) -> pl.Series:
    """``C0000001``-style ids (zero-padded to ``width`` digits)."""
    return pl.select(
        (pl.lit("C") + pl.int_range(1, n + 1, dtype=pl.Int64).cast(pl.String).str.zfill(width))
        .alias(schema.ID_COLUMN)
    ).to_series()


def _with_nulls(series: pl.Series, missing: np.ndarray | None) -> pl.Series:
    if missing is None or not missing.any():
        return series
    return series.to_frame().select(
        pl.when(pl.Series(missing)).then(None).otherwise(pl.col(series.name)).alias(series.name)
    ).to_series()
