"""Screenshots of the main screens, compared with SVG snapshots in tests/terminal_ui/snapshots/.

Deterministic by construction: a seeded small run (tests/tui_run.py) opened as ``demo``
from its parent folder (so paths read the same), fixed terminal size, default theme, no
blinking cursors, ``NO_COLOR`` unset and ``TZ`` fixed. After an intended change to a
screen, review and update with ``pytest tests/terminal_ui/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from syrupy.extensions.image import SVGImageSnapshotExtension
from textual.widgets import DataTable, Input, Select, TabbedContent, TextArea

from tui.app import SegkitApp
from tui_run import copy_run, settle

SIZE = (100, 30)


class SVGSnapshots(SVGImageSnapshotExtension):
    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(Path(test_location.filepath).parent / "snapshots" / Path(test_location.filepath).stem)


@pytest.fixture
def svg(snapshot):
    return snapshot.use_extension(SVGSnapshots)


@pytest.fixture
def demo(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    copy_run(tmp_path / "demo")
    monkeypatch.chdir(tmp_path)
    return Path("demo")


def still(app) -> None:
    """No blinking cursors: a screenshot must not depend on when it is taken."""
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False


async def shot(app, pilot) -> str:
    await settle(app, pilot)
    still(app)
    await pilot.pause()
    await pilot.pause()
    return app.export_screenshot()


def drive(app, steps):
    async def main():
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await steps(app, pilot)
    asyncio.run(main())


def test_segments_detail_and_export(demo, svg):
    async def steps(app, pilot):
        assert await shot(app, pilot) == svg(name="segments")
        await pilot.press("enter")
        assert await shot(app, pilot) == svg(name="segment_detail")
        await pilot.press("a")
        assert await shot(app, pilot) == svg(name="export_audience")

    drive(SegkitApp(demo, strict=True, watch_disk=None), steps)


def test_model_customer_rules_compare(demo, svg):
    async def steps(app, pilot):
        await pilot.press("2")
        assert await shot(app, pilot) == svg(name="model")
        await pilot.press("3")
        app.query_one("#customer-id", Input).value = "C0000042"
        await pilot.press("enter")
        assert await shot(app, pilot) == svg(name="customer")
        await pilot.press("4")
        await settle(app, pilot)
        app.rules.goto_segment(app.saved_ruleset.segments[1].id)
        line = app.rules.editor.cursor_location[0]
        app.rules.editor.move_cursor((line, len(app.rules.editor.document.get_line(line))))
        await pilot.press(*" or orders_365d >= 20")
        assert await shot(app, pilot) == svg(name="rules_edited")
        await pilot.press(*" and")
        assert await shot(app, pilot) == svg(name="rules_error")
        await pilot.press("ctrl+pagedown")  # digits would type into the editor
        assert app.query_one(TabbedContent).active == "compare"
        assert await shot(app, pilot) == svg(name="compare")

    drive(SegkitApp(demo, strict=True, watch_disk=None), steps)


def test_movement(demo, svg):
    """The Movement tab of a run with a recorded flow (matrix, stayed shares, moves and their
    campaigns): its look is what a marketer reads, so it is pinned like the other tabs."""
    from test_movement import record

    record(demo)

    async def steps(app, pilot):
        await pilot.press("6")
        assert app.query_one(TabbedContent).active == "movement"
        assert await shot(app, pilot) == svg(name="movement")

    drive(SegkitApp(demo, strict=True, watch_disk=None), steps)
