"""Campaign suggestions for a segment, from its profile, by simple documented heuristics.

Distillation writes the suggestion into each segment's ``campaign`` field of the ruleset, where
analysts can change it; the report and the TUI show whatever the ruleset says.
"""

from __future__ import annotations

from toolkit.fmt import pct

SIGNALS: dict[str, tuple[tuple[str, int], ...]] = {
    # signal -> (feature, direction) pairs; a profile difference with |SMD| >= 0.5 in that
    # direction among the segment's strongest differences raises the signal
    "lapsed": (("days_since_last_purchase", 1), ("days_since_last_visit", 1), ("sessions_30d", -1)),
    "new": (("account_age_days", -1), ("days_since_first_purchase", -1)),
    "discount": (("discount_order_share", 1), ("coupon_redemptions", 1)),
    "value": (("total_spend_365d", 1), ("orders_365d", 1), ("orders_90d", 1), ("avg_order_value", 1)),
    "browsing": (("product_views_30d", 1), ("wishlist_events", 1), ("cart_add_rate", 1),
                 ("page_views_30d", 1), ("checkout_starts_30d", 1)),
}
SIGNAL_SMD = 0.5

CAMPAIGNS = {
    "win_back": "Win-back: one reactivation offer with a deadline, then suppress non-responders; "
                "measure against a hold-out group because most will not return.",
    "onboarding": "Onboarding: a second-purchase journey (welcome series, category discovery) "
                  "during the first 90 days.",
    "discount": "Price-led: targeted coupons only for the members with high propensity; avoid "
                "blanket discounts, this group already buys on discount.",
    "loyalty": "Loyalty: early access, cross-sell into new categories, referral asks; no discount "
               "needed for a group that buys anyway.",
    "conversion": "Conversion nudges: cart, wishlist and browse-abandonment reminders while "
                  "interest is fresh.",
    "nurture": "Nurture: regular content; move members into a targeted campaign when their "
               "propensity rises.",
    "suppress": "Low priority: few buy; keep to low-cost channels and use the budget elsewhere.",
}


def profile_signals(profile: dict) -> set[str]:
    """The SIGNALS a profile shows among its listed differences (|SMD| >= 0.5, right sign)."""
    found = set()
    for d in profile.get("differences") or []:
        smd = d.get("smd")
        if smd is None or abs(smd) < SIGNAL_SMD:
            continue
        for signal, pairs in SIGNALS.items():
            if any(d.get("feature") == f and smd * sign > 0 for f, sign in pairs):
                found.add(signal)
    return found


def suggest_campaign(profile: dict, base_rate: float | None) -> tuple[str, str]:
    """(campaign text, why) for a segment profile, by simple documented heuristics.

    ``ratio`` is the segment's purchase rate over ``base_rate``. First match wins:
    lapsed (not browsing) and ratio < 0.5 -> win-back; new -> onboarding; discount ->
    price-led; value and ratio >= 1 -> loyalty; browsing without value and ratio < 1 (or
    unknown) -> conversion nudges; lapsed and ratio < 0.5 -> win-back; ratio >= 1.5 ->
    loyalty; ratio < 0.5 -> low priority; otherwise nurture. Signals come from
    :func:`profile_signals`.

    Each campaign needs its own evidence: conversion nudges are for interest that does not
    turn into purchases (window shoppers), so a high-spending group that buys at least as
    often as everyone, and adds to its cart often because it buys, is a loyalty group, not
    a conversion one (the demo's default segment got the window shoppers' campaign).
    """
    signals = profile_signals(profile)
    rate = profile.get("purchase_rate")
    ratio = rate / base_rate if rate is not None and base_rate else None
    why_rate = (f"purchase rate {pct(rate)} vs {pct(base_rate)} overall" if ratio is not None
                else "no purchase rate")
    sig = ", ".join(sorted(signals)) or "none"
    why = f"heuristic: signals {sig}; {why_rate}"
    low = ratio is not None and ratio < 0.5
    if "lapsed" in signals and "browsing" not in signals and low:
        return CAMPAIGNS["win_back"], why
    if "new" in signals:
        return CAMPAIGNS["onboarding"], why
    if "discount" in signals:
        return CAMPAIGNS["discount"], why
    if "value" in signals and ratio is not None and ratio >= 1.0:
        return CAMPAIGNS["loyalty"], why
    if "browsing" in signals and "value" not in signals and (ratio is None or ratio < 1.0):
        return CAMPAIGNS["conversion"], why
    if "lapsed" in signals and low:
        return CAMPAIGNS["win_back"], why
    if ratio is not None and ratio >= 1.5:
        return CAMPAIGNS["loyalty"], why
    if low:
        return CAMPAIGNS["suppress"], why
    return CAMPAIGNS["nurture"], why
