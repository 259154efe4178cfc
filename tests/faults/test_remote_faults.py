"""`aco ingest` into an S3 raw store and lake (moto's server on 127.0.0.1), killed with
SIGKILL at seeded points, most of them S3 requests (part uploads, the manifest PUT that
commits a delivery, the deletion of orphans).

After each kill a reader sees only committed deliveries, each exactly as the clean run wrote
it; a rerun converges on the clean lake row for row.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from aco_pipeline.config import Workspace, load_workspace
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.lake.publish import remote_lake
from tests.ingest.helpers import new_workspace
from tests.ingest.test_remote_storage import set_storage

from . import harness as h
from .conftest import SEED, Inbox

KILL_POINTS = 3


def _s3_workspace(root: Path, endpoint: str) -> Workspace:
    import boto3

    bucket = f"faults-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket)
    ws = new_workspace(root)
    return set_storage(ws, {"raw": f"s3://{bucket}/raw", "lake": f"s3://{bucket}/lake",
                            "options": {"endpoint_url": endpoint}})


def _args(ws: Workspace, inbox: Inbox) -> list[str]:
    return ["ingest", "--workspace", str(ws.root), *map(str, inbox.all)]


def test_sigkill_during_remote_publish_then_rerun_converges(
        tmp_path: Path, inbox: Inbox, moto_endpoint: str, aws_env: None) -> None:
    local = new_workspace(tmp_path / "local")
    assert {o.status for o in ingest(local, inbox.all)} == {"published"}
    expected = h.lake_rows(local.lake_dir)

    clean = _s3_workspace(tmp_path / "clean", moto_endpoint)
    run, points = h.record_points(_args(clean, inbox), tmp_path / "points.txt")
    assert run.code == 0, run.stderr
    assert h.remote_lake_rows(clean) == expected  # the same lake as a local workspace's
    assert any(p.startswith("s3:") for p in points)

    chosen = h.schedule(points, KILL_POINTS, SEED, prefer=("s3:",))
    assert sum(points[k - 1].startswith("s3:") for k in chosen) >= KILL_POINTS - 1
    for k in chosen:
        ws = _s3_workspace(tmp_path / f"kill-{k}", moto_endpoint)
        run = h.aco(_args(ws, inbox), fault_at=k)
        assert run.killed or run.code == 0, run.stderr
        visible = h.remote_lake_rows(ws)  # committed deliveries only
        assert {key: expected[key] for key in visible} == visible
        rerun = h.aco(_args(ws, inbox), plain=True)
        assert rerun.code == 0, rerun.stdout + rerun.stderr
        got = h.remote_lake_rows(load_workspace(ws.root))
        assert h.row_diff(got, expected)[:2] == (0, 0) and got == expected
        listing = remote_lake(ws.lake)
        assert not listing.orphans and not listing.damaged
        again = ingest(load_workspace(ws.root), inbox.all)
        assert {o.status for o in again} == {"unchanged"}

