"""The Rules tab: the ruleset as YAML with live coverage, inline errors and safe saving.

Every keystroke re-checks the text in a worker (at most one check runs; keystrokes during
a check coalesce into one more): parse errors appear with their line and column, and a
valid ruleset shows how many customers each segment gets, the change against the saved
file and the fidelity to the run's clusters (:class:`toolkit.ruleset.coverage.CoverageEngine`).
Saving goes through :class:`toolkit.ruleset.editing.EditSession` (atomic, refuses to overwrite a
file changed on disk); renaming and moving segments are undoable edits of the text.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.content import Content
from textual.widgets import DataTable, Static, TextArea

from toolkit.ruleset.coverage import CoverageEngine, LiveCoverage
from toolkit.ruleset.editing import (ConflictError, EditSession, Problem, move_in_text, parse_text,
                                     rename_in_text, rule_location, segment_at)
from toolkit.errors import SegkitError
from tui.format import count, escape, pct
from tui.messages import RulesDirtyChanged, RulesetSaved, ShowTab
from tui.screens.dialogs import ChoiceScreen, PromptScreen

RECOVERY_DELAY = 1.0  # seconds after the last keystroke before the recovery copy is written


def _check_yaml_path(value: str) -> None:
    from toolkit.exports import check_output_path

    check_output_path(value, ["yaml"])


def _check_name(value: str) -> None:
    if not value.strip():
        raise SegkitError("a segment name cannot be empty")


class RulesPane(Vertical):
    """Edit segments.yaml with live feedback."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+z", "undo", "Undo"),
        Binding("ctrl+y", "redo", "Redo", show=False),
        Binding("f2", "rename", "Rename"),
        Binding("alt+up", "move(-1)", "Move", key_display="alt+↑↓"),  # one footer entry for both
        Binding("alt+down", "move(1)", "Move down", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        # TextArea itself moves the focus on Escape (tab_behavior="indent"); this binding
        # shows the way out in the footer, and is hidden when the editor has no focus.
        Binding("escape", "leave_editor", "Leave editor"),
        Binding("ctrl+g", "goto_error", "Go to error", show=False),
        Binding("f4", "save_as", "Save as", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session: EditSession | None = None
        self.engine: CoverageEngine | None = None
        self.columns = None
        self.problem: Problem | None = None
        self.current = None            # the last text that parsed, as a Ruleset
        self.coverage: LiveCoverage | None = None
        self.checked_text: str | None = None
        self.last_latency: float | None = None
        self._check_running = False
        self._check_pending = False
        self._changed_at: float | None = None
        self._recovery_timer = None
        self._quiet = False           # programmatic loads do not count as edits
        self._posted_dirty: bool | None = None  # what the app was last told (RulesDirtyChanged)

    def compose(self) -> ComposeResult:
        with Container(id="rules-body"):
            with Vertical(id="rules-edit"):
                yield Static("No ruleset loaded", id="rules-file")
                yield TextArea.code_editor("", language="yaml", theme="css", soft_wrap=True,
                                           id="rules-editor")
                yield Static("", id="rules-problem")
            with Vertical(id="rules-side"):
                yield Static("Coverage appears when the customers are loaded.", id="rules-summary")
                yield DataTable(id="rules-coverage", cursor_type="row", zebra_stripes=True)
                yield Static("", id="rules-notes")

    def on_mount(self) -> None:
        table = self.query_one("#rules-coverage", DataTable)
        for key, label in (("position", "#"), ("segment", "Segment"), ("customers", "Customers"),
                           ("change", "vs saved"), ("share", "Share"), ("bought", "Bought"),
                           ("alone", "Rule alone")):
            table.add_column(label, key=key)
        if self.app.is_headless:
            self.editor.cursor_blink = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_editor":
            return self.editor.has_focus
        return True

    def action_leave_editor(self) -> None:
        """Leave the editor for the coverage table (then 1-5 switch tabs again)."""
        self.query_one("#rules-coverage", DataTable).focus()

    @property
    def editor(self) -> TextArea:
        return self.query_one("#rules-editor", TextArea)

    @property
    def text(self) -> str:
        return self.editor.text

    @property
    def checking(self) -> bool:
        """A check of the text is running or queued (its coverage and problem are not final)."""
        return self._check_running or self._check_pending

    @property
    def dirty(self) -> bool:
        return self.session is not None and self.session.is_dirty(self.text)

    # -- opening ---------------------------------------------------------------------------
    def open_file(self, path: Path, columns=None) -> None:
        """Edit ``path`` (segments.yaml); a broken file opens as text with its error shown."""
        if columns is not None:
            self.columns = columns
        try:
            self.session = EditSession(path)
        except SegkitError as exc:
            self.app.notify(str(exc), severity="error", title="Cannot open the ruleset")
            return
        self._load(self.session.saved_text)
        recovered = self.session.read_recovery()
        if recovered is not None:
            self.app.push_screen(
                ChoiceScreen("Unsaved edits found",
                             f"{self.session.path.name} has edits from an earlier session that were "
                             "never saved. Restore them into the editor (then save), or discard them?",
                             [("restore", "Restore my edits", "primary"), ("discard", "Discard", "error")]),
                lambda answer: self._recover(answer, recovered))

    def _recover(self, answer: str | None, text: str) -> None:
        if answer == "restore":
            self.replace_all(text)
            self.post_message(ShowTab("rules"))
            self.app.notify("Restored your unsaved edits; save with Ctrl+S", title="Rules")
        elif answer == "discard" and self.session is not None:
            self.session.clear_recovery()

    def _load(self, text: str) -> None:
        self._quiet = True
        self.editor.load_text(text)
        self._update_file_status()
        self.request_check()

    def set_engine(self, engine: CoverageEngine, columns, measure=None) -> None:
        """``measure(ruleset) -> fidelity``: how saved rules are measured for their provenance
        (the run's :meth:`RunView.ruleset_figures`, on segmentation's held-out customers, so a
        saved file quotes the same kind of figure as segments.json); without it, the live
        figure on every customer."""
        self.engine = engine
        self.columns = columns
        self.measure = measure
        self.request_check()

    # -- live checking ---------------------------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if self._quiet:
            self._quiet = False
        else:
            self._changed_at = time.perf_counter()
            self._schedule_recovery()
        self._update_file_status()
        self.request_check()

    def request_check(self) -> None:
        if self._check_running:
            self._check_pending = True
            return
        self._check_running = True
        self._check(self.text, self._changed_at or time.perf_counter())

    @work(thread=True, exclusive=False, group="rules-check")  # one in flight: see request_check
    def _check(self, text: str, started: float) -> None:
        ruleset = coverage = None
        try:
            ruleset, problem = parse_text(text, self.columns, source=self._source())
            if ruleset is not None and self.engine is not None:
                coverage = self.engine.coverage(ruleset)
        except SegkitError as exc:
            ruleset, problem = None, Problem(str(exc))
        except Exception as exc:  # a bug must not eat the user's edits: report and go on
            ruleset, problem = None, Problem(f"internal error while checking: {type(exc).__name__}: {exc}")
        try:
            self.app.call_from_thread(self._show_check, text, started, ruleset, problem, coverage)
        except RuntimeError:  # the app is closing
            pass

    def _source(self) -> str:
        return self.session.path.name if self.session is not None else "segments.yaml"

    def _show_check(self, text: str, started: float, ruleset, problem: Problem | None,
                    coverage: LiveCoverage | None) -> None:
        self._check_running = False
        self.checked_text = text
        self.problem = problem
        if ruleset is not None:
            self.current = ruleset
        self._show_problem(ruleset)
        if coverage is not None:
            self.coverage = coverage
            self._show_coverage(coverage)
        elif problem is not None:
            self.query_one("#rules-summary", Static).update(Content.from_markup(
                "[$warning]Coverage paused until the error is fixed.[/]"))
        if text == self.text:
            self.last_latency = time.perf_counter() - started
        if self._check_pending:
            self._check_pending = False
            self.request_check()

    def _show_problem(self, ruleset) -> None:
        box = self.query_one("#rules-problem", Static)
        if self.problem is not None:
            where = ""
            if self.problem.line:
                where = " · Ctrl+G goes there"
            box.update(Content.from_markup(
                f"[$error b]✗[/] [$error]{escape(self.problem.message)}[/]\n"
                f"[dim]Saving is refused until this is fixed{where}.[/]"))
            box.add_class("-error")
        else:
            n = len(ruleset.segments) if ruleset is not None else 0
            box.update(Content.from_markup(
                f"[$success b]✓[/] valid · {n} rules + default"))
            box.remove_class("-error")

    def _show_coverage(self, cov: LiveCoverage) -> None:
        parts = [f"[b]{count(cov.rows)}[/] customers"]
        if cov.moved is not None:
            parts.append(f"[b]{count(cov.moved)}[/] change segment vs saved" if cov.moved
                         else "same as saved")
        if cov.fidelity is not None:
            parts.append(f"fidelity to clusters [b]{pct(cov.fidelity)}[/]"
                         + (f" (saved {pct(cov.saved_fidelity)})" if cov.saved_fidelity is not None else ""))
        self.query_one("#rules-summary", Static).update(Content.from_markup(" · ".join(parts)))
        table = self.query_one("#rules-coverage", DataTable)
        keep = table.cursor_row
        table.clear()
        for s in cov.segments:
            change = s.change
            if change is None:
                delta = Text("new", style="italic", justify="right")
            elif change == 0:
                delta = Text("=", justify="right", style="dim")
            else:
                delta = Text(f"{change:+,}", justify="right", style="bold")
            label = s.name if len(s.name) <= 24 else s.name[:23] + "…"
            table.add_row("·" if s.position is None else str(s.position), label,
                          Text(count(s.assigned), justify="right"), delta,
                          Text(pct(s.share), justify="right"), Text(pct(s.purchase_rate), justify="right"),
                          Text(count(s.matched) if s.position is not None else "", justify="right"),
                          key=s.id)
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1), animate=False)
        notes = []
        for p in cov.problems:
            notes.append(f"[$warning]! {escape(p)}[/]")
        pairs = cov.overlapping_pairs()[:3]
        names = {s.id: s.name for s in cov.segments}
        for a, b, n in pairs:
            notes.append(f"[dim]{count(n)} match both {escape(names[a])} and {escape(names[b])} "
                         "(the first wins)[/]")
        self.query_one("#rules-notes", Static).update(Content.from_markup("\n".join(notes)))

    def _update_file_status(self) -> None:
        box = self.query_one("#rules-file", Static)
        if self.session is None:
            box.update("No ruleset loaded")
            return
        name = escape(str(self.session.path))
        if self.dirty:
            box.update(Content.from_markup(f"[b]{name}[/] [$warning b]● unsaved changes[/]"))
        else:
            box.update(Content.from_markup(f"[b]{name}[/] [dim]saved[/]"))
        if self.dirty != self._posted_dirty:
            self._posted_dirty = self.dirty
            self.post_message(RulesDirtyChanged(self.dirty))

    # -- recovery copy ---------------------------------------------------------------------
    def _schedule_recovery(self) -> None:
        if self._recovery_timer is not None:
            self._recovery_timer.stop()
        self._recovery_timer = self.set_timer(RECOVERY_DELAY, self.write_recovery)

    def write_recovery(self) -> None:
        if self.session is None:
            return
        try:
            self.session.write_recovery(self.text)
        except OSError as exc:
            self.app.notify(f"Could not keep a recovery copy of your edits: {exc}", severity="warning")

    # -- where the user is -----------------------------------------------------------------
    def current_segment(self) -> str | None:
        """The segment under the cursor, or the highlighted coverage row when that has focus."""
        table = self.query_one("#rules-coverage", DataTable)
        if table.has_focus and table.row_count:
            try:
                return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            except Exception:
                return None
        return segment_at(self.text, self.editor.cursor_location[0])

    def goto_segment(self, segment_id: str) -> None:
        loc = rule_location(self.text, segment_id)
        if loc is None:
            self.app.notify(f"No segment '{segment_id}' in the editor", severity="warning")
            return
        self.editor.move_cursor(loc, center=True)
        self.editor.focus()

    def replace_all(self, new_text: str, cursor: tuple[int, int] | None = None) -> None:
        """Replace the whole text as one undoable edit."""
        ta = self.editor
        if new_text == ta.text:
            return
        ta.history.checkpoint()
        ta.replace(new_text, (0, 0), ta.document.end)
        ta.history.checkpoint()
        if cursor is not None:
            ta.move_cursor(cursor, center=True)

    def _replace_keeping_view(self, text: str) -> None:
        """Replace the text (one undoable edit) with the cursor and scroll where they were.

        A reload must not move the cursor: the user's next keystroke would land at line 1.
        The old position is clamped to the new text.
        """
        ta = self.editor
        row, col = ta.cursor_location
        scroll = ta.scroll_offset
        self.replace_all(text)
        lines = ta.document.line_count
        row = min(row, lines - 1)
        col = min(col, len(ta.document.get_line(row)))
        ta.move_cursor((row, col))
        ta.scroll_to(scroll.x, scroll.y, animate=False, immediate=True)

    def _need_valid(self, what: str) -> bool:
        if self.problem is not None or self.checked_text != self.text:
            if self.problem is None:  # a check is still running: parse now
                _, problem = parse_text(self.text, None)
                if problem is None:
                    return True
            self.app.notify(f"Fix the error in the ruleset before you {what}", severity="warning",
                            title="Rules")
            return False
        return True

    # -- actions ---------------------------------------------------------------------------
    def action_undo(self) -> None:
        self.editor.undo()

    def action_redo(self) -> None:
        self.editor.redo()

    def action_goto_error(self) -> None:
        if self.problem is None or not self.problem.line:
            self.app.notify("No error to go to" if self.problem is None else "The error has no position",
                            title="Rules")
            return
        line = max(0, self.problem.line - 1)
        col = max(0, (self.problem.col or 1) - 1)
        self.editor.move_cursor((line, col), center=True)
        self.editor.focus()

    def action_save(self) -> None:
        if self.session is None:
            self.app.notify("No ruleset to save", severity="warning")
            return
        text = self.text
        _, problem = parse_text(text, self.columns, source=self._source())
        if problem is not None:
            self.problem = problem
            self._show_problem(None)
            self.app.notify(f"Not saved: {problem.message}", severity="error", title="Rules")
            return
        if not self.session.is_dirty(text) and not self.session.changed_on_disk():
            self.app.notify("No changes to save", title="Rules")
            return
        text, edited = self._with_measured_provenance(text)
        try:
            ruleset, written = self.session.save(text, columns=self.columns)
        except ConflictError as exc:
            self.app.push_screen(
                ChoiceScreen("The file changed on disk",
                             f"{exc}\n\nYour edits stay in the editor until you choose.",
                             [("saveas", "Save as…", "primary"), ("reload", "Reload from disk", "error"),
                              ("cancel", "Cancel", "default")]),
                self._resolve_conflict)
            return
        except SegkitError as exc:
            self.app.notify(str(exc), severity="error", title="Not saved")
            return
        self._after_save(ruleset, written, text, edited)

    def _rules_of(self, text: str):
        from toolkit.ruleset import Ruleset

        try:
            rs = Ruleset.loads(text)
        except SegkitError:
            return None
        return [(s.id, s.rule) for s in rs.segments], rs.default.id

    def _with_measured_provenance(self, text: str) -> tuple[str, bool]:
        """``text`` with ``provenance.fidelity`` measured for these rules when they differ from
        the saved ones (the old figure described other rules), and whether they differ.

        The fidelity is the editor's figure on the run's customers (None when it cannot be
        measured); ``stability`` was measured by bootstrapping the distilled rules, so it is
        cleared for edited rules rather than kept as a figure about other rules.
        """
        if self.session is None:
            return text, False
        edited = self._rules_of(text) != self._rules_of(self.session.saved_text)
        if not edited:
            return text, False
        ruleset, problem = parse_text(text, self.columns, source=self._source())
        if ruleset is None or problem is not None:
            return text, True
        fidelity = self._saved_fidelity(ruleset)
        prov = ruleset.provenance
        new_fid = None if fidelity is None else round(float(fidelity), 4)
        if prov.fidelity == new_fid and prov.stability is None:
            return text, True
        prov.fidelity = new_fid
        prov.stability = None
        return ruleset.dumps(), True

    def _saved_fidelity(self, ruleset) -> float | None:
        try:
            if getattr(self, "measure", None) is not None:
                return self.measure(ruleset)
            return None if self.engine is None else self.engine.coverage(ruleset).fidelity
        except SegkitError:
            return None

    def _after_save(self, ruleset, written: str, text: str, edited: bool = True) -> None:
        if written != self.text:  # normalised, or provenance measured for edited rules
            self.replace_all(written, self.editor.cursor_location)
        self._update_file_status()
        if self.engine is not None:
            self.engine.set_saved(ruleset)
        self.request_check()
        self.app.notify(f"Saved {self.session.path.name} ({len(ruleset.segments)} rules + default)",
                        title="Rules")
        self.post_message(RulesetSaved(ruleset, self.session.path, self._saved_fidelity(ruleset), edited))

    def _resolve_conflict(self, answer: str | None) -> None:
        if answer == "reload":
            self.reload(confirmed=True)
        elif answer == "saveas":
            self.action_save_as()

    def action_save_as(self) -> None:
        if self.session is None or not self._need_valid("save"):
            return
        suggestion = str(self.session.path.with_name(self.session.path.stem + "_edited.yaml"))
        self.app.push_screen(
            PromptScreen("Save the ruleset as", "A new .yaml file; the editor then edits that file.",
                         suggestion, check=_check_yaml_path, confirm="Save"),
            self._save_as)

    def _save_as(self, path: str | None) -> None:
        if not path or self.session is None:
            return
        text = self.text
        try:
            ruleset, written = self.session.save_as(text, path, columns=self.columns)
        except SegkitError as exc:
            self.app.notify(str(exc), severity="error", title="Not saved")
            return
        if written != text:
            self.replace_all(written, self.editor.cursor_location)
        self._update_file_status()
        self.app.notify(f"Saved as {self.session.path}; the editor now edits that file", title="Rules")
        self.post_message(RulesetSaved(ruleset, self.session.path, self._saved_fidelity(ruleset), True))

    def action_reload(self) -> None:
        self.reload()

    def reload(self, confirmed: bool = False) -> None:
        if self.session is None:
            return
        if self.dirty and not confirmed:
            self.app.push_screen(
                ChoiceScreen("Reload from disk?",
                             "This replaces the editor's text with the file on disk. Your edits can "
                             "still be brought back with Ctrl+Z.",
                             [("reload", "Reload", "error"), ("cancel", "Cancel", "default")]),
                lambda answer: self.reload(confirmed=True) if answer == "reload" else None)
            return
        try:
            text = self.session.reload()
        except SegkitError as exc:
            self.app.notify(str(exc), severity="error", title="Cannot reload")
            return
        self._replace_keeping_view(text)
        self._update_file_status()
        ruleset, problem = parse_text(text, self.columns, source=self._source())
        if ruleset is not None:
            if self.engine is not None:
                self.engine.set_saved(ruleset)
            self.post_message(RulesetSaved(ruleset, self.session.path, self._saved_fidelity(ruleset),
                                                True))
        self.request_check()
        self.app.notify(f"Reloaded {self.session.path.name} from disk", title="Rules")

    def watch_disk(self) -> None:
        """Called on a timer: tell the user when someone else changed the file."""
        if self.session is None or not self.session.changed_on_disk():
            return
        if self.dirty:  # never replace unsaved edits behind the user's back
            if not getattr(self, "_warned", False):
                self._warned = True
                self.app.notify(f"{self.session.path.name} changed on disk. Ctrl+R loads that version "
                                "(Ctrl+Z brings your edits back); keep editing and saving asks what to do.",
                                severity="warning", title="Rules", timeout=12)
        else:
            self._warned = False
            self.reload(confirmed=True)

    def action_rename(self) -> None:
        seg = self.current_segment()
        if seg is None:
            self.app.notify("Put the cursor on a segment to rename it", severity="warning", title="Rules")
            return
        if not self._need_valid("rename a segment"):
            return
        try:
            from toolkit.ruleset import Ruleset

            rs = Ruleset.loads(self.text)
            name = rs.names[seg]
        except (SegkitError, KeyError) as exc:
            self.app.notify(str(exc), severity="error", title="Rules")
            return
        self.app.push_screen(
            PromptScreen(f"Rename segment '{seg}'", "The display name changes; the id (used by "
                         "exports and campaigns) stays.", name, check=_check_name, confirm="Rename"),
            lambda new: self.rename(seg, new) if new else None)

    def rename(self, segment_id: str, new_name: str) -> None:
        try:
            new_text = rename_in_text(self.text, segment_id, new_name)
        except SegkitError as exc:
            self.app.notify(str(exc), severity="error", title="Rules")
            return
        cursor = self.editor.cursor_location
        self.replace_all(new_text, cursor)
        self.app.notify(f"Renamed to {new_name.strip()} (unsaved; Ctrl+Z undoes)", title="Rules")

    def action_move(self, delta: int) -> None:
        seg = self.current_segment()
        if seg is None:
            self.app.notify("Put the cursor on a segment to move it", severity="warning", title="Rules")
            return
        if not self._need_valid("move a segment"):
            return
        self.move(seg, delta)

    def move(self, segment_id: str, delta: int) -> None:
        table_focus = self.query_one("#rules-coverage", DataTable).has_focus
        try:
            new_text, index = move_in_text(self.text, segment_id, delta)
        except SegkitError as exc:
            self.app.notify(str(exc), severity="warning", title="Rules")
            return
        self.replace_all(new_text, rule_location(new_text, segment_id))
        if table_focus:
            self.query_one("#rules-coverage", DataTable).move_cursor(row=index, animate=False)
        self.app.notify(f"Moved '{segment_id}' to position {index + 1} (checked "
                        f"{'earlier' if delta < 0 else 'later'}); Ctrl+Z undoes", title="Rules")
