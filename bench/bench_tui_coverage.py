"""What one keystroke in the TUI's Rules editor costs, and how fast the first screen appears.

On a run folder (180K customers from ``segkit demo``):

1. **Coverage per edit.** Edited versions of the run's ruleset (each changes one rule's
   threshold, so every edit needs a new rule evaluation: the expensive case). The TUI path
   is :func:`toolkit.ruleset.editing.parse_text` (with the data's columns) plus
   :meth:`CoverageEngine.coverage` (cached masks of unchanged rules). The peer is what an
   editor without the engine would do: ``Ruleset.loads`` + ``Ruleset.apply`` +
   :func:`toolkit.ruleset.ops.check`. Both give the same coverage (checked on every edit).
2. **Keystroke to coverage on screen.** The TUI itself, headless: type into a rule and
   record the time from the editor's change event to the coverage table being updated
   (``RulesPane.last_latency``).
3. **First screen.** A fresh ``python`` process opening the run headless: seconds from
   start (imports included) and from the app's mount until the segments table is filled,
   and until the full customer table is loaded.

Command: ``.venv/bin/python bench/bench_tui_coverage.py --run runs/demo``
Writes the ``bench_tui`` section of bench/RESULTS.md (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, machine, write_section

from toolkit.ruleset import ops as ruleset_ops
from toolkit.ruleset.editing import parse_text
from toolkit.ruleset import Ruleset
from toolkit.run.view import RunView

NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")


def edited_texts(text: str, ruleset: Ruleset, count: int) -> list[str]:
    """``count`` versions of ``text``, each with one rule's first number changed."""
    out: list[str] = []
    step = 0
    while len(out) < count:
        step += 1
        for seg in ruleset.segments:
            m = NUMBER.search(seg.rule)
            if m is None:
                continue
            value = float(m.group(1)) * (1 + 0.03 * step)
            new_value = f"{value:.2f}" if "." in m.group(1) else str(int(round(value)) + step)
            new_rule = seg.rule[:m.start()] + new_value + seg.rule[m.end():]
            out.append(text.replace(seg.rule, new_rule, 1))
            if len(out) == count:
                break
        if step > 1000:
            raise SystemExit("the ruleset has no numeric thresholds to edit")
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_coverage(view: RunView, edits: int) -> dict:
    frame = view.frame()
    saved = view.ruleset()
    engine = view.coverage_engine(saved, frame)
    schema = frame.schema
    texts = edited_texts(saved.dumps(), saved, edits)
    ours, peer = [], []
    for text in texts:
        started = time.perf_counter()
        rs, problem = parse_text(text, schema)
        assert problem is None, problem
        cov = engine.coverage(rs)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        rs2 = Ruleset.loads(text)
        rs2.apply(frame)
        report = ruleset_ops.check(rs2, frame)
        peer.append(time.perf_counter() - started)
        assert [(s.id, s.matched, s.assigned) for s in report.segments] == \
            [(s.id, s.matched, s.assigned) for s in cov.segments], "coverage differs from check()"
    return {"rows": frame.height, "segments": len(saved.segments), "edits": len(texts),
            "ours_median": statistics.median(ours), "ours_p95": pct(ours, 0.95), "ours_max": max(ours),
            "peer_median": statistics.median(peer), "peer_p95": pct(peer, 0.95)}


def bench_keystrokes(run: Path, keys: int) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from tui.app import SegkitApp
    from tui_run import settle

    latencies: list[float] = []

    async def main():
        app = SegkitApp(run, watch_disk=None)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app, pilot, rounds=200)
            await pilot.press("4")
            await settle(app, pilot, rounds=200)
            rules = app.rules
            seg = next(s for s in app.saved_ruleset.segments if NUMBER.search(s.rule))
            rules.goto_segment(seg.id)
            line = rules.editor.cursor_location[0]
            rules.editor.move_cursor((line, len(rules.editor.document.get_line(line))))
            # append a condition digit by digit, then delete it: every key changes the rule
            sequence = list(" or orders_365d >= 1") + [str(d) for d in range(1, 10)]
            sequence = (sequence + ["backspace"] * len(sequence))[:keys]
            for key in sequence:
                await pilot.press(key)
                for _ in range(400):
                    await pilot.pause(0.005)
                    if rules.checked_text == rules.text and not rules._check_running:
                        break
                if rules.last_latency is not None:
                    latencies.append(rules.last_latency)
    asyncio.run(main())
    return {"keys": len(latencies), "median": statistics.median(latencies), "p95": pct(latencies, 0.95),
            "max": max(latencies)}


