"""Where a delivery's raw files are: their key in the raw store, their local copy, and how
the ledger names their location.

The raw store is a local folder (`raw/<aco>/<delivery>/<file>`) or an fsspec URL with the
same layout; with a remote store, the local copies are working copies of a delivery being
ingested (`Workspace.raw_dir`).
"""

from __future__ import annotations

from pathlib import Path

from aco_pipeline.config import Workspace


def raw_delivery_dir(ws: Workspace, delivery_id: str) -> Path:
    """The delivery's raw files on this machine: the raw store itself when it is a local
    folder, else the working copies of a delivery being ingested."""
    return ws.raw_dir / ws.aco_id / delivery_id


def raw_rel(ws: Workspace, delivery_id: str, name: str = "") -> str:
    """The key of a raw file (or a delivery's raw folder) relative to the raw store."""
    return "/".join(p for p in (ws.aco_id, delivery_id, name) if p)


def raw_location(ws: Workspace, delivery_id: str, name: str = "") -> str:
    """Where a raw file (or a delivery's raw folder) is stored, as the ledger records it:
    relative to the workspace when inside it, else absolute, or the URL of a remote store."""
    if not ws.raw.is_local:
        return ws.raw.url_of(raw_rel(ws, delivery_id, name))
    p = raw_delivery_dir(ws, delivery_id) / name if name else raw_delivery_dir(ws, delivery_id)
    return workspace_relative(ws, p)


def workspace_relative(ws: Workspace, p: Path) -> str:
    """A local path as the ledger records it: relative to the workspace when inside it."""
    return str(p.relative_to(ws.root)) if p.is_relative_to(ws.root) else str(p)
