"""The prose of the report's sections 1-5: what was built and how well it holds up.

Each section is a function ``(page, fig)``: it reads the figures (:class:`toolkit.report.tables.Figures`,
loaded once per report) and writes markdown lines and charts to the page
(:class:`toolkit.report.build._Report`). Sections 6-9, on the segments and on using the
results, are in :mod:`toolkit.report.sections_use`. Every number comes from the figures,
never typed in; shape sentences come from :func:`toolkit.report.shape_text.describe_shape`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

from toolkit import policy, schema
from toolkit.fmt import num as fmt, pct
from toolkit.policy import SCORING_BUDGET_SECONDS
from toolkit.report.shape_text import describe_shape, shape_axis
from toolkit.report.tables import TARGET_ROWS, Figures, derived_missing_rates, missing_rates, scoring_time
from toolkit.run.compare import compare_approaches
from toolkit.run.verdicts import bar_checks, baseline_verdict

TOP_SHAPES = 4


class Page(Protocol):
    """Where a section writes: markdown lines, and charts saved under ``files``."""

    files: Path

    def add(self, *lines: str) -> None: ...

    def image(self, path: Path, alt: str) -> None: ...


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(cell(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return out + [""]


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def summary(page: Page, fig: Figures) -> None:
    """1. The run against its targets (the brief's bars on the brief's sample, declared targets
    or baselines on any other table), and the model next to its baselines."""
    page.add("## 1. Summary", "")
    m = fig.metrics
    if not m:
        page.add("The purchase model was not trained in this run (no metrics.json).", "")
        return
    test = m["test"]
    targets = policy.targets_for(m)
    if not targets.scoring:
        _summary_own_targets(page, fig, targets)
        return
    timing = scoring_time(fig.timings)
    rows = []
    labels = {"roc_auc": "ROC AUC (test)", "f1": "F1 (test, threshold from validation)"}
    for check in bar_checks(m):
        rows.append([labels.get(check.metric, check.metric), f">= {check.bar}", fmt(check.value),
                     "met" if check.passed else "NOT met"])
    if timing:
        measured = f"{_duration(timing['seconds'])} for {timing['rows']:,} customers"
        if timing["scaled_from_other_size"]:
            measured += f"; scaled linearly to {TARGET_ROWS:,}: {_duration(timing['scaled'])}"
        ok = policy.scoring_within_budget(timing["scaled"])
        rows.append([f"Scoring {TARGET_ROWS:,} customers", f"< {SCORING_BUDGET_SECONDS // 60} min",
                     measured, "met" if ok else "NOT met"])
    else:
        why = fig.notes[0] if fig.notes else "no timings.json in the run folder"
        rows.append([f"Scoring {TARGET_ROWS:,} customers", f"< {SCORING_BUDGET_SECONDS // 60} min",
                     f"not measured ({why})", "-"])
    page.add("Against the targets declared for this run:" if targets.source == policy.DECLARED else "Against the bars:",
             "", *_table(["Bar", "Target", "This run", "Verdict"], rows))
    if timing:
        note = ("Scoring time is `seconds.score` in timings.json: reading data.parquet, scoring "
                "every customer with the scorecard (probability, decision, top 3 reasons), "
                + ("assigning segments " if fig.ruleset is not None else "")
                + "and writing scores.parquet.")
        if timing["scaled_from_other_size"]:
            note += (f" This run has {timing['rows']:,} customers, so the time is scaled "
                     f"linearly to {TARGET_ROWS:,} (scoring is streamed in batches, so time grows "
                     "about linearly with rows).")
        page.add(note, "")
    _baseline_table(page, fig)


def _summary_own_targets(page: Page, fig: Figures, targets: policy.Targets) -> None:
    """Section 1 for any table but the brief's sample: the brief's bars (set for its sample)
    do not apply; the model is judged by the targets its user declared and by its baselines,
    and the scoring time is stated for this table's own row count."""
    m = fig.metrics or {}
    test = m["test"]
    labels = {"roc_auc": "ROC AUC (test)", "f1": "F1 (test, threshold from validation)"}
    versus = baseline_verdict(m)
    if targets.values:
        rows = [[labels.get(c.metric, c.metric), f">= {c.bar:g} (declared)", fmt(c.value),
                 "met" if c.passed else "NOT met"] for c in bar_checks(m)]
        page.add("Against the targets declared for this run (`segkit train --target-auc/--target-f1`):", "",
                 *_table(["Target", "Declared", "This run", "Verdict"], rows))
    else:
        page.add("No targets were declared for this run (`segkit train --target-auc 0.8 --target-f1 0.4` "
                 "stores them) and the brief's bars were set for its sample, not for this table, so the "
                 "model is judged against its baselines on the same split.", "")
    if versus:
        page.add(f"Test ROC AUC {fmt(test.get('roc_auc'))}: the EBM {versus}.", "")
    timing = scoring_time(fig.timings)
    if timing:
        page.add(f"Scoring time: {_duration(timing['seconds'])} for this run's {timing['rows']:,} customers "
                 "(`seconds.score` in timings.json: scoring, reasons, segments and writing scores.parquet).", "")
    else:
        rows = sum(((m.get("training") or {}).get("rows") or {}).values())
        why = fig.notes[0] if fig.notes else "no timings.json in the run folder; `segkit score` measures it"
        page.add(f"Scoring time for this table's {rows:,} customers: not measured ({why}).", "")
    _baseline_table(page, fig)


