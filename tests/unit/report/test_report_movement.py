"""The report of a run built from logs: its snapshot's as-of date, the out-of-time backtest
quoted first under Validation, and the Movement section (matrix, three biggest flows, each
with its campaign). Fixtures are written by hand from the documented formats."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from report_fixtures import build_small_run
from toolkit.errors import SegkitError
from toolkit.report.build import build_report
from toolkit.ruleset.flow import flow
from toolkit.ruleset import Ruleset
from toolkit.run.provenance import flow_document, record_flow

ROOT = Path(__file__).resolve().parents[3]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
       b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def backtest_doc() -> dict:
    def m(auc):
        return {"roc_auc": auc, "pr_auc": 0.5, "f1": 0.45, "lift_top_decile": 2.4}

    return {"folds": [
        {"train_as_of": "2026-03-31", "test_as_of": "2026-04-30", "rows": 5000, "positives": 1400,
         "model": m(0.871), "baselines": {"recency": m(0.802), "rfm_logistic": m(0.833),
                                          "bgnbd": m(0.846), "oracle": m(0.879)}},
        {"train_as_of": "2026-04-30", "test_as_of": "2026-05-30", "rows": 5100, "positives": 1500,
         "model": m(0.862), "baselines": {"recency": m(0.811), "rfm_logistic": m(0.866),
                                          "bgnbd": m(0.840), "oracle": m(0.874)}},
    ]}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build_small_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def logged(base, tmp_path_factory) -> dict:
    """A copy of the small run with snapshot.json, backtest.json/png and flow.json."""
    run = tmp_path_factory.mktemp("logged") / "run"
    shutil.copytree(base, run, ignore=shutil.ignore_patterns("report*"))
    snap = {"as_of": "2026-06-30", "horizon_days": 30, "label": "purchased_next_30d",
            "rows": 4000, "positives": 1100, "sources": {}, "features": []}
    (run / "snapshot.json").write_text(json.dumps(snap))
    (run / "backtest.json").write_text(json.dumps(backtest_doc()))
    (run / "backtest.png").write_bytes(PNG)
    # the second snapshot: everyone 45 days older, 200 gone, 80 new
    rs = Ruleset.load(ROOT / "rulesets" / "rfm_classic.yaml")  # rules on recency: people move
    a = pl.read_parquet(run / "data.parquet")
    later = a.slice(200).with_columns(pl.col("days_since_last_purchase") + 45)
    new = a.head(80).with_columns(pl.col("customer_id") + "_new")
    pa, pb = run.parent / "a.parquet", run.parent / "b.parquet"
    a.write_parquet(pa)
    pl.concat([later, new]).write_parquet(pb)
    for path, as_of in ((pa, "2026-05-31"), (pb, "2026-06-30")):
        (path.parent / (path.name + ".snapshot.json")).write_text(json.dumps({"as_of": as_of}))
    f = flow(rs, a, pl.concat([later, new]), "customer_id")
    doc = flow_document(f, rs, pa, pb)
    record_flow(run, doc)
    md, _ = build_report(run, sql=False)
    return {"run": run, "md": md.read_text(), "flow": f, "doc": doc}


def section(md: str, start: str, end: str | None) -> str:
    part = md.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part


def test_the_report_says_which_as_of_and_horizon_its_rows_are_from(logged):
    intro = logged["md"].split("## 1.", 1)[0]
    assert "snapshot as of 2026-06-30" in intro
    assert "purchased_next_30d is 1 for customers with an order in the 30 days after it" in intro
    assert "4,000 customers, 27.5% positive" in intro


def test_the_backtest_is_quoted_first_in_validation_with_every_baseline(logged):
    v = section(logged["md"], "## 4. Validation", "## 5.")
    assert v.index("### Out-of-time backtest") < v.index("### Purchase model")
    header = next(line for line in v.splitlines() if line.startswith("| Fold"))
    for label in ("Model AUC", "Recency AUC", "RFM logistic AUC", "BG/NBD AUC", "Oracle AUC"):
        assert label in header
    rows = [line for line in v.splitlines() if re.match(r"\| [12] \|", line)]
    assert rows[0].split(" | ")[1:] == ["2026-03-31", "2026-04-30", "5,000", "28.0%", "**0.871**",
                                        "0.802", "0.833", "0.846", "0.879", "yes |"]
    assert rows[1].endswith("| no |")  # rfm_logistic 0.866 > 0.862
    assert "beats every baseline (oracle aside) on 1 of 2 folds" in v
    assert "Largest gap below the oracle: 0.012 AUC" in v
    assert "](report_files/backtest.png)" in v
    assert (logged["run"] / "report_files" / "backtest.png").read_bytes() == PNG
    html = (logged["run"] / "report.html").read_text()
    assert "Out-of-time backtest" in html and 'alt="ROC AUC per backtest fold"' in html


def test_the_movement_section_has_the_matrix_and_three_flows_with_campaigns(logged):
    md, f = logged["md"], logged["flow"]
    assert "- [10. Movement](#10-movement)" in md
    m = section(md, "## 10. Movement", None)
    assert "`rfm_classic`" in m and "2026-05-31 -> 2026-06-30" in m and f"{f.rows_before:,} customers at the first" in m
    lines = m.splitlines()
    for s in f.rows:  # every row, every count, as flow.json has it
        row = next(line for line in lines if line.startswith(f"| {f.names.get(s, s)} |"))
        for t in f.columns:
            assert f"{f.matrix[s][t]:,}" in row
    assert sum(f.matrix[f.new].values()) == 80 and sum(r[f.gone] for r in f.matrix.values()) == 200
    flows = [line for line in lines if re.match(r"[123]\. \*\*", line)]
    assert len(flows) == 3
    for line, entry in zip(flows, logged["doc"]["biggest"][:3]):
        assert f"**{entry['text']}**" in line
        assert entry["campaign"]["text"] in line and entry["campaign"]["why"] in line


def test_a_run_without_those_files_has_none_of_it(base, tmp_path):
    run = tmp_path / "plain"
    shutil.copytree(base, run, ignore=shutil.ignore_patterns("report*"))
    md = build_report(run, sql=False)[0].read_text()
    assert "Movement" not in md and "Out-of-time backtest" not in md and "snapshot as of" not in md
    assert not re.search(r"^## 10\.", md, re.M)


def test_a_broken_flow_json_stops_the_report_with_one_line(base, tmp_path):
    run = tmp_path / "broken"
    shutil.copytree(base, run, ignore=shutil.ignore_patterns("report*"))
    (run / "flow.json").write_text(json.dumps({"segments": [{"id": "a"}], "matrix": {}}))
    with pytest.raises(SegkitError) as exc:
        build_report(run, sql=False)
    assert "\n" not in str(exc.value) and "flow.json" in str(exc.value)
