"""First run: the run folder does not exist; explain and offer to create a demo run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Log, ProgressBar, Static

from toolkit.errors import SegkitError
from tui.format import escape
from tui.screens.dialogs import CheckWith
from tui.widgets.footer import SegkitFooter

# Messages run_demo logs, in order: each one advances the progress bar one step.
STAGES = ("Generated", "Auditing", "Fitting the EBM", "Fitting baselines", "Compiling",
          "Segment", "Scored", "Report")


def _check_rows(value: str) -> int:
    try:
        rows = int(value.replace(",", "").replace("_", "").strip())
    except ValueError:
        raise SegkitError("the number of customers must be a whole number, e.g. 30000") from None
    if not 1000 <= rows <= 2_000_000:
        raise SegkitError("choose between 1,000 and 2,000,000 customers")
    return rows


DemoRunner = Callable[..., None]  # (out, *, rows, emit, started) -> None, e.g. tui.app.run_demo_process


class SetupScreen(Screen[bool]):
    """Shown instead of the tabs when the run folder is missing; dismissed with True once
    ``demo_runner`` has created the run (the app then opens it)."""

    BINDINGS = [Binding("ctrl+d", "create", "Create demo run"), Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, run_dir: Path, demo_runner: DemoRunner) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.demo_runner = demo_runner
        self.running = False
        self.ready = False  # the run exists; open it when this screen is on top again
        self.process = None  # the demo's child process, once started (stopped if the app quits)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="setup-body"):
            yield Static(Content.from_markup(
                f"[b]No run at {escape(str(self.run_dir))}[/]\n\n"
                "segkit shows a [i]run[/]: a folder with your customers, a trained purchase model and "
                "the segments found in them. To try it, create a demo run from generated sample "
                "customers. In a terminal:\n\n"
                f"    [b]segkit demo --out {escape(str(self.run_dir))}[/]\n\n"
                "or create it here: choose how many customers and press [b]Create demo run[/] "
                "(about a minute for 30,000 customers, a few minutes for 180,000). To open another "
                "run instead, quit and start [b]segkit tui --run FOLDER[/]."), id="setup-text")
            with Horizontal(id="setup-form"):
                yield Label("Customers", classes="field-label")
                yield Input("30000", id="setup-rows", validators=[CheckWith(_check_rows)])
                yield Button("Create demo run", id="setup-go", variant="primary")
                yield Button("Quit", id="setup-quit")
            yield ProgressBar(total=len(STAGES), id="setup-progress", show_eta=False)
            yield Static("", id="setup-status")
            yield Log(id="setup-log", highlight=False)
        yield SegkitFooter()

    def on_mount(self) -> None:
        self.query_one("#setup-progress").display = False
        self.query_one("#setup-log").display = False
        self.query_one("#setup-go", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "setup-go":
            self.action_create()
        else:
            self.app.exit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_create()

    def action_create(self) -> None:
        if self.running:
            return
        try:
            rows = _check_rows(self.query_one("#setup-rows", Input).value)
        except SegkitError as exc:
            self.query_one("#setup-status", Static).update(Content.from_markup(f"[$error]{escape(str(exc))}[/]"))
            return
        self.running = True
        self.query_one("#setup-go", Button).disabled = True
        self.query_one("#setup-progress").display = True
        self.query_one("#setup-log").display = True
        self.query_one("#setup-text").display = False  # room for the log, even at 80x24
        self.query_one("#setup-status", Static).update(f"Creating a demo run with {rows:,} customers…")
        self.started = time.perf_counter()
        self._create(rows)

    @work(thread=True, exclusive=True, group="demo")
    def _create(self, rows: int) -> None:
        app = self.app
        try:
            self.demo_runner(self.run_dir, rows=rows,
                             emit=lambda line: app.call_from_thread(self._log, line),
                             started=self._started_process)
        except SegkitError as exc:
            app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - report, keep the app alive
            app.call_from_thread(self._failed, f"{type(exc).__name__}: {exc}")
            return
        app.call_from_thread(self._finished)

    def _started_process(self, process) -> None:
        self.process = process

    def on_unmount(self) -> None:
        """Leaving (quitting) while the demo runs: stop the child process we started."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()

    def _log(self, line: str) -> None:
        self.query_one("#setup-log", Log).write_line(line)
        bar = self.query_one("#setup-progress", ProgressBar)
        for i, stage in enumerate(STAGES):
            if stage.lower() in line.lower() and (bar.progress or 0) < i + 1:
                bar.update(progress=i + 1)
        elapsed = time.perf_counter() - self.started
        self.query_one("#setup-status", Static).update(f"Working… {elapsed:.0f} s")

    def _failed(self, message: str) -> None:
        self.running = False
        self.query_one("#setup-text").display = True
        self.query_one("#setup-go", Button).disabled = False
        self.query_one("#setup-status", Static).update(Content.from_markup(
            f"[$error]The demo run failed: {escape(message)}[/]"))

    def _finished(self) -> None:
        self.running = False
        self.query_one("#setup-progress", ProgressBar).update(progress=len(STAGES))
        elapsed = time.perf_counter() - self.started
        self.query_one("#setup-status", Static).update(f"Done in {elapsed:.0f} s: opening the run…")
        if self.is_active:  # top of the stack (is_current is also true under a modal)
            self.app.notify(f"Demo run created in {self.run_dir}", title="Ready")
            self._open_run()
        else:
            # Help (or another screen) is on top: ``dismiss`` pops the *top* screen, which
            # would close the help and leave this screen behind it for good. Open the run
            # when the user comes back to this screen instead.
            self.ready = True
            self.app.notify(f"Demo run created in {self.run_dir}; it opens when you close this screen",
                            title="Ready")

    def on_screen_resume(self) -> None:
        if self.ready:
            self._open_run()

    def _open_run(self) -> None:
        self.ready = False
        self.dismiss(True)
