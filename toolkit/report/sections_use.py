"""The prose of the report's sections 6-9: the segments, and how to use both approaches.

Same form as :mod:`toolkit.report.sections`: one function ``(page, fig)`` per section,
every number read from the figures. Campaign suggestions come from the ruleset's
``campaign`` field or :func:`toolkit.segments.campaigns.suggest_campaign`.
"""

from __future__ import annotations

from toolkit import policy
from toolkit.fmt import num as fmt, pct
from toolkit.report.sections import Page, _duration, _table
from toolkit.report.tables import MIN_CELL, SQL_CACHE, TARGET_ROWS, Figures, decile_spread, scoring_time
from toolkit.run import folder as runs
from toolkit.run.verdicts import bar_checks
from toolkit.segments.campaigns import suggest_campaign


def targeting_advice(row: dict, base_rate: float) -> str:
    """Which deciles of one segment to target: cells with >= MIN_CELL test customers whose
    actual purchase rate is at least the overall test base rate."""
    if not row["customers"]:
        return "no test customers in this segment"
    cells = [c for c in row["cells"] if c["customers"] >= MIN_CELL and c["purchase_rate"] is not None
             and c["purchase_rate"] >= base_rate]
    if not cells:
        return (f"no decile with {MIN_CELL}+ test customers reaches the base rate {pct(base_rate)}: a "
                "purchase campaign here mostly reaches non-buyers")
    chosen = {c["decile"] for c in cells}
    in_sel = [c for c in row["cells"] if c["decile"] in chosen]
    n_in = sum(c["customers"] for c in in_sel)
    buyers_in = sum(c["customers"] * c["purchase_rate"] for c in in_sel)
    rest = row["customers"] - n_in
    buyers_rest = row["buyers"] - buyers_in
    ds = sorted(chosen)
    span = f"deciles {ds[0]}-{ds[-1]}" if ds == list(range(ds[0], ds[-1] + 1)) and len(ds) > 1 \
        else ("decile " + str(ds[0]) if len(ds) == 1 else "deciles " + ", ".join(map(str, ds)))
    share_buyers = buyers_in / row["buyers"] if row["buyers"] else None
    text = (f"target {span}: {n_in:,} of {row['customers']:,} test customers "
            f"({pct(n_in / row['customers'])}), purchase rate {pct(buyers_in / n_in)}")
    if rest:
        text += f" vs {pct(buyers_rest / rest)} for the rest"
    if share_buyers is not None:
        text += f"; they hold {pct(share_buyers)} of the segment's buyers"
    return text


def segment_cards(page: Page, fig: Figures) -> None:
    """6. One card per segment; the ruleset (edited after the run) wins over segments.json."""
    page.add("## 6. Segments", "")
    seg = fig.segments
    if not seg:
        page.add("Segmentation has not run in this folder.", "")
        return
    from toolkit.report.charts import segments_chart

    base = fig.overall_rate
    page.image(segments_chart(fig.profiles, base, page.files / "segments.png"), "Segment sizes and purchase rates")
    segs = {s["id"]: s for s in seg.get("segments") or []}
    stab = (seg.get("stability") or {}).get("cluster_jaccard") or {}
    rs = fig.ruleset
    # the ruleset (segments.yaml) wins over segments.json for rule, name and campaign:
    # analysts edit the YAML after the run
    ruleset_segs = {s.id: s for s in [*rs.segments, rs.default]} if rs is not None else {}
    for p in fig.profiles:
        s = segs.get(p["id"], {})
        rs_seg = ruleset_segs.get(p["id"])
        rule = getattr(rs_seg, "rule", None) if rs_seg is not None else s.get("rule")
        rule_text = f"`{rule}`" if rule else "everyone the rules above do not match (default segment)"
        name = rs_seg.name if rs_seg is not None else (p.get("name") or p["id"])
        campaign = rs_seg.campaign if rs_seg is not None and rs_seg.campaign else None
        if campaign:
            camp_text, why = campaign, "from the ruleset's campaign field"
        else:
            camp_text, why = suggest_campaign(p, base)
        diffs = [d["text"] for d in (p.get("differences") or [])[:3]]
        mix = []
        for fieldname, items in (p.get("mix") or {}).items():
            top = max(items, key=lambda it: it.get("lift") or 0, default=None)
            if top and (top.get("lift") or 0) >= 1.3 and top.get("value") != "(missing)":
                mix.append(f"{fieldname} {top['value']} {pct(top['share'], 0)} (x{top['lift']:.1f})")
        page.add(f"### {name} (`{p['id']}`)", "",
                 f"- **Rule**: {rule_text}",
                 f"- **Size**: {fmt(p.get('size'))} customers ({pct(p.get('share'))})",
                 f"- **Purchase rate**: {pct(p.get('purchase_rate'))} (overall {pct(base)}); "
                 f"**mean propensity** {fmt(p.get('mean_probability'))}",
                 f"- **Stability**: bootstrap Jaccard {fmt(stab.get(p['id']))}",
                 f"- **Distinguishing features**: {'; '.join(diffs) or '-'}")
        if mix:
            page.add(f"- **Over-represented**: {'; '.join(mix)}")
        page.add(f"- **Suggested campaign**: {camp_text} ({why})", "")

