"""Segment names that tell segments apart, in the table's own terms.

A name is built from a segment's profile (:mod:`toolkit.segments.profiles`: standardised mean
differences against the other customers):

1. Words for the strongest differences. Columns the sample's schema knows go through a small
   vocabulary ("days_since_last_purchase low" -> "recent", "discount_order_share high" ->
   "bargain hunters"). Any other column speaks in its own name turned into words
   (``visits_4w`` high -> "high 4-week visits", ``basket_value_avg`` low -> "low avg basket
   value"); a column whose name says recency or tenure (``days_since_last_order``) gets the
   vocabulary's word. Each facet (recency, frequency, value, engagement, ...) gives at most one
   word, so ``n_orders`` and ``orders_90d`` never both appear.
2. Names that still collide are told apart by contrast *against each other*: each colliding
   segment adds the feature on which it differs most from the others in its group ("Lapsed
   occasional customers, high total spend" / "..., low total spend"), round after round until
   all names differ; then, as a last resort, a qualifier from size ("larger") or purchase rate
   ("higher-buying"). A number suffix ("... 2") is never used: it says nothing about the
   segment.

Everything is deterministic given the profiles (ties broken by column name and segment id),
so reruns on the same data give the same names. They are a starting point: analysts rename
segments in the YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

from toolkit import schema

if TYPE_CHECKING:  # profiles imports this module; only the types are needed here
    from toolkit.segments.profiles import FeatureDifference, SegmentProfile

# Facets in name order; each gives at most one adjective. Entry: (column, direction) ->
# [(min |SMD|, word), ...] strongest first. Secondary facets count for less when ranking.
FACETS: tuple[tuple[str, float, dict[tuple[str, int], list[tuple[float, str]]]], ...] = (
    ("tenure", 1.0, {("account_age_days", -1): [(0.35, "new")]}),
    ("recency", 1.0, {("days_since_last_purchase", -1): [(0.35, "recent")],
                      ("days_since_last_purchase", +1): [(0.35, "lapsed")]}),
    ("frequency", 1.0, {("orders_365d", +1): [(1.5, "frequent"), (0.35, "regular")],
                        ("orders_90d", +1): [(1.5, "frequent"), (0.35, "regular")],
                        ("orders_365d", -1): [(0.35, "occasional")],
                        ("orders_90d", -1): [(0.35, "occasional")]}),
    ("value", 1.0, {("total_spend_365d", +1): [(0.35, "high-spending")],
                    ("total_spend_365d", -1): [(0.35, "low-spending")],
                    ("avg_order_value", +1): [(0.35, "big-basket")],
                    ("avg_order_value", -1): [(0.35, "small-basket")]}),
    ("engagement", 1.0, {("sessions_30d", +1): [(0.35, "active")],
                         ("product_views_30d", +1): [(0.35, "active")],
                         ("page_views_30d", +1): [(0.35, "active")],
                         ("sessions_30d", -1): [(0.35, "inactive")],
                         ("page_views_30d", -1): [(0.35, "inactive")],
                         ("avg_session_duration", -1): [(0.35, "inactive")],
                         ("days_since_last_visit", +1): [(0.35, "inactive")]}),
    ("channel", 0.6, {("email_opens_30d", +1): [(0.35, "email-engaged")],
                      ("email_clicks_30d", +1): [(0.35, "email-engaged")],
                      ("push_click_rate", +1): [(0.35, "push-responsive")],
                      ("app_session_share", +1): [(0.35, "app-first")]}),
    ("service", 0.6, {("reviews_written_365d", +1): [(0.35, "reviewing")],
                      ("support_tickets_90d", +1): [(0.35, "support-heavy")],
                      ("refund_rate", +1): [(0.35, "refund-prone")]}),
)
# (column, direction) -> noun; a noun needs |SMD| >= MIN_SMD_FOR_NOUN.
NOUNS: dict[tuple[str, int], str] = {
    ("coupon_redemptions", +1): "bargain hunters",
    ("discount_order_share", +1): "bargain hunters",
    ("wishlist_events", +1): "window shoppers",
}
MIN_SMD_FOR_NOUN = 1.0
MIN_SMD_FOR_WORD = 0.35
_FACET_INDEX = {name: i for i, (name, _, _) in enumerate(FACETS)}
# Columns outside the schema: which facet their name speaks for (so one word per facet), and
# for recency/tenure the vocabulary's word, since "high days since last order" reads badly.
_FACET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("tenure", re.compile(r"days_since_first|tenure|account_age|first_(order|purchase)")),
    ("recency", re.compile(r"days_since_last_(order|purchase|buy)|recency|last_(order|purchase)_days")),
    ("engagement", re.compile(r"visit|session|page_?view|app_open|search|click|login")),
    ("value", re.compile(r"spend|revenue|monetary|sales|order_value|basket|aov|amount")),
    ("frequency", re.compile(r"orders?\b|orders?_|purchases|frequency|transactions")),
)
_PATTERN_WORDS = {("tenure", -1): "new", ("recency", -1): "recent", ("recency", +1): "lapsed"}
_WINDOW = re.compile(r"^(\d+)([dwmy])$")
_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}
_LEADING_COUNT = {"n", "num", "nb", "cnt"}
_STATS = {"avg", "mean", "median", "total", "sum", "max", "min"}
_NOUN_BUYERS, _NOUN_CUSTOMERS = "buyers", "customers"


def humanize(column: str) -> str:
    """A column name as words: ``visits_4w`` -> "4-week visits", ``basket_value_avg`` ->
    "avg basket value", ``n_orders`` -> "orders"."""
    tokens = [t for t in re.split(r"[_\s]+", column.strip().lower()) if t]
    window, words = None, []
    for t in tokens:
        m = _WINDOW.match(t)
        if m and window is None:
            window = f"{m.group(1)}-{_UNITS[m.group(2)]}"
        else:
            words.append(t)
    if len(words) > 1 and words[0] in _LEADING_COUNT:
        words = words[1:]
    if len(words) > 1 and words[-1] in _STATS:
        words = [words[-1]] + words[:-1]
    text = " ".join(([window] if window else []) + words)
    return text or column


def _sign(x: float) -> int:
    return 1 if x > 0 else -1


def _vocab(column: str) -> tuple[int | None, dict[int, list[tuple[float, str]]]]:
    """(facet index, direction -> levels) for ``column``: the vocabulary for schema columns,
    the name patterns for any other column (facet only, or the recency/tenure word)."""
    levels: dict[int, list[tuple[float, str]]] = {}
    facet = None
    for i, (_, _, entries) in enumerate(FACETS):
        for (col, direction), lv in entries.items():
            if col == column:
                facet, levels[direction] = i, lv
    if facet is not None or schema.describe(column) is not None:
        return facet, levels
    name = column.lower()
    for fname, pattern in _FACET_PATTERNS:
        if pattern.search(name):
            idx = _FACET_INDEX[fname]
            for direction in (-1, 1):
                word = _PATTERN_WORDS.get((fname, direction))
                if word:
                    levels[direction] = [(MIN_SMD_FOR_WORD, word)]
            return idx, levels
    return None, levels


@dataclass(frozen=True)
class _Word:
    text: str
    column: str | None
    facet: int | None          # facet index, None for a column no facet speaks for
    adjective: bool            # before the noun (vocabulary) or after a comma (column words)
    strength: float = 0.0


def _word_for(d_column: str, smd: float, boost: bool, contrast: int | None = None,
              schema_phrases: bool = False) -> _Word | None:
    """The word for a column moving ``smd`` (vs the rest); with ``contrast`` the direction
    that sets it apart inside a colliding group, which may be only "higher"/"lower"."""
    direction = contrast if contrast is not None else _sign(smd)
    agrees = _sign(smd) == direction and abs(smd) >= MIN_SMD_FOR_WORD
    facet, levels = _vocab(d_column)
    weight = FACETS[facet][1] if facet is not None else 1.0
    strength = abs(smd) * weight * (1.5 if boost else 1.0)
    if agrees and direction in levels:
        word = next((w for cut, w in levels[direction] if abs(smd) >= cut), None)
        if word is not None:
            return _Word(word, d_column, facet, True, strength)
    if contrast is None and not agrees:
        return None
    if contrast is None and not schema_phrases and schema.describe(d_column) is not None:
        return None  # the sample's columns speak through the vocabulary first (names as before)
    if agrees:
        adj = "high" if direction > 0 else "low"
    else:
        adj = "higher" if direction > 0 else "lower"
    return _Word(f"{adj} {humanize(d_column)}", d_column, facet, False, strength)


@dataclass
class _Name:
    noun: str
    words: list[_Word] = field(default_factory=list)
    prefix: list[str] = field(default_factory=list)   # last-resort qualifiers ("larger")

    def columns(self) -> set[str]:
        said = {col for (col, _), noun in NOUNS.items() if noun == self.noun}
        return said | {w.column for w in self.words if w.column}

    def facets(self) -> set[int]:
        return {w.facet for w in self.words if w.facet is not None}

    def key(self) -> tuple:
        """What the name says, whatever the word order: names with equal keys collide."""
        return (self.noun, tuple(sorted(self.prefix)), tuple(sorted(w.text for w in self.words)))

    def render(self) -> str:
        adjectives = [w.text for w in sorted((w for w in self.words if w.adjective),
                                             key=lambda w: (w.facet if w.facet is not None else 99))]
        phrases = [w.text for w in self.words if not w.adjective]
        generic_noun = self.noun in (_NOUN_BUYERS, _NOUN_CUSTOMERS)
        if adjectives or not generic_noun:
            parts = [" ".join(adjectives + [self.noun])] + phrases   # "Lapsed customers, high total spend"
        elif phrases:
            parts = phrases                                          # "High 4-week visits"
        else:
            parts = [f"typical {self.noun}"]
        text = " ".join(self.prefix + [", ".join(parts)])
        return text[:1].upper() + text[1:]


def _base(profile: "SegmentProfile", rule_columns: Sequence[str]) -> _Name:
    diffs = list(profile.differences)
    boost = set(rule_columns)
    noun = None
    for d in sorted(diffs, key=lambda d: (-abs(d.smd), d.feature)):
        word = NOUNS.get((d.feature, _sign(d.smd)))
        if word and abs(d.smd) >= MIN_SMD_FOR_NOUN:
            noun = word
            break
    if noun is None:
        orders = next((d for d in diffs if d.feature == "orders_365d"), None)
        noun = _NOUN_BUYERS if orders is not None and (orders.median or 0) >= 1 else _NOUN_CUSTOMERS

    def ranked_words(schema_phrases: bool) -> list[_Word]:
        best: dict[object, _Word] = {}   # one word per facet (or per column without facet)
        for d in diffs:
            w = _word_for(d.feature, d.smd, d.feature in boost, schema_phrases=schema_phrases)
            if w is None:
                continue
            key = ("facet", w.facet) if w.facet is not None else ("column", w.column)
            cur = best.get(key)
            if cur is None or (w.strength, w.column or "") > (cur.strength, cur.column or ""):
                best[key] = w
        return sorted(best.values(), key=lambda w: (-w.strength, w.column or ""))

    ranked = ranked_words(False)
    if not ranked and noun in (_NOUN_BUYERS, _NOUN_CUSTOMERS):
        # nothing the vocabulary knows: the sample's columns in their own words too
        # ("High 30-day email opens") rather than "Typical customers"
        ranked = ranked_words(True)
    n_words = 1 if noun in NOUNS.values() else 2
    chosen: list[_Word] = []
    for w in ranked:  # at most one column phrase: "Lapsed customers, high total spend"
        if len(chosen) == n_words:
            break
        if w.adjective or not any(not c.adjective for c in chosen):
            chosen.append(w)
    return _Name(noun, chosen)


def suggest_name(profile: "SegmentProfile", rule_columns: Sequence[str] = ()) -> str:
    """A short descriptive name for one segment on its own ("Recent frequent buyers",
    "High 4-week visits"); :func:`name_segments` makes a set of them unique.

    Up to two words from the strongest differences (one with a noun) and a noun: "bargain
    hunters" or "window shoppers" for strong discount or wishlist differences, else "buyers"
    (median orders_365d >= 1) or "customers"; columns the segment's rule uses count 1.5 times.
    """
    return _base(profile, rule_columns).render()


def _smd_map(profile: "SegmentProfile") -> dict[str, float]:
    return {d.feature: d.smd for d in profile.differences}


def _contrast_word(me: "SegmentProfile", others: Sequence["SegmentProfile"], name: _Name,
                   boost: set[str]) -> _Word | None:
    """The feature on which ``me`` differs most from the ``others`` it collides with, not yet
    said in its name (nor another column of a facet already named)."""
    mine = _smd_map(me)
    theirs = [_smd_map(o) for o in others]
    used_cols, used_facets = name.columns(), name.facets()
    candidates = sorted(set(mine).union(*theirs))
    best: tuple[float, str] | None = None
    for f in candidates:
        if f in used_cols:
            continue
        facet, _ = _vocab(f)
        if facet is not None and facet in used_facets:
            continue
        c = mine.get(f, 0.0) - sum(t.get(f, 0.0) for t in theirs) / len(theirs)
        if abs(c) < 0.05:
            continue
        if best is None or abs(c) > best[0]:
            best = (abs(c), f)
    if best is None:
        return None
    f = best[1]
    c = mine.get(f, 0.0) - sum(t.get(f, 0.0) for t in theirs) / len(theirs)
    return _word_for(f, mine.get(f, 0.0), f in boost, contrast=_sign(c))


def _last_resort(me: "SegmentProfile", others: Sequence["SegmentProfile"], name: _Name) -> bool:
    """Add "larger"/"smaller", then "higher-buying"/"lower-buying"; False when neither tells
    ``me`` apart (identical profiles)."""
    mean_size = sum(o.size for o in others) / len(others)
    if not any(p in name.prefix for p in ("larger", "smaller")) and me.size != mean_size:
        name.prefix.insert(0, "larger" if me.size > mean_size else "smaller")
        return True
    rate = me.purchase_rate if me.purchase_rate is not None else me.mean_probability
    rates = [o.purchase_rate if o.purchase_rate is not None else o.mean_probability for o in others]
    if rate is not None and all(r is not None for r in rates) and \
            not any(p.endswith("-buying") for p in name.prefix):
        mean_rate = sum(rates) / len(rates)  # type: ignore[arg-type]
        if round(rate, 4) != round(mean_rate, 4):
            name.prefix.append("higher-buying" if rate > mean_rate else "lower-buying")
            return True
    return False


def name_segments(profiles: Sequence["SegmentProfile"],
                  rule_columns: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """segment id -> unique name: each segment's own name (:func:`suggest_name`), and names
    that collide told apart by contrast against each other (see the module docstring)."""
    rule_columns = rule_columns or {}
    ordered = sorted(profiles, key=lambda p: (-p.size, p.id))
    by_id = {p.id: p for p in ordered}
    names = {p.id: _base(p, rule_columns.get(p.id, ())) for p in ordered}
    for _ in range(64):
        groups: dict[tuple, list[str]] = {}
        for pid in by_id:
            groups.setdefault((names[pid].render().lower(),), []).append(pid)
        for pid in by_id:  # the same words in another order say the same thing
            k = names[pid].key()
            same = [o for o in by_id if names[o].key() == k]
            if len(same) > 1:
                groups[("key",) + k] = same
        colliding, seen = [], set()
        for _, g in sorted(groups.items(), key=lambda kv: repr(kv[0])):
            if len(g) > 1 and not seen.intersection(g):
                colliding.append(g)
                seen.update(g)
        if not colliding:
            break
        for group in colliding:
            for pid in group:
                me = by_id[pid]
                others = [by_id[o] for o in group if o != pid]
                word = _contrast_word(me, others, names[pid], set(rule_columns.get(pid, ())))
                if word is not None:
                    names[pid].words.append(word)
                elif not _last_resort(me, others, names[pid]):
                    # identical profiles and sizes: a letter in the group's order, never a number
                    letter = chr(ord("A") + group.index(pid) % 26)
                    names[pid].words.append(_Word(f"variant {letter}", None, None, False))
    return {p.id: names[p.id].render() for p in profiles}
