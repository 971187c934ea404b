"""Big rulesets: time and peak memory of applying and checking N segments, new blocked form vs
the former single when/then chain, each measurement in a fresh process.

    .venv/bin/python bench/bench_rules_scale.py [--rows 180000] [--segments 250 500 1000 2000 5000]
                                                [--old-max 1000] [--timeout 300] [--no-write]

Data: ``toolkit.data.generate.generate(rows, seed)``. Rules look like distilled ones: each a
conjunction of 2-3 thresholds on numeric columns at random quantiles (optionally one
category test), selective enough that most rows go through many rules before one matches;
the same seed gives the same rules for every form. Each (form, segments) runs in its own
Python process so its peak RSS is its own: ``apply`` (``Ruleset.apply``), ``check``
(``ruleset_ops.check``: coverage + overlaps) and ``old`` (the former
``pl.when(...).then(...).when(...)`` chain over every rule, measured where it finishes within
``--timeout``). Segment assignments of ``apply`` and ``old`` are compared row by row.

Writes its section of bench/RESULTS.md between ``<!-- bench_rules_scale -->`` markers.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, machine, peak_rss_mb, write_section  # also puts the repo root on sys.path

NUMERIC = ["sessions_30d", "page_views_30d", "product_views_30d", "cart_add_rate", "orders_90d",
           "orders_365d", "total_spend_365d", "avg_order_value", "days_since_last_purchase",
           "discount_order_share", "email_opens_30d", "app_session_share", "wishlist_events",
           "coupon_redemptions", "refund_rate", "age"]


def make_ruleset(frame, segments: int, seed: int):
    """``segments`` distilled-looking rules over ``frame``'s numeric columns."""
    import polars as pl

    from toolkit.rules import format_column, format_value
    from toolkit.ruleset import Ruleset, Segment

    cols = [c for c in NUMERIC if c in frame.columns and frame.schema[c].is_numeric()]
    qs = {c: frame.get_column(c).drop_nulls().cast(pl.Float64).quantile  # noqa: E731
          for c in cols}
    r = random.Random(seed)
    segs = []
    for k in range(segments):
        parts = []
        for c in r.sample(cols, r.choice([2, 3, 3])):
            if r.random() < 0.5:
                v = qs[c](r.uniform(0.7, 0.98))
                parts.append(f"{format_column(c)} >= {format_value(round(float(v), 3))}")
            else:
                v = qs[c](r.uniform(0.02, 0.3))
                parts.append(f"{format_column(c)} < {format_value(round(float(v), 3))}")
        if "country" in frame.columns and r.random() < 0.3:
            parts.append(f'country in ["US", "{r.choice(["DE", "GB", "FR"])}"]')
        segs.append(Segment(f"s{k}", f"Segment {k}", "", " and ".join(parts)))
    return Ruleset("scale", segs)


def old_chain(rs, frame):
    """The former Ruleset.to_polars_expr: one when/then chain over every rule."""
    import polars as pl

    exprs = rs.rule_exprs(frame.schema)
    out = None
    for s in rs.segments:
        out = (pl.when(exprs[s.id]) if out is None else out.when(exprs[s.id])).then(pl.lit(s.id, dtype=pl.String))
    return frame.select(out.otherwise(pl.lit(rs.default.id, dtype=pl.String)).alias("segment"))["segment"]


def one(form: str, segments: int, rows: int, seed: int, out: str | None) -> None:
    """Measure one (form, segments) in this process and print JSON."""
    from toolkit.data.generate import generate
    from toolkit.ruleset.ops import check

    frame, _ = generate(rows, seed)
    rs = make_ruleset(frame, segments, seed)
    base = peak_rss_mb()
    started = time.perf_counter()
    extra = {}
    if form == "apply":
        seg = rs.apply(frame)["segment"]
    elif form == "old":
        seg = old_chain(rs, frame)
    else:
        report = check(rs, frame)
        seg = None
        extra = {"overlap_exact": report.overlap_exact, "default_share": report.segments[-1].share}
    seconds = time.perf_counter() - started
    if seg is not None and out:
        seg.to_frame().write_parquet(out)
    if seg is not None:
        extra["default_share"] = float((seg == rs.default.id).mean())
    print(json.dumps({"form": form, "segments": segments, "seconds": seconds,
                      "peak_mb": peak_rss_mb(), "before_mb": base, **extra}))


