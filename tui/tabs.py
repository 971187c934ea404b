"""The tabs of the main screen, listed once.

:data:`TABS` drives everything that names a tab: the app's ``compose`` (one ``TabPane``
per entry, holding an instance of its pane class), the key bindings (each tab's digit and
Ctrl+PageUp/PageDown through them in this order), ``show_tab`` and the widget it focuses,
and the command palette's "Go to ..." commands. A new tab is one :class:`Tab` here plus
its pane class in :mod:`tui.widgets`. A tab that ``needs`` a run artifact is hidden for runs
without it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.widget import Widget

from tui.widgets.compare import ComparePane
from tui.widgets.customer import CustomerPane
from toolkit.run.folder import FLOW
from tui.widgets.model import ModelPane
from tui.widgets.movement import MovementPane
from tui.widgets.rules import RulesPane
from tui.widgets.segments import SegmentsPane


@dataclass(frozen=True)
class Tab:
    """One tab: ``id`` (the TabPane's id, used by ``show_tab``), ``label`` (its title), the
    ``pane`` class shown in it, the ``key`` that shows it, and ``focus``: a selector of the
    widget inside the pane that gets the focus when the tab is shown (None: the pane).

    ``needs``: a run artifact (a :mod:`toolkit.run.folder` name) without which the tab is
    hidden; its key then shows ``hint`` (``{run}``: the run folder) instead."""

    id: str
    label: str
    pane: type[Widget]
    key: str
    focus: str | None = None
    needs: str | None = None
    hint: str | None = None

    @property
    def pane_id(self) -> str:
        """The id of the pane widget inside the TabPane."""
        return f"{self.id}-pane"

    @property
    def action(self) -> str:
        """The app action that shows this tab (what its key and palette command run)."""
        return f"show_tab('{self.id}')"

    @property
    def focus_selector(self) -> str:
        return self.focus or f"#{self.pane_id}"


TABS: tuple[Tab, ...] = (
    Tab("segments", "Segments", SegmentsPane, "1", "#segments-table"),
    Tab("model", "Model", ModelPane, "2"),
    Tab("customer", "Customer", CustomerPane, "3", "#customer-id"),
    Tab("rules", "Rules", RulesPane, "4", "#rules-editor"),
    Tab("compare", "Compare", ComparePane, "5"),
    Tab("movement", "Movement", MovementPane, "6", "#movement-table", needs=FLOW,
        hint="This run has no movement between snapshots yet: `segkit rules flow RULES --data A "
             "--then B --run {run}` records one (A and B: the customer tables at two dates)."),
)


def tab_bindings(tabs: tuple[Tab, ...]) -> list[Binding]:
    """The keys of ``tabs``: one per tab (hidden from the footer, listed in help and the
    palette), and Ctrl+PageDown/PageUp, which work even while typing (priority)."""
    return [Binding(t.key, t.action, t.label, show=False) for t in tabs] + [
        Binding("ctrl+pagedown", "next_tab(1)", "Next tab", show=False, priority=True),
        Binding("ctrl+pageup", "next_tab(-1)", "Previous tab", show=False, priority=True),
    ]


def key_range(tabs: tuple[Tab, ...]) -> str:
    """How the tab keys read in a hint: "1-5"."""
    return f"{tabs[0].key}-{tabs[-1].key}" if len(tabs) > 1 else tabs[0].key
