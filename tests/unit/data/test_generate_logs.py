"""The raw-logs generator: the file contract, consistency, an honest oracle, movement, the CLI."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from sample_data import logs as sim
from toolkit import schema
from toolkit.data.generate_logs import FILES, INFO_FILE, generate_logs, output_paths, write_logs
from toolkit.errors import SegkitError

N = 4000
SEED = 7


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("logs") / "logs"
    info = write_logs(out, customers=N, seed=SEED)
    return out, info


@pytest.fixture(scope="module")
def tables(folder):
    out, _ = folder
    return {name: pl.read_parquet(out / f"{name}.parquet") for name in FILES}


def day_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def labels(orders: pl.DataFrame, as_of: dt.date, horizon: int = 30) -> pl.DataFrame:
    """customer_id -> 1 for an order dated in (as_of, as_of + horizon]."""
    lo = day_after(as_of)
    hi = lo + dt.timedelta(days=horizon)
    return (orders.filter((pl.col("ordered_at") >= lo) & (pl.col("ordered_at") < hi))
            .select(schema.ID_COLUMN).unique().with_columns(y=pl.lit(1, pl.Int8)))


def with_labels(tables, as_of: dt.date) -> pl.DataFrame:
    truth = tables["truth"].filter(pl.col("as_of") == as_of)
    return (truth.join(labels(tables["orders"], as_of), on=schema.ID_COLUMN, how="left")
            .with_columns(pl.col("y").fill_null(0)))


# ---- contract ------------------------------------------------------------------------------

def test_files_and_columns_follow_the_contract(folder, tables):
    out, info = folder
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{n}.parquet" for n in FILES] + [INFO_FILE])
    dtm = pl.Datetime("us")
    assert dict(tables["orders"].schema) == {
        "order_id": pl.String, "customer_id": pl.String, "ordered_at": dtm, "amount": pl.Float64,
        "items": pl.Int32, "category": pl.String, "discount": pl.Boolean, "refunded": pl.Boolean}
    counts = ("page_views", "product_views", "searches", "cart_adds", "checkout_starts",
              "wishlist_adds", "reviews_written", "support_tickets")
    assert dict(tables["sessions"].schema) == {
        "customer_id": pl.String, "started_at": dtm, "duration_s": pl.Float64,
        **{c: pl.Int32 for c in counts}, "device": pl.String, "is_app": pl.Boolean}
    assert dict(tables["marketing"].schema) == {"customer_id": pl.String, "event_at": dtm,
                                                "channel": pl.String, "event": pl.String}
    assert dict(tables["customers"].schema) == {
        "customer_id": pl.String, "signup_at": dtm, "country": pl.String, "device_type": pl.String,
        "acquisition_channel": pl.String, "loyalty_tier": pl.String,
        "newsletter_subscriber": pl.Boolean, "age": pl.Int16, "email_consent": pl.Boolean,
        "push_enabled": pl.Boolean, "sms_opt_in": pl.Boolean, "offers_opt_in": pl.Boolean}
    assert dict(tables["truth"].schema) == {"customer_id": pl.String, "as_of": pl.Date,
                                            "true_probability": pl.Float64,
                                            "latent_type": pl.String, "state": pl.String}
    assert json.loads((out / INFO_FILE).read_text()) == info
    assert info["generator"] == "segkit" and info["seed"] == SEED and info["customers"] == N
    assert info["horizon_days"] == 30
    for name in FILES:
        assert info["files"][name] == {"file": f"{name}.parquet", "rows": tables[name].height}


def test_dates_cover_15_months_and_every_as_of_has_a_year_behind_and_a_label_window(folder, tables):
    _, info = folder
    start, end = dt.date.fromisoformat(info["start"]), dt.date.fromisoformat(info["end"])
    assert (end - start).days >= 15 * 30
    dates = [dt.date.fromisoformat(d) for d in info["as_of_dates"]]
    assert len(dates) >= 6 and dates == sorted(dates)
    assert info["default_as_of"] == info["as_of_dates"][-1]
    for day in dates:
        assert day - dt.timedelta(days=365) >= start - dt.timedelta(days=1)   # full 365-day history
        assert day + dt.timedelta(days=30) <= end                             # label window inside
        assert (day + dt.timedelta(days=1)).day == 1                          # a month end
    assert set(tables["truth"].get_column("as_of").unique().to_list()) == set(dates)
    lo, hi = dt.datetime.combine(start, dt.time()), day_after(end)
    for name, col in (("orders", "ordered_at"), ("sessions", "started_at"), ("marketing", "event_at")):
        times = tables[name].get_column(col)
        assert times.min() >= lo and times.max() < hi, name
        assert (times.dt.year() == 2024).any() and (times.dt.year() == 2026).any(), name


def test_categories_and_values(tables):
    c = tables["customers"]
    for name, values in (("country", schema.COUNTRIES), ("device_type", schema.DEVICES),
                         ("acquisition_channel", schema.CHANNELS), ("loyalty_tier", schema.LOYALTY_TIERS)):
        assert set(c.get_column(name).drop_nulls().unique().to_list()) == set(values), name
    assert c.get_column(schema.ID_COLUMN).n_unique() == N
    assert c.get_column("customer_id")[0] == "C0000001"
    assert c.get_column("signup_at").null_count() == 0
    o = tables["orders"]
    assert o.get_column("order_id").n_unique() == o.height
    assert o.get_column("amount").min() > 0 and o.get_column("items").min() >= 1
    assert o.get_column("category").n_unique() == len(sim.CATEGORIES)
    s = tables["sessions"]
    for col in ("page_views", "product_views", "searches", "cart_adds", "checkout_starts",
                "wishlist_adds", "reviews_written", "support_tickets"):
        assert s.get_column(col).min() >= 0, col
    assert (s.get_column("cart_adds") <= s.get_column("product_views")).all()
    assert (s.get_column("product_views") <= s.get_column("page_views")).all()
    assert set(s.get_column("device").unique().to_list()) == set(schema.DEVICES)
    m = tables["marketing"]
    assert set(m.get_column("channel").unique().to_list()) == {"email", "push", "sms"}
    assert set(m.get_column("event").unique().to_list()) == {"sent", "open", "click", "redeem"}
    assert m.filter((pl.col("channel") != "email") & (pl.col("event") == "open")).height == 0


def test_events_respect_signup_consents_and_orders_have_a_visit(tables):
    signup = tables["customers"].select(schema.ID_COLUMN, "signup_at", "email_consent", "push_enabled",
                                        "sms_opt_in", "offers_opt_in")
    for name, col in (("orders", "ordered_at"), ("sessions", "started_at"), ("marketing", "event_at")):
        joined = tables[name].join(signup, on=schema.ID_COLUMN, how="left")
        assert joined.get_column("signup_at").null_count() == 0, name      # every id is a customer
        assert (joined.get_column(col) >= joined.get_column("signup_at")).all(), name
    m = tables["marketing"].join(signup, on=schema.ID_COLUMN)
    assert m.filter((pl.col("event") == "sent") & (pl.col("channel") == "email") & ~pl.col("email_consent")).height == 0
    assert m.filter((pl.col("channel") == "push") & (pl.col("event") != "redeem") & ~pl.col("push_enabled")).height == 0
    assert m.filter((pl.col("channel") == "sms") & (pl.col("event") != "redeem") & ~pl.col("sms_opt_in")).height == 0
    assert m.filter((pl.col("event") == "redeem") & ~pl.col("offers_opt_in")).height == 0
    # an email click implies an open: per customer, never more clicks than opens
    email = (m.filter(pl.col("channel") == "email").group_by(schema.ID_COLUMN)
             .agg(opens=(pl.col("event") == "open").sum(), clicks=(pl.col("event") == "click").sum()))
    assert (email.get_column("clicks") <= email.get_column("opens")).all()
    # buying needs a visit: a session starts at or before every order, within the hour
    o = tables["orders"].select(schema.ID_COLUMN, "ordered_at").sort("ordered_at")
    s = tables["sessions"].select(schema.ID_COLUMN, "started_at").sort("started_at")
    visit = o.join_asof(s, left_on="ordered_at", right_on="started_at", by=schema.ID_COLUMN,
                        strategy="backward", check_sortedness=False)
    gap = (visit.get_column("ordered_at") - visit.get_column("started_at")).dt.total_seconds()
    assert gap.null_count() == 0 and gap.max() <= 3600


def test_same_seed_same_logs_other_seed_other_logs():
    a, b, c = generate_logs(600, 3), generate_logs(600, 3), generate_logs(600, 4)
    for name in FILES:
        assert getattr(a, name).equals(getattr(b, name)), name
    assert a.info == b.info
    assert not a.orders.equals(c.orders)
    assert not a.truth.get_column("true_probability").equals(c.truth.get_column("true_probability"))


@pytest.mark.parametrize("customers, seed", [(0, 1), (-5, 1), (10, -1), (2.5, 1), ("10", 1), (True, 1)])
def test_bad_customers_or_seed_is_a_user_error(tmp_path, customers, seed):
    with pytest.raises(SegkitError, match="must be a whole number"):
        write_logs(tmp_path / "x", customers=customers, seed=seed)
    assert not (tmp_path / "x").exists()


def test_output_folder_that_is_a_file_fails_before_any_work(tmp_path):
    target = tmp_path / "taken"
    target.write_text("mine")
    with pytest.raises(SegkitError, match="is a file, not a folder"):
        write_logs(target, customers=10, seed=1)
    assert target.read_text() == "mine"
    assert set(output_paths(tmp_path / "d")) == set(FILES) | {"info"}


@pytest.mark.parametrize("customers", [1, 5])
def test_tiny_worlds_work(tmp_path, customers):
    info = write_logs(tmp_path / "tiny", customers=customers, seed=2)
    assert info["files"]["customers"]["rows"] == customers


# ---- the oracle ----------------------------------------------------------------------------

def test_truth_has_every_customer_known_at_each_as_of(tables):
    signup = tables["customers"].select(schema.ID_COLUMN, "signup_at")
    truth = tables["truth"]
    p = truth.get_column("true_probability")
    assert p.min() > 0 and p.max() < 1
    for as_of in truth.get_column("as_of").unique().to_list():
        known = signup.filter(pl.col("signup_at") < day_after(as_of)).get_column(schema.ID_COLUMN)
        got = truth.filter(pl.col("as_of") == as_of).get_column(schema.ID_COLUMN)
        assert got.n_unique() == got.len() and set(got.to_list()) == set(known.to_list()), as_of


def test_mean_probability_at_the_default_as_of_is_28_percent(folder, tables):
    _, info = folder
    default = dt.date.fromisoformat(info["default_as_of"])
    p = tables["truth"].filter(pl.col("as_of") == default).get_column("true_probability")
    assert p.mean() == pytest.approx(sim.TARGET_RATE, abs=0.002)   # the rate factor is solved


def test_oracle_is_honest_labels_are_drawn_from_it(tables):
    """Realised labels agree with true_probability within sampling error: overall per as-of
    (including the February window that reaches into March) and per probability decile."""
    frames = [with_labels(tables, day) for day in tables["truth"].get_column("as_of").unique().sort()]
    for f in frames:
        y, p = f.get_column("y").to_numpy(), f.get_column("true_probability").to_numpy()
        z = (y.sum() - p.sum()) / np.sqrt((p * (1 - p)).sum())
        assert abs(z) < 4.0, (f.get_column("as_of")[0], y.mean(), p.mean())
    pooled = pl.concat(frames)
    pooled = pooled.with_columns(bin=(pl.col("true_probability").rank("ordinal") * 10 // (pooled.height + 1)))
    by_bin = pooled.group_by("bin").agg(y=pl.col("y").sum(), p=pl.col("true_probability").sum(),
                                        v=(pl.col("true_probability") * (1 - pl.col("true_probability"))).sum())
    z = (by_bin.get_column("y") - by_bin.get_column("p")) / by_bin.get_column("v").sqrt()
    assert z.abs().max() < 4.0, by_bin


def test_february_window_reaches_into_march():
    starts = sim.month_starts()
    jan = starts.index(dt.date(2026, 2, 1)) - 1           # as-of 2026-01-31
    assert sim.window_parts(jan) == pytest.approx((1.0, 2 / 31))
    may = starts.index(dt.date(2026, 6, 1)) - 1
    assert sim.window_parts(may) == (1.0, 0.0)


def test_oracle_ranking_has_the_documented_auc():
    world = generate_logs(8000, 11)
    as_of = dt.date.fromisoformat(world.info["default_as_of"])
    f = with_labels({"truth": world.truth, "orders": world.orders}, as_of)
    auc = roc_auc_score(f.get_column("y").to_numpy(), f.get_column("true_probability").to_numpy())
    assert 0.85 <= auc <= 0.93
    assert f.get_column("y").mean() == pytest.approx(0.28, abs=0.02)


def test_latent_types_differ_and_customers_move_between_them(folder, tables):
    _, info = folder
    truth = tables["truth"]
    default = dt.date.fromisoformat(info["default_as_of"])
    now = truth.filter(pl.col("as_of") == default)
    assert set(now.get_column("latent_type").unique().to_list()) == set(sim.LATENT_TYPES)
    means = dict(now.group_by("latent_type").agg(pl.col("true_probability").mean()).iter_rows())
    assert means["champion"] > means["loyal"] > means["window_shopper"] > means["lapsed"]
    # movement: a year apart, many customers changed type; lapsed customers come back
    first = truth.filter(pl.col("as_of") == dt.date.fromisoformat(info["as_of_dates"][0]))
    pair = first.join(now, on=schema.ID_COLUMN, suffix="_later")
    moved = (pair.get_column("latent_type") != pair.get_column("latent_type_later")).mean()
    assert 0.1 < moved < 0.7
    back = pair.filter((pl.col("state") == "lapsed") & (pl.col("state_later") != "lapsed")).height
    assert back > 0.05 * pair.filter(pl.col("state") == "lapsed").height


def test_snapshot_of_the_logs_has_the_briefs_shape(folder, tables):
    from toolkit.snapshot import build_snapshot, load_sources

    out, info = folder
    default = dt.date.fromisoformat(info["default_as_of"])
    snap = build_snapshot(load_sources(out), default)
    frame = snap.frame
    for group, count in (("behavioral", 12), ("transactional", 10), ("marketing", 6), ("profile", 7)):
        assert all(c in frame.columns for c in schema.columns_in(group)), group
        assert len(schema.columns_in(group)) == count
    assert snap.label == schema.TARGET_COLUMN
    assert frame.height == tables["truth"].filter(pl.col("as_of") == default).height
    assert frame.get_column(snap.label).mean() == pytest.approx(0.28, abs=0.025)
    share = {c: frame.get_column(c).null_count() / frame.height for c in schema.FEATURES}
    for c in schema.columns_in("marketing"):
        assert 0.05 <= share[c] <= 0.11, (c, share[c])
    for c in ("country", "device_type", "acquisition_channel", "loyalty_tier", "newsletter_subscriber", "age"):
        assert 0.015 <= share[c] <= 0.05, (c, share[c])
    for c in schema.columns_in("behavioral") + schema.columns_in("transactional"):
        assert share[c] == 0, c
    # the snapshot's label is the one the oracle was computed for
    mine = with_labels(tables, default).select(schema.ID_COLUMN, "y")
    both = frame.select(schema.ID_COLUMN, snap.label).join(mine, on=schema.ID_COLUMN)
    assert both.height == frame.height
    assert (both.get_column(snap.label).cast(pl.Int8) == both.get_column("y")).all()


# ---- CLI -----------------------------------------------------------------------------------

def test_cli_generate_logs(tmp_path):
    from typer.testing import CliRunner

    from toolkit.cli import _register, app

    _register()
    out = tmp_path / "logs"
    result = CliRunner().invoke(app, ["generate", "--logs", str(out), "--rows", "500", "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert "orders.parquet" in result.output and "default 2026-05-31" in result.output
    world = generate_logs(500, 9)
    assert pl.read_parquet(out / "orders.parquet").equals(world.orders)
    assert pl.read_parquet(out / "truth.parquet").equals(world.truth)
    both = CliRunner().invoke(app, ["generate", "--logs", str(out), "--out", str(tmp_path / "c.parquet")])
    assert both.exit_code != 0 and isinstance(both.exception, SegkitError)  # `segkit` prints it, exit 2
    assert "give one of them" in str(both.exception)
