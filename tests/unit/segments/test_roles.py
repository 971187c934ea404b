"""Column roles and data-decided transforms on tables that are not the sample."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import toolkit.cli
from toolkit.cli import app, main
from toolkit.data.generate import generate
from toolkit.errors import DataError
from toolkit.segments.pipeline import run_segmentation
from toolkit.segments.roles import infer_id, infer_roles, read_roles_file
from toolkit.segments.space import decide_transform, default_features, fit_space

toolkit.cli._register()

FAST = dict(k_min=3, k_max=4, bootstraps=2, candidate_bootstraps=2, workers=1, tree_rows=2000)
FAST_CLI = ["--k-min", "3", "--k-max", "4", "--bootstraps", "2", "--candidate-bootstraps", "2",
            "--workers", "1"]


def foreign(rows: int = 1500, seed: int = 0) -> pl.DataFrame:
    """A shop's table with its own names: a text id, visits, money, a share, categories, target."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, rows)
    visits = rng.poisson(np.array([1, 6, 20])[kind])
    basket = np.round(rng.lognormal(np.array([3.0, 4.0, 5.5])[kind], 0.9), 2)
    returns = np.clip(rng.beta(0.5, 12, rows) * (1 + (kind == 2)), 0, 1)
    marketing = rng.poisson(3, rows).astype(float)
    marketing[rng.random(rows) < 0.3 * (kind == 0) + 0.05] = np.nan    # missing not at random
    return pl.DataFrame({
        "cust_ref": [f"C{i:06d}" for i in range(rows)],
        "visits_4w": visits,
        "basket_value_avg": basket,
        "returns_share": returns,
        "days_since_visit": rng.integers(0, 400, rows) // (kind + 1),
        "newsletter_clicks": pl.Series(marketing),
        "country": rng.choice(["DE", "AT", "CH", "NL"], rows),
        "member_tier": rng.choice(["basic", "plus", "vip"], rows),
        "customer_age": rng.integers(18, 80, rows),
        "is_app_user": rng.random(rows) < 0.4,
        "store_id": np.full(rows, 7),
        "bought_within_30d": (rng.random(rows) < 0.05 + 0.1 * kind).astype(np.int8),
    })


ORDER_COLUMNS = ["recency_days", "frequency_orders", "monetary_total", "units_total", "avg_gap_days",
                 "max_gap_days", "avg_order_value", "orders_90d", "days_since_last_purchase",
                 "days_since_first_purchase"]


