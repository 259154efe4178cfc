"""Atomic publication of a delivery into the lake, on a local folder or an object store.

Layout (a deliberate change from DESIGN.md's parsed/<file_type>/delivery=<id>, see
docs/architecture.md): lake/parsed/delivery=<id>/<file type>/part-0.parquet plus
lake/parsed/delivery=<id>/_manifest.json. A whole delivery, data and manifest, is written
under a local staging folder first.

- Local lake: the staging folder is lake/_staging/<id>.<random>, published by ONE directory
  rename, so readers and a crash can only ever see all of a delivery or none of it. Readers
  glob lake/parsed/*/<file type>/*.parquet.
- Remote lake (an fsspec URL; object stores have no rename and no folders, but a PUT of one
  object is atomic): every part is uploaded under the delivery's prefix, then its
  `_manifest.json`, which lists every part with its size, is uploaded LAST as the commit
  marker. A delivery is visible only when its manifest exists and every part it lists is
  there with that size (`remote_lake`); readers take the committed parts by name, never by
  glob. Parts of an interrupted publish have no manifest: readers ignore them and the next
  ingest deletes them (`clean_remote_orphans`).
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aco_pipeline.fsutil import fsync_dir, sha256_of
from aco_pipeline.lake.storage import Storage

MANIFEST = "_manifest.json"
PARSED = "parsed"


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


def staged_parts(staging: Path) -> list[dict[str, object]]:
    """The data files of a staged delivery (`cclf1/part-0.parquet`, ...) with their sizes
    and sha256, as the manifest lists them; readers of a remote lake check every size, and
    `aco verify` (lake.verify) every sha256."""
    out: list[dict[str, object]] = []
    for p in sorted(staging.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            out.append({"path": p.relative_to(staging).as_posix(), "size": p.stat().st_size,
                        "sha256": sha256_of(p)})
    return out


# --- either kind of lake --------------------------------------------------------------------

def is_published(lake: Storage, delivery_id: str) -> bool:
    if lake.is_local:
        return published_dir(lake.local_path, delivery_id).exists()
    fs = lake.fs()
    return _committed(fs, lake, delivery_id) is not None


def publish_to(staging: Path, lake: Storage, delivery_id: str) -> str:
    """Publish a staged delivery (its manifest already written) to `lake`; its location."""
    if lake.is_local:
        return str(publish(staging, lake.local_path, delivery_id))
    return publish_remote(staging, lake, delivery_id)


def manifests(lake: Storage) -> Iterator[dict[str, object]]:
    """The manifests of every published (committed) delivery, in delivery order."""
    if lake.is_local:
        yield from published_manifests(lake.local_path)
        return
    listing = remote_lake(lake)
    for did in sorted(listing.committed):
        yield listing.committed[did]


# --- remote lake: parts first, manifest last ------------------------------------------------

@dataclass(slots=True)
class RemoteLake:
    """What a remote lake's `parsed/` holds, by delivery."""

    committed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Deliveries whose manifest exists and lists only parts present with their sizes."""
    orphans: list[str] = field(default_factory=list)
    """Delivery prefixes without a manifest: an interrupted publish (never visible)."""
    damaged: list[str] = field(default_factory=list)
    """Deliveries whose manifest lists a part that is missing or of another size."""

    def part_urls(self, lake: Storage, source: str) -> list[str]:
        """URLs of the committed parts of one file type (`cclf1`, ...), in delivery order."""
        out = []
        for did in sorted(self.committed):
            for part in self.committed[did].get("parts", []):
                rel = str(part["path"])
                if rel.split("/", 1)[0] == source:
                    out.append(lake.url_of(PARSED, f"delivery={did}", rel))
        return out


def deliveries_by_source(lake: Storage, sources: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Per source (`cclf1`, ...), the ids of the committed deliveries of a remote lake that
    carry it."""
    listing = remote_lake(lake)
    out: dict[str, tuple[str, ...]] = {}
    for name in sources:
        out[name] = tuple(sorted(
            did for did, m in listing.committed.items()
            if any(str(p["path"]).split("/", 1)[0] == name for p in m.get("parts", []))
        ))
    return out


def _delivery_prefix(lake: Storage, delivery_id: str) -> str:
    return lake.path(PARSED, f"delivery={delivery_id}")


