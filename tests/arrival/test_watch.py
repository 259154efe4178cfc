"""`aco watch DIR`: a drop folder ingested once per file, when the file is complete."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from typer.testing import CliRunner

from aco_pipeline.arrival.watch import WatchResult, process_once, watch
from aco_pipeline.config import Workspace

from .conftest import copy_all, delivery_files


def _cli(args: list[str]):  # type: ignore[no-untyped-def]
    import aco_pipeline.cli.watch  # noqa: F401  (registers the command)
    from aco_pipeline.cli.app import app

    return CliRunner().invoke(app, args)


def test_watch_once_ingests_then_survives_a_restart(ws: Workspace, deliveries: Path,
                                                    tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    copy_all(deliveries, drop)
    (drop / "notes.txt").write_text("not a CMS file")
    res = _cli(["watch", str(drop), "--once", "--stability", "0.05", "-w", str(ws.root)])
    assert res.exit_code == 0, res.output
    assert sum(line.split()[:1] == ["published"] for line in res.stdout.splitlines()) == 5
    again = _cli(["watch", str(drop), "--once", "--stability", "0.05", "-w", str(ws.root)])
    assert again.exit_code == 0
    assert "nothing new to ingest" in again.stdout
    assert "published" not in again.stdout


def test_watch_once_waits_for_a_writer(ws: Workspace, deliveries: Path,
                                       tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    bnex = next(p for p in delivery_files(deliveries) if ".BNEX." in p.name)
    target = drop / bnex.name
    with target.open("wb") as fh:  # held open for writing: not complete yet
        fh.write(bnex.read_bytes())
        fh.flush()
        r = process_once(ws, drop, stability_seconds=0.05)
        assert [f.status for f in r.files] == ["growing"] and not r.outcomes
    r2 = process_once(ws, drop, stability_seconds=0.05)
    assert [o.status for o in r2.outcomes] == ["published"]


def test_watch_once_file_growing_between_checks(ws: Workspace, deliveries: Path,
                                                tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    bnex = next(p for p in delivery_files(deliveries) if ".BNEX." in p.name)
    data = bnex.read_bytes()
    target = drop / bnex.name
    target.write_bytes(data[:50])

    def grow(seconds: float) -> None:  # another writer appends while we wait
        target.write_bytes(data)

    r = process_once(ws, drop, stability_seconds=0.05, sleep=grow)
    assert [f.status for f in r.files] == ["growing"] and not r.outcomes
    r2 = process_once(ws, drop, stability_seconds=0.05)
    assert [o.status for o in r2.outcomes] == ["published"]


def test_watch_loop_picks_up_a_dropped_delivery(ws: Workspace, deliveries: Path,
                                                tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    results: list[WatchResult] = []
    got = threading.Event()
    stop = threading.Event()

    def on_result(r: WatchResult) -> None:
        results.append(r)
        got.set()

    t = threading.Thread(target=watch, args=(ws, drop), kwargs={
        "stability_seconds": 0.2, "poll_seconds": 5.0, "stop": stop, "on_result": on_result})
    t.start()
    try:
        bundle = next(p for p in delivery_files(deliveries) if ".ZCY24." in p.name)
        data = bundle.read_bytes()
        time.sleep(0.1)  # let the observer start
        with (drop / bundle.name).open("wb") as fh:  # written in pieces
            for i in range(0, len(data), 4096):
                fh.write(data[i:i + 4096])
                fh.flush()
                time.sleep(0.01)
        assert got.wait(timeout=15), "the watcher did not ingest the dropped delivery"
    finally:
        stop.set()
        t.join(timeout=10)
    assert not t.is_alive()
    outcomes = [o for r in results for o in r.outcomes]
    assert [o.status for o in outcomes] == ["published"]
