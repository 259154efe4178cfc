"""`aco pull s3://...` against moto's S3 server on 127.0.0.1, and file:// through fsspec."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aco_pipeline.arrival.pull import pull
from aco_pipeline.config import Workspace

from .conftest import delivery_files, write_arrival


@pytest.fixture
def s3_ws(ws: Workspace, moto_endpoint: str, aws_env: None) -> Workspace:
    write_arrival(ws, {"stability_seconds": 0.05,
                       "storage_options": {"s3": {"endpoint_url": moto_endpoint}}})
    return ws


def upload(moto_endpoint: str, bucket: str, prefix: str, files: list[Path]) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    for p in files:
        s3.upload_file(str(p), bucket, f"{prefix}/{p.name}")


def test_s3_pull_of_a_delivery(s3_ws: Workspace, moto_endpoint: str,
                               deliveries: Path) -> None:
    files = delivery_files(deliveries)
    first, later = files[:3], files[3:]
    upload(moto_endpoint, "cms-drop", "outbound/A9999", first)
    [r] = pull(s3_ws, ["s3://cms-drop/outbound/A9999"])
    assert r.error is None, r.error
    assert r.pulled == 3
    assert [o.status for o in r.outcomes] == ["published"] * 3
    # the next delivery lands; only it is fetched
    upload(moto_endpoint, "cms-drop", "outbound/A9999", later)
    [r2] = pull(s3_ws, ["s3://cms-drop/outbound/A9999"])
    assert r2.error is None
    assert sorted(f.name for f in r2.files if f.status == "ingested") == \
        sorted(p.name for p in later)
    [r3] = pull(s3_ws, ["s3://cms-drop/outbound/A9999"])
    assert r3.pulled == 0 and not r3.outcomes


def test_s3_endpoint_from_environment(ws: Workspace, moto_endpoint: str, aws_env: None,
                                      deliveries: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACO_S3_ENDPOINT_URL", moto_endpoint)
    bnex = [p for p in delivery_files(deliveries) if ".BNEX." in p.name]
    upload(moto_endpoint, "env-drop", "in", bnex)
    [r] = pull(ws, ["s3://env-drop/in"])
    assert r.error is None and r.pulled == len(bnex)


def test_empty_prefix_is_not_an_error(s3_ws: Workspace, moto_endpoint: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket="quiet-drop")
    [r] = pull(s3_ws, ["s3://quiet-drop/outbound"])
    assert r.error is None and not r.files


def test_missing_bucket_is_a_clear_error(s3_ws: Workspace, aws_env: None) -> None:
    [r] = pull(s3_ws, ["s3://no-such-bucket/x"])
    assert r.error is not None and r.error.startswith("s3://no-such-bucket/x")
    assert "testing" not in r.error  # no credential in the message


def test_file_url_source(ws: Workspace, deliveries: Path, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for p in delivery_files(deliveries):
        shutil.copy2(p, drop / p.name)
    [r] = pull(ws, [drop.as_uri()])
    assert r.error is None
    assert sum(o.status == "published" for o in r.outcomes) == 5


def test_unreachable_endpoint_is_an_arrival_error(ws: Workspace, aws_env: None) -> None:
    """botocore's connection error (no HTTP response, so s3fs passes it on untranslated) is
    reported as this source's error; the run goes on."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_arrival(ws, {"stability_seconds": 0, "storage_options": {"s3": {
        "endpoint_url": f"http://127.0.0.1:{port}",
        "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1}}}})
    [r] = pull(ws, ["s3://cms-drop/outbound"])
    assert r.error is not None and r.error.startswith("s3://cms-drop/outbound: listing failed")
    assert "EndpointConnectionError" in r.error


def test_source_errors_are_io_errors_only(tmp_path: Path) -> None:
    """A bug inside a backend call is not turned into an ArrivalError."""
    from aco_pipeline.arrival.objectstore import ObjectStoreSource
    from aco_pipeline.arrival.source import ArrivalError

    src = ObjectStoreSource((tmp_path / "nowhere").as_uri())

    class Broken:
        protocol = "file"

        def invalidate_cache(self, path: str | None = None) -> None:
            pass

        def info(self, path: str) -> dict[str, object]:
            raise TypeError("a bug in the backend")

        def isfile(self, path: str) -> bool:
            raise PermissionError(13, "Permission denied")

    src._fs = Broken()  # type: ignore[assignment]
    with pytest.raises(TypeError):
        src.stat("x")
    with pytest.raises(ArrivalError, match=r"listing failed \(PermissionError"):
        src.list_files()
