"""Incomplete deliveries do not wait silently: `aco run` and `aco status` say how long each
has waited, and `aco run` exits EXIT_OVERDUE once one waited longer than
[arrival] incomplete_alert_hours. Time is injected (`as_of`, the ledger's clock), never slept."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.arrival.run import EXIT_OVERDUE, run
from aco_pipeline.config import Workspace
from aco_pipeline.naming import parse_name

from .conftest import delivery_files, write_arrival

FIRST = ("CCLF0", "CCLF1", "CCLF2")


def _loose(deliveries: Path, into: Path) -> dict[str, Path]:
    """The first CCLF bundle's twelve files, unzipped into `into/all`."""
    bundle = next(p for p in delivery_files(deliveries)
                  if parse_name(p.name).kind == "cclf_bundle")
    out = {}
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            p = into / "all" / info.filename
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(zf.read(info))
            ft = parse_name(info.filename).file_type
            assert ft
            out[ft] = p
    return out


def _drop(files: dict[str, Path], types: tuple[str, ...] | list[str], drop: Path) -> None:
    drop.mkdir(parents=True, exist_ok=True)
    for ft in types:
        (drop / files[ft].name).write_bytes(files[ft].read_bytes())


def test_run_reports_the_wait_and_alerts_after_the_configured_age(
        ws: Workspace, deliveries: Path, tmp_path: Path) -> None:
    files = _loose(deliveries, tmp_path)
    drop = tmp_path / "outbound"
    _drop(files, FIRST, drop)
    write_arrival(ws, {"sources": [drop.as_uri()], "stability_seconds": 0,
                       "incomplete_alert_hours": 24})
    s = run(ws, build=False)
    assert s.exit_code == 0 and s.incomplete == 1, s.messages
    [w] = s.waiting
    assert w.hours < 1 and "missing CCLF3" in w.missing
    assert " waiting=1 oldest=0.0h " in s.line()

    later = run(ws, build=False, as_of=w.since + timedelta(hours=23))
    assert later.exit_code == 0 and later.status == "ok"
    assert " waiting=1 oldest=23.0h " in later.line()
    assert any(m.startswith(f"{w.delivery_id}: incomplete (missing CCLF3") and
               "waiting 23.0 h" in m for m in later.messages)

    late = run(ws, build=False, as_of=w.since + timedelta(hours=25))
    assert late.status == "overdue" and late.exit_code == EXIT_OVERDUE == 3
    assert late.line().startswith("aco run: overdue pulled=0 ")
    assert any("longer than incomplete_alert_hours (24.0 h)" in m for m in late.messages)

    # the rest arrives: published, nothing waits any more
    _drop(files, [ft for ft in files if ft not in FIRST], drop)
    done = run(ws, build=False, as_of=w.since + timedelta(hours=100))
    assert done.exit_code == 0 and done.published == 1 and not done.waiting
    assert "waiting=" not in done.line()


def test_alert_age_zero_never_alerts(ws: Workspace, deliveries: Path, tmp_path: Path) -> None:
    files = _loose(deliveries, tmp_path)
    drop = tmp_path / "outbound"
    _drop(files, FIRST, drop)
    write_arrival(ws, {"sources": [drop.as_uri()], "stability_seconds": 0,
                       "incomplete_alert_hours": 0})
    s = run(ws, build=False)
    s2 = run(ws, build=False, as_of=s.waiting[0].since + timedelta(days=30))
    assert s2.exit_code == 0 and s2.waiting[0].hours == 720


def test_cli_run_and_status_show_the_wait(ws: Workspace, deliveries: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import aco_pipeline.ingest.pipeline as pipeline
    from aco_pipeline.cli import app

    files = _loose(deliveries, tmp_path)
    drop = tmp_path / "outbound"
    _drop(files, FIRST, drop)
    write_arrival(ws, {"sources": [drop.as_uri()], "stability_seconds": 0})  # default: 48 h
    # the files were received years ago (the ledger's clock, not a sleep)
    monkeypatch.setattr(pipeline, "now", lambda: "2020-03-01T08:00:00+00:00")
    runner = CliRunner()
    r = runner.invoke(app, ["run", "-w", str(ws.root), "--no-build"])
    monkeypatch.undo()
    assert r.exit_code == EXIT_OVERDUE, r.output
    assert r.stdout.startswith("aco run: overdue ") and " waiting=1 oldest=" in r.stdout
    assert "since 2020-03-01T08:00" in r.stderr and "incomplete_alert_hours" in r.stderr

    r = runner.invoke(app, ["status", "-w", str(ws.root)], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "waiting" in r.output and "since 2020-03-01T08:00" in r.output
    r = runner.invoke(app, ["status", "-w", str(ws.root), "--json"])
    [row] = [d for d in json.loads(r.stdout) if d["status"] == "incomplete"]
    assert row["waiting_since"].startswith("2020-03-01T08:00")
    assert row["waiting_hours"] > 24 * 365
