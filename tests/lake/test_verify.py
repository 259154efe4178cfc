"""`aco verify`: raw copies against the ledger, lake parts against their manifests, the build
state against the lake; each kind of drift found, exit code 2, nothing repaired."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tomllib
import uuid
from pathlib import Path

import pytest
import tomli_w
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.config import Workspace, init_workspace, load_workspace
from aco_pipeline.ingest.pipeline import ingest, ledger_path
from aco_pipeline.lake.verify import Finding, VerifyReport, verify_workspace
from aco_pipeline.synth import generate
from aco_pipeline.warehouse.build_state import BuildState, lake_deliveries, write_state
from tests.arrival.servers import aws_env, moto_endpoint  # noqa: F401  (S3 fixtures)

ACO = "A9999"
SOURCES = ("cclf1", "cclf8", "bnex", "alr_1_1")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """50 beneficiaries, one monthly delivery (CCLF, ALR, BNEX)."""
    out = tmp_path_factory.mktemp("inbox")
    generate(out, beneficiaries=50, start="2024-01", months=1, seed=5, aco_id=ACO)
    return sorted((out / "deliveries").iterdir())


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, inbox: list[Path]) -> Path:
    ws = init_workspace(tmp_path_factory.mktemp("base") / "ws", aco_id=ACO,
                        performance_year=2024)
    outcomes = ingest(ws, inbox)
    assert outcomes and {o.status for o in outcomes} == {"published"}, outcomes
    return ws.root


@pytest.fixture
def ws(ingested: Path, tmp_path: Path) -> Workspace:
    """A private copy of the ingested workspace, to damage."""
    return load_workspace(Path(shutil.copytree(ingested, tmp_path / "ws")))


def snapshot(root: Path) -> dict[str, str]:
    """Every file of the workspace outside .aco (locks, ledger) by sha256."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".aco" not in p.parts}


def run_verify(ws: Workspace) -> tuple[int, dict[str, object]]:
    r = CliRunner().invoke(app, ["verify", "--workspace", str(ws.root), "--json"])
    return r.exit_code, json.loads(r.stdout)


def only(report: VerifyReport) -> Finding:
    assert len(report.findings) == 1, report.findings
    return report.findings[0]


def delivery_dirs(ws: Workspace, kind: str) -> list[Path]:
    return sorted((ws.lake_dir / "parsed").glob(f"delivery=*.{kind}.*"))


def raw_file(ws: Workspace, marker: str) -> Path:
    [p] = [p for p in (ws.raw_dir / ACO).rglob("*") if p.is_file() and marker in p.name]
    return p


def flip_byte(path: Path, at: int = 0) -> None:
    os.chmod(path, 0o644)  # raw copies are read-only
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_clean_workspace_verifies(ws: Workspace) -> None:
    expected_bytes = sum(p.stat().st_size for p in (ws.raw_dir / ACO).rglob("*") if p.is_file())
    expected_bytes += sum(p.stat().st_size for p in (ws.lake_dir / "parsed").rglob("*")
                          if p.is_file() and p.name != "_manifest.json")
    # a published warehouse built from exactly these deliveries
    write_state(ws.warehouse_path, BuildState("p", lake_deliveries(ws.lake, SOURCES)))
    code, out = run_verify(ws)
    assert code == 0, out
    assert out["clean"] is True and out["findings"] == []
    checked = out["checked"]
    assert isinstance(checked, dict)
    assert checked["raw_files"] == 3 and checked["deliveries"] == 3
    # every raw copy and every part was re-hashed, not only sized
    assert checked["bytes_hashed"] == expected_bytes
    r = CliRunner().invoke(app, ["verify", "--workspace", str(ws.root)])
    assert r.exit_code == 0 and "clean" in r.stdout


def test_flipped_byte_in_a_raw_copy(ws: Workspace) -> None:
    path = raw_file(ws, ".BNEX.")
    before_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    flip_byte(path, 10)
    before = snapshot(ws.root)
    code, out = run_verify(ws)
    assert code == 2
    [f] = out["findings"]  # type: ignore[misc]
    assert (f["kind"], f["area"]) == ("changed", "raw")
    assert f["object"] == str(path.relative_to(ws.root))
    assert f["expected"] == f"sha256 {before_sha}"
    assert f["found"] == f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}"
    assert "put back" in f["remedy"]
    assert snapshot(ws.root) == before  # nothing repaired


