"""End to end: run_segmentation on the generated sample, its files, errors and the CLI."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import toolkit.cli
from toolkit.segments import clustering as C
from toolkit.cli import app, main
from toolkit.errors import DataError, SegkitError
from toolkit.data.generate import generate
from toolkit.ruleset import Ruleset
from toolkit.segments.pipeline import SegmentConfig, held_out_split, run_segmentation

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


class _FakeCard:
    def predict_proba(self, frame):
        return np.where(frame["orders_365d"].to_numpy() > 3, 0.8, 0.2)


def test_mean_probability_when_a_scorecard_is_passed(sample, tmp_path, monkeypatch):
    import toolkit.model.scorecard

    monkeypatch.setattr(toolkit.model.scorecard.Scorecard, "load", classmethod(lambda cls, path: _FakeCard()))
    (tmp_path / "scorecard.json").write_text("{}")
    customers, _ = sample
    r = run_segmentation(customers, tmp_path, k_min=5, k_max=5, bootstraps=2, candidate_bootstraps=1,
                         leaves=10, scorecard=tmp_path / "scorecard.json")
    assert r.summary["probabilities"].endswith("scorecard.json")
    probs = [p["mean_probability"] for p in r.summary["profiles"]]
    assert all(0.2 <= p <= 0.8 for p in probs) and max(probs) > min(probs)
    # a Scorecard object works too, and gives the same figures
    same = run_segmentation(customers, tmp_path / "obj", k_min=5, k_max=5, bootstraps=2,
                            candidate_bootstraps=1, leaves=10, scorecard=_FakeCard())
    assert [p["mean_probability"] for p in same.summary["profiles"]] == probs


def test_the_folder_scorecard_is_never_read_implicitly(sample, tmp_path, monkeypatch):
    """The scorecard is an explicit input: one lying in out_dir is not silently used."""
    import toolkit.model.scorecard

    monkeypatch.setattr(toolkit.model.scorecard.Scorecard, "load", classmethod(lambda cls, path: _FakeCard()))
    (tmp_path / "scorecard.json").write_text("{}")
    customers, _ = sample
    r = run_segmentation(customers, tmp_path, k_min=5, k_max=5, bootstraps=2, candidate_bootstraps=1,
                         leaves=10)
    assert r.summary["probabilities"] is None
    assert all(p.get("mean_probability") is None for p in r.summary["profiles"])


def test_cli_passes_the_run_scorecard(sample, tmp_path, monkeypatch):
    """`segkit segment --out RUN` keeps quoting the probabilities of RUN/scorecard.json."""
    import toolkit.model.scorecard

    monkeypatch.setattr(toolkit.model.scorecard.Scorecard, "load", classmethod(lambda cls, path: _FakeCard()))
    customers, _ = sample
    data = tmp_path / "customers.parquet"
    customers.write_parquet(data)
    run = tmp_path / "run"
    run.mkdir()
    (run / "scorecard.json").write_text("{}")
    res = CliRunner().invoke(app, ["segment", "--data", str(data), "--out", str(run), "--k-min", "5",
                                   "--k-max", "5", "--bootstraps", "2", "--candidate-bootstraps", "1",
                                   "--leaves", "10"], catch_exceptions=False, terminal_width=200)
    assert res.exit_code == 0, res.output
    s = json.loads((run / "segments.json").read_text())
    assert s["probabilities"] == str(run / "scorecard.json")
    assert all(0.2 <= p["mean_probability"] <= 0.8 for p in s["profiles"])


def test_settings_are_the_config_as_run(run):
    """segments.json's settings hold every SegmentConfig field (asdict) with the values the
    run resolved, and rebuild the config; the held-out rows are held_out_split's."""
    result, _ = run
    settings = result.summary["settings"]
    names = [f.name for f in SegmentConfig.__dataclass_fields__.values()]
    config = SegmentConfig.of(**{k: settings[k] for k in names})
    assert config.features == tuple(result.space.features) and config.seed == 3
    assert config.candidate_bootstraps == 4 and config.k_min == 4 and config.k_max == 7
    assert settings["rows"] == 5000 and settings["data_fingerprint"]
    held, train = held_out_split(settings["rows"], settings["seed"], settings["held_out"])
    assert len(held) == result.summary["held_out_rows"] == 1000
    assert len(np.intersect1d(held, train)) == 0 and len(held) + len(train) == 5000


@pytest.mark.parametrize("bad, message", [
    (dict(k_min=5, k_max=3), "k-min"), (dict(k_max=21), "20 or fewer"), (dict(bootstraps=0), "bootstraps"),
    (dict(held_out=0.9), "held-out share"), (dict(max_conditions=0), "max conditions"),
    (dict(fit_rows=0), "fit_rows"), (dict(n_init=1.5), "n_init"), (dict(seed=-1), "seed"),
    (dict(leaves=[]), "leaves"), (dict(leaves=0), "leaves"), (dict(clip=0), "clip"),
    (dict(workers=-2), "workers"), (dict(features="orders_90d"), "list of column names"),
    (dict(kmax=6), "unknown segmentation setting kmax"),
])
def test_bad_settings_are_one_line_before_any_work(bad, message, tmp_path):
    with pytest.raises(SegkitError, match=message) as info:
        SegmentConfig.of(**bad)
    assert "\n" not in str(info.value)
    with pytest.raises(SegkitError, match=message):  # before the (absent) table is read
        run_segmentation(tmp_path / "absent.parquet", tmp_path / "out", **bad)
    assert not (tmp_path / "out").exists()


def test_config_and_keywords_combine(sample, tmp_path):
    customers, _ = sample
    base = SegmentConfig(k_min=5, k_max=5, bootstraps=2, candidate_bootstraps=1, leaves=10, seed=9)
    a = run_segmentation(customers, tmp_path / "a", base)
    b = run_segmentation(customers, tmp_path / "b", k_min=5, k_max=5, bootstraps=2,
                         candidate_bootstraps=1, leaves=10, seed=9)
    assert a.summary["segments"] == b.summary["segments"]
    assert a.summary["settings"] == {**b.summary["settings"]}
    c = run_segmentation(customers, tmp_path / "c", base, seed=10)
    assert c.summary["settings"]["seed"] == 10 and base.seed == 9


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
    from toolkit.segments.campaigns import CAMPAIGNS, suggest_campaign

    result, out = run
    customers, _ = sample
    rs = Ruleset.load(out / "segments.yaml")
    base = float(customers["purchased_next_30d"].mean())
    profiles = {p["id"]: p for p in result.summary["profiles"]}
    for seg in [*rs.segments, rs.default]:
        assert seg.campaign in CAMPAIGNS.values()
        assert seg.campaign == suggest_campaign(profiles[seg.id], base)[0]
