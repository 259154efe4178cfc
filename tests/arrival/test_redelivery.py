"""A delivery quarantined for damaged bytes is fetched again when the source's copy changes,
even at the same size, and the intact copy supersedes it (pull and watch)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from aco_pipeline.arrival.pull import pull
from aco_pipeline.arrival.watch import process_once
from aco_pipeline.config import Workspace
from aco_pipeline.naming import parse_name

from .conftest import delivery_files


def _bundle(deliveries: Path) -> Path:
    return next(p for p in delivery_files(deliveries) if parse_name(p.name).kind == "cclf_bundle")


def _damaged_same_size(good: Path, target: Path) -> None:
    data = bytearray(good.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = bytes(64)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(bytes(data))
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))  # an old mtime: the fix is newer


def test_pull_fetches_the_intact_copy_of_a_quarantined_delivery(
        ws: Workspace, deliveries: Path, tmp_path: Path) -> None:
    bundle = _bundle(deliveries)
    drop = tmp_path / "outbound"
    _damaged_same_size(bundle, drop / bundle.name)
    [r] = pull(ws, [drop.as_uri()], stability_seconds=0)
    assert [o.status for o in r.outcomes] == ["quarantined"], r.outcomes
    # the source's copy is replaced by the intact bytes (same name, same size)
    shutil.copyfile(bundle, drop / bundle.name)
    [r2] = pull(ws, [drop.as_uri()], stability_seconds=0)
    assert [o.status for o in r2.outcomes] == ["published"], [f.detail for f in r2.files]
    [r3] = pull(ws, [drop.as_uri()], stability_seconds=0)
    assert r3.pulled == 0 and not r3.outcomes


def test_watch_takes_the_intact_copy_of_a_quarantined_delivery(
        ws: Workspace, deliveries: Path, tmp_path: Path) -> None:
    bundle = _bundle(deliveries)
    drop = tmp_path / "drop"
    _damaged_same_size(bundle, drop / bundle.name)
    first = process_once(ws, drop, stability_seconds=0)
    assert [o.status for o in first.outcomes] == ["quarantined"]
    shutil.copyfile(bundle, drop / bundle.name)
    second = process_once(ws, drop, stability_seconds=0)
    assert [o.status for o in second.outcomes] == ["published"]
    third = process_once(ws, drop, stability_seconds=0)
    assert not third.outcomes
