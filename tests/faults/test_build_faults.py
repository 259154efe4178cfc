"""`aco build` killed with SIGKILL, or failing with ENOSPC, at seeded points: while dbt runs,
while the canonical metric tables are computed and written, around the checkpoint and the
rename that publishes the new file, and when the disk is really full.

Two workspaces read one lake (an absolute `[storage] lake`): the reference R and the victim
W, a copy of R taken after its first build. A new delivery then makes `aco build`
incremental, and a changed aco.toml makes it recompute only the metric tables. R runs each
step cleanly; W is killed at each scheduled point from the same starting file, must still
hold exactly that file, and a rerun must give every table of R's, metric_* included, row for
row.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from aco_pipeline.config import Workspace, load_workspace
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.metrics.canonical import config_fingerprint, stored_fingerprint
from aco_pipeline.naming import parse_name
from aco_pipeline.warehouse.build import build_warehouse
from tests.ingest.helpers import new_workspace
from tests.ingest.test_remote_storage import set_storage

from . import harness as h
from .conftest import SEED, Inbox, resize_disk, small_disk, tmpfs_missing_reason

BUILD_KILLS = 1  # each trial costs a rerun of the build (the long run takes more)
METRIC_KILLS = 3
METRIC_ENOSPC = 2
CONFIG_CHANGE = "\n# fault suite: the metric parameters changed\n"


@dataclass(frozen=True)
class Step:
    """One clean step of R: the file W starts from, the fault points, R's result."""

    start: Path
    points: list[str]
    clean: Path


@dataclass(frozen=True)
class Builds:
    ref: Workspace
    victim: Workspace
    incremental: Step
    metrics: Step


def _build_args(ws: Workspace) -> list[str]:
    return ["build", "--workspace", str(ws.root)]


def _keep(path: Path, as_: Path) -> Path:
    shutil.copyfile(path, as_)
    return as_


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Builds:
    root = tmp_path_factory.mktemp("build-faults")
    bnex = sorted((p for p in inbox.all if ".BNEX." in p.name),
                  key=lambda p: parse_name(p.name).created or 0)
    last = bnex[-1]
    owner = new_workspace(root / "lake-owner")
    assert {o.status for o in ingest(owner, [p for p in inbox.all if p != last])} \
        == {"published"}
    ref = set_storage(new_workspace(root / "R"), {"lake": str(owner.lake_dir)})
    result = build_warehouse(ref)
    assert result.success, result.failures
    start = _keep(ref.warehouse_path, root / "incremental-start.duckdb")
    victim = load_workspace(h.copy_workspace(ref.root, root / "W"))

    [o] = ingest(owner, [last])
    assert o.status == "published"
    run, points = h.record_points(_build_args(ref), root / "incremental.txt")
    assert run.code == 0 and "incremental" in run.stdout, run.stdout + run.stderr
    incremental = Step(start, points, _keep(ref.warehouse_path, root / "incremental.duckdb"))

    for ws in (ref, victim):
        with ws.config_path.open("a", encoding="utf-8") as fh:
            fh.write(CONFIG_CHANGE)
    metrics_start = _keep(ref.warehouse_path, root / "metrics-start.duckdb")
    run, points = h.record_points(_build_args(ref), root / "metrics.txt")
    assert run.code == 0 and "canonical metric tables recomputed" in run.stdout, run.stdout
    metrics = Step(metrics_start, points, _keep(ref.warehouse_path, root / "metrics.duckdb"))
    # W starts each step from R's file before it: the incremental step's for now
    return Builds(ref, victim, incremental, metrics)


def _restore(ws: Workspace, start: Path) -> None:
    shutil.copyfile(start, ws.warehouse_path)
    for stale in ws.warehouse_path.parent.glob(".build-*"):
        shutil.rmtree(stale)


