"""Headless pilot tests of every TUI screen on a small generated run (tests/tui_run.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import DataTable, Input, Select, Static

from toolkit.segments.audience import audience_frame
from toolkit.run.compare import compare_approaches
from toolkit.ruleset import Ruleset
from toolkit.run.view import sort_segment_rows
from tui.app import SegkitApp
from tui.tabs import TABS
from tui.commands import commands
from tui.screens.detail import PAGE_ROWS, SegmentDetailScreen
from tui.screens.export import ExportScreen
from tui.screens.help import HelpScreen, help_text
from tui.screens.setup import SetupScreen
import tui_run
from tui_run import RecordingApp, copy_run, notes, screen_text, settle

SIZE = (100, 32)


@pytest.fixture
def run(tmp_path) -> Path:
    return copy_run(tmp_path / "demo")


def drive(app: SegkitApp, steps, size=SIZE):
    """Run ``steps(app, pilot)`` against the app headless, after the first load settles."""
    tui_run.drive(app, steps, size)


def table_keys(table: DataTable) -> list[str]:
    return [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]


def test_segments_tab_lists_sorts_and_charts(run):
    rs = Ruleset.load(run / "segments.yaml")

    async def steps(app, pilot):
        table = app.query_one("#segments-table", DataTable)
        assert table_keys(table) == rs.ids
        assert app.first_screen_seconds is not None and app.full_load_seconds is not None
        assert "3,000 customers" in app.sub_title
        pane = app.pane("segments")
        await pilot.press("s")  # next sort column: name
        assert pane.sort_key == "name"
        await pilot.press("s")  # size, descending
        assert pane.sort_key == "size" and pane.descending
        assert table_keys(table) == [r.id for r in sort_segment_rows(app.segment_rows, "size", True)]
        await pilot.press("r")
        assert table_keys(table) == [r.id for r in sort_segment_rows(app.segment_rows, "size", False)]
        # clicking a header sorts by it
        x = 0
        for column in table.ordered_columns:
            if column.key.value == "purchase_rate":
                break
            x += column.get_render_width(table)
        await pilot.click("#segments-table", offset=(x + 2, 0))
        await pilot.pause()
        assert pane.sort_key == "purchase_rate"
        await pilot.press("c")
        assert pane.chart == "rate"
        assert "purchase rate" in screen_text(app).lower()

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_segment_detail_pages_and_exports_an_audience(run, tmp_path):
    out = tmp_path / "aud" / "best.csv"

    async def steps(app, pilot):
        table = app.query_one("#segments-table", DataTable)
        big = max(app.segment_rows, key=lambda r: r.size)
        row = table_keys(table).index(big.id)
        await pilot.click("#segments-table", offset=(10, row + 1))  # the mouse: highlight...
        await pilot.pause()
        assert app.pane("segments").highlighted == big.id
        await pilot.click("#segments-table", offset=(10, row + 1))  # ...and open
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SegmentDetailScreen) and screen.segment_id == big.id
        text = screen_text(app)
        assert big.name in text and "customers" in text
        profile = str(screen.query_one("#detail-profile", Static).render())
        assert "median" in profile and "overall" in profile
        sample = screen.query_one("#detail-sample", DataTable)
        assert sample.row_count == min(PAGE_ROWS, big.size)
        await pilot.press("n")
        await settle(app, pilot)
        assert screen.page_info.offset == PAGE_ROWS and screen.page_info.total == big.size
        await pilot.press("p")
        await settle(app, pilot)
        assert screen.page_info.offset == 0
        await pilot.press("a")
        await pilot.pause()
        export = app.screen
        assert isinstance(export, ExportScreen) and export.kind == "audience"
        assert export.query_one("#export-segment", Select).value == big.id
        export.query_one("#export-minprob", Input).value = "0.5"
        export.query_one("#export-path", Input).value = str(out)
        await pilot.click("#export-go")
        await settle(app, pilot)
        assert "✓" in str(export.query_one("#export-message", Static).render())
        await pilot.press("escape")
        await pilot.press("escape")
        assert not isinstance(app.screen, SegmentDetailScreen)
        expected = audience_frame(app.segmented_frame(), big.id, min_probability=0.5)
        got = pl.read_csv(out)
        assert got["customer_id"].to_list() == expected["customer_id"].to_list()

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_explain_a_customer_from_the_detail_list(run):
    async def steps(app, pilot):
        await pilot.press("enter")
        await settle(app, pilot)
        sample = app.screen.query_one("#detail-sample", DataTable)
        sample.focus()
        first = sample.coordinate_to_cell_key((0, 0)).row_key.value
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.query_one("TabbedContent").active == "customer"
        assert first in str(app.query_one("#customer-summary", Static).render())

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_export_dialog_validates_and_writes_ruleset_and_model(run, tmp_path):
    async def steps(app, pilot):
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen) and dialog.kind == "ruleset"
        dialog.query_one("#export-format", Select).value = "sql"
        await pilot.pause()
        dialog.query_one("#export-dialect", Select).value = "postgres"
        await pilot.pause()
        path_box = dialog.query_one("#export-path", Input)
        assert path_box.value.endswith("segments_postgres.sql")
        path_box.value = str(tmp_path / "rules.txt")  # wrong extension: refused, nothing written
        await pilot.pause()
        await pilot.click("#export-go")
        await settle(app, pilot)
        assert ".sql" in str(dialog.query_one("#export-message", Static).render())
        assert not (tmp_path / "rules.txt").exists()
        path_box.value = str(tmp_path / "rules.sql")
        await pilot.press("ctrl+s")  # the dialog's key for Export
        await settle(app, pilot)
        sql = (tmp_path / "rules.sql").read_text()
        assert "CASE" in sql and "(postgres)" in sql
        await pilot.click("#kind-model")
        await pilot.pause()
        assert dialog.kind == "model" and dialog.fmt == "sql"
        path_box.value = str(tmp_path / "model.sql")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "purchase_probability" in (tmp_path / "model.sql").read_text()
        assert any("Wrote the model as SQL" in n for n in notes(app))

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_model_tab_metrics_shapes_interactions_deciles(run):
    metrics = json.loads((run / "metrics.json").read_text())

    async def steps(app, pilot):
        await pilot.press("2")
        await settle(app, pilot)
        pane = app.pane("model")
        assert pane.scorecard is not None
        table = app.query_one("#model-metrics", DataTable)
        assert table.row_count == 1 + len(metrics["baselines"])
        verdict = str(app.query_one("#model-verdict", Static).render())
        assert f"{metrics['test']['roc_auc']:.3f}" in verdict and "0.82" in verdict
        assert app.query_one("#model-deciles", DataTable).row_count == len(metrics["test"]["deciles"])
        pane.choose_feature("orders_365d")
        await pilot.pause()
        from toolkit.report.build import describe_shape

        note = str(app.query_one("#model-shape-note", Static).render())
        values = app.view.frame().get_column("orders_365d")
        assert describe_shape(pane.scorecard.shape("orders_365d"), "orders_365d", values) in note  # the report's words
        assert "Missing value" in note
        pairs = [t["name"] for t in pane.scorecard.terms if len(t["features"]) == 2]
        assert pairs
        pane.choose_interaction(pairs[-1])
        await pilot.pause()
        assert pairs[-1] in str(app.query_one("#model-heat-title", Static).render())
        assert "+0.00" in str(app.query_one("#model-heat", Static).render())
        await pilot.press("f")
        assert app.focused.id == "model-feature"

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_customer_lookup_found_missing_and_random(run):
    async def steps(app, pilot):
        await pilot.press("3")
        box = app.query_one("#customer-id", Input)
        assert app.focused is box
        box.value = "C0000042"
        await pilot.press("enter")
        await settle(app, pilot)
        summary = str(app.query_one("#customer-summary", Static).render())
        assert "C0000042" in summary and "purchase probability" in summary and "Segment:" in summary
        terms = str(app.query_one("#customer-terms", Static).render())
        assert "Raises the probability" in terms and "Lowers the probability" in terms
        box.value = "nobody"
        await pilot.press("enter")
        await settle(app, pilot)
        assert "no customer with id 'nobody'" in str(app.query_one("#customer-summary", Static).render())
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert box.value.startswith("C") and box.value in str(app.query_one("#customer-summary", Static).render())

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_compare_tab_shows_both_sides(run):
    rows = compare_approaches(run)

    async def steps(app, pilot):
        await pilot.press("5")
        await settle(app, pilot)
        assert len(app.query(".compare-aspect")) == len(rows)
        text = screen_text(app)
        assert "Purchase model (supervised)" in text and "Segments (unsupervised)" in text

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_help_screen_and_command_palette(run):
    async def steps(app, pilot):
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to mo")
        await pilot.pause(0.2)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.query_one("TabbedContent").active == "model"
        await pilot.click("#--content-tab-compare")  # tabs respond to the mouse
        await settle(app, pilot)
        assert app.query_one("TabbedContent").active == "compare"
        await pilot.press("ctrl+pageup")
        assert app.query_one("TabbedContent").active == "rules"
        await pilot.press("ctrl+pagedown", "ctrl+pagedown")
        assert app.query_one("TabbedContent").active == "segments"

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_every_binding_has_a_palette_command_and_a_help_line(run):
    """Discoverability: each key in a footer is also a palette command and is in help.md."""
    from tui.screens.detail import SegmentDetailScreen as Detail
    from tui.widgets.customer import CustomerPane
    from tui.widgets.model import ModelPane
    from tui.widgets.rules import RulesPane
    from tui.widgets.segments import SegmentsPane

    async def steps(app, pilot):
        actions = {c.action for c in commands(app)}
        help_md = help_text().lower()
        for owner in (SegkitApp, SegmentsPane, ModelPane, CustomerPane, RulesPane, Detail):
            for binding in owner.BINDINGS:
                if binding.action in {t.action for t in TABS}:
                    assert binding.action in actions
                    continue
                assert binding.action in actions, f"{owner.__name__}: {binding.action} has no palette command"
                first = binding.key.split(",")[0]
                shown = {"question_mark": "?", "escape": "esc"}.get(first, first)
                assert f"`{shown}`" in help_md, \
                    f"{owner.__name__}: key {first} missing from help.md"
        # a segment-specific command exists for every segment
        titles = {c.title for c in commands(app)}
        for r in app.segment_rows:
            assert f"Open segment: {r.name}" in titles

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_missing_run_offers_a_demo_and_opens_it(tmp_path):
    target = tmp_path / "runs" / "demo"
    calls = []

    def fake_demo(out, *, rows, emit, started=None):
        calls.append(rows)
        emit("Generated 3,000 customers")
        copy_run(Path(out))
        emit("Scored 3,000 customers")

    async def steps(app, pilot):
        assert isinstance(app.screen, SetupScreen)
        assert "segkit demo" in screen_text(app)
        app.screen.query_one("#setup-rows", Input).value = "3000"
        await pilot.click("#setup-go")
        await settle(app, pilot)
        await settle(app, pilot)
        assert calls == [3000]
        assert not isinstance(app.screen, SetupScreen)
        assert app.query_one("#segments-table", DataTable).row_count == len(Ruleset.load(target / "segments.yaml").ids)

    drive(RecordingApp(target, strict=True, watch_disk=None, demo_runner=fake_demo), steps)


def test_setup_refuses_a_bad_number_and_reports_a_failed_demo(tmp_path):
    def failing(out, *, rows, emit, started=None):
        raise RuntimeError("disk full")

    async def steps(app, pilot):
        app.screen.query_one("#setup-rows", Input).value = "ten"
        await pilot.click("#setup-go")
        await pilot.pause()
        assert "whole number" in str(app.screen.query_one("#setup-status", Static).render())
        app.screen.query_one("#setup-rows", Input).value = "2000"
        await pilot.press("ctrl+d")  # the screen's key for "Create demo run"
        await settle(app, pilot)
        assert "disk full" in str(app.screen.query_one("#setup-status", Static).render())
        assert isinstance(app.screen, SetupScreen)

    drive(RecordingApp(tmp_path / "none", strict=True, watch_disk=None, demo_runner=failing), steps)


def test_corrupt_ruleset_is_a_notification_and_opens_in_the_editor(run):
    bad = (run / "segments.yaml").read_text().replace("segments:", "segments: [", 1)
    (run / "segments.yaml").write_text(bad)

    async def steps(app, pilot):
        assert any("YAML syntax error" in n for n in notes(app))
        assert "fix it in the Rules tab" in str(app.query_one("#segments-status", Static).render())
        rules = app.rules
        assert rules.text == bad and rules.problem is not None and rules.problem.line is not None
        await pilot.press("4")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert (run / "segments.yaml").read_text() == bad  # refused, nothing written

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_a_rule_on_a_column_the_data_lacks(run):
    rs = Ruleset.load(run / "segments.yaml")
    rs.set_rule(rs.segments[0].id, "lifetime_value >= 100")
    rs.save(run / "segments.yaml")

    async def steps(app, pilot):
        assert any("lifetime_value" in n for n in notes(app))
        assert "the rules do not fit the data" in str(app.query_one("#segments-status", Static).render())
        assert app.rules.problem is not None and "unknown column 'lifetime_value'" in app.rules.problem.message

    drive(RecordingApp(run, strict=True, watch_disk=None), steps)


def test_run_without_data_still_shows_the_model(run, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("metrics.json", "scorecard.json", "segments.yaml", "segments.json"):
        shutil.copy(run / name, bare / name)

    async def steps(app, pilot):
        assert "--data FILE" in str(app.query_one("#segments-status", Static).render())
        await pilot.press("2")
        await settle(app, pilot)
        assert app.pane("model").scorecard is not None
        await pilot.press("3")
        app.query_one("#customer-id", Input).value = "C0000001"
        await pilot.press("enter")
        await settle(app, pilot)
        assert "data.parquet" in str(app.query_one("#customer-summary", Static).render())

    drive(RecordingApp(bare, strict=True, watch_disk=None), steps)
    # --data brings the customers back
    async def with_data(app, pilot):
        assert app.query_one("#segments-table", DataTable).row_count > 1

    drive(RecordingApp(bare, run / "data.parquet", strict=True, watch_disk=None), with_data)


def test_every_tab_at_80x24(run):
    async def steps(app, pilot):
        for tab in "12345":
            if tab == "4":
                await pilot.press("escape")  # leave the customer id box, or "4" is typed into it
            await pilot.press(tab)
            await settle(app, pilot)
            text = screen_text(app).splitlines()
            assert len(text) == 24
            assert "Help" in text[-1] or "palette" in text[-1]  # the footer is visible
            assert "Segments" in text[1]  # the tabs are visible
            if tab == "4":  # the Rules tab stacks editor and coverage on a narrow screen
                assert app.has_class("-narrow")
                assert app.query_one("#rules-coverage").region.y > app.query_one("#rules-editor").region.y
                assert app.query_one("#rules-editor").region.height >= 5

    drive(RecordingApp(run, strict=True, watch_disk=None), steps, size=(80, 24))


@pytest.mark.parametrize("victim", ["data.parquet", "scores.parquet", "scorecard.json", "assignments.parquet"])
def test_corrupt_files_are_notifications_not_crashes(run, victim):
    (run / victim).write_bytes(b"this is not the file you are looking for")

    async def steps(app, pilot):
        assert app.is_running
        said = [n for n in notes(app) if victim in n]
        assert said and "Unexpected" not in said[0]  # named, readable
        for tab in "2345":
            await pilot.press(tab)
            await settle(app, pilot)
        await pilot.press("1")
        await settle(app, pilot)
        assert app.is_running

    drive(RecordingApp(run, watch_disk=None), steps)  # not strict: exactly what users run
