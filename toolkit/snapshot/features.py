"""The snapshot's features, documented in one place: name, group, window, formula.

Every feature is computed in two steps, both Polars expressions: per table, *aggregates*
over that table's rows at or before as-of (one ``group_by`` per table, where ``_d`` is a
row's age in whole days, ``(as_of - date(row)).days``, so ``_d == 0`` is the as-of day and
"the last N days" is ``_d < N``); then the feature's *final* expression over those
aggregates, after they are joined on the customer id. No expression sees a row after as-of:
the rows are filtered before the aggregates exist (see :mod:`toolkit.snapshot.build`).

The names and meanings of the 35 features come from :mod:`toolkit.schema` (the brief's
table); the extras (:data:`EXTRAS`) are documented here. A feature needs its table and the
optional source columns in ``needs``; without them it is left out (and listed as skipped
in the sidecar), never filled with made-up zeros. Marketing features carry the consent that
gates them: null for customers whose consent for the channel is not true.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from toolkit.schema import BY_NAME, Group

D = pl.col("_d")
KNOWN = pl.col("_known_days")  # days since sign-up, else since the customer's first row
EMAIL_CLICK_CAP = 365


def within(days: int) -> pl.Expr:
    """Rows in the last ``days`` days: dates in (as_of - days, as_of]."""
    return D < days


ORDER = pl.col("amount") >= 0   # a row with a negative amount is a refund, not an order
REFUND_ROW = pl.col("amount") < 0
# Sums of money and durations are taken in whole 1/10,000ths (Int64): integer addition gives
# the same total whatever order the streaming engine meets the rows in, so a snapshot is
# reproducible to the last bit (float sums differed in the 15th digit between runs).
SCALE = 10_000


def units(column: str) -> pl.Expr:
    return (pl.col(column) * SCALE).round(0).cast(pl.Int64)


def _count(cond: pl.Expr) -> pl.Expr:
    return cond.cast(pl.Int64).sum()


# Aggregates are written as "element-wise expression, then one reduction" (when/then, not
# .filter inside the aggregation) so Polars' streaming group_by runs them natively instead of
# falling back to the in-memory engine: 2-3x faster on sessions and marketing logs.


def _where(cond: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.when(cond).then(value)


def _sum(column: str, cond: pl.Expr) -> pl.Expr:
    return _where(cond, pl.col(column)).sum()


def _exact_sum(column: str, cond: pl.Expr) -> pl.Expr:
    """A float column's sum, order-independent (see SCALE)."""
    return _where(cond, units(column)).sum() / SCALE


def _distinct(value: pl.Expr) -> pl.Expr:
    """Distinct non-null values (n_unique counts null as one value)."""
    return value.n_unique() - (value.null_count() > 0).cast(pl.UInt32)


def _ev(channel: str | None, event: str) -> pl.Expr:
    cond = pl.col("event") == event
    return cond if channel is None else cond & (pl.col("channel") == channel)


