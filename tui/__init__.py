"""The segkit terminal UI (Textual): `segkit tui [--run RUN_DIR] [--data FILE]`.

Layout: :mod:`tui.app` (the application: the run's state, every worker and the handlers of
the messages), :mod:`tui.tabs` (the one list of tabs), :mod:`tui.messages` (what panes and
screens ask of the app), :mod:`tui.state` (what screens are built with), :mod:`tui.commands`
(the command palette), one module per tab in :mod:`tui.widgets` and per pushed screen in
:mod:`tui.screens`. Every figure comes from :mod:`toolkit`; this package only arranges and
formats them.
"""

from __future__ import annotations

__all__ = ["SegkitApp"]


def __getattr__(name: str):
    if name == "SegkitApp":
        from tui.app import SegkitApp

        return SegkitApp
    raise AttributeError(name)
