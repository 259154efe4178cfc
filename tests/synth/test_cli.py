"""`aco synth` command: help, bad arguments, a small run."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from aco_pipeline.cli import app

runner = CliRunner()


def test_help_lists_every_option() -> None:
    r = runner.invoke(app, ["synth", "--help"])
    assert r.exit_code == 0
    for opt in ("--beneficiaries", "--start", "--months", "--seed", "--out", "--aco-id"):
        assert opt in r.output


def test_bad_start_fails_clearly(tmp_path: Path) -> None:
    r = runner.invoke(app, ["synth", "-n", "10", "--start", "2024-13", "--out",
                            str(tmp_path / "x")])
    assert r.exit_code != 0
    assert "YYYY-MM" in r.output
    assert not (tmp_path / "x").exists()


def test_bad_aco_id_and_nonempty_out(tmp_path: Path) -> None:
    r = runner.invoke(app, ["synth", "-n", "10", "--start", "2024-01", "--aco-id", "X1",
                            "--out", str(tmp_path / "y")])
    assert r.exit_code != 0 and "A9999" in r.output
    (tmp_path / "z").mkdir()
    (tmp_path / "z" / "keep.txt").write_text("x")
    r = runner.invoke(app, ["synth", "-n", "10", "--start", "2024-01", "--out",
                            str(tmp_path / "z")])
    assert r.exit_code != 0 and "not empty" in r.output


def test_small_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    r = runner.invoke(app, ["synth", "-n", "50", "--start", "2024-03", "--months", "2",
                            "--seed", "1", "--out", str(out), "--aco-id", "A1234"])
    assert r.exit_code == 0, r.output
    assert len([p for p in (out / "deliveries").iterdir() if ".ZCY24." in p.name]) == 2
    assert (out / "ground_truth" / "beneficiary_month.parquet").exists()
