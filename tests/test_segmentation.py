"""End to end: run_segmentation on the generated sample, its files, errors and the CLI."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import toolkit.cli
from toolkit import clustering as C
from toolkit.cli import app, main
from toolkit.errors import DataError, SegkitError
from toolkit.generate import generate
from toolkit.ruleset import Ruleset
from toolkit.segmentation import run_segmentation

toolkit.cli._register()


@pytest.fixture(scope="module")
def sample():
    return generate(5000, 7)


@pytest.fixture(scope="module")
def run(sample, tmp_path_factory):
    customers, _ = sample
    out = tmp_path_factory.mktemp("seg") / "run"
    result = run_segmentation(customers, out, k_min=4, k_max=7, bootstraps=20,
                              candidate_bootstraps=4, seed=3)
    return result, out


def test_files_and_segments_json_layout(run):
    result, out = run
    assert {p.name for p in out.iterdir()} >= {"segments.yaml", "segments.json", "assignments.parquet"}
    s = json.loads((out / "segments.json").read_text())
    for key in ("k", "k_reason", "candidates", "stability", "fidelity", "fidelity_unrounded",
                "cost_ratio", "coverage", "default_share", "segments", "rules", "centroids",
                "transform", "profiles", "settings", "timings"):
        assert key in s, key
    assert [c["k"] for c in s["candidates"]] == [4, 5, 6, 7]
    assert sum(c["chosen"] for c in s["candidates"]) == 1
    chosen = next(c for c in s["candidates"] if c["chosen"])
    assert chosen["k"] == s["k"] and chosen["bootstraps"] == 20
    assert all({"silhouette", "stability", "inertia", "min_jaccard"} <= set(c) for c in s["candidates"])
    st = s["stability"]
    ids = [seg["id"] for seg in s["segments"]]
    assert set(st["cluster_jaccard"]) == set(ids) == set(st["rules_jaccard"])
    assert st["bootstraps"] == 20 and 0 < st["cluster_ari"] <= 1 and 0 < st["rules_ari"] <= 1
    assert {"features", "settings"} <= set(s["transform"])
    assert {"center", "scale", "impute", "log"} <= set(s["transform"]["features"][0])
    assert len(s["centroids"]) == s["k"] and "orders_90d" in s["centroids"][0]["human"]
    assert [p["id"] for p in s["profiles"]] == s["rules"]["order"]
    assert all(p["purchase_rate"] is not None for p in s["profiles"])
    assert s["ruleset_agreement"] == 1.0
    assert s["timings"]["total"] > 0


def test_quality_on_the_sample(run, sample):
    result, _ = run
    s = result.summary
    _, truth = sample
    assert s["fidelity"] >= 0.93 and s["cost_ratio"] <= 1.10
    assert s["rules"]["max_conditions"] <= 3
    assert min(s["stability"]["cluster_jaccard"].values()) >= 0.85
    assert s["stability"]["rules_ari"] >= 0.85
    # the clusters recover the generator's latent types
    lt = truth["latent_type"].to_numpy()
    _, t = np.unique(lt, return_inverse=True)
    cl = result.assignments["cluster"].to_numpy() - 1
    assert C.adjusted_rand(C.contingency(t, cl, t.max() + 1, cl.max() + 1)) > 0.75


def test_ruleset_file_reproduces_the_assignments(run, sample):
    result, out = run
    customers, _ = sample
    rs = Ruleset.load(out / "segments.yaml")
    assert rs.provenance.source == "distilled" and rs.provenance.fidelity == result.summary["fidelity"]
    applied = rs.apply(customers)
    a = pl.read_parquet(out / "assignments.parquet")
    assert a.columns == ["customer_id", "cluster", "segment"]
    assert (a["customer_id"] == customers["customer_id"]).all()
    assert (applied["segment"] == a["segment"]).all()
    assert rs.default.id == result.summary["rules"]["default"]
    names = [seg.name for seg in rs.segments] + [rs.default.name]
    assert len(set(names)) == len(names)


def test_same_seed_same_result(sample, tmp_path):
    customers, _ = sample
    kw = dict(k_min=5, k_max=6, bootstraps=3, candidate_bootstraps=2, seed=11, leaves=12)
    a = run_segmentation(customers, tmp_path / "a", **kw)
    b = run_segmentation(customers, tmp_path / "b", workers=1, **kw)
    assert a.summary["k"] == b.summary["k"]
    assert a.summary["segments"] == b.summary["segments"]
    assert a.assignments.equals(b.assignments)


def test_mean_probability_when_the_run_has_a_scorecard(sample, tmp_path, monkeypatch):
    import toolkit.scorecard

    class Fake:
        def predict_proba(self, frame):
            return np.where(frame["orders_365d"].to_numpy() > 3, 0.8, 0.2)

    monkeypatch.setattr(toolkit.scorecard.Scorecard, "load", classmethod(lambda cls, path: Fake()))
    (tmp_path / "scorecard.json").write_text("{}")
    customers, _ = sample
    r = run_segmentation(customers, tmp_path, k_min=5, k_max=5, bootstraps=2, candidate_bootstraps=1,
                         leaves=10)
    assert r.summary["probabilities"].endswith("scorecard.json")
    probs = [p["mean_probability"] for p in r.summary["profiles"]]
    assert all(0.2 <= p <= 0.8 for p in probs) and max(probs) > min(probs)


def test_user_errors(sample, tmp_path):
    customers, _ = sample
    with pytest.raises(DataError, match="too few rows"):
        run_segmentation(customers.head(200), tmp_path, k_max=8)
    with pytest.raises(DataError, match="id column"):
        run_segmentation(customers, tmp_path, id_column="client")
    with pytest.raises(DataError, match="nosuch"):
        run_segmentation(customers, tmp_path, features=["orders_90d", "nosuch"])
    with pytest.raises(SegkitError, match="k-min"):
        run_segmentation(customers, tmp_path, k_min=5, k_max=3)
    with pytest.raises(DataError, match="customer_id"):  # duplicated ids
        run_segmentation(pl.concat([customers, customers.head(3)]), tmp_path)
    flat = customers.with_columns(pl.lit(1).alias("orders_90d"),
                                  (pl.col("orders_365d") > 3).cast(pl.Int64).alias("orders_365d"))
    with pytest.raises(DataError, match="distinct"):
        run_segmentation(flat, tmp_path, features=["orders_90d", "orders_365d"], k_max=5)
    assert not (tmp_path / "segments.json").exists()


def test_cli_end_to_end(sample, tmp_path, capsys):
    customers, _ = sample
    data = tmp_path / "customers.csv"
    customers.write_csv(data)
    res = CliRunner().invoke(app, ["segment", "--data", str(data), "--id", "customer_id", "--out",
                                   str(tmp_path / "run"), "--k-min", "5", "--k-max", "6",
                                   "--bootstraps", "3", "--candidate-bootstraps", "2", "--seed", "1"],
                             catch_exceptions=False, terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "Jaccard" in res.output and "fidelity" in res.output and "everyone else" in res.output
    s = json.loads((tmp_path / "run" / "segments.json").read_text())
    assert s["settings"]["bootstraps"] == 3 and s["settings"]["k_min"] == 5
    for seg in s["segments"]:
        assert seg["id"] in res.output
    with pytest.raises(SystemExit) as info:
        main(["segment", "--data", str(data), "--out", str(tmp_path / "x"),
              "--features", "orders_90d,nosuch"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "nosuch" in err and "Traceback" not in err


def test_distilled_segments_carry_a_campaign_from_their_profile(run, sample):
    from toolkit.campaigns import CAMPAIGNS, suggest_campaign

    result, out = run
    customers, _ = sample
    rs = Ruleset.load(out / "segments.yaml")
    base = float(customers["purchased_next_30d"].mean())
    profiles = {p["id"]: p for p in result.summary["profiles"]}
    for seg in [*rs.segments, rs.default]:
        assert seg.campaign in CAMPAIGNS.values()
        assert seg.campaign == suggest_campaign(profiles[seg.id], base)[0]
