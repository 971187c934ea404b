"""Infinite values, drifted column types at scoring, hostile scorecard files and huge scores.

One policy for +-inf (toolkit.model.model_input.infinite_to_missing: missing, counted) is checked in
every path that reads a customer table: train (leakage audit, EBM, baselines), segment,
score (the function and the CLI) and monitor's scoring.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scorecard_fixtures as fx
import toolkit.cli
from toolkit.cli import app
from toolkit.errors import SegkitError
from toolkit.model.model_input import (ScoringInputReport, align_scoring_input, describe_infinite,
                                 infinite_to_missing)
from toolkit.model.scorecard import Scorecard, compile_ebm
from toolkit.model.scoring import NOTE_COLUMN, score_frame
from toolkit.model.train import TrainConfig, save_run, train

toolkit.cli._register()
TARGET, ID = "purchased_next_30d", "customer_id"


def _with_inf(frame: pl.DataFrame, column: str, rows: dict[int, float]) -> pl.DataFrame:
    values = frame.get_column(column).cast(pl.Float64).to_numpy().copy()
    for i, v in rows.items():
        values[i] = v
    return frame.with_columns(pl.Series(column, values))


@pytest.fixture(scope="module")
def card():
    fitted = fx.fitted()
    return compile_ebm(fitted.ebm, fitted.specs, fitted.derived, threshold=0.35, id_column=fx.ID,
                       metadata={})


@pytest.fixture(scope="module")
def rows():
    frame, _ = fx.customers(400, 11)
    return frame


# ---------------------------------------------------------------------------------------------
# the helper


def test_infinite_to_missing_counts_and_replaces_only_infinities():
    frame = pl.DataFrame({"x": [1.0, float("inf"), float("nan"), None, -float("inf")],
                          "y": pl.Series([1, 2, 3, 4, 5]), "z": ["inf", "a", "b", "c", "d"],
                          "w": pl.Series([float("inf"), 1, 2, 3, 4], dtype=pl.Float32)})
    out, counts = infinite_to_missing(frame)
    assert counts == {"x": 2, "w": 1}
    assert out.get_column("x").to_list()[:2] == [1.0, None]
    assert np.isnan(out.get_column("x")[2])  # NaN is already missing everywhere; left alone
    assert out.get_column("w").dtype == pl.Float32 and out.get_column("w")[0] is None
    assert out.get_column("z").to_list() == frame.get_column("z").to_list()
    same, none = infinite_to_missing(frame.select("y", "z"))
    assert none == {} and same.equals(frame.select("y", "z"))
    assert describe_infinite(counts) == "3 infinite values in 2 columns (x: 2, w: 1) are treated as missing"
    assert describe_infinite({"x": 1}) == "1 infinite value in 1 column (x: 1) is treated as missing"
    assert describe_infinite({}) is None


# ---------------------------------------------------------------------------------------------
# train


def test_train_treats_inf_as_missing_and_reports_the_count(toy_table, tmp_path):
    """Before: ValueError 'Input contains infinity' in the leakage audit / logistic baseline."""
    frame = _with_inf(toy_table, "days_since_last_purchase", {0: np.inf, 5: np.inf, 9: -np.inf})
    frame = _with_inf(frame, "orders_90d", {3: np.inf})
    config = TrainConfig(target=TARGET, id_column=ID, outer_bags=1, interactions=0)
    result = train(frame, config)
    assert result.metrics["training"]["infinite_values"] == {"days_since_last_purchase": 3, "orders_90d": 1}
    assert result.metrics["baselines"]["logistic_regression"]["roc_auc"] > 0.5
    # the model saw those cells as missing: a row with inf scores like the same row with null
    test_ids = result.split.filter(pl.col("split") == "test").get_column(ID)
    held = frame.filter(pl.col(ID).is_in(test_ids.implode())).head(5)
    as_inf = held.with_columns(pl.lit(float("inf")).alias("days_since_last_purchase"))
    as_null = held.with_columns(pl.lit(None, dtype=pl.Float64).alias("days_since_last_purchase"))
    p_inf = score_frame(result.scorecard, as_inf).get_column("purchase_probability")
    p_null = score_frame(result.scorecard, as_null).get_column("purchase_probability")
    assert p_inf.to_list() == p_null.to_list()
    # the fingerprint is of the table as given (so a later load of the same file matches)
    from toolkit.data.io import fingerprint

    assert result.metrics["training"]["data_fingerprint"] == fingerprint(frame)


def test_train_cli_prints_the_infinite_count(toy_table, tmp_path):
    frame = _with_inf(toy_table, "days_since_last_purchase", {1: np.inf, 2: -np.inf})
    data = tmp_path / "inf.csv"
    frame.write_csv(data)
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "run"),
                                      "--outer-bags", "1", "--interactions", "0"])
    assert result.exit_code == 0, result.output
    assert "2 infinite values in 1 column (days_since_last_purchase: 2) are treated as missing" \
        in " ".join(result.output.split())


def test_all_infinite_feature_is_a_data_error(toy_table):
    from toolkit.errors import DataError

    frame = toy_table.with_columns(pl.lit(float("inf")).alias("days_since_last_purchase"))
    with pytest.raises(DataError, match="no values at all"):
        train(frame, TrainConfig(target=TARGET, id_column=ID, outer_bags=1, interactions=0))


# ---------------------------------------------------------------------------------------------
# segment


def test_segment_treats_inf_as_missing(tmp_path):
    """Before: OverflowError in distill (floor of -inf) / ValueError in the tree fit."""
    from segment_fixtures import blobs

    from toolkit.segments.pipeline import run_segmentation

    frame, _ = blobs(1500, seed=1)
    frame = _with_inf(frame, "total_spend_365d", {0: np.inf, 1: np.inf, 2: -np.inf})
    result = run_segmentation(frame, tmp_path / "seg", k_min=2, k_max=3, bootstraps=2,
                              candidate_bootstraps=1, workers=1)
    assert result.summary["infinite_values"] == {"total_spend_365d": 3}
    saved = json.loads((tmp_path / "seg" / "segments.json").read_text())
    assert saved["infinite_values"] == {"total_spend_365d": 3}
    assert result.assignments.height == frame.height  # no row dropped


# ---------------------------------------------------------------------------------------------
# score


def test_score_frame_treats_inf_as_missing_and_notes_each_row(card, rows):
    """Before: +inf scored in the last bin, -inf in bin 1, with no note and no count."""
    with_inf = _with_inf(rows, "days_since_last_purchase", {0: np.inf, 1: -np.inf})
    with_inf = _with_inf(with_inf, "total_spend_365d", {2: np.inf})
    as_null = rows.with_columns(
        pl.when(pl.int_range(pl.len()) < 2).then(None).otherwise(pl.col("days_since_last_purchase"))
        .alias("days_since_last_purchase"),
        pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("total_spend_365d"))
        .alias("total_spend_365d"))
    report = ScoringInputReport()
    scored = score_frame(card, with_inf, report=report)
    expected = score_frame(card, as_null)
    assert scored.get_column("purchase_probability").to_list() == \
        expected.get_column("purchase_probability").to_list()
    notes = scored.get_column(NOTE_COLUMN).to_list()
    assert notes[0] == "days_since_last_purchase=inf (scored as missing)"
    assert notes[1] == "days_since_last_purchase=-inf (scored as missing)"
    assert notes[2] == "total_spend_365d=inf (scored as missing)"
    assert report.infinite == {"days_since_last_purchase": 2, "total_spend_365d": 1}
    [warning] = report.warnings()
    assert warning.kind == "infinite" and warning.rows == 3
    # the compiled scorecard itself keeps interpret's semantics (+inf: last bin)
    direct = card.predict_proba(with_inf.head(1))
    assert direct[0] != expected.get_column("purchase_probability")[0]


# ---------------------------------------------------------------------------------------------
# drifted types at scoring


def test_boolean_now_zero_one_is_cast_losslessly(card, rows):
    """Before: every 0/1 value fell to 'unseen' and decisions flipped, exit 0, no note."""
    base = score_frame(card, rows)
    drifted = rows.with_columns(pl.col("newsletter_subscriber").cast(pl.Int64))
    report = ScoringInputReport()
    scored = score_frame(card, drifted, report=report)
    assert scored.get_column("purchase_probability").to_list() == \
        base.get_column("purchase_probability").to_list()
    assert scored.get_column(NOTE_COLUMN).null_count() == scored.height
    [warning] = report.warnings()
    assert warning.kind == "cast" and warning.column == "newsletter_subscriber"
    assert warning.rows == rows.get_column("newsletter_subscriber").drop_nulls().len()
    for text in (["True", "False"], ["TRUE", "FALSE"], ["1", "0"]):
        mapping = {True: text[0], False: text[1]}
        as_text = rows.with_columns(pl.col("newsletter_subscriber").replace_strict(mapping, return_dtype=pl.Utf8))
        again = score_frame(card, as_text)
        assert again.get_column("purchase_probability").to_list() == \
            base.get_column("purchase_probability").to_list(), text


def test_case_changed_categories_warn_with_the_training_spelling(card, rows):
    lowered = rows.with_columns(pl.col("country").str.to_lowercase())
    report = ScoringInputReport()
    scored = score_frame(card, lowered, report=report)
    [warning] = report.warnings()
    assert warning.kind == "unseen" and warning.column == "country"
    present = rows.get_column("country").drop_nulls().len()
    assert warning.rows == present and f"({present / rows.height:.1%})" in warning.message
    assert "'us' vs 'US'" in warning.message or "'de' vs 'DE'" in warning.message
    notes = scored.get_column(NOTE_COLUMN).filter(lowered.get_column("country") == "us")
    assert notes.len() and notes.to_list()[0] == \
        "country='us' is not a training category, scored as unseen (training has 'US')"


def test_integer_codes_for_text_categories_warn(card, rows):
    codes = {c: i for i, c in enumerate(fx.COUNTRIES)}
    coded = rows.with_columns(pl.col("country").replace_strict(codes, return_dtype=pl.Int64))
    report = ScoringInputReport()
    score_frame(card, coded, report=report)
    [warning] = report.warnings()
    assert warning.kind == "unseen" and "now holds numbers" in warning.message


def test_a_few_unseen_categories_are_noted_but_not_warned(card, rows):
    one_new = rows.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("Narnia"))
                                .otherwise(pl.col("country")).alias("country"))
    report = ScoringInputReport()
    scored = score_frame(card, one_new, report=report)
    assert report.unseen == {"country": 1} and report.warnings() == []
    assert scored.get_column(NOTE_COLUMN)[0] == "country='Narnia' is not a training category, scored as unseen"


def test_whole_floats_match_integer_text_categories():
    features = [{"name": "tier", "type": "nominal", "bins": [{"1": 1, "2": 2, "3": 3}]}]
    frame = pl.DataFrame({"tier": [1.0, 2.0, 3.0, 2.5, None]})
    report = ScoringInputReport()
    out, note = align_scoring_input(frame, features, [], report)
    assert out.get_column("tier").to_list() == ["1", "2", "3", "2.5", None]
    assert report.cast == {"tier": 3} and report.unseen == {"tier": 1}
    assert note.to_list()[3] == "tier='2.5' is not a training category, scored as unseen"


def test_score_cli_prints_input_warnings(card, rows, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    card.save(run / "scorecard.json")
    data = tmp_path / "drifted.parquet"
    _with_inf(rows.with_columns(pl.col("country").str.to_lowercase(),
                                pl.col("newsletter_subscriber").cast(pl.Int8)),
              "orders_90d", {0: np.inf}).write_parquet(data)
    result = CliRunner().invoke(app, ["score", "--run", str(run), "--data", str(data),
                                      "--out", str(tmp_path / "scores.parquet")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "warning: 1 infinite value in 1 column (orders_90d: 1) was scored as missing" in text
    assert "warning: column 'country'" in text and "'us' vs 'US'" in text
    assert "note: column 'newsletter_subscriber'" in text


# ---------------------------------------------------------------------------------------------
# hostile scorecard files, huge scores, table names


def test_deeply_nested_json_is_one_clear_error(tmp_path, card):
    """Before: RecursionError from the JSON parser."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SegkitError, match="nested more than 64 levels"):
        Scorecard.load(path)
    doc = {**card.to_dict(), "metadata": {}}  # to_dict shares the card's own metadata
    inner = doc["metadata"]
    for _ in range(500):  # parses, but deeper than any scorecard (and than _dumps can write)
        inner["x"] = {}
        inner = inner["x"]
    path.write_text(json.dumps(doc))
    with pytest.raises(SegkitError, match="nests more than 64 levels"):
        Scorecard.load(path)
    doc = json.loads(json.dumps(card.to_dict()))  # deep inside a score table: caught by its shape
    deep: list = []
    for _ in range(500):
        deep = [deep]
    doc["terms"][0]["scores"][1] = deep
    path.write_text(json.dumps(doc))
    with pytest.raises(SegkitError, match="expected finite numbers"):
        Scorecard.load(path)


