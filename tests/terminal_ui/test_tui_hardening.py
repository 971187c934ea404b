"""The TUI as a person sees it (issue 8, section 6): charts that never lie, every screen
readable at 80x24, no stuck setup screen, digits in the editor, saved rules recomputed
everywhere, skewed shapes on a log axis, external changes that never move the cursor.

What the user reads is taken from the rendered screen (``screen_text``) inside a widget's
region; positions come from public widget and DataTable API.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static, TabbedContent

from toolkit.report.build import describe_shape
from toolkit.ruleset import Ruleset
from tui.format import BLOCKS, count
from tui.screens.detail import SegmentDetailScreen
from tui.screens.dialogs import ChoiceScreen
from tui.screens.help import HelpScreen, help_text
from tui.screens.setup import SetupScreen
import tui_run
from tui_run import RecordingApp, copy_run, notes, screen_text, settle, type_at_end_of_rule


@pytest.fixture
def run(tmp_path) -> Path:
    return copy_run(tmp_path / "demo")


def region_lines(app, widget) -> list[str]:
    """The screen text inside ``widget``'s content region, one string per row."""
    r = widget.content_region
    return [line[r.x:r.right] for line in screen_text(app).splitlines()[r.y:r.bottom]]


def bar_rows(lines: list[str]) -> list[tuple[str, int]]:
    """(label, bar length in eighths of a cell) for each bar row of a BarChart."""
    rows = []
    for line in lines:
        if "│" not in line:
            continue
        label, rest = line.split("│", 1)
        eighths = 0
        for ch in rest:
            if ch == "█":
                eighths += 8
            elif ch in BLOCKS[1:]:
                eighths += BLOCKS.index(ch)
                break
            else:
                break
        rows.append((label.strip(), eighths))
    return rows


def check_bars(lines: list[str], labels: list[str], values: list[float]) -> None:
    rows = bar_rows(lines)
    assert len(rows) == len(labels), f"{len(rows)} bar rows for {len(labels)} labels"
    for (shown, _), label in zip(rows, labels):
        assert label.startswith(shown.rstrip("…")), (shown, label)
    longest = max(e for _, e in rows)
    peak = max(values)
    for (shown, eighths), v in zip(rows, values):
        assert abs(eighths - v / peak * longest) <= 1, (shown, eighths, v)  # proportional, to 1/8 cell


@pytest.mark.parametrize("size", [(80, 24), (100, 40), (120, 50)])
def test_bar_charts_have_one_row_per_label_at_every_size(run, size):
    async def steps(app, pilot):
        chart = app.query_one("#segments-chart")
        rows = app.segment_rows
        check_bars(region_lines(app, chart), [r.name for r in rows], [r.size for r in rows])
        await pilot.press("c")  # purchase rate per segment
        await pilot.pause()
        check_bars(region_lines(app, chart), [r.name for r in rows], [r.purchase_rate for r in rows])
        await pilot.press("2")
        await settle(app, pilot)
        imp = app.query_one("#model-importances")
        imp.scroll_visible(animate=False, immediate=True)
        await pilot.pause()
        top = list(app.pane("model").scorecard.term_importances().items())[:15]
        check_bars(region_lines(app, imp), [k for k, _ in top], [v for _, v in top])

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, size)


def test_demo_finishing_under_the_help_opens_the_run(tmp_path):
    target = tmp_path / "runs" / "demo"
    release = threading.Event()

    def slow_demo(out, *, rows, emit, started=None):
        emit("Generated 3,000 customers")
        assert release.wait(60)
        copy_run(Path(out))
        emit("Scored 3,000 customers")

    async def steps(app, pilot):
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert app.screen.query_one("#setup-log").region.height >= 5  # three lines of output at 80x24
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        release.set()
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)  # the help stays while the user reads it
        assert any("opens when you close" in n for n in notes(app))
        await pilot.press("escape")
        await settle(app, pilot)
        await settle(app, pilot)
        assert not isinstance(app.screen, (SetupScreen, HelpScreen))
        assert app.query_one("#segments-table", DataTable).row_count == len(Ruleset.load(target / "segments.yaml").ids)

    tui_run.drive(RecordingApp(target, strict=True, watch_disk=None, demo_runner=slow_demo), steps, (80, 24))


def test_segments_tab_at_80x24_shows_whole_rules_numbers_and_keys(run):
    async def steps(app, pilot):
        pane = app.pane("segments")
        table = app.query_one("#segments-table", DataTable)
        assert "rule" in pane.shown_columns and "share" not in pane.shown_columns
        x = 0
        for column in table.ordered_columns:
            if column.key.value == "rule":
                width = column.get_render_width(table)
                break
            x += column.get_render_width(table)
        lines = region_lines(app, table)
        assert x + width <= len(lines[0])  # the rule column is inside the visible table
        shown = " ".join(" ".join(line[x:x + width] for line in lines[1:]).split())
        ordered = [r for r in app.segment_rows]
        for r in ordered[:2]:  # the first rows are on screen: their whole rule, wrapped
            assert " ".join(r.rule.split()) in shown, r.rule
        text = "\n".join(lines)
        for r in ordered[:2]:
            assert count(r.size) in text
        footer = screen_text(app).splitlines()[-1]
        for hint in ("Sort", "Chart", "Quit", "Help", "palette"):
            assert hint in footer
        # the Model tab: a blank cell between the text and the scrollbar
        await pilot.press("2")
        await settle(app, pilot)
        model = app.pane("model")
        bar_x = model.region.right - model.styles.scrollbar_size_vertical
        for child in model.children:
            if child.display:
                assert child.region.right <= bar_x - 1, child  # a blank cell before the scrollbar

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, (80, 24))


