"""`segkit train --roles FILE`: the roles file `segkit segment` reads names the id and the target
and the columns that are never features (issue 10: one roles file for both commands)."""

from __future__ import annotations

import json

import pytest

from cli_run import run_cli
from shop_table import foreign_table
from toolkit.errors import DataError, SegkitError
from toolkit.model.train import TrainConfig, train
from toolkit.segments.roles import infer_roles, read_roles_file

FAST = dict(outer_bags=1, interactions=0)
FAST_CLI = ["--outer-bags", "1", "--interactions", "0"]


def test_config_ignore_excludes_features_and_is_recorded():
    table = foreign_table(rows=1_500)
    result = train(table, TrainConfig(target="bought_within_30d", id_column="cust_ref",
                                      ignore=("promo_clicks", "region"), roles_file="/x/roles.yaml", **FAST))
    training = result.metrics["training"]
    assert set(training["features"]) == {"visits_4w", "basket_value_avg", "days_since_visit"}
    assert training["roles"] == {"file": "/x/roles.yaml", "ignored": ["promo_clicks", "region"]}
    assert not any(d["numerator"] in ("promo_clicks", "region") for d in training["derived_features"])


def test_config_ignore_errors_are_one_line():
    table = foreign_table(rows=300)
    with pytest.raises(DataError, match=r"^roles file roles.json: no column 'nosuch' in the table$"):
        train(table, TrainConfig(target="bought_within_30d", id_column="cust_ref", ignore=("nosuch",),
                                 roles_file="roles.json", **FAST))
    with pytest.raises(SegkitError, match="'region' is both a chosen feature and ignored"):
        train(table, TrainConfig(target="bought_within_30d", id_column="cust_ref", ignore=("region",),
                                 features=["region", "visits_4w"], **FAST))
    every = ("visits_4w", "basket_value_avg", "days_since_visit", "region", "promo_clicks")
    with pytest.raises(DataError, match="no feature columns"):
        train(table, TrainConfig(target="bought_within_30d", id_column="cust_ref", ignore=every, **FAST))


def test_cli_reads_the_roles_file_segment_reads(tmp_path, capsys):
    data = tmp_path / "shop.csv"
    foreign_table(rows=1_500).write_csv(data)
    roles = tmp_path / "roles.yaml"
    roles.write_text("id: cust_ref\ntarget: bought_within_30d\nignore: [promo_clicks]\n"
                     "describe: [region]\n")
    # no --id / --target: both come from the file (the defaults would be customer_id / purchased_next_30d)
    code = run_cli(["train", "--data", str(data), "--roles", str(roles), "--out", str(tmp_path / "run"), *FAST_CLI])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    training = json.loads((tmp_path / "run" / "metrics.json").read_text())["training"]
    assert training["target"] == "bought_within_30d" and training["id_column"] == "cust_ref"
    assert "promo_clicks" not in training["features"] and "region" in training["features"]
    assert training["roles"] == {"file": str(roles), "ignored": ["promo_clicks"]}
    assert "not used as features (roles file roles.yaml): promo_clicks" in out
    # the same file, read by segment's roles: the same id, target and ignored column
    table = foreign_table(rows=1_500)
    seg = infer_roles(table, spec=read_roles_file(roles))
    assert seg.id == "cust_ref" and seg.target == "bought_within_30d" and "promo_clicks" in seg.ignore


def test_cli_options_win_over_the_roles_file(tmp_path, capsys):
    table = foreign_table(rows=1_500)
    data = tmp_path / "shop.parquet"
    table.with_columns(other_ref=table["cust_ref"] + "x").write_parquet(data)
    roles = tmp_path / "roles.json"
    roles.write_text(json.dumps({"id": "other_ref", "target": "nosuch", "ignore": ["visits_4w", "region"]}))
    code = run_cli(["train", "--data", str(data), "--roles", str(roles), "--id", "cust_ref",
                    "--target", "bought_within_30d", "--feature", "visits_4w", "--feature", "days_since_visit",
                    "--out", str(tmp_path / "run"), *FAST_CLI])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    training = json.loads((tmp_path / "run" / "metrics.json").read_text())["training"]
    assert training["id_column"] == "cust_ref" and training["target"] == "bought_within_30d"
    assert set(training["features"]) == {"visits_4w", "days_since_visit"}   # --feature beats ignore
    assert training["roles"]["ignored"] == ["region"]


def test_cli_roles_file_mistakes_are_one_line(tmp_path, capsys):
    data = tmp_path / "shop.csv"
    foreign_table(rows=300).write_csv(data)
    roles = tmp_path / "roles.json"
    roles.write_text(json.dumps({"id": "cust_ref", "target": "bought_within_30d", "ignore": ["promo_clik"]}))
    for bad in (roles, tmp_path / "missing.json"):
        code = run_cli(["train", "--data", str(data), "--roles", str(bad), "--out", str(tmp_path / "run"),
                        *FAST_CLI])
        captured = capsys.readouterr()
        text = captured.out + captured.err
        assert code == 2 and "Traceback" not in text
        assert ("'promo_clik'" if bad == roles else "cannot read the roles file") in text
    assert not (tmp_path / "run" / "metrics.json").exists()
