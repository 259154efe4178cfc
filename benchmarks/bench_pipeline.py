"""Benchmark the whole embedded pipeline: synth -> ingest -> build, per ACO size.

Each step runs as its own `aco` process; its wall time and peak RSS (wait4) are reported.
Not a test: prints a table and writes JSON to benchmarks/out/. Inputs go to --workdir
(default bench-data/pipeline, gitignored) and are removed afterwards unless --keep.

    python benchmarks/bench_pipeline.py --beneficiaries 10000 100000 --months 12
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Step:
    beneficiaries: int
    months: int
    step: str
    seconds: float
    peak_rss_mb: float


def run(cmd: list[str]) -> tuple[float, float]:
    """Run one command; return wall seconds and the process tree's peak RSS in MB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
        raise SystemExit(f"{' '.join(cmd[:3])} failed")
    return seconds, usage.ru_maxrss / 1024  # Linux reports KiB


# moves the newest monthly CCLF delivery and BNEX file out of the inbox (argv: inbox, held)
_HOLD = """
import sys
from pathlib import Path
inbox, held = Path(sys.argv[1]), Path(sys.argv[2])
for kind, mark in (("month", ".ZC"), ("bnex", ".BNEX.")):
    newest = sorted(p for p in inbox.iterdir() if mark in p.name)[-1]
    (held / kind).mkdir(parents=True, exist_ok=True)
    newest.rename(held / kind / newest.name)
"""


def canonical_seconds(db: Path) -> dict[str, float]:
    """Seconds per canonical metric module of the last build (metrics.canonical records them
    in the warehouse), or {} when there is none."""
    import duckdb

    if not db.is_file():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = con.execute("select seconds_by_metric from _aco_metric_state").fetchall()
    except duckdb.Error:
        return {}
    finally:
        con.close()
    return dict(json.loads(found[0][0])) if found and found[0][0] else {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beneficiaries", type=int, nargs="+", default=[10_000])
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--start", default="2024-01")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench-data" / "pipeline")
    ap.add_argument("--keep", action="store_true", help="keep generated data and workspaces")
    ap.add_argument("--incremental", action="store_true",
                    help="hold back the last monthly delivery and opt-out file, then time "
                         "the incremental builds they cause and a full rebuild")
    args = ap.parse_args()
    aco = [sys.executable, "-m", "aco_pipeline"]
    steps: list[Step] = []
    canonical: dict[int, dict[str, float]] = {}
    for n in args.beneficiaries:
        base = args.workdir / f"n{n}"
        shutil.rmtree(base, ignore_errors=True)
        synthetic, ws = base / "synthetic", base / "ws"
        deliveries = synthetic / "deliveries"
        held = base / "held"
        plan = [
            ("synth", [*aco, "synth", "-n", str(n), "--start", args.start, "--months",
                       str(args.months), "--seed", str(args.seed), "--out", str(synthetic)]),
            ("init", [*aco, "init", str(ws), "--performance-year", args.start[:4]]),
            ("ingest", [*aco, "ingest", str(deliveries), "-w", str(ws)]),
            ("build", [*aco, "build", "-w", str(ws)]),
        ]
        if args.incremental:
            # the last monthly delivery and the last opt-out file arrive after the first
            # build: time the incremental builds they cause against a full rebuild
            plan[2:2] = [("hold", [sys.executable, "-c", _HOLD, str(deliveries), str(held)])]
            plan += [
                ("up-to-date", [*aco, "build", "-w", str(ws)]),
                ("ingest-bnex", [*aco, "ingest", str(held / "bnex"), "-w", str(ws)]),
                ("build-bnex", [*aco, "build", "-w", str(ws)]),
                ("ingest-month", [*aco, "ingest", str(held / "month"), "-w", str(ws)]),
                ("build-month", [*aco, "build", "-w", str(ws)]),
                ("build-full", [*aco, "build", "--full-refresh", "-w", str(ws)]),
            ]
        for name, cmd in plan:
            seconds, rss = run(cmd)
            if name not in ("init", "hold"):
                steps.append(Step(n, args.months, name, round(seconds, 1), round(rss)))
                print(f"{n:>8,} x {args.months}  {name:<7} {seconds:7.1f} s  "
                      f"peak RSS {rss:6.0f} MB", flush=True)
        metrics = canonical_seconds(ws / "warehouse" / "aco.duckdb")
        if metrics:
            print(f"{n:>8,} x {args.months}  canonical metrics in the build: "
                  f"{sum(metrics.values()):.1f} s {metrics}", flush=True)
            canonical[n] = metrics
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print("\n| beneficiaries | step | wall s | peak RSS MB |\n|---:|---|---:|---:|")
    for s in steps:
        print(f"| {s.beneficiaries:,} x {s.months} | {s.step} | {s.seconds} | {s.peak_rss_mb} |")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench_pipeline-{time.strftime('%Y%m%d-%H%M%S')}.json"
    by_step = {(s.beneficiaries, s.step): s.seconds for s in steps}
    for n in args.beneficiaries:
        full = by_step.get((n, "build-full"))
        for step in ("build-bnex", "build-month", "up-to-date"):
            if full and (n, step) in by_step:
                print(f"{n:,}: {step} / full rebuild = {by_step[(n, step)] / full:.2f}")
    path.write_text(json.dumps({"cpu_count": os.cpu_count(), "steps": [asdict(s) for s in steps],
                                "canonical_metric_seconds": canonical}, indent=1))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
