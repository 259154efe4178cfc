"""Fixtures for arrival tests: a synthetic delivery set, workspaces, sshd and moto servers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.synth import generate

from .servers import (  # noqa: F401  (aws_env, moto_endpoint: fixtures)
    Sshd,
    aws_env,
    moto_endpoint,
    run_sshd,
    sshd_missing_reason,
)

ACO = "A9999"


@pytest.fixture(scope="session")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two monthly CCLF bundles, an ALR table and two BNEX files for A9999."""
    out = tmp_path_factory.mktemp("synth")
    generate(out, beneficiaries=50, start="2024-01", months=2, seed=1, aco_id=ACO)
    return out / "deliveries"


def delivery_files(deliveries: Path) -> list[Path]:
    return sorted(p for p in deliveries.iterdir() if p.is_file())


def copy_all(deliveries: Path, into: Path) -> list[Path]:
    into.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, into / p.name)) for p in delivery_files(deliveries)]


def write_arrival(ws: Workspace, arrival: dict[str, object]) -> None:
    """Add an [arrival] section to the workspace's aco.toml."""
    import tomllib

    data = tomllib.loads(ws.config_path.read_text(encoding="utf-8"))
    data["arrival"] = arrival
    ws.config_path.write_text(tomli_w.dumps(data), encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = init_workspace(tmp_path / "ws", aco_id=ACO, performance_year=2024)
    write_arrival(ws, {"stability_seconds": 0.05, "poll_seconds": 0.1})
    return ws


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    reason = sshd_missing_reason()
    if reason:
        pytest.skip(reason)
    with run_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture
def sftp_ws(ws: Workspace, sshd: Sshd, tmp_path: Path) -> Workspace:
    """A workspace whose [arrival] trusts the test sshd's host key and logs in with its key."""
    known = tmp_path / "known_hosts"
    known.write_text(sshd.known_hosts_line(), encoding="utf-8")
    write_arrival(ws, {"stability_seconds": 0.05, "known_hosts": str(known),
                       "sftp": {"key_file": str(sshd.client_key)}})
    return ws


@pytest.fixture(autouse=True)
def _clean_arrival_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ACO_SFTP_PASSWORD", "ACO_SFTP_KEY_FILE", "ACO_SFTP_KEY_PASSPHRASE",
                "ACO_KNOWN_HOSTS", "ACO_S3_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
