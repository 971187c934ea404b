"""`segkit generate --logs DIR` as a new user runs it: the installed console script, a fresh
process, a clean folder, 80 columns; then `segkit snapshot --logs DIR` reads what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from test_e2e_commands import cli, one_error_line

ROWS = 1500


def test_generate_logs_then_snapshot(tmp_path: Path):
    proc = cli(tmp_path, "generate", "--logs", "logs", "--rows", str(ROWS), "--seed", "3")
    out = proc.stdout
    assert f"Wrote logs of {ROWS:,} customers (seed 3)" in out
    for name in ("customers", "orders", "sessions", "marketing", "truth"):
        assert f"{name}.parquet" in out
    assert "2024-07-01 .. 2026-06-30" in out and "default 2026-05-31" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    info = json.loads((tmp_path / "logs" / "logs.json").read_text())
    assert info["customers"] == ROWS and info["default_as_of"] == "2026-05-31"
    for name, entry in info["files"].items():
        assert pl.read_parquet(tmp_path / "logs" / entry["file"]).height == entry["rows"], name
        assert f"{entry['rows']:,} rows" in out

    cli(tmp_path, "snapshot", "--logs", "logs", "--out", "snap.parquet")
    snap = pl.read_parquet(tmp_path / "snap.parquet")
    truth = pl.read_parquet(tmp_path / "logs" / "truth.parquet").filter(
        pl.col("as_of") == pl.date(2026, 5, 31))
    assert snap.height == truth.height and "purchased_next_30d" in snap.columns


def test_generate_logs_user_errors(tmp_path: Path):
    (tmp_path / "afile").write_text("keep me")
    proc = cli(tmp_path, "generate", "--logs", "afile", "--rows", "10", codes=(2,))
    one_error_line(proc, "afile", "not a folder")
    assert (tmp_path / "afile").read_text() == "keep me"
    proc = cli(tmp_path, "generate", "--logs", "l", "--out", "c.parquet", "--rows", "10", codes=(2,))
    one_error_line(proc, "--logs", "--out")
    assert not (tmp_path / "l").exists() and not (tmp_path / "c.parquet").exists()
    cli(tmp_path, "generate", "--logs", "l", "--rows", "0", codes=(2,))
    assert not (tmp_path / "l").exists()
