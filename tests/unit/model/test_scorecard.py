"""The scorecard reproduces interpret's EBM exactly, persists as JSON only, and explains itself."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scorecard_fixtures as fx
from toolkit.errors import DataError, SegkitError
from toolkit.model.model_input import FeatureSpec
from toolkit.model.scorecard import FORMAT_VERSION, Scorecard, compile_ebm

TOL = 1e-9


@pytest.fixture(scope="module")
def fitted():
    return fx.fitted()


@pytest.fixture(scope="module")
def card(fitted):
    return compile_ebm(fitted.ebm, fitted.specs, fitted.derived, threshold=0.35, id_column=fx.ID,
                       metadata={"trained_at": "2026-01-01T00:00:00+00:00", "auc": np.float64(0.8),
                                 "rows": np.int64(4000), "split": (0.6, 0.2, 0.2)})


# ---------------------------------------------------------------------------------------------
# exactness against interpret


def test_model_has_the_structures_the_tests_rely_on(fitted, card):
    pairs = [t for t in card.terms if len(t["features"]) == 2]
    assert pairs, "the fixture must produce interaction terms"
    assert any(1 in t["bin_levels"] for t in pairs), "some pair must use level-1 bins"
    nominal = {i for i, f in enumerate(card.features) if f["type"] == "nominal"}
    assert any(nominal & set(t["features"]) for t in pairs), "some pair must have a nominal feature"
    assert any(not nominal & set(t["features"]) for t in pairs), "some pair must be continuous only"
    missing_scores = [t["scores"][0] for t in card.terms if len(t["features"]) == 1]
    assert any(s != 0 for s in missing_scores), "some feature must have a learned missing score"


def test_training_rows_match_predict_proba(fitted, card):
    ours = card.predict_proba(fitted.frame)
    ref = fx.reference_proba(fitted, fitted.frame)
    assert ours.shape == ref.shape
    assert np.max(np.abs(ours - ref)) < TOL


def test_edge_rows_match_predict_proba(fitted, card):
    edge = fx.edge_frame(card, fitted)
    assert edge.height > 500
    ours = card.predict_proba(edge)
    ref = fx.reference_proba(fitted, edge)
    bad = np.nonzero(~(np.abs(ours - ref) < TOL))[0]
    assert bad.size == 0, edge[bad[:5]].to_dicts()


def test_contributions_match_eval_terms(fitted, card):
    edge = fx.edge_frame(card, fitted)
    ours = card.contributions(edge)
    ref = fitted.ebm.eval_terms(fx.model_input(edge, fitted))
    assert ours.columns == list(fitted.ebm.term_names_)
    assert np.max(np.abs(ours.to_numpy() - ref)) < TOL
    logit = card.predict_logit(edge)
    assert np.max(np.abs(logit - (card.intercept + ref.sum(axis=1)))) < TOL


def test_integer_and_float_inputs_score_alike(fitted, card):
    as_float = fitted.frame.with_columns(pl.col("orders_90d", "orders_365d").cast(pl.Float64))
    assert np.array_equal(card.predict_proba(fitted.frame), card.predict_proba(as_float))


def test_pandas_input(fitted, card):
    pdf = fitted.frame.head(300).to_pandas()
    assert np.max(np.abs(card.predict_proba(pdf) - fx.reference_proba(fitted, fitted.frame.head(300)))) < TOL
    scored = card.score(pdf)
    assert scored.height == 300 and scored.columns[0] == fx.ID


_FLOATS = st.one_of(
    st.none(), st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")),
    st.floats(allow_nan=False, allow_infinity=False),  # includes huge and subnormal values
    st.floats(min_value=-5, max_value=500, allow_nan=False),
    st.integers(0, 40).map(float),
)
_COUNTRY = st.one_of(st.none(), st.sampled_from(fx.COUNTRIES), st.text(max_size=4),
                     st.sampled_from(["us", "GB ", "", "O'Brien", "None", "nan"]))


@st.composite
def _rows(draw, cut_values):
    n = draw(st.integers(1, 12))
    value = st.one_of(_FLOATS, st.sampled_from(cut_values))
    data = {fx.ID: [f"H{i}" for i in range(n)]}
    for name in ["orders_90d", "days_since_last_purchase", "total_spend_365d", "orders_365d",
                 "email_click_rate"]:
        data[name] = [draw(value) for _ in range(n)]
    data["country"] = [draw(_COUNTRY) for _ in range(n)]
    data["newsletter_subscriber"] = [draw(st.one_of(st.none(), st.booleans())) for _ in range(n)]
    schema = {fx.ID: pl.Utf8, "country": pl.Utf8, "newsletter_subscriber": pl.Boolean}
    return pl.DataFrame({c: pl.Series(c, v, dtype=schema.get(c, pl.Float64)) for c, v in data.items()})


def test_random_rows_match_predict_proba(fitted, card):
    cut_values = sorted({c for f in card.features if f["type"] == "continuous" for lv in f["bins"] for c in lv})
    cut_values += [float(np.nextafter(c, np.inf)) for c in cut_values[::7]]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_rows(cut_values))
    def check(frame):
        ours = card.predict_proba(frame)
        ref = fx.reference_proba(fitted, frame)
        assert np.all(np.abs(ours - ref) < TOL), frame.to_dicts()

    check()


# ---------------------------------------------------------------------------------------------
# inputs the scorecard refuses


def test_missing_columns_are_named(fitted, card):
    with pytest.raises(DataError, match=r"orders_365d.*country|country.*orders_365d"):
        card.predict_proba(fitted.frame.drop("orders_365d", "country"))
    with pytest.raises(DataError, match=fx.ID):
        card.score(fitted.frame.drop(fx.ID))


def test_text_in_numeric_column_is_refused_with_count_and_examples(fitted, card):
    frame = fitted.frame.head(50).with_columns(pl.col("days_since_last_purchase").cast(pl.Utf8))
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) < 3).then(pl.lit("n/a"))
                               .otherwise(pl.col("days_since_last_purchase")).alias("days_since_last_purchase"))
    with pytest.raises(DataError, match=r"days_since_last_purchase.*3 value\(s\).*'n/a'"):
        card.predict_proba(frame)


def test_numeric_text_is_read_as_numbers(fitted, card):
    head = fitted.frame.head(100)
    as_text = head.with_columns(pl.col("total_spend_365d").cast(pl.Utf8))
    assert np.array_equal(card.predict_proba(as_text), card.predict_proba(head))


def test_unsupported_column_type_is_refused(fitted, card):
    frame = fitted.frame.head(5).with_columns(pl.lit([1, 2]).alias("orders_90d"))
    with pytest.raises(DataError, match="orders_90d"):
        card.predict_proba(frame)


def test_empty_frame(card, fitted):
    empty = fitted.frame.head(0)
    assert card.predict_proba(empty).shape == (0,)
    scored = card.score(empty)
    assert scored.height == 0 and "reason_3" in scored.columns


# ---------------------------------------------------------------------------------------------
# score(): decisions and reasons


def test_score_columns_decision_and_probability(fitted, card):
    scored = card.score(fitted.frame)
    assert scored.columns == [fx.ID, "purchase_probability", "will_purchase", "reason_1", "reason_2", "reason_3"]
    assert scored[fx.ID].to_list() == fitted.frame[fx.ID].to_list()
    p = scored["purchase_probability"].to_numpy()
    assert np.array_equal(p, card.predict_proba(fitted.frame))
    assert scored["will_purchase"].to_list() == list(p >= card.threshold)


_REASON = re.compile(r"^(?P<body>.+) \((?P<sign>[+-])(?P<value>\d+\.\d\d)\)$")


def test_reasons_are_the_largest_contributions_in_order(fitted, card):
    frame = fitted.frame.head(400)
    scored = card.score(frame, top_reasons=3)
    contrib = card.contributions(frame).to_numpy()
    names = card.term_names
    for i in range(frame.height):
        order = np.argsort(-np.abs(contrib[i]), kind="stable")[:3]
        for slot, t in enumerate(order):
            text = scored[f"reason_{slot + 1}"][i]
            m = _REASON.match(text)
            assert m, text
            expected = contrib[i, t]
            assert m["sign"] == ("-" if expected < 0 else "+")
            assert abs(float(m["value"]) - abs(expected)) <= 0.005 + 1e-12
            features = [s.split(" = ")[0] for s in m["body"].split(" & ")]
            assert " & ".join(features) == names[t]


def test_reason_text_shows_the_customer_value(card):
    frame = pl.DataFrame({
        fx.ID: ["A"], "orders_90d": [3], "days_since_last_purchase": [45.0], "total_spend_365d": [1234.567],
        "orders_365d": [None], "email_click_rate": [0.123456], "country": ["GB"],
        "newsletter_subscriber": [True],
    }, schema_overrides={"orders_365d": pl.Int64})
    reasons = card.score(frame, top_reasons=len(card.terms)).row(0, named=True)
    texts = [v for k, v in reasons.items() if k.startswith("reason_") and v]
    joined = " | ".join(texts)
    for fragment in ["orders_90d = 3", "days_since_last_purchase = 45", "total_spend_365d = 1234.57",
                     "email_click_rate = 0.123", "country = GB", "newsletter_subscriber = true"]:
        if fragment.split(" = ")[0] in joined:
            assert fragment in joined, joined
    assert "orders_365d = missing" in joined or "orders_365d" not in joined


def test_top_reasons_variants(fitted, card):
    frame = fitted.frame.head(20)
    assert card.score(frame, top_reasons=0).columns == [fx.ID, "purchase_probability", "will_purchase"]
    many = card.score(frame, top_reasons=len(card.terms) + 2)
    assert many[f"reason_{len(card.terms) + 2}"].null_count() == 20
    with pytest.raises(SegkitError):
        card.score(frame, top_reasons=-1)


def test_score_across_chunks_is_identical(fitted, card, monkeypatch):
    import toolkit.model.scorecard.card as module  # the chunk sizes live beside the class

    whole = card.score(fitted.frame)
    monkeypatch.setattr(module, "CHUNK_ROWS", 333)
    monkeypatch.setattr(module, "SCORE_CHUNK_ROWS", 257)
    chunked = card.score(fitted.frame)
    assert_frame_equal(whole, chunked)


# ---------------------------------------------------------------------------------------------
# persistence


def test_save_load_round_trip(tmp_path, fitted, card):
    path = card.save(tmp_path / "run" / "scorecard.json")
    loaded = Scorecard.load(path)
    assert loaded.to_dict() == card.to_dict()
    assert np.array_equal(loaded.predict_proba(fitted.frame), card.predict_proba(fitted.frame))
    data = json.loads(path.read_text())
    assert data["format_version"] == FORMAT_VERSION == 1
    assert data["metadata"] == {"trained_at": "2026-01-01T00:00:00+00:00", "auc": 0.8, "rows": 4000,
                                "split": [0.6, 0.2, 0.2]}
    assert data["derived"] == [d.to_dict() for d in fitted.derived]
    assert data["source"]["library"] == "interpret-core"
    assert not list(tmp_path.glob("run/.*.tmp"))  # atomic write left nothing behind


def test_load_does_not_need_interpret(tmp_path, card):
    import subprocess
    import sys

    path = card.save(tmp_path / "s.json")
    code = ("import sys; sys.modules['interpret'] = None\n"
            "from toolkit.model.scorecard import Scorecard\n"
            f"c = Scorecard.load({str(path)!r}); print(len(c.terms))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(len(card.terms))


def _corruptions(good: dict):
    def mutate(fn):
        data = json.loads(json.dumps(good))
        fn(data)
        return json.dumps(data)

    yield "empty", ""
    yield "truncated", json.dumps(good)[:500]
    yield "not an object", "[1, 2, 3]"
    yield "binary", "\x00\x01garbage"
    yield "other format", mutate(lambda d: d.update(format="something-else"))
    yield "newer", mutate(lambda d: d.update(format_version=2))
    yield "version text", mutate(lambda d: d.update(format_version="1"))
    yield "missing terms", mutate(lambda d: d.pop("terms"))
    yield "link", mutate(lambda d: d.update(link="identity"))
    yield "threshold", mutate(lambda d: d.update(threshold=1.5))
    yield "table shape", mutate(lambda d: d["terms"][0]["scores"].pop())
    yield "pair shape", mutate(lambda d: [t for t in d["terms"] if len(t["features"]) == 2][0]["scores"][3].pop())
    yield "score text", mutate(lambda d: d["terms"][1]["scores"].__setitem__(2, "1.0"))
    yield "cuts order", mutate(lambda d: d["features"][0]["bins"][0].reverse())
    yield "feature index", mutate(lambda d: d["terms"][0].update(features=[99]))
    yield "bin level", mutate(lambda d: d["terms"][0].update(bin_levels=[5]))
    yield "categories", mutate(lambda d: [f for f in d["features"] if f["type"] == "nominal"][0]["bins"][0]
                                .update({"XX": 42}))
    yield "derived", mutate(lambda d: d["derived"].append({"op": "eval", "name": "x"}))
    yield "nan", json.dumps(good).replace(str(good["intercept"]), "NaN", 1)


def test_corrupt_files_raise_segkit_error(tmp_path, card):
    good = card.to_dict()
    for label, text in _corruptions(good):
        path = tmp_path / f"{label}.json"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        with pytest.raises(SegkitError) as info:
            Scorecard.load(path)
        assert str(path) in str(info.value), label
        assert "\n" not in str(info.value), label
    with pytest.raises(SegkitError, match="newer segkit"):
        Scorecard.load(tmp_path / "newer.json")
    with pytest.raises(SegkitError, match="not found"):
        Scorecard.load(tmp_path / "absent.json")


def test_compile_rejects_mismatched_specs(fitted):
    specs = list(fitted.specs)
    with pytest.raises(SegkitError, match="do not match"):
        compile_ebm(fitted.ebm, specs[::-1], fitted.derived, threshold=0.5, id_column=fx.ID, metadata={})
    wrong_type = [FeatureSpec(s.name, "nominal") if s.name == "orders_90d" else s for s in specs]
    with pytest.raises(SegkitError, match="orders_90d"):
        compile_ebm(fitted.ebm, wrong_type, fitted.derived, threshold=0.5, id_column=fx.ID, metadata={})
    with pytest.raises(SegkitError, match="threshold"):
        compile_ebm(fitted.ebm, specs, fitted.derived, threshold=2, id_column=fx.ID, metadata={})
    with pytest.raises(SegkitError, match="JSON"):
        compile_ebm(fitted.ebm, specs, fitted.derived, threshold=0.5, id_column=fx.ID, metadata={"f": object()})


def test_unused_derived_features_are_dropped(fitted):
    from toolkit.model.features import Ratio

    extra = Ratio("unused_ratio", "orders_90d", "missing_column", "")
    card = compile_ebm(fitted.ebm, fitted.specs, [*fitted.derived, extra], threshold=0.5,
                       id_column=fx.ID, metadata={})
    assert [d["name"] for d in card.derived] == ["spend_per_order_365d"]
    assert "missing_column" not in card.input_columns
    assert card.input_columns == fx.RAW_COLUMNS


# ---------------------------------------------------------------------------------------------
# global explanations


def test_term_importances_are_interprets(fitted, card):
    ours = card.term_importances(sort=False)
    assert list(ours) == list(fitted.ebm.term_names_)
    assert np.allclose(list(ours.values()), fitted.ebm.term_importances(), rtol=0, atol=1e-12)
    ranked = list(card.term_importances().values())
    assert ranked == sorted(ranked, reverse=True)


def _lookup(shape, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return next(b for b in shape if b.label == "missing")
    for b in shape[1:]:
        if b.lower is None and b.upper is None and b.label != "any value":
            return next((c for c in shape if c.label == value), shape[-1])  # category / unseen
        if (b.lower is None or value >= b.lower) and (b.upper is None or value < b.upper):
            return b
    raise AssertionError(value)


def test_shape_agrees_with_contributions(fitted, card):
    frame = fitted.frame.head(300)
    contrib = card.contributions(frame)
    for name in ["days_since_last_purchase", "orders_90d", "email_click_rate", "country"]:
        shape = card.shape(name)
        assert shape[0].label == "missing"
        if card.features[card.feature_names.index(name)]["type"] == "continuous":
            merged = [b.score for b in shape[1:]]
            assert all(a != b for a, b in zip(merged, merged[1:])), "adjacent equal bins are merged"
            assert len(card.shape(name, merge=False)) >= len(shape)
        for value, c in zip(frame[name].to_list(), contrib[name].to_list()):
            assert _lookup(shape, value).score == c, (name, value)


def test_interaction_table_agrees_with_contributions(fitted, card):
    frame = fitted.frame.head(300)
    contrib = card.contributions(frame)
    pairs = [t["name"] for t in card.terms if len(t["features"]) == 2]
    for term in pairs:
        table = card.interaction_table(term)
        a, b = table.features
        assert len(table.scores) == len(table.rows) and all(len(r) == len(table.columns) for r in table.scores)
        for va, vb, c in zip(frame[a].to_list(), frame[b].to_list(), contrib[term].to_list()):
            i = table.rows.index(_lookup(table.rows, _fix(va, card, a)))
            j = table.columns.index(_lookup(table.columns, _fix(vb, card, b)))
            assert table.scores[i][j] == c, (term, va, vb)


def _fix(value, card, name):
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def test_explanations_reject_unknown_names(card):
    with pytest.raises(SegkitError, match="no feature"):
        card.shape("nope")
    with pytest.raises(SegkitError, match="no term"):
        card.interaction_table("nope")
    with pytest.raises(SegkitError, match="not a pairwise"):
        card.interaction_table("orders_90d")


def test_scorecard_is_plain_data(card):
    # features and terms are dicts (toolkit.model.scoring reads feature["name"] / ["type"])
    assert all(isinstance(f, dict) and {"name", "type", "bins"} <= set(f) for f in card.features)
    assert all(isinstance(t["scores"], list) for t in card.terms)
    assert isinstance(pd.DataFrame(card.shape("country")), pd.DataFrame)