def together(page: Page, fig: Figures) -> None:
    """7. Segment x propensity decile on the test customers, and where to target inside each segment."""
    page.add("## 7. Using both together", "")
    t = fig.decile_table
    if t is None:
        page.add("Needs the scorecard, the ruleset, split.parquet and the customer table "
                 "(data.parquet in the run folder, or `segkit report --data FILE`); not all are "
                 "present.", "")
        return
    base = t["base_rate"]
    page.add(f"Segments say *what* to offer; the propensity says *whom* within a segment. Computed on "
             f"the {t['test_customers']:,} held-out **test** customers only (split.parquet), so the "
             "purchase rates are honest: these customers trained neither model nor threshold "
             "(the segmentation's own clustering did see them, without labels). Deciles are the "
             f"test customers' propensity deciles (1 = top 10 %). Each cell: actual purchase rate "
             f"(customers). Overall test purchase rate {pct(base)}.", "")
    header = ["Segment", "All"] + [f"D{d}" for d in range(1, 11)]
    rows = []
    for r in t["rows"]:
        cells = [f"{pct(c['purchase_rate'], 0)} ({c['customers']})" if c["customers"] else "-"
                 for c in r["cells"]]
        rows.append([r["name"], f"{pct(r['purchase_rate'], 0)} ({r['customers']})"] + cells)
    rows.append(["All segments", f"{pct(base, 0)} ({t['test_customers']})"]
                + [f"{pct(c['purchase_rate'], 0)} ({c['customers']})" for c in t["totals"]])
    page.add(*_table(header, rows))
    page.add(f"Where to target within each segment (deciles with {MIN_CELL}+ test customers whose "
             f"purchase rate is at least the overall {pct(base)}):", "")
    for r in t["rows"]:
        page.add(f"- **{r['name']}**: {targeting_advice(r, base)}")
    page.add("")

def deployment(page: Page, fig: Figures, sql: str | None) -> None:
    """8. Artifacts, scoring paths (``sql``: the compiled DuckDB query, or None), schedule, monitoring."""
    from toolkit import monitor

    page.add("## 8. Deployment", "", "### Artifacts", "")
    rows = []
    for name, what in ((runs.SCORECARD, "the compiled EBM: bins, score tables, threshold (JSON, no pickle)"),
                       (runs.RULESET, "the segment rules, editable by analysts (YAML, ordered, first match wins)"),
                       (runs.SEGMENTS, "segmentation figures: k choice, stability, fidelity, profiles"),
                       (runs.METRICS, "held-out metrics, baselines, leakage audit, training settings"),
                       (runs.SPLIT, "which customer was train / validation / test"),
                       (runs.SCORES, "scores for the run's own data")):
        p = fig.run.file(name)
        if p.exists():
            rows.append([f"`{name}`", f"{p.stat().st_size / 1024:,.0f} KB", what])
    page.add(*_table(["File", "Size", "What"], rows))
    sc = fig.scorecard
    timing = scoring_time(fig.timings)
    page.add("### Scoring paths", "",
             "- **Python**: `Scorecard.load('scorecard.json').score(frame)` returns id, "
             "purchase_probability, will_purchase and reason_1..3; `Ruleset.load('segments.yaml')"
             ".apply(frame)` adds the segment.",
             f"- **CLI**: `segkit score --run {fig.run.path} --data customers.parquet --out scores.parquet` "
             "streams the file in batches (CSV or Parquet) and adds the segment when the run has "
             "a ruleset.")
    if sc is not None and sql is not None:
        head, tail = sql[:360], sql[-260:]
        page.add(f"- **SQL in the warehouse**: `Scorecard.to_sql('duckdb')` compiles all {len(sc.terms)} "
                 f"terms into one SELECT of {len(sql):,} characters (also postgres, bigquery, snowflake, "
                 f"spark); the ruleset compiles with `segkit rules export --format sql`. The DuckDB "
                 f"query is saved as `{runs.REPORT_FILES}/{SQL_CACHE}`. Its start and end:", "",
                 "```sql", head + " ...", "... " + tail, "```", "")
    elif sc is not None:
        page.add(f"- **SQL in the warehouse**: `Scorecard.to_sql('duckdb')` compiles all {len(sc.terms)} "
                 "terms into one SELECT (not compiled for this report).", "")
    if timing:
        page.add(f"Measured scoring time for this data: {_duration(timing['seconds'])} for "
                 f"{timing['rows']:,} customers"
                 + (f" (about {_duration(timing['scaled'])} for {TARGET_ROWS:,}, scaled linearly)."
                    if timing["scaled_from_other_size"] and policy.targets_for(fig.metrics).scoring
                    else "."), "")
    page.add("### Schedule and retraining", "",
             "- Score before every campaign run (daily or weekly); the scorecard is pure data, so "
             "scoring needs no model server.",
             f"- Retrain the purchase model monthly, or at once when `segkit monitor` reports the score "
             f"or a top-5 feature at PSI > {monitor.ACT}, or when the realised purchase rate of a "
             f"scored month differs from the mean prediction by more than 5 points.",
             "- Re-run the segmentation quarterly, or when segment shares move by more than 5 points "
             "or their PSI exceeds the act level; review the renamed rules before replacing "
             "segments.yaml (campaigns refer to segment ids).", "")
    page.add("### Monitoring", "",
             f"`segkit monitor --run {fig.run.path} --data NEW_BATCH.parquet --strict` compares a new batch "
             "with the training customers: population stability index (PSI) for every model input and "
             "for the score, new category values, missing-rate changes and segment share shifts. "
             f"PSI > {monitor.WATCH} is *watch*, > {monitor.ACT} is *act*; with `--strict` any *act* "
             f"exits with code {monitor.STRICT_EXIT_CODE} so a scheduler can hold the scoring job.", "")

