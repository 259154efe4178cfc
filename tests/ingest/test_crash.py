"""Kill `aco ingest` with SIGKILL at many points, rerun, and compare with a clean run.

No row may be lost or doubled, no half delivery may ever be visible, and the rerun must
converge on exactly the lake a clean run builds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.layouts import CLAIM_FILE_TYPES
from aco_pipeline.synth import generate

from .helpers import ACO, deliveries_in, lake_tables, new_workspace


def _run_cli(ws: Path, inbox: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ACO_WORKSPACE": str(ws)}
    return subprocess.Popen(
        [sys.executable, "-m", "aco_pipeline", "ingest", *map(str, deliveries_in(inbox))],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _assert_no_half_delivery(ws_root: Path) -> None:
    parsed = ws_root / "lake" / "parsed"
    if not parsed.exists():
        return
    for d in parsed.iterdir():
        assert (d / "_manifest.json").is_file(), f"{d.name} visible without its manifest"
        if ".ZC" in d.name:
            for ft in CLAIM_FILE_TYPES:
                assert (d / ft.lower() / "part-0.parquet").is_file(), f"{d.name} lacks {ft}"


@pytest.mark.slow
def test_sigkill_then_rerun_converges(tmp_path: Path) -> None:
    generate(tmp_path / "synth", beneficiaries=400, start="2024-01", months=4, seed=5, aco_id=ACO)
    inbox = tmp_path / "synth" / "deliveries"

    clean = new_workspace(tmp_path / "clean")
    assert {o.status for o in ingest(clean, deliveries_in(inbox))} == {"published"}
    expected = lake_tables(clean)

    crashed = new_workspace(tmp_path / "crashed")
    kills = 0
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.2, 2.6, 3.0):
        proc = _run_cli(crashed.root, inbox)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        _assert_no_half_delivery(crashed.root)
    assert kills >= 2, "ingest finished before it could be killed: make the input larger"

    final = _run_cli(crashed.root, inbox)
    assert final.wait() == 0
    assert lake_tables(crashed) == expected
    assert not any((crashed.lake_dir / "_staging").iterdir())
    assert not list(crashed.raw_dir.rglob(".tmp-*"))
    # and the ledger knows every published delivery
    out = ingest(crashed, deliveries_in(inbox))
    assert {o.status for o in out} == {"unchanged"}
