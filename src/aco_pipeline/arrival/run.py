"""`aco run`: pull every configured source, ingest, build — one unattended, locked run.

Made for cron and systemd timers: one run per workspace at a time (a second one waits up to
`wait_seconds`, then gives up with EXIT_BUSY), an exit code, and a one-line summary:

    aco run: ok pulled=3 published=2 unchanged=1 incomplete=0 quarantined=0 rejected=0 \
errors=0 build=ok 12.3s

The warehouse is rebuilt when this run or an earlier one published something that no
successful build has taken in yet. The build writes a new file and swaps it in only on
success, so a failed run leaves the previously published warehouse in place.

Every run also reports the incomplete deliveries still waiting for files (`waiting=N
oldest=<hours>h` on the line, one message each); one that has waited longer than
`[arrival] incomplete_alert_hours` makes the run exit EXIT_OVERDUE.

Only failures of I/O and the package's own errors are reported as `errors=` or
`build=failed` (the source, ingest or build could not do its work); anything else is a bug
and surfaces with its traceback.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aco_pipeline.arrival.config import ArrivalConfig, load_arrival_config
from aco_pipeline.arrival.pull import PullResult, pull
from aco_pipeline.arrival.source import transfer_errors
from aco_pipeline.arrival.state import ArrivalState, try_lock
from aco_pipeline.config import Workspace
from aco_pipeline.errors import AcoError
from aco_pipeline.ingest.ledger import Ledger
from aco_pipeline.ingest.pipeline import ProgressSink, ledger_path
from aco_pipeline.ingest.waiting import Waiting, age, incomplete_waits

EXIT_OK = 0
EXIT_FAILED = 1  # a source could not be pulled, or the build failed
EXIT_QUARANTINED = 2  # like `aco ingest`: a delivery was quarantined or rejected
EXIT_OVERDUE = 3  # an incomplete delivery waited longer than [arrival] incomplete_alert_hours
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the lock; try again later

BUILD_OWED = "build_owed"


def _run_errors() -> tuple[type[BaseException], ...]:
    """What a pull, an ingest or a build raises when it cannot do its work: the package's
    own errors, I/O (local, SFTP, fsspec backends), the SQLite bookkeeping."""
    return (AcoError, sqlite3.Error, *transfer_errors())


def _build_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (*_run_errors(), duckdb.Error)


@dataclass(slots=True)
class RunSummary:
    status: str = "ok"  # ok | warn | overdue | failed | busy
    pulled: int = 0
    published: int = 0
    unchanged: int = 0
    incomplete: int = 0
    quarantined: int = 0
    rejected: int = 0
    errors: int = 0
    build: str = "skipped"  # ok | failed | skipped | off | unavailable
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)
    pulls: list[PullResult] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)  # incomplete deliveries, longest first
    overdue: int = 0  # of them, waiting longer than the alert age

    @property
    def exit_code(self) -> int:
        return {"ok": EXIT_OK, "warn": EXIT_QUARANTINED, "overdue": EXIT_OVERDUE,
                "failed": EXIT_FAILED, "busy": EXIT_BUSY}[self.status]

    def line(self) -> str:
        if self.status == "busy":
            return f"aco run: busy another run holds the lock {self.seconds:.1f}s"
        waiting = (f"waiting={len(self.waiting)} oldest={self.waiting[0].hours:.1f}h "
                   if self.waiting else "")
        return (f"aco run: {self.status} pulled={self.pulled} published={self.published} "
                f"unchanged={self.unchanged} incomplete={self.incomplete} "
                f"quarantined={self.quarantined} rejected={self.rejected} "
                f"errors={self.errors} build={self.build} {waiting}{self.seconds:.1f}s")


BuildFn = Callable[[Workspace], tuple[bool, str]]


def _default_build(ws: Workspace) -> tuple[bool, str]:
    """Run the warehouse build; (success, one-line detail without data values)."""
    try:
        from aco_pipeline.warehouse.build import build_warehouse
    except ImportError as exc:
        raise BuildUnavailable(f"warehouse build not available ({exc.name or exc})") from None
    result = build_warehouse(ws)
    if result.success:
        if result.mode == "up-to-date":
            return True, "warehouse already up to date"
        return True, (f"warehouse built ({result.mode}, {result.nodes} nodes, "
                      f"{result.seconds:.1f}s)")
    first = result.failures[0] if result.failures else None
    detail = f"{first.unique_id}: {first.status}" if first else "dbt build failed"
    return False, f"warehouse build failed ({len(result.failures)} failures, first {detail}); "\
                  "the previous warehouse is still published"


class BuildUnavailable(AcoError, RuntimeError):
    pass


def run(ws: Workspace, *, cfg: ArrivalConfig | None = None, wait_seconds: float = 0.0,
        build: bool = True, trust_unknown_host: bool = False,
        stability_seconds: float | None = None, progress: ProgressSink | None = None,
        build_fn: BuildFn | None = None, as_of: datetime | None = None) -> RunSummary:
    """One run. `as_of` is the time incomplete deliveries' waits are measured to (default:
    now, when the run ends)."""
    started = time.monotonic()
    summary = RunSummary()
    with try_lock(ws, "run", wait_seconds) as held:
        if not held:
            summary.status = "busy"
            summary.seconds = time.monotonic() - started
            summary.messages.append(
                f"another `aco run` holds the lock on this workspace (waited {wait_seconds:g}s)")
            return summary
        cfg = cfg or load_arrival_config(ws)
        if not cfg.sources:
            summary.messages.append("no sources configured ([arrival] sources in aco.toml)")
        else:
            try:
                summary.pulls = pull(ws, cfg=cfg, trust_unknown_host=trust_unknown_host,
                                     stability_seconds=stability_seconds, progress=progress)
            except _run_errors() as exc:  # reported; the run's one line and exit code stand
                summary.errors += 1
                summary.messages.append(f"pull failed: {type(exc).__name__}: {exc}")
        for p in summary.pulls:
            summary.pulled += p.pulled
            if p.error:
                summary.errors += 1
                summary.messages.append(p.error)
            for o in p.outcomes:
                if hasattr(summary, o.status):
                    setattr(summary, o.status, getattr(summary, o.status) + 1)
                if o.status in ("quarantined", "rejected"):
                    summary.messages.append(o.message)
        _build_step(ws, summary, build, build_fn or _default_build)
        _waiting_step(ws, summary, cfg.incomplete_alert_hours, as_of or datetime.now(UTC))
    if summary.errors or summary.build == "failed":
        summary.status = "failed"
    elif summary.quarantined or summary.rejected:
        summary.status = "warn"
    elif summary.overdue:
        summary.status = "overdue"
    summary.seconds = time.monotonic() - started
    return summary


def _waiting_step(ws: Workspace, summary: RunSummary, alert_hours: float,
                  as_of: datetime) -> None:
    """Every incomplete delivery in the ledger, how long it has waited, and whether longer
    than the alert age (0: never alert)."""
    if not ledger_path(ws).exists():
        return
    try:
        ledger = Ledger(ledger_path(ws))
        try:
            summary.waiting = incomplete_waits(ledger, as_of)
        finally:
            ledger.close()
    except sqlite3.Error as exc:
        summary.errors += 1
        summary.messages.append(f"cannot read the ingest ledger ({exc})")
        return
    for w in summary.waiting:
        late = alert_hours > 0 and w.hours > alert_hours
        summary.overdue += late
        summary.messages.append(
            w.describe() + (f"; longer than incomplete_alert_hours ({age(alert_hours)})"
                            if late else ""))


def _build_step(ws: Workspace, summary: RunSummary, build: bool, build_fn: BuildFn) -> None:
    state = ArrivalState(ws)
    try:
        if summary.published:
            state.set_flag(BUILD_OWED, "1")
        owed = state.flag(BUILD_OWED) is not None or not ws.warehouse_path.exists()
        if not build:
            summary.build = "off"
            return
        if not owed:
            summary.build = "skipped"
            return
        try:
            ok, detail = build_fn(ws)
        except BuildUnavailable as exc:
            summary.build = "unavailable"
            summary.messages.append(f"build skipped: {exc}")
            return
        except _build_errors() as exc:
            # the package's own messages carry no data values; other errors (DuckDB's may
            # quote a value) are named by type only
            why = f"{type(exc).__name__}: {exc}" if isinstance(exc, AcoError) \
                else type(exc).__name__
            ok, detail = False, f"warehouse build failed ({why}); the previous warehouse " \
                                "is still published"
        summary.build = "ok" if ok else "failed"
        summary.messages.append(detail)
        if ok:
            state.set_flag(BUILD_OWED, None)
    finally:
        state.close()