def recommendation(page: Page, fig: Figures) -> None:
    """9. What to use each approach for, from this run's figures."""
    page.add("## 9. Recommendation", "")
    s, u = fig.sf, fig.uf
    out = []
    if s:
        gain = (s["roc_auc"] - s["logistic_auc"]) if None not in (s.get("roc_auc"), s.get("logistic_auc")) else None
        checks = bar_checks(fig.metrics)
        targets = policy.targets_for(fig.metrics)
        if targets.source == policy.BRIEF:
            verdict = "meet the bars" if all(c.passed for c in checks) else "do NOT meet every bar"
        elif checks:
            verdict = ("meet the declared targets" if all(c.passed for c in checks)
                       else "do NOT meet every declared target")
        else:
            verdict = "(no targets declared: judged by its baselines)"
        text = (f"Use the **purchase model** to decide who to contact for a purchase campaign: test ROC AUC "
                f"{fmt(s.get('roc_auc'))} and F1 {fmt(s.get('f1'))} {verdict}; the top decile buys at "
                f"{fmt(s.get('top_decile_lift'), 2)}x the base rate.")
        if gain is not None:
            if gain < policy.SMALL_AUC_GAIN:
                text += (f" It beats logistic regression by only {fmt(gain)} AUC: keep the EBM for its shape "
                         "functions and per-customer reasons, not for accuracy; a logistic model would rank "
                         "almost as well.")
            else:
                text += f" It beats logistic regression by {fmt(gain)} AUC, a real gain from non-linear shapes."
        if s.get("oracle_auc") is not None:
            text += f" The oracle ceiling is {fmt(s['oracle_auc'])}: little accuracy is left to win."\
                if s["oracle_auc"] - (s.get("roc_auc") or 0) < policy.SMALL_ORACLE_GAP else \
                f" The oracle ceiling is {fmt(s['oracle_auc'])}: better features could still help."
        out.append(text)
    if u:
        stable = not u.get("unstable_segments")
        good = (u.get("fidelity") or 0) >= policy.GOOD_FIDELITY
        text = (f"Use the **segments** to plan messages and offers: {u.get('k')} segments, "
                + ("all stable under resampling" if stable else
                   f"but {len(u['unstable_segments'])} unstable ({', '.join(u['unstable_segments'])}): treat "
                   "those as provisional")
                + f"; the rules reproduce the clusters with fidelity {fmt(u.get('fidelity'))}"
                + (" " if good else f" (below {policy.GOOD_FIDELITY:g}: check the rules against the clusters) ")
                + f"at a cost ratio of {fmt(u.get('cost_ratio'))}.")
        if u.get("min_purchase_rate") is not None:
            text += (f" Purchase rates range from {pct(u['min_purchase_rate'])} to {pct(u['max_purchase_rate'])} "
                     "across segments, so the segments also separate value, but not well enough to replace "
                     "the model for choosing individuals.")
        out.append(text)
    if s and u and fig.decile_table:
        spread = decile_spread(fig.decile_table)
        if spread is not None:
            out.append(f"Use **both**: inside a segment the actual purchase rate still varies by up to "
                       f"{100 * spread:.0f} percentage points between propensity deciles (section 7), so pick the message by "
                       "segment and the recipients, or the discount depth, by propensity.")
    page.add(*[p + "\n" for p in out] or ["Nothing to recommend: the run has neither model nor segments.", ""])
