"""Running ``segkit`` in-process for tests: the exit status a shell would see.

The subprocess tests (test_e2e_commands.py) run the installed script; these run ``main``
directly, which is faster and lets a test patch toolkit functions.
"""

from __future__ import annotations

from toolkit.cli import main


def run_cli(args: list[str]) -> int:
    """``segkit ARGS`` in this process; the exit status (0 when main returns)."""
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0
