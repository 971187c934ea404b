"""Apply a ruleset to millions of customers in Polars and as SQL in DuckDB; same answer, how fast.

    .venv/bin/python bench/bench_rules.py [--rows 2400000] [--seed 7] [--ruleset rulesets/rfm_classic.yaml]
                                          [--repeat 3] [--no-write]

Data: ``toolkit.data.generate.generate(rows, seed)`` (the 35-feature synthetic customer table).
Timed (best of ``--repeat``): Polars ``Ruleset.apply`` (validation + one when/then chain) and
DuckDB running ``Ruleset.to_sql`` over the same in-memory Arrow table, fetched back as Arrow.
Both with column types known (so NaN tests only on float columns) and, for DuckDB, also
without types (NaN tests on every numeric column). Checks that every customer gets the same
segment in both engines. Target: under 5 s each for 2.4M rows.

Writes its section of bench/RESULTS.md between ``<!-- bench_rules -->`` markers.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import polars as pl

from _common import ROOT, best_of, machine, write_section  # also puts the repo root on sys.path

from toolkit.data.generate import generate  # noqa: E402
from toolkit.ruleset import Ruleset  # noqa: E402

# A second, harder ruleset: text in-lists, between, not, is missing, or-groups, float columns.
MIXED = [
    ("vip_na", 'country in ["US", "CA"] and loyalty_tier in ["gold", "platinum"] and total_spend_365d >= 600'),
    ("app_buyers", "app_session_share >= 0.6 and orders_90d between 2 and 10 and not (device_type == \"desktop\")"),
    ("email_fans", "email_clicks_30d >= 2 or (email_opens_30d >= 5 and days_since_last_email_click < 30)"),
    ("no_consent_active", "email_opens_30d is missing and sessions_30d >= 4"),
    ("bargain_hunters", "discount_order_share > 0.5 and coupon_redemptions >= 1 and refund_rate < 0.2"),
    ("browsers", "product_views_30d >= 20 and orders_90d == 0 and cart_add_rate between 0.05 and 0.5"),
    ("lapsed", "days_since_last_purchase > 180 and acquisition_channel not in [\"paid_search\", \"affiliate\"]"),
    ("young_social", "age < 30 and acquisition_channel == \"social\" and newsletter_subscriber == true"),
]
TARGET_S = 5.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=2_400_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--ruleset", default=str(ROOT / "rulesets" / "rfm_classic.yaml"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="Do not update bench/RESULTS.md.")
    args = ap.parse_args()

    rs = Ruleset.load(args.ruleset)
    t = time.perf_counter()
    customers, _ = generate(args.rows, args.seed)
    gen_s = time.perf_counter() - t
    print(f"generated {customers.height:,} rows x {customers.width} columns in {gen_s:.1f} s")

    polars_s, applied = best_of(args.repeat, lambda: rs.apply(customers).select("customer_id", "segment"))

    con = duckdb.connect()
    con.register("customers", customers.to_arrow())
    sql_typed = rs.to_sql("duckdb", column_types=customers.schema)
    sql_untyped = rs.to_sql("duckdb")
    duck_s, duck = best_of(args.repeat, lambda: pl.from_arrow(con.sql(sql_typed).to_arrow_table()))
    duck_untyped_s, duck_u = best_of(args.repeat,
                                     lambda: pl.from_arrow(con.sql(sql_untyped).to_arrow_table()))

    joined = applied.join(duck, on="customer_id", suffix="_duckdb").join(duck_u, on="customer_id", suffix="_untyped")
    mismatches = joined.filter((pl.col("segment") != pl.col("segment_duckdb"))
                               | (pl.col("segment") != pl.col("segment_untyped"))).height
    assert joined.height == customers.height, "rows lost in the comparison"
    counts = applied.group_by("segment").len().sort("len", descending=True)

    ratio = duck_s / polars_s
    lines = [
        f"polars apply      {polars_s:6.3f} s",
        f"duckdb SQL        {duck_s:6.3f} s  (column types known; ratio duckdb/polars {ratio:.2f})",
        f"duckdb SQL untyped {duck_untyped_s:5.3f} s  (NaN tests on every numeric column)",
        f"rows with a different segment: {mismatches}",
    ]
    print("\n".join(lines))
    # the harder ruleset, same procedure
    from toolkit.ruleset import Segment

    mixed = Ruleset("mixed", [Segment(i, i.replace("_", " ").title(), "", r) for i, r in MIXED])
    mixed_polars_s, m_applied = best_of(args.repeat, lambda: mixed.apply(customers).select("customer_id", "segment"))
    m_sql = mixed.to_sql("duckdb", column_types=customers.schema)
    mixed_duck_s, m_duck = best_of(args.repeat, lambda: pl.from_arrow(con.sql(m_sql).to_arrow_table()))
    m_join = m_applied.join(m_duck, on="customer_id", suffix="_duckdb")
    mismatches += m_join.filter(pl.col("segment") != pl.col("segment_duckdb")).height
    lines.append(f"mixed ruleset: polars {mixed_polars_s:.3f} s, duckdb {mixed_duck_s:.3f} s "
                 f"(ratio {mixed_duck_s / mixed_polars_s:.2f}); total mismatches {mismatches}")
    print(lines[-1])
    ok = (max(polars_s, duck_s, mixed_polars_s, mixed_duck_s) < TARGET_S and mismatches == 0)
    print("OK" if ok else "MISSED TARGET OR MISMATCH")

    if not args.no_write:
        seg_lines = "\n".join(f"| {s} | {n:,} |" for s, n in counts.iter_rows())
        section = f"""## Rules: apply a ruleset in Polars and in DuckDB (`bench/bench_rules.py`)

Command: `.venv/bin/python bench/bench_rules.py --rows {args.rows} --seed {args.seed} --repeat {args.repeat}`
Machine: {machine()},
duckdb {duckdb.__version__}. Ruleset: `{Path(args.ruleset).name}` ({len(rs.segments)} segments + default).
Best of {args.repeat} runs; the generated table (35 features) is in memory; DuckDB reads it as Arrow.

| engine | seconds | note |
|---|---:|---|
| Polars `Ruleset.apply` | {polars_s:.3f} | validation + one when/then chain |
| DuckDB `Ruleset.to_sql` | {duck_s:.3f} | column types known; {ratio:.2f}x Polars |
| DuckDB, no column types | {duck_untyped_s:.3f} | NaN tests on every numeric column |
| Polars, `mixed` ruleset | {mixed_polars_s:.3f} | 8 segments: text in-lists, between, not, is missing, or |
| DuckDB, `mixed` ruleset | {mixed_duck_s:.3f} | column types known; {mixed_duck_s / mixed_polars_s:.2f}x Polars |

Target < {TARGET_S:.0f} s for {args.rows:,} rows: {'met' if ok else 'MISSED'}. Customers assigned a different
segment by the two engines (both rulesets): {mismatches}.

`rfm_classic` segment sizes on this data:

| segment | customers |
|---|---:|
{seg_lines}
"""
        write_section("bench_rules", section)
        print("updated bench/RESULTS.md")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