def test_digits_type_in_the_rules_editor_and_escape_then_switches_tabs(run):
    async def steps(app, pilot):
        rules = app.rules
        assert app.focused is rules.editor
        footer = screen_text(app).splitlines()[-1]
        assert "Leave editor" in footer and "Export" not in footer  # x types in the editor
        rules.editor.move_cursor((0, 0))
        before = rules.text
        await pilot.press("1")
        await settle(app, pilot)
        assert rules.text == "1" + before  # an editor: the digit is text
        assert app.query_one(TabbedContent).active == "rules"
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is not rules.editor
        assert "Leave editor" not in screen_text(app).splitlines()[-1]
        await pilot.press("1")
        await settle(app, pilot)
        assert app.query_one(TabbedContent).active == "segments"

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, (110, 34), keys=("4",))
    assert "Esc" in help_text() and "leave the editor" in help_text().lower()


def test_saving_edited_rules_recomputes_everything_derived_from_them(run):
    path = run / "segments.yaml"
    before = Ruleset.load(path)
    target = before.segments[1].id

    async def steps(app, pilot):
        rules = app.rules
        await type_at_end_of_rule(app, pilot, target, " or orders_365d >= 20")
        assert rules.coverage.fidelity is not None
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        saved = Ruleset.load(path)
        assert saved.segment(target).rule.endswith("or orders_365d >= 20")
        # measured as segments.json measures the distilled rules (held-out customers)
        figures = app.view.ruleset_figures(saved)
        assert figures.held_out and figures.fidelity is not None
        fidelity = figures.fidelity
        assert saved.provenance.fidelity == round(fidelity, 4) != before.provenance.fidelity
        assert saved.provenance.stability is None  # measured for the distilled rules only
        assert rules.text == path.read_text() and not rules.dirty
        # Compare: the saved rules' figures
        box = app.query_one("#compare-edited", Static)
        assert box.display and f"{fidelity:.1%}" in str(box.render())
        assert "held-out" in str(box.render())
        # the Compare rows quote the saved rules' fidelity, not segments.json's
        rows = " ".join(str(w.render()) for w in app.pane("compare").query(".compare-cell"))
        assert "edited rules" in rows and f"{fidelity:.3f}"[:4] in rows
        # segment detail: sizes and provenance of the saved rules
        app.open_segment(target)
        await settle(app, pilot)
        assert isinstance(app.screen, SegmentDetailScreen)
        row = next(r for r in app.segment_rows if r.id == target)
        assert row.size == int((saved.apply(app.segmented_frame())["segment"] == target).sum())
        assert count(row.size) in str(app.screen.query_one("#detail-title", Static).render())
        assert f"fidelity {fidelity:.1%}" in str(app.screen.query_one("#detail-about", Static).render())

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, (110, 34), keys=("4",))


def test_skewed_shape_uses_a_log_axis_and_describes_the_trend(run):
    async def steps(app, pilot):
        await pilot.press("2")
        await settle(app, pilot)
        pane = app.pane("model")
        feature = "days_since_last_purchase"
        pane.choose_feature(feature)
        await pilot.pause()
        assert pane.shape_log_x
        plot = app.query_one("#model-shape")
        plot.scroll_visible(animate=False, immediate=True)
        await pilot.pause()
        assert f"{feature} (log scale)" in "\n".join(region_lines(app, plot))
        note = str(app.query_one("#model-shape-note", Static).render())
        values = app.view.frame().get_column(feature)  # the report's words, from the customers
        assert describe_shape(pane.scorecard.shape(feature), feature, values) in note
        assert "strongest" not in note  # a trend, not one bin
        pane.choose_feature("cart_add_rate")  # a rate (0-1): linear axis
        await pilot.pause()
        assert not pane.shape_log_x

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, (100, 40))


def test_external_change_keeps_the_cursor_and_never_replaces_unsaved_edits(run):
    path = run / "segments.yaml"

    async def steps(app, pilot):
        rules = app.rules
        rules.editor.move_cursor((6, 3))
        external = path.read_text() + "# a colleague was here\n"
        path.write_text(external)
        rules.watch_disk()
        await settle(app, pilot)
        assert rules.text == external and not rules.dirty
        assert rules.editor.cursor_location == (6, 3)  # the next keystroke lands where it was
        await pilot.press("z")
        await settle(app, pilot)
        mine = rules.text
        assert rules.dirty
        path.write_text(external + "# and again\n")
        rules.watch_disk()
        await settle(app, pilot)
        assert rules.text == mine  # unsaved edits are never replaced silently
        assert any("changed on disk" in n and "Ctrl+R" in n for n in notes(app))
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)  # reload asks first
        await pilot.click("#choice-reload")
        await settle(app, pilot)
        assert rules.text == external + "# and again\n"
        assert rules.editor.cursor_location == (6, 4)

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, (110, 34), keys=("4",))
