"""`aco pull sftp://...` against a real OpenSSH server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.arrival.pull import pull
from aco_pipeline.arrival.state import ArrivalState
from aco_pipeline.config import Workspace

from .conftest import copy_all, delivery_files, write_arrival
from .servers import Sshd, keygen

BIG_NAME = "P.A9999.BNEX.Y24.D240215.T1200000.xml"


def statuses(result: object) -> dict[str, str]:
    return {f.name: f.status for f in result.files}  # type: ignore[attr-defined]


def published(results: list) -> int:  # type: ignore[type-arg]
    return sum(o.status == "published" for r in results for o in r.outcomes)


def test_pull_ingests_new_deliveries_then_nothing(sftp_ws: Workspace, sshd: Sshd,
                                                   deliveries: Path, tmp_path: Path) -> None:
    remote = tmp_path / "outbound"
    copy_all(deliveries, remote)
    (remote / "README.txt").write_text("not a CMS file")
    [r] = pull(sftp_ws, [sshd.url(remote)])
    assert r.error is None
    assert r.pulled == 5
    assert published([r]) == 5
    assert statuses(r)["README.txt"] == "ignored"
    assert not [p for p in (sftp_ws.root / ".aco" / "downloads").rglob("*") if p.is_file()]
    [again] = pull(sftp_ws, [sshd.url(remote)])
    assert again.error is None and again.pulled == 0 and not again.outcomes


def test_file_that_appears_twice_is_fetched_once(sftp_ws: Workspace, sshd: Sshd,
                                                 deliveries: Path, tmp_path: Path) -> None:
    bnex = next(p for p in delivery_files(deliveries) if ".BNEX." in p.name)
    remote = tmp_path / "outbound"
    for sub in ("a", "b"):
        (remote / sub).mkdir(parents=True)
        shutil.copy2(bnex, remote / sub / bnex.name)
    [r] = pull(sftp_ws, [sshd.url(remote)])
    assert r.pulled == 1
    assert sorted(f.status for f in r.files) == ["ingested", "skipped"]
    assert [o.status for o in r.outcomes] == ["published"]
    # delivered again later, in a third folder: already ingested, not downloaded
    (remote / "c").mkdir()
    shutil.copy2(bnex, remote / "c" / bnex.name)
    [r2] = pull(sftp_ws, [sshd.url(remote)])
    assert r2.pulled == 0 and not r2.outcomes
    assert {f.detail for f in r2.files} >= {"already ingested"}


def test_delivery_arriving_in_pieces_waits_until_complete(
        sftp_ws: Workspace, sshd: Sshd, deliveries: Path, tmp_path: Path) -> None:
    bundle = next(p for p in delivery_files(deliveries) if ".ZCY24." in p.name)
    data = bundle.read_bytes()
    remote = tmp_path / "outbound"
    remote.mkdir()
    target = remote / bundle.name
    pieces = [data[i:i + len(data) // 12 + 1] for i in range(0, len(data), len(data) // 12 + 1)]
    target.write_bytes(pieces[0])
    written = threading.Event()

    def writer() -> None:
        for piece in pieces[1:]:
            time.sleep(0.05)
            with target.open("ab") as fh:
                fh.write(piece)
        written.set()

    t = threading.Thread(target=writer)
    t.start()
    try:
        [r] = pull(sftp_ws, [sshd.url(remote)], stability_seconds=0.2)
    finally:
        t.join(timeout=10)
    assert written.is_set()
    assert statuses(r)[bundle.name] == "growing"
    assert r.pulled == 0 and not r.outcomes
    assert ArrivalState(sftp_ws).ingested(bundle.name) is None
    [r2] = pull(sftp_ws, [sshd.url(remote)], stability_seconds=0.2)
    assert [o.status for o in r2.outcomes] == ["published"]


class KillAfterFirstChunk:
    """A progress sink that drops the server's sessions once the download has started."""

    def __init__(self, sshd: Sshd) -> None:
        self.sshd = sshd
        self.killed = 0

    def start(self, description: str, total: int) -> Callable[[int], None]:
        def advance(n: int) -> None:
            if not self.killed:
                self.killed = self.sshd.drop_sessions()
        return advance


