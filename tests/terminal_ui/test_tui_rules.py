"""The Rules editor end to end: edit, live coverage, save, reload, conflicts, errors, undo."""

from __future__ import annotations

import asyncio
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import DataTable, Input

from toolkit.ruleset import Ruleset
from tui.app import SegkitApp
from tui.screens.dialogs import ChoiceScreen, PromptScreen
import tui_run
from tui_run import RecordingApp, copy_run, notes, settle, type_at_end_of_rule

SIZE = (110, 34)


@pytest.fixture
def run(tmp_path) -> Path:
    return copy_run(tmp_path / "demo")


def drive(app: SegkitApp, steps, size=SIZE):
    """Like test_tui_app's, on the Rules screen (key 4)."""
    tui_run.drive(app, steps, size, keys=("4",))


def test_edit_see_coverage_save_and_reload(run):
    path = run / "segments.yaml"
    saved = Ruleset.load(path)
    target = saved.segments[1].id
    data = pl.read_parquet(run / "data.parquet")

    async def steps(app, pilot):
        rules = app.rules
        assert app.focused is rules.editor
        assert rules.coverage is not None and rules.coverage.moved == 0 and not rules.dirty
        await type_at_end_of_rule(app, pilot, target, " or orders_365d >= 20")
        assert rules.problem is None and rules.dirty
        edited = Ruleset.loads(rules.text)
        assert edited.segment(target).rule.endswith("or orders_365d >= 20")
        cov = rules.coverage
        expected = edited.apply(data)["segment"]
        assert cov.moved == int((expected != saved.apply(data)["segment"]).sum()) > 0
        assert {s.id: s.assigned for s in cov.segments} == dict(expected.value_counts().iter_rows())
        assert rules.last_latency is not None
        table = app.query_one("#rules-coverage", DataTable)
        assert table.row_count == len(edited.ids)
        assert "● unsaved rules" in app.sub_title
        # save: the file on disk changes, atomically, and the Segments tab follows
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert Ruleset.load(path).segment(target).rule.endswith("or orders_365d >= 20")
        assert not rules.dirty and rules.coverage.moved == 0
        assert {r.id: r.size for r in app.segment_rows} == {s.id: s.assigned for s in cov.segments}
        assert any("Saved segments.yaml" in n for n in notes(app))
        # someone else edits the file while the editor is clean: it reloads by itself
        external = path.read_text().replace(f"id: {target}\n    name: ", f"id: {target}\n    name: Team ")
        path.write_text(external)
        rules.watch_disk()
        await settle(app, pilot)
        assert rules.text == external and not rules.dirty
        # and Ctrl+R reloads on demand
        path.write_text(external.replace("Team ", "Crew "))
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert "Crew " in rules.text

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_conflicting_edit_on_disk_is_detected(run, tmp_path):
    path = run / "segments.yaml"
    target = Ruleset.load(path).segments[0].id

    async def steps(app, pilot):
        rules = app.rules
        await type_at_end_of_rule(app, pilot, target, " or orders_90d >= 9")
        mine = rules.text
        theirs = path.read_text().replace("format: segkit-ruleset/1", "format: segkit-ruleset/1\n# a colleague")
        path.write_text(theirs)
        rules.watch_disk()  # warns, keeps the edits
        await pilot.pause()
        assert rules.text == mine and any("changed on disk" in n for n in notes(app))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert path.read_text() == theirs  # refused
        await pilot.click("#choice-saveas")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        box = prompt.query_one(Input)
        box.value = str(tmp_path / "not-yaml.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)  # refused: wrong extension
        box.value = str(tmp_path / "mine.yaml")
        await pilot.press("enter")
        await settle(app, pilot)
        assert (tmp_path / "mine.yaml").read_text() == mine
        assert path.read_text() == theirs
        assert rules.session.path == tmp_path / "mine.yaml" and not rules.dirty

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_conflict_then_reload_keeps_edits_undoable(run):
    path = run / "segments.yaml"
    target = Ruleset.load(path).segments[0].id

    async def steps(app, pilot):
        rules = app.rules
        await type_at_end_of_rule(app, pilot, target, " or age >= 90")
        mine = rules.text
        theirs = path.read_text() + "# theirs\n"
        path.write_text(theirs)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.click("#choice-reload")
        await settle(app, pilot)
        assert rules.text == theirs and not rules.dirty
        rules.editor.focus()
        await pilot.press("ctrl+z")
        await settle(app, pilot)
        assert rules.text == mine  # the discarded edits come back with undo

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_parse_error_shows_position_and_blocks_saving(run):
    path = run / "segments.yaml"
    before = path.read_text()
    target = Ruleset.load(path).segments[0].id

    async def steps(app, pilot):
        rules = app.rules
        await type_at_end_of_rule(app, pilot, target, " and age >=")
        problem = rules.problem
        assert problem is not None and problem.segment == target
        assert "expected a value" in problem.message and problem.line is not None
        assert "line" in str(app.query_one("#rules-problem").render())
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert path.read_text() == before
        assert any(n.startswith("Not saved") for n in notes(app))
        rules.editor.move_cursor((0, 0))
        await pilot.press("ctrl+g")
        assert rules.editor.cursor_location == (problem.line - 1, problem.col - 1)
        # an unknown column is an error too, with a suggestion (typing is tested above)
        rules.editor.insert(" 3 and orders_356d > 1", (problem.line - 1, problem.col - 1))
        await settle(app, pilot)
        assert rules.problem is not None and "orders_365d" in rules.problem.message
        # F2 on a broken ruleset is refused with a message, not a crash
        await pilot.press("f2")
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen)

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_rename_move_and_undo_from_the_keyboard(run):
    path = run / "segments.yaml"
    original = Ruleset.load(path)
    first, second = original.segments[0].id, original.segments[1].id

    async def steps(app, pilot):
        rules = app.rules
        text0 = rules.text
        rules.goto_segment(second)
        await pilot.press("f2")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        prompt.query_one(Input).value = "Fresh faces"
        await pilot.press("enter")
        await settle(app, pilot)
        assert Ruleset.loads(rules.text).names[second] == "Fresh faces"
        await pilot.press("alt+up")
        await settle(app, pilot)
        assert Ruleset.loads(rules.text).ids[:2] == [second, first]
        assert rules.coverage.segments[0].id == second
        await pilot.press("alt+up")  # already first: a message, nothing changes
        await pilot.pause()
        assert Ruleset.loads(rules.text).ids[:2] == [second, first]
        # from the coverage table too
        table = app.query_one("#rules-coverage", DataTable)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("alt+down")
        await settle(app, pilot)
        assert Ruleset.loads(rules.text).ids[:2] == [first, second]
        await pilot.press("ctrl+z")  # undo the move
        await settle(app, pilot)
        assert Ruleset.loads(rules.text).ids[:2] == [second, first]
        await pilot.press("ctrl+z", "ctrl+z")  # the other move, the rename
        await settle(app, pilot)
        assert rules.text == text0 and not rules.dirty
        await pilot.press("ctrl+y")
        await settle(app, pilot)
        assert Ruleset.loads(rules.text).names[second] == "Fresh faces"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert Ruleset.load(path).names[second] == "Fresh faces"
        assert [r.name for r in app.segment_rows if r.id == second] == ["Fresh faces"]

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_unsaved_edits_survive_a_crash_and_quitting_asks(run):
    path = run / "segments.yaml"
    target = Ruleset.load(path).segments[0].id
    state = {}

    async def edit(app, pilot):
        await type_at_end_of_rule(app, pilot, target, " or age >= 95")
        app.rules.write_recovery()  # normally 1 s after the last keystroke
        state["text"] = app.rules.text
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)  # quitting asks first
        await pilot.press("escape")
        assert app.is_running

    drive(RecordingApp(run, strict=True, watch_disk=None), edit)
    assert (run / ".segments.yaml.unsaved").read_text() == state["text"]

    async def restore(app, pilot):
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.click("#choice-restore")
        await settle(app, pilot)
        assert app.rules.text == state["text"] and app.rules.dirty
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        saved, edited = Ruleset.load(path), Ruleset.loads(state["text"])
        assert [(s.id, s.rule) for s in saved.segments] == [(s.id, s.rule) for s in edited.segments]
        assert path.read_text() == app.rules.text and not app.rules.dirty  # the editor shows what was written
        assert not (run / ".segments.yaml.unsaved").exists()

    async def main():
        app = RecordingApp(run, strict=True, watch_disk=None)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await restore(app, pilot)
    asyncio.run(main())
