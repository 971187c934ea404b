"""The run report: built from a small run, every checked number equals the run's files."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from report_fixtures import build_small_run
from scorecard_fixtures import shape_bins
from toolkit.segments.campaigns import CAMPAIGNS, suggest_campaign
from toolkit.run.compare import compare_approaches, fmt, pct
from toolkit.report.build import (build_report, decile_of, describe_shape, segment_decile_table,
                            summarize_shape, targeting_advice)
from toolkit.run.folder import Run
from toolkit.report.html import markdown_to_html, split_row
from toolkit.model.scorecard import ShapeBin


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return build_small_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def built(run) -> dict:
    paths = build_report(run)
    return {"paths": paths, "md": paths[0].read_text(encoding="utf-8"),
            "html": paths[1].read_text(encoding="utf-8"),
            "metrics": json.loads((run / "metrics.json").read_text()),
            "segments": json.loads((run / "segments.json").read_text()) if (run / "segments.json").exists() else None,
            "timings": json.loads((run / "timings.json").read_text())}


def _segmented(built) -> dict:
    if built["segments"] is None:
        pytest.skip("toolkit.segments.pipeline not available: the run has no segments")
    return built["segments"]


# ---- the files -----------------------------------------------------------------------------


def test_writes_markdown_html_and_charts(run, built):
    md_path, html_path = built["paths"]
    assert md_path == run / "report.md" and html_path == run / "report.html"
    charts = re.findall(r"!\[[^\]]*\]\((report_files/[^)]+\.png)\)", built["md"])
    assert len(charts) >= 8  # calibration, gains, importances, 4 shapes, segments
    for c in charts:
        assert (run / c).stat().st_size > 1000
        assert (run / c).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for n in range(1, 10):
        assert re.search(rf"^## {n}\. ", built["md"], re.M), f"section {n} missing"


def test_html_is_self_contained(built):
    html = built["html"]
    srcs = re.findall(r'\bsrc="([^"]*)"', html)
    hrefs = re.findall(r'\bhref="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert all(h.startswith("#") for h in hrefs)
    assert "<script" not in html and "<link" not in html and "url(" not in html
    assert len(srcs) == len(re.findall(r"!\[[^\]]*\]\(", built["md"]))
    # every anchor in the table of contents points at a heading id
    ids = set(re.findall(r'<h\d id="([^"]+)"', html))
    assert all(h[1:] in ids for h in hrefs)


# ---- numbers read from the files ---------------------------------------------------------


def test_headline_numbers_equal_metrics_json(built):
    md, test = built["md"], built["metrics"]["test"]
    assert f"| ROC AUC (test) | >= 0.82 | {fmt(test['roc_auc'])} |" in md
    assert f"| F1 (test, threshold from validation) | >= 0.68 | {fmt(test['f1'])} |" in md
    assert f"**Threshold**: {fmt(test['threshold'])}, the probability that maximises F1" in md
    assert f"validation F1 {fmt(built['metrics']['validation']['best_f1'])}" in md
    cm = test["confusion_matrix"]
    assert f"| actual: purchased | {fmt(cm['tp'])} | {fmt(cm['fn'])} |" in md
    logit = built["metrics"]["baselines"]["logistic_regression"]
    assert f"| Logistic regression (same features, same split) | {fmt(logit['roc_auc'])} |" in md
    oracle = built["metrics"]["baselines"]["oracle"]
    assert f"| Oracle (the generator's true probabilities: the ceiling) | {fmt(oracle['roc_auc'])} |" in md
    d1 = test["deciles"][0]
    assert f"| 1 | {fmt(d1['customers'])} | " in md and f"{fmt(d1['lift'], 2)}x" in md


def test_scoring_time_is_scaled_and_says_so(built):
    t = built["timings"]
    seconds, rows = t["seconds"]["score"], t["rows"]
    assert rows != 180_000
    assert (f"{seconds:.1f} s for {rows:,} customers; scaled linearly to 180,000: "
            f"{seconds * 180_000 / rows:.1f} s | met |") in built["md"]
    assert "so the time is scaled linearly" in built["md"]


def test_segment_numbers_equal_segments_json(built):
    seg, md = _segmented(built), built["md"]
    assert f"**Fidelity** {fmt(seg['fidelity'])}:" in md
    assert f"**Cost ratio** {fmt(seg['cost_ratio'])}:" in md
    names = {s["id"]: s["name"] for s in seg["segments"]}
    cj, rj = seg["stability"]["cluster_jaccard"], seg["stability"]["rules_jaccard"]
    for sid, value in cj.items():
        assert f"| {names[sid]} (`{sid}`) | {fmt(value)} | {fmt(rj[sid])} |" in md
        assert f"bootstrap Jaccard {fmt(value)}" in md
    chosen = next(c for c in seg["candidates"] if c["chosen"])
    assert f"| {chosen['k']} | {fmt(chosen['silhouette'])} | {fmt(chosen['stability'])} |" in md
    for p in seg["profiles"]:
        assert f"- **Size**: {fmt(p['size'])} customers ({pct(p['share'])})" in md
        assert f"- **Purchase rate**: {pct(p['purchase_rate'])}" in md


def test_comparison_rows_are_in_the_report(run, built):
    rows = compare_approaches(run)
    for r in rows:
        assert f"| **{r.aspect}** | {r.supervised} | {r.unsupervised} |" in built["md"]
    ev = next(r for r in rows if r.key == "evaluation")
    assert ev.supervised_figures["roc_auc"] == built["metrics"]["test"]["roc_auc"]
    if built["segments"]:
        assert ev.unsupervised_figures["fidelity"] == built["segments"]["fidelity"]


def test_missing_rates_come_from_the_data(run, built):
    data = pl.read_parquet(run / "data.parquet")
    rate = data.get_column("email_opens_30d").null_count() / data.height
    assert rate > 0
    assert re.search(rf"\| `email_opens_30d` \| opens \| {re.escape(pct(rate))} \|", built["md"])


# ---- both together: test customers only -----------------------------------------------------


def test_segment_decile_table_uses_test_customers_and_matches_metrics(run, built):
    _segmented(built)
    r = Run.of(run)
    table = segment_decile_table(r, r.customer_table(), r.ruleset())
    test = built["metrics"]["test"]
    assert table["test_customers"] == test["rows"] == built["metrics"]["training"]["rows"]["test"]
    assert sum(r["customers"] for r in table["rows"]) == test["rows"]
    for d, total in enumerate(table["totals"]):
        ref = test["deciles"][d]
        assert total["customers"] == ref["customers"]
        assert total["purchase_rate"] == pytest.approx(ref["purchase_rate"])
        assert sum(r["cells"][d]["customers"] for r in table["rows"]) == ref["customers"]
    assert table["base_rate"] == pytest.approx(test["positive_rate"])
    assert "held-out **test** customers only (split.parquet)" in built["md"]


def test_decile_of_matches_the_metrics_split():
    p = np.array([0.9, 0.1, 0.5, 0.5, 0.3, 0.8, 0.05, 0.7, 0.2, 0.6, 0.4, 0.95])
    d = decile_of(p)
    assert d[np.argmax(p)] == 1 and d[np.argmin(p)] == 10
    assert sorted(np.bincount(d)[1:].tolist()) == sorted([1, 1, 2, 1, 1, 1, 2, 1, 1, 1])


@pytest.mark.parametrize("seed", range(6))
def test_decile_of_labels_add_up_to_metrics_deciles_with_ties(seed):
    """The report's per-row deciles are the metrics split: grouping rows by ``decile_of``
    reproduces metrics.json's decile rows exactly, also with many tied probabilities (coarse
    rounding) and sizes that do not divide by ten."""
    from toolkit.model import metrics

    assert decile_of is metrics.decile_of  # one split, not a copy in the report
    rng = np.random.default_rng(seed)
    n = int(rng.integers(11, 400))
    p = np.round(rng.random(n), int(rng.integers(1, 3)))   # 1-2 decimals: ties everywhere
    y = (rng.random(n) < p).astype(int)
    d = decile_of(p)
    rows = metrics._deciles(y, p)
    assert [r["decile"] for r in rows] == list(range(1, 11))
    for r in rows:
        mask = d == r["decile"]
        assert int(mask.sum()) == r["customers"]
        assert float(y[mask].mean()) == r["purchase_rate"]
        assert float(p[mask].min()) == r["min_probability"] and float(p[mask].max()) == r["max_probability"]
    # ties are split in row order: within equal probabilities, an earlier row never gets a lower decile
    for v in np.unique(p):
        assert np.all(np.diff(d[p == v]) >= 0)


def test_targeting_advice():
    cells = [{"decile": d, "customers": 50, "purchase_rate": r}
             for d, r in zip(range(1, 11), [0.8, 0.6, 0.4, 0.2, 0.1, 0.1, 0.0, 0.0, 0.0, 0.0])]
    row = {"customers": 500, "buyers": sum(c["customers"] * c["purchase_rate"] for c in cells), "cells": cells}
    text = targeting_advice(row, 0.3)
    assert text.startswith("target deciles 1-3: 150 of 500 test customers (30.0%), purchase rate 60.0%")
    assert "they hold 81.8% of the segment's buyers" in text
    low = {**row, "cells": [{**c, "purchase_rate": 0.05} for c in cells]}
    assert targeting_advice(low, 0.3).startswith("no decile")


# ---- shape describer ------------------------------------------------------------------------




def test_describer_step_down_is_steep_at_the_step():
    cuts = [x + 0.5 for x in range(100)]            # days 0..100, one bin per day
    scores = [1.0 if x < 21 else -1.0 for x in range(101)]
    s = summarize_shape(shape_bins(cuts, scores), "days_since_last_purchase")
    assert s.trend == "falling" and s.steep
    text = describe_shape(shape_bins(cuts, scores), "days_since_last_purchase")
    assert "falls steeply as days_since_last_purchase passes about 20 days" in text
    assert f"odds x{np.exp(-2.0):.2g}" in text


def test_describer_gradual_rise_peak_flat_and_categories():
    cuts = [float(x) for x in range(1, 50)]
    rising = summarize_shape(shape_bins(cuts, np.linspace(-1, 1, 50).tolist()), "orders_365d")
    assert rising.trend == "rising" and not rising.steep
    assert "rises gradually as orders_365d grows (half of the rise is done by 25 orders)" in \
        describe_shape(shape_bins(cuts, np.linspace(-1, 1, 50).tolist()), "orders_365d")
    hump = (-np.abs(np.linspace(-1, 1, 51))).tolist()     # highest in bin 25: [25, 26)
    peak = summarize_shape(shape_bins(cuts + [50.0], hump), "age")
    assert peak.trend == "peak" and peak.location == "between 25 years and 26 years"
    valley = summarize_shape(shape_bins(cuts + [50.0], [-v for v in hump]), "age")
    assert valley.trend == "valley" and valley.location == "between 25 years and 26 years"
    flat = describe_shape(shape_bins(cuts, [0.01] * 50), "age")
    assert flat.startswith("age barely moves the purchase probability")
    cats = [ShapeBin("missing", None, None, 0.0), ShapeBin("gold", None, None, 0.7),
            ShapeBin("none", None, None, -0.4), ShapeBin("silver", None, None, 0.2),
            ShapeBin("other (unseen)", None, None, 0.0)]
    text = describe_shape(cats, "loyalty_tier")
    assert text == ("Purchase probability is highest for loyalty_tier = gold and lowest for none "
                    f"(odds x{np.exp(1.1):.1f} between them).")


def test_describer_mentions_a_scored_missing_value():
    cuts = [float(x) for x in range(1, 20)]
    text = describe_shape(shape_bins(cuts, np.linspace(-1, 1, 20).tolist(), missing=-0.95), "email_opens_30d")
    assert "A missing value lowers it (-0.95 log-odds), like below 1 opens." in text


def test_describer_on_the_run_shapes(run):
    card = Run.of(run).scorecard()
    for name in list(card.term_importances())[:6]:
        if name in card.feature_names:
            text = describe_shape(card.shape(name), name)
            assert text.startswith(("Purchase probability", name)) and text.endswith(".")


# ---- campaigns --------------------------------------------------------------------------------


def test_campaign_heuristics():
    def prof(rate, *diffs):
        return {"purchase_rate": rate, "differences": [{"feature": f, "smd": s} for f, s in diffs]}

    assert suggest_campaign(prof(0.02, ("days_since_last_purchase", 3.0)), 0.28)[0] == CAMPAIGNS["win_back"]
    assert suggest_campaign(prof(0.3, ("account_age_days", -2.0)), 0.28)[0] == CAMPAIGNS["onboarding"]
    assert suggest_campaign(prof(0.6, ("discount_order_share", 2.0)), 0.28)[0] == CAMPAIGNS["discount"]
    assert suggest_campaign(prof(0.8, ("orders_365d", 2.0)), 0.28)[0] == CAMPAIGNS["loyalty"]
    assert suggest_campaign(prof(0.05, ("wishlist_events", 1.5), ("days_since_last_purchase", 1.0)),
                            0.28)[0] == CAMPAIGNS["conversion"]
    assert suggest_campaign(prof(0.28, ("orders_365d", 0.2)), 0.28)[0] == CAMPAIGNS["nurture"]
    text, why = suggest_campaign(prof(0.05), 0.28)
    assert text == CAMPAIGNS["suppress"] and "purchase rate 5.0% vs 28.0% overall" in why


def test_ruleset_campaign_field_wins_and_runs_without_segments(run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("report*"))
    if (copy / "segments.yaml").exists():
        from toolkit.ruleset import Ruleset

        rs = Ruleset.load(copy / "segments.yaml")
        rs.set_campaign(rs.segments[0].id, "Spring <b>sale</b> | VIP preview")
        rs.save(copy / "segments.yaml")
        md = build_report(copy, sql=False)[0].read_text()
        assert "- **Suggested campaign**: Spring <b>sale</b> | VIP preview (from the ruleset's campaign field)" in md
        html = (copy / "report.html").read_text()
        assert "Spring &lt;b&gt;sale&lt;/b&gt; | VIP preview" in html
        for name in ("segments.yaml", "segments.json", "assignments.parquet"):
            (copy / name).unlink()
    old = (copy / "scorecard.json").stat().st_mtime - 100
    os.utime(copy / "timings.json", (old, old))          # left over from an earlier run
    md = build_report(copy, sql=False)[0].read_text()
    assert "| **Question it answers** |" in md and "| not run |" in md
    assert "not measured (timings.json is older than scorecard.json" in md
    assert "Segmentation has not run in this folder" in md
    assert "(not compiled for this report)" in md


def test_sql_excerpt_is_cached(run, built):
    sql_file = run / "report_files" / "scorecard_duckdb.sql"
    text = sql_file.read_text()
    assert text.startswith("-- segkit scorecard sha256:") and "SELECT" in text
    body = text.split("\n", 1)[1]
    card = Run.of(run).scorecard()
    assert f"compiles all {len(card.terms)} terms into one SELECT of {len(body):,} characters" in built["md"]
    before = sql_file.stat().st_mtime_ns
    build_report(run)
    assert sql_file.stat().st_mtime_ns == before  # reused, not recompiled


# ---- markdown -> html -------------------------------------------------------------------------


def test_markdown_converter_constructs(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nxx")
    md = "\n".join([
        "# Title <x>", "", "Text with `a < b` and **bold** and [toc](#title-x) and [ext](http://e.com).", "",
        "- one", "- two `x|y`", "", "| A | B |", "|---|---|", "| 1,234 | a \\| b |", "",
        "```sql", "SELECT '<x>'", "```", "", "![chart](a.png)", "", "![gone](missing.png)",
    ])
    html = markdown_to_html(md, title="T", base_dir=tmp_path)
    assert '<h1 id="title-x">Title &lt;x&gt;</h1>' in html
    assert "<code>a &lt; b</code>" in html and "<strong>bold</strong>" in html
    assert '<a href="#title-x">toc</a>' in html and "ext (http://e.com)" in html and 'href="http' not in html
    assert "<li>one</li>" in html and "<th>A</th>" in html
    assert '<td class="num">1,234</td>' in html and "<td>a | b</td>" in html
    assert "<pre><code class=\"language-sql\">SELECT '&lt;x&gt;'</code></pre>" in html
    assert 'src="data:image/png;base64,' in html and "[image not found: missing.png]" in html
    assert split_row("| a | b \\| c |") == ["a", "b | c"]


# ---- chart layout --------------------------------------------------------------------------


def test_importances_chart_texts_stay_inside_the_figure(tmp_path):
    """Issue 8: importances.png's x label was clipped at the right edge (long term names)."""
    from PIL import Image

    from toolkit.report.charts import clipped_texts, importances_chart, importances_figure

    imp = {"days_since_last_purchase & acquisition_channel": 0.41, "days_since_last_purchase": 0.38,
           "email_clicks_30d & days_since_last_email_click": 0.2, "orders_365d": 0.12, "age": 0.01}
    fig = importances_figure(imp)
    assert clipped_texts(fig) == []
    xlabel = fig.axes[0].xaxis.label
    assert xlabel.get_window_extent(fig.canvas.get_renderer()).x1 <= fig.bbox.x1
    path = importances_chart(imp, tmp_path / "importances.png")
    with Image.open(path) as img:
        assert img.size[0] >= 600


def test_clipped_texts_detects_an_overflowing_label():
    from toolkit.report.charts import _figure, clipped_texts

    fig = _figure((3, 2))
    ax = fig.add_subplot()
    ax.set_xlabel("a label far wider than this small figure can ever hold on one single line")
    fig.canvas.draw()
    assert clipped_texts(fig)