def run(form: str, segments: int, args, out: str | None = None) -> dict | None:
    cmd = [sys.executable, __file__, "--one", form, "--segments", str(segments), "--rows",
           str(args.rows), "--seed", str(args.seed)] + (["--out", out] if out else [])
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        return {"form": form, "segments": segments, "error": exc.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=180_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--segments", type=int, nargs="+", default=[250, 500, 1000, 2000, 5000])
    ap.add_argument("--old-max", type=int, default=1000, help="Largest ruleset to time the old chain on.")
    ap.add_argument("--timeout", type=float, default=300.0, help="Seconds per measurement.")
    ap.add_argument("--one", choices=["apply", "check", "old"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--no-write", action="store_true", help="Do not update bench/RESULTS.md.")
    args = ap.parse_args()
    if args.one:
        one(args.one, args.segments[0], args.rows, args.seed, args.out)
        return

    import polars as pl

    tmp = Path("/tmp") / f"bench_rules_scale_{id(args)}"
    tmp.mkdir(exist_ok=True)
    rows_out = []
    mismatches = 0
    for n in args.segments:
        a = run("apply", n, args, str(tmp / f"new{n}.parquet"))
        c = run("check", n, args)
        o = run("old", n, args, str(tmp / f"old{n}.parquet")) if n <= args.old_max else None
        same = None
        if a and o and "error" not in a and "error" not in o:
            diff = int((pl.read_parquet(tmp / f"new{n}.parquet")["segment"]
                        != pl.read_parquet(tmp / f"old{n}.parquet")["segment"]).sum())
            mismatches += diff
            same = diff == 0
        rows_out.append((n, a, c, o, same))
        print(n, json.dumps(a), json.dumps(c), json.dumps(o), f"same={same}", flush=True)

    def cell(m: dict | None, key: str, fmt: str) -> str:
        if m is None:
            return f"> {args.timeout:.0f} s" if key == "seconds" else "-"
        if "error" in m:
            return "error"
        return format(m[key], fmt)

    table = ["| segments | apply s | apply peak MB | check s | check peak MB | old chain s | old peak MB | old / apply | same segments | rows left to default |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for n, a, c, o, same in rows_out:
        ratio = (f"{o['seconds'] / a['seconds']:.0f}x" if o and a and "error" not in o and "error" not in a
                 else ("-" if n > args.old_max else "timed out"))
        old_s = cell(o, "seconds", ".2f") if n <= args.old_max else "not run"
        old_mb = cell(o, "peak_mb", ".0f") if n <= args.old_max else "-"
        table.append(f"| {n:,} | {cell(a, 'seconds', '.2f')} | {cell(a, 'peak_mb', '.0f')} | "
                     f"{cell(c, 'seconds', '.2f')} | {cell(c, 'peak_mb', '.0f')} | {old_s} | {old_mb} | "
                     f"{ratio} | {'yes' if same else ('-' if same is None else 'NO')} | "
                     f"{(a or {}).get('default_share', float('nan')):.1%} |")
    print("\n".join(table))
    if not args.no_write:
        cmd = (f"`.venv/bin/python bench/bench_rules_scale.py --rows {args.rows} --seed {args.seed} "
               f"--segments {' '.join(map(str, args.segments))} --old-max {args.old_max} --timeout {args.timeout:.0f}`")
        section = f"""## Rules at scale: thousands of segments (`bench/bench_rules_scale.py`)

Command: {cmd}
Machine: {machine()}.
Data: the generated table, {args.rows:,} rows. Rules: conjunctions of 2-3 thresholds at
random quantiles (some with a country list), like distilled rules; most rows pass many rules
before one matches. Each cell is one fresh process (peak MB is that process's peak RSS,
including the ~{(rows_out[0][1] or {}).get('before_mb', 0):.0f} MB the data takes).
`apply`: `Ruleset.apply` (first match in blocks of 64 rules); `check`: `ruleset_ops.check`
(coverage and overlaps; exact pairwise overlaps up to 256 segments, "taken by an earlier
segment" counts beyond); `old chain`: the former single `when/then` chain over every rule
(run up to {args.old_max:,} segments, {args.timeout:.0f} s limit).

{chr(10).join(table)}

Rows assigned differently by the blocked form and the old chain: {mismatches}.
"""
        write_section("bench_rules_scale", section)
        print("updated bench/RESULTS.md")


if __name__ == "__main__":
    main()
