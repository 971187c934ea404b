"""How the TUI is put together (issue 9): one tab registry, panes and screens that talk to
the app in messages, and one handler for the errors of every worker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from toolkit.errors import SegkitError
from tui.commands import commands
from tui.screens.detail import SegmentDetailScreen
from tui.tabs import TABS, Tab
import tui_run
from tui_run import RecordingApp, copy_run, settle

TUI = Path(__file__).resolve().parents[2] / "tui"


@pytest.fixture
def run(tmp_path) -> Path:
    return copy_run(tmp_path / "demo")


class NotesPane(VerticalScroll):
    """A pane no real tab has: what one more tab would be."""

    def compose(self):
        yield Static("notes go here", id="notes-text")


NOTES = Tab("notes", "Notes", NotesPane, str(len(TABS) + 1))


class WithNotes(RecordingApp):
    TABS = (*TABS, NOTES)


def test_a_new_tab_is_one_registry_entry(run):
    """One more Tab in the registry: a TabPane with its pane, its key, Ctrl+PageDown reaches
    it, showing it focuses its target, and the palette can go there."""

    async def steps(app, pilot):
        panes = app.query(TabPane)
        assert [p.id for p in panes] == [t.id for t in app.TABS] == [*(t.id for t in TABS), "notes"]
        assert isinstance(app.query_one("#notes", TabPane).query_one("#notes-pane"), NotesPane)
        assert app.active_bindings[NOTES.key].binding.action == "show_tab('notes')"
        await pilot.press(NOTES.key)
        await settle(app, pilot)
        assert app.query_one(TabbedContent).active == "notes"
        assert app.focused is app.query_one(NotesPane)
        await pilot.press("ctrl+pagedown")  # after the last tab, the first
        assert app.query_one(TabbedContent).active == TABS[0].id
        await pilot.press("ctrl+pageup")
        assert app.query_one(TabbedContent).active == "notes"
        go = [c for c in commands(app) if c.title == "Go to Notes"]
        assert len(go) == 1 and go[0].action == NOTES.action
        app.action_show_tab(TABS[0].id)
        go[0].run()
        assert app.query_one(TabbedContent).active == "notes"
        leave = next(c for c in commands(app) if c.action == "leave_editor")
        assert f"1-{NOTES.key}" in leave.help  # hints name the keys the registry has

    tui_run.drive(WithNotes(run, strict=True, watch_disk=None), steps, (100, 32))


def tab_lists(text: str, span: int = 120) -> list[str]:
    """Places in ``text`` where three different tab ids are written as string literals within
    ``span`` characters: a list of tabs (the old TABS, focus map, palette loop)."""
    ids = re.compile(r"""["'](%s)["']""" % "|".join(re.escape(t.id) for t in TABS))
    hits = [(m.start(), m.group(1)) for m in ids.finditer(text)]
    return [text[pos:pos + span] for pos, _ in hits
            if len({name for p, name in hits if pos <= p < pos + span}) >= 3]


def test_the_tab_list_is_written_only_in_the_registry():
    """No other module of tui/ lists tabs: no list of tab ids, no TabPane with a written
    label, no key binding per tab and no show_tab action written out: tui/tabs.py only."""
    assert tab_lists('keys = {"segments": "1", "model": "2", "rules": "4"}')  # the check sees a list
    for path in TUI.rglob("*.py"):
        if path.name == "tabs.py":
            continue
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(TUI)
        assert not tab_lists(text), (where, tab_lists(text))
        assert not re.search(r"""TabPane\(\s*["']""", text), where
        assert not re.search(r"""Binding\(\s*["'][0-9]["']""", text), where
        assert not re.search(r"""["']show_tab\(""", text), where


def test_panes_and_screens_do_not_reach_into_the_app():
    """They post messages (tui/messages.py); nothing in tui/ needs a type: ignore for an
    attribute of the app."""
    for path in TUI.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "type: ignore[attr-defined]" not in text, path.relative_to(TUI)
        if path.parent.name in ("widgets", "screens"):
            for call in re.findall(r"self\.app\.(\w+)", text):
                assert call in {"notify", "push_screen", "call_from_thread", "is_headless", "exit"}, \
                    (path.relative_to(TUI), call)


def _open_a_segment_whose_profile_fails(error: BaseException, seen: list):
    """Steps: the run's profile computation raises ``error`` in its worker; open a segment;
    ``seen`` gets the notifications titled "Profile"."""
    async def steps(app, pilot):
        def broken(*args, **kwargs):
            raise error

        app.view.profiles = broken
        app.open_segment(app.segment_rows[0].id)
        await settle(app, pilot)
        assert isinstance(app.screen, SegmentDetailScreen) and app.is_running
        seen.extend(n for n in app.notices if n.title == "Profile")
    return steps


def test_a_worker_error_is_a_notification_naming_its_place(run):
    seen: list = []
    tui_run.drive(RecordingApp(run, watch_disk=None),
                  _open_a_segment_whose_profile_fails(SegkitError("segment X: no profile"), seen), (100, 32))
    assert [(n.message, n.severity) for n in seen] == [("segment X: no profile", "error")]
    seen.clear()  # not strict (what users run): a bug is a notification too, the app goes on
    tui_run.drive(RecordingApp(run, watch_disk=None),
                  _open_a_segment_whose_profile_fails(ZeroDivisionError("a bug"), seen), (100, 32))
    assert [n.message for n in seen] == ["Unexpected error (ZeroDivisionError): a bug"]


def test_strict_mode_raises_a_worker_bug(run):
    with pytest.raises(ZeroDivisionError, match="a bug"):
        tui_run.drive(RecordingApp(run, strict=True, watch_disk=None),
                      _open_a_segment_whose_profile_fails(ZeroDivisionError("a bug"), []), (100, 32))
