"""Scoring files safely: never over the input, one complete file per run even when two runs
race for one output, CSV values handled the same wherever they sit, clean encoding errors."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import polars as pl
import pyarrow.csv as pacsv
import pytest

import scorecard_fixtures as fx
from toolkit.errors import DataError, SegkitError
from toolkit.model.scorecard import compile_ebm
from toolkit.model.scoring import score_file, score_frame

SPECS = [s for s in fx.SPECS if s.name != "spend_per_order_365d"]


@pytest.fixture(scope="module")
def card():
    frame, y = fx.customers(800, seed=5)
    ebm = fx.fit(frame, y, SPECS, [], interactions=0, outer_bags=1, seed=1)
    return compile_ebm(ebm, SPECS, [], threshold=0.35, id_column=fx.ID, metadata={})


@pytest.fixture(scope="module")
def table():
    frame, _ = fx.customers(1500, seed=9)
    return frame


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("how", ["same", "dot", "absolute", "symlink", "hardlink"])
def test_out_that_is_the_input_is_refused_before_any_work(card, table, tmp_path, monkeypatch, fmt, how):
    monkeypatch.chdir(tmp_path)
    data = Path(f"v.{fmt}")
    table.write_parquet(data) if fmt == "parquet" else table.write_csv(data)
    before = data.read_bytes()
    out = {"same": data, "dot": Path(".") / "." / data.name, "absolute": tmp_path / data.name,
           "symlink": Path(f"link.{fmt}"), "hardlink": Path(f"hard.{fmt}")}[how]
    if how == "symlink":
        out.symlink_to(data)
    if how == "hardlink":
        os.link(data, out)
    with pytest.raises(SegkitError, match="is the input file") as info:
        score_file(card, data, out)
    assert "\n" not in str(info.value)
    assert data.read_bytes() == before


def test_two_runs_racing_for_one_output_each_write_a_complete_file(card, table, tmp_path):
    # Both used ".scores.parquet.partial": the second truncated the first's file mid-write.
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    table.write_parquet(a)
    other = table.with_columns(pl.format("X{}", pl.col(fx.ID)).alias(fx.ID))
    other.write_parquet(b)
    out = tmp_path / "scores.parquet"
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, object] = {}

    def run(name: str, data: Path) -> None:
        try:
            results[name] = score_file(card, data, out, batch_rows=300,
                                       on_batch=lambda _n: barrier.wait())  # interleave batches
        except BaseException as exc:  # noqa: BLE001 - recorded and asserted below
            results[name] = exc
            barrier.abort()

    threads = [threading.Thread(target=run, args=(n, d)) for n, d in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"a": table.height, "b": table.height}
    written = pl.read_parquet(out)
    expected = {name: score_frame(card, frame) for name, frame in (("a", table), ("b", other))}
    assert any(written.equals(e) for e in expected.values()), "the output mixes both runs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet", "scores.parquet"]


@pytest.fixture
def small_csv_blocks(monkeypatch):
    """pyarrow parses CSV in 64 MB blocks; 4 KB blocks put the bad rows in a later block."""
    real = pacsv.ReadOptions
    monkeypatch.setattr(pacsv, "ReadOptions", lambda **kw: real(**{**kw, "block_size": 4096}))


def test_csv_values_far_down_are_scored_like_the_same_values_at_the_top(card, table, tmp_path,
                                                                        small_csv_blocks):
    n = table.height
    late = table.with_columns(
        # text in a numeric column after the first block
        pl.when(pl.int_range(pl.len()) == n - 5).then(pl.lit("many"))
        .otherwise(pl.col("orders_90d").cast(pl.Utf8)).alias("orders_90d"),
        # a numeric column empty for the first 90 % of rows
        pl.when(pl.int_range(pl.len()) < int(n * 0.9)).then(None)
        .otherwise(pl.col("email_click_rate")).alias("email_click_rate"),
    )
    csv = tmp_path / "late.csv"
    late.write_csv(csv)
    out = tmp_path / "scores.csv"
    assert score_file(card, csv, out, batch_rows=400) == n
    scores = pl.read_csv(out)
    assert scores.get_column(fx.ID).to_list() == table.get_column(fx.ID).to_list()
    notes = scores.get_column("scoring_note")
    assert notes.null_count() == n - 1
    assert "orders_90d=many is not a number (scored as missing)" in notes[n - 5]
    expected = score_frame(card, late.with_columns(pl.col("orders_90d").cast(pl.Float64, strict=False)))
    assert scores.get_column("purchase_probability").to_list() == pytest.approx(
        expected.get_column("purchase_probability").to_list(), abs=1e-12)


def test_latin1_csv_is_one_clean_error(card, tmp_path):
    csv = tmp_path / "latin1.csv"
    header = ",".join([fx.ID, *fx.RAW_COLUMNS])
    csv.write_bytes((header + "\nC1,1,2.0,3.0,4,0.1,Espa\xf1a,true\n").encode("latin-1"))
    with pytest.raises(DataError, match="invalid utf-8 sequence; save the file as UTF-8") as info:
        score_file(card, csv, tmp_path / "out.parquet")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out.parquet").exists()


def test_a_header_only_csv_leaves_no_output(card, tmp_path):
    csv = tmp_path / "empty.csv"
    csv.write_text(",".join([fx.ID, *fx.RAW_COLUMNS]) + "\n")
    with pytest.raises(DataError, match="no rows to score"):
        score_file(card, csv, tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.csv"]


def test_tsv_is_read_with_tabs_like_load_table(card, table, tmp_path):
    tsv = tmp_path / "batch.tsv"
    table.write_csv(tsv, separator="\t")
    out = tmp_path / "scores.parquet"
    assert score_file(card, tsv, out) == table.height
    expected = score_frame(card, table)
    assert pl.read_parquet(out).get_column("purchase_probability").to_list() == pytest.approx(
        expected.get_column("purchase_probability").to_list(), abs=1e-12)
