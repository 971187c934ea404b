"""`segkit tui`: the terminal UI over a run folder."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer

from toolkit.cli import app


@app.command("tui")
def tui_command(
    run: Path = typer.Option(Path("runs/demo"), "--run", help="Run folder to open (created by `segkit demo` "
                             "or `segkit train`). When it does not exist the TUI offers to create a demo run."),
    data: Path = typer.Option(None, "--data", help="Customer table (.csv or .parquet) when the run folder "
                              "has no data.parquet."),
) -> None:
    """Explore a run in the terminal: segments, model, customers, rules editor, exports."""
    from toolkit.errors import SegkitError

    if data is not None and not data.is_file():
        raise SegkitError(f"{data}: no such file (give the customer table with --data)")
    from tui.app import SegkitApp

    if os.environ.get(SMOKE_ENV):
        _smoke(SegkitApp(run, data, watch_disk=None, strict=True))
        return
    SegkitApp(run, data).run()


# Hidden switch for the end-to-end tests (tests/e2e/test_e2e_commands.py): SEGKIT_TUI_SMOKE=1 runs
# the app headless at 80x24, waits until the first screen has loaded (no worker running),
# prints that screen as plain text and quits. Errors inside the app are raised (strict).
SMOKE_ENV = "SEGKIT_TUI_SMOKE"


def _smoke(app, size: tuple[int, int] = (80, 24), rounds: int = 200) -> None:
    from textual.worker import WorkerCancelled, WorkerState

    screen: list[str] = []

    async def pilot_steps(pilot) -> None:
        for _ in range(rounds):
            try:
                await app.workers.wait_for_complete()
            except WorkerCancelled:
                pass
            await pilot.pause()
            if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
                break
            await asyncio.sleep(0.05)
        strips = app.screen._compositor.render_strips()
        screen.append("\n".join("".join(seg.text for seg in strip).rstrip() for strip in strips))
        app.exit()

    app.run(headless=True, size=size, auto_pilot=pilot_steps)
    if app.return_code:
        raise typer.Exit(app.return_code)
    typer.echo(screen[0] if screen else "")