def _baseline_table(page: Page, fig: Figures) -> None:
    """The EBM next to its baselines (same features, same split)."""
    m = fig.metrics or {}
    test = m["test"]
    base = m.get("baselines", {})
    brows = [["EBM (this run)", fmt(test.get("roc_auc")), fmt(test.get("pr_auc")), fmt(test.get("f1")),
              fmt(test.get("brier"))]]
    for key, label in (("logistic_regression", "Logistic regression (same features, same split)"),
                       ("recency", "Recency (ranked by days since the last purchase)"),
                       ("base_rate", "Base rate (everyone gets the training purchase rate)"),
                       ("oracle", "Oracle (the generator's true probabilities: the ceiling)")):
        if key in base:
            b = base[key]
            brows.append([label, fmt(b.get("roc_auc")), fmt(b.get("pr_auc")), fmt(b.get("f1")),
                          fmt(b.get("brier"))])
    page.add(f"Held-out test customers: {fmt(test.get('rows'))} (purchase rate "
             f"{pct(test.get('positive_rate'))}).", "",
             *_table(["Model", "ROC AUC", "PR AUC", "F1", "Brier"], brows))
    ebm, logit, oracle = fig.sf.get("roc_auc"), fig.sf.get("logistic_auc"), fig.sf.get("oracle_auc")
    if None not in (ebm, logit, oracle) and oracle > logit:
        closed = (ebm - logit) / (oracle - logit)
        page.add(f"The EBM is {fmt(ebm - logit)} AUC above logistic regression and {fmt(oracle - ebm)} "
                 f"below the oracle: it closes {pct(closed, 0)} of the gap between the simple "
                 "baseline and the best any model could do on this data.", "")

def comparison(page: Page, fig: Figures) -> None:
    """2. The supervised and unsupervised approaches side by side (toolkit.run.compare)."""
    page.add("## 2. Supervised vs unsupervised", "",
             "The purchase model and the segments answer different questions; this table "
             "puts them side by side with this run's numbers.", "")
    rows = compare_approaches(fig.run)
    page.add(*_table(["", "Supervised: purchase model (EBM)", "Unsupervised: segments (k-means -> rules)"],
                     [[f"**{r.aspect}**", r.supervised, r.unsupervised] for r in rows]))

def features(page: Page, fig: Figures) -> None:
    """3. Features (by schema group on the brief's sample, the table's own otherwise): missing
    rates, single-feature AUC, use; derived ratios; the leakage audit."""
    page.add("## 3. Feature engineering", "")
    m = fig.metrics or {}
    training = m.get("training", {})
    model_feats = set((training.get("features") or {}).keys())
    seg_feats = set(((fig.segments or {}).get("settings") or {}).get("features") or [])
    auc = (m.get("leakage") or {}).get("single_feature_auc") or {}
    data = fig.data
    impute = {f["name"]: f.get("impute") for f in
              (((fig.segments or {}).get("transform") or {}).get("features") or [])}
    src = (fig.data_source if data is not None else
           "no data.parquet in the run and no --data: missing rates not shown")
    sample = (policy.targets_for(m).brief_sample if m else
              data is not None and set(schema.FEATURES) <= set(data.columns))
    if not sample:
        miss = _own_features(page, fig, model_feats, seg_feats, auc, src)
    else:
        miss = _sample_features(page, fig, model_feats, seg_feats, auc, src)
    _features_tail(page, fig, sample, miss, impute, auc)


