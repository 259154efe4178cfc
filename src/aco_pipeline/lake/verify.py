"""`aco verify`: is what the workspace holds still what CMS sent and what ingest published?

Each store is checked against the record written when its objects were made:

- raw copies (raw/<ACO>/<delivery>/<file>) against the ingest ledger's size and sha256, and
  the published manifests' `raw_files` (which survive a lost ledger). Every row is checked,
  copies held in quarantine included; an object under raw/<ACO>/ that no row or manifest
  names is *extra*.
- lake parts (parsed/delivery=<id>/<type>/part-*.parquet) against their delivery's
  `_manifest.json` (path, size, sha256); anything else in a delivery's folder is extra, and a
  delivery the ledger calls published without a manifest in the lake is missing.
- the published warehouse's build state (warehouse.build_state): every delivery it was built
  from must still be in the lake with that file type.

A finding is typed (kind `missing`, `changed`, `extra` or `size`), names the object, what was
expected and what was found (sizes and sha256s, never a value from the data) and what to do.
Nothing is repaired. `check_lake_for_build` is the build's cheaper gate over the lake only:
every part's existence and size, sha256 only for deliveries the published warehouse was not
built from (docs/verify.md says why).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from aco_pipeline.config import Workspace
from aco_pipeline.errors import AcoError
from aco_pipeline.fsutil import CHUNK
from aco_pipeline.ingest.ledger import DeliveryRow, Ledger
from aco_pipeline.ingest.pipeline import ledger_path, workspace_lock
from aco_pipeline.lake.publish import MANIFEST, PARSED
from aco_pipeline.lake.storage import URL, Storage
from aco_pipeline.warehouse.build_state import read_state

Kind = Literal["missing", "changed", "extra", "size"]
Area = Literal["raw", "lake", "warehouse"]


class LakeVerificationError(AcoError, RuntimeError):
    """The lake fails verification: the build refuses to read it (the published warehouse is
    left as it was)."""

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message)
        self.findings = findings


class HashProgress(Protocol):
    """`start(description, total bytes)` returns a callable advanced by the bytes hashed (the
    CLI's Rich progress sink has this shape)."""

    def start(self, description: str, total: int) -> Callable[[int], None]: ...


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    area: Area
    object: str
    """Where: a path relative to the workspace, an absolute path or a URL."""
    delivery_id: str | None
    expected: str | None
    found: str | None
    remedy: str

    def describe(self) -> str:
        text = f"{self.object}: {self.kind}"
        if self.expected is not None or self.found is not None:
            text += f" (expected {self.expected or 'nothing'}, found {self.found or 'nothing'})"
        return text


@dataclass(slots=True)
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    raw_files: int = 0
    """Raw copies checked (ledger rows and manifest entries, by location)."""
    lake_parts: int = 0
    deliveries: int = 0
    """Published deliveries (manifests) checked in the lake."""
    bytes_hashed: int = 0
    hashed_deliveries: set[str] = field(default_factory=set)
    """Deliveries whose lake parts were re-hashed (all of them for `aco verify`)."""
    notes: list[str] = field(default_factory=list)
    """What was not checked or is not drift (interrupted publishes, parts without sha256)."""

    @property
    def clean(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, object]:
        return {
            "clean": self.clean,
            "checked": {"raw_files": self.raw_files, "lake_parts": self.lake_parts,
                        "deliveries": self.deliveries, "bytes_hashed": self.bytes_hashed},
            "findings": [asdict(f) for f in self.findings],
            "notes": list(self.notes),
        }


# --- one store: listing, reading, naming ------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Store:
    storage: Storage
    workspace_root: Path

    def key(self, *parts: str) -> str:
        if self.storage.is_local:
            return os.path.normpath(os.path.join(self.storage.url, *parts))
        return self.storage.path(*parts)

    def listing(self, root: str) -> dict[str, int]:
        """Every object under `root` (a key): key -> size."""
        if self.storage.is_local:
            out = {}
            for dirpath, _dirs, files in os.walk(root):
                for name in files:
                    p = os.path.join(dirpath, name)
                    out[os.path.normpath(p)] = os.stat(p).st_size
            return out
        fs = self.storage.fs()
        fs.invalidate_cache()
        try:
            found = fs.find(root, detail=True)
        except FileNotFoundError:
            return {}
        return {str(k): int(v.get("size") or 0) for k, v in found.items()
                if v.get("type") != "directory"}

    def size(self, key: str) -> int | None:
        try:
            if self.storage.is_local:
                return os.stat(key).st_size
            return int(self.storage.fs().info(key).get("size") or 0)
        except FileNotFoundError:
            return None

    def read(self, key: str) -> bytes:
        if self.storage.is_local:
            return Path(key).read_bytes()
        return bytes(self.storage.fs().cat_file(key))

    def sha256(self, key: str, advance: Callable[[int], None] | None) -> str:
        h = hashlib.sha256()
        with self.storage.fs().open(key, "rb") as fh:  # fsspec's "file" system when local
            while chunk := fh.read(CHUNK):
                h.update(chunk)
                if advance is not None:
                    advance(len(chunk))
        return h.hexdigest()

    def command_path(self, key: str) -> str:
        """How a command line names the object: its absolute path, or its URL."""
        return key if self.storage.is_local else f"{self.storage.protocol}://{key}"

    def display(self, key: str) -> str:
        if not self.storage.is_local:
            return f"{self.storage.protocol}://{key}"
        return _shown(self.workspace_root, Path(key))


def _shown(root: Path, path: Path) -> str:
    """A local path as the ledger writes it: relative to the workspace when inside it."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _stores(ws: Workspace) -> tuple[_Store, _Store]:
    return _Store(ws.raw, ws.root), _Store(ws.lake, ws.root)


@dataclass(slots=True)
class _Pending:
    """An object whose size matched, to hash against the sha256(s) it may have."""

    store: _Store
    key: str
    size: int
    accepted: frozenset[str]
    area: Area
    delivery_id: str | None
    remedy: str


# --- the lake ------------------------------------------------------------------------------

@dataclass(slots=True)
class _LakeView:
    folders: dict[str, dict[str, int]] = field(default_factory=dict)
    """`delivery=<id>` -> path inside the folder -> size."""
    stray: dict[str, int] = field(default_factory=dict)
    """Objects under parsed/ outside any delivery folder: key -> size."""
    manifests: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Delivery id -> its manifest (None: present but unreadable)."""


def _lake_view(lake: _Store) -> _LakeView:
    root = lake.key(PARSED)
    view = _LakeView()
    for key, size in _listing_under(lake, root).items():
        rel = posixpath.relpath(key, root)
        top, _, rest = rel.partition("/")
        if top.startswith("delivery=") and rest:
            view.folders.setdefault(top, {})[rest] = size
        else:
            view.stray[key] = size
    for top, objects in sorted(view.folders.items()):
        if MANIFEST in objects:
            view.manifests[top.removeprefix("delivery=")] = _manifest(lake, root, top)
    return view


def _listing_under(store: _Store, root: str) -> dict[str, int]:
    if store.storage.is_local and not os.path.isdir(root):
        return {}
    return store.listing(root)


def _manifest(lake: _Store, root: str, top: str) -> dict[str, Any] | None:
    try:
        data = json.loads(lake.read(posixpath.join(root, top, MANIFEST)))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _parts_listed(manifest: dict[str, Any]) -> bool:
    parts = manifest.get("parts")
    return isinstance(parts, list) and bool(parts) and all(
        isinstance(p, dict) and p.get("path") for p in parts)


def _lake_remedy(ws: Workspace, lake: _Store, raw: _Store, did: str) -> str:
    raw_dir = raw.command_path(raw.key(ws.aco_id, did))
    if lake.storage.is_local:
        folder = lake.command_path(lake.key(PARSED, f"delivery={did}"))
        return (f"move {folder} out of the lake, check the raw copy with `aco verify`, then "
                f"re-ingest delivery {did} from it: `aco ingest {raw_dir}`, and rebuild with "
                "`aco build --full-refresh`")
    marker = lake.command_path(lake.key(PARSED, f"delivery={did}", MANIFEST))
    return (f"delete {marker} (the delivery's commit marker: its parts are then ignored and "
            f"removed by the next `aco ingest`), copy the raw files of {raw_dir} to a local "
            f"folder and re-ingest delivery {did} from them with `aco ingest`, then rebuild "
            "with `aco build --full-refresh`")


def _check_lake(ws: Workspace, view: _LakeView, published: Iterable[str], report: VerifyReport,
                pending: list[_Pending], hash_delivery: Callable[[str], bool],
                for_build: bool) -> None:
    raw, lake = _stores(ws)
    root = lake.key(PARSED)
    unhashed = 0

    def add(kind: Kind, key: str, did: str | None, expected: str | None, found: str | None,
            remedy: str) -> None:
        report.findings.append(Finding(kind, "lake", lake.display(key), did, expected, found,
                                       remedy))

    for key, size in sorted(view.stray.items()):
        add("extra", key, None, None, f"{size} bytes",
            f"move {lake.command_path(key)} out of the lake: it is not inside a delivery's "
            "folder")
    for top, objects in sorted(view.folders.items()):
        did = top.removeprefix("delivery=")
        folder = posixpath.join(root, top)
        if MANIFEST not in objects:
            if did in published:
                continue  # reported below, with the other published deliveries it lacks
            if not lake.storage.is_local:
                report.notes.append(f"{lake.display(folder)}: parts of an interrupted publish "
                                    "(no manifest): never visible to readers; the next "
                                    "`aco ingest` removes them")
            elif not for_build:  # hand-made lakes (no manifest) still build
                add("extra", folder, did, None, f"{len(objects)} files, no {MANIFEST}",
                    f"move {lake.command_path(folder)} out of the lake: `aco ingest` did not "
                    "publish it (it has no manifest), yet `aco build` reads its Parquet files")
            continue
        remedy = _lake_remedy(ws, lake, raw, did)
        manifest_key = posixpath.join(folder, MANIFEST)
        m = view.manifests.get(did)
        if m is None or not _parts_listed(m):
            add("changed", manifest_key, did, "a manifest listing the delivery's parts",
                "unreadable" if m is None else "no list of parts", remedy)
            continue
        report.deliveries += 1
        if m.get("delivery_id") != did:
            add("changed", manifest_key, did, f"delivery_id {did}",
                f"delivery_id {m.get('delivery_id')}", remedy)
        listed = {MANIFEST}
        for part in m["parts"]:
            rel = str(part.get("path", ""))
            listed.add(rel)
            report.lake_parts += 1
            key = posixpath.join(folder, rel)
            expected = part.get("size")
            if rel not in objects:
                add("missing", key, did, f"{expected} bytes", None, remedy)
            elif objects[rel] != expected:
                add("size", key, did, f"{expected} bytes", f"{objects[rel]} bytes", remedy)
            elif not part.get("sha256"):
                unhashed += 1
            elif hash_delivery(did):
                report.hashed_deliveries.add(did)
                pending.append(_Pending(lake, key, objects[rel], frozenset({part["sha256"]}),
                                        "lake", did, remedy))
        for rel in sorted(set(objects) - listed):
            key = posixpath.join(folder, rel)
            add("extra", key, did, None, f"{objects[rel]} bytes",
                f"move {lake.command_path(key)} out of the lake: `aco ingest` never wrote it, "
                "and `aco build` reads every Parquet file in a delivery's folder")
    for did in sorted(set(published) - set(view.manifests)):
        key = lake.key(PARSED, f"delivery={did}", MANIFEST)
        add("missing", key, did, "the published delivery's manifest", None,
            _lake_remedy(ws, lake, raw, did))
    if unhashed:
        report.notes.append(f"{unhashed} lake parts were published before parts' sha256s were "
                            "recorded: checked by size only")


def _check_build_state(ws: Workspace, view: _LakeView, report: VerifyReport) -> None:
    raw, _ = _stores(ws)
    if ws.engine != "duckdb":
        report.notes.append(f"the {ws.engine} warehouse records no build state: not checked")
        return
    state = read_state(ws.warehouse_path)
    if state is None:
        report.notes.append("no published warehouse with a build state: not checked")
        return
    where = _shown(ws.root, ws.warehouse_path)
    for source, ids in sorted(state.sources.items()):
        for did in ids:
            objects = view.folders.get(f"delivery={did}", {})
            if not any(rel.startswith(f"{source}/") for rel in objects):
                raw_dir = raw.command_path(raw.key(ws.aco_id, did))
                report.findings.append(Finding(
                    "missing", "warehouse", f"{where}: build state, {source} of {did}", did,
                    f"{source} of delivery {did} in the lake", None,
                    f"the published warehouse was built from delivery {did}, which the lake no "
                    f"longer holds: re-ingest it from its raw copy (`aco ingest {raw_dir}`), "
                    "then `aco build --full-refresh`"))


# --- raw copies ----------------------------------------------------------------------------

def _raw_key(ws: Workspace, raw: _Store, raw_path: str) -> str:
    """The store key of a ledger row's `raw_path` (relative to the workspace, absolute, or a
    URL of the raw store)."""
    if raw.storage.is_local:
        p = Path(raw_path)
        return os.path.normpath(p if p.is_absolute() else ws.root / p)
    m = URL.match(raw_path)
    return m.group(2) if m else raw.key(raw_path)


def _check_raw(ws: Workspace, rows: list[dict[str, object]], view: _LakeView,
               report: VerifyReport, pending: list[_Pending]) -> None:
    raw, _ = _stores(ws)
    # key -> (delivery, accepted sizes, accepted sha256s): a location may be named by the
    # ledger and by a manifest, or (a superseded copy) by more than one row
    expect: dict[str, tuple[str | None, set[int], set[str]]] = {}

    def want(key: str, did: str | None, size: object, sha: object) -> None:
        entry = expect.setdefault(key, (did, set(), set()))
        if isinstance(size, int):
            entry[1].add(size)
        if isinstance(sha, str) and sha:
            entry[2].add(sha)

    for row in rows:
        want(_raw_key(ws, raw, str(row["raw_path"])), str(row["delivery_id"]), row["size"],
             row["sha256"])
    for did, m in sorted(view.manifests.items()):
        files = m.get("raw_files") if m else None
        for f in files if isinstance(files, list) else []:
            if isinstance(f, dict) and f.get("name"):
                want(raw.key(ws.aco_id, did, str(f["name"])), did, f.get("size"),
                     f.get("sha256"))

    listing = _listing_under(raw, raw.key(ws.aco_id))
    hidden = 0
    for key, size in sorted(listing.items()):
        if os.path.basename(key).startswith("."):
            hidden += 1
        elif key not in expect:
            shown = raw.display(key)
            report.findings.append(Finding(
                "extra", "raw", shown, None, None, f"{size} bytes",
                f"{shown} was not landed by `aco ingest` (no ledger row or manifest names it): "
                f"if it is a file CMS sent, record it with `aco ingest {raw.command_path(key)}`; "
                "otherwise move "
                "it out of the raw store"))
    if hidden:
        report.notes.append(f"{hidden} hidden files in the raw store (left by landings that "
                            "were interrupted; the next `aco ingest` removes them)")
    for key, (did, sizes, shas) in sorted(expect.items()):
        report.raw_files += 1
        shown = raw.display(key)
        want_sha = " or ".join(sorted(shas)) or None
        remedy = (f"put back {raw.command_path(key)} exactly as CMS sent it (sha256 "
                  f"{want_sha}), from the original delivery or a backup: `aco` never rewrites "
                  "a raw copy, and the lake was parsed from the original bytes")
        size = listing[key] if key in listing else raw.size(key)
        if size is None:
            report.findings.append(Finding("missing", "raw", shown, did,
                                           f"sha256 {want_sha}", None, remedy))
        elif sizes and size not in sizes:
            report.findings.append(Finding(
                "size", "raw", shown, did, " or ".join(f"{s} bytes" for s in sorted(sizes)),
                f"{size} bytes", remedy))
        elif shas:
            pending.append(_Pending(raw, key, size, frozenset(shas), "raw", did, remedy))


# --- hashing -------------------------------------------------------------------------------

def _hash_all(pending: list[_Pending], report: VerifyReport,
              progress: HashProgress | None) -> None:
    if not pending:
        return
    total = sum(p.size for p in pending)
    advance = progress.start("hashing", total) if progress is not None else None
    for p in pending:
        try:
            digest = p.store.sha256(p.key, advance)
        except FileNotFoundError:  # removed since it was listed
            report.findings.append(Finding("missing", p.area, p.store.display(p.key),
                                           p.delivery_id, f"{p.size} bytes", None, p.remedy))
            continue
        report.bytes_hashed += p.size
        if digest not in p.accepted:
            report.findings.append(Finding(
                "changed", p.area, p.store.display(p.key), p.delivery_id,
                "sha256 " + " or ".join(sorted(p.accepted)), f"sha256 {digest}", p.remedy))


def _ledger_rows(ws: Workspace) -> tuple[list[dict[str, object]], list[DeliveryRow]]:
    path = ledger_path(ws)
    if not path.exists():  # never create a ledger just to read it
        return [], []
    ledger = Ledger(path)
    try:
        return ledger.raw_files(), ledger.deliveries()
    finally:
        ledger.close()


def _published(deliveries: list[DeliveryRow]) -> set[str]:
    return {d.delivery_id for d in deliveries if d.status == "published"}


# --- entry points --------------------------------------------------------------------------

def verify_workspace(ws: Workspace, progress: HashProgress | None = None) -> VerifyReport:
    """Re-hash every raw copy and every lake part, check the build state; repair nothing.

    Holds the ingest lock (a running ingest is waited for, a new one waits) so a delivery
    being landed or published is never seen half-way."""
    with workspace_lock(ws):
        rows, deliveries = _ledger_rows(ws)
        _, lake = _stores(ws)
        view = _lake_view(lake)
        report = VerifyReport()
        pending: list[_Pending] = []
        _check_raw(ws, rows, view, report, pending)
        _check_lake(ws, view, _published(deliveries), report, pending,
                    hash_delivery=lambda _did: True, for_build=False)
        _check_build_state(ws, view, report)
        _hash_all(pending, report, progress)
    return report


def check_lake_for_build(ws: Workspace) -> VerifyReport:
    """The build's gate: raise LakeVerificationError unless every published delivery's parts
    exist with their sizes and nothing else is in their folders, every delivery the ledger
    calls published and every delivery the published warehouse was built from is in the
    lake, and the parts of deliveries new since that build have their sha256s.

    Parts of deliveries the published warehouse was already built from are not re-hashed
    (`aco verify` does that): the cost of a build grows with what is new, not with the lake.
    A delivery folder without a manifest (a lake written by hand) is not checked here."""
    _, lake = _stores(ws)
    view = _lake_view(lake)
    _, deliveries = _ledger_rows(ws)
    state = read_state(ws.warehouse_path) if ws.engine == "duckdb" else None
    built_from = {did for ids in state.sources.values() for did in ids} if state else set()
    report = VerifyReport()
    pending: list[_Pending] = []
    _check_lake(ws, view, _published(deliveries), report, pending,
                hash_delivery=lambda did: did not in built_from, for_build=True)
    if state is not None:
        _check_build_state(ws, view, report)
    _hash_all(pending, report, None)
    if report.findings:
        raise LakeVerificationError(build_refusal(report.findings), report.findings)
    return report


def build_refusal(findings: list[Finding]) -> str:
    """The build's error: the first finding, what to do, how many more."""
    first = findings[0]
    more = len(findings) - 1
    tail = f" ({more} more finding{'s' if more > 1 else ''}: run `aco verify`)" if more else ""
    return (f"the lake fails verification, so nothing was built and the published warehouse "
            f"is unchanged: {first.describe()}. To repair: {first.remedy}{tail}")
