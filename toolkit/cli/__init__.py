"""The ``segkit`` command line: thin commands over :mod:`toolkit`.

:func:`main` is the last line of defence: whatever goes wrong, the user sees one line.

- a user mistake (:class:`toolkit.errors.SegkitError`): the message, exit 2;
- the environment refusing (an ``OSError``: permission denied, disk full, a folder where a
  file should be...): the path and the reason, exit 2;
- Ctrl+C: ``interrupted``, exit 130;
- anything else is a bug: one line naming the command and the exception, exit 70
  (``EX_SOFTWARE``), the traceback written to a log file the line names, and printed in
  full with ``segkit --debug ...`` (or ``SEGKIT_DEBUG=1``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

import typer
from rich.console import Console

from toolkit.errors import SegkitError

USER_ERROR_EXIT = 2
BUG_EXIT = 70  # EX_SOFTWARE: distinct from 1 (`rules check` found problems) and 3 (`monitor --strict`)
INTERRUPTED_EXIT = 130
DEBUG_FLAG = "--debug"

app = typer.Typer(
    name="segkit",
    help="Explainable customer segmentation and purchase prediction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, soft_wrap=True)


@app.callback()
def _global_options(
    debug: bool = typer.Option(False, DEBUG_FLAG,
                               help="Print the full traceback when segkit fails unexpectedly."),
) -> None:
    """Explainable customer segmentation and purchase prediction."""
    # ``--debug`` is taken out of the arguments by :func:`main` (so it works anywhere on the
    # line); declaring it here documents it in ``segkit --help``.


def _plain_help() -> None:
    """Help that reads like every other Unix tool: no ``<bool>`` after a flag (a flag takes
    no value; ``--names true`` is an error) and ``RULESET`` rather than ``{ruleset}`` in
    usage lines. Typer >= 0.2x renders both; older versions already print it this way."""
    from typer import core

    option = getattr(core, "TyperOption", None)
    if option is not None and hasattr(option, "display_type_rich") and not getattr(option, "_segkit", False):
        shown = option.display_type_rich

        def display_type_rich(self, ctx):
            if getattr(self, "is_flag", False) and self.metavar is None:
                return None
            return shown(self, ctx)

        option.display_type_rich = display_type_rich
        option._segkit = True
    argument = getattr(core, "TyperArgument", None)
    if argument is not None and hasattr(argument, "_usage_display_name") and not getattr(argument, "_segkit", False):
        def _usage_display_name(self) -> str:
            name = self.display_name_raw.upper()
            if not self.required:
                name = f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        argument._usage_display_name = _usage_display_name
        argument._segkit = True


def _register() -> None:
    # Each module adds its commands to ``app``; imported here so `segkit --help` lists them all.
    from toolkit.cli import core  # noqa: F401

    _plain_help()
    for optional in ("segment", "rules", "report", "tui", "generate", "snapshot", "backtest",
                     "export"):
        try:
            __import__(f"toolkit.cli.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"toolkit.cli.{optional}":
                raise


def _command_name(args: list[str]) -> str:
    """``segkit score`` or ``segkit rules export``: what the user ran, for error lines."""
    words = [a for a in args if not a.startswith("-")][:2]
    if words and words[0] != "rules":
        words = words[:1]
    return " ".join(["segkit", *words])


def _write_crash_log(command: str, args: list[str]) -> Path | None:
    """The current exception's traceback in a log file (for the bug report), or None."""
    try:
        fd, name = tempfile.mkstemp(prefix=f"segkit-crash-{time.strftime('%Y%m%d-%H%M%S')}-",
                                    suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(f"{command} failed\nargs: {args!r}\npython: {sys.version}\n\n")
            log.write(traceback.format_exc())
        return Path(name)
    except OSError:
        return None


def _os_error_line(exc: OSError) -> str:
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    reason = exc.strerror or str(exc) or type(exc).__name__
    return ": ".join([*paths, reason]) if paths else f"{reason} ({type(exc).__name__})"


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``segkit`` console script (see the module docstring for exits)."""
    args = list(sys.argv[1:] if argv is None else argv)
    cut = args.index("--") if "--" in args else len(args)
    debug = DEBUG_FLAG in args[:cut] or os.environ.get("SEGKIT_DEBUG", "") not in ("", "0")
    args = [a for a in args[:cut] if a != DEBUG_FLAG] + args[cut:]
    command = _command_name(args)
    try:
        _register()
        app(args=args, prog_name="segkit", standalone_mode=True)
    except SystemExit as exc:
        # Typer turns Ctrl+C inside a command into a silent exit 130; say what happened.
        if exc.code == INTERRUPTED_EXIT and _caused_by(exc, KeyboardInterrupt):
            err_console.print(f"[bold red]interrupted:[/] {_escape(command)} stopped (Ctrl+C)",
                              highlight=False)
        raise
    except SegkitError as exc:
        err_console.print(f"[bold red]error:[/] {_escape(str(exc))}", highlight=False)
        sys.exit(USER_ERROR_EXIT)
    except KeyboardInterrupt:
        err_console.print(f"[bold red]interrupted:[/] {_escape(command)} stopped (Ctrl+C)",
                          highlight=False)
        sys.exit(INTERRUPTED_EXIT)
    except BrokenPipeError:
        # `segkit rules export ... | head`: the reader went away; nothing left to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except (OSError, MemoryError) as exc:
        if debug:
            traceback.print_exc()
        what = _os_error_line(exc) if isinstance(exc, OSError) else "out of memory"
        err_console.print(f"[bold red]error:[/] {_escape(command)}: {_escape(what)}", highlight=False)
        sys.exit(USER_ERROR_EXIT)
    except BaseException as exc:  # noqa: BLE001 - the last line of defence (also Rust panics)
        if debug:
            traceback.print_exc()
            hint = "this is a bug; the traceback is above"
        else:
            log = _write_crash_log(command, args)
            hint = "this is a bug; rerun with --debug for the traceback" + (
                f", or see the log at {log}" if log else "")
        detail = str(exc).strip().splitlines()
        problem = type(exc).__name__ + (f": {detail[0]}" if detail else "")
        err_console.print(f"[bold red]error:[/] {_escape(command)} failed: {_escape(problem)} "
                          f"({_escape(hint)})", highlight=False)
        sys.exit(BUG_EXIT)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, kind):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return False


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
