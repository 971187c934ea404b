"""The segkit terminal UI: tabs over one run folder, loaded in workers, aggregates first.

Loading order (``_load_run``, one thread worker): the small JSON files, the ruleset and the
segment table from a column projection (the first screen, well under 2 s for 180K
customers); then compare rows and the scorecard; then the full customer table, its segments
and the coverage engine for the Rules editor. Slow work never runs on the UI thread, and
every failure becomes a notification: SegkitErrors as their message, anything else as
"unexpected error" (re-raised when ``strict`` so tests see bugs).
"""

from __future__ import annotations

import functools
import time
import traceback
from pathlib import Path

import polars as pl
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, TabbedContent, TabPane, TextArea

from toolkit.errors import SegkitError
from toolkit.run_view import RunView, SegmentRow
from tui.commands import SegkitCommands
from tui.screens.detail import SegmentDetailScreen
from tui.screens.dialogs import ChoiceScreen
from tui.screens.export import ExportScreen
from tui.screens.help import HelpScreen
from tui.screens.setup import SetupScreen
from tui.widgets.compare import ComparePane
from tui.widgets.customer import CustomerPane
from tui.widgets.footer import SegkitFooter
from tui.widgets.model import ModelPane
from tui.widgets.rules import RulesPane
from tui.widgets.segments import SegmentsPane

TABS = (("segments", "Segments"), ("model", "Model"), ("customer", "Customer"), ("rules", "Rules"),
        ("compare", "Compare"))
NARROW = 100  # below this width the Rules tab stacks editor and coverage


def reported(title: str):
    """Wrap a thread worker so that any error becomes a notification instead of a crash."""
    def wrap(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the one place errors of workers end up
                self._from_thread(self.report_error, exc, title)
        return run
    return wrap


def run_demo_process(out, *, rows: int, emit, started=None) -> None:
    """Run ``segkit demo`` in a child process, handing each output line to ``emit``.

    A child process, not a thread: training starts worker processes of its own, which
    cannot inherit the terminal a running Textual app has taken over. ``started`` receives
    the :class:`subprocess.Popen` (so the app can stop it when it quits).
    """
    import os
    import subprocess
    import sys

    cmd = [sys.executable, "-c", "from toolkit.cli import main; main()", "demo", "--out", str(out),
           "--rows", str(rows)]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1, env=env)
    if started is not None:
        started(proc)
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line.strip():
            tail = (tail + [line])[-5:]
            emit(line)
    if proc.wait() != 0:
        raise SegkitError(f"`segkit demo` stopped (exit code {proc.returncode}): " + " | ".join(tail[-3:]))


