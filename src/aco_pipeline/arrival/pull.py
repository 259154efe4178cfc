"""`aco pull`: list a source, fetch the deliveries that are new and complete, ingest them.

For each source: list it; drop names that are not CMS files or belong to another ACO, files
already handled (arrival state: same path, size and version) and files already landed by
ingest (ledger: same name and size, unless their delivery is quarantined: a changed file of
the same size may be the intact copy that supersedes it). If anything is left, wait
`stability_seconds` and list again: a file whose size or version moved is still being written
and is left for the next pull. The rest is downloaded into the workspace's download area as a
hidden `.part` file that a broken transfer resumes from its offset; a download counts only
when its size equals the remote size and the remote file did not change meanwhile. A
download whose sha256 equals the raw copy already landed under that name is `unchanged` and
not ingested again. The complete files go to `ingest()` together (so CCLF files of one
delivery meet), and their downloads are removed once ingest has its raw copy.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from aco_pipeline.arrival.config import ArrivalConfig, load_arrival_config
from aco_pipeline.arrival.source import (
    ArrivalError,
    RemoteFile,
    Source,
    iter_chunks,
    redact_url,
    source_key,
)
from aco_pipeline.arrival.state import ArrivalState
from aco_pipeline.config import Workspace
from aco_pipeline.fsutil import fsync_dir, sha256_of
from aco_pipeline.ingest.pipeline import Outcome, ProgressSink, ingest, workspace_lock
from aco_pipeline.naming import UnrecognisedFileName, parse_name

FSSPEC_SCHEMES = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "file")


@dataclass(frozen=True, slots=True)
class FileResult:
    name: str
    path: str
    status: str  # ingested | downloaded | unchanged | skipped | growing | ignored | failed
    detail: str
    resumed_from: int = 0


@dataclass(slots=True)
class PullResult:
    source: str  # redacted URL
    files: list[FileResult] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    @property
    def pulled(self) -> int:
        """Files transferred completely by this pull."""
        return sum(f.status in ("ingested", "downloaded", "unchanged") for f in self.files)


@dataclass(frozen=True, slots=True)
class Downloaded:
    path: Path
    sha256: str
    resumed_from: int


def open_source(url: str, cfg: ArrivalConfig, *, trust_unknown_host: bool = False,
                known_hosts: Path | None = None) -> Source:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sftp":
        from aco_pipeline.arrival.sftp import SftpSource

        return SftpSource(url, auth=cfg.sftp_auth, known_hosts=known_hosts or cfg.known_hosts,
                          trust_unknown_host=trust_unknown_host, timeout=cfg.connect_timeout)
    if scheme in FSSPEC_SCHEMES:
        from aco_pipeline.arrival.objectstore import ObjectStoreSource

        return ObjectStoreSource(url, cfg.options_for(scheme))
    raise ArrivalError(f"{redact_url(url)}: unsupported URL; use sftp://, s3://, gs://, az:// "
                       "or file://")


def pull(ws: Workspace, urls: Sequence[str] | None = None, *, cfg: ArrivalConfig | None = None,
         trust_unknown_host: bool = False, known_hosts: Path | None = None,
         stability_seconds: float | None = None, ingest_files: bool = True,
         progress: ProgressSink | None = None,
         sleep: Callable[[float], None] = time.sleep) -> list[PullResult]:
    """Pull every URL (default: the configured sources); one result per source.

    A source that fails (unreachable, refused host key, broken transfer) is reported in its
    result's `error`; the other sources are still pulled.
    """
    cfg = cfg or load_arrival_config(ws)
    urls = list(urls) if urls else list(cfg.sources)
    if stability_seconds is not None:
        cfg = replace(cfg, stability_seconds=stability_seconds)
    results = []
    with workspace_lock(ws, "pull"):
        state = ArrivalState(ws)
        try:
            for url in urls:
                results.append(_pull_one(ws, cfg, state, url, trust_unknown_host=trust_unknown_host,
                                         known_hosts=known_hosts, ingest_files=ingest_files,
                                         progress=progress, sleep=sleep))
        finally:
            state.close()
    return results


def _pull_one(ws: Workspace, cfg: ArrivalConfig, state: ArrivalState, url: str, *,
              trust_unknown_host: bool, known_hosts: Path | None, ingest_files: bool,
              progress: ProgressSink | None, sleep: Callable[[float], None]) -> PullResult:
    result = PullResult(redact_url(url))
    try:
        source = open_source(url, cfg, trust_unknown_host=trust_unknown_host,
                             known_hosts=known_hosts)
    except ArrivalError as exc:
        result.error = str(exc)
        return result
    label = source.label
    dest = cfg.download_dir / source_key(label)
    fetched: list[tuple[RemoteFile, Downloaded]] = []
    try:
        candidates = _select(ws, state, label, source.list_files(), result)
        if candidates and cfg.stability_seconds > 0:
            sleep(cfg.stability_seconds)
            again = {f.path: f for f in source.list_files()}
            stable = []
            for f in candidates:
                later = again.get(f.path)
                if later is None:
                    result.files.append(FileResult(f.name, f.path, "growing",
                                                   "disappeared between listings"))
                elif (later.size, later.version) != (f.size, f.version):
                    result.files.append(FileResult(
                        f.name, f.path, "growing",
                        f"still being written ({f.size} -> {later.size} bytes); next pull"))
                else:
                    stable.append(f)
            candidates = stable
        for f in candidates:
            try:
                d = download(source, f, dest, cfg.chunk_size, progress)
            except ArrivalError as exc:
                result.files.append(FileResult(f.name, f.path, "failed", str(exc)))
                result.error = (f"{label}: download of {f.name} broke ({exc}); "
                                "the next pull resumes it")
                break
            after = source.stat(f.path)
            if (after.size, after.version) != (f.size, f.version):
                d.path.unlink(missing_ok=True)
                result.files.append(FileResult(f.name, f.path, "growing",
                                               "changed during the download; next pull"))
                continue
            known = state.ingested(f.name)
            if known is not None and known.sha256 == d.sha256:
                d.path.unlink(missing_ok=True)
                state.record(label, f.path, f.name, f.size, f.version, d.sha256, "unchanged",
                             parse_name(f.name).delivery_id)
                result.files.append(FileResult(f.name, f.path, "unchanged",
                                               "same bytes as the raw copy already landed",
                                               d.resumed_from))
                continue
            fetched.append((f, d))
    except ArrivalError as exc:
        result.error = str(exc)
    finally:
        source.close()
    if fetched and ingest_files:
        _ingest_fetched(ws, state, label, fetched, result, progress)
    else:
        for f, d in fetched:
            state.record(label, f.path, f.name, f.size, f.version, d.sha256, "downloaded",
                         parse_name(f.name).delivery_id)
            result.files.append(FileResult(f.name, f.path, "downloaded", str(d.path),
                                           d.resumed_from))
    return result


def _select(ws: Workspace, state: ArrivalState, label: str, listing: list[RemoteFile],
            result: PullResult) -> list[RemoteFile]:
    """The files of a listing worth fetching; the others are noted in `result`."""
    chosen: dict[str, RemoteFile] = {}
    for f in listing:
        try:
            name = parse_name(f.name)
        except UnrecognisedFileName:
            result.files.append(FileResult(f.name, f.path, "ignored", "not a CMS file name"))
            continue
        if name.entity_id != ws.aco_id:
            result.files.append(FileResult(f.name, f.path, "ignored",
                                           f"for {name.entity_id}, not {ws.aco_id}"))
            continue
        if f.name in chosen:
            result.files.append(FileResult(f.name, f.path, "skipped",
                                           f"same name as {chosen[f.name].path}, fetched once"))
            continue
        outcome = state.seen(label, f.path, f.size, f.version)
        if outcome is not None:
            result.files.append(FileResult(f.name, f.path, "skipped",
                                           f"already handled ({outcome})"))
            continue
        known = state.ingested(f.name)
        if known is not None and known.size == f.size and not known.quarantined:
            result.files.append(FileResult(f.name, f.path, "skipped", "already ingested"))
            continue
        chosen[f.name] = f
    return list(chosen.values())


def download(source: Source, f: RemoteFile, dest_dir: Path, chunk_size: int,
             progress: ProgressSink | None = None) -> Downloaded:
    """Fetch `f` into `dest_dir/<name>`, resuming a `.part` left by a broken transfer."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / f.name
    part = dest_dir / f".{f.name}.part"
    meta = dest_dir / f".{f.name}.part.json"
    identity = {"path": f.path, "size": f.size, "version": f.version}
    offset = 0
    if part.exists() and meta.exists():
        try:
            same = json.loads(meta.read_text(encoding="utf-8")) == identity
        except (OSError, ValueError):
            same = False
        if same and part.stat().st_size <= f.size:
            offset = part.stat().st_size
    if offset == 0:
        part.unlink(missing_ok=True)
        meta.write_text(json.dumps(identity), encoding="utf-8")
    advance = progress.start(f.name, f.size) if progress else None
    if advance and offset:
        advance(offset)
    with source.open(f) as fh, part.open("ab") as out:
        if offset:
            fh.seek(offset)
        for data in iter_chunks(fh, f.size - offset, chunk_size):
            out.write(data)
            if advance:
                advance(len(data))
        out.flush()
        os.fsync(out.fileno())
    if part.stat().st_size != f.size:
        raise ArrivalError(f"{f.name}: got {part.stat().st_size} bytes, expected {f.size}")
    digest = sha256_of(part)
    os.replace(part, final)
    meta.unlink(missing_ok=True)
    fsync_dir(dest_dir)
    return Downloaded(final, digest, offset)


def _ingest_fetched(ws: Workspace, state: ArrivalState, label: str,
                    fetched: list[tuple[RemoteFile, Downloaded]], result: PullResult,
                    progress: ProgressSink | None) -> None:
    outcomes = ingest(ws, [d.path for _, d in fetched], progress=progress)
    result.outcomes.extend(outcomes)
    by_delivery = {o.delivery_id: o for o in outcomes if o.delivery_id}
    for f, d in fetched:
        did = parse_name(f.name).delivery_id
        o = by_delivery.get(did)
        status = o.status if o else "ingested"
        state.record(label, f.path, f.name, f.size, f.version, d.sha256, status, did)
        result.files.append(FileResult(f.name, f.path, "ingested", status, d.resumed_from))
        d.path.unlink(missing_ok=True)
