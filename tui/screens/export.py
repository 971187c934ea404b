"""The export dialog: ruleset (YAML/JSON/Markdown/SQL), audiences (CSV/Parquet), model SQL."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from toolkit.segments.audience import FORMATS as AUDIENCE_FORMATS, check_min_probability, export_audience
from toolkit.errors import SegkitError
from toolkit.exports import RULESET_FORMATS, ExportResult, check_output_path, default_name, \
    write_model_sql, write_ruleset
from toolkit.rules import DIALECTS
from tui.format import escape
from tui.screens.dialogs import CheckWith
from tui.state import RunState

KINDS = (("ruleset", "Ruleset"), ("audience", "Audience"), ("model", "Model as SQL"))
FORMAT_LABELS = {"yaml": "YAML", "json": "JSON", "markdown": "Markdown", "sql": "SQL",
                 "csv": "CSV", "parquet": "Parquet"}


class ExportScreen(ModalScreen[ExportResult | None]):
    """Choose what to export, where, and see what was written.

    Built with the run's ``state`` (the saved ruleset, the segments, the run to read) and
    whether the Rules editor has unsaved edits (the dialog is modal: that cannot change
    while it is open). Exports run in the dialog's own worker; their errors show in it.
    """

    BINDINGS = [Binding("escape", "close", "Close"), Binding("ctrl+s", "export", "Export")]

    def __init__(self, state: RunState, kind: str = "ruleset", *, segment: str | None = None,
                 fmt: str | None = None, dialect: str = "duckdb", rules_dirty: bool = False) -> None:
        super().__init__()
        self.state = state
        self.rules_dirty = rules_dirty
        self.kind = kind if kind in dict(KINDS) else "ruleset"
        self.segment = segment
        self.fmt = fmt
        self.dialect = dialect
        self.auto_path = True
        self._setting = False  # the path box is being filled in by the dialog, not typed
        self.result: ExportResult | None = None

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        segments = [(r.name, r.id) for r in self.state.segment_rows]
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label("Export", classes="dialog-title")
            with RadioSet(id="export-kind"):
                for key, label in KINDS:
                    yield RadioButton(label, value=key == self.kind, id=f"kind-{key}")
            with Horizontal(classes="field"):
                yield Label("Format", classes="field-label")
                formats = self._formats()
                if self.fmt not in formats:
                    self.fmt = formats[0]
                yield Select([(FORMAT_LABELS[f], f) for f in formats], value=self.fmt,
                             id="export-format", allow_blank=False, compact=True)
            with Horizontal(classes="field", id="row-dialect"):
                yield Label("SQL dialect", classes="field-label")
                yield Select([(d, d) for d in DIALECTS], value=self.dialect, id="export-dialect",
                             allow_blank=False, compact=True)
            with Horizontal(classes="field", id="row-segment"):
                yield Label("Segment", classes="field-label")
                yield Select(segments, id="export-segment", allow_blank=not segments, compact=True,
                             value=self.segment if self.segment in [s[1] for s in segments]
                             else (segments[0][1] if segments else Select.BLANK))
            with Horizontal(classes="field", id="row-minprob"):
                yield Label("Min. probability", classes="field-label")
                yield Input("", placeholder="optional, e.g. 0.5 (only likelier buyers)",
                            id="export-minprob", validators=[CheckWith(check_min_probability)], compact=True)
            with Horizontal(classes="field"):
                yield Label("Save to", classes="field-label")
                yield Input("", id="export-path", validators=[CheckWith(self._check_path)], compact=True)
            yield Static("", id="export-note")
            yield Static("", id="export-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", id="export-go", variant="primary")
                yield Button("Close", id="export-close")

    def on_mount(self) -> None:
        # show the chosen kind as the highlighted radio button too (RadioSet highlights the first)
        kinds = self.query_one(RadioSet)
        for _ in range([k for k, _ in KINDS].index(self.kind)):
            kinds.action_next_button()
        self._apply_kind()
        self.query_one("#export-path", Input).focus()

    # -- state -----------------------------------------------------------------------------
    def _formats(self) -> list[str]:
        if self.kind == "ruleset":
            return list(RULESET_FORMATS)
        if self.kind == "audience":
            return list(AUDIENCE_FORMATS)
        return ["sql"]

    def _check_path(self, value: str) -> None:
        check_output_path(value, [self.fmt] if self.fmt else None)

    def _apply_kind(self) -> None:
        formats = self._formats()
        if self.fmt not in formats:
            self.fmt = formats[0]
        select = self.query_one("#export-format", Select)
        select.set_options([(FORMAT_LABELS[f], f) for f in formats])
        select.value = self.fmt
        self._apply_format()

    def _apply_format(self) -> None:
        self.query_one("#row-dialect").display = self.fmt == "sql"
        self.query_one("#row-segment").display = self.kind == "audience"
        self.query_one("#row-minprob").display = self.kind == "audience"
        note = ""
        if self.kind == "ruleset" and self.rules_dirty:
            note = "[$warning]Exports the saved ruleset: save your edits in the Rules tab first to include them.[/]"
        elif self.kind == "audience":
            note = "[dim]Customer ids of the segment (saved ruleset), highest purchase probability first.[/]"
        elif self.kind == "model":
            note = "[dim]One SELECT that scores customers in your warehouse (purchase_probability).[/]"
        self.query_one("#export-note", Static).update(Content.from_markup(note))
        if self.auto_path:
            self._set_path(self._default_path())

    def _default_path(self) -> str:
        out = Path(self.state.run_dir) / "exports"
        if self.kind == "audience":
            seg = self.query_one("#export-segment", Select).value
            stem = f"audience_{seg if seg is not Select.BLANK else 'segment'}"
        elif self.kind == "model":
            stem = f"model_{self.dialect}"
        else:
            stem = "segments" + (f"_{self.dialect}" if self.fmt == "sql" else "")
        return str(out / default_name(self.fmt, stem))

    def _set_path(self, value: str) -> None:
        box = self.query_one("#export-path", Input)
        self._setting = True
        box.value = value
        box.cursor_position = len(value)

    # -- events ----------------------------------------------------------------------------
    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.kind = (event.pressed.id or "kind-ruleset").removeprefix("kind-")
        self._apply_kind()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.BLANK:
            return
        if event.select.id == "export-format":
            self.fmt = str(event.value)
        elif event.select.id == "export-dialect":
            self.dialect = str(event.value)
        self._apply_format()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id == "export-path":
            if self._setting:
                self._setting = False
            else:
                self.auto_path = False
        result = event.validation_result
        msg = self.query_one("#export-message", Static)
        if result is not None and not result.is_valid:
            msg.update(Content.from_markup(f"[$error]{escape('; '.join(result.failure_descriptions))}[/]"))
        else:
            msg.update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "export-go":
            self.action_export()
        else:
            self.action_close()

    # -- export ----------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(self.result)

    def action_export(self) -> None:
        msg = self.query_one("#export-message", Static)
        path = self.query_one("#export-path", Input).value
        try:
            self._check_path(path)
            minimum = check_min_probability(self.query_one("#export-minprob", Input).value) \
                if self.kind == "audience" else None
        except SegkitError as exc:
            msg.update(Content.from_markup(f"[$error]{escape(str(exc))}[/]"))
            return
        segment = self.query_one("#export-segment", Select).value
        if self.kind == "audience" and segment is Select.BLANK:
            msg.update(Content.from_markup("[$error]Choose a segment[/]"))
            return
        msg.update("Exporting…")
        self._export(self.kind, self.fmt, path, self.dialect,
                     None if segment is Select.BLANK else str(segment), minimum)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, kind: str, fmt: str, path: str, dialect: str, segment: str | None,
                minimum: float | None) -> None:
        app = self.app
        state = self.state
        try:
            view = state.view
            if view is None:
                raise SegkitError("no run is open")
            if kind == "ruleset":
                rs = state.saved_ruleset
                if rs is None:
                    raise SegkitError("this run has no valid saved ruleset to export")
                frame = view.frame() if fmt == "markdown" and view.has_data else None
                result = write_ruleset(rs, fmt, path, dialect=dialect, frame=frame,
                                       id_column=view.id_column, run=view.run, data=view.data_path)
            elif kind == "audience":
                result = export_audience(state.segmented_frame(), segment or "", path, fmt=fmt,
                                         min_probability=minimum, id_column=view.id_column)
            else:
                result = write_model_sql(view.scorecard(), path, dialect=dialect)
        except SegkitError as exc:
            app.call_from_thread(self._failed, str(exc))
            return
        except OSError as exc:
            app.call_from_thread(self._failed, f"cannot write {path}: {exc.strerror or exc}")
            return
        except Exception as exc:  # noqa: BLE001 - shown in the dialog, never a crash
            app.call_from_thread(self._failed, f"unexpected error ({type(exc).__name__}): {exc}")
            return
        app.call_from_thread(self._done, result)

    def _failed(self, message: str) -> None:
        self.query_one("#export-message", Static).update(Content.from_markup(f"[$error]✗ {escape(message)}[/]"))

    def _done(self, result: ExportResult) -> None:
        self.result = result
        self.query_one("#export-message", Static).update(Content.from_markup(
            f"[$success]✓ {escape(result.summary())}[/]"))
        self.app.notify(result.summary(), title="Export")
