"""`segkit train --target-auc/--target-f1` store the declared targets in metrics.json, the
summary judges by them, and a target outside [0, 1] is one readable line with exit 2 (issue 10)."""

from __future__ import annotations

import json

from cli_run import run_cli
from shop_table import foreign_table


def test_cli_stores_declared_targets_and_judges_by_them(tmp_path, capsys):
    data = tmp_path / "shop.csv"
    foreign_table(rows=1_500).write_csv(data)
    code = run_cli(["train", "--data", str(data), "--target", "bought_within_30d", "--id", "cust_ref",
                    "--out", str(tmp_path / "run"), "--outer-bags", "1", "--interactions", "0",
                    "--target-auc", "0.55", "--target-f1", "0.9"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    targets = json.loads((tmp_path / "run" / "metrics.json").read_text())["targets"]
    assert targets == {"roc_auc": 0.55, "f1": 0.9, "source": "declared", "brief_sample": False}
    assert ">= 0.82" not in out and "< 0.82" not in out and "< 0.68" not in out
    assert "< 0.9 FAIL (the declared target)" in out and "logistic regression by" in out


def test_cli_refuses_a_target_outside_0_1(tmp_path, capsys):
    data = tmp_path / "shop.csv"
    foreign_table(rows=300).write_csv(data)
    code = run_cli(["train", "--data", str(data), "--target", "bought_within_30d", "--id", "cust_ref",
                    "--out", str(tmp_path / "run"), "--target-auc", "82"])
    captured = capsys.readouterr()
    assert code == 2
    assert "--target-auc must be between 0 and 1" in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
