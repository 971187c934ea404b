"""`segkit tui`: the terminal UI over a run folder."""

from __future__ import annotations

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

    SegkitApp(run, data).run()
