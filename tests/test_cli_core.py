"""`segkit train` and `segkit score` end to end on a small generated table."""

import json

import polars as pl
import pytest

from toolkit.cli import main
from toolkit.generate import write_sample

FAST = ["--outer-bags", "1", "--interactions", "2"]


def run_cli(args):
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


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
    rfm = Path(__file__).resolve().parents[1] / "rulesets" / "rfm_classic.yaml"
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

    monkeypatch.setattr("toolkit.runs.load_scorecard", boom)


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
    shutil.copy(Path(__file__).resolve().parents[1] / "rulesets" / "rfm_classic.yaml", run / "segments.yaml")

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
