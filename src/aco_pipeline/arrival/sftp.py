"""SFTP source (paramiko): `sftp://user@host[:port]/path`.

The server's host key must be in the known_hosts file (refused otherwise); a key that differs
from the recorded one is always refused. `trust_unknown_host` accepts a host that is not in the
file yet and records its key there (trust on first use), and is off unless asked for.
Authentication uses the configured key file and/or the password from the environment; with
neither, the SSH agent and the default keys in ~/.ssh are tried. No secret reaches a message.
"""

from __future__ import annotations

import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

import paramiko

from aco_pipeline.arrival.config import SftpAuth
from aco_pipeline.arrival.source import ArrivalError, Reader, RemoteFile, redact_url

MAX_DEPTH = 4  # how deep below the source path files are looked for
PREFETCH_REQUESTS = 64  # bounded read-ahead: 64 requests of up to 32 KiB in flight


@dataclass(frozen=True, slots=True)
class SftpTarget:
    user: str | None
    host: str
    port: int
    path: str


def parse_sftp_url(url: str) -> SftpTarget:
    parts = urlsplit(url)
    if parts.scheme != "sftp" or not parts.hostname:
        raise ArrivalError(f"{redact_url(url)}: not an sftp://user@host[:port]/path URL")
    if parts.password is not None:
        raise ArrivalError(
            f"{redact_url(url)}: a password in the URL is refused (it would end up in shell "
            "history and crontabs); set ACO_SFTP_PASSWORD in the environment instead"
        )
    try:
        port = parts.port or 22
    except ValueError:
        raise ArrivalError(f"{url}: the port is not a number") from None
    return SftpTarget(user=unquote(parts.username) if parts.username else None,
                      host=parts.hostname, port=port, path=unquote(parts.path) or ".")


class SftpSource:
    def __init__(self, url: str, *, auth: SftpAuth, known_hosts: Path,
                 trust_unknown_host: bool = False, timeout: float = 30.0) -> None:
        self.target = parse_sftp_url(url)
        self.label = redact_url(url)
        self._client = paramiko.SSHClient()
        if known_hosts.is_file():
            self._client.load_host_keys(str(known_hosts))
        elif not trust_unknown_host:
            raise ArrivalError(
                f"{self.label}: known_hosts file {known_hosts} does not exist, so the server "
                "cannot be verified; add its key there (ssh-keyscan, checked against the "
                "fingerprint your CMS contact gave) or pass --trust-unknown-host once"
            )
        else:
            known_hosts.parent.mkdir(parents=True, exist_ok=True)
            known_hosts.touch(mode=0o600)
            self._client.load_host_keys(str(known_hosts))
        self._client.set_missing_host_key_policy(
            paramiko.AutoAddPolicy() if trust_unknown_host else paramiko.RejectPolicy())
        explicit = auth.key_file is not None or auth.password is not None
        try:
            self._client.connect(
                self.target.host, port=self.target.port, username=self.target.user,
                key_filename=str(auth.key_file) if auth.key_file else None,
                password=auth.password, passphrase=auth.key_passphrase,
                allow_agent=not explicit, look_for_keys=not explicit,
                timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
            )
            self._sftp = self._client.open_sftp()
        except paramiko.BadHostKeyException as exc:
            self._client.close()
            raise ArrivalError(
                f"{self.label}: REFUSED: the server's host key ({exc.key.get_name()} "
                f"{exc.key.fingerprint}) does not match the one recorded in {known_hosts}. "
                "Someone may be impersonating the server; check with its operator before "
                "changing known_hosts"
            ) from None
        except paramiko.AuthenticationException:
            self._client.close()
            raise ArrivalError(f"{self.label}: authentication failed (check the key file "
                               "or the password in the environment)") from None
        except paramiko.SSHException as exc:
            self._client.close()
            msg = str(exc)
            if "not found in known_hosts" in msg:
                raise ArrivalError(
                    f"{self.label}: REFUSED: unknown host, its key is not in {known_hosts}; "
                    "add it (ssh-keyscan, checked against the fingerprint your CMS contact "
                    "gave) or pass --trust-unknown-host to accept it once"
                ) from None
            raise ArrivalError(f"{self.label}: SSH error: {_safe(msg, auth)}") from None
        except (OSError, EOFError) as exc:
            self._client.close()
            raise ArrivalError(f"{self.label}: cannot connect ({type(exc).__name__}: "
                               f"{_safe(str(exc), auth)})") from None

    def close(self) -> None:
        self._client.close()

    def _file(self, path: str, attr: paramiko.SFTPAttributes) -> RemoteFile:
        return RemoteFile(path=path, name=posixpath.basename(path), size=int(attr.st_size or 0),
                          version=str(attr.st_mtime or 0))

    def stat(self, path: str) -> RemoteFile:
        try:
            return self._file(path, self._sftp.stat(path))
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise ArrivalError(f"{self.label}: cannot stat {path} ({type(exc).__name__})") \
                from None

    def list_files(self) -> list[RemoteFile]:
        root = self.target.path
        try:
            attr = self._sftp.stat(root)
            if not stat.S_ISDIR(attr.st_mode or 0):
                return [self._file(root, attr)]
            out: list[RemoteFile] = []
            self._walk(root, 0, out)
        except FileNotFoundError:
            raise ArrivalError(f"{self.label}: {root} does not exist on the server") from None
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise ArrivalError(f"{self.label}: listing failed ({type(exc).__name__})") from None
        return sorted(out, key=lambda f: f.path)

    def _walk(self, folder: str, depth: int, out: list[RemoteFile]) -> None:
        for attr in self._sftp.listdir_attr(folder):
            if attr.filename.startswith("."):
                continue
            path = posixpath.join(folder, attr.filename)
            mode = attr.st_mode or 0
            if stat.S_ISDIR(mode):
                if depth < MAX_DEPTH:
                    self._walk(path, depth + 1, out)
            elif stat.S_ISREG(mode):
                out.append(self._file(path, attr))

    @contextmanager
    def open(self, f: RemoteFile) -> Iterator[Reader]:
        try:
            fh = self._sftp.open(f.path, "rb")
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise ArrivalError(f"{self.label}: cannot open {f.path} ({type(exc).__name__})") \
                from None
        try:
            yield _Reader(fh, f.size)
        finally:
            with suppress(OSError, paramiko.SSHException, EOFError):
                fh.close()


class _Reader:
    """An SFTP file with read-ahead started at the position the download resumes from."""

    def __init__(self, fh: paramiko.SFTPFile, size: int) -> None:
        self._fh = fh
        self._size = size
        self._started = False

    def seek(self, offset: int) -> int:
        self._fh.seek(offset)
        return offset

    def read(self, n: int) -> bytes:
        if not self._started:
            self._started = True
            self._fh.prefetch(self._size, max_concurrent_requests=PREFETCH_REQUESTS)
        try:
            return cast(bytes, self._fh.read(n))
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise ArrivalError(f"the connection broke during the download "
                               f"({type(exc).__name__})") from None


def _safe(message: str, auth: SftpAuth) -> str:
    """A library message with any secret cut out (belt and braces: none is expected)."""
    for secret in (auth.password, auth.key_passphrase):
        if secret:
            message = message.replace(secret, "***")
    return message
