"""Every command the README documents, run as a new user runs it: the installed `segkit`
console script, a fresh interpreter per command, a clean temporary folder, 80 columns.

In-process CLI tests share imports between commands and once hid a crash that every fresh
`segkit generate` hit; these do not. Each command must exit as documented (0; 1 for
`rules check` problems; 2 for user errors; 3 for `monitor --strict` at act) and never print a
traceback. One small table, one trained and segmented run and one small demo are shared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]
RFM = ROOT / "rulesets" / "rfm_classic.yaml"
ROWS = 3000
FORMATS = ("sql", "json", "markdown", "csv", "dbt")
DIALECTS = ("duckdb", "postgres", "bigquery", "snowflake", "spark")


def _segkit() -> str:
    found = shutil.which("segkit") or shutil.which("segkit", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("the `segkit` console script is not installed in this environment: "
                    "run `pip install -e .` first (these tests run it as users do)")
    return found


def cli(cwd: Path, *args: str, codes: tuple[int, ...] = (0,), env: dict | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``segkit ARGS`` in ``cwd`` in a fresh process at 80 columns; check the exit code
    and that nothing printed a traceback."""
    full_env = {**os.environ, "COLUMNS": "80", "LINES": "24", "NO_COLOR": "1", "TERM": "dumb",
                **(env or {})}
    full_env.pop("SEGKIT_DEBUG", None)
    proc = subprocess.run([_segkit(), *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    shown = f"segkit {' '.join(args)} -> {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert proc.returncode in codes, shown
    assert "Traceback" not in proc.stdout + proc.stderr, shown
    return proc


def one_error_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:"), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A clean folder holding the README's sample table (small)."""
    folder = tmp_path_factory.mktemp("e2e")
    proc = cli(folder, "generate", "--rows", str(ROWS), "--seed", "42", "--out", "customers.parquet")
    assert f"Wrote {ROWS:,} customers" in proc.stdout
    return folder


@pytest.fixture(scope="module")
def run(work) -> Path:
    """`segkit train` then `segkit segment` into one run folder (no data.parquet in it)."""
    cli(work, "train", "--data", "customers.parquet", "--target", "purchased_next_30d",
        "--id", "customer_id", "--out", "run", "--outer-bags", "1", "--interactions", "2")
    proc = cli(work, "segment", "--data", "customers.parquet", "--id", "customer_id", "--out", "run",
               "--k-min", "3", "--k-max", "4", "--bootstraps", "2", "--candidate-bootstraps", "2")
    summary = pl.read_parquet(work / "run" / "assignments.parquet")
    assert summary.height == ROWS
    ids = sorted(set(summary.get_column("segment").to_list()))
    for sid in ids:  # every id whole on one line at 80 columns (table or rules below it)
        assert sid in proc.stdout, (sid, proc.stdout)
    return work / "run"


@pytest.fixture(scope="module")
def demo(work) -> Path:
    cli(work, "demo", "--rows", str(ROWS), "--out", "demo_run", "--outer-bags", "1",
        "--interactions", "2", "--bootstraps", "3")
    return work / "demo_run"


def test_generate_writes_table_and_truth(work):
    assert pl.read_parquet(work / "customers.parquet").height == ROWS
    assert (work / "customers.truth.parquet").exists()


def test_train_and_segment_write_the_run(run):
    for name in ("scorecard.json", "metrics.json", "split.parquet", "segments.yaml", "segments.json"):
        assert (run / name).exists(), name


def test_score(work, run):
    cli(work, "score", "--run", "run", "--data", "customers.parquet", "--out", "scores.parquet")
    scores = pl.read_parquet(work / "scores.parquet")
    assert scores.height == ROWS and "segment" in scores.columns


def test_rules_check_shows_whole_counts_at_80_columns(work, run):
    proc = cli(work, "rules", "check", "run/segments.yaml", "--data", "customers.parquet", codes=(0, 1))
    assigned = pl.read_parquet(run / "assignments.parquet").group_by("segment").len()
    for sid, count in assigned.iter_rows():
        line = next((x for x in proc.stdout.splitlines() if sid in x), None)
        assert line is not None and f"{count:,}" in line, (sid, count, proc.stdout)
    cli(work, "rules", "check", str(RFM), "--data", "customers.parquet", codes=(0, 1))
    cli(work, "rules", "check", "run/segments.yaml")


def test_rules_apply(work, run):
    cli(work, "rules", "apply", "run/segments.yaml", "--data", "customers.parquet", "--out", "seg.parquet")
    cli(work, "rules", "apply", str(RFM), "--data", "customers.parquet", "--out", "seg.csv", "--names")
    assert pl.read_parquet(work / "seg.parquet").height == ROWS
    assert {"segment", "segment_name"} <= set(pl.read_csv(work / "seg.csv").columns)


@pytest.mark.parametrize("fmt", FORMATS)
def test_rules_export_every_format(work, run, fmt):
    extra = ["--data", "customers.parquet"] if fmt == "csv" else []
    proc = cli(work, "rules", "export", "run/segments.yaml", "--format", fmt, *extra)
    assert proc.stdout.strip()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_rules_export_every_dialect(work, run, dialect):
    proc = cli(work, "rules", "export", "run/segments.yaml", "--format", "sql", "--dialect", dialect,
               "--data", "customers.parquet")
    assert "CASE" in proc.stdout.upper()
    cli(work, "rules", "export", str(RFM), "--format", "dbt", "--dialect", dialect,
        "--out", f"model_{dialect}.sql")
    assert (work / f"model_{dialect}.sql").read_text().strip()


def test_rules_diff(work, run):
    proc = cli(work, "rules", "diff", str(RFM), "run/segments.yaml", "--data", "customers.parquet")
    assert "change segment" in proc.stdout
    assert "No changes" in cli(work, "rules", "diff", str(RFM), str(RFM)).stdout


def test_rules_flow(work):
    """Two snapshots: a month later (everyone 30 days older), 100 customers gone, 50 new."""
    a = pl.read_parquet(work / "customers.parquet")
    later = a.slice(100).with_columns(pl.col("days_since_last_purchase") + 30)
    new = a.head(50).with_columns(pl.col("customer_id") + "_new")
    pl.concat([later, new]).write_parquet(work / "later.parquet")
    proc = cli(work, "rules", "flow", str(RFM), "--data", "customers.parquet", "--then", "later.parquet",
               "--json", "flow.json")
    assert "Biggest moves:" in proc.stdout and "gone" in proc.stdout
    doc = json.loads((work / "flow.json").read_text())
    assert doc["new"] == "(new)"  # rfm_classic has a segment called new
    assert sum(doc["matrix"]["(new)"].values()) == 50
    assert sum(row["gone"] for row in doc["matrix"].values()) == 100


def test_report_with_and_without_data(work, run):
    cli(work, "report", "--run", "run")
    cli(work, "report", "--run", "run", "--data", "customers.parquet", "--no-sql")
    text = (run / "report.md").read_text()
    assert "missing rates not shown" not in text
    assert (run / "report.html").exists()


def test_monitor(work, run):
    proc = cli(work, "monitor", "--run", "run", "--data", "customers.parquet",
               "--reference", "customers.parquet")
    for name in ("days_since_last_purchase", "orders_90d"):
        assert any(name in line for line in proc.stdout.splitlines()), proc.stdout
    cli(work, "monitor", "--run", "run", "--data", "customers.parquet", "--reference",
        "customers.parquet", "--strict", "--json", "drift.json", codes=(0, 3))
    assert (work / "drift.json").exists()


def test_demo_builds_a_complete_run(demo):
    for name in ("data.parquet", "scorecard.json", "segments.yaml", "scores.parquet", "report.html",
                 "timings.json"):
        assert (demo / name).exists(), name


def test_tui_starts_and_quits_headless(work, demo):
    proc = cli(work, "tui", "--run", "demo_run", env={"SEGKIT_TUI_SMOKE": "1"})
    assert "Segments" in proc.stdout, proc.stdout


def test_help_of_every_command(work):
    cli(work, "--help")
    for args in (["rules", "--help"], ["rules", "diff", "--help"]):
        proc = cli(work, *args)
        assert "<bool>" not in proc.stdout and "{" not in proc.stdout.split("Usage:")[1].splitlines()[0]


# --- user mistakes: one line, exit 2, no traceback -------------------------------------------------

def test_missing_file_is_one_line(work, run):
    for args in (["train", "--data", "nope.parquet", "--out", "r2"],
                 ["rules", "check", "nope.yaml"],
                 ["report", "--run", "run", "--data", "nope.parquet"]):
        one_error_line(cli(work, *args, codes=(2,)), "nope")


def test_missing_column_is_one_line(work, run):
    cli(work, "train", "--data", "customers.parquet", "--target", "purchased", "--out", "r3", codes=(2,))
    pl.read_parquet(work / "customers.parquet").drop("orders_90d").write_parquet(work / "no_orders.parquet")
    one_error_line(cli(work, "score", "--run", "run", "--data", "no_orders.parquet", "--out", "s2.parquet",
                       codes=(2,)), "orders_90d")


def test_unwritable_output_is_one_line(work, run):
    (work / "a_file").write_text("not a folder")
    for args in (["score", "--run", "run", "--data", "customers.parquet", "--out", "a_file/s.parquet"],
                 ["rules", "apply", "run/segments.yaml", "--data", "customers.parquet",
                  "--out", "a_file/seg.parquet"],
                 ["rules", "export", "run/segments.yaml", "--out", "a_file/x.sql"],
                 ["generate", "--rows", "10", "--out", "a_file/c.parquet"]):
        one_error_line(cli(work, *args, codes=(2,)), "a_file")
    assert (work / "a_file").read_text() == "not a folder"


def test_output_equal_to_input_is_refused(work, run):
    pytest.importorskip("toolkit.data.outputs", reason="output-path checks (issue 8, H1) not merged yet")
    shutil.copy(work / "customers.parquet", work / "v.parquet")
    before = (work / "v.parquet").read_bytes()
    for args in (["score", "--run", "run", "--data", "v.parquet", "--out", "v.parquet"],
                 ["rules", "apply", "run/segments.yaml", "--data", "v.parquet", "--out", "./v.parquet"]):
        one_error_line(cli(work, *args, codes=(2,)))
    assert (work / "v.parquet").read_bytes() == before


def test_a_bug_in_a_fresh_process_is_one_line_with_a_log(work, tmp_path):
    """The last line of defence, as the console script runs it (a patched function stands in
    for a bug): one line naming the command, exit 70, the traceback in the named log."""
    code = ("import sys, toolkit.run.folder as runs\n"
            "def bug(*a, **k):\n    raise ZeroDivisionError('division by zero')\n"
            "runs.Run.require_scorecard = bug\n"
            "from toolkit.cli import main\n"
            "sys.argv = ['segkit', 'score', '--run', 'run', '--data', 'customers.parquet', '--out', 'x.parquet']\n"
            "main()\n")
    env = {**os.environ, "TMPDIR": str(tmp_path), "COLUMNS": "80"}
    env.pop("SEGKIT_DEBUG", None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 70, proc.stderr
    line = one_error_line(proc, "segkit score failed: ZeroDivisionError: division by zero", "--debug")
    log = Path(line.split("see the log at ")[1].rstrip(")"))
    assert "Traceback" in log.read_text()
    debug = subprocess.run([sys.executable, "-c", code.replace("'score',", "'--debug', 'score',")],
                           cwd=work, env=env, capture_output=True, text=True)
    assert debug.returncode == 70 and "Traceback" in debug.stderr