def test_huge_scores_still_give_reasons(card, rows):
    """Before: a score of 1e308 made _signed's Int64 cast null, so the whole reason was null."""
    doc = copy.deepcopy(card.to_dict())
    term = next(t for t in doc["terms"] if t["name"] == "country")
    term["scores"] = [1e308 if i else 0.0 for i, _ in enumerate(term["scores"])]
    huge = Scorecard.from_dict(doc)
    scored = huge.score(rows.filter(pl.col("country").is_not_null()).head(20))
    reasons = scored.get_column("reason_1").to_list()
    assert all(r is not None and r.startswith("country = ") and r.endswith("(+1e308)") for r in reasons)
    assert scored.get_column("purchase_probability").to_list() == [1.0] * scored.height
    from toolkit.model.scorecard import _signed

    values = [0.824, -1.054, 0.0, 123456.789, 1e11, -9.99e13, 1e15, -1e308]
    got = pl.DataFrame({"c": values}).select(_signed(pl.col("c"))).to_series().to_list()
    assert got[:5] == ["+0.82", "-1.05", "+0.00", "+123456.79", "+100000000000.00"]
    assert got[5:] == ["-9.99e13", "+1e15", "-1e308"]   # toolkit.fmt: three significant digits from 1e12


def test_scorecard_sql_rejects_nul_in_table_name_like_the_rules_export(card):
    """Before: to_sql accepted 'cust\\x00omers'; the rules export refused it."""
    from toolkit.rules.compile_sql import quote_table

    for bad in ["cust\x00omers", "s.t\x00", "\x00"]:
        with pytest.raises(SegkitError):
            quote_table(bad)
        with pytest.raises(SegkitError, match="NUL"):
            card.to_sql("duckdb", table=bad)
    assert '"s"."t"' in card.to_sql("duckdb", table="s.t")
