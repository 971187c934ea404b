"""Campaign suggestions for a segment, from its profile, by simple documented heuristics.

Distillation writes the suggestion into each segment's ``campaign`` field of the ruleset, where
analysts can change it; the report and the TUI show whatever the ruleset says.
"""

from __future__ import annotations

from typing import Any

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


# ---------------------------------------------------------------------------------------
# Movement: the campaign a flow between two segments suggests
# ---------------------------------------------------------------------------------------
STAGES = ("lapsed", "new", "value", "discount", "browsing", "low")
"""Lifecycle stages a segment can be read as (:func:`segment_stage`); None: none of them."""

# a distilled ruleset's campaign is one of CAMPAIGNS' texts: its key says the stage exactly
_STAGE_OF_CAMPAIGN = {"win_back": "lapsed", "onboarding": "new", "loyalty": "value",
                      "discount": "discount", "conversion": "browsing", "suppress": "low"}
# words in a segment's id, name, campaign or description, checked in STAGES order
_STAGE_WORDS: dict[str, str] = {
    "lapsed": r"laps\w*|at[ _-]risk|hibernat\w*|dormant|inactive|lost|churn\w*|sleep\w*"
              r"|win[ _-]?back|reactivat\w*|can'?t[ _-]lose|cant[ _-]lose|about[ _-]to[ _-]sleep",
    "new": r"new|newcomers?|first[ _-]time|onboarding|second[ _-](?:order|purchase)",
    "value": r"champions?|loyal|loyalty|vip|high[ _-](?:value|spend\w*)|big[ _-]spenders?"
             r"|frequent|best|top|premium|whales?",
    "discount": r"bargain\w*|discount\w*|coupons?|deals?|price[ _-]led",
    "browsing": r"window\w*|brows\w*|conversion|wishlist\w*|cart",
    "low": r"low[ _-]priority|suppress\w*",
}


def segment_stage(segment_id: str, name: str, campaign: str | None = None,
                  description: str = "") -> str | None:
    """The lifecycle stage a segment stands for (one of :data:`STAGES`), or None.

    Why words: a ruleset holds no profile, only what people (or distillation) wrote. The
    evidence, first found wins: a campaign that is exactly one of :data:`CAMPAIGNS` (what
    distillation writes: its key is the stage), then the words of the id and name, then the
    words of the campaign and the description, each checked in :data:`STAGES` order
    (``lapsed`` first, so "Can't lose them" is a lapsed segment even though it was valuable).
    """
    import re

    for key, text in CAMPAIGNS.items():
        if campaign and campaign.strip() == text and key in _STAGE_OF_CAMPAIGN:
            return _STAGE_OF_CAMPAIGN[key]
    for words in (f"{segment_id} {name}", f"{campaign or ''} {description}"):
        text = words.lower().replace("_", " ")
        for stage in STAGES:
            if re.search(rf"\b(?:{_STAGE_WORDS[stage]})\b", text):
                return stage
    return None


FLOW_CAMPAIGNS: dict[str, tuple[str, str]] = {
    # kind -> (title, what to do)
    "win_back": ("Win-back", "reach them while the lapse is recent: one reactivation offer with "
                 "a deadline, measured against a hold-out group."),
    "welcome_back": ("Welcome back", "they came back: a thank-you and a second-order nudge so "
                     "the return sticks; no discount needed."),
    "loyalty": ("Loyalty / VIP", "high-value customers now: VIP treatment (early access, "
                "cross-sell, referral asks) rather than a discount."),
    "onboarding": ("Onboarding", "a second-purchase journey (welcome series, category "
                   "discovery) while they are new."),
    "retention": ("Retention", "they slipped from a high-value segment: a personal check-in "
                  "and loyalty perks before they lapse."),
    "price_led": ("Price-led", "targeted coupons for the members with high propensity only; "
                  "they now buy on discount."),
    "conversion": ("Conversion nudges", "cart, wishlist and browse-abandonment reminders while "
                   "the interest is fresh."),
    "low_priority": ("Low priority", "few buy: keep to low-cost channels."),
    "nurture": ("Nurture", "regular content; target them when their propensity rises."),
}


def flow_campaign(source_stage: str | None, target_stage: str | None) -> tuple[str, str]:
    """(kind, why) of the campaign a flow from a segment of ``source_stage`` to one of
    ``target_stage`` suggests; the kind is a key of :data:`FLOW_CAMPAIGNS`.

    Movement says what to do before a profile does: first match wins -- into a lapsed or
    at-risk segment: win-back; out of one: welcome back; up into a high-value segment:
    loyalty/VIP; down out of a high-value segment: retention; from or into a new-customer
    segment: onboarding (the second purchase); into a discount, browsing or low-priority
    segment: that segment's own approach; otherwise nurture.
    """
    if target_stage == "lapsed":
        return "win_back", ("moved between lapsed / at-risk segments" if source_stage == "lapsed"
                            else "moved into a lapsed / at-risk segment")
    if source_stage == "lapsed":
        return "welcome_back", "came back from a lapsed / at-risk segment"
    if target_stage == "value":
        return "loyalty", ("moved between high-value segments" if source_stage == "value"
                           else "moved up into a high-value segment")
    if source_stage == "value":
        return "retention", "slipped out of a high-value segment"
    if source_stage == "new" or target_stage == "new":
        return "onboarding", ("left the new-customer segment" if source_stage == "new"
                              else "moved into the new-customer segment")
    if target_stage == "discount":
        return "price_led", "moved into a discount-driven segment"
    if target_stage == "browsing":
        return "conversion", "moved into a browsing-but-not-buying segment"
    if target_stage == "low":
        return "low_priority", "moved into a low-priority segment"
    return "nurture", "no lifecycle stage recognised in either segment"


def flow_campaign_json(source_stage: str | None, target_stage: str | None) -> dict[str, str]:
    """The campaign of one flow as flow.json holds it: kind, title, text and why."""
    kind, why = flow_campaign(source_stage, target_stage)
    title, text = FLOW_CAMPAIGNS[kind]
    return {"kind": kind, "title": title, "text": f"{title}: {text}", "why": why}


def ruleset_stages(ruleset: Any) -> dict[str, str | None]:
    """Segment id -> :func:`segment_stage` for every segment of a ruleset, default included."""
    return {s.id: segment_stage(s.id, s.name, s.campaign, s.description)
            for s in [*ruleset.segments, ruleset.default]}


def flow_campaigns(flow: Any, ruleset: Any, n: int | None = None) -> dict[tuple[str, str], dict[str, str]]:
    """(from, to) -> :func:`flow_campaign_json` for the ``n`` biggest moves of a
    :class:`toolkit.ruleset.flow.Flow` (every move when None), stages read from ``ruleset``."""
    stages = ruleset_stages(ruleset)
    moves = flow.moves if n is None else flow.biggest(n)
    return {(m.source, m.target): flow_campaign_json(stages.get(m.source), stages.get(m.target))
            for m in moves}