# table -> aggregate name -> (expression over that table's past rows, source columns it needs)
AGGREGATES: dict[str, dict[str, tuple[pl.Expr, tuple[str, ...]]]] = {
    "orders": {
        "o_30": (_count(ORDER & within(30)), ()),
        "o_90": (_count(ORDER & within(90)), ()),
        "o_prev90": (_count(ORDER & (D >= 90) & (D < 180)), ()),
        "o_365": (_count(ORDER & within(365)), ()),
        "o_all": (_count(ORDER), ()),
        "spend_30": (_exact_sum("amount", within(30)), ()),
        "spend_90": (_exact_sum("amount", within(90)), ()),
        "spend_365": (_exact_sum("amount", within(365)), ()),
        "order_amount_365": (_exact_sum("amount", ORDER & within(365)), ()),
        "items_365": (_sum("items", ORDER & within(365)), ("items",)),
        "discount_365": (_sum("discount", ORDER & within(365)), ("discount",)),
        "refunded_365": (_sum("refunded", ORDER & within(365)), ("refunded",)),
        "refund_rows_365": (_count(REFUND_ROW & within(365)), ()),
        "refund_rows": (_count(REFUND_ROW), ()),
        "categories_365": (_distinct(_where(ORDER & within(365), pl.col("category"))),
                           ("category",)),
        "o_last": (_where(ORDER, D).min(), ()),
        "o_first": (_where(ORDER, D).max(), ()),
        "o_days": (_distinct(_where(ORDER, D)), ()),
    },
    "sessions": {
        "s_30": (_count(within(30)), ()),
        "duration_30": (_exact_sum("duration_s", within(30)), ("duration_s",)),
        "page_views_30": (_sum("page_views", within(30)), ("page_views",)),
        "product_views_30": (_sum("product_views", within(30)), ("product_views",)),
        "searches_30": (_sum("searches", within(30)), ("searches",)),
        "cart_adds_30": (_sum("cart_adds", within(30)), ("cart_adds",)),
        "checkouts_30": (_sum("checkout_starts", within(30)), ("checkout_starts",)),
        "wishlist_30": (_sum("wishlist_adds", within(30)), ("wishlist_adds",)),
        "app_30": (_sum("is_app", within(30)), ("is_app",)),
        "reviews_365": (_sum("reviews_written", within(365)), ("reviews_written",)),
        "tickets_90": (_sum("support_tickets", within(90)), ("support_tickets",)),
        "s_last": (D.min(), ()),
    },
    "marketing": {
        "email_opens_30": (_count(_ev("email", "open") & within(30)), ()),
        "email_clicks_30": (_count(_ev("email", "click") & within(30)), ()),
        "email_click_last": (_where(_ev("email", "click"), D).min(), ()),
        "push_sent_90": (_count(_ev("push", "sent") & within(90)), ()),
        "push_clicks_90": (_count(_ev("push", "click") & within(90)), ()),
        "sms_sent_90": (_count(_ev("sms", "sent") & within(90)), ()),
        "sms_clicks_90": (_count(_ev("sms", "click") & within(90)), ()),
        "redeems_90": (_count(_ev(None, "redeem") & within(90)), ()),
    },
}
# every table also yields "<table>_seen": the age of the customer's first row (for KNOWN)


def a(name: str) -> pl.Expr:
    """An aggregate's column after the join (prefixed so it never meets a feature name)."""
    return pl.col(f"_a_{name}")


def _n(name: str) -> pl.Expr:
    """A count aggregate: 0 for a customer with no rows in the table (the table is present)."""
    return a(name).fill_null(0)


def _share(num: str, den: str) -> pl.Expr:
    return pl.when(_n(den) > 0).then(_n(num) / _n(den)).otherwise(0.0)


@dataclass(frozen=True, eq=False)  # identity: expressions have no truth value
class Feature:
    """One snapshot column: how it is computed and how it is described."""

    name: str
    group: Group
    table: str                      # orders / sessions / marketing / profiles
    window: str                     # '30d', '90d', '365d', 'all history', ...
    formula: str                    # the definition in words and symbols (the sidecar's)
    final: pl.Expr
    needs: tuple[str, ...] = ()     # optional source columns the feature needs
    consent: str | None = None      # profile consent column gating it (marketing)
    meaning_text: str = ""          # for extras; schema features use schema.py's

    @property
    def in_schema(self) -> bool:
        return self.name in BY_NAME

    @property
    def meaning(self) -> str:
        return BY_NAME[self.name].meaning if self.in_schema else self.meaning_text

    @property
    def aggregates(self) -> list[str]:
        """Aggregate names the final expression reads (the same table's)."""
        names = self.final.meta.root_names()
        return [n[3:] for n in names if n.startswith("_a_")]

    def definition(self) -> dict:
        return {"name": self.name, "group": self.group, "table": self.table,
                "window": self.window, "formula": self.formula, "meaning": self.meaning,
                "schema": self.in_schema, "consent": self.consent}


def _f(name, group, table, window, formula, final, needs=(), consent=None, meaning=""):
    return Feature(name, group, table, window, formula, final.alias(name), tuple(needs), consent, meaning)


_DSLP = pl.coalesce(a("o_last"), KNOWN)
_AVG_GAP = pl.when(_n("o_days") >= 2).then(
    (a("o_first") - a("o_last")) / (a("o_days") - 1)).otherwise(None)

