"""Regenerate the README screenshots of the TUI from a demo run (120x36, default theme).

    .venv/bin/segkit demo --out runs/demo
    .venv/bin/python docs/screenshots/make_screenshots.py --run runs/demo

Writes segments.svg, segment_detail.svg and rules_editor.svg next to this file. The run is
opened from its parent folder, so the title reads ``runs/demo`` wherever the run lives.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SIZE = (120, 36)


async def shoot(run: Path) -> None:
    from tui.app import SegkitApp
    from tui_run import settle

    def still(app) -> None:
        for widget in app.screen.query("Input, TextArea"):
            widget.cursor_blink = False

    async def save(app, pilot, name: str) -> None:
        await settle(app, pilot, rounds=200)
        still(app)
        await pilot.pause()
        (HERE / f"{name}.svg").write_text(app.export_screenshot(title=f"segkit tui: {name.replace('_', ' ')}"))
        print(HERE / f"{name}.svg")

    app = SegkitApp(run, watch_disk=None)
    async with app.run_test(size=SIZE) as pilot:
        await save(app, pilot, "segments")
        table = app.query_one("#segments-table")
        big = max(app.segment_rows, key=lambda r: r.purchase_rate or 0)
        table.move_cursor(row=[r.id for r in app.segment_rows].index(big.id))
        await pilot.press("enter")
        await save(app, pilot, "segment_detail")
        await pilot.press("escape")
        await pilot.press("4")
        await settle(app, pilot, rounds=200)
        rules = app.rules
        seg = app.saved_ruleset.segments[2].id
        rules.goto_segment(seg)
        line = rules.editor.cursor_location[0]
        rules.editor.move_cursor((line, len(rules.editor.document.get_line(line))))
        await pilot.press(*" or orders_90d >= 6")
        await save(app, pilot, "rules_editor")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/demo")
    args = ap.parse_args()
    run = Path(args.run).resolve()
    os.environ.pop("NO_COLOR", None)
    os.chdir(run.parent.parent)
    asyncio.run(shoot(Path(run.parent.name) / run.name))


if __name__ == "__main__":
    main()
