"""Real servers on loopback for arrival tests: OpenSSH's sshd and moto's S3 server."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
SFTP_SERVER = Path("/usr/lib/openssh/sftp-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float = 10.0,
                  expect: bytes = b"") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if not expect or s.recv(64).startswith(expect):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout}s")


def keygen(path: Path, kind: str = "ed25519") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "aco-test", "-f",
                    str(path)], check=True)
    return path


@dataclass
class Sshd:
    root: Path
    port: int
    user: str
    host_pub: str  # "ssh-ed25519 AAAA..."
    client_key: Path
    proc: subprocess.Popen[bytes]

    def url(self, remote: Path) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}{remote}"

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_pub}\n"

    def drop_sessions(self) -> int:
        """Kill every session process sshd forked (the connections drop; sshd stays)."""
        import psutil

        victims = psutil.Process(self.proc.pid).children(recursive=True)
        for p in victims:
            p.kill()
        psutil.wait_procs(victims, timeout=5)
        return len(victims)


def sshd_missing_reason() -> str | None:
    if not SSHD.exists():
        return (f"{SSHD} not found: install Debian's openssh-server to run the SFTP tests "
                "(.ci/run does this)")
    if shutil.which("ssh-keygen") is None:
        return "ssh-keygen not found (Debian openssh-client)"
    return None


@contextmanager
def run_sshd(root: Path) -> Iterator[Sshd]:
    root.mkdir(parents=True, exist_ok=True)
    host_key = keygen(root / "host_ed25519")
    client_key = keygen(root / "client_ed25519")
    (root / "authorized_keys").write_text(
        (root / "client_ed25519.pub").read_text(), encoding="utf-8")
    port = free_port()
    config = root / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {host_key}",
        f"PidFile {root / 'sshd.pid'}",
        f"AuthorizedKeysFile {root / 'authorized_keys'}",
        "StrictModes no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "PermitRootLogin prohibit-password",
        "AllowTcpForwarding no",
        "X11Forwarding no",
        "Subsystem sftp internal-sftp",
        "LogLevel ERROR",
        "",
    ]), encoding="utf-8")
    if os.geteuid() == 0:
        # sshd refuses to start without its privilege-separation folder (systemd makes it)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = (root / "sshd.log").open("wb")
    proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc, expect=b"SSH-")
        pub = (root / "host_ed25519.pub").read_text().split()
        yield Sshd(root=root, port=port, user=getpass.getuser(), host_pub=f"{pub[0]} {pub[1]}",
                   client_key=client_key, proc=proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@contextmanager
def run_moto() -> Iterator[str]:
    """An S3-compatible server on loopback; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        wait_for_port(port, None)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with run_moto() as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Throwaway credentials for the local S3 server; nothing leaves 127.0.0.1."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HTTP_PROXY", "HTTPS_PROXY",
                "http_proxy", "https_proxy", "ACO_S3_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