def _listing(fs: Any, root: str) -> dict[str, int]:
    """Every object under `root`: path relative to it -> size (one recursive listing)."""
    fs.invalidate_cache()
    try:
        found = fs.find(root, detail=True)
    except FileNotFoundError:
        return {}
    out = {}
    for name, info in found.items():
        if info.get("type") == "directory":
            continue
        out[posixpath.relpath(str(name), root)] = int(info.get("size") or 0)
    return out


def _complete(manifest: dict[str, Any], objects: dict[str, int]) -> bool:
    parts = manifest.get("parts")
    if not isinstance(parts, list) or not parts:
        return False
    return all(objects.get(str(p.get("path"))) == p.get("size") for p in parts)


def _read_manifest(fs: Any, key: str) -> dict[str, Any] | None:
    try:
        data = json.loads(fs.cat_file(key))
    except FileNotFoundError:
        return None
    except ValueError:  # not JSON: treat as absent (it can only be a foreign object)
        return None
    return data if isinstance(data, dict) else None


def _committed(fs: Any, lake: Storage, delivery_id: str) -> dict[str, Any] | None:
    prefix = _delivery_prefix(lake, delivery_id)
    objects = _listing(fs, prefix)
    if MANIFEST not in objects:
        return None
    m = _read_manifest(fs, posixpath.join(prefix, MANIFEST))
    return m if m is not None and _complete(m, objects) else None


def remote_lake(lake: Storage) -> RemoteLake:
    """Committed, orphaned and damaged deliveries of a remote lake, from one listing."""
    fs = lake.fs()
    root = lake.path(PARSED)
    by_delivery: dict[str, dict[str, int]] = {}
    for rel, size in _listing(fs, root).items():
        top, _, rest = rel.partition("/")
        if top.startswith("delivery=") and rest:
            by_delivery.setdefault(top, {})[rest] = size
    out = RemoteLake()
    for top, objects in sorted(by_delivery.items()):
        did = top.removeprefix("delivery=")
        if MANIFEST not in objects:
            out.orphans.append(posixpath.join(root, top))
            continue
        m = _read_manifest(fs, posixpath.join(root, top, MANIFEST))
        if m is not None and _complete(m, objects):
            out.committed[did] = m
        else:
            out.damaged.append(did)
    return out


def publish_remote(staging: Path, lake: Storage, delivery_id: str) -> str:
    """Upload every part, check their sizes, then the manifest (the commit marker)."""
    manifest_path = staging / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    parts = staged_parts(staging)
    if manifest.get("parts") != parts:
        raise ValueError(f"{delivery_id}: the staged manifest does not list the staged parts")
    fs = lake.fs()
    prefix = _delivery_prefix(lake, delivery_id)
    key = posixpath.join(prefix, MANIFEST)
    objects = _listing(fs, prefix)
    if MANIFEST in objects:
        old = _read_manifest(fs, key)
        if old is not None and _complete(old, objects):
            raise FileExistsError(f"{delivery_id} is already published in the lake")
        fs.rm_file(key)  # a damaged delivery: withdraw its marker before rewriting it
    for part in parts:
        rel = str(part["path"])
        fs.put_file(str(staging / rel), posixpath.join(prefix, rel))
    uploaded = _listing(fs, prefix)
    for part in parts:
        if uploaded.get(str(part["path"])) != part["size"]:
            raise OSError(f"{delivery_id}: {part['path']} did not arrive whole in {lake.url}")
    commit_manifest(fs, key, manifest_path.read_bytes())
    return lake.url_of(PARSED, f"delivery={delivery_id}")


def commit_manifest(fs: Any, key: str, data: bytes) -> None:
    """The single PUT that makes a remote delivery visible."""
    fs.pipe_file(key, data)


def clean_remote_orphans(lake: Storage, listing: RemoteLake | None = None) -> int:
    """Delete the parts of interrupted publishes (prefixes without a manifest)."""
    listing = listing if listing is not None else remote_lake(lake)
    if not listing.orphans:
        return 0
    fs = lake.fs()
    for prefix in listing.orphans:
        fs.rm(prefix, recursive=True)
    return len(listing.orphans)