def _published_is_whole(ws: Workspace, step: Step) -> None:
    """After a fault: the published file is the previous one, byte for byte, or (a kill
    after the rename) the new one, complete."""
    if h.sha256(ws.warehouse_path) == h.sha256(step.start):
        return
    lost, doubled, _, differ = h.warehouse_diff(ws.warehouse_path, step.clean)
    assert (lost, doubled, differ) == (0, 0, []), differ


def _rerun_converges(ws: Workspace, step: Step) -> None:
    run = h.aco(_build_args(ws), plain=True)
    assert run.code == 0, run.stdout + run.stderr
    lost, doubled, total, differ = h.warehouse_diff(ws.warehouse_path, step.clean)
    assert (lost, doubled, differ) == (0, 0, []), differ
    assert total > 0
    assert stored_fingerprint(ws.warehouse_path) == config_fingerprint(ws)
    assert not list(ws.warehouse_path.parent.glob(".build-*"))


def _trial(ws: Workspace, step: Step, k: int, kind: str = "kill") -> h.Run:
    _restore(ws, step.start)
    run = h.aco(_build_args(ws), fault_at=k, kind=kind)
    _published_is_whole(ws, step)
    return run


def test_sigkill_during_incremental_build_then_rerun_converges(builds: Builds) -> None:
    step = builds.incremental
    assert any(p == "dbt:node" for p in step.points)
    for k in h.schedule(step.points, BUILD_KILLS, SEED):
        run = _trial(builds.victim, step, k)
        assert run.killed, run.stdout + run.stderr
        _rerun_converges(builds.victim, step)


def test_sigkill_while_metric_tables_are_published_then_rerun_converges(
        builds: Builds) -> None:
    step = builds.metrics
    labels = {h.phase(p) for p in step.points}
    assert {"metric", "build"} <= labels, labels
    for k in h.schedule(step.points, METRIC_KILLS, SEED, prefer=("metric:", "build:")):
        run = _trial(builds.victim, step, k)
        assert run.killed, run.stdout + run.stderr
        _rerun_converges(builds.victim, step)


def test_disk_full_while_metric_tables_are_published(builds: Builds) -> None:
    step = builds.metrics
    writes = [i for i, p in enumerate(step.points)
              if p.startswith(("shutil:copyfile", "build:", "metric:", "os:fsync"))]
    chosen = h.schedule([step.points[i] for i in writes], METRIC_ENOSPC, SEED + 1)
    for j in chosen:
        k = writes[j - 1] + 1
        run = _trial(builds.victim, step, k, kind="enospc")
        assert run.code != 0 and not run.killed
        assert "No space left on device" in run.stderr, run.stderr[-2000:]
        # the previous file, or (ENOSPC from the fsync after the rename) the complete new one
        # (_trial checked which); never a build folder left behind
        assert not list(builds.victim.warehouse_path.parent.glob(".build-*"))
        _rerun_converges(builds.victim, step)


@pytest.mark.skipif(tmpfs_missing_reason() is not None, reason=str(tmpfs_missing_reason()))
def test_real_full_disk_during_build(builds: Builds, tmp_path: Path) -> None:
    """The warehouse on a tmpfs with room for the published file and a quarter more: the
    build's copy of it fails with a real ENOSPC; the file stays; with room back, it builds."""
    step = builds.metrics
    size = step.start.stat().st_size
    with small_disk(tmp_path / "disk", (size + size // 4) // 1024) as disk:
        ws = set_storage(load_workspace(h.copy_workspace(builds.victim.root, tmp_path / "T")),
                         {"warehouse": str(disk / "aco.duckdb")})
        shutil.copyfile(step.start, ws.warehouse_path)
        run = h.aco(_build_args(ws), plain=True)
        assert run.code != 0
        assert "No space left on device" in run.stderr, run.stderr[-2000:]
        assert h.sha256(ws.warehouse_path) == h.sha256(step.start)
        assert [p.name for p in disk.iterdir()] == ["aco.duckdb"]
        resize_disk(disk, 4 * size // 1024)
        _rerun_converges(ws, step)
