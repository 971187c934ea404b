"""`segkit tui`: registered, options passed to the app, bad --data refused before it starts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from toolkit.cli import _register, app

runner = CliRunner()


def test_tui_command_opens_the_app_with_its_options(monkeypatch, tmp_path):
    _register()
    seen = {}

    def fake_run(self):
        seen["run"], seen["data"] = self.run_dir, self.data

    monkeypatch.setattr("tui.app.SegkitApp.run", fake_run)
    data = tmp_path / "customers.parquet"
    data.write_bytes(b"")
    result = runner.invoke(app, ["tui", "--run", str(tmp_path / "r"), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert seen == {"run": tmp_path / "r", "data": data}
    result = runner.invoke(app, ["tui"])
    assert seen["run"] == Path("runs/demo") and seen["data"] is None


def test_tui_command_refuses_a_missing_data_file(tmp_path):
    _register()
    result = runner.invoke(app, ["tui", "--data", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0
    assert "no such file" in str(result.exception) + result.output
    assert "tui" in runner.invoke(app, ["--help"]).output
