"""Object-storage and other fsspec sources: `s3://bucket/prefix`, `gs://`, `az://`, `file://`.

Storage options (an S3 endpoint for a private or local server, a region...) come from
`[arrival.storage_options.<protocol>]` and, for S3, `ACO_S3_ENDPOINT_URL`; credentials come
from each library's usual environment variables or credential files (for S3:
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`), never from aco.toml.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from aco_pipeline.arrival.source import (
    ArrivalError,
    Reader,
    RemoteFile,
    redact_url,
    transfer_errors,
)

MAX_DEPTH = 4


def _version(info: dict[str, Any]) -> str:
    for key in ("ETag", "etag", "md5Hash", "generation", "LastModified", "last_modified",
                "updated", "mtime", "created"):
        if info.get(key) is not None:
            return f"{key}={info[key]}"
    return ""


class ObjectStoreSource:
    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        import fsspec

        self.label = redact_url(url)
        try:
            # no instance cache: each pull sees fresh credentials and a fresh listing
            self._fs, root = fsspec.core.url_to_fs(url, skip_instance_cache=True,
                                                   **(storage_options or {}))
        except (ImportError, ValueError) as exc:
            raise ArrivalError(f"{self.label}: cannot use this URL ({exc})") from None
        self._root = cast(str, root).rstrip("/") or "/"

    def close(self) -> None:
        """fsspec file systems hold no connection that needs closing here."""

    def _file(self, info: dict[str, Any]) -> RemoteFile:
        path = str(info["name"])
        return RemoteFile(path=path, name=posixpath.basename(path.rstrip("/")),
                          size=int(info.get("size") or 0), version=_version(info))

    def stat(self, path: str) -> RemoteFile:
        try:
            self._fs.invalidate_cache(path)
            return self._file(self._fs.info(path))
        except transfer_errors() as exc:
            raise ArrivalError(f"{self.label}: cannot stat {path} ({type(exc).__name__})") \
                from None

    def list_files(self) -> list[RemoteFile]:
        try:
            self._fs.invalidate_cache()
            if self._fs.isfile(self._root):
                return [self._file(self._fs.info(self._root))]
            found = self._fs.find(self._root, maxdepth=MAX_DEPTH + 1, detail=True)
            if not found and not self._fs.exists(self._root):
                self._check_container()
        except FileNotFoundError:
            raise ArrivalError(f"{self.label}: does not exist (no such bucket or folder)") \
                from None
        except transfer_errors() as exc:
            raise ArrivalError(f"{self.label}: listing failed ({type(exc).__name__}: "
                               f"{_short(exc)})") from None
        files = []
        for info in found.values():
            if info.get("type") == "directory":
                continue
            rel = posixpath.relpath(str(info["name"]), self._root)
            if any(part.startswith(".") for part in rel.split("/")):
                continue
            files.append(self._file(info))
        return sorted(files, key=lambda f: f.path)

    def _check_container(self) -> None:
        """An empty prefix in an existing bucket is normal (nothing delivered yet); a missing
        bucket or local folder is an error."""
        protocol = self._fs.protocol
        protocols = {protocol} if isinstance(protocol, str) else set(protocol)
        if protocols & {"file", "local"}:
            raise FileNotFoundError(self._root)
        bucket = self._root.lstrip("/").split("/", 1)[0]
        if not self._fs.exists(bucket):
            raise FileNotFoundError(bucket)

    @contextmanager
    def open(self, f: RemoteFile) -> Iterator[Reader]:
        try:
            fh = self._fs.open(f.path, "rb")
        except transfer_errors() as exc:
            raise ArrivalError(f"{self.label}: cannot open {f.path} ({type(exc).__name__})") \
                from None
        try:
            yield _Reader(fh)
        finally:
            fh.close()


class _Reader:
    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def seek(self, offset: int) -> int:
        return int(self._fh.seek(offset))

    def read(self, n: int) -> bytes:
        try:
            return cast(bytes, self._fh.read(n))
        except transfer_errors() as exc:
            raise ArrivalError(f"the transfer broke ({type(exc).__name__})") from None


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:200]
