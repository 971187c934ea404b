import polars as pl
import pytest

from toolkit.data import io
from toolkit.errors import DataError


def test_load_csv_and_parquet_round_trip(tmp_path, toy_table):
    toy_table.write_parquet(tmp_path / "t.parquet")
    toy_table.write_csv(tmp_path / "t.csv")
    a = io.load_table(tmp_path / "t.parquet")
    b = io.load_table(tmp_path / "t.csv")
    assert a.shape == b.shape == toy_table.shape
    assert b.schema["email_opens_30d"].is_numeric()
    assert b.get_column("email_opens_30d").null_count() == toy_table.get_column("email_opens_30d").null_count()


@pytest.mark.parametrize("content, message", [
    ("", "is empty"),
    ("a,b\n", "no rows"),
])
def test_empty_files_are_named(tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        io.load_table(path)


def test_missing_file_and_bad_extension(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        io.load_table(tmp_path / "nope.csv")
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported file type"):
        io.load_table(tmp_path / "x.xlsx")


def test_corrupt_parquet_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(DataError, match="could not read"):
        io.load_table(path)


def test_missing_columns_suggest_closest(toy_table):
    with pytest.raises(DataError) as err:
        io.validate_training_table(toy_table, target="purchased_next_30", id_column="customer_id")
    assert "'purchased_next_30'" in str(err.value)
    assert "did you mean 'purchased_next_30d'" in str(err.value)


def test_duplicate_ids(toy_table):
    dup = pl.concat([toy_table, toy_table.head(3)])
    with pytest.raises(DataError, match="3 ids that appear more than once \\(6 rows"):
        io.validate_training_table(dup, target="purchased_next_30d", id_column="customer_id")


def test_non_binary_target(toy_table):
    bad = toy_table.with_columns(pl.col("orders_90d").alias("purchased_next_30d"))
    with pytest.raises(DataError, match="must be binary"):
        io.validate_training_table(bad, target="purchased_next_30d", id_column="customer_id")


def test_single_class_target(toy_table):
    bad = toy_table.with_columns(pl.lit(0).alias("purchased_next_30d"))
    with pytest.raises(DataError, match="only the value 0"):
        io.validate_training_table(bad, target="purchased_next_30d", id_column="customer_id")


def test_boolean_and_text_targets_accepted(toy_table):
    as_bool = toy_table.with_columns(pl.col("purchased_next_30d").cast(pl.Boolean))
    assert io.binary_target(as_bool, "purchased_next_30d").sum() == toy_table["purchased_next_30d"].sum()
    as_text = toy_table.with_columns(
        pl.when(pl.col("purchased_next_30d") == 1).then(pl.lit("Yes")).otherwise(pl.lit("no")).alias("t"))
    assert io.binary_target(as_text, "t").sum() == toy_table["purchased_next_30d"].sum()


def test_all_null_column(toy_table):
    bad = toy_table.with_columns(pl.lit(None, dtype=pl.Float64).alias("empty_col"))
    with pytest.raises(DataError, match="'empty_col' contains no values"):
        io.validate_training_table(bad, target="purchased_next_30d", id_column="customer_id")


def test_text_in_numeric_column_counts_and_examples(tmp_path, toy_table):
    bad = toy_table.with_columns(pl.col("orders_90d").cast(pl.Utf8))
    bad = bad.with_columns(pl.when(pl.int_range(pl.len()) < 5).then(pl.lit("n/a?"))
                           .when(pl.int_range(pl.len()) == 7).then(pl.lit("lots"))
                           .otherwise(pl.col("orders_90d")).alias("orders_90d"))
    bad.write_csv(tmp_path / "bad.csv")
    frame = io.load_table(tmp_path / "bad.csv")
    with pytest.raises(DataError) as err:
        io.validate_training_table(frame, target="purchased_next_30d", id_column="customer_id")
    msg = str(err.value)
    assert "'orders_90d' has 6 text values" in msg and "'n/a?'" in msg and "'lots'" in msg


def test_infer_types(toy_table):
    types = io.infer_feature_types(toy_table, ["orders_90d", "acquisition_channel", "newsletter_subscriber"])
    assert types == {"orders_90d": "continuous", "acquisition_channel": "nominal",
                     "newsletter_subscriber": "nominal"}


def test_fingerprint_changes_with_content(toy_table):
    assert io.fingerprint(toy_table) == io.fingerprint(toy_table.clone())
    assert io.fingerprint(toy_table) != io.fingerprint(toy_table.head(10))
