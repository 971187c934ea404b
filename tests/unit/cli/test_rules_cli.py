"""`segkit rules ...`: the thin CLI shell over toolkit.ruleset and toolkit.ruleset.ops."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import toolkit.cli
from toolkit.cli import app, main
from toolkit.data.generate import generate
from toolkit.ruleset import Ruleset

toolkit.cli._register()
RFM = str(Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml")
runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    customers, _ = generate(600, 11)
    path = tmp_path_factory.mktemp("rules_cli") / "customers.parquet"
    customers.write_parquet(path)
    return path


def run(*args: str):
    return runner.invoke(app, ["rules", *args], catch_exceptions=False, terminal_width=200)


def test_check_prints_coverage_and_exits_0(data):
    res = run("check", RFM, "--data", str(data))
    assert res.exit_code == 0, res.output
    assert "rfm_classic on 600 customers" in res.output
    assert "champions" in res.output and "No problems found." in res.output


def test_check_exits_1_on_empty_or_unreachable_segments(tmp_path, data):
    rs = Ruleset.load(RFM)
    rs.set_rule("hibernating", "orders_365d > 100000")  # matches nobody
    rs.set_rule("at_risk", "orders_365d >= 10 and days_since_last_purchase <= 30")  # inside champions
    rs.set_rule("champions", "orders_365d >= 10 and days_since_last_purchase <= 30")
    path = rs.save(tmp_path / "bad.yaml")
    res = run("check", str(path), "--data", str(data))
    assert res.exit_code == 1
    assert "segment 'hibernating' matches no customer" in res.output
    assert "segment 'at_risk' is unreachable" in res.output


def test_check_without_data_only_parses(tmp_path):
    res = run("check", RFM)
    assert res.exit_code == 0 and "7 segments parse" in res.output


def test_user_errors_exit_2_with_one_message(tmp_path, data, capsys):
    rs = Ruleset.load(RFM)
    rs.set_rule("champions", "orders_356d >= 10")
    path = rs.save(tmp_path / "typo.yaml")
    for argv, fragment in [
        (["rules", "check", str(path), "--data", str(data)], "did you mean 'orders_365d'?"),
        (["rules", "check", str(tmp_path / "missing.yaml")], "ruleset file not found"),
        (["rules", "apply", RFM, "--data", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o.csv")],
         "file not found"),
        (["rules", "export", RFM, "--format", "csv"], "--data"),
        (["rules", "export", RFM, "--format", "sql", "--dialect", "oracle"], "unknown SQL dialect"),
        (["rules", "apply", RFM, "--data", str(data), "--out", str(tmp_path / "o.txt")], "use .parquet or .csv"),
        (["rules", "apply", RFM, "--data", str(data), "--out", str(tmp_path / "o.csv"), "--id", "cust"],
         "no id column 'cust'"),
    ]:
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2, argv
        err = capsys.readouterr().err
        assert fragment in err and "Traceback" not in err, (argv, err)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_apply_writes_id_and_segment_in_input_order(tmp_path, data, suffix):
    out = tmp_path / f"segments{suffix}"
    res = run("apply", RFM, "--data", str(data), "--out", str(out))
    assert res.exit_code == 0, res.output
    got = pl.read_parquet(out) if suffix == ".parquet" else pl.read_csv(out)
    customers = pl.read_parquet(data)
    assert got.columns == ["customer_id", "segment"]
    assert got["customer_id"].to_list() == customers["customer_id"].to_list()
    assert got["segment"].to_list() == Ruleset.load(RFM).apply(customers)["segment"].to_list()
    assert "Assigned 600 customers" in res.output


def test_export_formats_to_stdout_and_file(tmp_path, data):
    res = run("export", RFM, "--format", "sql", "--dialect", "bigquery", "--table", "shop.customers")
    assert res.exit_code == 0 and "FROM `shop`.`customers`" in res.output and "IS_NAN" in res.output
    res = run("export", RFM, "--format", "sql", "--data", str(data))
    # column types known from the data: NaN tests only on float columns
    assert 'isnan(CAST("orders_365d"' not in res.output
    assert 'isnan(CAST("total_spend_365d"' in res.output
    res = run("export", RFM, "--format", "json")
    assert json.loads(res.output)["name"] == "rfm_classic"
    res = run("export", RFM, "--format", "markdown", "--data", str(data))
    assert "| 1 | **Champions** |" in res.output and "Share" in res.output
    out = tmp_path / "model.sql"
    res = run("export", RFM, "--format", "dbt", "--out", str(out), "--ref", "stg_customers")
    assert res.exit_code == 0 and "{{" not in res.output  # the model went to the file
    assert "{{ ref('stg_customers') }}" in out.read_text()
    out = tmp_path / "seg.csv"
    res = run("export", RFM, "--format", "csv", "--data", str(data), "--out", str(out))
    assert pl.read_csv(out).height == 600


def test_diff_shows_changes_and_moves(tmp_path, data):
    rs = Ruleset.load(RFM)
    rs.rename_segment("loyal", "Loyal customers")
    rs.set_rule("champions", "days_since_last_purchase <= 30 and orders_365d >= 12")
    rs.move_segment("new", 0)
    path = rs.save(tmp_path / "v2.yaml")
    res = run("diff", RFM, str(path), "--data", str(data))
    assert res.exit_code == 0, res.output
    assert "renamed" in res.output and "'Loyal' -> 'Loyal customers'" in res.output
    assert "orders_365d >= 12" in res.output and "~ order" in res.output
    assert "change segment" in res.output and "Customers moving between segments" in res.output
    assert "No changes" in run("diff", RFM, RFM).output
