"""Supervised vs unsupervised, side by side, with this run's own numbers.

The two halves of segkit answer different questions, and people mix them up: a propensity
model is judged by how well it ranks customers on an outcome, a segmentation by whether its
groups are stable, readable and different in ways a marketer can act on. This module turns a
run folder into rows of a comparison table (question, inputs, objective, outputs,
evaluation, failure modes, users, when to use) that the report, the TUI "Compare" screen and
anything else can render. Rows are plain data: text for each side plus the raw figures the
text was built from, every figure read from the run's files (``metrics.json``,
``segments.json``); a side whose artifacts are absent says "not run" and has no figures.

The number formats used here (:func:`fmt`, :func:`pct`) are the ones the report prints, so a
figure shown in the TUI and in the report reads the same.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from toolkit import schema

from toolkit.run import folder as runs
from toolkit.fmt import num as fmt, pct  # noqa: F401 (the report's number formats, re-exported)
# Thresholds the verdicts in the text use: named and documented in toolkit.policy.
from toolkit.policy import GOOD_FIDELITY, SMALL_AUC_GAIN, STABLE_JACCARD  # noqa: F401 (re-exported)

NOT_RUN = "not run"


@dataclass(frozen=True)
class ComparisonRow:
    """One aspect compared: text per side, and the figures that text quotes."""

    key: str                          # stable identifier: "question", "inputs", ...
    aspect: str                       # display label: "Question it answers"
    supervised: str
    unsupervised: str
    supervised_figures: dict = field(default_factory=dict)
    unsupervised_figures: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------------------
# figures read from the run


def calibration_error(calibration: list[dict]) -> float | None:
    """Expected calibration error: customer-weighted mean |observed - predicted| over bins."""
    total = sum(b.get("customers") or 0 for b in calibration)
    if not total:
        return None
    gap = sum((b["customers"] or 0) * abs(b["observed_rate"] - b["mean_predicted"])
              for b in calibration if b.get("customers"))
    return gap / total


def supervised_figures(metrics: dict | None) -> dict:
    """The supervised side's headline figures from metrics.json ({} when not trained)."""
    if not metrics:
        return {}
    test = metrics.get("test", {})
    base = metrics.get("baselines", {})
    deciles = test.get("deciles") or []
    training = metrics.get("training", {})
    out = {
        "test_rows": test.get("rows"),
        "positive_rate": test.get("positive_rate"),
        "roc_auc": test.get("roc_auc"),
        "pr_auc": test.get("pr_auc"),
        "f1": test.get("f1"),
        "precision": test.get("precision"),
        "recall": test.get("recall"),
        "threshold": test.get("threshold"),
        "brier": test.get("brier"),
        "calibration_error": calibration_error(test.get("calibration") or []),
        "top_decile_lift": deciles[0].get("lift") if deciles else None,
        "top_decile_rate": deciles[0].get("purchase_rate") if deciles else None,
        "gain_top_30": deciles[2].get("cumulative_gain") if len(deciles) >= 3 else None,
        "logistic_auc": (base.get("logistic_regression") or {}).get("roc_auc"),
        "logistic_f1": (base.get("logistic_regression") or {}).get("f1"),
        "oracle_auc": (base.get("oracle") or {}).get("roc_auc"),
        "oracle_f1": (base.get("oracle") or {}).get("f1"),
        "features": len(training.get("features") or {}),
        "derived_features": len(training.get("derived_features") or []),
        "terms": training.get("terms"),
        "target": training.get("target"),
    }
    return out


def unsupervised_figures(segments: dict | None) -> dict:
    """The unsupervised side's headline figures from segments.json ({} when not run)."""
    if not segments:
        return {}
    stab = segments.get("stability") or {}
    jac = {k: v for k, v in (stab.get("cluster_jaccard") or {}).items() if v is not None}
    rates = [p.get("purchase_rate") for p in segments.get("profiles") or []
             if p.get("purchase_rate") is not None]
    return {
        "k": segments.get("k"),
        "k_reason": segments.get("k_reason"),
        "bootstraps": stab.get("bootstraps"),
        "cluster_ari": stab.get("cluster_ari"),
        "rules_ari": stab.get("rules_ari"),
        "min_cluster_jaccard": min(jac.values()) if jac else None,
        "unstable_segments": sorted(k for k, v in jac.items() if v < STABLE_JACCARD),
        "fidelity": segments.get("fidelity"),
        "cost_ratio": segments.get("cost_ratio"),
        "coverage": segments.get("coverage"),
        "held_out_rows": segments.get("held_out_rows"),
        "features": len((segments.get("settings") or {}).get("features") or []),
        "min_purchase_rate": min(rates) if rates else None,
        "max_purchase_rate": max(rates) if rates else None,
    }