class SegkitApp(App):
    """Explore a segkit run: segments, model, customers, rules, exports."""

    TITLE = "segkit"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {SegkitCommands}
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help"),
        Binding("x", "export", "Export"),
        Binding("1", "show_tab('segments')", "Segments", show=False),
        Binding("2", "show_tab('model')", "Model", show=False),
        Binding("3", "show_tab('customer')", "Customer", show=False),
        Binding("4", "show_tab('rules')", "Rules", show=False),
        Binding("5", "show_tab('compare')", "Compare", show=False),
        Binding("ctrl+pagedown", "next_tab(1)", "Next tab", show=False, priority=True),
        Binding("ctrl+pageup", "next_tab(-1)", "Previous tab", show=False, priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, run_dir: str | Path = "runs/demo", data: str | Path | None = None, *,
                 demo_runner=None, watch_disk: float | None = 2.0, strict: bool = False):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.data = Path(data) if data is not None else None
        self.demo_runner = demo_runner or run_demo_process
        self.watch_disk_seconds = watch_disk
        self.strict = strict
        self.view: RunView | None = None
        self.saved_ruleset = None
        self.ruleset_problem: str | None = None
        self.segment_rows: list[SegmentRow] = []
        self.segments_json: dict | None = None
        self.metrics: dict | None = None
        self._segmented: pl.DataFrame | None = None
        self._profiles: dict = {}
        self._started = time.perf_counter()
        self.first_screen_seconds: float | None = None
        self.full_load_seconds: float | None = None

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="segments", id="tabs"):
            with TabPane("Segments", id="segments"):
                yield SegmentsPane(id="segments-pane")
            with TabPane("Model", id="model"):
                yield ModelPane(id="model-pane")
            with TabPane("Customer", id="customer"):
                yield CustomerPane(id="customer-pane")
            with TabPane("Rules", id="rules"):
                yield RulesPane(id="rules-pane")
            with TabPane("Compare", id="compare"):
                yield ComparePane(id="compare-pane")
        yield SegkitFooter()

    def on_mount(self) -> None:
        self._update_narrow()
        if self.watch_disk_seconds:
            self.set_interval(self.watch_disk_seconds, self._watch_disk)
        self.open_run()

    def on_resize(self, event) -> None:
        self._update_narrow()

    def _update_narrow(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    def pane(self, tab: str):
        return self.query_one(f"#{tab}-pane")

    @property
    def rules(self) -> RulesPane:
        return self.query_one(RulesPane)

    @property
    def rules_dirty(self) -> bool:
        try:
            return self.rules.dirty
        except Exception:
            return False

    def update_title(self) -> None:
        parts = [str(self.run_dir)]
        total = sum(r.size for r in self.segment_rows)
        if total:
            parts.append(f"{total:,} customers")
        if self.rules_dirty:
            parts.append("● unsaved rules")
        self.sub_title = " · ".join(parts)

    # -- errors ----------------------------------------------------------------------------
    def report_error(self, exc: BaseException, title: str = "Problem") -> None:
        """A SegkitError as its message; anything else as an unexpected error (strict: raise)."""
        if isinstance(exc, SegkitError):
            self.notify(str(exc), severity="error", title=title, timeout=10)
            return
        self.log.error("".join(traceback.format_exception(exc)))
        self.notify(f"Unexpected error ({type(exc).__name__}): {exc}", severity="error",
                    title=title, timeout=15)
        if self.strict:
            raise exc

    def warn(self, message: str, title: str = "Run folder") -> None:
        self.notify(message, severity="warning", title=title, timeout=12)

    def _from_thread(self, callback, *args) -> None:
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:  # the app has closed
            pass

    # -- loading ---------------------------------------------------------------------------
    def open_run(self) -> None:
        if not self.run_dir.is_dir():
            self.sub_title = f"no run at {self.run_dir}"
            self.push_screen(SetupScreen(self.run_dir))
            return
        try:
            self.view = RunView(self.run_dir, self.data)
        except SegkitError as exc:
            self.report_error(exc, "Cannot open the run")
            return
        self._started = time.perf_counter()
        self.update_title()
        self.refresh_bindings()
        self._load_run()

    @work(thread=True, exclusive=True, group="load")
    @reported("Loading the run")
    def _load_run(self) -> None:
        view = self.view
        assert view is not None
        ruleset, problem = None, None
        try:
            metrics = view.metrics()
        except SegkitError as exc:
            metrics = None
            self._from_thread(self.report_error, exc, "metrics.json")
        try:
            summary = view.segments_summary()
        except SegkitError as exc:
            summary = None
            self._from_thread(self.report_error, exc, "segments.json")
        try:
            ruleset = view.ruleset()
        except SegkitError as exc:
            problem = str(exc)
        rows, rows_error, columns = [], None, None
        data_ok = view.has_data
        if data_ok:
            try:
                columns = view.data_schema()
            except SegkitError as exc:  # an unreadable customer table: say it once, show the rest
                data_ok = False
                self._from_thread(self.report_error, exc, "Customers")
        if data_ok:
            try:
                rows = view.segment_rows(ruleset)
            except SegkitError as exc:
                rows_error = str(exc)
                if ruleset is not None:  # e.g. a rule reads a column the data lacks
                    try:
                        rows = view.segment_rows(None)
                    except SegkitError:
                        rows = []
            except Exception as exc:
                self._from_thread(self.report_error, exc, "Loading segments")
        self._from_thread(self._overview_ready, metrics, summary, ruleset, problem, rows, rows_error,
                          columns)
        try:
            from toolkit.compare import compare_approaches

            comparison = compare_approaches(view.run)
            self._from_thread(self.pane("compare").show_rows, comparison)
        except SegkitError as exc:
            self._from_thread(self.pane("compare").show_message, str(exc))
        if view.has_scorecard:
            try:
                card = view.scorecard()
                self._from_thread(self.pane("model").set_scorecard, card)
            except SegkitError as exc:
                self._from_thread(self.report_error, exc, "scorecard.json")
        if not data_ok:
            return
        try:
            frame = view.frame()
            usable = ruleset if rows_error is None else None
            segmented = view.with_segments(usable, frame)
            rows = view.aggregate(frame, usable)
            engine = view.coverage_engine(usable, frame)
        except SegkitError as exc:
            self._from_thread(self.report_error, exc, "Loading customers")
            return
        self._from_thread(self._frame_ready, segmented, rows, engine, frame.schema)
        for problem in view.problems:
            self._from_thread(self.warn, problem)

    def _overview_ready(self, metrics, summary, ruleset, problem, rows, rows_error, columns) -> None:
        view = self.view
        self.metrics = metrics
        self.segments_json = summary
        self.saved_ruleset = ruleset
        self.ruleset_problem = problem
        self.segment_rows = rows
        segments: SegmentsPane = self.pane("segments")
        note = ""
        if problem:
            note = "segments.yaml has an error: fix it in the Rules tab (4)"
            self.notify(problem, severity="error", title="segments.yaml", timeout=15)
        elif rows_error:
            note = "the rules do not fit the data"
            self.notify(rows_error, severity="error", title="Segments", timeout=15)
        elif ruleset is None:
            note = "no segments.yaml: run `segkit segment` to find segments"
        if view is not None and not view.has_data:
            segments.show_message(
                f"This run has no customer table ({view.data_path}). Open it with "
                f"[b]segkit tui --run {self.run_dir} --data FILE[/] to see segments and customers.")
        else:
            segments.show_rows(rows, note)
        self.pane("model").set_metrics(metrics)
        if view is not None:
            self.rules.open_file(view.ruleset_path, columns)
        self.first_screen_seconds = time.perf_counter() - self._started
        self.update_title()
        self._focus_tab(self.query_one(TabbedContent).active)

    def _frame_ready(self, segmented, rows, engine, schema) -> None:
        self._segmented = segmented
        self.segment_rows = rows
        segments: SegmentsPane = self.pane("segments")
        segments.show_rows(rows, getattr(segments, "note", ""))
        view = self.view
        self.rules.set_engine(engine, schema, measure=lambda rules: view.ruleset_figures(rules).fidelity)
        self.pane("model").set_frame(segmented)
        self.full_load_seconds = time.perf_counter() - self._started
        if isinstance(self.screen, SegmentDetailScreen):
            self.screen.refresh_all()

    def segmented_frame(self) -> pl.DataFrame:
        """The customers with their segment under the saved ruleset (loads when needed)."""
        if self._segmented is None:
            if self.view is None:
                raise SegkitError("no run is open")
            self._segmented = self.view.with_segments(self.saved_ruleset)
        return self._segmented

    def on_rules_pane_ruleset_saved(self, message: RulesPane.RulesetSaved) -> None:
        """The Rules editor saved (or reloaded) the run's ruleset: recompute everything derived
        from it (segments, profiles, an open segment detail, the Compare tab's figures)."""
        message.stop()
        if self.view is None or message.path.resolve() != self.view.ruleset_path.resolve():
            return
        self.saved_ruleset = message.ruleset
        self.ruleset_problem = None
        self._profiles.clear()
        self._edited_fidelity = (message.fidelity,) if message.edited else getattr(self, "_edited_fidelity", None)
        self._resegment(message.ruleset)

    @work(thread=True, exclusive=True, group="resegment")
    @reported("Segments")
    def _resegment(self, ruleset) -> None:
        view = self.view
        try:
            figures = comparison = None
            if view.frame_loaded:
                frame = view.frame()
                segmented = view.with_segments(ruleset, frame)
                rows = view.aggregate(frame, ruleset)
                if getattr(self, "_edited_fidelity", None) is not None:
                    from toolkit.compare import compare_approaches

                    figures = view.ruleset_figures(ruleset)
                    comparison = compare_approaches(view.run, rules=figures.as_overrides())
            else:
                segmented, rows = None, view.segment_rows(ruleset)
        except SegkitError as exc:
            self._from_thread(self.report_error, exc, "Segments")
            return
        self._from_thread(self._resegmented, segmented, rows, figures, comparison)

    def _resegmented(self, segmented, rows, figures=None, comparison=None) -> None:
        if segmented is not None:
            self._segmented = segmented
        self.segment_rows = rows
        segments: SegmentsPane = self.pane("segments")
        segments.show_rows(rows, "")
        self.update_title()
        edited = getattr(self, "_edited_fidelity", None)
        if edited is not None and self.saved_ruleset is not None:
            if comparison is not None:
                self.pane("compare").show_rows(comparison)
            self.pane("compare").show_saved_rules(self.saved_ruleset, rows, edited[0], figures)
        for screen in self.screen_stack:
            if isinstance(screen, SegmentDetailScreen):
                screen.refresh_all()

    def _watch_disk(self) -> None:
        try:
            self.rules.watch_disk()
        except Exception as exc:
            self.report_error(exc, "Rules")

    # -- segment detail --------------------------------------------------------------------
    def on_segments_pane_open_segment(self, message: SegmentsPane.OpenSegment) -> None:
        self.open_segment(message.segment_id)

    def open_segment(self, segment_id: str | None = None) -> None:
        if segment_id is None:
            segment_id = self.pane("segments").highlighted
        if not segment_id:
            self.notify("No segment to open yet", severity="warning")
            return
        if isinstance(self.screen, SegmentDetailScreen):
            self.screen.dismiss()
        self.push_screen(SegmentDetailScreen(segment_id))

    def load_profiles(self, segment_id: str) -> None:
        if segment_id in self._profiles:
            self._show_profile(segment_id)
            return
        self._profiles_worker(segment_id)

    @work(thread=True, exclusive=True, group="profiles")
    @reported("Profile")
    def _profiles_worker(self, segment_id: str) -> None:
        try:
            segmented = self.segmented_frame()
            profiles = self.view.profiles(segmented, self.saved_ruleset)
        except SegkitError as exc:
            self._from_thread(self.report_error, exc, "Profile")
            return
        self._from_thread(self._store_profiles, profiles, segment_id)

    def _store_profiles(self, profiles: dict, segment_id: str) -> None:
        self._profiles = profiles
        self._show_profile(segment_id)

    def _show_profile(self, segment_id: str) -> None:
        screen = self.screen
        if isinstance(screen, SegmentDetailScreen) and screen.segment_id == segment_id:
            screen.show_profile(self._profiles.get(segment_id))

    def load_page(self, segment_id: str, offset: int, limit: int) -> None:
        self._page_worker(segment_id, offset, limit)

    @work(thread=True, exclusive=True, group="page")
    @reported("Customers")
    def _page_worker(self, segment_id: str, offset: int, limit: int) -> None:
        try:
            segmented = self.segmented_frame()
            page = self.view.page(segmented, segment_id, offset=offset, limit=limit,
                                  columns=self.view.sample_columns(segmented))
        except SegkitError as exc:
            self._from_thread(self.report_error, exc, "Customers")
            return
        self._from_thread(self._show_page, segment_id, page)

    def _show_page(self, segment_id: str, page) -> None:
        screen = self.screen
        if isinstance(screen, SegmentDetailScreen) and screen.segment_id == segment_id:
            screen.show_page(page)

    # -- customers -------------------------------------------------------------------------
    def lookup_customer(self, customer_id: str) -> None:
        if self.view is None:
            return
        self._lookup_worker(customer_id)

    @work(thread=True, exclusive=True, group="customer")
    @reported("Customer")
    def _lookup_worker(self, customer_id: str) -> None:
        pane: CustomerPane = self.pane("customer")
        try:
            explanation = self.view.explain_customer(customer_id, self.saved_ruleset)
        except SegkitError as exc:
            self._from_thread(pane.show_not_found, str(exc))
            return
        self._from_thread(pane.show, explanation)

    def random_customer(self) -> None:
        customer_id = self.view.random_customer_id() if self.view is not None else None
        if customer_id is None:
            self.notify("The customers are still loading; try again in a moment", severity="warning")
            return
        self.explain_customer(customer_id)

    def explain_customer(self, customer_id: str) -> None:
        self.action_show_tab("customer")
        self.pane("customer").lookup(customer_id)

    # -- rules -----------------------------------------------------------------------------
    def edit_rule(self, segment_id: str) -> None:
        if isinstance(self.screen, SegmentDetailScreen):
            self.screen.dismiss()
        self.action_show_tab("rules")
        self.rules.goto_segment(segment_id)

    # -- export ----------------------------------------------------------------------------
    def open_export(self, kind: str = "ruleset", *, segment: str | None = None, fmt: str | None = None,
                    dialect: str = "duckdb") -> None:
        if self.view is None:
            self.notify("Open a run first", severity="warning")
            return
        if isinstance(self.screen, ExportScreen):
            return
        self.push_screen(ExportScreen(kind, segment=segment, fmt=fmt, dialect=dialect))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys that mean nothing yet (no run open: nothing to export)."""
        if action == "export" and self.view is None:
            return False
        if action == "export" and isinstance(self.focused, (Input, TextArea)):
            return False  # "x" types there; the footer must not promise otherwise
        if action == "export" and isinstance(self.screen, SegmentDetailScreen):
            return False  # the screen's own "a Audience" is the same export
        return True

    def action_export(self) -> None:
        if isinstance(self.screen, SegmentDetailScreen):
            self.open_export("audience", segment=self.screen.segment_id)
        else:
            self.open_export("ruleset")

    # -- navigation ------------------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        while isinstance(self.screen, (SegmentDetailScreen, HelpScreen)):
            self.screen.dismiss()
        tabs = self.query_one(TabbedContent)
        tabs.active = tab
        self._focus_tab(tab)

    def action_next_tab(self, step: int) -> None:
        ids = [t for t, _ in TABS]
        current = self.query_one(TabbedContent).active
        self.action_show_tab(ids[(ids.index(current) + step) % len(ids)] if current in ids else ids[0])

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._focus_tab(event.pane.id or "")

    def _focus_tab(self, tab: str) -> None:
        target = {"segments": "#segments-table", "model": "#model-pane", "customer": "#customer-id",
                  "rules": "#rules-editor", "compare": "#compare-pane"}.get(tab)
        if target:
            try:
                self.query_one(target).focus()
            except Exception:
                pass

    def pane_action(self, tab: str, action: str) -> None:
        """Run a tab's action from the palette: show the tab, then act."""
        self.action_show_tab(tab)
        self.call_after_refresh(self.pane(tab).run_action, action)

    def screen_action(self, action: str) -> None:
        if isinstance(self.screen, SegmentDetailScreen):
            self.call_after_refresh(self.screen.run_action, action)
        else:
            self.notify("Open a segment first (Enter on the Segments tab)", severity="warning")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        if not self.rules_dirty:
            self.exit()
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self.rules.action_save()
                if not self.rules_dirty:
                    self.exit()
            elif choice == "discard":
                if self.rules.session is not None:
                    self.rules.session.clear_recovery()
                self.exit()

        self.push_screen(ChoiceScreen(
            "Unsaved rules", "The Rules tab has edits that are not saved. Save them before you quit?",
            [("save", "Save and quit", "primary"), ("discard", "Quit without saving", "error"),
             ("cancel", "Cancel", "default")]), answer)


def main(run_dir: str | Path = "runs/demo", data: str | Path | None = None) -> None:
    SegkitApp(run_dir, data).run()
