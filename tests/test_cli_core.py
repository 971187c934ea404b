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
