"""A table that is not the brief's sample is judged by its declared targets and its baselines,
never by the brief's bars, and the report describes its own columns (issue 10).

Before: "ROC AUC 0.791 NOT met (>= 0.82)" and the sample's 35 columns with "-" everywhere."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from toolkit import policy, schema
from toolkit.model.train import TrainConfig, train_file
from toolkit.report.build import build_report
from toolkit.run import view
from toolkit.summary import metrics_table
from shop_table import foreign_table


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("shop") / "shop.parquet"
    frame = foreign_table()
    assert 0.045 < frame["bought_within_30d"].mean() < 0.075
    frame.write_parquet(path)
    return path


def _train(table, out, **targets):
    config = TrainConfig(target="bought_within_30d", id_column="cust_ref", outer_bags=1, interactions=0,
                         **targets)
    train_file(table, config, out)
    return json.loads((out / "metrics.json").read_text())


@pytest.fixture(scope="module")
def plain(table, tmp_path_factory):
    out = tmp_path_factory.mktemp("plain") / "run"
    return out, _train(table, out)


@pytest.fixture(scope="module")
def declared(table, tmp_path_factory):
    out = tmp_path_factory.mktemp("declared") / "run"
    return out, _train(table, out, target_auc=0.6, target_f1=0.95)


def _report(run, table=None) -> str:
    md, _ = build_report(run, sql=False, data=table)
    return md.read_text()


def _summary(metrics) -> str:
    console = Console(width=250, record=True, color_system=None)
    console.print(metrics_table(metrics))
    return " ".join(console.export_text().split())


def test_targets_are_stored_in_the_run(plain, declared):
    assert plain[1]["targets"] == {"roc_auc": None, "f1": None, "source": "none", "brief_sample": False}
    assert declared[1]["targets"] == {"roc_auc": 0.6, "f1": 0.95, "source": "declared", "brief_sample": False}


def test_report_without_targets_judges_by_baselines(plain, table):
    run, metrics = plain
    text = _report(run, table)
    assert "NOT met (>= 0.82)" not in text and ">= 0.82" not in text and ">= 0.68" not in text
    assert "180,000" not in text and "Scoring 180" not in text
    gain = metrics["test"]["roc_auc"] - metrics["baselines"]["logistic_regression"]["roc_auc"]
    word = "beats" if gain > 0 else "trails"
    assert f"{word} logistic regression by {abs(gain):.3f} AUC" in text
    assert "No targets were declared" in text
    rows = sum(metrics["training"]["rows"].values())
    assert f"this table's {rows:,} customers" in text
    assert "purchase rate - to -" not in text


def test_report_lists_the_tables_own_features(plain, table):
    run, metrics = plain
    text = _report(run, table)
    section = text.split("## 3. Feature engineering")[1].split("## 4.")[0]
    for sample_column in ("email_opens_30d", "days_since_last_purchase", "orders_90d"):
        assert sample_column not in text
    assert "consent" not in section
    for name in ("visits_4w", "basket_value_avg", "days_since_visit", "promo_clicks"):
        assert f"`{name}` | numeric" in section
    assert "`region` | categorical" in section
    missing = foreign_table()["promo_clicks"].is_nan().mean()
    assert f"`promo_clicks` | numeric | {100 * missing:.1f} %" in section or \
        f"`promo_clicks` | numeric | {100 * missing:.1f}%" in section
    auc = metrics["leakage"]["single_feature_auc"]["visits_4w"]
    assert f"| {auc:.3f} |" in section


def test_report_without_data_shows_no_sample_columns(plain):
    run, _ = plain
    text = _report(run)
    assert "email_opens_30d" not in text and "`visits_4w` | numeric | - |" in text


def test_report_with_declared_targets(declared):
    run, metrics = declared
    text = _report(run)
    auc_ok = metrics["test"]["roc_auc"] >= 0.6
    assert f"| >= 0.6 (declared) | {metrics['test']['roc_auc']:.3f} | {'met' if auc_ok else 'NOT met'} |" in text
    assert f"| >= 0.95 (declared) | {metrics['test']['f1']:.3f} | NOT met |" in text
    assert ">= 0.82" not in text and "do NOT meet every declared target" in text


def test_cli_summary_and_tui_checks_follow_the_targets(plain, declared):
    text = _summary(plain[1])
    assert "< 0.82" not in text and ">= 0.82" not in text and "FAIL" not in text
    assert "logistic regression by" in text and "no targets declared" in text
    assert view.bar_checks(plain[1]) == []
    checks = view.bar_checks(declared[1])
    assert [(c.metric, c.bar, c.source) for c in checks] == [("roc_auc", 0.6, "declared"), ("f1", 0.95, "declared")]
    assert checks[1].passed is False
    text = _summary(declared[1])
    assert "F1" in text and ">= 0.95" not in text and "< 0.95 FAIL (the declared target)" in text


def test_the_brief_sample_is_told_from_its_columns():
    columns = [schema.ID_COLUMN, *schema.FEATURES, schema.TARGET_COLUMN]
    assert policy.is_brief_sample(columns, schema.TARGET_COLUMN)
    assert not policy.is_brief_sample(columns[:-2] + [schema.TARGET_COLUMN], schema.TARGET_COLUMN)
    assert not policy.is_brief_sample([*columns, "extra"], schema.TARGET_COLUMN)
    brief = policy.declare_targets(brief_sample=True)
    assert (brief.values, brief.source, brief.scoring) == (policy.BARS, "brief", True)
    assert policy.declare_targets(brief_sample=False).values == {}
    # runs trained before targets were stored: the sample's features get the brief's bars
    old = {"training": {"target": schema.TARGET_COLUMN, "features": dict.fromkeys(schema.FEATURES, "continuous")}}
    assert policy.targets_for(old).source == "brief"
    old["training"]["features"] = {"visits_4w": "continuous"}
    assert policy.targets_for(old).source == "none"


def test_a_target_outside_0_1_is_one_readable_error(table, tmp_path):
    from toolkit.errors import SegkitError

    with pytest.raises(SegkitError, match="--target-auc must be between 0 and 1"):
        _train(table, tmp_path / "bad", target_auc=82)
