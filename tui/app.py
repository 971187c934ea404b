"""The segkit terminal UI: tabs over one run folder, loaded in workers, aggregates first.

Who does what: the app owns the run's state (:class:`tui.state.RunState`) and every slow
job (thread workers); panes and screens post messages (:mod:`tui.messages`) that the app
handles with ``@on``; the tabs come from one registry (:mod:`tui.tabs`).

Loading order (``_load_run``, one thread worker): the small JSON files, the ruleset and the
segment table from a column projection (the first screen, well under 2 s for 180K
customers); then compare rows and the scorecard; then the full customer table, its segments
and the coverage engine for the Rules editor. Slow work never runs on the UI thread, and
every failure becomes a notification naming its place: a worker's error reaches
``_worker_failed`` (the one handler), SegkitErrors show as their message, anything else as
"unexpected error" (re-raised when ``strict`` so tests see bugs). A part of the load that
fails (one unreadable file) is reported where it happens and the rest still shows.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Callable, ClassVar, TypeVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Header, Input, TabbedContent, TabPane, TextArea
from textual.worker import Worker, WorkerState

from toolkit.errors import SegkitError
from toolkit.run.view import RunView
from tui.commands import SegkitCommands
from tui.messages import (CustomerRequested, EditRule, ExportRequested, OpenSegment, PageRequested,
                          ProfileRequested, RulesDirtyChanged, RulesetSaved, ShowTab)
from tui.screens.detail import SegmentDetailScreen
from tui.screens.dialogs import ChoiceScreen
from tui.screens.export import ExportScreen
from tui.screens.help import HelpScreen
from tui.screens.setup import SetupScreen
from tui.state import RunState
from tui.tabs import TABS, Tab, tab_bindings
from tui.widgets.compare import ComparePane
from tui.widgets.customer import CustomerPane
from tui.widgets.footer import SegkitFooter
from tui.widgets.model import ModelPane
from tui.widgets.movement import MovementPane
from tui.widgets.rules import RulesPane
from tui.widgets.segments import SegmentsPane

NARROW = 100  # below this width the Rules tab stacks editor and coverage
T = TypeVar("T")


def job(place: str, group: str):
    """A thread worker of the app, at most one per ``group``, whose error becomes a
    notification titled ``place`` (:meth:`SegkitApp._worker_failed`) instead of a crash."""
    return work(thread=True, exclusive=True, group=group, name=place, exit_on_error=False)


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
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    COMMANDS = App.COMMANDS | {SegkitCommands}
    TABS: ClassVar[tuple[Tab, ...]] = TABS
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help"),
        Binding("x", "export", "Export"),
        *tab_bindings(TABS),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init_subclass__(cls, **kwargs) -> None:
        """A subclass with its own ``TABS`` gets their keys too (Textual merges the
        ``BINDINGS`` of each class over its base's, key by key)."""
        if "TABS" in cls.__dict__ and "BINDINGS" not in cls.__dict__:
            cls.BINDINGS = tab_bindings(cls.TABS)
        super().__init_subclass__(**kwargs)

    def __init__(self, run_dir: str | Path = "runs/demo", data: str | Path | None = None, *,
                 demo_runner=None, watch_disk: float | None = 2.0, strict: bool = False):
        super().__init__()
        self.state = RunState(Path(run_dir), Path(data) if data is not None else None)
        self.demo_runner = demo_runner or run_demo_process
        self.watch_disk_seconds = watch_disk
        self.strict = strict
        self._edited_fidelity: tuple[float | None] | None = None  # set once rules were edited and saved
        self._started = time.perf_counter()
        self.first_screen_seconds: float | None = None
        self.full_load_seconds: float | None = None
        self.hidden_tabs: set[str] = set()  # tabs whose run artifact (Tab.needs) is absent
        self._movement_stamp: float | None = None  # flow.json's mtime when last read

    # -- the state, read by tests, benchmarks and the palette -----------------------------
    @property
    def run_dir(self) -> Path:
        return self.state.run_dir

    @property
    def data(self) -> Path | None:
        return self.state.data

    @property
    def view(self) -> RunView | None:
        return self.state.view

    @property
    def saved_ruleset(self):
        return self.state.saved_ruleset

    @property
    def segment_rows(self):
        return self.state.segment_rows

    def segmented_frame(self):
        """The customers with their segment under the saved ruleset (loads when needed)."""
        return self.state.segmented_frame()

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial=self.TABS[0].id, id="tabs"):
            for tab in self.TABS:
                with TabPane(tab.label, id=tab.id):
                    yield tab.pane(id=tab.pane_id)
        yield SegkitFooter()

    def on_mount(self) -> None:
        self._update_narrow()
        for tab in self.TABS:  # shown once the run is known to have what they need
            if tab.needs:
                self._set_tab_visible(tab, False)
        if self.watch_disk_seconds:
            self.set_interval(self.watch_disk_seconds, self._watch_disk)
        self.open_run()

    def on_resize(self, event) -> None:
        self._update_narrow()

    def _update_narrow(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    def tab(self, tab_id: str) -> Tab:
        """The registry entry of ``tab_id`` (KeyError: no such tab)."""
        for tab in self.TABS:
            if tab.id == tab_id:
                return tab
        raise KeyError(tab_id)

    def pane(self, tab_id: str) -> Widget:
        """The pane shown in tab ``tab_id``."""
        tab = self.tab(tab_id)
        return self.query_one(f"#{tab.pane_id}", tab.pane)

    @property
    def rules(self) -> RulesPane:
        return self.query_one(RulesPane)

    @property
    def rules_dirty(self) -> bool:
        rules = self.query(RulesPane)
        return bool(rules) and rules.first().dirty

    def update_title(self) -> None:
        parts = [str(self.run_dir)]
        total = sum(r.size for r in self.state.segment_rows)
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

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place the errors of the app's workers end up (see :func:`job`)."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error, event.worker.name or "Problem")

    def warn(self, message: str, title: str = "Run folder") -> None:
        self.notify(message, severity="warning", title=title, timeout=12)

    def _from_thread(self, callback: Callable[..., object], *args) -> None:
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:  # the app has closed
            pass

    def _part(self, place: str, load: Callable[[], T]) -> T | None:
        """``load()`` in a worker, or None after reporting its SegkitError titled ``place``:
        one unreadable file of a run must not hide what the others show."""
        try:
            return load()
        except SegkitError as exc:
            self._from_thread(self.report_error, exc, place)
            return None

    # -- loading ---------------------------------------------------------------------------
    def open_run(self) -> None:
        if not self.run_dir.is_dir():
            self.sub_title = f"no run at {self.run_dir}"
            self.push_screen(SetupScreen(self.run_dir, self.demo_runner), self._setup_done)
            return
        try:
            self.state.view = RunView(self.run_dir, self.data)
        except SegkitError as exc:
            self.report_error(exc, "Cannot open the run")
            return
        self._started = time.perf_counter()
        self.update_title()
        self.refresh_bindings()
        self._load_run()

    def _setup_done(self, created: bool | None) -> None:
        if created:
            self.open_run()

    @job("Loading the run", "load")
    def _load_run(self) -> None:
        view = self.state.view
        assert view is not None
        metrics = self._part("metrics.json", view.metrics)
        summary = self._part("segments.json", view.segments_summary)
        ruleset, problem = None, None
        try:
            ruleset = view.ruleset()
        except SegkitError as exc:  # shown in the Rules editor, where it can be fixed
            problem = str(exc)
        rows, rows_error = [], None
        # an unreadable customer table: say it once, show the rest
        columns = self._part("Customers", view.data_schema) if view.has_data else None
        data_ok = columns is not None
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
            except Exception as exc:  # noqa: BLE001 - the model and rules still show
                self._from_thread(self.report_error, exc, "Loading segments")
        self._from_thread(self._overview_ready, metrics, summary, ruleset, problem, rows, rows_error,
                          columns)
        try:
            from toolkit.run.compare import compare_approaches

            comparison = compare_approaches(view.run)
            self._from_thread(lambda: self.query_one(ComparePane).show_rows(comparison))
        except SegkitError as exc:
            reason = str(exc)
            self._from_thread(lambda: self.query_one(ComparePane).show_message(reason))
        self._read_movement()
        card = self._part("scorecard.json", view.scorecard) if view.has_scorecard else None
        if card is not None:
            self._from_thread(lambda: self.query_one(ModelPane).set_scorecard(card))
        if not data_ok:
            return
        usable = ruleset if rows_error is None else None

        def customers():
            frame = view.frame()
            return (view.with_segments(usable, frame), view.aggregate(frame, usable),
                    view.coverage_engine(usable, frame), frame.schema)

        loaded = self._part("Loading customers", customers)
        if loaded is None:
            return
        self._from_thread(self._frame_ready, *loaded)
        for problem in view.problems:
            self._from_thread(self.warn, problem)

    def _set_tab_visible(self, tab: Tab, visible: bool) -> None:
        tabs = self.query_one(TabbedContent)
        if visible and tab.id in self.hidden_tabs:
            tabs.show_tab(tab.id)
            self.hidden_tabs.discard(tab.id)
        elif not visible and tab.id not in self.hidden_tabs:
            if tabs.active == tab.id:
                self.action_show_tab(self.TABS[0].id)
            tabs.hide_tab(tab.id)
            self.hidden_tabs.add(tab.id)

    def _sync_tabs(self) -> None:
        """Show the tabs whose run artifact exists, hide the others."""
        view = self.state.view
        for tab in self.TABS:
            if tab.needs:
                self._set_tab_visible(tab, view is not None and view.run.has(tab.needs))

    def _read_movement(self) -> None:
        """In a worker: flow.json (when the run has one) for the Movement tab."""
        view = self.state.view
        assert view is not None
        stamp = view.movement_stamp()
        movement = self._part("flow.json", view.movement) if stamp is not None else None
        self._from_thread(self._movement_ready, movement, stamp)

    @job("flow.json", "movement")
    def _movement_worker(self) -> None:
        self._read_movement()

    def _movement_ready(self, movement, stamp: float | None) -> None:
        self.state.movement = movement
        self._movement_stamp = stamp
        pane = self.query_one(MovementPane)
        if movement is not None:
            pane.show(movement)
        elif stamp is not None:
            pane.show_message("flow.json could not be read (see the notification); record the "
                              f"flow again with `segkit rules flow ... --run {self.run_dir}`.")
        self._sync_tabs()

    def _overview_ready(self, metrics, summary, ruleset, problem, rows, rows_error, columns) -> None:
        state = self.state
        view = state.view
        state.metrics = metrics
        state.segments_json = summary
        state.saved_ruleset = ruleset
        state.ruleset_problem = problem
        state.segment_rows = rows
        segments = self.query_one(SegmentsPane)
        note = ""
        if problem:
            note = f"segments.yaml has an error: fix it in the Rules tab ({self.tab('rules').key})"
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
        self.query_one(ModelPane).set_metrics(metrics)
        if view is not None:
            self.rules.open_file(view.ruleset_path, columns)
        self.first_screen_seconds = time.perf_counter() - self._started
        self.update_title()
        self._focus_tab(self.query_one(TabbedContent).active)

    def _frame_ready(self, segmented, rows, engine, schema) -> None:
        self.state.segmented = segmented
        self.state.segment_rows = rows
        segments = self.query_one(SegmentsPane)
        segments.show_rows(rows, segments.note)
        view = self.state.view
        assert view is not None
        self.rules.set_engine(engine, schema, measure=lambda rules: view.ruleset_figures(rules).fidelity)
        self.query_one(ModelPane).set_frame(segmented)
        self.full_load_seconds = time.perf_counter() - self._started
        self._refresh_details()

    def _refresh_details(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, SegmentDetailScreen):
                screen.refresh_all()

    @on(RulesetSaved)
    def _ruleset_saved(self, message: RulesetSaved) -> None:
        """The Rules editor saved (or reloaded) the run's ruleset: recompute everything derived
        from it (segments, profiles, an open segment detail, the Compare tab's figures)."""
        message.stop()
        view = self.state.view
        if view is None or message.path.resolve() != view.ruleset_path.resolve():
            return
        self.state.saved_ruleset = message.ruleset
        self.state.ruleset_problem = None
        self.state.profiles.clear()
        if message.edited:
            self._edited_fidelity = (message.fidelity,)
        self._resegment(message.ruleset)

    @job("Segments", "resegment")
    def _resegment(self, ruleset) -> None:
        view = self.state.view
        assert view is not None
        figures = comparison = None
        if view.frame_loaded:
            frame = view.frame()
            segmented = view.with_segments(ruleset, frame)
            rows = view.aggregate(frame, ruleset)
            if self._edited_fidelity is not None:
                from toolkit.run.compare import compare_approaches

                figures = view.ruleset_figures(ruleset)
                comparison = compare_approaches(view.run, rules=figures.as_overrides())
        else:
            segmented, rows = None, view.segment_rows(ruleset)
        self._from_thread(self._resegmented, segmented, rows, figures, comparison)

    def _resegmented(self, segmented, rows, figures=None, comparison=None) -> None:
        state = self.state
        if segmented is not None:
            state.segmented = segmented
        state.segment_rows = rows
        self.query_one(SegmentsPane).show_rows(rows, "")
        self.update_title()
        edited = self._edited_fidelity
        if edited is not None and state.saved_ruleset is not None:
            compare = self.query_one(ComparePane)
            if comparison is not None:
                compare.show_rows(comparison)
            compare.show_saved_rules(state.saved_ruleset, rows, edited[0], figures)
        self._refresh_details()

    def _watch_disk(self) -> None:
        try:
            self.rules.watch_disk()
        except Exception as exc:  # noqa: BLE001 - a timer: report, keep watching
            self.report_error(exc, "Rules")
        view = self.state.view
        if view is not None and view.movement_stamp() != self._movement_stamp:
            self._movement_worker()  # `segkit rules flow --run` recorded (or removed) a flow

    @on(RulesDirtyChanged)
    def _rules_dirty_changed(self, message: RulesDirtyChanged) -> None:
        message.stop()
        self.update_title()

    # -- segment detail --------------------------------------------------------------------
    @on(OpenSegment)
    def _open_segment_requested(self, message: OpenSegment) -> None:
        message.stop()
        self.open_segment(message.segment_id)

    def open_segment(self, segment_id: str | None = None) -> None:
        if segment_id is None:
            segment_id = self.query_one(SegmentsPane).highlighted
        if not segment_id:
            self.notify("No segment to open yet", severity="warning")
            return
        if isinstance(self.screen, SegmentDetailScreen):
            self.screen.dismiss()
        self.push_screen(SegmentDetailScreen(segment_id, self.state))

    @on(ProfileRequested)
    def _profile_requested(self, message: ProfileRequested) -> None:
        message.stop()
        if message.segment_id in self.state.profiles:
            self._show_profile(message.segment_id)
            return
        self._profiles_worker(message.segment_id)

    @job("Profile", "profiles")
    def _profiles_worker(self, segment_id: str) -> None:
        view = self.state.view
        assert view is not None
        profiles = view.profiles(self.state.segmented_frame(), self.state.saved_ruleset)
        self._from_thread(self._store_profiles, profiles, segment_id)

    def _store_profiles(self, profiles: dict, segment_id: str) -> None:
        self.state.profiles = profiles
        self._show_profile(segment_id)

    def _show_profile(self, segment_id: str) -> None:
        screen = self.screen
        if isinstance(screen, SegmentDetailScreen) and screen.segment_id == segment_id:
            screen.show_profile(self.state.profiles.get(segment_id))

    @on(PageRequested)
    def _page_requested(self, message: PageRequested) -> None:
        message.stop()
        self._page_worker(message.segment_id, message.offset, message.limit)

    @job("Customers", "page")
    def _page_worker(self, segment_id: str, offset: int, limit: int) -> None:
        view = self.state.view
        assert view is not None
        segmented = self.state.segmented_frame()
        page = view.page(segmented, segment_id, offset=offset, limit=limit,
                         columns=view.sample_columns(segmented))
        self._from_thread(self._show_page, segment_id, page)

    def _show_page(self, segment_id: str, page) -> None:
        screen = self.screen
        if isinstance(screen, SegmentDetailScreen) and screen.segment_id == segment_id:
            screen.show_page(page)

    # -- customers -------------------------------------------------------------------------
    @on(CustomerRequested)
    def _customer_requested(self, message: CustomerRequested) -> None:
        message.stop()
        if message.customer_id is None:
            self.random_customer()
        else:
            self.explain_customer(message.customer_id)

    def random_customer(self) -> None:
        view = self.state.view
        customer_id = view.random_customer_id() if view is not None else None
        if customer_id is None:
            self.notify("The customers are still loading; try again in a moment", severity="warning")
            return
        self.explain_customer(customer_id)

    def explain_customer(self, customer_id: str) -> None:
        """Show the Customer tab explaining ``customer_id``."""
        self.action_show_tab("customer")
        self.query_one(CustomerPane).looking_up(customer_id)
        if self.state.view is not None:
            self._lookup_worker(customer_id)

    @job("Customer", "customer")
    def _lookup_worker(self, customer_id: str) -> None:
        view = self.state.view
        assert view is not None
        pane = self.query_one(CustomerPane)
        try:
            explanation = view.explain_customer(customer_id, self.state.saved_ruleset)
        except SegkitError as exc:  # an unknown id: said in the pane, where it was typed
            self._from_thread(pane.show_not_found, str(exc))
            return
        self._from_thread(pane.show, explanation)

    # -- rules -----------------------------------------------------------------------------
    @on(EditRule)
    def _edit_rule_requested(self, message: EditRule) -> None:
        message.stop()
        self.edit_rule(message.segment_id)

    def edit_rule(self, segment_id: str) -> None:
        if isinstance(self.screen, SegmentDetailScreen):
            self.screen.dismiss()
        self.action_show_tab("rules")
        self.rules.goto_segment(segment_id)

    # -- export ----------------------------------------------------------------------------
    @on(ExportRequested)
    def _export_requested(self, message: ExportRequested) -> None:
        message.stop()
        self.open_export(message.kind, segment=message.segment, fmt=message.fmt, dialect=message.dialect)

    def open_export(self, kind: str = "ruleset", *, segment: str | None = None, fmt: str | None = None,
                    dialect: str = "duckdb") -> None:
        if self.state.view is None:
            self.notify("Open a run first", severity="warning")
            return
        if isinstance(self.screen, ExportScreen):
            return
        self.push_screen(ExportScreen(self.state, kind, segment=segment, fmt=fmt, dialect=dialect,
                                      rules_dirty=self.rules_dirty))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys that mean nothing yet (no run open: nothing to export)."""
        if action == "export" and self.state.view is None:
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
    @on(ShowTab)
    def _show_tab_requested(self, message: ShowTab) -> None:
        message.stop()
        self.action_show_tab(message.tab)

    def action_show_tab(self, tab: str) -> None:
        if tab in self.hidden_tabs:
            hint = self.tab(tab).hint or f"The {self.tab(tab).label} tab has nothing to show for this run"
            self.notify(hint.format(run=self.run_dir), title=self.tab(tab).label, timeout=10, markup=False)
            return
        while isinstance(self.screen, (SegmentDetailScreen, HelpScreen)):
            self.screen.dismiss()
        self.query_one(TabbedContent).active = tab
        self._focus_tab(tab)

    def action_next_tab(self, step: int) -> None:
        ids = [t.id for t in self.TABS if t.id not in self.hidden_tabs]
        current = self.query_one(TabbedContent).active
        self.action_show_tab(ids[(ids.index(current) + step) % len(ids)] if current in ids else ids[0])

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._focus_tab(event.pane.id or "")

    def _focus_tab(self, tab_id: str) -> None:
        try:
            self.query_one(self.tab(tab_id).focus_selector).focus()
        except Exception:  # noqa: BLE001 - not mounted yet, or an unknown tab: nothing to focus
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
