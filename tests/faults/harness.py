"""Fault trials: run `aco` in a subprocess, kill it (or fill its disk) at a chosen fault
point, rerun it and compare everything stored with a clean run's, row for row.

Used by the tests in this folder (a short seeded schedule) and by benchmarks/fault_suite.py
(a long one that prints the figures for docs/reliability.md). A fault point is one call of a
primitive that changes stored state, or one step of a build (victim.py lists them); a clean
run records the sequence, and `schedule` picks points spread over all of it.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from aco_pipeline.config import Workspace
from aco_pipeline.lake.publish import MANIFEST
from aco_pipeline.metrics.canonical import STATE_TABLE as METRIC_STATE_TABLE
from aco_pipeline.warehouse.build_state import STATE_TABLE

from . import victim

ROOT = Path(__file__).resolve().parents[2]
# what a build records about itself (inputs, timings, what the last increment re-derived),
# not data: tests/warehouse/test_incremental_build.py leaves the same tables out
RUN_TABLES = frozenset({STATE_TABLE, METRIC_STATE_TABLE, "int_claim_changes",
                        "int_claim_changes_delivered"})


@dataclass
class Figures:
    """What a fault run tried and found (docs/reliability.md)."""

    kill_points: int = 0
    faults_injected: int = 0
    runs_killed: int = 0
    rows_compared: int = 0
    rows_lost: int = 0
    rows_doubled: int = 0
    by_phase: dict[str, int] = field(default_factory=dict)

    def add(self, other: Figures) -> None:
        for name in ("kill_points", "faults_injected", "runs_killed", "rows_compared",
                     "rows_lost", "rows_doubled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.by_phase.items():
            self.by_phase[k] = self.by_phase.get(k, 0) + v


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL


def aco(args: Sequence[str], *, fault_at: int = 0, kind: str = "kill",
        record: Path | None = None, env: Mapping[str, str] | None = None,
        plain: bool = False, timeout: float = 900) -> Run:
    """`aco ARGS` in a new process: through the fault driver (victim.py), or `plain`
    (`python -m aco_pipeline`, nothing wrapped) for reruns."""
    run_env = {**os.environ, **(env or {})}
    for key in (victim.RECORD_ENV, victim.AT_ENV, victim.KIND_ENV):
        run_env.pop(key, None)
    if record is not None:
        run_env[victim.RECORD_ENV] = str(record)
    if fault_at:
        run_env[victim.AT_ENV] = str(fault_at)
        run_env[victim.KIND_ENV] = kind
    module = "aco_pipeline" if plain else "tests.faults.victim"
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=run_env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def record_points(args: Sequence[str], path: Path, env: Mapping[str, str] | None = None
                  ) -> tuple[Run, list[str]]:
    """A clean run of `aco ARGS` that lists the fault points it passes, in order."""
    path.unlink(missing_ok=True)
    run = aco(args, record=path, env=env)
    return run, path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def schedule(points: Sequence[str], n: int, seed: int,
             prefer: Sequence[str] = ()) -> list[int]:
    """`n` fault points (1-based indexes into `points`), one drawn at random from each of `n`
    equal stretches of the run, so the schedule spans it from start to end; `prefer`ed
    labels (e.g. the S3 requests) are drawn first within a stretch when it has any."""
    rng = random.Random(seed)
    total = len(points)
    n = min(n, total)
    out: list[int] = []
    for i in range(n):
        lo, hi = i * total // n, max(i * total // n + 1, (i + 1) * total // n)
        stretch = list(range(lo, hi))
        preferred = [j for j in stretch if any(points[j].startswith(p) for p in prefer)]
        out.append(rng.choice(preferred or stretch) + 1)
    return sorted(set(out))


def phase(label: str) -> str:
    return label.split(":", 1)[0]


# --- what is stored ----------------------------------------------------------------------------

def lake_rows(lake_dir: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every published Parquet file's rows (as sorted tuples), by path under parsed/."""
    root = lake_dir / "parsed"
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): sorted(tuple(r.values()) for r in pq.read_table(p)
                                             .to_pylist())
            for p in sorted(root.glob("delivery=*/*/*.parquet"))}


def remote_lake_rows(ws: Workspace) -> dict[str, list[tuple[object, ...]]]:
    """The same for the committed deliveries of a remote lake (manifest present)."""
    from aco_pipeline.lake.publish import PARSED, remote_lake

    fs = ws.lake.fs()
    out = {}
    listing = remote_lake(ws.lake)
    for did in sorted(listing.committed):
        for part in listing.committed[did]["parts"]:
            key = ws.lake.path(PARSED, f"delivery={did}", part["path"])
            with fs.open(key, "rb") as fh:
                table = pq.read_table(fh)
            out[f"delivery={did}/{part['path']}"] = sorted(tuple(r.values())
                                                           for r in table.to_pylist())
    return out


def visible_deliveries(lake_dir: Path) -> set[str]:
    root = lake_dir / "parsed"
    return {d.name for d in root.iterdir()} if root.exists() else set()


def half_published(lake_dir: Path) -> list[str]:
    """Delivery folders a reader can see without their manifest (must never happen)."""
    root = lake_dir / "parsed"
    if not root.exists():
        return []
    return [d.name for d in root.iterdir() if not (d / MANIFEST).is_file()]


def sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def row_diff(a: Mapping[str, list[tuple[object, ...]]],
             b: Mapping[str, list[tuple[object, ...]]]) -> tuple[int, int, int]:
    """(rows of `b` missing from `a`, rows of `a` beyond `b`, rows in `b`), as multisets per
    file: lost and doubled rows of a run `a` against the clean run `b`."""
    from collections import Counter

    lost = extra = total = 0
    for key in a.keys() | b.keys():
        ca, cb = Counter(a.get(key, [])), Counter(b.get(key, []))
        lost += sum((cb - ca).values())
        extra += sum((ca - cb).values())
        total += sum(cb.values())
    return lost, extra, total


def warehouse_tables(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select table_name from information_schema.tables "
                           "where table_schema = 'main' and table_type = 'BASE TABLE' "
                           "order by table_name").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows if r[0] not in RUN_TABLES]


def warehouse_diff(db: Path, clean: Path) -> tuple[int, int, int, list[str]]:
    """(rows lost, rows doubled, rows in the clean warehouse, tables that differ) between two
    warehouse files: every table, metric_* included, as multisets (EXCEPT ALL both ways)."""
    tables, expected = warehouse_tables(db), warehouse_tables(clean)
    differ = sorted(set(tables) ^ set(expected))
    con = duckdb.connect()
    lost = extra = total = 0
    try:
        con.execute(f"attach '{db}' as a (read_only)")
        con.execute(f"attach '{clean}' as b (read_only)")
        for t in sorted(set(tables) & set(expected)):
            [(missing,)] = con.execute(f'select count(*) from (select * from b.main."{t}" '
                                       f'except all select * from a.main."{t}")').fetchall()
            [(beyond,)] = con.execute(f'select count(*) from (select * from a.main."{t}" '
                                      f'except all select * from b.main."{t}")').fetchall()
            [(n,)] = con.execute(f'select count(*) from b.main."{t}"').fetchall()
            lost, extra, total = lost + missing, extra + beyond, total + n
            if missing or beyond:
                differ.append(t)
    finally:
        con.close()
    return lost, extra, total, differ


def copy_workspace(src: Path, dst: Path) -> Path:
    """A copy of a workspace folder (its lake may live elsewhere: see aco.toml)."""
    shutil.copytree(src, dst, symlinks=True)
    return dst
