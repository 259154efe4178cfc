"""What every delivery source offers: a listing of files and a seekable reader for each."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from aco_pipeline.errors import AcoError


class ArrivalError(AcoError, RuntimeError):
    """A source could not be reached, refused us, or a transfer failed.

    Messages name the source by its redacted URL and never carry a secret.
    """


@dataclass(frozen=True, slots=True)
class RemoteFile:
    path: str  # full path on the source, as the source spells it
    name: str  # base name, what CMS called the file
    size: int
    version: str  # changes when the file changes: mtime, or an object's ETag


class Reader(Protocol):
    def seek(self, offset: int) -> int: ...

    def read(self, n: int) -> bytes: ...


class Source(Protocol):
    label: str  # the URL without any secret, for messages and the state key

    def list_files(self) -> list[RemoteFile]: ...

    def stat(self, path: str) -> RemoteFile: ...

    def open(self, f: RemoteFile) -> AbstractContextManager[Reader]: ...

    def close(self) -> None: ...


def transfer_errors() -> tuple[type[BaseException], ...]:
    """The exception types a source or an fsspec file system raises when I/O fails.

    OSError covers the local file system, paramiko's socket errors and what s3fs makes of an
    HTTP error response (`s3fs.errors.translate_boto_error`: FileNotFoundError,
    PermissionError, OSError(EIO), TimeoutError). Errors without a response (no
    connection, no credentials, an unparsable reply after the retries) reach the caller as
    botocore's own `BotoCoreError`; gcsfs and adlfs add their HTTP and Azure error types.
    Each is added only when its library is installed. Anything else is a bug, not I/O.
    Used in `except transfer_errors():`, which is evaluated only when an exception arrives.
    """
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError
    except ImportError:
        pass
    else:
        errors.append(BotoCoreError)
    try:
        from gcsfs.retry import HttpError
    except ImportError:
        pass
    else:
        errors.append(HttpError)
    try:
        from azure.core.exceptions import AzureError
    except ImportError:
        pass
    else:
        errors.append(AzureError)
    return tuple(errors)


def redact_url(url: str) -> str:
    """The URL with any password removed (user names stay: they help find the account)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def source_key(label: str) -> str:
    """A short stable folder name for a source's downloads and state."""
    return hashlib.sha256(label.encode()).hexdigest()[:16]


def iter_chunks(fh: Reader, remaining: int, chunk_size: int) -> Iterator[bytes]:
    """Read exactly `remaining` bytes in chunks; a short read means the transfer broke."""
    while remaining > 0:
        data = fh.read(min(chunk_size, remaining))
        if not data:
            raise ArrivalError(f"the source closed the file with {remaining} bytes still to come")
        remaining -= len(data)
        yield data
