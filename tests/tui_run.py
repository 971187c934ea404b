"""A small, deterministic run folder for the TUI tests, built once per test process.

3,000 generated customers, an EBM with one bag and two interactions, a segmentation with
few bootstraps, scores; timestamps and paths in the ruleset are fixed so screenshots of
the TUI are identical from one test session to the next. Tests get a private copy
(:func:`copy_run`) because they edit and save files in it.
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tui.app import SegkitApp

ROWS = 3000
SEED = 7
CREATED = "2025-01-31T12:00:00+00:00"


@functools.lru_cache(maxsize=1)
def build_run() -> Path:
    """Path of the shared (read-only by convention) test run."""
    from toolkit.data.generate import generate
    from toolkit.ruleset import Ruleset
    from toolkit.schema import ID_COLUMN, TARGET_COLUMN
    from toolkit.model.scoring import score_file
    from toolkit.segments.pipeline import run_segmentation
    from toolkit.model.train import TrainConfig, save_run, train

    run = Path(tempfile.mkdtemp(prefix="segkit-tui-")) / "demo"
    run.mkdir(parents=True)
    frame, truth = generate(ROWS, SEED)
    frame.write_parquet(run / "data.parquet")
    result = train(frame, TrainConfig(target=TARGET_COLUMN, id_column=ID_COLUMN, seed=SEED,
                                      outer_bags=1, interactions=2, n_jobs=1), truth=truth)
    save_run(result, run)
    run_segmentation(run / "data.parquet", run, seed=SEED, k_min=3, k_max=5, bootstraps=3,
                     candidate_bootstraps=2, n_init=2, fit_rows=ROWS, silhouette_rows=1500,
                     tree_rows=2000, scorecard=run / "scorecard.json")
    ruleset = Ruleset.load(run / "segments.yaml")
    ruleset.provenance.created = CREATED
    ruleset.provenance.run = "demo"
    ruleset.save(run / "segments.yaml")
    score_file(result.scorecard, run / "data.parquet", run / "scores.parquet", ruleset=ruleset)
    return run


def copy_run(dest: Path) -> Path:
    """A private copy of the test run at ``dest`` (a folder that does not exist yet)."""
    shutil.copytree(build_run(), dest)
    return dest


def drive(app, steps, size: tuple[int, int], keys: tuple[str, ...] = ()) -> None:
    """Run ``steps(app, pilot)`` against the app headless at ``size``, after the first load
    settles and after pressing each of ``keys`` (settling after each)."""
    async def main():
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            for key in keys:
                await pilot.press(key)
                await settle(app, pilot)
            await steps(app, pilot)
    asyncio.run(main())


async def settle(app, pilot, rounds: int = 20) -> None:
    """Wait until no worker runs and the Rules editor has no check in flight."""
    from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive worker replaced by a newer one
            pass
        except WorkerFailed:  # the app reported it (a notification; strict apps raise)
            pass
        await pilot.pause()
        busy = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        rules = app.query("RulesPane")
        checking = bool(rules) and rules.first().checking
        if not busy and not checking:
            return
    raise AssertionError("the app did not settle")


_LINE_WIDTH = re.compile(r'<clipPath id="[^"]*-line-0">\s*<rect x="0" y="[\d.]+" width="([\d.]+)"')
_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                   r'clip-path="url\(#[^"]*-line-(\d+)\)">([^<]*)</text>')


def screen_text(app) -> str:
    """The visible screen as plain text, one line per terminal row, each as wide as the
    terminal (for assertions on what the user reads). Read from the public SVG screenshot
    (``App.export_screenshot``): each text run sits at x = column * cell width."""
    svg = app.export_screenshot()
    width, height = app.size
    cell = float(_LINE_WIDTH.search(svg).group(1)) / width
    grid = [[" "] * width for _ in range(height)]
    for x, line, text in _TEXT.findall(svg):
        row, col = grid[int(line)], round(float(x) / cell)
        for i, ch in enumerate(html.unescape(text).replace("\xa0", " ")):
            if col + i < width:
                row[col + i] = ch
    return "\n".join("".join(row) for row in grid)


@dataclass(frozen=True)
class Notice:
    """One notification the app showed."""

    message: str
    title: str
    severity: str


class RecordingApp(SegkitApp):
    """The app, keeping every notification it shows in ``notices`` (through the public
    ``App.notify``, which widgets' ``notify`` calls too)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.notices: list[Notice] = []

    def notify(self, message: str, *, title: str = "", severity="information", timeout=None,
               markup: bool = True) -> None:
        self.notices.append(Notice(str(message), title, severity))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)


def notes(app: RecordingApp) -> list[str]:
    """The messages of every notification so far."""
    return [n.message for n in app.notices]


async def type_at_end_of_rule(app, pilot, segment_id: str, text: str) -> None:
    """Put the cursor at the end of the segment's rule line and type ``text`` key by key."""
    rules = app.rules
    rules.goto_segment(segment_id)
    line = rules.editor.cursor_location[0]
    rules.editor.move_cursor((line, len(rules.editor.document.get_line(line))))
    await pilot.press(*text)
    await settle(app, pilot)