# paramiko's read-ahead thread reports the dropped socket on its own thread; expected here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_dropped_connection_resumes_from_the_part_file(
        sftp_ws: Workspace, sshd: Sshd, tmp_path: Path) -> None:
    write_arrival(sftp_ws, {"stability_seconds": 0, "chunk_size": 65536,
                            "known_hosts": str(tmp_path / "known_hosts"),
                            "sftp": {"key_file": str(sshd.client_key)}})
    remote = tmp_path / "outbound"
    remote.mkdir()
    payload = os.urandom(16 * 2**20)
    (remote / BIG_NAME).write_bytes(payload)
    sink = KillAfterFirstChunk(sshd)
    [r] = pull(sftp_ws, [sshd.url(remote)], ingest_files=False, progress=sink)
    assert sink.killed >= 1
    assert r.error is not None and "resumes" in r.error
    assert statuses(r)[BIG_NAME] == "failed"
    parts = list((sftp_ws.root / ".aco" / "downloads").rglob(f".{BIG_NAME}.part"))
    assert len(parts) == 1
    partial = parts[0].stat().st_size
    assert 0 < partial < len(payload)

    [r2] = pull(sftp_ws, [sshd.url(remote)], ingest_files=False)
    assert r2.error is None
    [f] = [f for f in r2.files if f.name == BIG_NAME]
    assert f.status == "downloaded"
    assert f.resumed_from == partial
    got = Path(f.detail)
    assert hashlib.sha256(got.read_bytes()).digest() == hashlib.sha256(payload).digest()
    assert not parts[0].exists()


def test_wrong_host_key_is_refused_and_nothing_downloaded(
        sftp_ws: Workspace, sshd: Sshd, deliveries: Path, tmp_path: Path) -> None:
    remote = tmp_path / "outbound"
    copy_all(deliveries, remote)
    impostor = keygen(tmp_path / "impostor")
    pub = (tmp_path / "impostor.pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {pub[0]} {pub[1]}\n")
    for trust in (False, True):  # a changed key is refused even when unknown hosts are trusted
        [r] = pull(sftp_ws, [sshd.url(remote)], trust_unknown_host=trust)
        assert r.error is not None
        assert "REFUSED" in r.error and "does not match" in r.error
        assert not r.files and not r.outcomes
    assert not (sftp_ws.root / ".aco" / "downloads").exists()
    assert not any(sftp_ws.raw_dir.rglob("*.xml"))
    assert impostor.exists()


def test_unknown_host_refused_unless_trusted(
        sftp_ws: Workspace, sshd: Sshd, deliveries: Path, tmp_path: Path) -> None:
    remote = tmp_path / "outbound"
    copy_all(deliveries, remote)
    known = tmp_path / "known_hosts"
    known.write_text("")
    [r] = pull(sftp_ws, [sshd.url(remote)])
    assert r.error is not None and "unknown host" in r.error
    assert not r.outcomes
    [r2] = pull(sftp_ws, [sshd.url(remote)], trust_unknown_host=True)
    assert r2.error is None and published([r2]) == 5
    assert sshd.host_pub.split()[1] in known.read_text()  # recorded for next time


def test_cli_pull_and_no_secret_in_output(sftp_ws: Workspace, sshd: Sshd, deliveries: Path,
                                          tmp_path: Path) -> None:
    import aco_pipeline.cli.pull  # noqa: F401  (registers the command)
    from aco_pipeline.cli.app import app

    remote = tmp_path / "outbound"
    copy_all(deliveries, remote)
    runner = CliRunner()
    secret = "pw-must-not-leak-7f3a"
    wrong_key = keygen(tmp_path / "not_authorised")
    bad = runner.invoke(app, ["pull", sshd.url(remote), "-w", str(sftp_ws.root)],
                        env={"ACO_SFTP_PASSWORD": secret, "ACO_SFTP_KEY_FILE": str(wrong_key)})
    assert bad.exit_code == 1
    assert "authentication failed" in bad.output + bad.stderr
    assert secret not in bad.output + bad.stderr
    ok = runner.invoke(app, ["pull", sshd.url(remote), "-w", str(sftp_ws.root)])
    assert ok.exit_code == 0, ok.output + ok.stderr
    print(ok.stdout)
    lines = ok.stdout.splitlines()
    assert sum(line.split()[:1] == ["published"] for line in lines) == 5
    assert sum(line.split()[:1] == ["ingested"] for line in lines) == 5
