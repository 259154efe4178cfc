"""Atomic publication of a delivery into the lake.

Layout (a deliberate change from DESIGN.md's parsed/<file_type>/delivery=<id>, see
docs/architecture.md): lake/parsed/delivery=<id>/<file type>/part-0.parquet plus
lake/parsed/delivery=<id>/_manifest.json. A whole delivery, data and manifest, is written
under lake/_staging and published by ONE directory rename, so readers and a crash can only
ever see all of a delivery or none of it. Readers glob lake/parsed/*/<file type>/*.parquet.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from aco_pipeline.fsutil import fsync_dir

MANIFEST = "_manifest.json"


def parsed_root(lake_dir: Path) -> Path:
    return lake_dir / "parsed"


def published_dir(lake_dir: Path, delivery_id: str) -> Path:
    return parsed_root(lake_dir) / f"delivery={delivery_id}"


def new_staging_dir(lake_dir: Path, delivery_id: str) -> Path:
    path = lake_dir / "_staging" / f"{delivery_id}.{uuid.uuid4().hex}"
    path.mkdir(parents=True)
    return path


def clean_staging(lake_dir: Path) -> int:
    """Drop staging folders left by a killed run (nothing in them was ever visible)."""
    root = lake_dir / "_staging"
    if not root.exists():
        return 0
    n = 0
    for p in root.iterdir():
        shutil.rmtree(p, ignore_errors=True)
        n += 1
    return n


def write_manifest(staging: Path, manifest: dict[str, object]) -> None:
    path = staging / MANIFEST
    with path.open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True, default=str)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            fd = os.open(os.path.join(dirpath, f), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def publish(staging: Path, lake_dir: Path, delivery_id: str) -> Path:
    """Make a staged delivery visible with one rename; refuses to replace a published one."""
    target = published_dir(lake_dir, delivery_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise FileExistsError(f"{delivery_id} is already published in the lake")
    _fsync_tree(staging)
    os.rename(staging, target)
    fsync_dir(target.parent)
    return target


def published_manifests(lake_dir: Path) -> Iterator[dict[str, object]]:
    root = parsed_root(lake_dir)
    if not root.exists():
        return
    for d in sorted(root.iterdir()):
        m = d / MANIFEST
        if d.name.startswith("delivery=") and m.is_file():
            yield json.loads(m.read_text(encoding="utf-8"))