FIRST_SCREEN = r"""
import asyncio, json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from tui.app import SegkitApp
async def main():
    app = SegkitApp({run!r}, watch_disk=None)
    async with app.run_test(size=(120, 36)) as pilot:
        while app.first_screen_seconds is None:
            await asyncio.sleep(0.005)
        first = time.perf_counter() - t0
        while app.full_load_seconds is None:
            await asyncio.sleep(0.01)
        full = time.perf_counter() - t0
        rows = app.query_one("#segments-table").row_count
        print(json.dumps({{"first_from_start": first, "first_from_mount": app.first_screen_seconds,
                          "full_from_start": full, "full_from_mount": app.full_load_seconds,
                          "segment_rows": rows}}))
asyncio.run(main())
"""


def bench_first_screen(run: Path, repeat: int) -> dict:
    results = []
    for _ in range(repeat):
        code = FIRST_SCREEN.format(root=str(ROOT), run=str(run))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/demo", help="run folder (create with `segkit demo`)")
    ap.add_argument("--edits", type=int, default=30)
    ap.add_argument("--keys", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3, help="first-screen measurements (median)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    run = Path(args.run)
    if not run.is_dir():
        raise SystemExit(f"{run}: no run folder; create one with `segkit demo --out {run}`")
    view = RunView(run)
    cov = bench_coverage(view, args.edits)
    print(json.dumps(cov, indent=1))
    keys = bench_keystrokes(run, args.keys)
    print(json.dumps(keys, indent=1))
    first = bench_first_screen(run, args.repeat)
    print(json.dumps(first, indent=1))
    ratio = cov["peer_median"] / cov["ours_median"]
    ms = lambda s: f"{1000 * s:.0f}"  # noqa: E731
    md = f"""## TUI: coverage while editing rules, first screen (`bench/bench_tui_coverage.py`)

Command: `.venv/bin/python bench/bench_tui_coverage.py --run {args.run} --edits {args.edits} --keys {args.keys}`
Machine: {machine()}. Run: {cov['rows']:,} customers, {cov['segments']} rules + default
(from `segkit demo`). Timings are wall clock on a shared machine.

**Coverage per edit** ({cov['edits']} edits, each changing one rule's threshold, so every edit
evaluates a new rule; coverage, overlaps, change vs saved, fidelity, purchase rate per segment):

| path | median ms | p95 ms |
|---|---:|---:|
| TUI: `parse_text` + `CoverageEngine.coverage` (cached masks) | {ms(cov['ours_median'])} | {ms(cov['ours_p95'])} |
| peer: `Ruleset.loads` + `Ruleset.apply` + `ruleset_ops.check` | {ms(cov['peer_median'])} | {ms(cov['peer_p95'])} |

Peer / TUI (median): **{ratio:.1f}x**. Same matched/assigned counts as `check()` on every edit.

**Keystroke to coverage on screen** (headless TUI, {keys['keys']} keystrokes typed into a rule
and deleted again; from the editor's change event to the updated coverage table):
median **{ms(keys['median'])} ms**, p95 {ms(keys['p95'])} ms, max {ms(keys['max'])} ms. Target: within 100 ms.

**First screen** (fresh process, headless, median of {args.repeat}): segments table filled
**{first['first_from_start']:.2f} s** after process start ({first['first_from_mount']:.2f} s after the app
mounted; the rest is Python imports); full customer table loaded (customer look-up, samples,
live coverage ready) {first['full_from_start']:.2f} s after start. Target: first screen within 2 s.
"""
    print(md)
    if not args.no_write:
        write_section("bench_tui", md)


if __name__ == "__main__":
    main()
