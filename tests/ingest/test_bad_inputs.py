"""Every bad input gives its clear error and leaves the lake exactly as it was."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from aco_pipeline.ingest.ledger import Ledger
from aco_pipeline.ingest.pipeline import ingest, ledger_path

from .bad_inputs import CASES, Case
from .helpers import cclf_bundles, extract, lake_snapshot, new_workspace


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    good, victim = cclf_bundles(small_inbox)[:2]
    assert [o.status for o in ingest(ws, [good])] == ["published"]
    before = lake_snapshot(ws)

    work = tmp_path / "work"
    work.mkdir()
    files = extract(victim, tmp_path / "extracted")
    paths = case.make(files, victim.name, work)
    outcomes = ingest(ws, paths)

    assert [o.status for o in outcomes] == [case.status], [o.message for o in outcomes]
    message = outcomes[0].message
    for pattern in case.message:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"
    for value in case.forbidden:
        assert value not in message, "the bad value leaked into the message"
    assert lake_snapshot(ws) == before, "the lake changed"
    assert not any((ws.lake_dir / "_staging").iterdir())
    if case.status == "quarantined":
        report = json.loads((ws.quarantine_dir / f"{victim.name}.json").read_text())
        assert report["error"] == message
        ledger = Ledger(ledger_path(ws))
        row = ledger.delivery(victim.name)
        ledger.close()
        assert row is not None and row.status == "quarantined"
        # the same bad bytes again: nothing changes, and it says so
        again = ingest(ws, paths)
        assert again[0].status == "unchanged" and "already quarantined" in again[0].message


def test_duplicate_delivery(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    good = cclf_bundles(small_inbox)[0]
    ingest(ws, [good])
    before = lake_snapshot(ws)
    copy = tmp_path / "again"
    copy.mkdir()
    shutil.copy(good, copy / good.name)
    out = ingest(ws, [copy / good.name])
    assert out[0].status == "unchanged" and "already ingested, nothing changed" in out[0].message
    assert lake_snapshot(ws) == before


def test_same_name_other_bytes_is_refused(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    good = cclf_bundles(small_inbox)[0]
    ingest(ws, [good])
    before = lake_snapshot(ws)
    raw_before = (ws.raw_dir / ws.aco_id / good.name / good.name).read_bytes()
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / good.name).write_bytes(good.read_bytes() + b"\0")
    out = ingest(ws, [forged / good.name])
    assert out[0].status == "rejected"
    assert "a different file of this name was received before" in out[0].message
    assert lake_snapshot(ws) == before
    assert (ws.raw_dir / ws.aco_id / good.name / good.name).read_bytes() == raw_before


def test_retry_rechecks_a_quarantined_delivery(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    victim = cclf_bundles(small_inbox)[0]
    files = extract(victim, tmp_path / "x")
    files["CCLF8"].write_bytes(b"")
    from .helpers import rezip

    bad = rezip(files, victim.name, tmp_path)
    assert ingest(ws, [bad])[0].status == "quarantined"
    out = ingest(ws, [bad], retry=True)
    assert out[0].status == "quarantined"