def _own_features(page: Page, fig: Figures, model_feats: set, seg_feats: set, auc: dict,
                  src: str) -> dict[str, float]:
    """Section 3's feature table for any table but the brief's sample: the table's own
    features (the model's inputs, then the segmentation's), with the kind the model inferred
    (numeric / categorical), the missing share when the table is at hand, the single-feature
    AUC of the leakage audit and where each is used. Returns the missing shares."""
    m = fig.metrics or {}
    training = m.get("training") or {}
    derived = {d.get("name") for d in training.get("derived_features") or []}
    kinds = {k: v for k, v in (training.get("features") or {}).items() if k not in derived}
    names = list(kinds) + [f for f in sorted(seg_feats) if f not in kinds]
    data = fig.data
    if data is not None:
        for name in names:
            if name not in kinds and name in data.columns:
                kinds[name] = "continuous" if data.schema[name].is_numeric() else "nominal"
    miss = missing_rates(data, names) if data is not None else {}
    rows = []
    for name in names:
        used = [u for u, s in (("model", model_feats), ("segments", seg_feats)) if name in s]
        kind = {"continuous": "numeric", "nominal": "categorical"}.get(kinds.get(name, ""), kinds.get(name, "-"))
        rows.append([f"`{name}`", kind, pct(miss.get(name)) if name in miss else "-",
                     fmt(auc.get(name)), ", ".join(used) or "-"])
    page.add(f"This table's {len(names)} features, as the model read them (kind inferred from the "
             f"values), with their share of missing values ({src}), single-feature ROC AUC from the "
             "leakage audit (training rows; '-' where not recorded) and where each is used.", "")
    if rows:
        page.add(*_table(["Feature", "Kind", "Missing", "Single AUC", "Used by"], rows))
    return miss


def _sample_features(page: Page, fig: Figures, model_feats: set, seg_feats: set, auc: dict,
                     src: str) -> dict[str, float]:
    """Section 3's feature tables for the brief's sample: by schema group, with units and meanings."""
    data = fig.data
    names = [c.name for c in schema.COLUMNS if data is None or c.name in data.columns or c.name in model_feats]
    miss = missing_rates(data, names) if data is not None else {}
    page.add(f"The customer table's features by group (schema), with their share of missing values "
             f"({src}), single-feature ROC AUC from the leakage audit (training rows) and where "
             "each is used.", "")
    for group in schema.GROUPS:
        rows = []
        for c in schema.COLUMNS:
            if c.group != group or c.name not in names:
                continue
            used = [u for u, s in (("model", model_feats), ("segments", seg_feats)) if c.name in s]
            rows.append([f"`{c.name}`", c.unit or c.kind, pct(miss.get(c.name)) if miss else "-",
                         fmt(auc.get(c.name)), ", ".join(used) or "-", c.meaning])
        if rows:
            page.add(f"### {group.capitalize()} ({len(rows)})", "",
                     *_table(["Feature", "Unit", "Missing", "Single AUC", "Used by", "Meaning"], rows))
    return miss


def _features_tail(page: Page, fig: Figures, sample: bool, miss: dict, impute: dict, auc: dict) -> None:
    """Section 3 after the feature tables: derived ratios, missing values, the leakage audit."""
    m = fig.metrics or {}
    training = m.get("training", {})
    data = fig.data
    derived = training.get("derived_features") or []
    if derived:
        dmiss = derived_missing_rates(data, derived) if data is not None else {}
        rows = [[f"`{d['name']}`", f"`{d['numerator']}` / `{d['denominator']}`",
                 pct(dmiss.get(d["name"])) if dmiss else "-", fmt(auc.get(d["name"])), d.get("doc", "")]
                for d in derived]
        page.add("### Derived features", "",
                 "Ratios the EBM cannot build from single features without an interaction term; "
                 "monotone transforms (log, scaling) are not added because the EBM bins every "
                 "feature itself.", "",
                 *_table(["Feature", "Formula", "Missing", "Single AUC", "Why"], rows))
    page.add("### Missing values", "",
             "- Purchase model: missing values stay missing. The EBM learns a separate score for "
             "*missing* on every feature (shown in the shape charts)"
             + (", which is right for marketing fields that are missing because there is no consent"
                if sample else ", which keeps what a missing value says about a customer") + ". "
             + ("A ratio whose denominator is 0 or missing is itself missing, never 0 or infinity."
                if training.get("derived_features") else ""))
    imputed = {k: v for k, v in impute.items() if miss.get(k)}
    if impute:
        listed = ", ".join(f"`{k}` {v:g}" for k, v in imputed.items() if v is not None) or "none needed"
        page.add("- Segments: missing values are imputed with the training median before "
                 f"clustering (medians used in this run: {listed})"
                 + ("; consent status is reported in the segment profiles rather than used to form "
                    "segments." if sample else "."))
    page.add("")
    leak = m.get("leakage")
    if leak:
        findings = leak.get("findings") or []
        page.add("### Leakage audit", "",
                 f"Before training, every feature is checked on the training rows: names pointing at "
                 f"the future, and any feature that alone reaches ROC AUC >= "
                 f"{fmt(leak.get('max_single_feature_auc'), 2)} (the signature of a field derived from "
                 "the outcome) is refused unless explicitly allowed.", "")
        if findings:
            page.add(*_table(["Feature", "Reason", "AUC", "Allowed"],
                             [[f"`{f['feature']}`", f["reason"], fmt(f.get("auc")),
                               "yes" if f.get("allowed") else "no (dropped)"] for f in findings]))
        else:
            page.add("Findings: none; no feature was refused.", "")
        top = list(auc.items())[:8]
        if top:
            page.add("Highest single-feature AUCs (strong but plausible predictors, below the refusal "
                     "line):", "", *_table(["Feature", "Single-feature AUC"], [[f"`{k}`", fmt(v)] for k, v in top]))

