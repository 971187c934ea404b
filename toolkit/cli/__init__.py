"""The ``segkit`` command line: thin commands over :mod:`toolkit`.

User mistakes (:class:`toolkit.errors.SegkitError`) print one readable line and exit 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from toolkit.errors import SegkitError

app = typer.Typer(
    name="segkit",
    help="Explainable customer segmentation and purchase prediction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, soft_wrap=True)


def _register() -> None:
    # Each module adds its commands to ``app``; imported here so `segkit --help` lists them all.
    from toolkit.cli import core  # noqa: F401

    for optional in ("segment", "rules", "report", "tui", "generate"):
        try:
            __import__(f"toolkit.cli.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"toolkit.cli.{optional}":
                raise


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``segkit`` console script."""
    _register()
    try:
        app(args=argv, standalone_mode=True)
    except SegkitError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
