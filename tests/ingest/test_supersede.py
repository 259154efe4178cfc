"""A quarantined (never published) delivery is superseded by a new copy of the same name;
the refused copy stays in the quarantine with its sha256 and reason. A published delivery
is never replaced."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.config import Workspace
from aco_pipeline.ingest import supersede as supersede_module
from aco_pipeline.ingest.ledger import Ledger
from aco_pipeline.ingest.pipeline import ingest, ledger_path

from .bad_inputs import _corrupt_zip, _count, _set_cclf0
from .helpers import cclf_bundles, extract, lake_snapshot, new_workspace


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def ledger_of(ws: Workspace) -> Ledger:
    return Ledger(ledger_path(ws))


def corrupt_copy(bundle: Path, tmp_path: Path) -> Path:
    files = extract(bundle, tmp_path / "corrupt-x")
    work = tmp_path / "corrupt"
    work.mkdir()
    [z] = _corrupt_zip(files, bundle.name, work)
    return z


def test_corrupt_zip_then_intact_zip_is_published(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    bad = corrupt_copy(bundle, tmp_path)
    [first] = ingest(ws, [bad])
    assert first.status == "quarantined"
    reason = first.message

    [second] = ingest(ws, [bundle])
    assert second.status == "published", second.message
    assert "superseded the refused copy" in second.message and sha(bad) in second.message
    assert (ws.lake_dir / "parsed" / f"delivery={bundle.name}" / "_manifest.json").is_file()

    # raw/ holds the intact bytes; the refused bytes are kept, read-only, with their reason
    raw = ws.raw_dir / ws.aco_id / bundle.name / bundle.name
    assert raw.read_bytes() == bundle.read_bytes()
    kept = ws.quarantine_dir / "refused" / bundle.name / sha(bad) / bundle.name
    assert kept.read_bytes() == bad.read_bytes()
    assert not kept.stat().st_mode & 0o222
    note = json.loads((kept.parent / "reason.json").read_text())
    assert (note["sha256"], note["reason"], note["superseded_by"]) == \
        (sha(bad), reason, sha(bundle))

    ledger = ledger_of(ws)
    try:
        [row] = ledger.refused_files(bundle.name)
        assert (row["name"], row["sha256"], row["size"], row["reason"]) == \
            (bundle.name, sha(bad), bad.stat().st_size, reason)
        assert row["kept_at"] == str(kept.relative_to(ws.root))
        raw_row = ledger.raw_file(bundle.name)
        assert raw_row is not None and raw_row["sha256"] == sha(bundle)
        delivery = ledger.delivery(bundle.name)
        assert delivery is not None and delivery.status == "published"
        outcomes = [e[2] for e in ledger.events()]
        assert "superseded" in outcomes
    finally:
        ledger.close()

    # `aco status` lists both copies, the one in raw/ and the refused one
    runner = CliRunner()
    r = runner.invoke(app, ["status", "--workspace", str(ws.root)], env={"COLUMNS": "500"})
    assert r.exit_code == 0, r.output
    assert sha(bad) in r.output and sha(bundle) in r.output and "refused" in r.output
    r = runner.invoke(app, ["status", "--workspace", str(ws.root), "--json"])
    [j] = [d for d in json.loads(r.output) if d["delivery_id"] == bundle.name]
    assert j["status"] == "published"
    assert [c["sha256"] for c in j["raw_files"]] == [sha(bundle)]
    assert [(c["sha256"], c["reason"]) for c in j["refused"]] == [(sha(bad), reason)]

    # published: other bytes of the same name are refused, nothing changes
    before = lake_snapshot(ws)
    [third] = ingest(ws, [bad])
    assert third.status == "rejected"
    assert "a different file of this name was received before" in third.message
    assert raw.read_bytes() == bundle.read_bytes() and lake_snapshot(ws) == before


def test_loose_cclf0_with_a_wrong_count_then_the_right_one(tmp_path: Path,
                                                          small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    good = extract(bundle, tmp_path / "good")
    bad = extract(bundle, tmp_path / "bad")
    _set_cclf0(bad, "CCLF2", count=_count(bad, "CCLF2") + 1)
    [first] = ingest(ws, [bad[ft] for ft in sorted(bad)])
    assert first.status == "quarantined" and "says" in first.message

    [second] = ingest(ws, [good["CCLF0"]])  # only the corrected summary file is sent again
    assert second.status == "published", second.message
    ledger = ledger_of(ws)
    try:
        [row] = ledger.refused_files(bundle.name)
        assert row["name"] == good["CCLF0"].name and row["sha256"] == sha(bad["CCLF0"])
        assert row["reason"] == first.message
    finally:
        ledger.close()
    kept = ws.quarantine_dir / "refused" / bundle.name / sha(bad["CCLF0"]) / good["CCLF0"].name
    assert kept.read_bytes() == bad["CCLF0"].read_bytes()


def test_the_refused_bytes_again_change_nothing(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    bad = extract(bundle, tmp_path / "bad")
    worse = extract(bundle, tmp_path / "worse")
    _set_cclf0(bad, "CCLF2", count=_count(bad, "CCLF2") + 1)
    _set_cclf0(worse, "CCLF3", count=_count(worse, "CCLF3") + 1)
    assert ingest(ws, [bad[ft] for ft in sorted(bad)])[0].status == "quarantined"
    # a second copy that is also wrong supersedes the first and is quarantined in turn
    [again] = ingest(ws, [worse["CCLF0"]])
    assert again.status == "quarantined" and ".ZC3Y24." in again.message
    # the first refused copy once more: said so, nothing changed
    [same] = ingest(ws, [bad["CCLF0"]])
    assert same.status == "unchanged" and "refused before" in same.message
    ledger = ledger_of(ws)
    try:
        assert {r["sha256"] for r in ledger.refused_files(bundle.name)} == {sha(bad["CCLF0"])}
        raw = ledger.raw_file(bad["CCLF0"].name)
        assert raw is not None and raw["sha256"] == sha(worse["CCLF0"])
    finally:
        ledger.close()


def test_a_published_delivery_is_never_replaced(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    assert ingest(ws, [bundle])[0].status == "published"
    before = lake_snapshot(ws)
    [out] = ingest(ws, [corrupt_copy(bundle, tmp_path)])
    assert out.status == "rejected"
    assert "a different file of this name was received before" in out.message
    assert lake_snapshot(ws) == before
    assert not (ws.quarantine_dir / "refused").exists()
    ledger = ledger_of(ws)
    try:
        assert ledger.refused_files() == []
    finally:
        ledger.close()


def test_an_interrupted_supersede_is_finished_by_the_next_run(
        tmp_path: Path, small_inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    bad = corrupt_copy(bundle, tmp_path)
    assert ingest(ws, [bad])[0].status == "quarantined"
    remove = supersede_module._remove_stored

    def killed(*args: object) -> None:  # the raw copy is removed, then the run dies
        remove(*args)  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(supersede_module, "_remove_stored", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest(ws, [bundle])
    monkeypatch.undo()
    raw = ws.raw_dir / ws.aco_id / bundle.name / bundle.name
    assert not raw.exists()
    kept = ws.quarantine_dir / "refused" / bundle.name / sha(bad) / bundle.name
    assert kept.read_bytes() == bad.read_bytes()

    [out] = ingest(ws, [bundle])
    assert out.status == "published", out.message
    assert raw.read_bytes() == bundle.read_bytes() and kept.read_bytes() == bad.read_bytes()
    ledger = ledger_of(ws)
    try:
        assert [r["sha256"] for r in ledger.refused_files()] == [sha(bad)]
    finally:
        ledger.close()


def test_incomplete_delivery_is_not_superseded(tmp_path: Path, small_inbox: Path) -> None:
    """Only a delivery that was checked and quarantined is superseded."""
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    files = extract(bundle, tmp_path / "x")
    assert ingest(ws, [files["CCLF0"]])[0].status == "incomplete"
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(files["CCLF0"], other / files["CCLF0"].name)
    (other / files["CCLF0"].name).write_bytes(files["CCLF0"].read_bytes() + b" ")
    [out] = ingest(ws, [other / files["CCLF0"].name])
    assert out.status == "rejected"