def validation(page: Page, fig: Figures) -> None:
    """4. How the model and the segments were checked: split, threshold, calibration, deciles, k, stability, fidelity."""
    page.add("## 4. Validation", "")
    from toolkit.report.sections_logs import backtest

    backtest(page, fig)  # across periods first, when the run has one
    m = fig.metrics
    if m:
        rows = m.get("training", {}).get("rows") or {}
        settings = m.get("training", {}).get("settings") or {}
        test, valid = m["test"], m.get("validation", {})
        page.add("### Purchase model", "",
                 f"Split before anything is fitted, stratified on the target (seed "
                 f"{settings.get('seed', '-')}): train {fmt(rows.get('train'))}, validation "
                 f"{fmt(rows.get('validation'))}, test {fmt(rows.get('test'))} customers. The leakage audit "
                 "and the EBM see only the training rows; the threshold is chosen on validation rows; "
                 "the test rows are used once, for the numbers below.", "",
                 f"**Threshold**: {fmt(test.get('threshold'))}, the probability that maximises F1 on the "
                 f"validation rows (validation F1 {fmt(valid.get('best_f1'))}). On test rows at that "
                 f"threshold: F1 {fmt(test.get('f1'))}, precision {fmt(test.get('precision'))}, recall "
                 f"{fmt(test.get('recall'))}, accuracy {fmt(test.get('accuracy'))}.", "")
        cm = test.get("confusion_matrix")
        if cm:
            page.add("Confusion matrix (test, at the threshold):", "",
                     *_table(["", "predicted: will purchase", "predicted: will not"],
                             [["actual: purchased", fmt(cm["tp"]), fmt(cm["fn"])],
                              ["actual: did not", fmt(cm["fp"]), fmt(cm["tn"])]]))
        cal = test.get("calibration") or []
        if cal:
            from toolkit.report.charts import calibration_chart

            page.add(f"**Calibration**: expected calibration error {fmt(fig.sf.get('calibration_error'))} "
                     f"(customer-weighted mean gap between predicted and observed rate), Brier score "
                     f"{fmt(test.get('brier'))}.", "")
            page.image(calibration_chart(cal, page.files / "calibration.png"), "Calibration chart")
            page.add(*_table(["Predicted range", "Customers", "Mean predicted", "Observed rate"],
                             [[f"{b['lower']:.1f}-{b['upper']:.1f}", fmt(b['customers']),
                               fmt(b.get('mean_predicted')), fmt(b.get('observed_rate'))]
                              for b in cal if b.get("customers")]))
        dec = test.get("deciles") or []
        if dec:
            from toolkit.report.charts import gains_chart

            page.add("**Lift and gains by decile** (test customers sorted by predicted probability; "
                     "decile 1 is the top 10 %):", "")
            page.image(gains_chart(dec, page.files / "gains.png"), "Lift and gains chart")
            page.add(*_table(["Decile", "Customers", "Probability range", "Purchase rate", "Lift", "Cumulative gain"],
                             [[d["decile"], fmt(d["customers"]),
                               f"{fmt(d.get('min_probability'))}-{fmt(d.get('max_probability'))}",
                               pct(d.get("purchase_rate")), f"{fmt(d.get('lift'), 2)}x",
                               pct(d.get("cumulative_gain"))] for d in dec]))
    seg = fig.segments
    if not seg:
        page.add("### Segments", "", "Segmentation has not run in this folder (no segments.json).", "")
        return
    stab = seg.get("stability") or {}
    page.add("### Segments", "",
             f"**Choice of k**: {seg.get('k_reason', '-')}. Candidates (silhouette on a sample; "
             "stability = mean bootstrap Jaccard of the clusters):", "",
             *_table(["k", "Silhouette", "Stability", "Lowest Jaccard", "ARI", "Bootstraps", "Score", "Chosen"],
                     [[c["k"], fmt(c.get("silhouette")), fmt(c.get("stability")), fmt(c.get("min_jaccard")),
                       fmt(c.get("ari")), c.get("bootstraps", "-"), fmt(c.get("score")),
                       "yes" if c.get("chosen") else ""] for c in seg.get("candidates") or []]))
    names = {s["id"]: s.get("name", s["id"]) for s in seg.get("segments") or []}
    cj, rj = stab.get("cluster_jaccard") or {}, stab.get("rules_jaccard") or {}
    th = stab.get("thresholds") or {}
    page.add(f"**Bootstrap stability** over {stab.get('bootstraps', '-')} refits: cluster ARI "
             f"{fmt(stab.get('cluster_ari'))}, rules ARI {fmt(stab.get('rules_ari'))}. Per segment "
             f"(Jaccard of the best-matching refitted segment; >= {th.get('stable', policy.STABLE_JACCARD)} stable, "
             f">= {th.get('highly_stable', policy.HIGHLY_STABLE_JACCARD)} highly stable):", "",
             *_table(["Segment", "Cluster Jaccard", "Rules Jaccard"],
                     [[f"{names.get(k, k)} (`{k}`)", fmt(v), fmt(rj.get(k))] for k, v in cj.items()]))
    cost = seg.get("cost_ratio")
    price = (f"the rules' segments are {pct(cost - 1)} less compact than the clusters they mimic"
             if cost is not None and cost >= 1 else "the rules are as compact as the clusters")
    page.add(f"**Fidelity** {fmt(seg.get('fidelity'))}: share of {fmt(seg.get('held_out_rows'))} held-out "
             "customers the rules put in the same segment as the clusters. "
             f"**Cost ratio** {fmt(cost)}: within-segment squared distance of the rule segments over "
             f"that of the clusters, the price of explainability: {price}. **Coverage** "
             f"{pct(seg.get('coverage'))}: customers matched by an explicit rule (the rest fall to the "
             "default segment).", "")
    statement = (seg.get("goal") or {}).get("statement")
    if statement:
        page.add(f"**Distillation goal**: {statement}", "")