def _groups(names: list[str]) -> str:
    """'behavioral 12, transactional 10, ...' for a list of feature names (schema groups)."""
    counts: dict[str, int] = {}
    for name in names:
        col = schema.describe(name)
        group = col.group if col else "derived/other"
        counts[group] = counts.get(group, 0) + 1
    order = list(schema.GROUPS) + ["derived/other"]
    return ", ".join(f"{g} {counts[g]}" for g in order if g in counts)


# ----------------------------------------------------------------------------------------
# the rows


def compare_approaches(run_dir: "runs.Run | str | Path", *, rules: dict | None = None) -> list[ComparisonRow]:
    """The supervised-vs-unsupervised comparison for one run folder.

    Needs at least one of ``metrics.json`` / ``segments.json``; a side without its files
    reads "not run" (its figures dict is empty). ``rules``: figures of the ruleset in use
    when it is not the one segmentation distilled (edited and saved), e.g.
    ``RunView.ruleset_figures(ruleset).as_overrides()``; they replace segments.json's
    fidelity, coverage and cost ratio, and the rows say the rules were edited.
    """
    metrics, segments = runs.Run.of(run_dir).results()
    s = supervised_figures(metrics)
    u = unsupervised_figures(segments)
    where = None
    if rules and u:
        u.update({k: rules[k] for k in ("fidelity", "coverage", "cost_ratio", "held_out_rows",
                                        "min_purchase_rate", "max_purchase_rate") if k in rules})
        u["edited_rules"] = True
        where = f"edited rules, {rules.get('rules_measured_on') or 'measured after the edit'}"
    has_s, has_u = bool(s), bool(u)
    rows: list[ComparisonRow] = []

    def add(key: str, aspect: str, sup: str, uns: str, sf: dict | None = None,
            uf: dict | None = None) -> None:
        rows.append(ComparisonRow(key, aspect, sup if has_s else NOT_RUN, uns if has_u else NOT_RUN,
                                  (sf or {}) if has_s else {}, (uf or {}) if has_u else {}))

    target = s.get("target") or schema.TARGET_COLUMN
    add("question", "Question it answers",
        f"Who will buy in the next 30 days? ({target}: a probability per customer)",
        "What kinds of customers do we have? (groups of similar behaviour, each with a rule)")

    sup_features = list((metrics or {}).get("training", {}).get("features") or {})
    seg_features = list(((segments or {}).get("settings") or {}).get("features") or [])
    add("inputs", "Inputs",
        f"Labelled history: {target} per customer; {len(sup_features)} features "
        f"({_groups(sup_features)}), profile fields included",
        f"No labels; {len(seg_features)} numeric features ({_groups(seg_features)}); profile "
        "fields only describe segments, they do not form them",
        {"labels": target, "features": len(sup_features)},
        {"labels": None, "features": len(seg_features)})

    add("objective", "What the algorithm optimises",
        "Explainable Boosting Machine: log-loss of the purchase label, one additive shape "
        f"function per feature plus a few pairwise terms ({s.get('terms', '-')} terms)",
        "k-means: within-segment squared distance on log/robust-scaled behaviour; k chosen by "
        "silhouette + bootstrap stability; a shallow tree then mimics the clusters as rules",
        {"terms": s.get("terms")}, {"k": u.get("k")})

    add("outputs", "Outputs",
        "purchase_probability, will_purchase (at the validation-chosen threshold "
        f"{fmt(s.get('threshold'))}) and the top 3 reasons per customer",
        f"A segment per customer out of {u.get('k', '-')}, each with a readable rule "
        "(segments.yaml), a name, a profile and a suggested campaign",
        {"threshold": s.get("threshold")}, {"k": u.get("k")})

    sup_eval = (f"Held-out test ({fmt(s.get('test_rows'))} customers): ROC AUC {fmt(s.get('roc_auc'))} "
                f"(logistic {fmt(s.get('logistic_auc'))}, oracle {fmt(s.get('oracle_auc'))}), "
                f"F1 {fmt(s.get('f1'))} at threshold {fmt(s.get('threshold'))}, calibration error (ECE) "
                f"{fmt(s.get('calibration_error'))}, top-decile lift {fmt(s.get('top_decile_lift'), 2)}x")
    uns_eval = (f"k={u.get('k', '-')}: cluster ARI {fmt(u.get('cluster_ari'))} over "
                f"{u.get('bootstraps', '-')} bootstraps (lowest segment Jaccard "
                f"{fmt(u.get('min_cluster_jaccard'))}); rules fidelity {fmt(u.get('fidelity'))} and "
                f"cost ratio {fmt(u.get('cost_ratio'))} on {fmt(u.get('held_out_rows'))} "
                + (f"customers ({where})" if where else "held-out customers")
                + (f"; purchase rate {pct(u.get('min_purchase_rate'))} to "
                   f"{pct(u.get('max_purchase_rate'))} across segments"
                   if u.get("min_purchase_rate") is not None else ""))   # omitted when not measured
    add("evaluation", "How it is evaluated (this run)", sup_eval, uns_eval,
        {k: s.get(k) for k in ("test_rows", "roc_auc", "logistic_auc", "oracle_auc", "f1",
                               "threshold", "calibration_error", "top_decile_lift")},
        {k: u.get(k) for k in ("k", "cluster_ari", "bootstraps", "min_cluster_jaccard",
                               "fidelity", "cost_ratio", "held_out_rows", "min_purchase_rate",
                               "max_purchase_rate")})

    gain = None
    if s.get("roc_auc") is not None and s.get("logistic_auc") is not None:
        gain = s["roc_auc"] - s["logistic_auc"]
    sup_fail = ("Leakage (a feature that knows the outcome) flatters validation; the label "
                "definition or the base rate shifts and probabilities drift out of calibration; "
                "it ranks customers but gives no shared vocabulary of customer types")
    if gain is not None and gain < SMALL_AUC_GAIN:
        sup_fail += (f"; here it beats the logistic baseline by only {fmt(gain)} AUC, so its "
                     "edge is the explanation, not the accuracy")
    unstable = u.get("unstable_segments") or []
    uns_fail = ("Clusters that move under resampling are artefacts, not customer types; rules "
                "that mimic clusters poorly (low fidelity) describe different people; segments "
                "can differ on things that do not matter for buying")
    if has_u:
        if unstable:
            uns_fail += (f"; here {len(unstable)} segment(s) fall below Jaccard "
                         f"{STABLE_JACCARD}: {', '.join(unstable)}")
        else:
            uns_fail += f"; here every segment keeps Jaccard >= {STABLE_JACCARD}"
        if u.get("fidelity") is not None and u["fidelity"] < GOOD_FIDELITY:
            uns_fail += f", and fidelity {fmt(u['fidelity'])} is below {GOOD_FIDELITY}"
    add("failure", "How it fails", sup_fail, uns_fail,
        {"auc_gain_over_logistic": gain}, {"unstable_segments": unstable, "fidelity": u.get("fidelity")})

    add("users", "Who uses the output",
        "CRM / campaign operations: who goes on the send list, how deep to go for a budget; "
        "data science monitors it",
        "Marketing strategy, creative and analysts: a shared vocabulary of customer types for "
        "planning messages and offers; the rules run as SQL in BI")

    add("when", "When to use it",
        "A specific action with a measurable outcome (buy within 30 days) and a limited budget: "
        "rank customers and contact the top deciles",
        "No label yet, or the question is what to say to whom: plan one message per segment; "
        "combine with the probability to choose who within a segment gets it")
    return rows


def as_dicts(rows: list[ComparisonRow]) -> list[dict]:
    """Rows as plain dicts (JSON-ready) for UIs that prefer them."""
    return [r.to_dict() for r in rows]
