"""The long fault schedule: SIGKILL and ENOSPC at many seeded points of real `aco` runs.

The test suite (tests/faults) runs a short schedule of the same trials; this script runs as
many points as asked per scenario and prints the figures docs/reliability.md quotes: fault
points tried per phase, faults injected, runs killed, rows compared, rows lost or doubled,
and every trial whose state or rerun was wrong. Not a test: exits 1 if any trial failed.

Scenarios (each from a clean run of the same command, whose fault points it records):
  ingest    local workspace holding the first month; `aco ingest` of everything
  remote    raw store and lake in S3 (moto's server on 127.0.0.1)
  full      `aco build` with no previous warehouse
  increment `aco build` after a new BNEX delivery (incremental)
  metrics   `aco build` after an aco.toml change (canonical metric tables only)

    python benchmarks/fault_suite.py --points 40 --build-points 4 --seed 7 \
        [--scenarios ingest remote full increment metrics]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults import harness as h  # noqa: E402
from tests.faults.conftest import split_inbox  # noqa: E402
from tests.ingest.helpers import ACO, deliveries_in, new_workspace  # noqa: E402
from tests.ingest.test_remote_storage import set_storage  # noqa: E402

from aco_pipeline.config import Workspace, load_workspace  # noqa: E402
from aco_pipeline.ingest.pipeline import ingest  # noqa: E402
from aco_pipeline.naming import parse_name  # noqa: E402
from aco_pipeline.synth import generate  # noqa: E402

WRITES = ("os:fsync", "parquet:", "shutil:copyfile", "ledger:", "build:", "metric:")


@dataclass
class Report:
    scenario: str
    points_in_run: int
    figures: h.Figures = field(default_factory=h.Figures)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def phase_of(points: list[str], k: int) -> str:
    """The phase a fault point falls in: the primitive's family, named by the step around
    it in a build (dbt, metrics, publish)."""
    label = points[k - 1]
    if label.startswith(("metric:", "s3:", "ledger:", "parquet:")):
        return label.split(":", 1)[0]
    before = [p for p in points[: k - 1] if p.startswith(("dbt:", "metric:", "build:"))]
    if "build:generate_docs" in before:
        return "docs"
    if before and before[-1].startswith("dbt:"):
        return "dbt"
    if before and before[-1].startswith("metric:"):
        return "metric"
    if before and before[-1].startswith("build:"):
        return "publish"
    return label


def trial_loop(report: Report, points: list[str], n: int, seed: int,
               one: Callable[[int, str], list[str]], kinds: tuple[str, ...] = ("kill",),
               prefer: tuple[str, ...] = ()) -> None:
    """Run `one(k, kind)` at `n` scheduled points for each kind (ENOSPC only at writes)."""
    for kind in kinds:
        if kind == "enospc":
            writes = [i + 1 for i, p in enumerate(points) if p.startswith(WRITES)]
            picks = [writes[j - 1] for j in h.schedule([points[i - 1] for i in writes],
                                                        n, seed + 1)]
        else:
            picks = h.schedule(points, n, seed, prefer)
        for k in picks:
            report.figures.kill_points += kind == "kill"
            report.figures.faults_injected += 1
            ph = phase_of(points, k)
            report.figures.by_phase[ph] = report.figures.by_phase.get(ph, 0) + 1
            try:
                problems = one(k, kind)
            except (AssertionError, OSError, subprocess.TimeoutExpired, duckdb.Error) as exc:
                problems = [f"{type(exc).__name__}: {exc}"]  # reported; the schedule goes on
            report.failures += [f"{kind} at {k} ({points[k - 1]}): {p}" for p in problems]
            print(f"  {report.scenario} {kind:6} at {k:5} {points[k - 1]:24} "
                  f"{'ok' if not problems else 'FAILED: ' + '; '.join(problems)}", flush=True)


def _fault_check(run: h.Run, kind: str) -> list[str]:
    if kind == "kill":
        return [] if run.killed or run.code == 0 else [f"exit {run.code}: {run.stderr[-300:]}"]
    if run.code == 0 or "No space left on device" not in run.stderr:
        return [f"ENOSPC not reported (exit {run.code})"]
    return []


# --- ingest, local and remote -------------------------------------------------------------------

def ingest_scenario(work: Path, inbox_all: list[Path], first: list[Path], n: int, seed: int,
                    remote: str | None) -> Report:
    report = Report("remote" if remote else "ingest", 0)
    args = [str(p) for p in inbox_all]
    template = new_workspace(work / "template")
    if remote is None:
        ingest(template, first)
    local = new_workspace(work / "local")
    ingest(local, inbox_all)
    expected = h.lake_rows(local.lake_dir)

    def fresh(name: str) -> Workspace:
        if remote is None:
            return load_workspace(h.copy_workspace(template.root, work / name))
        import boto3

        bucket = f"faults-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=remote, region_name="us-east-1").create_bucket(
            Bucket=bucket)
        return set_storage(new_workspace(work / name),
                           {"raw": f"s3://{bucket}/raw", "lake": f"s3://{bucket}/lake",
                            "options": {"endpoint_url": remote}})

    def rows(ws: Workspace) -> dict[str, list[tuple[object, ...]]]:
        return h.lake_rows(ws.lake_dir) if ws.lake.is_local else h.remote_lake_rows(ws)

    clean = fresh("clean")
    run, points = h.record_points(["ingest", "-w", str(clean.root), *args], work / "p.txt")
    if run.code != 0 or rows(clean) != expected:
        report.failures.append("the clean run did not give the expected lake")
        return report
    report.points_in_run = len(points)

    def one(k: int, kind: str) -> list[str]:
        ws = fresh(f"{kind}-{k}")
        run = h.aco(["ingest", "-w", str(ws.root), *args], fault_at=k, kind=kind)
        report.figures.runs_killed += run.killed
        problems = _fault_check(run, kind)
        if ws.lake.is_local and h.half_published(ws.lake_dir):
            problems.append("a delivery is visible without its manifest")
        visible = rows(ws)
        if {key: expected.get(key) for key in visible} != visible:
            problems.append("a visible delivery differs from the clean run's")
        rerun = h.aco(["ingest", "-w", str(ws.root), *args], plain=True)
        if rerun.code != 0:
            problems.append(f"rerun exit {rerun.code}: {rerun.stderr[-300:]}")
        lost, doubled, total = h.row_diff(rows(load_workspace(ws.root)), expected)
        report.figures.rows_compared += total
        report.figures.rows_lost += lost
        report.figures.rows_doubled += doubled
        if lost or doubled:
            problems.append(f"{lost} rows lost, {doubled} doubled")
        if ws.lake.is_local:
            shutil.rmtree(ws.root)
        return problems

    if remote:  # the S3 requests first: what this scenario is about
        trial_loop(report, points, n, seed, one, ("kill",), prefer=("s3:",))
    else:
        trial_loop(report, points, n, seed, one, ("kill", "enospc"))
    return report


# --- builds ---------------------------------------------------------------------------------------

def build_scenarios(work: Path, inbox_all: list[Path], n: int, seed: int,
                    wanted: set[str]) -> list[Report]:
    """full, increment and metrics share one lake and one reference workspace R."""
    reports = []
    bnex = sorted((p for p in inbox_all if ".BNEX." in p.name),
                  key=lambda p: parse_name(p.name).created or 0)
    owner = new_workspace(work / "lake-owner")
    ingest(owner, [p for p in inbox_all if p != bnex[-1]])
    ref = set_storage(new_workspace(work / "R"), {"lake": str(owner.lake_dir)})
    victim = load_workspace(h.copy_workspace(ref.root, work / "W"))

    def step(name: str, start: Path | None) -> Report:
        report = Report(name, 0)
        began = time.monotonic()
        run, points = h.record_points(["build", "-w", str(ref.root)], work / f"{name}.txt")
        clean = work / f"{name}-clean.duckdb"
        shutil.copyfile(ref.warehouse_path, clean)
        report.points_in_run = len(points)
        if run.code != 0:
            report.failures.append(f"the clean build failed: {run.stderr[-300:]}")
            return report

        def one(k: int, kind: str) -> list[str]:
            if start is None:
                victim.warehouse_path.unlink(missing_ok=True)
            else:
                shutil.copyfile(start, victim.warehouse_path)
            for stale in victim.warehouse_path.parent.glob(".build-*"):
                shutil.rmtree(stale)
            run = h.aco(["build", "-w", str(victim.root)], fault_at=k, kind=kind)
            report.figures.runs_killed += run.killed
            problems = _fault_check(run, kind)
            now = h.sha256(victim.warehouse_path)
            if now != (h.sha256(start) if start else None):
                lost, doubled, _, differ = h.warehouse_diff(victim.warehouse_path, clean)
                if lost or doubled or differ:
                    problems.append("the published warehouse is neither the previous one nor "
                                    f"the complete new one ({differ[:3]})")
            rerun = h.aco(["build", "-w", str(victim.root)], plain=True)
            if rerun.code != 0:
                problems.append(f"rerun exit {rerun.code}: {rerun.stderr[-300:]}")
                return problems
            lost, doubled, total, differ = h.warehouse_diff(victim.warehouse_path, clean)
            report.figures.rows_compared += total
            report.figures.rows_lost += lost
            report.figures.rows_doubled += doubled
            if lost or doubled or differ:
                problems.append(f"{lost} rows lost, {doubled} doubled in {differ[:5]}")
            return problems

        if name in wanted:
            trial_loop(report, points, n, seed, one, ("kill", "enospc"))
        report.seconds = time.monotonic() - began
        return report

    reports.append(step("full", None))
    start = work / "increment-start.duckdb"
    shutil.copyfile(ref.warehouse_path, start)
    ingest(owner, [bnex[-1]])
    if wanted & {"increment", "metrics"}:
        reports.append(step("increment", start))
        for ws in (ref, victim):
            with ws.config_path.open("a", encoding="utf-8") as fh:
                fh.write("\n# fault suite: the metric parameters changed\n")
        start = work / "metrics-start.duckdb"
        shutil.copyfile(ref.warehouse_path, start)
        reports.append(step("metrics", start))
    return [r for r in reports if r.scenario in wanted]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=20, help="fault points per scenario "
                        "and fault kind (default 20)")
    parser.add_argument("--build-points", type=int, default=3, help="the same for the "
                        "three build scenarios (each trial reruns a build; default 3)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenarios", nargs="*",
                        default=["ingest", "remote", "full", "increment", "metrics"])
    parser.add_argument("--beneficiaries", type=int, default=40)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    wanted = set(args.scenarios)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    reports: list[Report] = []
    with tempfile.TemporaryDirectory(prefix="aco-faults-") as tmp:
        work = Path(tmp)
        generate(work / "inbox", beneficiaries=args.beneficiaries, start="2024-01", months=2,
                 seed=3, aco_id=ACO)
        inbox = split_inbox(deliveries_in(work / "inbox" / "deliveries"))
        if "ingest" in wanted:
            reports.append(ingest_scenario(work / "ingest", inbox.all, inbox.first,
                                           args.points, args.seed, None))
        if "remote" in wanted:
            import logging

            from tests.arrival.servers import run_moto

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
            with run_moto() as endpoint:
                reports.append(ingest_scenario(work / "remote", inbox.all, inbox.first,
                                               args.points, args.seed, endpoint))
        if wanted & {"full", "increment", "metrics"}:
            reports += build_scenarios(work / "build", inbox.all, args.build_points,
                                       args.seed, wanted)
    total = h.Figures()
    print(f"\n{'scenario':10} {'points in run':>13} {'kills':>6} {'faults':>7} "
          f"{'killed':>7} {'rows compared':>14} {'lost':>5} {'doubled':>8} failures")
    for r in reports:
        f = r.figures
        total.add(f)
        print(f"{r.scenario:10} {r.points_in_run:13} {f.kill_points:6} {f.faults_injected:7} "
              f"{f.runs_killed:7} {f.rows_compared:14} {f.rows_lost:5} {f.rows_doubled:8} "
              f"{len(r.failures)}")
    print(f"{'total':10} {'':13} {total.kill_points:6} {total.faults_injected:7} "
          f"{total.runs_killed:7} {total.rows_compared:14} {total.rows_lost:5} "
          f"{total.rows_doubled:8} {sum(len(r.failures) for r in reports)}")
    print("faults by phase:", json.dumps(dict(sorted(total.by_phase.items()))))
    for r in reports:
        for failure in r.failures:
            print(f"FAILED {r.scenario}: {failure}")
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "points": args.points,
                                         "reports": [asdict(r) for r in reports]}, indent=1))
    return 1 if any(r.failures for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
