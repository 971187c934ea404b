"""The Movement tab: shown for a run with flow.json (`segkit rules flow --run`), hidden with
a hint of the command otherwise; matrix, stayed shares and the biggest flows with their
campaigns, all read through RunView.movement."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from textual.widgets import DataTable, Static, TabbedContent

import tui_run
from toolkit.ruleset import Ruleset
from toolkit.ruleset.flow import flow
from toolkit.run.provenance import flow_document, record_flow
from tui.widgets.movement import MovementPane
from tui_run import RecordingApp, copy_run, notes, screen_text, settle

RFM = Path(__file__).resolve().parents[2] / "rulesets" / "rfm_classic.yaml"
SIZE = (120, 40)


def record(run: Path) -> dict:
    """flow.json for ``run``: its customers, then 45 days later (300 gone, 60 new)."""
    rs = Ruleset.load(RFM)
    a = pl.read_parquet(run / "data.parquet")
    b = pl.concat([a.slice(300).with_columns(pl.col("days_since_last_purchase") + 45),
                   a.head(60).with_columns(pl.col("customer_id") + "_new")])
    pa, pb = run.parent / "a.parquet", run.parent / "b.parquet"
    a.write_parquet(pa)
    b.write_parquet(pb)
    for path, as_of in ((pa, "2026-05-31"), (pb, "2026-06-30")):
        (path.parent / (path.name + ".snapshot.json")).write_text(json.dumps({"as_of": as_of}))
    doc = flow_document(flow(rs, a, b, "customer_id"), rs, pa, pb)
    record_flow(run, doc)
    return doc


@pytest.fixture
def run(tmp_path) -> Path:
    return copy_run(tmp_path / "demo")


def tab_shown(app, tab_id: str) -> bool:
    return app.query_one(TabbedContent).get_tab(tab_id).display


def test_a_run_without_flow_has_no_movement_tab_and_its_key_says_how(run):
    async def steps(app, pilot):
        assert not tab_shown(app, "movement") and "Movement" not in screen_text(app).splitlines()[1]
        await pilot.press("5")
        await pilot.press("6")
        await settle(app, pilot)
        assert app.query_one(TabbedContent).active == "compare"  # nothing to switch to
        hint = [n for n in app.notices if n.title == "Movement"]
        assert len(hint) == 1
        assert "segkit rules flow RULES --data A --then B --run" in hint[0].message
        assert str(app.run_dir) in hint[0].message
        await pilot.press("ctrl+pagedown")  # the hidden tab is skipped
        assert app.query_one(TabbedContent).active == "segments"

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, SIZE)


def test_the_movement_tab_shows_matrix_stayed_shares_and_flows_with_campaigns(run):
    doc = record(run)

    async def steps(app, pilot):
        assert tab_shown(app, "movement")
        await pilot.press("6")
        await settle(app, pilot)
        assert app.query_one(TabbedContent).active == "movement"
        pane = app.query_one(MovementPane)
        table = pane.query_one("#movement-table", DataTable)
        assert app.focused is table
        rows = [*(s["id"] for s in doc["segments"]), doc["new"]]
        columns = [*(s["id"] for s in doc["segments"]), doc["gone"]]
        assert table.row_count == len(rows)
        for i, source in enumerate(rows):
            got = table.get_row_at(i)
            total = sum(doc["matrix"][source].values())
            stayed = doc["stayed_share"].get(source)
            assert got[1] == ("" if stayed is None else f"{stayed:.0%}")  # next to the name
            for j, target in enumerate(columns, start=2):
                n = doc["matrix"][source][target]
                assert got[j] == (f"{n:,} ({n / total:.0%})" if n else "0")
        title = str(pane.query_one("#movement-title", Static).render())
        assert "rfm_classic" in title and "2026-05-31 -> 2026-06-30" in title
        flows = "\n".join(str(w.render()) for w in pane.query("#movement-flows Static"))
        for entry in doc["biggest"][:3]:
            assert entry["text"] in flows and entry["campaign"]["text"] in flows
        assert "Win-back" in flows  # 45 days older: someone lapsed
        assert app.state.movement is not None

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, SIZE)


def test_a_flow_recorded_while_the_app_is_open_shows_up(run):
    async def steps(app, pilot):
        assert not tab_shown(app, "movement")
        record(run)
        app._watch_disk()  # what the 2-second timer does
        await settle(app, pilot)
        assert tab_shown(app, "movement")
        await pilot.press("6")
        assert app.query_one(TabbedContent).active == "movement"
        (run / "flow.json").unlink()  # and gone again
        app._watch_disk()
        await settle(app, pilot)
        assert not tab_shown(app, "movement")
        assert app.query_one(TabbedContent).active == "segments"

    tui_run.drive(RecordingApp(run, strict=True, watch_disk=None), steps, SIZE)


def test_a_broken_flow_json_is_a_notification_and_the_rest_still_shows(run):
    (run / "flow.json").write_text('{"segments": [{"id": "a"}], "matrix": {}}')

    async def steps(app, pilot):
        assert any("flow.json" in m and "not a segkit flow" in m for m in notes(app))
        assert app.segment_rows  # the Segments tab loaded anyway
        assert tab_shown(app, "movement")
        await pilot.press("6")
        await settle(app, pilot)
        title = str(app.query_one("#movement-title", Static).render())
        assert "could not be read" in title and "segkit rules flow" in title

    tui_run.drive(RecordingApp(run, watch_disk=None), steps, SIZE)
