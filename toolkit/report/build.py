"""The run report: one markdown file and one self-contained HTML file per run folder.

``build_report(run_dir)`` reads the run's artifacts (metrics.json, scorecard.json,
split.parquet, timings.json, data.parquet and, when segmentation ran, segments.json,
segments.yaml) and writes:

* ``report.md``: nine sections (summary against the bars, supervised vs unsupervised,
  feature engineering, validation, model explanation, segment cards, both approaches
  together, deployment, recommendation);
* ``report_files/*.png``: the charts (:mod:`toolkit.report.charts`), referenced by the
  markdown, and ``report_files/scorecard_duckdb.sql``, the scorecard compiled to SQL
  (cached: rebuilt only when scorecard.json changes, because compiling takes a while);
* ``report.html``: the same content with the charts inlined (:mod:`toolkit.report.html`).

Every number in the report is read from those files or computed from them (missing rates
from data.parquet, the segment x decile table from the test customers), never typed in.
Plain-language sentences about shape functions come from :func:`toolkit.report.shape_text.describe_shape`, campaign
suggestions from the ruleset's ``campaign`` field or :func:`suggest_campaign`.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import polars as pl

from toolkit import policy, schema

from toolkit.run import folder as runs
from toolkit.run.compare import compare_approaches, supervised_figures, unsupervised_figures
from toolkit.fmt import num as fmt, pct
from toolkit.segments.campaigns import suggest_campaign
from toolkit.data.files import atomic_write_text
from toolkit.report.shape_text import ShapeSummary, describe_shape, shape_axis, summarize_shape  # noqa: F401 (re-exported)
from toolkit.policy import SCORING_BUDGET_SECONDS

REPORT_MD = runs.REPORT_MD
REPORT_HTML = runs.REPORT_HTML
FILES_DIR = runs.REPORT_FILES
SQL_CACHE = "scorecard_duckdb.sql"
TARGET_ROWS = policy.SCORING_TARGET_ROWS   # the bar: score 180K customers within SCORING_BUDGET_SECONDS
TOP_SHAPES = 4
MIN_CELL = 20                   # segment x decile cells with fewer test customers are too noisy to target

# ----------------------------------------------------------------------------------------
# loading the run


def _current_timings(run: runs.Run) -> tuple[dict | None, str | None]:
    """timings.json and a note, or (None, why) when it is older than scorecard.json: written
    by an earlier run into the same folder, so its seconds are not this model's."""
    timings = run.timings()
    if timings is not None and run.older(runs.TIMINGS, runs.SCORECARD):
        return None, ("timings.json is older than scorecard.json (left by an earlier run in this "
                      "folder), so its times are not reported")
    return timings, None


# ----------------------------------------------------------------------------------------
# computed tables


def missing_rates(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, float]:
    """Share of missing values (null, and NaN in float columns) per column."""
    out = {}
    n = max(frame.height, 1)
    for c in columns:
        if c not in frame.columns:
            continue
        s = frame.get_column(c)
        miss = s.null_count()
        if s.dtype.is_float():
            miss += int(s.is_nan().fill_null(False).sum())
        out[c] = miss / n
    return out


def decile_of(proba: np.ndarray) -> np.ndarray:
    """Propensity decile per row (1 = highest 10 %), split exactly as metrics.json's deciles."""
    n = len(proba)
    order = np.argsort(-proba, kind="stable")
    edges = np.linspace(0, n, 11).round().astype(int)
    out = np.empty(n, dtype=np.int64)
    for d in range(10):
        out[order[edges[d]:edges[d + 1]]] = d + 1
    return out