def test_deleted_lake_part(ws: Workspace) -> None:
    [cclf] = delivery_dirs(ws, "ZCY24")
    part = cclf / "cclf5" / "part-0.parquet"
    size = part.stat().st_size
    part.unlink()
    before = snapshot(ws.root)
    code, out = run_verify(ws)
    assert code == 2
    [f] = out["findings"]  # type: ignore[misc]
    assert (f["kind"], f["area"], f["expected"], f["found"]) == (
        "missing", "lake", f"{size} bytes", None)
    assert f["object"].endswith("cclf5/part-0.parquet")
    assert f["delivery_id"] == cclf.name.removeprefix("delivery=")
    assert snapshot(ws.root) == before


def test_truncated_lake_part(ws: Workspace) -> None:
    [bnex] = delivery_dirs(ws, "BNEX")
    part = bnex / "bnex" / "part-0.parquet"
    size = part.stat().st_size
    os.truncate(part, size - 7)
    code, out = run_verify(ws)
    assert code == 2
    [f] = out["findings"]  # type: ignore[misc]
    assert (f["kind"], f["expected"], f["found"]) == ("size", f"{size} bytes",
                                                      f"{size - 7} bytes")
    assert part.stat().st_size == size - 7


def test_altered_lake_part_of_the_same_size(ws: Workspace) -> None:
    [cclf] = delivery_dirs(ws, "ZCY24")
    part = cclf / "cclf1" / "part-0.parquet"
    flip_byte(part, part.stat().st_size // 2)
    f = only(verify_workspace(ws))
    assert (f.kind, f.area) == ("changed", "lake")
    assert f.object.endswith("cclf1/part-0.parquet")
    manifest = json.loads((cclf / "_manifest.json").read_text(encoding="utf-8"))
    [recorded] = [p["sha256"] for p in manifest["parts"] if p["path"] == "cclf1/part-0.parquet"]
    assert f.expected == f"sha256 {recorded}"
    assert "aco ingest" in f.remedy and str(ws.raw_dir / ACO / cclf.name[9:]) in f.remedy


def test_extra_file_in_a_delivery_folder(ws: Workspace) -> None:
    [alr] = delivery_dirs(ws, "QALR")
    stray = alr / "alr_1_1" / "part-1.parquet"
    stray.write_bytes(b"not from CMS")
    code, out = run_verify(ws)
    assert code == 2
    [f] = out["findings"]  # type: ignore[misc]
    assert (f["kind"], f["area"], f["found"]) == ("extra", "lake", "12 bytes")
    assert f["object"].endswith("alr_1_1/part-1.parquet")
    assert stray.read_bytes() == b"not from CMS"  # nothing removed


def test_build_state_naming_a_missing_delivery(ws: Workspace) -> None:
    sources = lake_deliveries(ws.lake, SOURCES)
    gone = "P.A9999.BNEX.Y23.D231201.T0000000"
    sources["bnex"] = (*sources["bnex"], gone)
    write_state(ws.warehouse_path, BuildState("p", sources))
    code, out = run_verify(ws)
    assert code == 2
    [f] = out["findings"]  # type: ignore[misc]
    assert (f["kind"], f["area"], f["delivery_id"]) == ("missing", "warehouse", gone)
    assert "bnex" in f["object"]


def test_missing_raw_copy_and_an_extra_raw_file(ws: Workspace) -> None:
    bnex = raw_file(ws, ".BNEX.")
    bnex.unlink()
    stray = bnex.parent / "notes.txt"
    stray.write_text("x", encoding="utf-8")
    kinds = {(f.kind, f.area, Path(f.object).name) for f in verify_workspace(ws).findings}
    assert kinds == {("missing", "raw", bnex.name), ("extra", "raw", "notes.txt")}


def test_quarantined_copy_is_hashed_not_drift(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "P.A9999.BNEX.Y24.D240301.T0000000.xml"
    bad.write_text("<not xml", encoding="utf-8")
    [o] = ingest(ws, [bad])
    assert o.status == "quarantined"
    report = verify_workspace(ws)
    assert report.clean and report.raw_files == 4, report.findings
    held = raw_file(ws, bad.name)
    flip_byte(held, 1)
    f = only(verify_workspace(ws))
    assert (f.kind, f.area, f.delivery_id) == ("changed", "raw", o.delivery_id)


def test_lost_ledger_raw_copies_checked_against_the_manifests(ws: Workspace) -> None:
    for p in ledger_path(ws).parent.glob("ingest.sqlite*"):
        p.unlink()
    assert verify_workspace(ws).clean
    path = raw_file(ws, ".QALR.")
    flip_byte(path, 3)
    f = only(verify_workspace(ws))
    assert (f.kind, f.area) == ("changed", "raw")
    assert not ledger_path(ws).exists()  # read, never created


def test_deleted_delivery_folder_and_the_remedy(ws: Workspace, tmp_path: Path) -> None:
    """The ledger says published, the lake lost the folder: missing; following the remedy
    (re-ingest from the raw copy) verifies clean again."""
    [cclf] = delivery_dirs(ws, "ZCY24")
    did = cclf.name.removeprefix("delivery=")
    shutil.move(cclf, tmp_path / "moved-away")
    f = only(verify_workspace(ws))
    assert (f.kind, f.area, f.delivery_id) == ("missing", "lake", did)
    assert f.object.endswith("_manifest.json")
    [o] = ingest(ws, [ws.raw_dir / ACO / did])
    assert o.status == "published", o.message
    assert verify_workspace(ws).clean


# --- an object-store raw store and lake (moto's S3 server) ----------------------------------

@pytest.fixture
def s3_ws(tmp_path: Path, moto_endpoint: str, aws_env: None,  # noqa: F811
          inbox: list[Path]) -> Workspace:
    import boto3

    bucket = f"aco-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1") \
        .create_bucket(Bucket=bucket)
    ws = init_workspace(tmp_path / "s3ws", aco_id=ACO, performance_year=2024)
    data = tomllib.loads(ws.config_path.read_text(encoding="utf-8"))
    data["storage"].update({"raw": f"s3://{bucket}/aco/raw", "lake": f"s3://{bucket}/aco/lake",
                            "options": {"endpoint_url": moto_endpoint}})
    ws.config_path.write_text(tomli_w.dumps(data), encoding="utf-8")
    ws = load_workspace(ws.root)
    assert {o.status for o in ingest(ws, inbox)} == {"published"}
    return ws


def test_object_store_raw_and_lake(s3_ws: Workspace) -> None:
    code, out = run_verify(s3_ws)
    assert code == 0 and out["clean"] is True, out
    assert out["checked"]["deliveries"] == 3  # type: ignore[index]

    raw_fs, lake_fs = s3_ws.raw.fs(), s3_ws.lake.fs()
    [raw_key] = [k for k in raw_fs.find(s3_ws.raw.root) if ".BNEX." in k]
    data = bytearray(raw_fs.cat_file(raw_key))
    data[5] ^= 0x01
    raw_fs.pipe_file(raw_key, bytes(data))
    [part] = [k for k in lake_fs.find(s3_ws.lake.root) if k.endswith("cclf2/part-0.parquet")]
    lake_fs.rm_file(part)
    [alr_part] = [k for k in lake_fs.find(s3_ws.lake.root)
                  if k.endswith("alr_1_2/part-0.parquet")]
    lake_fs.pipe_file(alr_part, lake_fs.cat_file(alr_part)[:-3])
    before = {k: v["size"] for k, v in lake_fs.find(s3_ws.lake.root, detail=True).items()}

    code, out = run_verify(s3_ws)
    assert code == 2
    found = {(f["kind"], f["area"], f["object"]) for f in out["findings"]}  # type: ignore[union-attr]
    assert found == {("changed", "raw", f"s3://{raw_key}"), ("missing", "lake", f"s3://{part}"),
                     ("size", "lake", f"s3://{alr_part}")}
    lake_fs.invalidate_cache()
    assert {k: v["size"] for k, v in lake_fs.find(s3_ws.lake.root, detail=True).items()} \
        == before  # nothing repaired
