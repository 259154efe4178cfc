"""A quarantined delivery superseded by a new copy of one of its files.

A delivery quarantined because its bytes were damaged (a corrupt zip, a truncated member, a
CCLF0 count that does not match its file) is repaired by receiving the file again under the
same name. While the delivery was never published, the new copy replaces the refused one in
raw/ and the delivery is checked again. The refused bytes are never deleted: they move to

    quarantine/refused/<delivery>/<sha256>/<file name>     read-only, exactly as received
    quarantine/refused/<delivery>/<sha256>/reason.json     sha256, size, reason, times

and the ledger keeps a row for each (`refused_files`), shown by `aco status`. A published
delivery is never changed: its names stay bound to the bytes that were published.

The steps, each safe to repeat: (1) the refused bytes are copied into the quarantine, checked
against their sha256; (2) the ledger records the refused copy; (3) the raw copy is removed and
the new bytes are landed; (4) the ledger's raw row names the new bytes. A run killed between
two steps leaves the ledger's raw row on the refused copy, so the next run meets the same
conflict and finishes the steps.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from aco_pipeline.config import Workspace
from aco_pipeline.fsutil import fsync_dir, sha256_of
from aco_pipeline.ingest.landing import (
    Landed,
    RawConflict,
    fetch_remote,
    land,
    land_remote,
    remote_sha256,
)
from aco_pipeline.ingest.ledger import Ledger, now
from aco_pipeline.ingest.rawstore import (
    raw_delivery_dir,
    raw_location,
    raw_rel,
    workspace_relative,
)
from aco_pipeline.naming import CmsFileName

REASON_FILE = "reason.json"


@dataclass(frozen=True, slots=True)
class Superseded:
    landed: Landed
    refused_sha256: str
    kept_at: str  # where the refused copy is kept, as the ledger records it


def refused_dir(ws: Workspace, delivery_id: str, sha256: str) -> Path:
    """The quarantine folder holding one refused copy of a delivery's file."""
    return ws.quarantine_dir / "refused" / delivery_id / sha256


def supersede(ws: Workspace, ledger: Ledger, name: CmsFileName, source: Path, new_sha256: str,
              reason: str) -> Superseded:
    """Replace the raw copy of `name` (of a quarantined, never published delivery) with the
    bytes of `source` (sha256 `new_sha256`); the replaced copy is kept in the quarantine with
    `reason` (why its delivery was quarantined). Raises RawConflict, changing nothing, when
    the refused copy cannot be kept (it is neither in raw/ nor already in the quarantine)."""
    did, fname = name.delivery_id, name.name
    known = ledger.raw_file(fname)
    stored = _stored_sha256(ws, did, fname)
    old_sha = str(known["sha256"]) if known else stored
    if old_sha is None or old_sha == new_sha256:
        raise RawConflict(f"{fname}: no refused copy of this name to supersede", new_sha256)
    if stored is not None and stored not in (old_sha, new_sha256):
        raise RawConflict(f"{fname}: the raw copy is not the one the ledger recorded; nothing "
                          "was replaced", new_sha256)
    keep = refused_dir(ws, did, old_sha) / fname
    if not keep.exists():
        if stored != old_sha:
            raise RawConflict(f"{fname}: the refused copy (sha256 {old_sha}) is neither in raw/ "
                              "nor in the quarantine; nothing was replaced", new_sha256)
        _keep_copy(ws, did, fname, keep, old_sha)
    kept_at = workspace_relative(ws, keep)
    info: dict[str, object] = {
        "delivery_id": did, "name": fname, "sha256": old_sha, "size": keep.stat().st_size,
        "reason": reason,
        "received_at": str(known["received_at"]) if known else now(),
        "refused_at": now(), "kept_at": kept_at, "superseded_by": new_sha256,
    }
    _write_reason(keep.parent / REASON_FILE, info)
    ledger.record_refused(info)
    if stored is not None:
        _remove_stored(ws, did, fname)
    local = raw_delivery_dir(ws, did) / fname
    if ws.raw.is_local:
        landed = land(source, local)
    else:
        landed = land_remote(source, ws.raw, raw_rel(ws, did, fname), local, None)
    if landed.sha256 != new_sha256:  # the source changed since it was first read
        raise RawConflict(f"{fname}: the file changed while it was being received; "
                          "receive it again", landed.sha256)
    ledger.replace_raw({
        "name": fname, "delivery_id": did, "kind": name.kind, "file_type": name.file_type,
        "performance_year": name.performance_year,
        "created": name.created.isoformat() if name.created else None,
        "size": landed.size, "sha256": landed.sha256,
        "raw_path": raw_location(ws, did, fname), "received_at": now(),
    })
    ledger.event(did, "superseded",
                 f"{fname}: a new copy (sha256 {new_sha256}) replaces the refused one "
                 f"(sha256 {old_sha}, kept in {kept_at}; {reason})")
    return Superseded(landed, old_sha, kept_at)


def restore_refused(ws: Workspace, ledger: Ledger) -> int:
    """Ledger rows of the refused copies kept in the quarantine (a lost or new ledger), from
    the `reason.json` beside each; returns how many were missing."""
    root = ws.quarantine_dir / "refused"
    if not root.is_dir():
        return 0
    known = {(str(r["delivery_id"]), str(r["name"]), str(r["sha256"]))
             for r in ledger.refused_files()}
    added = 0
    for note in sorted(root.glob(f"*/*/{REASON_FILE}")):
        try:
            info = json.loads(note.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not one of ours, or written by hand: left alone
        if not isinstance(info, dict) or not set(info) >= _REFUSED_KEYS:
            continue
        if (str(info["delivery_id"]), str(info["name"]), str(info["sha256"])) in known:
            continue
        ledger.record_refused({k: info[k] for k in sorted(_REFUSED_KEYS)})
        added += 1
    return added


_REFUSED_KEYS = {"delivery_id", "name", "sha256", "size", "reason", "received_at",
                 "refused_at", "kept_at", "superseded_by"}


def _stored_sha256(ws: Workspace, did: str, fname: str) -> str | None:
    """The sha256 of the raw copy stored under this name now, None when there is none."""
    if ws.raw.is_local:
        p = raw_delivery_dir(ws, did) / fname
        return sha256_of(p) if p.is_file() else None
    fs = ws.raw.fs()
    key = ws.raw.path(raw_rel(ws, did, fname))
    fs.invalidate_cache(key)
    try:
        fs.info(key)
    except FileNotFoundError:
        return None
    return remote_sha256(fs, key)


def _keep_copy(ws: Workspace, did: str, fname: str, keep: Path, sha256: str) -> None:
    """Copy the stored raw file into the quarantine (atomic, read-only, checked by sha256)."""
    if ws.raw.is_local:
        land(raw_delivery_dir(ws, did) / fname, keep, known_sha256=sha256)
    else:
        fetch_remote(ws.raw, raw_rel(ws, did, fname), keep, sha256)
    fsync_dir(keep.parent)


def _write_reason(path: Path, info: dict[str, object]) -> None:
    if path.exists():  # kept from an earlier, interrupted supersede: the first word stands
        return
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(json.dumps(info, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _remove_stored(ws: Workspace, did: str, fname: str) -> None:
    """Remove the raw copy whose bytes are now kept in the quarantine (or are being landed
    again)."""
    if ws.raw.is_local:
        p = raw_delivery_dir(ws, did) / fname
        p.unlink(missing_ok=True)
        fsync_dir(p.parent)
    else:
        fs = ws.raw.fs()
        key = ws.raw.path(raw_rel(ws, did, fname))
        fs.rm_file(key)
        fs.invalidate_cache(key)