FEATURES: tuple[Feature, ...] = (
    # behavioral (sessions)
    _f("sessions_30d", "behavioral", "sessions", "30d", "count of sessions with date in (as_of-30d, as_of]",
       _n("s_30")),
    _f("avg_session_duration", "behavioral", "sessions", "30d", "sum(duration_s) / sessions_30d; 0 without sessions",
       pl.when(_n("s_30") > 0).then(_n("duration_30") / _n("s_30")).otherwise(0.0), ["duration_s"]),
    _f("page_views_30d", "behavioral", "sessions", "30d", "sum(page_views)", _n("page_views_30"), ["page_views"]),
    _f("product_views_30d", "behavioral", "sessions", "30d", "sum(product_views)", _n("product_views_30"),
       ["product_views"]),
    _f("search_count_30d", "behavioral", "sessions", "30d", "sum(searches)", _n("searches_30"), ["searches"]),
    _f("cart_add_rate", "behavioral", "sessions", "30d",
       "sum(cart_adds) / sum(product_views); 0 without product views",
       _share("cart_adds_30", "product_views_30"), ["cart_adds", "product_views"]),
    _f("checkout_starts_30d", "behavioral", "sessions", "30d", "sum(checkout_starts)", _n("checkouts_30"),
       ["checkout_starts"]),
    _f("wishlist_events", "behavioral", "sessions", "30d", "sum(wishlist_adds)", _n("wishlist_30"),
       ["wishlist_adds"]),
    _f("days_since_last_visit", "behavioral", "sessions", "all history",
       "(as_of - date(last session)).days; without any session: days since sign-up (else since the first row)",
       pl.coalesce(a("s_last"), KNOWN)),
    _f("app_session_share", "behavioral", "sessions", "30d", "sessions with is_app / sessions_30d; 0 without sessions",
       _share("app_30", "s_30"), ["is_app"]),
    _f("reviews_written_365d", "behavioral", "sessions", "365d", "sum(reviews_written)", _n("reviews_365"),
       ["reviews_written"]),
    _f("support_tickets_90d", "behavioral", "sessions", "90d", "sum(support_tickets)", _n("tickets_90"),
       ["support_tickets"]),
    # transactional (orders)
    _f("orders_90d", "transactional", "orders", "90d", "count of orders (amount >= 0)", _n("o_90")),
    _f("orders_365d", "transactional", "orders", "365d", "count of orders (amount >= 0)", _n("o_365")),
    _f("total_spend_365d", "transactional", "orders", "365d",
       "sum(amount) over orders and refund rows (negative amounts reduce it)", a("spend_365").fill_null(0.0)),
    _f("avg_order_value", "transactional", "orders", "365d", "sum(order amounts) / orders_365d; 0 without orders",
       _share("order_amount_365", "o_365")),
    _f("avg_items_per_order", "transactional", "orders", "365d",
       "round(sum(items) / orders_365d); 0 without orders",
       _share("items_365", "o_365").round(0), ["items"]),
    _f("distinct_categories_365d", "transactional", "orders", "365d", "number of distinct categories ordered",
       _n("categories_365"), ["category"]),
    _f("days_since_last_purchase", "transactional", "orders", "all history",
       "(as_of - date(last order)).days; never ordered: days since sign-up (else since the first row)", _DSLP),
    _f("days_since_first_purchase", "transactional", "orders", "all history",
       "(as_of - date(first order)).days; 0 without orders", _n("o_first")),
    _f("refund_rate", "transactional", "orders", "365d",
       "orders flagged refunded / orders_365d; 0 without orders", _share("refunded_365", "o_365"), ["refunded"]),
    _f("discount_order_share", "transactional", "orders", "365d",
       "orders with a discount / orders_365d; 0 without orders", _share("discount_365", "o_365"), ["discount"]),
    # marketing (marketing events, gated by the profile's consents)
    _f("email_opens_30d", "marketing", "marketing", "30d", "count of email 'open' events", _n("email_opens_30"),
       consent="email_consent"),
    _f("email_clicks_30d", "marketing", "marketing", "30d", "count of email 'click' events",
       _n("email_clicks_30"), consent="email_consent"),
    _f("days_since_last_email_click", "marketing", "marketing", "365d",
       f"min((as_of - date(last email click)).days, {EMAIL_CLICK_CAP}); {EMAIL_CLICK_CAP} without a click",
       pl.min_horizontal(a("email_click_last"), pl.lit(EMAIL_CLICK_CAP)).fill_null(EMAIL_CLICK_CAP),
       consent="email_consent"),
    _f("push_click_rate", "marketing", "marketing", "90d", "push 'click' / push 'sent'; 0 without pushes sent",
       _share("push_clicks_90", "push_sent_90"), consent="push_enabled"),
    _f("sms_click_rate", "marketing", "marketing", "90d", "sms 'click' / sms 'sent'; 0 without SMS sent",
       _share("sms_clicks_90", "sms_sent_90"), consent="sms_opt_in"),
    _f("coupon_redemptions", "marketing", "marketing", "90d", "count of 'redeem' events (any channel)",
       _n("redeems_90"), consent="offers_opt_in"),
    # profile (the profile table's row for customers signed up at or before as-of)
    _f("country", "profile", "profiles", "as of", "profile column country", pl.col("country"), ["country"]),
    _f("device_type", "profile", "profiles", "as of", "profile column device_type", pl.col("device_type"),
       ["device_type"]),
    _f("acquisition_channel", "profile", "profiles", "as of", "profile column acquisition_channel",
       pl.col("acquisition_channel"), ["acquisition_channel"]),
    _f("loyalty_tier", "profile", "profiles", "as of", "profile column loyalty_tier", pl.col("loyalty_tier"),
       ["loyalty_tier"]),
    _f("newsletter_subscriber", "profile", "profiles", "as of", "profile column newsletter_subscriber",
       pl.col("newsletter_subscriber"), ["newsletter_subscriber"]),
    _f("age", "profile", "profiles", "as of", "profile column age", pl.col("age"), ["age"]),
    _f("account_age_days", "profile", "profiles", "all history", "(as_of - date(signup_at)).days",
       pl.col("_signup_days")),
)

