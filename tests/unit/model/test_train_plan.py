"""The training plan for wide and high-cardinality input (toolkit.model.train_plan)."""

import json

import numpy as np
import polars as pl
import pytest

from toolkit.errors import SegkitError
from toolkit.model.model_input import FeatureSpec
from toolkit.model.scorecard import Scorecard
from toolkit.model.train import TrainConfig, train
from toolkit.model.train_plan import OTHER, SQL_STATEMENT_LIMIT, make_plan, sql_size_message

FAST = dict(outer_bags=1, interactions=2, n_jobs=1)


def _with_sku(table: pl.DataFrame, levels: int = 400, seed: int = 1) -> pl.DataFrame:
    """``table`` plus 'sku': 20 frequent levels (a real effect) and a long tail of rare ones."""
    rng = np.random.default_rng(seed)
    n = table.height
    frequent = rng.integers(0, 20, n)
    rare = rng.integers(20, levels, n)
    code = np.where(rng.random(n) < 0.7, frequent, rare)
    return table.with_columns(pl.Series("sku", [f"S{c:05d}" for c in code]))


def test_plan_keeps_the_most_frequent_levels_and_maps_the_rest_to_other():
    values = ["a"] * 50 + ["b"] * 30 + ["c"] * 12 + ["d"] * 3 + ["e", "f", None, None]
    frame = pl.DataFrame({"sku": values})
    plan = make_plan(frame, [FeatureSpec("sku", "nominal")], interactions=0, max_category_levels=3,
                     min_level_rows=10)
    (c,) = plan.collapses
    assert (c.feature, c.levels, c.kept, c.other, c.other_rows) == ("sku", 6, ["a", "b", "c"], OTHER, 5)
    assert "category 'sku' has 6 levels: kept the 3 most frequent" in plan.messages[0]
    mapped = plan.apply(pl.DataFrame({"sku": ["a", "d", "never seen", None]})).get_column("sku")
    assert mapped.to_list() == ["a", OTHER, OTHER, None]   # missing stays missing


def test_plan_leaves_ordinary_tables_alone(toy_table):
    specs = [FeatureSpec("acquisition_channel", "nominal"), FeatureSpec("orders_90d", "continuous")]
    plan = make_plan(toy_table, specs, interactions=10)
    assert plan.collapses == [] and plan.interaction_candidates is None and plan.messages == []
    assert plan.apply(toy_table) is toy_table and plan.excluded_pairs([s.name for s in specs]) == []


def test_plan_other_level_avoids_a_real_category_of_that_name():
    frame = pl.DataFrame({"sku": [OTHER] * 20 + ["x"] * 20 + ["y", "z"]})
    (c,) = make_plan(frame, [FeatureSpec("sku", "nominal")], interactions=0,
                     max_category_levels=2).collapses
    assert c.other not in {OTHER, "x", "y", "z"} and OTHER in c.kept


def test_wide_tables_search_pairs_among_the_strongest_features_only():
    specs = [FeatureSpec(f"x{i}", "continuous") for i in range(80)]
    auc = {f"x{i}": 0.5 + i / 1000 for i in range(80)}   # x79 strongest
    plan = make_plan(pl.DataFrame(), specs, interactions=10, single_feature_auc=auc)
    assert plan.interaction_candidates == [f"x{i}" for i in range(50, 80)]
    excluded = plan.excluded_pairs([s.name for s in specs])
    assert len(excluded) == 80 * 79 // 2 - 30 * 29 // 2
    assert (50, 79) not in excluded and (0, 79) in excluded
    assert "80 features: interaction pairs searched among the 30" in plan.messages[0]
    # without interactions there is nothing to cap
    assert make_plan(pl.DataFrame(), specs, interactions=0).interaction_candidates is None


def test_sql_size_message_only_over_the_limit():
    assert sql_size_message(SQL_STATEMENT_LIMIT) is None
    assert "2.2 MB, over the 1 MB statement limit" in sql_size_message(2_200_000)


@pytest.fixture(scope="module")
def sku_run(toy_table):
    table = _with_sku(toy_table)
    said: list[str] = []
    config = TrainConfig(target="purchased_next_30d", id_column="customer_id", seed=3,
                         max_category_levels=50, **FAST)
    return table, train(table, config, progress=said.append), said


def test_training_collapses_rare_levels_and_says_so_before_fitting(sku_run):
    table, result, said = sku_run
    plan_line = next(i for i, m in enumerate(said) if m.startswith("category 'sku' has "))
    fit_line = next(i for i, m in enumerate(said) if m.startswith("Fitting the EBM"))
    assert plan_line < fit_line
    (collapse,) = result.metrics["training"]["plan"]["collapses"]
    assert collapse["feature"] == "sku" and collapse["kept"] == 20 and collapse["other"] == OTHER
    sku = result.scorecard.features[result.scorecard.feature_names.index("sku")]
    assert sku["other"] == OTHER and len(sku["bins"][0]) == 21  # the 20 frequent levels (rare ones have < 10 rows)
    # raw test rows (rare levels included) score exactly as the EBM scored the collapsed ones
    assert result.metrics["scorecard_check"]["max_abs_difference_vs_interpret"] < 1e-9
    assert 0 < result.metrics["training"]["sql_bytes"] < SQL_STATEMENT_LIMIT


def test_rare_and_unseen_levels_score_like_other_in_python_and_sql(sku_run, tmp_path):
    table, result, _ = sku_run
    card = Scorecard.load(result.scorecard.save(tmp_path / "scorecard.json"))
    kept = set(card.features[card.feature_names.index("sku")]["bins"][0])
    rare = next(s for s in table.get_column("sku").unique().sort().to_list() if s not in kept)
    row = table.head(1).drop("sku")
    rows = pl.concat([row.with_columns(pl.lit(v).alias("sku")) for v in (OTHER, rare, "NEVER-SEEN")])
    p = card.predict_proba(rows)
    assert p[0] == p[1] == p[2]
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.register("customers", rows.to_arrow())
    sql_p = [r[1] for r in con.execute(card.to_sql("duckdb")).fetchall()]
    assert sql_p == pytest.approx(list(p), abs=1e-9)


def test_other_field_is_validated_and_optional(sku_run):
    _, result, _ = sku_run
    data = json.loads(json.dumps(result.scorecard.to_dict()))
    f = result.scorecard.feature_names.index("sku")
    plain = json.loads(json.dumps(data))
    del plain["features"][f]["other"]          # a file without the field still loads
    assert "other" not in Scorecard.from_dict(plain).features[f]
    bad = json.loads(json.dumps(data))
    bad["features"][f]["other"] = "not a level"
    with pytest.raises(SegkitError, match="other must name one of the feature's categories"):
        Scorecard.from_dict(bad)
    term = next(t for t in data["terms"] if t["features"] == [f])
    term["scores"][-1] += 1.0                  # unseen no longer scores like other
    with pytest.raises(SegkitError, match="unseen scores of 'sku' must equal"):
        Scorecard.from_dict(data)
