"""`aco ingest` killed with SIGKILL, or failing with ENOSPC, at seeded points of its run.

The workspace already holds the first month's deliveries; the run ingests everything. After
each fault: no delivery is visible without its manifest, what was published before is
byte-for-byte intact, and what is visible equals the clean run's; then a rerun converges on
exactly the clean run's lake (0 rows lost or doubled) and a third run changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from aco_pipeline.config import load_workspace
from aco_pipeline.ingest.pipeline import ingest
from tests.ingest.helpers import new_workspace

from . import harness as h
from .conftest import SEED, Inbox, resize_disk, small_disk, tmpfs_missing_reason

KILL_POINTS = 5
ENOSPC_POINTS = 3
# the primitives a full disk makes fail (deleting and renaming need no new space)
WRITES = ("os:fsync", "parquet:", "shutil:copyfile", "ledger:")


@dataclass(frozen=True)
class Clean:
    template: Path  # a workspace holding the first batch, copied for every trial
    before: dict[str, str]  # its lake files (sha256) before any trial
    rows: dict[str, list[tuple[object, ...]]]  # the clean run's lake
    points: list[str]  # the fault points of the clean run
    args: tuple[str, ...]
    needed: int  # bytes the run adds to the template workspace


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _files(ws_root: Path) -> dict[str, str]:
    root = ws_root / "lake" / "parsed"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _args(ws_root: Path, paths: tuple[str, ...]) -> list[str]:
    return ["ingest", "--workspace", str(ws_root), *paths]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Clean:
    root = tmp_path_factory.mktemp("ingest-faults")
    template = new_workspace(root / "template")
    assert {o.status for o in ingest(template, inbox.first)} == {"published"}
    before = _files(template.root)
    ws = h.copy_workspace(template.root, root / "clean")
    run, points = h.record_points(_args(ws, tuple(map(str, inbox.all))), root / "points.txt")
    assert run.code == 0, run.stderr
    return Clean(template.root, before, h.lake_rows(ws / "lake"), points,
                 tuple(map(str, inbox.all)), _size(ws) - _size(template.root))


def _after_fault(ws: Path, clean: Clean) -> None:
    """What must hold the moment the run died, before anything repairs it."""
    assert h.half_published(ws / "lake") == []
    now = _files(ws)
    assert {k: now.get(k) for k in clean.before} == clean.before, "published data changed"
    visible = h.lake_rows(ws / "lake")
    assert {k: clean.rows[k] for k in visible} == visible


def _rerun_converges(ws: Path, clean: Clean) -> h.Figures:
    run = h.aco(_args(ws, clean.args), plain=True)
    assert run.code == 0, run.stdout + run.stderr
    got = h.lake_rows(ws / "lake")
    lost, doubled, total = h.row_diff(got, clean.rows)
    assert (lost, doubled) == (0, 0) and got == clean.rows
    assert not list((ws / "lake" / "_staging").iterdir())
    assert not list((ws / "raw").rglob(".tmp-*"))
    again = ingest(load_workspace(ws), [Path(p) for p in clean.args])
    assert {o.status for o in again} == {"unchanged"}, [o.message for o in again]
    assert h.lake_rows(ws / "lake") == clean.rows
    return h.Figures(rows_compared=total, rows_lost=lost, rows_doubled=doubled)


def test_sigkill_at_seeded_points_then_rerun_converges(clean: Clean, tmp_path: Path) -> None:
    points = h.schedule(clean.points, KILL_POINTS, SEED)
    assert len(points) == KILL_POINTS and len(clean.points) > 50
    killed = 0
    for k in points:
        ws = h.copy_workspace(clean.template, tmp_path / f"kill-{k}")
        run = h.aco(_args(ws, clean.args), fault_at=k)
        killed += run.killed
        assert run.killed or run.code == 0, run.stderr  # threads may reorder the last points
        _after_fault(ws, clean)
        _rerun_converges(ws, clean)
    assert killed >= KILL_POINTS - 1


def test_disk_full_at_seeded_writes_then_rerun_converges(clean: Clean, tmp_path: Path) -> None:
    writes = [i for i, p in enumerate(clean.points) if p.startswith(WRITES)]
    chosen = h.schedule([clean.points[i] for i in writes], ENOSPC_POINTS, SEED + 1)
    for j in chosen:
        k = writes[j - 1] + 1
        ws = h.copy_workspace(clean.template, tmp_path / f"enospc-{k}")
        run = h.aco(_args(ws, clean.args), fault_at=k, kind="enospc")
        assert run.code != 0 and not run.killed
        assert "No space left on device" in run.stderr, run.stderr[-2000:]
        _after_fault(ws, clean)
        # the failed run cleaned up after itself: no staging, no partial raw copy
        assert not list((ws / "lake" / "_staging").iterdir())
        assert not list((ws / "raw").rglob(".tmp-*"))
        _rerun_converges(ws, clean)


@pytest.mark.skipif(tmpfs_missing_reason() is not None, reason=str(tmpfs_missing_reason()))
def test_real_full_disk_during_ingest(clean: Clean, tmp_path: Path) -> None:
    """The workspace on a tmpfs with room for the first batch and half of what the second
    needs: it fails with ENOSPC from whichever write hits the limit (Python, Arrow, SQLite)."""
    room = (_size(clean.template) + clean.needed // 2) // 1024
    with small_disk(tmp_path / "disk", room) as disk:
        ws = h.copy_workspace(clean.template, disk / "ws")
        run = h.aco(_args(ws, clean.args), plain=True)
        assert run.code != 0
        assert "No space left on device" in run.stderr, run.stderr[-2000:]
        _after_fault(ws, clean)
        resize_disk(disk, 64 * 1024)
        _rerun_converges(ws, clean)


def test_disk_full_is_reported_without_a_traceback(clean: Clean, tmp_path: Path) -> None:
    ws = h.copy_workspace(clean.template, tmp_path / "ws")
    first_write = next(i for i, p in enumerate(clean.points) if p.startswith("parquet:")) + 1
    run = h.aco(_args(ws, clean.args), fault_at=first_write, kind="enospc")
    assert run.code != 0 and "No space left on device" in run.stderr
    assert "Traceback" not in run.stderr

