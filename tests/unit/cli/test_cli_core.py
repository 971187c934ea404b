"""`segkit train` and `segkit score` end to end on a small generated table."""

import json

import polars as pl
import pytest

from cli_run import run_cli
from toolkit.data.generate import write_sample

FAST = ["--outer-bags", "1", "--interactions", "2"]




@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    data, _ = write_sample(3000, 5, folder / "customers.parquet")
    return data


@pytest.fixture(scope="module")
def run_dir(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert run_cli(["train", "--data", str(sample), "--out", str(out), *FAST]) == 0
    return out


def test_train_writes_run_with_oracle(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert {"base_rate", "logistic_regression", "oracle"} <= set(metrics["baselines"])
    assert 0.5 < metrics["test"]["roc_auc"] <= 1
    assert (run_dir / "scorecard.json").exists()


def test_score_keeps_every_row_in_order(run_dir, sample, tmp_path):
    out = tmp_path / "scores.parquet"
    assert run_cli(["score", "--run", str(run_dir), "--data", str(sample), "--out", str(out),
                    "--batch-rows", "700"]) == 0
    scores = pl.read_parquet(out)
    data = pl.read_parquet(sample)
    assert scores.get_column("customer_id").to_list() == data.get_column("customer_id").to_list()
    assert {"purchase_probability", "will_purchase", "reason_1", "reason_2", "reason_3"} <= set(scores.columns)
    assert scores.get_column("purchase_probability").is_between(0, 1).all()


def test_score_csv_with_text_in_numeric_column_keeps_row_and_says_why(run_dir, sample, tmp_path):
    data = pl.read_parquet(sample).with_columns(pl.col("orders_90d").cast(pl.Utf8))
    data = data.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("many"))
                             .otherwise(pl.col("orders_90d")).alias("orders_90d"))
    csv = tmp_path / "batch.csv"
    data.write_csv(csv)
    out = tmp_path / "scores.csv"
    assert run_cli(["score", "--run", str(run_dir), "--data", str(csv), "--out", str(out)]) == 0
    scores = pl.read_csv(out)
    assert scores.height == data.height
    notes = scores.get_column("scoring_note")
    assert notes.null_count() == data.height - 1
    assert "orders_90d=many is not a number" in notes[3]


