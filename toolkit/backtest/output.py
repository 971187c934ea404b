"""What a backtest writes: backtest.json (atomically), backtest.png, and RUN/backtest.json.

The chart is drawn here rather than by :mod:`toolkit.report` (which sits above this package):
ROC-AUC per fold for the model and each baseline, one line each, the oracle dashed.
"""

from __future__ import annotations

import io
from pathlib import Path

from toolkit.data.files import atomic_write_bytes, atomic_write_json
from toolkit.run.folder import BACKTEST, BACKTEST_CHART, Run

JSON_NAME = "backtest.json"
CHART_NAME = BACKTEST_CHART
LABELS = {"model": "segkit (EBM)", "recency": "recency", "rfm_logistic": "RFM logistic",
          "bgnbd": "BG/NBD", "oracle": "oracle"}


def auc_series(document: dict) -> dict[str, list[float | None]]:
    """ROC-AUC per fold for the model and each baseline present in any fold, in fold order."""
    folds = document["folds"]
    names = ["model"] + [n for n in LABELS if n != "model"
                         and any(n in f["baselines"] for f in folds)]
    series = {}
    for name in names:
        values = []
        for fold in folds:
            m = fold["model"] if name == "model" else fold["baselines"].get(name)
            values.append(None if m is None else m.get("roc_auc"))
        series[name] = values
    return series


def chart_png(document: dict) -> bytes:
    """The ROC-AUC-per-fold chart as PNG bytes (matplotlib's Agg backend, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    folds = document["folds"]
    ticks = [f"{f['train_as_of']}\n-> {f['test_as_of']}" for f in folds]
    figure = Figure(figsize=(max(5.0, 1.6 * len(folds) + 3.0), 3.6), dpi=110)
    ax = figure.add_subplot(1, 1, 1)
    x = list(range(len(folds)))
    seen = []
    for name, values in auc_series(document).items():
        points = [(i, v) for i, v in zip(x, values) if v is not None]
        if not points:
            continue
        seen.extend(v for _, v in points)
        style = {"linestyle": "--", "color": "0.4"} if name == "oracle" else {}
        width = 2.4 if name == "model" else 1.4
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", linewidth=width,
                label=LABELS.get(name, name), **style)
    ax.set_xticks(x)
    ax.set_xticklabels(ticks, fontsize=8)
    if len(x) == 1:
        ax.set_xlim(-0.5, 0.5)
    if seen:
        low, high = min(seen), max(seen)
        pad = max(0.01, (high - low) * 0.15)
        ax.set_ylim(max(0.0, low - pad), min(1.0, high + pad))
    ax.set_ylabel("ROC-AUC on the test period")
    ax.set_title(f"Out-of-time backtest ({document.get('horizon_days')}-day purchase)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def write_backtest(document: dict, out_dir: str | Path, run: str | Path | None = None) -> list[Path]:
    """backtest.json and backtest.png into ``out_dir`` (and both into ``run``, where the
    report quotes them), each written atomically; the paths written."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    chart = chart_png(document)
    written = [atomic_write_json(folder / JSON_NAME, document, allow_nan=False),
               atomic_write_bytes(folder / CHART_NAME, chart)]
    if run is not None:
        target = Run(run)
        target.path.mkdir(parents=True, exist_ok=True)
        written.append(atomic_write_json(target.file(BACKTEST), document, allow_nan=False))
        written.append(atomic_write_bytes(target.file(BACKTEST_CHART), chart))
    return written


def output_paths(out_dir: str | Path, run: str | Path | None = None) -> list[Path]:
    """The files :func:`write_backtest` will write (to check them before any work)."""
    paths = [Path(out_dir) / JSON_NAME, Path(out_dir) / CHART_NAME]
    if run is not None:
        paths += [Run(run).file(BACKTEST), Run(run).file(BACKTEST_CHART)]
    return paths
