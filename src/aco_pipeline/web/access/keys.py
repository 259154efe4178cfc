"""Per-workspace secret keys kept in the state folder (created 0600 on first use)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def secret_key(state_dir: Path, name: str, size: int = 32) -> bytes:
    """The key stored in `state_dir/name`, created with owner-only access the first time; a
    concurrent second creator keeps the first key."""
    path = state_dir / name
    if path.exists():
        return path.read_bytes()
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(size))
    with contextlib.suppress(FileExistsError):
        os.link(tmp, path)
    tmp.unlink()
    return path.read_bytes()