def order_history(rows: int = 1500, seed: int = 1) -> pl.DataFrame:
    """RFM-like features of an order history: 10 numeric behaviour columns."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, rows)
    freq = 1 + rng.poisson(np.array([0.5, 3, 12])[kind])
    aov = np.round(rng.lognormal(3.5 + 0.3 * kind, 0.6), 2)
    first = rng.integers(30, 1500, rows)
    last = np.minimum(first, rng.integers(0, 600, rows) // (kind + 1))
    gap = (first - last) / np.maximum(freq - 1, 1)
    return pl.DataFrame({
        "customer_id": np.arange(rows) + 1000,
        "recency_days": last, "frequency_orders": freq, "monetary_total": np.round(freq * aov, 2),
        "units_total": freq * rng.integers(1, 5, rows), "avg_gap_days": np.round(gap, 1),
        "max_gap_days": np.round(gap * rng.uniform(1, 3, rows), 1), "avg_order_value": aov,
        "orders_90d": rng.poisson(freq / 6), "days_since_last_purchase": last,
        "days_since_first_purchase": first,
        "purchased_next_30d": (rng.random(rows) < 0.06).astype(np.int8),
    })


def test_foreign_table_roles_and_reasons():
    roles = infer_roles(foreign(), target="bought_within_30d")
    assert roles.segment == ["visits_4w", "basket_value_avg", "returns_share", "days_since_visit",
                             "newsletter_clicks"]
    assert roles.describe == ["country", "member_tier", "customer_age", "is_app_user"]
    assert set(roles.ignore) == {"cust_ref", "store_id", "bought_within_30d"}
    assert roles.reasons["store_id"] == "constant" and roles.reasons["bought_within_30d"] == "target"
    assert "identifier" in roles.reasons["cust_ref"]
    assert roles.mix == ["country", "member_tier", "is_app_user"]          # shown as a mix of values
    assert "customer_age" in roles.compare and "cust_ref" not in roles.compare
    assert infer_id(foreign()) == "cust_ref"
    # a 0/1 column that is not named like an outcome describes (never clustered)
    flagged = foreign().with_columns(has_coupon=(pl.col("visits_4w") % 2).cast(pl.Int8))
    assert "has_coupon" in infer_roles(flagged, target="bought_within_30d").describe


def test_integer_ids_ignored_counts_kept():
    f = pl.DataFrame({"account_no": [5, 9, 2, 7, 11, 3], "row": [1, 2, 3, 4, 5, 6],
                      "orders": [0, 1, 1, 2, 3, 9]})
    roles = infer_roles(f)
    assert roles.segment == ["orders"] and set(roles.ignore) == {"account_no", "row"}
    assert roles.summary_line() == "clustering on 1 column: orders; describing with none"


def test_transforms_follow_the_data_not_the_name():
    f = foreign()
    space = fit_space(f, ["visits_4w", "basket_value_avg", "returns_share", "customer_age"])
    by = {t.name: t for t in space.transforms}
    # the share is skewed (skewness > 1) and was logged before; within [0, 1] it now stays linear
    assert f.get_column("returns_share").skew() > 1
    assert not by["returns_share"].log and by["basket_value_avg"].log and not by["customer_age"].log
    why = space.settings["transform_reasons"]
    assert why["returns_share"].startswith("linear: share") and why["basket_value_avg"].startswith("log1p")
    # max / median of the positive values >= 10 logs a column that is not skewed by moment
    log, reason = decide_transform("spend", pl.Series([0.0, 10, 12, 11, 9, 10, 150, 140, 145, 12]))
    assert log and "max/median" in reason
    assert decide_transform("net", pl.Series([-5.0, 1, 2, 300, 4]))[0] is False
    # the stored form still loads (assign_clusters, RunView)
    from toolkit.segments.space import SegmentSpace

    again = SegmentSpace.from_dict(json.loads(json.dumps(space.to_dict())))
    np.testing.assert_allclose(again.transform(f), space.transform(f))


def test_sample_roles_and_transforms_unchanged():
    customers, _ = generate(2000, 3)
    roles = infer_roles(customers)
    assert roles.segment == default_features(customers.columns)       # the previous choice
    assert roles.describe == ["country", "device_type", "acquisition_channel", "loyalty_tier",
                              "newsletter_subscriber", "age", "account_age_days"]
    assert set(roles.ignore) == {"customer_id", "purchased_next_30d"}
    space = fit_space(customers)
    from toolkit import schema

    for t in space.transforms:   # by the schema's kind, as before (counts, money, days, seconds)
        assert t.log == (schema.BY_NAME[t.name].kind in ("count", "money", "days", "seconds")), t.name


def test_order_history_uses_all_ten_columns(tmp_path):
    result = run_segmentation(order_history(), tmp_path, **FAST)
    s = result.summary
    # every behaviour column (the sample schema's own names first, then the table's order)
    assert sorted(s["settings"]["features"]) == sorted(ORDER_COLUMNS)
    assert s["roles"]["segment"] == s["settings"]["features"] and s["roles"]["source"] == "inferred"
    assert s["roles"]["ignore"] == ["customer_id", "purchased_next_30d"]
    assert s["transform"]["settings"]["transform_reasons"]["monetary_total"].startswith("log1p")


def test_cli_without_options_prints_the_columns(tmp_path):
    data = tmp_path / "shop.csv"
    foreign().write_csv(data)
    res = CliRunner().invoke(app, ["segment", "--data", str(data), "--out", str(tmp_path / "run"),
                                   *FAST_CLI], catch_exceptions=False, terminal_width=200)
    assert res.exit_code == 0, res.output
    assert ("clustering on 5 columns: visits_4w, basket_value_avg, returns_share, days_since_visit, "
            "newsletter_clicks; describing with 4: country, member_tier, customer_age, is_app_user"
            ) in res.output
    # the 0/1 outcome was found by its name, said so, and is the segments' purchase rate
    assert "target: bought_within_30d, the one 0/1 column named like an outcome" in res.output
    s = json.loads((tmp_path / "run" / "segments.json").read_text())
    assert s["settings"]["id_column"] == "cust_ref" and s["roles"]["id"] == "cust_ref"
    assert s["roles"]["target"] == "bought_within_30d" and s["settings"]["target"] == "bought_within_30d"
    assert s["roles"]["target_note"].startswith("target: bought_within_30d")
    # the describe columns are the profiles' mixes (the sample's profile fields are absent here)
    assert set(s["profiles"][0]["mix"]) == {"country", "member_tier", "is_app_user"}
    assert pl.read_parquet(tmp_path / "run" / "assignments.parquet").columns[0] == "cust_ref"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_roles_file_overrides(tmp_path, suffix):
    roles = {"segment": ["visits_4w", "basket_value_avg"], "describe": ["country"],
             "ignore": ["returns_share"], "target": "bought_within_30d"}
    path = tmp_path / f"roles{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(roles))
    else:
        path.write_text("segment: [visits_4w, basket_value_avg]\ndescribe: [country]\n"
                        "ignore: [returns_share]\ntarget: bought_within_30d\n")
    spec = read_roles_file(path)
    r = infer_roles(foreign(), spec=spec)
    assert r.segment == roles["segment"] and r.describe == ["country"]
    assert "returns_share" in r.ignore and "member_tier" in r.ignore
    assert r.reasons["member_tier"].startswith("not in the roles file")
    data = tmp_path / "shop.parquet"
    foreign().write_parquet(data)
    res = CliRunner().invoke(app, ["segment", "--data", str(data), "--out", str(tmp_path / "run"),
                                   "--roles", str(path), "--describe", "country,member_tier", *FAST_CLI],
                             catch_exceptions=False, terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "clustering on 2 columns: visits_4w, basket_value_avg; describing with 2: country, member_tier" \
        in res.output
    s = json.loads((tmp_path / "run" / "segments.json").read_text())
    assert s["settings"]["features"] == ["visits_4w", "basket_value_avg"]
    assert s["roles"]["target"] == "bought_within_30d"


def test_roles_file_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "roles.json"
    bad.write_text('{"segment": ["visits_4w", "nosuch"], "colour": []}')
    with pytest.raises(DataError, match="unknown keys colour"):
        read_roles_file(bad)
    bad.write_text('{"segment": ["visits_4w", "nosuch"]}')
    with pytest.raises(DataError, match="'nosuch'"):
        infer_roles(foreign(), spec=read_roles_file(bad))
    data = tmp_path / "shop.csv"
    foreign(200).write_csv(data)
    with pytest.raises(SystemExit) as info:
        main(["segment", "--data", str(data), "--out", str(tmp_path / "x"), "--roles", str(bad)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "nosuch" in err and "Traceback" not in err


def test_outcome_named_0_1_column_is_the_target():
    roles = infer_roles(foreign())
    assert roles.target == "bought_within_30d" and roles.reasons["bought_within_30d"] == "target"
    assert "bought_within_30d" not in roles.describe + roles.segment + roles.compare
    assert "--target to choose another)" in roles.summary_line().splitlines()[1]
    # --target (or the roles file's) wins; the found one is then an ordinary 0/1 profile column
    other = foreign().with_columns(churned=(pl.col("visits_4w") == 0).cast(pl.Int8))
    assert infer_roles(other, target="churned").describe[-1] == "bought_within_30d"
    # two outcome-like columns: none is guessed, and the user is told to choose
    both = infer_roles(other)
    assert both.target is None and {"bought_within_30d", "churned"} <= set(both.describe)
    assert "pass --target" in both.target_note
    # a name like an outcome but not 0/1 (a count) is no target
    counts = foreign().drop("bought_within_30d").with_columns(orders_next_30d=pl.col("visits_4w"))
    assert infer_roles(counts).target is None and "orders_next_30d" in infer_roles(counts).segment
    # the sample keeps its own target, silently
    customers, _ = generate(500, 3)
    assert infer_roles(customers).target == "purchased_next_30d" and infer_roles(customers).target_note is None


def test_target_of_the_trained_run_is_used(tmp_path):
    from toolkit.data.files import atomic_write_json

    # the run was trained on is_app_user (not named like an outcome): segment picks it up
    table = foreign().with_columns(pl.col("is_app_user").cast(pl.Int8))
    atomic_write_json(tmp_path / "metrics.json", {"training": {"target": "is_app_user"}})
    roles = infer_roles(table, run_dir=tmp_path)
    assert roles.target == "is_app_user" and "is_app_user" not in roles.describe
    assert "the target segkit train used in this run folder" in roles.target_note
    assert "bought_within_30d" in roles.describe
    assert infer_roles(table, target="bought_within_30d", run_dir=tmp_path).target == "bought_within_30d"
    # a run trained on a column this table lacks, or an unreadable metrics.json: the other rules
    atomic_write_json(tmp_path / "metrics.json", {"training": {"target": "nosuch"}})
    assert infer_roles(table, run_dir=tmp_path).target == "bought_within_30d"
    (tmp_path / "metrics.json").write_text("{not json")
    assert infer_roles(table, run_dir=tmp_path).target == "bought_within_30d"
    # through the CLI: segment into the folder that segkit train wrote
    data = tmp_path / "shop.parquet"
    table.write_parquet(data)
    atomic_write_json(tmp_path / "metrics.json", {"training": {"target": "is_app_user"}})
    res = CliRunner().invoke(app, ["segment", "--data", str(data), "--out", str(tmp_path), *FAST_CLI],
                             catch_exceptions=False, terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "target: is_app_user, the target segkit train used in this run folder" in res.output
    assert json.loads((tmp_path / "segments.json").read_text())["roles"]["target"] == "is_app_user"