def explanation(page: Page, fig: Figures) -> None:
    """5. Term importances and the strongest shape functions, charted and put in words."""
    page.add("## 5. Model explanation", "")
    sc = fig.scorecard
    if sc is None:
        page.add("No scorecard in this run.", "")
        return
    from toolkit.report.charts import importances_chart, shape_chart

    imp = sc.term_importances()
    page.add(f"The scorecard adds up {len(sc.terms)} terms (one shape function per feature plus "
             f"pairwise interactions) on the log-odds scale. Importance is the mean absolute "
             "contribution on the training rows.", "")
    page.image(importances_chart(imp, page.files / "importances.png"), "Term importances")
    page.add(*_table(["Term", "Importance (log-odds)"], [[f"`{k}`", fmt(v)] for k, v in list(imp.items())[:10]]))
    main = [k for k in imp if k in sc.feature_names][:TOP_SHAPES]
    page.add(f"### The {len(main)} strongest shape functions", "",
             "Each chart shows the log-odds a feature adds at each value (0 = no effect; the dotted "
             "line is the score of a missing value). The sentence under each is generated from the "
             "shape's data.", "")
    for i, name in enumerate(main):
        bins = sc.shape(name)
        page.add(f"**{name}** (importance {fmt(imp[name])})", "")
        data = fig.data
        values = data[name] if data is not None and name in data.columns else None
        log_x = shape_axis(values, bins) == "log"
        page.image(shape_chart(bins, name, page.files / f"shape_{i + 1}_{name}.png", log_x=log_x),
                   f"Shape of {name}")
        page.add(describe_shape(bins, name, values), "")
    pairs = [k for k in imp if " & " in k]
    if pairs:
        page.add(f"Strongest interaction: `{pairs[0]}` (importance {fmt(imp[pairs[0]])}); "
                 f"{len(pairs)} pairwise terms in total.", "")