def test_user_mistakes_exit_2_with_one_line(run_dir, sample, tmp_path, capsys):
    assert run_cli(["train", "--data", str(tmp_path / "missing.csv"), "--out", str(tmp_path)]) == 2
    assert "file not found" in capsys.readouterr().err
    assert run_cli(["train", "--data", str(sample), "--target", "purchased", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'purchased_next_30d'" in err and "Traceback" not in err
    bad = pl.read_parquet(sample).drop("orders_90d")
    bad.write_parquet(tmp_path / "bad.parquet")
    assert run_cli(["score", "--run", str(run_dir), "--data", str(tmp_path / "bad.parquet"),
                    "--out", str(tmp_path / "s.parquet")]) == 2
    assert "orders_90d" in capsys.readouterr().err
    assert not (tmp_path / "s.parquet").exists()
    assert run_cli(["score", "--run", str(tmp_path / "nope"), "--data", str(sample),
                    "--out", str(tmp_path / "s.parquet")]) == 2
    assert "no such run folder" in capsys.readouterr().err


def test_score_adds_segment_when_the_run_has_a_ruleset(run_dir, sample, tmp_path):
    import shutil
    from pathlib import Path

    from toolkit.ruleset import Ruleset

    run = tmp_path / "run_with_rules"
    shutil.copytree(run_dir, run)
    rfm = Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml"
    shutil.copy(rfm, run / "segments.yaml")
    out = tmp_path / "scores.parquet"
    assert run_cli(["score", "--run", str(run), "--data", str(sample), "--out", str(out)]) == 0
    scores = pl.read_parquet(out)
    expected = Ruleset.load(rfm).apply(pl.read_parquet(sample)).get_column("segment")
    assert scores.get_column("segment").to_list() == expected.to_list()


# --- the last line of defence: one line for every failure -----------------------------------

def _fail_with(monkeypatch, exc: BaseException) -> None:
    def boom(*_args, **_kwargs):
        raise exc

    monkeypatch.setattr("toolkit.run.folder.Run.of", boom)  # the first thing `score` reads a run with


def test_unexpected_exception_is_one_line_naming_command_and_log(monkeypatch, tmp_path, capsys):
    _fail_with(monkeypatch, RuntimeError("boom\nsecond line"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv("SEGKIT_DEBUG", raising=False)
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = run_cli(["score", "--run", "r", "--data", "d.parquet", "--out", "o.parquet"])
    err = capsys.readouterr().err
    assert code == 70
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "segkit score failed: RuntimeError: boom" in err and "rerun with --debug" in err
    logs = list(tmp_path.glob("segkit-crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert "Traceback" in logs[0].read_text() and "RuntimeError: boom" in logs[0].read_text()


def test_debug_flag_prints_the_traceback_anywhere_on_the_line(monkeypatch, capsys):
    _fail_with(monkeypatch, RuntimeError("boom"))
    for args in (["--debug", "score"], ["score", "--debug"]):
        code = run_cli([*args, "--run", "r", "--data", "d.parquet", "--out", "o.parquet"])
        err = capsys.readouterr().err
        assert code == 70 and "Traceback" in err and "RuntimeError: boom" in err


def test_os_errors_are_the_environment_one_line_with_the_path_exit_2(monkeypatch, capsys):
    _fail_with(monkeypatch, PermissionError(13, "Permission denied", "/srv/runs/x/scorecard.json"))
    code = run_cli(["score", "--run", "r", "--data", "d.parquet", "--out", "o.parquet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "segkit score: /srv/runs/x/scorecard.json: Permission denied" in err


def test_keyboard_interrupt_exits_130_with_one_line(monkeypatch, capsys):
    _fail_with(monkeypatch, KeyboardInterrupt())
    code = run_cli(["score", "--run", "r", "--data", "d.parquet", "--out", "o.parquet"])
    err = capsys.readouterr().err
    assert code == 130 and "Traceback" not in err
    assert err.strip().splitlines() == ["interrupted: segkit score stopped (Ctrl+C)"]


def test_a_rust_panic_is_caught_too(monkeypatch, capsys):
    class PanicException(BaseException):  # what pyo3 raises for a Polars panic
        pass

    _fail_with(monkeypatch, PanicException("index out of bounds"))
    code = run_cli(["score", "--run", "r", "--data", "d.parquet", "--out", "o.parquet"])
    err = capsys.readouterr().err
    assert code == 70 and "PanicException: index out of bounds" in err and "Traceback" not in err


def test_user_error_text_is_not_read_as_markup(monkeypatch, capsys):
    from toolkit.errors import SegkitError

    _fail_with(monkeypatch, SegkitError("column [bold] missing"))
    assert run_cli(["score", "--run", "r", "--data", "d.parquet", "--out", "o.parquet"]) == 2
    assert "column [bold] missing" in capsys.readouterr().err


# --- help reads like a Unix tool -----------------------------------------------------------

def _leaf_commands():
    import typer

    from toolkit.cli import _register, app

    _register()

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield path

    return list(walk(typer.main.get_command(app), []))


def test_every_help_shows_flags_without_a_value_and_plain_argument_names(capsys):
    commands = _leaf_commands()
    assert ["rules", "diff"] in commands and ["score"] in commands and len(commands) >= 12
    for path in [[], ["rules"], *commands]:
        assert run_cli([*path, "--help"]) == 0
        out = capsys.readouterr().out
        usage = [line for line in out.splitlines() if "Usage:" in line]
        assert usage, (path, out)
        assert "{" not in usage[0], (path, usage[0])
        assert "<bool>" not in out, (path, out)
    run_cli(["rules", "diff", "--help"])
    assert "segkit rules diff [OPTIONS] OLD NEW" in capsys.readouterr().out
    run_cli(["rules", "apply", "--help"])
    assert "segkit rules apply [OPTIONS] RULESET" in capsys.readouterr().out


# --- the spinner's seconds keep counting during one long step --------------------------------

def test_live_status_elapsed_time_advances_while_a_step_runs():
    import io

    from rich.console import Console

    from toolkit.summary import live_status

    now = [100.0]
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, log_path=False)
    with live_status(console, "Loading data", clock=lambda: now[0]) as say:
        say("Fitting the EBM")
        now[0] += 19.4  # the fit: no further say() until it finishes
    # Status redraws the line when it stops; it must show the time now, not when say() ran.
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    assert "Fitting the EBM  (19 s)" in text
    assert "(0 s)" not in text.split("Fitting the EBM  (19 s)")[-1]


def test_elapsed_text_renders_the_time_at_draw_time():
    from rich.console import Console

    from toolkit.summary import ElapsedText

    now = [0.0]
    line = ElapsedText("Fitting", clock=lambda: now[0])
    console = Console(record=True, width=80)
    console.print(line)
    now[0] = 7.2
    console.print(line)
    assert console.export_text().splitlines() == ["Fitting  (0 s)", "Fitting  (7 s)"]


# --- segkit report --data: a run made by `segkit train` has no data.parquet -------------------

def test_report_data_fills_the_sections_that_need_the_customer_table(run_dir, sample, tmp_path, capsys):
    import shutil
    from pathlib import Path

    run = tmp_path / "trained"
    shutil.copytree(run_dir, run)
    assert not (run / "data.parquet").exists()
    shutil.copy(Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml", run / "segments.yaml")

    assert run_cli(["report", "--run", str(run), "--no-sql"]) == 0
    without = (run / "report.md").read_text()
    assert "missing rates not shown" in without and "segkit report --data FILE" in without

    assert run_cli(["report", "--run", str(run), "--no-sql", "--data", str(sample)]) == 0
    with_data = (run / "report.md").read_text()
    assert "missing rates not shown" not in with_data and "segkit report --data FILE" not in with_data
    assert f"({sample.name})" in with_data           # the missing shares name their source
    section7 = with_data.split("## 7.")[1].split("## 8.")[0]
    assert "champions" in section7.lower()           # the segment x propensity decile table
    capsys.readouterr()


def test_report_data_refuses_other_tables_with_one_line(run_dir, sample, tmp_path, capsys):
    other, _ = write_sample(200, 99, tmp_path / "next_month.parquet")
    no_id = tmp_path / "no_id.parquet"
    pl.read_parquet(sample).drop("customer_id").write_parquet(no_id)
    cases = [(tmp_path / "missing.parquet", "file not found"),
             (no_id, "customer_id"),
             (other, "not the table this run was built from")]
    for data, expected in cases:
        code = run_cli(["report", "--run", str(run_dir), "--no-sql", "--data", str(data)])
        err = capsys.readouterr().err
        assert code == 2 and expected in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err
    assert not (run_dir / "report.md").exists()


# --- 80 columns: numbers whole, ids and feature names unbroken ----------------------------------

LONG_IDS = ["lapsed_inactive_customers", "frequent_bargain_hunters_with_app", "new_active_buyers"]


def _id_shown(sid: str, text: str) -> bool:
    """Whole, or (when longer than the room left by whole numbers) cut with an ellipsis on
    one line; never folded onto a second line."""
    if len(sid) <= 25:
        return sid in text
    return sid in text or any(sid[:20] in line and "…" in line for line in text.splitlines())


def _render(table, width: int = 80) -> str:
    from rich.console import Console

    console = Console(width=width, record=True, file=__import__("io").StringIO())
    console.print(table)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    return text


def test_rules_check_table_at_80_columns_shows_whole_counts_and_ids():
    from types import SimpleNamespace

    from toolkit.cli.rules import check_table

    segs = [SimpleNamespace(position=i + 1, id=sid, name="A rather long descriptive segment name",
                            matched=1_234_567 + i, assigned=2_345_678 + i, share=0.444,
                            taken_by_earlier=44_123 + i) for i, sid in enumerate(LONG_IDS)]
    report = SimpleNamespace(rows=2_400_000, segments=segs, empty=[], unreachable=[])
    for width in (80, 100, 160):
        text = _render(check_table("rfm", report, width), width)
        for s in segs:
            for number in (f"{s.matched:,}", f"{s.assigned:,}", f"{s.taken_by_earlier:,}"):
                assert number in text, (width, number, text)
            assert _id_shown(s.id, text), (width, s.id, text)
        assert ("A rather long" in text) == (width >= 100)


def test_segments_table_at_80_columns_keeps_ids_whole():
    from toolkit.summary import segments_table

    summary = {"k": 3, "fidelity": 0.97, "cost_ratio": 1.03, "stability": {"rules_ari": 0.9, "bootstraps": 2},
               "segments": [{"id": sid, "name": "Some segment name here", "size": 1_234_567,
                             "share": 0.1234, "cluster_jaccard": 0.99, "rules_jaccard": None,
                             "rule": "orders_90d >= 3" if i else None} for i, sid in enumerate(LONG_IDS)]}
    for width in (80, 110, 150):
        text = _render(segments_table(summary, width=width), width)
        for sid in LONG_IDS:
            assert _id_shown(sid, text), (width, text)
        assert text.count("1,234,567") == 3 and text.count("12.3%") == 3
        assert ("orders_90d >= 3" in text) == (width >= 140)


def test_monitor_table_at_80_columns_keeps_feature_names_and_numbers_whole():
    from types import SimpleNamespace

    from toolkit.cli.report import monitor_notes, monitor_table

    names = ["days_since_last_email_click", "checkout_per_cart_signal", "distinct_categories_365d"]
    feats = [SimpleNamespace(name=n, psi=0.123 + i, status="too few rows", missing_reference=0.125,
                             missing_current=0.0775, notes=["new category 'XX' (3.1%)"])
             for i, n in enumerate(names)]
    report = SimpleNamespace(current="new.parquet", current_rows=1, reference="ref.parquet",
                             reference_rows=180_000, score=None, segments=None, features=feats,
                             count=lambda status: 0)
    text = _render(monitor_table(report, 80), 80)
    for f in feats:
        assert f.name in text and f"{f.psi:.3f}" in text and "12.5% -> 7.8%" in text, text
    assert "new category" not in text  # notes move below the table at 80 columns
    assert monitor_notes(report)[0] == "days_since_last_email_click: new category 'XX' (3.1%)"
    assert "new category 'XX'" in _render(monitor_table(report, 140), 140)