def segment_decile_table(run: runs.Run, data: pl.DataFrame | None, ruleset) -> dict | None:
    """Test customers by segment x propensity decile: counts and actual purchase rates.

    Uses only customers labelled ``test`` in split.parquet (never seen by training or the
    threshold choice); probabilities from the scorecard, segments from the ruleset. None
    when there is no customer table (``data``: the run's data.parquet or --data), no
    split.parquet, scorecard or ``ruleset``.
    """
    split, scorecard = run.split(), run.scorecard()
    if any(x is None for x in (data, split, scorecard, ruleset)):
        return None
    idc, target = run.id_column, run.target
    if target not in data.columns:
        return None
    test_ids = split.filter(pl.col("split") == "test").get_column(idc)
    test = data.filter(pl.col(idc).is_in(test_ids.implode()))
    if test.height == 0:
        return None
    proba = np.asarray(scorecard.predict_proba(test), dtype=float)
    seg = ruleset.apply(test).get_column("segment").to_numpy()
    y = test.get_column(target).cast(pl.Float64).to_numpy()
    dec = decile_of(proba)
    order = [s.id for s in ruleset.segments] + [ruleset.default.id]
    names = dict(ruleset.names)
    rows = []
    for sid in order:
        mask = seg == sid
        cells = []
        for d in range(1, 11):
            m = mask & (dec == d)
            n = int(m.sum())
            cells.append({"decile": d, "customers": n, "purchase_rate": float(y[m].mean()) if n else None})
        n_seg = int(mask.sum())
        rows.append({"segment": sid, "name": names.get(sid, sid), "customers": n_seg,
                     "purchase_rate": float(y[mask].mean()) if n_seg else None,
                     "buyers": float(y[mask].sum()), "cells": cells})
    base = float(y.mean())
    totals = [{"decile": d, "customers": int((dec == d).sum()),
               "purchase_rate": float(y[dec == d].mean()) if (dec == d).any() else None}
              for d in range(1, 11)]
    return {"rows": rows, "totals": totals, "test_customers": int(test.height), "base_rate": base}


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


# ----------------------------------------------------------------------------------------
# SQL excerpt (cached)


def scorecard_sql(run: runs.Run, files: Path) -> tuple[str, Path, bool] | None:
    """(SQL, path, from_cache): the scorecard compiled for DuckDB, cached in report_files.

    The cache's first line records the scorecard file's SHA-256; a different scorecard
    rebuilds it. Compiling a 50-term scorecard takes tens of seconds, hence the cache.
    """
    card = run.scorecard()
    if card is None:
        return None
    digest = hashlib.sha256(run.file(runs.SCORECARD).read_bytes()).hexdigest()
    path = files / SQL_CACHE
    header = f"-- segkit scorecard sha256:{digest} dialect:duckdb table:customers\n"
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if text.startswith(header):
            return text[len(header):], path, True
    sql = card.to_sql("duckdb")
    atomic_write_text(path, header + sql)
    return sql, path, False


