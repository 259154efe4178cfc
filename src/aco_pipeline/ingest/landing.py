"""Land an immutable raw copy: exactly the bytes CMS sent, hashed while copied.

raw/<aco>/<delivery id>/<file name>. A file is written aside, flushed to disk and renamed
into place, so a crash never leaves a half-written raw file under its real name. A raw
file is never replaced: the same name with other bytes is refused.

A remote raw store (an fsspec URL, `land_remote`): the file is first copied into the local
working folder (hashed while copied, fsynced), then uploaded to its final key in one PUT
(atomic on object stores: no half object is ever visible under the name); the local copy is
what the parser reads, so nothing is downloaded again. An object already stored under the
name is compared by its sha256 (from the ledger, else by reading it) before anything else.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aco_pipeline.errors import AcoError
from aco_pipeline.fsutil import CHUNK, fsync_dir, sha256_of
from aco_pipeline.lake.storage import Storage


class RawConflict(AcoError, RuntimeError):
    """A file of this name was received before with different bytes.

    `sha256` is the digest of the newly received bytes when it is known (the caller may then
    supersede a quarantined delivery's copy with them, see ingest.supersede).
    """

    def __init__(self, message: str, sha256: str | None = None) -> None:
        super().__init__(message)
        self.sha256 = sha256


@dataclass(frozen=True, slots=True)
class Landed:
    raw_path: Path
    sha256: str
    size: int
    new: bool


def land(source: Path, target: Path, known_sha256: str | None = None) -> Landed:
    """Copy `source` to `target` atomically, or confirm an identical copy is there.

    `known_sha256` is what the ledger recorded for this name (None if it knows nothing):
    other bytes are a RawConflict even when the file itself is no longer there.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        digest, size = _copy_hashing(source, tmp)
        if known_sha256 is not None and known_sha256 != digest:
            raise _conflict(target.name, digest)
        if target.exists():
            if sha256_of(target) == digest:
                return Landed(target, digest, size, new=False)
            raise _conflict(target.name, digest)
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
        fsync_dir(target.parent)
        return Landed(target, digest, size, new=True)
    finally:
        tmp.unlink(missing_ok=True)


def _conflict(name: str, sha256: str | None = None) -> RawConflict:
    return RawConflict(
        f"{name}: a different file of this name was received before "
        "(raw files are never replaced; CMS re-sends corrections under a new name)",
        sha256,
    )


def _copy_hashing(source: Path, tmp: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with source.open("rb") as src, tmp.open("wb") as dst:
        while chunk := src.read(CHUNK):
            h.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return h.hexdigest(), size


def remote_sha256(fs: Any, key: str) -> str:
    """sha256 of a stored object, read in chunks (only when the ledger does not know it)."""
    h = hashlib.sha256()
    with fs.open(key, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def land_remote(source: Path, raw: Storage, rel: str, local_copy: Path,
                known_sha256: str | None) -> Landed:
    """Upload `source` to `raw/<rel>` unless identical bytes are there; keep a local copy.

    `known_sha256` is what the ledger recorded for this name (None if it knows nothing).
    The upload starts only once the local copy's sha256 is known; a stored object of other
    size or sha256 is a RawConflict and nothing is changed.
    """
    local_copy.parent.mkdir(parents=True, exist_ok=True)
    tmp = local_copy.parent / f".tmp-{uuid.uuid4().hex}"
    fs = raw.fs()
    key = raw.path(rel)
    try:
        digest, size = _copy_hashing(source, tmp)
        if known_sha256 is not None and known_sha256 != digest:
            raise _conflict(local_copy.name, digest)
        fs.invalidate_cache(key)
        try:
            info = fs.info(key)
        except FileNotFoundError:
            info = None
        if info is not None:
            if int(info.get("size") or 0) != size:
                raise _conflict(local_copy.name, digest)
            stored = known_sha256 or remote_sha256(fs, key)
            if stored != digest:
                raise _conflict(local_copy.name, digest)
            new = False
        else:
            fs.put_file(str(tmp), key)
            fs.invalidate_cache(key)
            if int(fs.info(key).get("size") or 0) != size:
                raise OSError(f"{local_copy.name}: the upload to {raw.url} is incomplete")
            new = True
        os.chmod(tmp, 0o444)
        os.replace(tmp, local_copy)
        return Landed(local_copy, digest, size, new=new)
    finally:
        tmp.unlink(missing_ok=True)


def remote_files(raw: Storage, rel_dir: str) -> dict[str, int]:
    """Name -> size of the objects directly under `raw/<rel_dir>` (hidden names skipped)."""
    fs = raw.fs()
    prefix = raw.path(rel_dir)
    fs.invalidate_cache(prefix)
    try:
        entries = fs.ls(prefix, detail=True)
    except FileNotFoundError:
        return {}
    out = {}
    for info in entries:
        name = str(info["name"]).rstrip("/").rsplit("/", 1)[-1]
        if info.get("type") != "directory" and not name.startswith("."):
            out[name] = int(info.get("size") or 0)
    return out


def fetch_remote(raw: Storage, rel: str, local_copy: Path, sha256: str) -> None:
    """Download a stored raw file into the local working folder, checking its sha256 (only
    for a delivery whose earlier files are no longer held locally)."""
    local_copy.parent.mkdir(parents=True, exist_ok=True)
    tmp = local_copy.parent / f".tmp-{uuid.uuid4().hex}"
    h = hashlib.sha256()
    try:
        with raw.fs().open(raw.path(rel), "rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                dst.write(chunk)
        if h.hexdigest() != sha256:
            raise RawConflict(f"{local_copy.name}: the stored raw file no longer has the "
                              "sha256 recorded when it was received")
        os.chmod(tmp, 0o444)
        os.replace(tmp, local_copy)
    finally:
        tmp.unlink(missing_ok=True)


def clean_partial(raw_root: Path) -> int:
    """Remove `.tmp-*` leftovers of landings killed mid-copy; returns how many."""
    n = 0
    if raw_root.exists():
        for p in raw_root.rglob(".tmp-*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            n += 1
    return n
