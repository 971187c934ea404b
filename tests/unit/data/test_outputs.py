"""Every command checks where it will write before doing any work (toolkit.data.outputs).

Tests run as root, where permission bits do not stop a write, so an unwritable folder is
simulated by patching ``os.access`` (what the check asks) or by a parent that is a regular
file (which fails for every user).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli_run import run_cli
from toolkit.errors import SegkitError
from toolkit.data.generate import write_sample
from toolkit.data.outputs import check_outputs, same_file

RFM = Path(__file__).resolve().parents[3] / "rulesets" / "rfm_classic.yaml"




@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    data, _ = write_sample(400, 3, tmp_path_factory.mktemp("out") / "customers.parquet")
    return data


@pytest.fixture
def unwritable(monkeypatch):
    """Make ``os.access`` deny writing in the folders passed to the returned function."""
    denied: set[str] = set()
    real = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and os.path.realpath(path) in denied:
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    return lambda folder: denied.add(os.path.realpath(folder))


# -- the check itself ---------------------------------------------------------------------
def test_same_file_through_dot_symlink_and_hard_link(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("v.csv").write_text("a\n1\n")
    Path("link.csv").symlink_to("v.csv")
    os.link("v.csv", "hard.csv")
    for other in ("v.csv", "./v.csv", "sub/../v.csv", str(tmp_path / "v.csv"), "link.csv", "hard.csv"):
        assert same_file("v.csv", other), other
    assert not same_file("v.csv", "w.csv")


def test_each_problem_is_one_line_and_nothing_is_created(tmp_path, unwritable):
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    cases = [
        (dict(inputs=[tmp_path / "file"], outputs=[tmp_path / "file"]), "is the input file"),
        (dict(folders=[tmp_path / "file"]), "is a file, not a folder"),
        (dict(outputs=[tmp_path / "folder"]), "is a directory"),
        (dict(outputs=[str(tmp_path / "new") + "/"]), "is a directory"),
        (dict(outputs=[tmp_path / "file" / "x.csv"]), "is a file, not a folder"),
        (dict(folders=[tmp_path / "file" / "run"]), "is a file, not a folder"),
    ]
    for kwargs, message in cases:
        with pytest.raises(SegkitError, match=message) as info:
            check_outputs(**kwargs)
        assert "\n" not in str(info.value)
    unwritable(tmp_path / "folder")
    with pytest.raises(SegkitError, match="no permission to write in the folder"):
        check_outputs(outputs=[tmp_path / "folder" / "deep" / "x.parquet"])
    with pytest.raises(SegkitError, match="no permission"):
        check_outputs(folders=[tmp_path / "folder" / "run"])
    check_outputs(inputs=[tmp_path / "file", None], outputs=[tmp_path / "a" / "b" / "x.csv", None],
                  folders=[tmp_path / "run"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]


# -- the Python API refuses before the work -----------------------------------------------
def test_train_file_checks_the_run_folder_before_fitting(sample, tmp_path, monkeypatch, unwritable):
    import toolkit.model.train as T

    def never(*_args, **_kwargs):
        raise AssertionError("fitted before the output was checked")

    monkeypatch.setattr(T, "train", never)
    config = T.TrainConfig(target="purchased_next_30d", id_column="customer_id")
    (tmp_path / "taken").write_text("x")
    with pytest.raises(SegkitError, match="is a file, not a folder"):
        T.train_file(sample, config, tmp_path / "taken")
    unwritable(tmp_path)
    with pytest.raises(SegkitError, match="no permission"):
        T.train_file(sample, config, tmp_path / "run")


def test_train_file_refuses_data_that_is_one_of_the_run_files(tmp_path, monkeypatch):
    import toolkit.model.train as T

    monkeypatch.setattr(T, "train", lambda *a, **k: pytest.fail("fitted"))
    data, _ = write_sample(50, 1, tmp_path / "split.parquet")
    with pytest.raises(SegkitError, match="is the input file"):
        T.train_file(data, T.TrainConfig(target="purchased_next_30d", id_column="customer_id"), tmp_path)


def test_segmentation_checks_the_folder_before_reading(tmp_path):
    from toolkit.segments.pipeline import run_segmentation

    (tmp_path / "taken").write_text("x")
    with pytest.raises(SegkitError, match="is a file, not a folder"):
        run_segmentation(tmp_path / "not-read.parquet", tmp_path / "taken")


def test_generate_checks_before_generating(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SegkitError, match="is a file, not a folder"):
        write_sample(10, 1, tmp_path / "file" / "customers.parquet")


# -- the commands -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_rules_apply_refuses_to_overwrite_its_data(sample, tmp_path, fmt, capsys):
    import polars as pl

    data = tmp_path / f"v.{fmt}"
    frame = pl.read_parquet(sample)
    frame.write_parquet(data) if fmt == "parquet" else frame.write_csv(data)
    before = data.read_bytes()
    assert run_cli(["rules", "apply", str(RFM), "--data", str(data), "--out", str(data)]) == 2
    assert data.read_bytes() == before
    assert "is the input file" in capsys.readouterr().err
    assert run_cli(["rules", "apply", str(RFM), "--data", str(data), "--out", str(tmp_path / "s.csv")]) == 0


def test_other_commands_refuse_before_work(sample, tmp_path, unwritable, capsys):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_bytes(RFM.read_bytes())
    before = ruleset.read_bytes()
    (tmp_path / "taken").write_text("x")
    cases = [
        ["rules", "export", str(ruleset), "--out", str(ruleset)],
        ["rules", "apply", str(ruleset), "--data", str(sample), "--out", str(ruleset)],
        ["score", "--run", str(tmp_path / "run"), "--data", str(sample), "--out", str(sample)],
        ["monitor", "--run", str(tmp_path / "run"), "--data", str(sample), "--json", str(sample)],
        ["train", "--data", str(sample), "--out", str(tmp_path / "taken")],
        ["segment", "--data", str(sample), "--out", str(tmp_path / "taken")],
        ["demo", "--out", str(tmp_path / "taken"), "--rows", "100"],
        ["generate", "--rows", "10", "--out", str(tmp_path / "taken" / "c.parquet")],
    ]
    for args in cases:
        assert run_cli(args) == 2, args
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (args, err)
    assert ruleset.read_bytes() == before
    unwritable(tmp_path / "locked")
    (tmp_path / "locked").mkdir()
    assert run_cli(["report", "--run", str(tmp_path / "locked")]) == 2
    assert "no permission" in capsys.readouterr().err
