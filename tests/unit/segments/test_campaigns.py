"""Campaign suggestions follow each segment's own profile (the demo's numbers)."""

from __future__ import annotations

from toolkit.segments.campaigns import CAMPAIGNS, suggest_campaign

BASE = 0.28


def _profile(rate: float, *diffs: tuple[str, float]) -> dict:
    return {"purchase_rate": rate, "differences": [{"feature": f, "smd": s} for f, s in diffs]}


# the demo's default segment "High-spending app-first buyers" (segments.json, seed 42)
HIGH_SPENDING = _profile(0.301, ("app_session_share", 1.40), ("total_spend_365d", 1.06),
                         ("avg_order_value", 1.04), ("cart_add_rate", 1.01),
                         ("distinct_categories_365d", 0.98), ("wishlist_events", -0.93))
WINDOW_SHOPPERS = _profile(0.061, ("wishlist_events", 2.99), ("product_views_30d", 1.77),
                           ("search_count_30d", 1.68), ("page_views_30d", 1.58),
                           ("orders_90d", -1.48), ("days_since_last_purchase", 1.43))


def test_high_spending_buyers_get_loyalty_not_the_window_shoppers_campaign():
    text, why = suggest_campaign(HIGH_SPENDING, BASE)
    assert text == CAMPAIGNS["loyalty"], why
    assert text != suggest_campaign(WINDOW_SHOPPERS, BASE)[0]
    assert suggest_campaign(WINDOW_SHOPPERS, BASE)[0] == CAMPAIGNS["conversion"]


def test_browsing_means_conversion_only_when_interest_does_not_turn_into_purchases():
    browsing = (("cart_add_rate", 1.2), ("product_views_30d", 0.9))
    assert suggest_campaign(_profile(0.10, *browsing), BASE)[0] == CAMPAIGNS["conversion"]
    assert suggest_campaign(_profile(0.10, *browsing), None)[0] == CAMPAIGNS["conversion"]
    # browsing and buying at twice the average rate: a loyalty group, not a nudge target
    assert suggest_campaign(_profile(0.56, *browsing), BASE)[0] == CAMPAIGNS["loyalty"]
    # browsing and buying about as often as everyone: nurture
    assert suggest_campaign(_profile(0.29, *browsing), BASE)[0] == CAMPAIGNS["nurture"]