EXTRAS: tuple[Feature, ...] = (
    _f("orders_30d", "transactional", "orders", "30d", "count of orders (amount >= 0)", _n("o_30"),
       meaning="Orders placed in the last 30 days"),
    _f("spend_30d", "transactional", "orders", "30d", "sum(amount), refunds included", a("spend_30").fill_null(0.0),
       meaning="Net spend in the last 30 days"),
    _f("spend_90d", "transactional", "orders", "90d", "sum(amount), refunds included", a("spend_90").fill_null(0.0),
       meaning="Net spend in the last 90 days"),
    _f("orders_total", "transactional", "orders", "all history", "count of orders up to as-of", _n("o_all"),
       meaning="Orders placed up to the snapshot date (lifetime frequency)"),
    _f("orders_trend", "transactional", "orders", "90d vs the 90d before",
       "(orders in (as_of-90d, as_of] - orders in (as_of-180d, as_of-90d]) / (their sum); 0 when both are 0",
       pl.when(_n("o_90") + _n("o_prev90") > 0)
       .then((_n("o_90") - _n("o_prev90")) / (_n("o_90") + _n("o_prev90"))).otherwise(0.0),
       meaning="Order trend from -1 (all in the 90 days before) to +1 (all in the last 90 days)"),
    _f("avg_gap_days", "transactional", "orders", "all history",
       "(days_since_first_purchase - days_since_last_purchase) / (distinct order days - 1); null with < 2 order days",
       _AVG_GAP, meaning="The customer's usual gap between purchase days (mean, in days)"),
    _f("gap_ratio", "transactional", "orders", "all history",
       "days_since_last_purchase / avg_gap_days; null with < 2 order days",
       _DSLP / _AVG_GAP, meaning="Days since the last order relative to the usual gap (> 1: overdue)"),
)

# refund_rate for orders tables without a refund flag but with refund rows (negative amounts)
REFUND_RATE_FROM_ROWS = _f(
    "refund_rate", "transactional", "orders", "365d",
    "min(1, refund rows (amount < 0) / orders_365d); 0 without orders (no refund flag column)",
    pl.min_horizontal(_share("refund_rows_365", "o_365"), pl.lit(1.0)))

ALL: tuple[Feature, ...] = FEATURES + EXTRAS
BY_FEATURE: dict[str, Feature] = {f.name: f for f in ALL}
PROFILE_COLUMNS = ("country", "device_type", "acquisition_channel", "loyalty_tier",
                   "newsletter_subscriber", "age")
GROUP_TABLE = {"behavioral": "sessions", "transactional": "orders", "marketing": "marketing",
               "profile": "profiles"}
