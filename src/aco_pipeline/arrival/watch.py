"""`aco watch DIR`: ingest deliveries dropped into a folder, once each, when they are complete.

A file is complete when its size and modification time stayed the same for
`stability_seconds` and (on Linux) no process has it open for writing. File-system events
(watchdog) say when to look; a rescan every `poll_seconds` catches what events miss (network
file systems, events lost while the watcher was down). Files are left where they are: the
arrival state remembers each one (path, size, mtime) and the ingest ledger remembers each
raw file, so a restarted watcher does not ingest anything twice.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aco_pipeline.arrival.pull import FileResult
from aco_pipeline.arrival.state import ArrivalState
from aco_pipeline.config import Workspace
from aco_pipeline.ingest.pipeline import Outcome, ProgressSink, ingest
from aco_pipeline.naming import UnrecognisedFileName, parse_name

MAX_DEPTH = 4


@dataclass(slots=True)
class WatchResult:
    files: list[FileResult] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def _source(folder: Path) -> str:
    return f"watch:{folder.resolve()}"


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def open_for_writing(path: Path) -> bool:
    """Whether a process on this machine has `path` open for writing (Linux /proc; False
    where /proc cannot tell, so stability alone decides there)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return False
    try:
        target = str(path.resolve())
    except OSError:
        return False
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        fd_dir = proc / pid / "fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd_dir / fd) != target:
                    continue
                info = (proc / pid / "fdinfo" / fd).read_text()
            except OSError:
                continue
            for line in info.splitlines():
                if line.startswith("flags:") and int(line.split()[1], 8) & 0o3:
                    return True
    return False


class DropFolder:
    """The candidates of one drop folder and what to do with them."""

    def __init__(self, ws: Workspace, folder: Path, state: ArrivalState) -> None:
        self.ws = ws
        self.folder = folder
        self.state = state
        self.source = _source(folder)

    def candidate(self, path: Path, result: WatchResult | None = None) -> bool:
        """Whether `path` is a CMS file of this ACO not handled before."""
        try:
            rel = path.relative_to(self.folder)
        except ValueError:
            return False
        if any(p.startswith(".") for p in rel.parts) or not path.is_file():
            return False
        sig = _signature(path)
        if sig is None:
            return False
        try:
            name = parse_name(path.name)
        except UnrecognisedFileName:
            if result is not None:
                result.files.append(FileResult(path.name, str(path), "ignored",
                                               "not a CMS file name"))
            return False
        if name.entity_id != self.ws.aco_id:
            if result is not None:
                result.files.append(FileResult(path.name, str(path), "ignored",
                                               f"for {name.entity_id}, not {self.ws.aco_id}"))
            return False
        if self.state.seen(self.source, str(path), sig[0], str(sig[1])) is not None:
            return False
        known = self.state.ingested(path.name)
        if known is not None and known.size == sig[0] and not known.quarantined:
            self.state.record(self.source, str(path), path.name, sig[0], str(sig[1]),
                              known.sha256, "unchanged", name.delivery_id)
            return False
        return True

    def scan(self, result: WatchResult | None = None) -> list[Path]:
        out: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(self.folder):
            depth = len(Path(dirpath).relative_to(self.folder).parts)
            dirnames[:] = sorted(d for d in dirnames
                                 if not d.startswith(".") and depth < MAX_DEPTH)
            for fn in sorted(filenames):
                p = Path(dirpath) / fn
                if self.candidate(p, result):
                    out.append(p)
        return out

    def ingest(self, paths: list[Path], result: WatchResult,
               progress: ProgressSink | None) -> None:
        sigs = {p: _signature(p) for p in paths}
        outcomes = ingest(self.ws, paths, progress=progress)
        result.outcomes.extend(outcomes)
        by_delivery = {o.delivery_id: o for o in outcomes if o.delivery_id}
        for p in paths:
            did = parse_name(p.name).delivery_id
            o = by_delivery.get(did)
            status = o.status if o else "ingested"
            sig = sigs[p]
            if sig is not None:
                self.state.record(self.source, str(p), p.name, sig[0], str(sig[1]), None,
                                  status, did)
            result.files.append(FileResult(p.name, str(p), "ingested", status))


def process_once(ws: Workspace, folder: Path, *, stability_seconds: float,
                 progress: ProgressSink | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> WatchResult:
    """Ingest what is complete in `folder` now; files still being written wait for next time."""
    folder = folder.resolve()
    result = WatchResult()
    state = ArrivalState(ws)
    try:
        drop = DropFolder(ws, folder, state)
        first = {p: _signature(p) for p in drop.scan(result)}
        if first and stability_seconds > 0:
            sleep(stability_seconds)
        ready = []
        for p, sig in first.items():
            if _signature(p) != sig:
                result.files.append(FileResult(p.name, str(p), "growing",
                                               "still being written; next time"))
            elif open_for_writing(p):
                result.files.append(FileResult(p.name, str(p), "growing",
                                               "open for writing by another process"))
            else:
                ready.append(p)
        if ready:
            drop.ingest(ready, result, progress)
    finally:
        state.close()
    return result


def watch(ws: Workspace, folder: Path, *, stability_seconds: float, poll_seconds: float,
          stop: threading.Event, on_result: Callable[[WatchResult], None],
          progress: ProgressSink | None = None) -> None:
    """Watch `folder` until `stop` is set; each batch ingested is passed to `on_result`."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    folder = folder.resolve()
    lock = threading.Lock()
    touched: set[Path] = set()
    wake = threading.Event()

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.is_directory:
                return
            paths = [event.src_path, getattr(event, "dest_path", "")]
            with lock:
                touched.update(Path(os.fsdecode(p)) for p in paths if p)
            wake.set()

    state = ArrivalState(ws)
    observer = Observer()
    observer.schedule(Handler(), str(folder), recursive=True)
    observer.start()
    try:
        drop = DropFolder(ws, folder, state)
        # path -> (signature, monotonic time it was first seen with that signature)
        pending: dict[Path, tuple[tuple[int, int] | None, float]] = {}
        last_scan = float("-inf")
        tick = max(min(poll_seconds, stability_seconds / 2 if stability_seconds else 0.5), 0.02)
        while not stop.is_set():
            now = time.monotonic()
            fresh: set[Path] = set()
            if now - last_scan >= poll_seconds:
                fresh.update(drop.scan())
                last_scan = now
            with lock:
                fresh.update(touched)
                touched.clear()
            for p in fresh:
                if p not in pending and drop.candidate(p):
                    pending[p] = (_signature(p), now)
            ready = []
            for p, (sig, since) in list(pending.items()):
                current = _signature(p)
                if current is None:
                    del pending[p]
                elif current != sig:
                    pending[p] = (current, now)
                elif now - since >= stability_seconds and not open_for_writing(p):
                    ready.append(p)
                    del pending[p]
            if ready:
                result = WatchResult()
                drop.ingest(sorted(ready), result, progress)
                on_result(result)
            wake.wait(tick)
            wake.clear()
    finally:
        observer.stop()
        observer.join(timeout=5)
        state.close()
