"""The customer table's schema: one place that describes every column.

Docs, validation, the generator, segmentation defaults and the TUI all read this module,
so a column is added or renamed here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Group = Literal["behavioral", "transactional", "marketing", "profile"]
Kind = Literal["count", "rate", "money", "days", "seconds", "years", "category", "flag"]

GROUPS: tuple[Group, ...] = ("behavioral", "transactional", "marketing", "profile")


@dataclass(frozen=True)
class Column:
    """One feature of the customer table."""

    name: str
    group: Group
    kind: Kind
    unit: str
    meaning: str
    categories: tuple[str, ...] = ()

    @property
    def is_categorical(self) -> bool:
        return self.kind in ("category", "flag")

    @property
    def is_count(self) -> bool:
        """Whole numbers >= 0: thresholds on them are rounded to integers."""
        return self.kind in ("count", "days")


ID_COLUMN = "customer_id"
TARGET_COLUMN = "purchased_next_30d"

COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "SE", "CA")
DEVICES = ("mobile", "desktop", "tablet")
CHANNELS = ("organic", "paid_search", "social", "referral", "email", "affiliate")
LOYALTY_TIERS = ("none", "bronze", "silver", "gold", "platinum")

COLUMNS: tuple[Column, ...] = (
    # behavioral (12)
    Column("sessions_30d", "behavioral", "count", "sessions", "Site and app sessions in the last 30 days"),
    Column("avg_session_duration", "behavioral", "seconds", "s", "Mean session length over the last 30 days (0 without sessions)"),
    Column("page_views_30d", "behavioral", "count", "pages", "Pages viewed in the last 30 days"),
    Column("product_views_30d", "behavioral", "count", "views", "Product detail pages viewed in the last 30 days"),
    Column("search_count_30d", "behavioral", "count", "searches", "Site searches in the last 30 days"),
    Column("cart_add_rate", "behavioral", "rate", "share", "Share of product views that ended in an add-to-cart (30 days; 0 without product views)"),
    Column("checkout_starts_30d", "behavioral", "count", "checkouts", "Checkouts started in the last 30 days"),
    Column("wishlist_events", "behavioral", "count", "events", "Items added to a wishlist in the last 30 days"),
    Column("days_since_last_visit", "behavioral", "days", "days", "Days since the last session (up to the snapshot date)"),
    Column("app_session_share", "behavioral", "rate", "share", "Share of sessions in the mobile app (30 days; 0 without sessions or without the app)"),
    Column("reviews_written_365d", "behavioral", "count", "reviews", "Product reviews written in the last 365 days"),
    Column("support_tickets_90d", "behavioral", "count", "tickets", "Support tickets opened in the last 90 days"),
    # transactional (10)
    Column("orders_90d", "transactional", "count", "orders", "Orders placed in the last 90 days"),
    Column("orders_365d", "transactional", "count", "orders", "Orders placed in the last 365 days"),
    Column("total_spend_365d", "transactional", "money", "USD", "Net spend in the last 365 days"),
    Column("avg_order_value", "transactional", "money", "USD", "Mean order value over the last 365 days (0 without orders)"),
    Column("avg_items_per_order", "transactional", "count", "items", "Mean items per order over the last 365 days, rounded to a whole number (0 without orders)"),
    Column("distinct_categories_365d", "transactional", "count", "categories", "Distinct product categories bought in the last 365 days"),
    Column("days_since_last_purchase", "transactional", "days", "days", "Days since the last order (for buyers: <= 90 exactly when orders_90d > 0, <= 365 exactly "
           "when orders_365d > 0); days since sign-up (= account_age_days) for customers who never ordered"),
    Column("days_since_first_purchase", "transactional", "days", "days", "Days since the first order, between days_since_last_purchase and account_age_days "
           "(0 for customers who never ordered)"),
    Column("refund_rate", "transactional", "rate", "share", "Share of the last 365 days' orders refunded"),
    Column("discount_order_share", "transactional", "rate", "share", "Share of the last 365 days' orders that used a discount"),
    # marketing (6): missing where the customer gave no consent for the channel
    Column("email_opens_30d", "marketing", "count", "opens", "Marketing emails opened in the last 30 days (missing without email consent)"),
    Column("email_clicks_30d", "marketing", "count", "clicks", "Marketing email clicks in the last 30 days, <= opens (missing without email consent)"),
    Column("days_since_last_email_click", "marketing", "days", "days", "Days since the last marketing email click (365: none in a year, or never; missing without email consent)"),
    Column("push_click_rate", "marketing", "rate", "share", "Share of push notifications clicked (90 days; missing without the app or with push disabled)"),
    Column("sms_click_rate", "marketing", "rate", "share", "Share of SMS messages clicked (90 days; missing without SMS opt-in)"),
    Column("coupon_redemptions", "marketing", "count", "coupons", "Coupons redeemed in the last 90 days, <= orders_90d (missing when opted out of offers)"),
    # profile (7)
    Column("country", "profile", "category", "", "Billing country (ISO 3166 alpha-2)", COUNTRIES),
    Column("device_type", "profile", "category", "", "Most used device type", DEVICES),
    Column("acquisition_channel", "profile", "category", "", "Channel the customer signed up through", CHANNELS),
    Column("loyalty_tier", "profile", "category", "", "Loyalty programme tier", LOYALTY_TIERS),
    Column("newsletter_subscriber", "profile", "flag", "", "Subscribed to the newsletter"),
    Column("age", "profile", "years", "years", "Age in years, as declared by the customer"),
    Column("account_age_days", "profile", "days", "days", "Days since sign-up"),
)

FEATURES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}


def columns_in(group: Group) -> list[str]:
    """Names of the features in one group, in schema order."""
    return [c.name for c in COLUMNS if c.group == group]


def describe(name: str) -> Column | None:
    """The schema entry for a column, or None for a column the schema does not know."""
    return BY_NAME.get(name)
