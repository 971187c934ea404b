"""The run report: one markdown file and one self-contained HTML file per run folder.

``build_report(run_dir)`` reads the run's artifacts (metrics.json, scorecard.json,
split.parquet, timings.json, data.parquet and, when segmentation ran, segments.json,
segments.yaml) and writes:

* ``report.md``: nine sections (summary against the bars, supervised vs unsupervised,
  feature engineering, validation, model explanation, segment cards, both approaches
  together, deployment, recommendation), a tenth, Movement, when the run recorded a flow
  (flow.json); a run trained on a snapshot says its as-of date, and a recorded backtest is
  quoted first under Validation (:mod:`toolkit.report.sections_logs`);
* ``report_files/*.png``: the charts (:mod:`toolkit.report.charts`), referenced by the
  markdown, and ``report_files/scorecard_duckdb.sql``, the scorecard compiled to SQL
  (cached: rebuilt only when scorecard.json changes, because compiling takes a while);
* ``report.html``: the same content with the charts inlined (:mod:`toolkit.report.html`).

This module is the orchestration: which sections, in which order, and the files written.
The figures are loaded and computed in :mod:`toolkit.report.tables` (every number read from
the run's files or computed from them, never typed in); the words of each section are in
:mod:`toolkit.report.sections` (1-5) and :mod:`toolkit.report.sections_use` (6-9).
"""

from __future__ import annotations

from pathlib import Path

from toolkit.data.files import atomic_write_text
from toolkit.model.metrics import decile_of  # noqa: F401 (re-exported)
from toolkit.report import sections, sections_logs, sections_use
from toolkit.report.sections_use import targeting_advice  # noqa: F401 (re-exported)
from toolkit.report.shape_text import ShapeSummary, describe_shape, shape_axis, summarize_shape  # noqa: F401 (re-exported)
from toolkit.report.tables import (MIN_CELL, SQL_CACHE, TARGET_ROWS, Figures,  # noqa: F401 (re-exported)
                                   missing_rates, scorecard_sql, segment_decile_table)
from toolkit.run import folder as runs

REPORT_MD = runs.REPORT_MD
REPORT_HTML = runs.REPORT_HTML
FILES_DIR = runs.REPORT_FILES
TOC = ("Summary", "Supervised vs unsupervised", "Feature engineering", "Validation",
       "Model explanation", "Segments", "Using both together", "Deployment", "Recommendation")


class _Report:
    """Builds the markdown section by section; charts go to ``files``.

    A section is a method here, called from :meth:`build`, that hands the figures to its
    prose function in :mod:`toolkit.report.sections` or :mod:`toolkit.report.sections_use`.
    """

    def __init__(self, run: runs.Run, files: Path, *, sql: bool, data: str | Path | None = None):
        """Reads every artifact first (a broken one fails before any chart is drawn).
        ``data``: the customer table for a run without data.parquet (one made by `segkit
        train`), checked to be the table the run was built from (:meth:`Run.customer_table`)."""
        self.run = run
        self.fig = Figures.read(run, data)
        self.files = files
        self.sql = sql
        self.md: list[str] = []
        self.charts: list[Path] = []

    # the page the sections write to
    def add(self, *lines: str) -> None:
        self.md.extend(lines)

    def image(self, path: Path, alt: str) -> None:
        self.charts.append(path)
        self.add(f"![{alt}]({FILES_DIR}/{path.name})", "")

    # sections
    def build(self) -> str:
        run = self.run.path
        self.add(f"# segkit report: {run.name}", "",
                 f"Run folder `{run}`. Every figure below is read from this folder's files "
                 "(metrics.json, segments.json, timings.json, scorecard.json, split.parquet, "
                 "data.parquet) or computed from them.", "")
        sections_logs.rows_from(self, self.fig)
        toc = TOC + ((sections_logs.MOVEMENT_TITLE,) if self.fig.movement is not None else ())
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
        self.movement(len(TOC) + 1)
        return "\n".join(self.md).rstrip() + "\n"

    def summary(self) -> None:
        sections.summary(self, self.fig)

    def comparison(self) -> None:
        sections.comparison(self, self.fig)

    def features(self) -> None:
        sections.features(self, self.fig)

    def validation(self) -> None:
        sections.validation(self, self.fig)

    def explanation(self) -> None:
        sections.explanation(self, self.fig)

    def segment_cards(self) -> None:
        sections_use.segment_cards(self, self.fig)

    def together(self) -> None:
        sections_use.together(self, self.fig)

    def deployment(self) -> None:
        """The SQL excerpt is compiled (or read from its cache in report_files) only when asked."""
        compiled = scorecard_sql(self.run, self.files) if self.sql and self.fig.scorecard is not None else None
        sections_use.deployment(self, self.fig, compiled[0] if compiled else None)

    def recommendation(self) -> None:
        sections_use.recommendation(self, self.fig)

    def movement(self, number: int) -> None:
        """Only for a run with flow.json (`segkit rules flow --run`)."""
        sections_logs.movement(self, self.fig, number)


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
