"""A workspace whose raw store and lake are s3:// URLs, on moto's S3 server on 127.0.0.1.

Same deliveries, same warehouse as a local workspace; an interrupted publish is invisible and
completed by the next ingest; a raw file is never replaced; a lost ledger is rebuilt from the
manifests in the bucket.
"""

from __future__ import annotations

import json
import tomllib
import uuid
from datetime import date
from pathlib import Path

import pytest
import tomli_w

from aco_pipeline.config import Workspace, WorkspaceError, load_workspace
from aco_pipeline.ingest.ledger import Ledger
from aco_pipeline.ingest.pipeline import ingest, ledger_path, recover
from aco_pipeline.lake import publish as lake_publish
from aco_pipeline.lake.publish import remote_lake
from aco_pipeline.warehouse import reports
from aco_pipeline.warehouse.build import build_warehouse, lake_globs
from aco_pipeline.warehouse.build_state import lake_deliveries

from .helpers import deliveries_in, new_workspace


def set_storage(ws: Workspace, storage: dict[str, object]) -> Workspace:
    data = tomllib.loads(ws.config_path.read_text(encoding="utf-8"))
    data["storage"] = {**data["storage"], **storage}
    ws.config_path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_workspace(ws.root)


@pytest.fixture
def s3_ws(tmp_path: Path, moto_endpoint: str, aws_env: None) -> Workspace:
    """A workspace whose raw store and lake live in a fresh bucket of the moto server."""
    import boto3

    bucket = f"aco-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1") \
        .create_bucket(Bucket=bucket)
    ws = new_workspace(tmp_path / "s3ws")
    return set_storage(ws, {"raw": f"s3://{bucket}/aco/raw", "lake": f"s3://{bucket}/aco/lake",
                            "options": {"endpoint_url": moto_endpoint}})


def objects(ws: Workspace, which: str = "lake") -> dict[str, int]:
    store = ws.lake if which == "lake" else ws.raw
    fs = store.fs()
    return {k.removeprefix(store.root + "/"): int(v["size"])
            for k, v in fs.find(store.root, detail=True).items()}


def bnex_file(inbox: Path) -> Path:
    return next(p for p in deliveries_in(inbox) if ".BNEX." in p.name)


def test_s3_workspace_builds_the_same_warehouse(s3_ws: Workspace, tmp_path: Path,
                                                small_inbox: Path) -> None:
    files = deliveries_in(small_inbox)
    out = ingest(s3_ws, files)
    assert out and {o.status for o in out} == {"published"}, [o.message for o in out]
    assert s3_ws.lake.url.startswith("s3://") and s3_ws.raw.url.startswith("s3://")

    stored = objects(s3_ws)
    for o in out:
        manifest = json.loads(s3_ws.lake.fs().cat_file(
            s3_ws.lake.path("parsed", f"delivery={o.delivery_id}", "_manifest.json")))
        assert manifest["parts"], o.delivery_id
        for part in manifest["parts"]:
            assert stored[f"parsed/delivery={o.delivery_id}/{part['path']}"] == part["size"]
    raw = objects(s3_ws, "raw")
    for p in files:
        [key] = [k for k in raw if k.endswith("/" + p.name)]
        assert raw[key] == p.stat().st_size
        assert s3_ws.raw.fs().cat_file(s3_ws.raw.path(key)) == p.read_bytes()
    # nothing of the lake or raw copies stays on the local disk
    assert not [p for p in s3_ws.raw_dir.rglob("*") if p.is_file()]
    assert not [p for p in s3_ws.lake_dir.rglob("*") if p.is_file()]

    # a second ingest of the same bytes changes nothing
    again = ingest(s3_ws, files)
    assert {o.status for o in again} == {"unchanged"}
    assert objects(s3_ws) == stored

    local = new_workspace(tmp_path / "local")
    assert {o.status for o in ingest(local, files)} == {"published"}
    for ws in (s3_ws, local):
        result = build_warehouse(ws, docs=False)
        assert result.success, result.failures
    globs = lake_globs(s3_ws.lake, s3_ws.state_dir / "warehouse" / "empty_sources")
    assert all(u.startswith("s3://") for u in globs["cclf1"])

    start, end = date(2024, 1, 1), date(2024, 12, 31)
    by_month = [reports.spend(ws, start=start, end=end, by="month") for ws in (s3_ws, local)]
    assert by_month[0].rows and by_month[0] == by_month[1]
    by_bene = [reports.spend(ws, start=start, end=end) for ws in (s3_ws, local)]
    assert by_bene[0] == by_bene[1]
    enrollment = [reports.enrollment(ws) for ws in (s3_ws, local)]
    assert enrollment[0].rows and enrollment[0] == enrollment[1]


