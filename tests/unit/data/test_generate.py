"""The synthetic sample: schema contract, consistency, label calibration, files and CLI."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from sample_data.generator import DTYPES
from toolkit import schema
from toolkit.errors import SegkitError
from toolkit.data.generate import (LOGIT_SCALE, NOISE_SD, TARGET_RATE, TYPE_NAMES, TYPES, generate,
                              propensity_from_table, truth_path, write_sample)

ROWS = 20_000
MARKETING = schema.columns_in("marketing")
PROFILE = schema.columns_in("profile")


@pytest.fixture(scope="module")
def sample() -> tuple[pl.DataFrame, pl.DataFrame]:
    return generate(ROWS, 11)


@pytest.fixture(scope="module")
def customers(sample) -> pl.DataFrame:
    return sample[0]


@pytest.fixture(scope="module")
def truth(sample) -> pl.DataFrame:
    return sample[1]


def col(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame.get_column(name).to_numpy()


# ---- contract ------------------------------------------------------------------------------

def test_columns_and_dtypes_follow_the_schema(customers, truth):
    assert customers.columns == [schema.ID_COLUMN, *schema.FEATURES, schema.TARGET_COLUMN]
    for c in schema.COLUMNS:
        assert customers.schema[c.name] == DTYPES[c.kind], c.name
    assert customers.schema[schema.ID_COLUMN] == pl.String
    assert customers.schema[schema.TARGET_COLUMN] == pl.Int8
    assert truth.columns == [schema.ID_COLUMN, "true_probability", "latent_type"]
    assert truth.schema["true_probability"] == pl.Float64
    assert customers.height == truth.height == ROWS


def test_ids_are_unique_and_shared_with_the_truth(customers, truth):
    ids = customers.get_column(schema.ID_COLUMN)
    assert ids.n_unique() == ROWS
    assert ids[0] == "C0000001" and ids[-1] == f"C{ROWS:07d}"
    assert ids.equals(truth.get_column(schema.ID_COLUMN))


def test_categories_come_from_the_schema(customers):
    for c in schema.COLUMNS:
        if c.categories:
            values = set(customers.get_column(c.name).drop_nulls().unique().to_list())
            assert values == set(c.categories), c.name  # every category is used


def test_same_seed_same_table_other_seed_other_table():
    a, ta = generate(3000, 5)
    b, tb = generate(3000, 5)
    c, tc = generate(3000, 6)
    assert a.equals(b) and ta.equals(tb)
    assert not a.drop(schema.ID_COLUMN).equals(c.drop(schema.ID_COLUMN))
    assert not ta.get_column("true_probability").equals(tc.get_column("true_probability"))


@pytest.mark.parametrize("rows", [1, 7, 999])
def test_tiny_tables_work(rows):
    customers, truth = generate(rows, 0)
    assert customers.height == truth.height == rows


@pytest.mark.parametrize("rows, seed", [(0, 1), (-5, 1), (10, -1), (2.5, 1), ("10", 1), (True, 1)])
def test_bad_rows_or_seed_is_a_user_error(rows, seed):
    with pytest.raises(SegkitError, match="must be a whole number"):
        generate(rows, seed)


# ---- latent types and label ----------------------------------------------------------------

def test_latent_types_have_their_shares(truth):
    shares = truth.get_column("latent_type").value_counts(normalize=True)
    got = dict(zip(shares.get_column("latent_type").to_list(), shares.get_column("proportion").to_list()))
    assert set(got) == set(TYPE_NAMES)
    total = sum(t.share for t in TYPES)
    for t in TYPES:
        assert got[t.name] == pytest.approx(t.share / total, abs=0.015), t.name


def test_prevalence_is_28_percent(customers, truth):
    y = col(customers, schema.TARGET_COLUMN)
    assert set(np.unique(y)) == {0, 1}
    assert abs(y.mean() - TARGET_RATE) <= 0.015
    p = col(truth, "true_probability")
    assert ((p > 0) & (p < 1)).all()
    assert p.mean() == pytest.approx(TARGET_RATE, abs=1e-6)  # the intercept is solved, not guessed


def test_prevalence_is_calibrated_for_other_seeds():
    for seed in (0, 1, 2):
        _, truth = generate(5000, seed)
        assert col(truth, "true_probability").mean() == pytest.approx(TARGET_RATE, abs=1e-6)


def test_probability_depends_only_on_published_features(customers, truth):
    # logit(p) = b + LOGIT_SCALE * g(published x) + e: the residual is a constant plus noise
    p = col(truth, "true_probability")
    residual = np.log(p / (1 - p)) - propensity_from_table(customers)
    assert residual.std() == pytest.approx(NOISE_SD, abs=0.03)
    assert LOGIT_SCALE > 0


def test_types_differ_in_purchase_rate(customers, truth):
    rates = (customers.select(schema.TARGET_COLUMN).with_columns(truth.get_column("latent_type"))
             .group_by("latent_type").agg(pl.col(schema.TARGET_COLUMN).mean()))
    rate = dict(zip(rates.get_column("latent_type").to_list(), rates.get_column(schema.TARGET_COLUMN).to_list()))
    assert rate["champion"] > 0.7
    assert rate["lapsed"] < 0.05
    assert rate["champion"] > rate["loyal"] > rate["window_shopper"] > rate["lapsed"]


def test_oracle_auc_is_in_the_target_band():
    customers, truth = generate(50_000, 3)
    auc = roc_auc_score(col(customers, schema.TARGET_COLUMN), col(truth, "true_probability"))
    assert 0.87 <= auc <= 0.93


def test_kmeans_recovers_the_latent_types(customers, truth):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import RobustScaler

    names = [c.name for c in schema.COLUMNS if c.group != "profile"]
    x = customers.select(names).cast(pl.Float64).to_numpy()
    x = np.where(np.isnan(x), np.nanmedian(x, axis=0), x)
    z = RobustScaler().fit_transform(np.log1p(x))
    labels = KMeans(6, n_init=4, random_state=0).fit_predict(z)
    assert adjusted_rand_score(col(truth, "latent_type"), labels) > 0.75


# ---- values and consistency ----------------------------------------------------------------

def test_value_ranges(customers):
    for c in schema.COLUMNS:
        s = customers.get_column(c.name).drop_nulls()
        if c.kind in ("count", "days", "money", "seconds"):
            assert s.min() >= 0, c.name
        if c.kind == "rate":
            assert s.min() >= 0 and s.max() <= 1, c.name
    assert 18 <= customers.get_column("age").min() and customers.get_column("age").max() <= 85
    assert customers.get_column("days_since_last_email_click").max() <= 365
    assert customers.get_column("account_age_days").min() >= 1  # so never ordered (last = age) != ordered today
    spend = col(customers, "total_spend_365d")
    positive = spend[spend > 0]
    assert np.mean(positive) > 1.5 * np.median(positive)  # right-skewed


def test_orders_recency_and_tenure_are_consistent(customers):
    f = customers.with_columns(pl.col("account_age_days").is_null().alias("_age_missing"))
    o90, o365 = col(f, "orders_90d"), col(f, "orders_365d")
    last, first = col(f, "days_since_last_purchase"), col(f, "days_since_first_purchase")
    assert (o90 <= o365).all()
    assert (last[o90 > 0] <= 90).all()
    assert (last[(o90 == 0) & (o365 > 0)] > 90).all()
    assert (last[(o365 > 0)] <= 365).all()
    never = (first == 0) & (last > 0)  # a first order today has first == last == 0
    bought_before = (o365 == 0) & ~never
    assert (last[bought_before] > 365).all()
    assert (first[~never] >= last[~never]).all()
    assert (o365[never] == 0).all()
    known = ~col(f, "_age_missing")
    age = customers.get_column("account_age_days").fill_null(-1).to_numpy()
    assert (age[known] >= first[known]).all()
    assert (last[never & known] == age[never & known]).all()  # never ordered: days since sign-up
    assert (col(f, "days_since_last_visit") <= last).all()
    # checkouts after a recent order
    assert (col(f, "checkout_starts_30d")[~never & (last < 30)] >= 1).all()


def test_money_and_shares_are_consistent(customers):
    o365 = col(customers, "orders_365d")
    spend, aov = col(customers, "total_spend_365d"), col(customers, "avg_order_value")
    assert np.allclose(spend, o365 * aov, atol=0.005 * np.maximum(o365, 1) + 1e-9)
    none = o365 == 0
    assert (spend[none] == 0).all() and (aov[none] == 0).all()
    for name in ("avg_items_per_order", "distinct_categories_365d", "refund_rate", "discount_order_share"):
        assert (col(customers, name)[none] == 0).all(), name
    assert (col(customers, "avg_items_per_order")[~none] >= 1).all()
    assert (col(customers, "product_views_30d") <= col(customers, "page_views_30d")).all()
    sessions = col(customers, "sessions_30d")
    assert (col(customers, "avg_session_duration")[sessions == 0] == 0).all()
    assert (col(customers, "days_since_last_visit")[sessions > 0] < 30).all()
    assert (col(customers, "days_since_last_visit")[sessions == 0] >= 30).all()


def test_marketing_fields_are_consistent(customers):
    both = customers.select("email_opens_30d", "email_clicks_30d", "coupon_redemptions", "orders_90d").drop_nulls()
    assert (col(both, "email_clicks_30d") <= col(both, "email_opens_30d")).all()
    assert (col(both, "coupon_redemptions") <= col(both, "orders_90d")).all()


def test_missing_values_rates_and_mechanism(customers, truth):
    nulls = customers.null_count()
    for name in MARKETING:
        assert 0.065 <= nulls[name][0] / ROWS <= 0.095, name
    for name in PROFILE:
        assert 0.02 <= nulls[name][0] / ROWS <= 0.04, name
    for name in schema.columns_in("behavioral") + schema.columns_in("transactional"):
        assert nulls[name][0] == 0, name
    assert nulls[schema.ID_COLUMN][0] == nulls[schema.TARGET_COLUMN][0] == 0
    # no email consent: all three email fields missing together, and no newsletter
    email = customers.select(pl.col("email_opens_30d", "email_clicks_30d", "days_since_last_email_click").is_null())
    assert email.select(pl.all_horizontal(pl.all()) == pl.any_horizontal(pl.all())).to_series().all()
    no_email = customers.filter(pl.col("email_opens_30d").is_null())
    assert not no_email.get_column("newsletter_subscriber").drop_nulls().any()
    # no app: no push rate and no app sessions
    no_app = customers.filter(pl.col("push_click_rate").is_null())
    assert (col(no_app, "app_session_share") == 0).all()
    # not at random: lapsed customers miss email consent more often than champions
    by_type = (customers.select(pl.col("email_opens_30d").is_null().alias("m"))
               .with_columns(truth.get_column("latent_type")).group_by("latent_type").agg(pl.col("m").mean()))
    rate = dict(zip(by_type.get_column("latent_type").to_list(), by_type.get_column("m").to_list()))
    assert rate["lapsed"] > 2 * rate["champion"]


def test_loyalty_tier_follows_spend(customers):
    med = (customers.group_by("loyalty_tier").agg(pl.col("total_spend_365d").median())
           .drop_nulls("loyalty_tier"))
    spend = dict(zip(med.get_column("loyalty_tier").to_list(), med.get_column("total_spend_365d").to_list()))
    ordered = [spend[t] for t in schema.LOYALTY_TIERS]
    assert ordered == sorted(ordered) and ordered[-1] > 5 * ordered[1]


# ---- files and CLI -------------------------------------------------------------------------

def test_write_parquet_with_truth_beside(tmp_path):
    data, truth_file = write_sample(2000, 4, tmp_path / "out" / "customers.parquet")
    assert data == tmp_path / "out" / "customers.parquet"
    assert truth_file == tmp_path / "out" / "customers.truth.parquet" == truth_path(data)
    customers, truth = generate(2000, 4)
    assert pl.read_parquet(data).equals(customers)
    assert pl.read_parquet(truth_file).equals(truth)
    assert [p.name for p in sorted((tmp_path / "out").iterdir())] == ["customers.parquet", "customers.truth.parquet"]


def test_write_csv_with_truth_beside(tmp_path):
    data, truth_file = write_sample(2000, 4, tmp_path / "sample.csv")
    assert truth_file == tmp_path / "sample.truth.parquet"
    customers, truth = generate(2000, 4)
    assert data.read_text().splitlines()[0].split(",") == customers.columns
    assert pl.read_csv(data, schema=customers.schema).equals(customers)
    assert pl.read_parquet(truth_file).equals(truth)


def test_bad_output_paths_are_user_errors(tmp_path):
    with pytest.raises(SegkitError, match="is a directory"):
        write_sample(10, 1, tmp_path)
    with pytest.raises(SegkitError, match="is a directory"):
        write_sample(10, 1, tmp_path / ".")
    assert list(tmp_path.iterdir()) == []


def test_cli_generate(tmp_path):
    from typer.testing import CliRunner

    from toolkit.cli import _register, app

    _register()  # adds every command, as `segkit` does

    out = tmp_path / "c.parquet"
    result = CliRunner().invoke(app, ["generate", "--rows", "3000", "--seed", "9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Positive rate" in result.output and "c.truth.parquet" in result.output
    customers, truth = generate(3000, 9)
    assert pl.read_parquet(out).equals(customers)
    assert pl.read_parquet(tmp_path / "c.truth.parquet").equals(truth)
    bad = CliRunner().invoke(app, ["generate", "--rows", "0", "--out", str(out)])
    assert bad.exit_code != 0
