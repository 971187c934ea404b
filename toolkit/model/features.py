"""Feature engineering as declarative Polars expressions.

Only a few derived ratios are added: the EBM bins every raw feature itself (up to 1023 cuts
for main effects), so monotone transforms such as log or scaling would change nothing. The
ratios carry information the EBM cannot build from single features without an interaction
term (spend per order, conversion of sessions into orders, email engagement).

Every derived feature is plain data (:class:`Ratio`), so the scorecard can store it and
recompute it in Polars or in SQL without Python code.

Missing values: left as null. The EBM learns a separate score for "missing" on every
feature, which is right for marketing fields that are missing because there is no consent.
A ratio whose denominator is 0 or missing is itself missing, never 0 or infinity.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator``, missing when the denominator is 0 or missing."""

    name: str
    numerator: str
    denominator: str
    doc: str

    def expr(self) -> pl.Expr:
        num = pl.col(self.numerator).cast(pl.Float64)
        den = pl.col(self.denominator).cast(pl.Float64)
        return pl.when(den > 0).then(num / den).otherwise(None).alias(self.name)

    def to_dict(self) -> dict:
        return {"op": "ratio", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "Ratio":
        if data.get("op") != "ratio":
            raise ValueError(f"unknown derived feature operation {data.get('op')!r}")
        return cls(data["name"], data["numerator"], data["denominator"], data.get("doc", ""))


DERIVED: tuple[Ratio, ...] = (
    Ratio("spend_per_order_365d", "total_spend_365d", "orders_365d",
          "Net spend per order over a year; separates big-basket from small-basket buyers."),
    Ratio("orders_per_session_30d", "orders_90d", "sessions_30d",
          "Recent orders per recent session: how readily browsing turns into buying."),
    Ratio("recent_order_share", "orders_90d", "orders_365d",
          "Share of the year's orders placed in the last 90 days: accelerating or fading."),
    Ratio("email_click_through", "email_clicks_30d", "email_opens_30d",
          "Clicks per opened email; missing without consent or without opens."),
    Ratio("checkout_per_cart_signal", "checkout_starts_30d", "product_views_30d",
          "Checkouts started per product viewed: purchase intent in the current month."),
)


def applicable(derived: tuple[Ratio, ...], columns: list[str] | tuple[str, ...]) -> list[Ratio]:
    """The derived features whose inputs all exist in ``columns`` (custom tables may lack them)."""
    present = set(columns)
    return [d for d in derived if d.numerator in present and d.denominator in present and d.name not in present]


def add_derived(frame: pl.DataFrame | pl.LazyFrame, derived: list[Ratio] | tuple[Ratio, ...]):
    """Return ``frame`` with the derived columns appended (same rows, same order)."""
    if not derived:
        return frame
    return frame.with_columns([d.expr() for d in derived])
