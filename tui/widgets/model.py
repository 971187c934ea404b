"""The Model tab: headline metrics against baselines and bars, term importances, shape
functions, interaction heat tables and the lift by decile -- all read from the run."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Label, Select, Static
from textual_plotext import PlotextPlot

from toolkit.run.verdicts import METRIC_KEYS, bar_checks, baseline_verdict, model_rows
from toolkit.report.shape_text import describe_shape, shape_axis
from tui.format import count, escape, num, pct, signed
from tui.widgets.barchart import BarChart

HEADERS = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC", "f1": "F1", "precision": "Precision",
           "recall": "Recall", "brier": "Brier"}
HEAT_STEPS = (15, 30, 45, 60, 80)


def short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _edge(value: float) -> str:
    return f"{value:.3g}"


def bin_label(b) -> str:
    """A short column label for a bin: its lower edge ("≥0.05"), "<0.05" for the first."""
    if b.lower is None and b.upper is not None:
        return f"<{_edge(b.upper)}"
    if b.lower is not None:
        return f"≥{_edge(b.lower)}"
    return b.label


def step_points(bins, *, log_x: bool = False) -> tuple[list[float], list[float]]:
    """x, y of a step line through the finite bins of a continuous shape (missing skipped).

    ``log_x``: the open upper end stops at 1.3 times the last edge (the report's axis) and
    the caller draws x as log10(1 + x).
    """
    finite = [b for b in bins if b.label not in ("missing", "other (unseen)")]
    if not finite:
        return [], []
    uppers = [b.upper for b in finite if b.upper is not None]
    lowers = [b.lower for b in finite if b.lower is not None]
    edges = sorted(set(uppers + lowers))
    span = (edges[-1] - edges[0]) if len(edges) > 1 else (abs(edges[0]) if edges else 1.0) or 1.0
    end = edges[-1] * 1.3 if (log_x and edges and edges[-1] > 0) else (edges[-1] + 0.05 * span if edges else 1.0)
    xs: list[float] = []
    ys: list[float] = []
    for b in finite:
        start = 0.0 if edges and edges[0] >= 0 else (edges[0] - 0.05 * span if edges else 0.0)
        lo = b.lower if b.lower is not None else min(start, edges[0] if edges else 0.0)
        hi = b.upper if b.upper is not None else end
        xs += [lo, hi]
        ys += [b.score, b.score]
    return xs, ys


def log_ticks(high: float) -> tuple[list[float], list[str]]:
    """Positions (log10(1 + x)) and labels of 0, 1, 10, 100, ... up to ``high``."""
    values = [0.0] + [10.0 ** k for k in range(0, int(math.log10(max(high, 1.0))) + 1)]
    return [math.log10(1 + v) for v in values], [f"{v:,.0f}" for v in values]


class ModelPane(VerticalScroll):
    """How good the purchase model is and what it learned."""

    BINDINGS = [
        Binding("f", "feature", "Feature"),
        Binding("i", "interaction", "Interaction"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scorecard = None
        self.metrics: dict | None = None
        self.shape_log_x = False
        self.frame = None  # the run's customers once loaded: the shape's axis and words use them

    def compose(self) -> ComposeResult:
        yield Static("Loading the model…", id="model-verdict")
        yield DataTable(id="model-metrics", cursor_type="none", zebra_stripes=True)
        yield Label("What drives the prediction (mean |contribution| per term)", classes="section")
        yield BarChart(id="model-importances")
        with Horizontal(classes="picker"):
            yield Label("Shape of ", classes="picker-label")
            yield Select([], prompt="Choose a feature", id="model-feature", allow_blank=True)
        yield PlotextPlot(id="model-shape")
        yield Static("", id="model-shape-note")
        with Horizontal(classes="picker"):
            yield Label("Interaction ", classes="picker-label")
            yield Select([], prompt="Choose an interaction term", id="model-interaction", allow_blank=True)
        yield Static("", id="model-heat-title")
        yield Static("", id="model-heat")
        yield Label("Lift by decile of predicted probability (test customers)", classes="section")
        yield DataTable(id="model-deciles", cursor_type="none", zebra_stripes=True)
        yield BarChart(id="model-lift")

    # -- metrics (metrics.json) ------------------------------------------------------------
    def set_metrics(self, metrics: dict | None) -> None:
        self.metrics = metrics
        verdict = self.query_one("#model-verdict", Static)
        table = self.query_one("#model-metrics", DataTable)
        table.clear(columns=True)
        if not metrics:
            verdict.update("This run has no model yet: train one with [b]segkit train --out RUN[/].")
            return
        test = metrics.get("test") or {}
        parts = []
        checks = bar_checks(metrics)   # the brief's bars on its sample, else declared targets
        for check in checks:
            mark = "[$success]✓ meets[/]" if check.passed else "[$error]✗ below[/]"
            what = "the declared target" if check.source == "declared" else "the bar"
            parts.append(f"{HEADERS.get(check.metric, check.metric)} [b]{num(check.value)}[/] "
                         f"{mark} {what} {check.bar}")
        versus = baseline_verdict(metrics)
        if not checks:
            parts.append(f"{HEADERS.get('roc_auc', 'ROC AUC')} [b]{num(test.get('roc_auc'))}[/] "
                         + (escape(versus) if versus else "(no baselines recorded)")
                         + " [dim](no targets declared: segkit train --target-auc)[/]")
        threshold = test.get("threshold")
        verdict.update(Content.from_markup(
            "[b]Purchase model on held-out test customers[/]  " + "   ".join(parts)
            + f"\n[dim]decision threshold {num(threshold)} (chosen on validation customers); "
              f"{count(test.get('rows'))} test customers, {pct(test.get('positive_rate'))} bought[/]"))
        table.add_column("Model", key="model")
        for key in METRIC_KEYS:
            table.add_column(HEADERS[key], key=key)
        for label, m in model_rows(metrics):
            style = "bold" if label.startswith("EBM") else ""
            table.add_row(Text(label, style=style),
                          *(Text(num(m.get(k)), justify="right", style=style) for k in METRIC_KEYS))
        self._show_deciles(test.get("deciles") or [])

    def _show_deciles(self, deciles: list[dict]) -> None:
        table = self.query_one("#model-deciles", DataTable)
        table.clear(columns=True)
        for key, header in (("decile", "Decile"), ("customers", "Customers"), ("range", "Probability"),
                            ("rate", "Bought"), ("lift", "Lift"), ("gain", "Cum. gain")):
            table.add_column(header, key=key)
        for d in deciles:
            table.add_row(
                str(d.get("decile")), Text(count(d.get("customers")), justify="right"),
                f"{num(d.get('min_probability'), 2)}–{num(d.get('max_probability'), 2)}",
                Text(pct(d.get("purchase_rate")), justify="right"),
                Text(f"{num(d.get('lift'), 2)}x", justify="right"),
                Text(pct(d.get("cumulative_gain")), justify="right"))
        lift = self.query_one("#model-lift", BarChart)
        lift.set_data("Lift per decile (1.00x = the average purchase rate)",
                      [f"decile {d.get('decile')}" for d in deciles], [d.get("lift") or 0.0 for d in deciles],
                      [f"{num(d.get('lift'), 2)}x" for d in deciles])

    # -- the scorecard ---------------------------------------------------------------------
    def set_scorecard(self, scorecard) -> None:
        self.scorecard = scorecard
        imp = scorecard.term_importances()
        top = list(imp.items())[:15]
        self.query_one("#model-importances", BarChart).set_data(
            f"Term importance (top {len(top)} of {len(imp)} terms)", [k for k, _ in top],
            [v for _, v in top], [f"{v:.3f}" for _, v in top])
        mains = [n for n in scorecard.feature_names
                 if any(t["features"] == [scorecard.feature_names.index(n)] for t in scorecard.terms)]
        by_importance = [k for k in imp if k in mains] + [m for m in mains if m not in imp]
        feature = self.query_one("#model-feature", Select)
        feature.set_options([(f, f) for f in by_importance])
        if by_importance:
            feature.value = by_importance[0]
            self.show_shape(by_importance[0])  # now, not on the Changed message: complete at once
        pairs = [t["name"] for t in scorecard.terms if len(t["features"]) == 2]
        pairs = [k for k in imp if k in pairs]
        inter = self.query_one("#model-interaction", Select)
        inter.set_options([(p, p) for p in pairs])
        if pairs:
            inter.value = pairs[0]
            self.show_interaction(pairs[0])
        else:
            self.query_one("#model-heat-title", Static).update("This model has no interaction terms.")

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.BLANK or self.scorecard is None:
            return
        if event.select.id == "model-feature":
            self.show_shape(str(event.value))
        elif event.select.id == "model-interaction":
            self.show_interaction(str(event.value))

    def show_shape(self, feature: str) -> None:
        bins = self.scorecard.shape(feature)
        continuous = any(b.lower is not None or b.upper is not None for b in bins)
        plot = self.query_one("#model-shape", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        missing = next((b.score for b in bins if b.label == "missing"), 0.0)
        values = self._values(feature)
        log_x = continuous and shape_axis(values, bins) == "log"

        if continuous:
            xs, ys = step_points(bins, log_x=log_x)
            if log_x:
                plt.plot([math.log10(1 + x) for x in xs], ys, marker="braille")
                ticks, labels = log_ticks(max(xs))
                plt.xticks(ticks, labels)
                plt.xlabel(f"{feature} (log scale)")
            else:
                plt.plot(xs, ys, marker="braille")
                plt.xlabel(feature)
            plt.hline(0.0)
        else:
            cats = [b for b in bins if b.label != "missing"]
            plt.bar([short(b.label, 16) for b in cats], [round(b.score, 4) for b in cats], width=0.5)
        plt.ylabel("log-odds")
        plt.title(f"{feature}: what each value adds to the log-odds of buying")
        plot.refresh()
        self.shape_log_x = log_x
        self.query_one("#model-shape-note", Static).update(Content.from_markup(
            f"[dim]{escape(describe_shape(bins, feature, values))} Missing value: {signed(missing)}; "
            "above 0 raises the probability.[/]"))

    def set_frame(self, frame) -> None:
        """The run's customers arrived: redraw the shape with the report's axis and words."""
        self.frame = frame
        feature = self.query_one("#model-feature", Select).value
        if self.scorecard is not None and feature is not Select.BLANK:
            self.show_shape(str(feature))

    def _values(self, feature: str):
        """The feature's column when the customers are loaded (None before: bin cuts decide)."""
        if self.frame is None or feature not in self.frame.columns:
            return None
        return self.frame.get_column(feature)

    def show_interaction(self, term: str) -> None:
        table = self.scorecard.interaction_table(term)
        scores = table.scores
        peak = max((abs(v) for row in scores for v in row), default=0.0) or 1.0
        a, b = table.features
        width = 8
        label_w = min(22, max(len(r.label) for r in table.rows) + 1)
        header = " " * label_w + "".join(short(bin_label(c), width - 1).rjust(width) for c in table.columns)
        self.query_one("#model-heat-title", Static).update(Content.from_markup(
            f"[b]{escape(term)}[/]: rows are {escape(a)}, columns {escape(b)} (from the value shown); "
            "log-odds added, [$success]green raises[/] and [$error]red lowers[/] the probability"))
        lines = ["[dim]" + escape(header) + "[/]"]
        for r, row in zip(table.rows, scores):
            cells = []
            for v in row:
                step = HEAT_STEPS[min(len(HEAT_STEPS) - 1, int(abs(v) / peak * len(HEAT_STEPS)))]
                colour = "$success" if v > 0 else "$error"
                text = f"{v:+.2f}".rjust(width)
                cells.append(f"[on {colour} {step}%]{text}[/]" if abs(v) >= 0.005 else text)
            lines.append(escape(short(r.label, label_w - 1).ljust(label_w)) + "".join(cells))
        self.query_one("#model-heat", Static).update(Content.from_markup("\n".join(lines)))

    # -- actions ---------------------------------------------------------------------------
    def action_feature(self) -> None:
        select = self.query_one("#model-feature", Select)
        select.focus()
        select.scroll_visible()

    def action_interaction(self) -> None:
        select = self.query_one("#model-interaction", Select)
        select.focus()
        select.scroll_visible()

    def choose_feature(self, feature: str) -> None:
        self.query_one("#model-feature", Select).value = feature

    def choose_interaction(self, term: str) -> None:
        self.query_one("#model-interaction", Select).value = term