def test_interrupted_publish_is_invisible_and_completed_next_time(
        s3_ws: Workspace, small_inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bnex = bnex_file(small_inbox)
    did = bnex.name.removesuffix(".xml")

    def fail(fs: object, key: str, data: bytes) -> None:
        raise OSError("connection lost before the manifest was written")

    with monkeypatch.context() as m, pytest.raises(OSError, match="connection lost"):
        m.setattr(lake_publish, "commit_manifest", fail)
        ingest(s3_ws, [bnex])
    prefix = f"parsed/delivery={did}/"
    left = [k for k in objects(s3_ws) if k.startswith(prefix)]
    assert left == [prefix + "bnex/part-0.parquet"], left  # the part, and no manifest
    listing = remote_lake(s3_ws.lake)
    assert did not in listing.committed and listing.orphans
    stand_ins = s3_ws.state_dir / "warehouse" / "empty_sources"
    assert lake_globs(s3_ws.lake, stand_ins)["bnex"] == [str(stand_ins / "*/bnex/*.parquet")]
    ledger = Ledger(ledger_path(s3_ws))
    try:
        assert ledger.delivery(did) is None
    finally:
        ledger.close()

    # the next ingest (of anything) removes the orphan part; ingesting the file completes it
    assert ingest(s3_ws, []) == []
    assert not [k for k in objects(s3_ws) if k.startswith(prefix)]
    [o] = ingest(s3_ws, [bnex])
    assert o.status == "published", o.message
    assert remote_lake(s3_ws.lake).committed.keys() == {did}
    [url] = lake_globs(s3_ws.lake, stand_ins)["bnex"]
    assert url == s3_ws.lake.url_of(prefix + "bnex/part-0.parquet")
    # what an incremental build compares: the committed deliveries per source
    assert lake_deliveries(s3_ws.lake, ("bnex", "cclf1")) == {"bnex": (did,), "cclf1": ()}


def test_same_name_other_bytes_refused(s3_ws: Workspace, small_inbox: Path,
                                       tmp_path: Path) -> None:
    bnex = bnex_file(small_inbox)
    [first] = ingest(s3_ws, [bnex])
    assert first.status == "published"
    stored_before = objects(s3_ws, "raw")
    other = tmp_path / "other" / bnex.name
    other.parent.mkdir()
    other.write_bytes(bnex.read_bytes().replace(b"<Gender>", b"<Gender >", 1))
    [o] = ingest(s3_ws, [other])
    assert o.status == "rejected" and "a different file of this name" in o.message
    # also when the ledger is gone and the stored object must be read to be compared
    ledger_path(s3_ws).unlink()
    [o] = ingest(s3_ws, [other])
    assert o.status == "rejected" and "a different file of this name" in o.message
    assert objects(s3_ws, "raw") == stored_before
    key = next(iter(stored_before))
    assert s3_ws.raw.fs().cat_file(s3_ws.raw.path(key)) == bnex.read_bytes()


def test_recover_rebuilds_the_ledger_from_remote_manifests(s3_ws: Workspace,
                                                          small_inbox: Path) -> None:
    files = deliveries_in(small_inbox)
    assert {o.status for o in ingest(s3_ws, files)} == {"published"}
    ledger = Ledger(ledger_path(s3_ws))
    before = {r.delivery_id: (r.status, r.content_key) for r in ledger.deliveries()}
    raw_before = {r["name"]: (r["size"], r["sha256"], r["raw_path"]) for r in ledger.raw_files()}
    ledger.close()
    for p in s3_ws.state_dir.glob("ingest.sqlite*"):
        p.unlink()

    ledger = Ledger(ledger_path(s3_ws))
    try:
        recover(s3_ws, ledger)
        after = {r.delivery_id: (r.status, r.content_key) for r in ledger.deliveries()}
        raw_after = {r["name"]: (r["size"], r["sha256"], r["raw_path"])
                     for r in ledger.raw_files()}
        assert {e[2] for e in ledger.events()} == {"recovered"}
    finally:
        ledger.close()
    assert after == before and len(after) == len(files)
    assert raw_after == raw_before
    assert all(str(v[2]).startswith("s3://") for v in raw_after.values())
    assert {o.status for o in ingest(s3_ws, files)} == {"unchanged"}


def test_storage_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACO_S3_ENDPOINT_URL", raising=False)
    ws = new_workspace(tmp_path / "ws")
    with pytest.raises(WorkspaceError, match=r"secret: credentials do not belong in aco\.toml"):
        set_storage(ws, {"lake": "s3://b/lake", "options": {"secret": "x"}})
    with pytest.raises(WorkspaceError, match="credentials do not belong in a storage URL"):
        set_storage(ws, {"lake": "s3://me:pw@b/lake", "options": {}})
    with pytest.raises(WorkspaceError, match="names no bucket"):
        set_storage(ws, {"lake": "s3://", "options": {}})
    remote = set_storage(ws, {"lake": "s3://b/lake/", "options": {"s3": {"anon": False}}})
    assert remote.lake.url == "s3://b/lake" and dict(remote.lake.options) == {"anon": False}
    assert remote.raw.is_local and remote.raw_dir == ws.root / "raw"
    assert remote.lake_dir == ws.root / ".aco" / "work" / "lake"
    monkeypatch.setenv("ACO_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    assert load_workspace(ws.root).lake.options["endpoint_url"] == "http://127.0.0.1:9"
    data = tomllib.loads(ws.config_path.read_text(encoding="utf-8"))
    data["engine"]["name"] = "spark"
    ws.config_path.write_text(tomli_w.dumps(data), encoding="utf-8")
    with pytest.raises(WorkspaceError, match="'spark' needs a local \\[storage\\] lake"):
        load_workspace(ws.root)
    local = set_storage(ws, {"lake": "file://" + str(tmp_path / "elsewhere"), "options": {}})
    assert local.lake.is_local and local.lake_dir == tmp_path / "elsewhere"


def test_s3_quarantined_delivery_is_superseded(s3_ws: Workspace, tmp_path: Path,
                                               small_inbox: Path) -> None:
    import hashlib

    from .bad_inputs import _corrupt_zip
    from .helpers import cclf_bundles, extract

    bundle = cclf_bundles(small_inbox)[0]
    work = tmp_path / "corrupt"
    work.mkdir()
    [bad] = _corrupt_zip(extract(bundle, tmp_path / "x"), bundle.name, work)
    assert [o.status for o in ingest(s3_ws, [bad])] == ["quarantined"]
    [out] = ingest(s3_ws, [bundle])
    assert out.status == "published", out.message
    key = s3_ws.raw.path(s3_ws.aco_id, bundle.name, bundle.name)
    assert s3_ws.raw.fs().cat_file(key) == bundle.read_bytes()
    digest = hashlib.sha256(bad.read_bytes()).hexdigest()
    kept = s3_ws.quarantine_dir / "refused" / bundle.name / digest / bundle.name
    assert kept.read_bytes() == bad.read_bytes()
    ledger = Ledger(ledger_path(s3_ws))
    try:
        assert [r["sha256"] for r in ledger.refused_files(bundle.name)] == [digest]
    finally:
        ledger.close()