# ----------------------------------------------------------------------------------------
# markdown


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(cell(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return out + [""]


def _scoring_time(timings: dict | None) -> dict | None:
    """Measured scoring seconds and their linear scaling to TARGET_ROWS (timings.json)."""
    t = timings or {}
    seconds = (t.get("seconds") or {}).get("score")
    rows = t.get("rows")
    if seconds is None or not rows:
        return None
    scaled = seconds * TARGET_ROWS / rows
    return {"seconds": seconds, "rows": rows, "scaled": scaled, "scaled_from_other_size": rows != TARGET_ROWS}


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


class _Report:
    """Builds the markdown section by section; charts go to ``files``."""

    def __init__(self, run: runs.Run, files: Path, *, sql: bool, data: str | Path | None = None):
        """Reads every artifact first (a broken one fails before any chart is drawn).
        ``data``: the customer table for a run without data.parquet (one made by `segkit
        train`), checked to be the table the run was built from (:meth:`Run.customer_table`)."""
        self.run = run
        metrics, segments = run.results()
        self.timings, note = _current_timings(run)
        self.notes = [note] if note else []
        run.scorecard()
        self.ruleset = run.ruleset()   # read once: the report describes one version of the rules
        run.split()
        self.data = run.customer_table(data)
        self.data_source = Path(data).name if data is not None else runs.DATA  # the run's file or --data
        self.files = files
        self.sql = sql
        self.md: list[str] = []
        self.sf = supervised_figures(metrics)
        self.uf = unsupervised_figures(segments)
        self.charts: list[Path] = []
        self.decile_table = segment_decile_table(run, self.data, self.ruleset)

    # helpers
    def add(self, *lines: str) -> None:
        self.md.extend(lines)

    def image(self, path: Path, alt: str) -> None:
        self.charts.append(path)
        self.add(f"![{alt}]({FILES_DIR}/{path.name})", "")

    @property
    def profiles(self) -> list[dict]:
        return (self.run.segments_summary() or {}).get("profiles") or []

    @property
    def overall_rate(self) -> float | None:
        """Purchase rate over every customer the profiles cover (size-weighted)."""
        ps = [p for p in self.profiles if p.get("purchase_rate") is not None]
        total = sum(p["size"] for p in ps)
        return sum(p["size"] * p["purchase_rate"] for p in ps) / total if total else None

    # sections
    def build(self) -> str:
        run = self.run.path
        self.add(f"# segkit report: {run.name}", "",
                 f"Run folder `{run}`. Every figure below is read from this folder's files "
                 "(metrics.json, segments.json, timings.json, scorecard.json, split.parquet, "
                 "data.parquet) or computed from them.", "")
        toc = ["Summary", "Supervised vs unsupervised", "Feature engineering", "Validation",
               "Model explanation", "Segments", "Using both together", "Deployment", "Recommendation"]
        self.add(*[f"- [{i + 1}. {t}](#{i + 1}-{t.lower().replace(' ', '-')})" for i, t in enumerate(toc)], "")
        self.summary()
        self.comparison()
        self.features()
        self.validation()
        self.explanation()
        self.segment_cards()
        self.together()
        self.deployment()
        self.recommendation()
        return "\n".join(self.md).rstrip() + "\n"

    def summary(self) -> None:
        self.add("## 1. Summary", "")
        m = self.run.metrics()
        if not m:
            self.add("The purchase model was not trained in this run (no metrics.json).", "")
            return
        test = m["test"]
        timing = _scoring_time(self.timings)
        rows = []
        labels = {"roc_auc": "ROC AUC (test)", "f1": "F1 (test, threshold from validation)"}
        for check in policy.bar_checks(test):
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
            why = self.notes[0] if self.notes else "no timings.json in the run folder"
            rows.append([f"Scoring {TARGET_ROWS:,} customers", f"< {SCORING_BUDGET_SECONDS // 60} min",
                         f"not measured ({why})", "-"])
        self.add("Against the bars:", "", *_table(["Bar", "Target", "This run", "Verdict"], rows))
        if timing:
            note = ("Scoring time is `seconds.score` in timings.json: reading data.parquet, scoring "
                    "every customer with the scorecard (probability, decision, top 3 reasons), "
                    + ("assigning segments " if self.ruleset is not None else "")
                    + "and writing scores.parquet.")
            if timing["scaled_from_other_size"]:
                note += (f" This run has {timing['rows']:,} customers, so the time is scaled "
                         f"linearly to {TARGET_ROWS:,} (scoring is streamed in batches, so time grows "
                         "about linearly with rows).")
            self.add(note, "")
        base = m.get("baselines", {})
        brows = [["EBM (this run)", fmt(test.get("roc_auc")), fmt(test.get("pr_auc")), fmt(test.get("f1")),
                  fmt(test.get("brier"))]]
        for key, label in (("logistic_regression", "Logistic regression (same features, same split)"),
                           ("base_rate", "Base rate (everyone gets the training purchase rate)"),
                           ("oracle", "Oracle (the generator's true probabilities: the ceiling)")):
            if key in base:
                b = base[key]
                brows.append([label, fmt(b.get("roc_auc")), fmt(b.get("pr_auc")), fmt(b.get("f1")),
                              fmt(b.get("brier"))])
        self.add(f"Held-out test customers: {fmt(test.get('rows'))} (purchase rate "
                 f"{pct(test.get('positive_rate'))}).", "",
                 *_table(["Model", "ROC AUC", "PR AUC", "F1", "Brier"], brows))
        ebm, logit, oracle = self.sf.get("roc_auc"), self.sf.get("logistic_auc"), self.sf.get("oracle_auc")
        if None not in (ebm, logit, oracle) and oracle > logit:
            closed = (ebm - logit) / (oracle - logit)
            self.add(f"The EBM is {fmt(ebm - logit)} AUC above logistic regression and {fmt(oracle - ebm)} "
                     f"below the oracle: it closes {pct(closed, 0)} of the gap between the simple "
                     "baseline and the best any model could do on this data.", "")

    def comparison(self) -> None:
        self.add("## 2. Supervised vs unsupervised", "",
                 "The purchase model and the segments answer different questions; this table "
                 "puts them side by side with this run's numbers.", "")
        rows = compare_approaches(self.run)
        self.add(*_table(["", "Supervised: purchase model (EBM)", "Unsupervised: segments (k-means -> rules)"],
                         [[f"**{r.aspect}**", r.supervised, r.unsupervised] for r in rows]))

    def features(self) -> None:
        self.add("## 3. Feature engineering", "")
        m = self.run.metrics() or {}
        training = m.get("training", {})
        model_feats = set((training.get("features") or {}).keys())
        seg_feats = set(((self.run.segments_summary() or {}).get("settings") or {}).get("features") or [])
        auc = (m.get("leakage") or {}).get("single_feature_auc") or {}
        data = self.data
        names = [c.name for c in schema.COLUMNS if data is None or c.name in data.columns or c.name in model_feats]
        miss = missing_rates(data, names) if data is not None else {}
        impute = {f["name"]: f.get("impute") for f in
                  (((self.run.segments_summary() or {}).get("transform") or {}).get("features") or [])}
        src = (self.data_source if data is not None else
               "no data.parquet in the run and no --data: missing rates not shown")
        self.add(f"The customer table's features by group (schema), with their share of missing values "
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
                self.add(f"### {group.capitalize()} ({len(rows)})", "",
                         *_table(["Feature", "Unit", "Missing", "Single AUC", "Used by", "Meaning"], rows))
        derived = training.get("derived_features") or []
        if derived:
            dmiss = {}
            if data is not None:
                from toolkit.model.features import Ratio, add_derived

                ratios = [Ratio.from_dict(d) for d in derived]
                ok = [r for r in ratios if r.numerator in data.columns and r.denominator in data.columns]
                dmiss = missing_rates(add_derived(data.select(
                    list({c for r in ok for c in (r.numerator, r.denominator)})), ok), [r.name for r in ok])
            rows = [[f"`{d['name']}`", f"`{d['numerator']}` / `{d['denominator']}`",
                     pct(dmiss.get(d["name"])) if dmiss else "-", fmt(auc.get(d["name"])), d.get("doc", "")]
                    for d in derived]
            self.add("### Derived features", "",
                     "Ratios the EBM cannot build from single features without an interaction term; "
                     "monotone transforms (log, scaling) are not added because the EBM bins every "
                     "feature itself.", "",
                     *_table(["Feature", "Formula", "Missing", "Single AUC", "Why"], rows))
        self.add("### Missing values", "",
                 "- Purchase model: missing values stay missing. The EBM learns a separate score for "
                 "*missing* on every feature (shown in the shape charts), which is right for marketing "
                 "fields that are missing because there is no consent. A ratio whose denominator is 0 "
                 "or missing is itself missing, never 0 or infinity.")
        imputed = {k: v for k, v in impute.items() if miss.get(k)}
        if impute:
            listed = ", ".join(f"`{k}` {v:g}" for k, v in imputed.items() if v is not None) or "none needed"
            self.add("- Segments: missing values are imputed with the training median before "
                     f"clustering (medians used in this run: {listed}); consent status is reported in "
                     "the segment profiles rather than used to form segments.")
        self.add("")
        leak = m.get("leakage")
        if leak:
            findings = leak.get("findings") or []
            self.add("### Leakage audit", "",
                     f"Before training, every feature is checked on the training rows: names pointing at "
                     f"the future, and any feature that alone reaches ROC AUC >= "
                     f"{fmt(leak.get('max_single_feature_auc'), 2)} (the signature of a field derived from "
                     "the outcome) is refused unless explicitly allowed.", "")
            if findings:
                self.add(*_table(["Feature", "Reason", "AUC", "Allowed"],
                                 [[f"`{f['feature']}`", f["reason"], fmt(f.get("auc")),
                                   "yes" if f.get("allowed") else "no (dropped)"] for f in findings]))
            else:
                self.add("Findings: none; no feature was refused.", "")
            top = list(auc.items())[:8]
            if top:
                self.add("Highest single-feature AUCs (strong but plausible predictors, below the refusal "
                         "line):", "", *_table(["Feature", "Single-feature AUC"], [[f"`{k}`", fmt(v)] for k, v in top]))

    def validation(self) -> None:
        self.add("## 4. Validation", "")
        m = self.run.metrics()
        if m:
            rows = m.get("training", {}).get("rows") or {}
            settings = m.get("training", {}).get("settings") or {}
            test, valid = m["test"], m.get("validation", {})
            self.add("### Purchase model", "",
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
                self.add("Confusion matrix (test, at the threshold):", "",
                         *_table(["", "predicted: will purchase", "predicted: will not"],
                                 [["actual: purchased", fmt(cm["tp"]), fmt(cm["fn"])],
                                  ["actual: did not", fmt(cm["fp"]), fmt(cm["tn"])]]))
            cal = test.get("calibration") or []
            if cal:
                from toolkit.report.charts import calibration_chart

                self.add(f"**Calibration**: expected calibration error {fmt(self.sf.get('calibration_error'))} "
                         f"(customer-weighted mean gap between predicted and observed rate), Brier score "
                         f"{fmt(test.get('brier'))}.", "")
                self.image(calibration_chart(cal, self.files / "calibration.png"), "Calibration chart")
                self.add(*_table(["Predicted range", "Customers", "Mean predicted", "Observed rate"],
                                 [[f"{b['lower']:.1f}-{b['upper']:.1f}", fmt(b['customers']),
                                   fmt(b.get('mean_predicted')), fmt(b.get('observed_rate'))]
                                  for b in cal if b.get("customers")]))
            dec = test.get("deciles") or []
            if dec:
                from toolkit.report.charts import gains_chart

                self.add("**Lift and gains by decile** (test customers sorted by predicted probability; "
                         "decile 1 is the top 10 %):", "")
                self.image(gains_chart(dec, self.files / "gains.png"), "Lift and gains chart")
                self.add(*_table(["Decile", "Customers", "Probability range", "Purchase rate", "Lift", "Cumulative gain"],
                                 [[d["decile"], fmt(d["customers"]),
                                   f"{fmt(d.get('min_probability'))}-{fmt(d.get('max_probability'))}",
                                   pct(d.get("purchase_rate")), f"{fmt(d.get('lift'), 2)}x",
                                   pct(d.get("cumulative_gain"))] for d in dec]))
        seg = self.run.segments_summary()
        if not seg:
            self.add("### Segments", "", "Segmentation has not run in this folder (no segments.json).", "")
            return
        stab = seg.get("stability") or {}
        self.add("### Segments", "",
                 f"**Choice of k**: {seg.get('k_reason', '-')}. Candidates (silhouette on a sample; "
                 "stability = mean bootstrap Jaccard of the clusters):", "",
                 *_table(["k", "Silhouette", "Stability", "Lowest Jaccard", "ARI", "Bootstraps", "Score", "Chosen"],
                         [[c["k"], fmt(c.get("silhouette")), fmt(c.get("stability")), fmt(c.get("min_jaccard")),
                           fmt(c.get("ari")), c.get("bootstraps", "-"), fmt(c.get("score")),
                           "yes" if c.get("chosen") else ""] for c in seg.get("candidates") or []]))
        names = {s["id"]: s.get("name", s["id"]) for s in seg.get("segments") or []}
        cj, rj = stab.get("cluster_jaccard") or {}, stab.get("rules_jaccard") or {}
        th = stab.get("thresholds") or {}
        self.add(f"**Bootstrap stability** over {stab.get('bootstraps', '-')} refits: cluster ARI "
                 f"{fmt(stab.get('cluster_ari'))}, rules ARI {fmt(stab.get('rules_ari'))}. Per segment "
                 f"(Jaccard of the best-matching refitted segment; >= {th.get('stable', policy.STABLE_JACCARD)} stable, "
                 f">= {th.get('highly_stable', policy.HIGHLY_STABLE_JACCARD)} highly stable):", "",
                 *_table(["Segment", "Cluster Jaccard", "Rules Jaccard"],
                         [[f"{names.get(k, k)} (`{k}`)", fmt(v), fmt(rj.get(k))] for k, v in cj.items()]))
        cost = seg.get("cost_ratio")
        price = (f"the rules' segments are {pct(cost - 1)} less compact than the clusters they mimic"
                 if cost is not None and cost >= 1 else "the rules are as compact as the clusters")
        self.add(f"**Fidelity** {fmt(seg.get('fidelity'))}: share of {fmt(seg.get('held_out_rows'))} held-out "
                 "customers the rules put in the same segment as the clusters. "
                 f"**Cost ratio** {fmt(cost)}: within-segment squared distance of the rule segments over "
                 f"that of the clusters, the price of explainability: {price}. **Coverage** "
                 f"{pct(seg.get('coverage'))}: customers matched by an explicit rule (the rest fall to the "
                 "default segment).", "")

    def explanation(self) -> None:
        self.add("## 5. Model explanation", "")
        sc = self.run.scorecard()
        if sc is None:
            self.add("No scorecard in this run.", "")
            return
        from toolkit.report.charts import importances_chart, shape_chart

        imp = sc.term_importances()
        self.add(f"The scorecard adds up {len(sc.terms)} terms (one shape function per feature plus "
                 f"pairwise interactions) on the log-odds scale. Importance is the mean absolute "
                 "contribution on the training rows.", "")
        self.image(importances_chart(imp, self.files / "importances.png"), "Term importances")
        self.add(*_table(["Term", "Importance (log-odds)"], [[f"`{k}`", fmt(v)] for k, v in list(imp.items())[:10]]))
        main = [k for k in imp if k in sc.feature_names][:TOP_SHAPES]
        self.add(f"### The {len(main)} strongest shape functions", "",
                 "Each chart shows the log-odds a feature adds at each value (0 = no effect; the dotted "
                 "line is the score of a missing value). The sentence under each is generated from the "
                 "shape's data.", "")
        for i, name in enumerate(main):
            bins = sc.shape(name)
            self.add(f"**{name}** (importance {fmt(imp[name])})", "")
            data = self.data
            values = data[name] if data is not None and name in data.columns else None
            log_x = shape_axis(values, bins) == "log"
            self.image(shape_chart(bins, name, self.files / f"shape_{i + 1}_{name}.png", log_x=log_x),
                       f"Shape of {name}")
            self.add(describe_shape(bins, name, values), "")
        pairs = [k for k in imp if " & " in k]
        if pairs:
            self.add(f"Strongest interaction: `{pairs[0]}` (importance {fmt(imp[pairs[0]])}); "
                     f"{len(pairs)} pairwise terms in total.", "")

    def segment_cards(self) -> None:
        self.add("## 6. Segments", "")
        seg = self.run.segments_summary()
        if not seg:
            self.add("Segmentation has not run in this folder.", "")
            return
        from toolkit.report.charts import segments_chart

        base = self.overall_rate
        self.image(segments_chart(self.profiles, base, self.files / "segments.png"), "Segment sizes and purchase rates")
        segs = {s["id"]: s for s in seg.get("segments") or []}
        stab = (seg.get("stability") or {}).get("cluster_jaccard") or {}
        rs = self.ruleset
        # the ruleset (segments.yaml) wins over segments.json for rule, name and campaign:
        # analysts edit the YAML after the run
        ruleset_segs = {s.id: s for s in [*rs.segments, rs.default]} if rs is not None else {}
        for p in self.profiles:
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
            self.add(f"### {name} (`{p['id']}`)", "",
                     f"- **Rule**: {rule_text}",
                     f"- **Size**: {fmt(p.get('size'))} customers ({pct(p.get('share'))})",
                     f"- **Purchase rate**: {pct(p.get('purchase_rate'))} (overall {pct(base)}); "
                     f"**mean propensity** {fmt(p.get('mean_probability'))}",
                     f"- **Stability**: bootstrap Jaccard {fmt(stab.get(p['id']))}",
                     f"- **Distinguishing features**: {'; '.join(diffs) or '-'}")
            if mix:
                self.add(f"- **Over-represented**: {'; '.join(mix)}")
            self.add(f"- **Suggested campaign**: {camp_text} ({why})", "")

    def together(self) -> None:
        self.add("## 7. Using both together", "")
        t = self.decile_table
        if t is None:
            self.add("Needs the scorecard, the ruleset, split.parquet and the customer table "
                     "(data.parquet in the run folder, or `segkit report --data FILE`); not all are "
                     "present.", "")
            return
        base = t["base_rate"]
        self.add(f"Segments say *what* to offer; the propensity says *whom* within a segment. Computed on "
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
        self.add(*_table(header, rows))
        self.add(f"Where to target within each segment (deciles with {MIN_CELL}+ test customers whose "
                 f"purchase rate is at least the overall {pct(base)}):", "")
        for r in t["rows"]:
            self.add(f"- **{r['name']}**: {targeting_advice(r, base)}")
        self.add("")

    def deployment(self) -> None:
        from toolkit import monitor

        self.add("## 8. Deployment", "", "### Artifacts", "")
        rows = []
        for name, what in ((runs.SCORECARD, "the compiled EBM: bins, score tables, threshold (JSON, no pickle)"),
                           (runs.RULESET, "the segment rules, editable by analysts (YAML, ordered, first match wins)"),
                           (runs.SEGMENTS, "segmentation figures: k choice, stability, fidelity, profiles"),
                           (runs.METRICS, "held-out metrics, baselines, leakage audit, training settings"),
                           (runs.SPLIT, "which customer was train / validation / test"),
                           (runs.SCORES, "scores for the run's own data")):
            p = self.run.file(name)
            if p.exists():
                rows.append([f"`{name}`", f"{p.stat().st_size / 1024:,.0f} KB", what])
        self.add(*_table(["File", "Size", "What"], rows))
        sc = self.run.scorecard()
        timing = _scoring_time(self.timings)
        self.add("### Scoring paths", "",
                 "- **Python**: `Scorecard.load('scorecard.json').score(frame)` returns id, "
                 "purchase_probability, will_purchase and reason_1..3; `Ruleset.load('segments.yaml')"
                 ".apply(frame)` adds the segment.",
                 f"- **CLI**: `segkit score --run {self.run.path} --data customers.parquet --out scores.parquet` "
                 "streams the file in batches (CSV or Parquet) and adds the segment when the run has "
                 "a ruleset.")
        if sc is not None and self.sql:
            compiled = scorecard_sql(self.run, self.files)
            sql = compiled[0]
            head, tail = sql[:360], sql[-260:]
            self.add(f"- **SQL in the warehouse**: `Scorecard.to_sql('duckdb')` compiles all {len(sc.terms)} "
                     f"terms into one SELECT of {len(sql):,} characters (also postgres, bigquery, snowflake, "
                     f"spark); the ruleset compiles with `segkit rules export --format sql`. The DuckDB "
                     f"query is saved as `{FILES_DIR}/{SQL_CACHE}`. Its start and end:", "",
                     "```sql", head + " ...", "... " + tail, "```", "")
        elif sc is not None:
            self.add(f"- **SQL in the warehouse**: `Scorecard.to_sql('duckdb')` compiles all {len(sc.terms)} "
                     "terms into one SELECT (not compiled for this report).", "")
        if timing:
            self.add(f"Measured scoring time for this data: {_duration(timing['seconds'])} for "
                     f"{timing['rows']:,} customers"
                     + (f" (about {_duration(timing['scaled'])} for {TARGET_ROWS:,}, scaled linearly)."
                        if timing["scaled_from_other_size"] else "."), "")
        self.add("### Schedule and retraining", "",
                 "- Score before every campaign run (daily or weekly); the scorecard is pure data, so "
                 "scoring needs no model server.",
                 f"- Retrain the purchase model monthly, or at once when `segkit monitor` reports the score "
                 f"or a top-5 feature at PSI > {monitor.ACT}, or when the realised purchase rate of a "
                 f"scored month differs from the mean prediction by more than 5 points.",
                 "- Re-run the segmentation quarterly, or when segment shares move by more than 5 points "
                 "or their PSI exceeds the act level; review the renamed rules before replacing "
                 "segments.yaml (campaigns refer to segment ids).", "")
        self.add("### Monitoring", "",
                 f"`segkit monitor --run {self.run.path} --data NEW_BATCH.parquet --strict` compares a new batch "
                 "with the training customers: population stability index (PSI) for every model input and "
                 "for the score, new category values, missing-rate changes and segment share shifts. "
                 f"PSI > {monitor.WATCH} is *watch*, > {monitor.ACT} is *act*; with `--strict` any *act* "
                 f"exits with code {monitor.STRICT_EXIT_CODE} so a scheduler can hold the scoring job.", "")

    def recommendation(self) -> None:
        self.add("## 9. Recommendation", "")
        s, u = self.sf, self.uf
        out = []
        if s:
            gain = (s["roc_auc"] - s["logistic_auc"]) if None not in (s.get("roc_auc"), s.get("logistic_auc")) else None
            bars_met = policy.bars_met(s)
            text = (f"Use the **purchase model** to decide who to contact for a purchase campaign: test ROC AUC "
                    f"{fmt(s.get('roc_auc'))} and F1 {fmt(s.get('f1'))} "
                    + ("meet the bars" if bars_met else "do NOT meet every bar") + "; the top decile buys at "
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
        if s and u and self.decile_table:
            spread = []
            for r in self.decile_table["rows"]:
                rates = [c["purchase_rate"] for c in r["cells"] if c["customers"] >= MIN_CELL]
                if len(rates) >= 2:
                    spread.append(max(rates) - min(rates))
            if spread:
                out.append(f"Use **both**: inside a segment the actual purchase rate still varies by up to "
                           f"{100 * max(spread):.0f} percentage points between propensity deciles (section 7), so pick the message by "
                           "segment and the recipients, or the discount depth, by propensity.")
        self.add(*[p + "\n" for p in out] or ["Nothing to recommend: the run has neither model nor segments.", ""])


def build_report(run_dir: str | Path, *, sql: bool = True, data: str | Path | None = None) -> list[Path]:
    """Write report.md, report.html and report_files/ into ``run_dir``; return [md, html].

    ``sql=False`` skips compiling the scorecard to SQL (the slowest step on a first build; the
    result is cached in report_files/ afterwards). ``data``: the customer table when the run
    folder has no data.parquet (runs made by `segkit train`).
    """
    from toolkit.report.html import markdown_to_html

    run = runs.Run.of(run_dir)
    files = run.file(FILES_DIR)
    builder = _Report(run, files, sql=sql, data=data)
    files.mkdir(parents=True, exist_ok=True)
    text = builder.build()
    md_path = atomic_write_text(run.file(REPORT_MD), text)
    html = markdown_to_html(text, title=f"segkit report: {run.path.name}", base_dir=run.path)
    html_path = atomic_write_text(run.file(REPORT_HTML), html)
    return [md_path, html_path]
