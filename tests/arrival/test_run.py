"""`aco run`: one locked, unattended pull + ingest + build with a one-line summary."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.arrival.run import EXIT_BUSY, run
from aco_pipeline.arrival.state import try_lock
from aco_pipeline.config import Workspace

from .conftest import copy_all, write_arrival

CLI = ("import aco_pipeline.cli.run; from aco_pipeline.cli import main; main()")


@pytest.fixture
def file_ws(ws: Workspace, deliveries: Path, tmp_path: Path) -> Workspace:
    drop = tmp_path / "cms-outbound"
    copy_all(deliveries, drop)
    write_arrival(ws, {"sources": [drop.as_uri()], "stability_seconds": 0.05})
    return ws


def test_summary_line_and_exit_codes(file_ws: Workspace) -> None:
    s = run(file_ws, build=False)
    assert s.exit_code == 0
    line = s.line()
    assert line.startswith("aco run: ok pulled=5 published=5 unchanged=0 incomplete=0 ")
    assert "build=off" in line and "\n" not in line
    again = run(file_ws, build=False)
    assert again.line().startswith("aco run: ok pulled=0 published=0 ")


def test_failed_build_leaves_the_previous_warehouse(file_ws: Workspace) -> None:
    file_ws.warehouse_path.write_bytes(b"previous warehouse")
    calls: list[str] = []

    def failing(ws: Workspace) -> tuple[bool, str]:
        calls.append("fail")
        return False, "warehouse build failed (test); the previous warehouse is still published"

    s = run(file_ws, build_fn=failing)
    assert s.status == "failed" and s.exit_code == 1 and "build=failed" in s.line()
    assert file_ws.warehouse_path.read_bytes() == b"previous warehouse"

    def crashing(ws: Workspace) -> tuple[bool, str]:
        raise OSError(28, "No space left on device")

    s2 = run(file_ws, build_fn=crashing)  # nothing new, but the build is still owed
    assert s2.exit_code == 1 and "build=failed" in s2.line()
    s3 = run(file_ws, build_fn=lambda ws: (True, "built"))
    assert s3.exit_code == 0 and "build=ok" in s3.line()
    s4 = run(file_ws, build_fn=lambda ws: (True, "built"))
    assert "build=skipped" in s4.line()  # nothing new since the last good build


def test_unreachable_source_fails_the_run_but_others_are_ingested(
        file_ws: Workspace, tmp_path: Path) -> None:
    import tomllib

    sources = tomllib.loads(file_ws.config_path.read_text())["arrival"]["sources"]
    write_arrival(file_ws, {"sources": [(tmp_path / "missing").as_uri(), *sources],
                            "stability_seconds": 0.05})
    s = run(file_ws, build=False)
    assert s.exit_code == 1
    assert s.line().startswith("aco run: failed pulled=5 published=5 ")
    assert "errors=1" in s.line()


def test_second_run_exits_busy_while_the_lock_is_held(file_ws: Workspace) -> None:
    import aco_pipeline.cli.run  # noqa: F401  (registers the command)
    from aco_pipeline.cli.app import app

    with try_lock(file_ws, "run", 0) as held:
        assert held
        t0 = time.monotonic()
        res = CliRunner().invoke(app, ["run", "-w", str(file_ws.root), "--no-build",
                                       "--wait", "0.3"])
        waited = time.monotonic() - t0
    assert res.exit_code == EXIT_BUSY
    assert res.stdout.strip().startswith("aco run: busy")
    assert waited >= 0.3
    res2 = CliRunner().invoke(app, ["run", "-w", str(file_ws.root), "--no-build"])
    assert res2.exit_code == 0
    assert res2.stdout.strip().startswith("aco run: ok pulled=5 published=5")


def test_concurrent_runs_in_separate_processes(file_ws: Workspace) -> None:
    """One run holds the lock; a second gives up at once, a third waits and finds nothing."""
    args = [sys.executable, "-c", CLI, "run", "-w", str(file_ws.root), "--no-build",
            "--stability", "1.5"]
    env = {**os.environ, "COLUMNS": "200"}
    first = subprocess.Popen([*args, "--wait", "0"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 20
        while True:  # until the first run holds the lock (probing never keeps it)
            with try_lock(file_ws, "run", 0) as free:
                pass
            if not free:
                break
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        busy = subprocess.run([*args, "--wait", "0"], capture_output=True, text=True,
                              env=env, timeout=60)
        waiter = subprocess.Popen([*args, "--wait", "30"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
        out1, err1 = first.communicate(timeout=60)
        out3, err3 = waiter.communicate(timeout=60)
    finally:
        first.kill()
    assert busy.returncode == EXIT_BUSY, busy.stderr
    assert busy.stdout.startswith("aco run: busy")
    assert first.returncode == 0, err1
    assert out1.startswith("aco run: ok pulled=5 published=5")
    assert waiter.returncode == 0, err3
    assert out3.startswith("aco run: ok pulled=0 published=0")


def test_a_bug_in_the_build_is_not_turned_into_a_summary(file_ws: Workspace) -> None:
    def buggy(ws: Workspace) -> tuple[bool, str]:
        raise TypeError("unsupported operand")

    with pytest.raises(TypeError):
        run(file_ws, build_fn=buggy)


def test_pull_failures_are_summarised_and_bugs_surface(
        file_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import aco_pipeline.arrival.run as run_module

    def disk_gone(*args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(run_module, "pull", disk_gone)
    s = run(file_ws, build=False)
    assert s.exit_code == 1 and "errors=1" in s.line()
    assert any(m.startswith("pull failed: OSError") for m in s.messages)

    def bug(*args: object, **kwargs: object) -> None:
        raise KeyError("files")

    monkeypatch.setattr(run_module, "pull", bug)
    with pytest.raises(KeyError):
        run(file_ws, build=False)
