"""Land an immutable raw copy: exactly the bytes CMS sent, hashed while copied.

raw/<aco>/<delivery id>/<file name>. A file is written aside, flushed to disk and renamed
into place, so a crash never leaves a half-written raw file under its real name. A raw
file is never replaced: the same name with other bytes is refused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from aco_pipeline.fsutil import CHUNK, fsync_dir, sha256_of


class RawConflict(RuntimeError):
    """A file of this name was received before with different bytes."""


@dataclass(frozen=True, slots=True)
class Landed:
    raw_path: Path
    sha256: str
    size: int
    new: bool


def land(source: Path, target: Path) -> Landed:
    """Copy `source` to `target` atomically, or confirm an identical copy is there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{uuid.uuid4().hex}"
    h = hashlib.sha256()
    size = 0
    try:
        with source.open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        digest = h.hexdigest()
        if target.exists():
            if sha256_of(target) == digest:
                return Landed(target, digest, size, new=False)
            raise RawConflict(
                f"{target.name}: a different file of this name was received before "
                "(raw files are never replaced; CMS re-sends corrections under a new name)"
            )
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
        fsync_dir(target.parent)
        return Landed(target, digest, size, new=True)
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
