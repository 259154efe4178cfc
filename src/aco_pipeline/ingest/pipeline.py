"""`aco ingest`: land raw copies, verify, parse and publish deliveries, idempotently.

Flow per delivery: land every file of it under raw/ (immutable, sha256), then, unless the
same content was handled before, verify and parse it into a local staging folder and publish
it (lake.publish: one rename on a local lake; parts then the manifest as commit marker on a
remote one). CMS's own reports (BNMRK, QEXPU, NCBP, ...) go the same way, read
by ingest.cms_report. A failed check quarantines the delivery: its raw copy is kept, nothing of it
reaches the lake, and the ledger records the error. A CCLF delivery missing some of its
twelve files waits as incomplete until the rest arrive.

Raw store and lake may each be a local folder or an fsspec URL (lake.storage). Parsing always
reads local files: with a remote raw store, the local copies made while landing (kept in
`Workspace.raw_dir`, the working folder, until the delivery is published or quarantined).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import BinaryIO, Protocol

import pyarrow.compute as pc
import pyarrow.parquet as pq

from aco_pipeline.cms_reports.errors import CmsReportError
from aco_pipeline.config import Workspace
from aco_pipeline.fsutil import sha256_of
from aco_pipeline.ingest.alr import AlrError, parse_alr
from aco_pipeline.ingest.arrivals import discover
from aco_pipeline.ingest.bnex import BnexError, parse_bnex
from aco_pipeline.ingest.cclf_delivery import (
    DeliveryError,
    IncompleteDelivery,
    open_members,
    stage_cclf_delivery,
)
from aco_pipeline.ingest.cms_report import delivery_name, file_name, is_report, stage_report
from aco_pipeline.ingest.landing import (
    RawConflict,
    clean_partial,
    fetch_remote,
    land,
    land_remote,
    remote_files,
    remote_sha256,
)
from aco_pipeline.ingest.ledger import DeliveryRow, Ledger, now
from aco_pipeline.ingest.rawstore import raw_delivery_dir, raw_location
from aco_pipeline.ingest.rawstore import raw_rel as _raw_rel
from aco_pipeline.ingest.supersede import restore_refused, supersede
from aco_pipeline.lake.publish import (
    clean_remote_orphans,
    clean_staging,
    is_published,
    new_staging_dir,
    publish_to,
    published_manifests,
    remote_lake,
    staged_parts,
    write_manifest,
)
from aco_pipeline.naming import CmsFileName, UnrecognisedFileName, parse_name

# the date column that says which period a file's claims cover
PERIOD_COLUMNS = {
    "CCLF1": "clm_thru_dt", "CCLF5": "clm_thru_dt", "CCLF6": "clm_thru_dt",
    "CCLF7": "clm_line_from_dt",
}


class ProgressSink(Protocol):
    def start(self, description: str, total: int) -> Callable[[int], None]: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: str | None
    status: str  # published | unchanged | quarantined | incomplete | rejected | skipped
    message: str


def ledger_path(ws: Workspace) -> Path:
    return ws.state_dir / "ingest.sqlite"


@contextmanager
def workspace_lock(ws: Workspace, name: str = "ingest") -> Iterator[None]:
    """One writer at a time per workspace; a second one waits."""
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    with (ws.state_dir / f"{name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ingest(ws: Workspace, paths: Sequence[Path], *, retry: bool = False,
           progress: ProgressSink | None = None) -> list[Outcome]:
    with workspace_lock(ws):
        ledger = Ledger(ledger_path(ws))
        try:
            recover(ws, ledger)
            return _ingest(ws, ledger, paths, retry=retry, progress=progress)
        finally:
            ledger.close()


def recover(ws: Workspace, ledger: Ledger) -> None:
    """Finish what a killed run left: drop partial copies, staging and (remote lake) the parts
    of interrupted publishes; repair the ledger from the published manifests and the refused
    copies kept in the quarantine."""
    clean_partial(ws.raw_dir)
    clean_staging(ws.lake_dir)
    restore_refused(ws, ledger)
    if ws.lake.is_local:
        manifests = list(published_manifests(ws.lake_dir))
    else:
        listing = remote_lake(ws.lake)
        clean_remote_orphans(ws.lake, listing)
        for did in listing.damaged:
            ledger.event(did, "damaged", f"{did}: its manifest in {ws.lake.url} lists parts "
                         "that are missing or of another size; it is not visible to readers "
                         "and is published again when its files are ingested again")
        manifests = [listing.committed[d] for d in sorted(listing.committed)]
    for manifest in manifests:
        did = str(manifest["delivery_id"])
        _restore_raw_rows(ws, ledger, manifest)
        row = ledger.delivery(did)
        if row is None or row.status != "published":
            ledger.put_delivery(_row_from_manifest(manifest), "recovered",
                                "published before a crash; ledger repaired from its manifest")


def _restore_raw_rows(ws: Workspace, ledger: Ledger, manifest: dict[str, object]) -> None:
    """Ledger rows of a published delivery's raw files (a lost or new ledger, a crash
    between publishing and recording), from the sizes and sha256 its manifest carries."""
    did = str(manifest["delivery_id"])
    raw_files = manifest.get("raw_files")
    for f in raw_files if isinstance(raw_files, list) else []:
        name = str(f.get("name", ""))
        if not name or ledger.raw_file(name) is not None:
            continue
        try:
            parsed = parse_name(name)
        except UnrecognisedFileName:
            report = delivery_name(did, raw_delivery_dir(ws, did))
            if report is None:
                continue
            parsed = file_name(name, report)
        ledger.record_raw({
            "name": name, "delivery_id": did, "kind": parsed.kind,
            "file_type": parsed.file_type, "performance_year": parsed.performance_year,
            "created": parsed.created.isoformat() if parsed.created else None,
            "size": int(f["size"]), "sha256": str(f["sha256"]),
            "raw_path": raw_location(ws, did, name),
            "received_at": str(f.get("received_at") or now()),
        })


def _ingest(ws: Workspace, ledger: Ledger, paths: Sequence[Path], *, retry: bool,
            progress: ProgressSink | None) -> list[Outcome]:
    found = discover(paths)
    outcomes = [Outcome(None, "skipped", r.reason) for r in found.skipped]
    outcomes += [Outcome(None, "rejected", r.reason) for r in found.rejected]
    touched: dict[str, CmsFileName] = {}
    notes: dict[str, list[str]] = {}  # delivery -> what superseding its files did
    for a in found.arrivals:
        did = a.name.delivery_id
        if a.name.entity_id != ws.aco_id:
            outcomes.append(Outcome(did, "rejected", f"{a.name.name}: belongs to "
                                    f"{a.name.entity_id}, this workspace is {ws.aco_id}"))
            continue
        known = ledger.raw_file(a.name.name)
        known_sha = str(known["sha256"]) if known else None
        try:
            local = raw_delivery_dir(ws, did) / a.name.name
            if ws.raw.is_local:
                landed = land(a.path, local, known_sha)
            else:
                landed = land_remote(a.path, ws.raw, _raw_rel(ws, did, a.name.name), local,
                                     known_sha)
        except RawConflict as exc:
            early = _on_conflict(ws, ledger, a.name, a.path, exc)
            if isinstance(early, Outcome):
                outcomes.append(early)
                continue
            notes.setdefault(did, []).append(early)
            touched.setdefault(did, a.name)
            continue
        ledger.record_raw({
            "name": a.name.name, "delivery_id": did, "kind": a.name.kind,
            "file_type": a.name.file_type, "performance_year": a.name.performance_year,
            "created": a.name.created.isoformat() if a.name.created else None,
            "size": landed.size, "sha256": landed.sha256,
            "raw_path": raw_location(ws, did, a.name.name), "received_at": now(),
        })
        touched.setdefault(did, a.name)
    for did, name in touched.items():
        outcome = _process(ws, ledger, did, name, retry=retry, progress=progress)
        if did in notes:
            outcome = replace(outcome, message=f"{outcome.message} ({'; '.join(notes[did])})")
        if not ws.raw.is_local and outcome.status != "incomplete":
            # the working copies of a remote raw store; an incomplete delivery keeps them
            # for when the rest arrives
            shutil.rmtree(raw_delivery_dir(ws, did), ignore_errors=True)
        outcomes.append(outcome)
    return outcomes


def _on_conflict(ws: Workspace, ledger: Ledger, name: CmsFileName, source: Path,
                 exc: RawConflict) -> Outcome | str:
    """A file of a known name arrived with other bytes. Its delivery quarantined and never
    published: the new copy supersedes the refused one (ingest.supersede), and a note for the
    outcome is returned. Otherwise the outcome: rejected (raw files are never replaced), or
    unchanged when these exact bytes were refused before."""
    did = name.delivery_id
    previous = ledger.delivery(did)
    if (exc.sha256 is None or previous is None or previous.status != "quarantined"
            or is_published(ws.lake, did)):
        ledger.event(did, "rejected", str(exc))
        return Outcome(did, "rejected", str(exc))
    before = [r for r in ledger.refused_files(did)
              if r["name"] == name.name and r["sha256"] == exc.sha256]
    if before:
        msg = (f"{name.name}: these bytes were refused before ({before[0]['reason']}); "
               "nothing changed")
        ledger.event(did, "unchanged", msg)
        return Outcome(did, "unchanged", msg)
    try:
        done = supersede(ws, ledger, name, source, exc.sha256,
                         previous.detail or "quarantined")
    except RawConflict as refused:
        ledger.event(did, "rejected", str(refused))
        return Outcome(did, "rejected", str(refused))
    return (f"{name.name}: superseded the refused copy, sha256 {done.refused_sha256}, "
            f"kept in {done.kept_at}")


def _stored_raw(ws: Workspace, did: str) -> dict[str, int]:
    """Name -> size of the delivery's files in the raw store."""
    if not ws.raw.is_local:
        return remote_files(ws.raw, _raw_rel(ws, did))
    return {p.name: p.stat().st_size for p in raw_delivery_dir(ws, did).iterdir()
            if not p.name.startswith(".")}


def _content(ws: Workspace, ledger: Ledger, did: str) -> tuple[str, list[dict[str, object]]]:
    """The delivery's raw files (name, size, sha256, received) and a key over their bytes."""
    files = []
    for name, size in sorted(_stored_raw(ws, did).items()):
        known = ledger.raw_file(name)
        if known:
            digest = str(known["sha256"])
        elif ws.raw.is_local:
            digest = sha256_of(raw_delivery_dir(ws, did) / name)
        else:
            digest = remote_sha256(ws.raw.fs(), ws.raw.path(_raw_rel(ws, did, name)))
        files.append({
            "name": name,
            "size": size,
            "sha256": digest,
            "received_at": known["received_at"] if known else now(),
        })
    key = hashlib.sha256(
        "\n".join(f"{f['name']} {f['sha256']}" for f in files).encode()
    ).hexdigest()
    return key, files


def _process(ws: Workspace, ledger: Ledger, did: str, name: CmsFileName, *, retry: bool,
             progress: ProgressSink | None) -> Outcome:
    key, raw_files = _content(ws, ledger, did)
    previous = ledger.delivery(did)
    if is_published(ws.lake, did):
        if previous and previous.content_key != key:
            msg = (f"{did}: already published; the newly received file is kept in raw/ "
                   "but the published delivery is not changed")
        else:
            msg = f"{did}: already ingested, nothing changed"
        ledger.event(did, "unchanged", msg)
        return Outcome(did, "unchanged", msg)
    if previous and previous.content_key == key and previous.status == "quarantined" \
            and not retry:
        msg = (f"{did}: already quarantined, nothing changed ({previous.detail}); "
               "use --retry to check it again")
        ledger.event(did, "unchanged", msg)
        return Outcome(did, "unchanged", msg)

    created = name.created or date.today()
    base = {
        "delivery_id": did, "kind": "cclf" if name.kind.startswith("cclf") else name.kind,
        "run": name.run, "performance_year": name.performance_year,
        "created": name.created.isoformat() if name.created else None,
        "period": name.period,
    }
    staging = new_staging_dir(ws.lake_dir, did)
    try:
        parsed_files, checks = _stage(ws, did, name, staging, created, raw_files, progress)
        by_name = {str(f["name"]): f for f in raw_files}
        files = [{**by_name.get(str(f["name"]), {}), **f} for f in parsed_files]
        manifest = {**base, "status": "published", "published_at": now(), "content_key": key,
                    "raw_files": raw_files, "files": files, "checks": checks}
        manifest.update(_period_covered(staging))
        manifest["parts"] = staged_parts(staging)
        write_manifest(staging, manifest)
        publish_to(staging, ws.lake, did)
        if not ws.lake.is_local:
            shutil.rmtree(staging, ignore_errors=True)  # uploaded: the local staging is done
    except IncompleteDelivery as exc:
        shutil.rmtree(staging, ignore_errors=True)
        row = _row(base, "incomplete", key, f"missing {', '.join(exc.missing)}", [], raw_files)
        ledger.put_delivery(row, "incomplete", str(exc))
        return Outcome(did, "incomplete", f"{exc}; waiting for the rest")
    except (DeliveryError, AlrError, BnexError, CmsReportError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        _quarantine(ws, did, str(exc), raw_files)
        ledger.put_delivery(_row(base, "quarantined", key, str(exc), [], raw_files),
                            "quarantined", str(exc))
        return Outcome(did, "quarantined", str(exc))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    ledger.put_delivery(_row_from_manifest(manifest), "published",
                        f"{did}: published {len(files)} files")
    total = sum(int(str(f.get("records", 0))) for f in files)
    return Outcome(did, "published", f"{did}: published {len(files)} files, {total} records")


def _stage(ws: Workspace, did: str, name: CmsFileName, staging: Path, created: date,
           raw_files: list[dict[str, object]], progress: ProgressSink | None
           ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    raw_dir = _local_raw(ws, did, raw_files)
    if name.kind in ("cclf", "cclf_bundle"):
        with open_members(raw_dir, did) as members:
            advance = (progress.start(did, sum(m.size for m in members.values()))
                       if progress else None)
            return stage_cclf_delivery(did, members, staging, created, advance)
    if is_report(name):
        return stage_report(raw_dir, did, staging)
    path = raw_dir / name.name
    if name.kind == "alr":
        return _stage_alr(path, name, staging, created)
    rows = parse_bnex(path, staging / "bnex" / "part-0.parquet", source_file=name.name,
                      delivery_date=created)
    return ([{"name": name.name, "file_type": "BNEX", "records": rows}],
            [{"file": name.name, "check": "all beneficiaries parse", "passed": True,
              "warning": False, "detail": f"{rows} beneficiaries"}])


def _local_raw(ws: Workspace, did: str, raw_files: list[dict[str, object]]) -> Path:
    """The folder the parser reads the delivery's raw files from. With a remote raw store,
    the working copies landed in this run (or kept from an earlier one while the delivery was
    incomplete); only a file held nowhere locally is downloaded again, checked by sha256."""
    local = raw_delivery_dir(ws, did)
    if ws.raw.is_local:
        return local
    for f in raw_files:
        name = str(f["name"])
        p = local / name
        if not (p.is_file() and p.stat().st_size == f["size"]):
            fetch_remote(ws.raw, _raw_rel(ws, did, name), p, str(f["sha256"]))
    return local


def _stage_alr(path: Path, name: CmsFileName, staging: Path, created: date
               ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """An ALR table CSV, or a zip of them: one lake folder per table (alr_1_1, ...)."""
    files: list[dict[str, object]] = []
    checks: list[dict[str, object]] = []

    def one(table: str, member: str, opener: Callable[[], BinaryIO]) -> None:
        with opener() as fh:
            result = parse_alr(fh, staging / f"alr_{table.replace('-', '_')}" / "part-0.parquet",
                               table=table, source_file=member, delivery_date=created)
        files.append({"name": member, "file_type": f"ALR {table}", "records": result.rows})
        checks.append({"file": member, "check": "all rows parse", "passed": True,
                       "warning": False, "detail": f"{result.rows} rows"})
        for label, cols in (("unknown columns (kept as text)", result.unknown_columns),
                            ("expected columns missing", result.missing_columns)):
            if cols:
                checks.append({"file": member, "check": label, "passed": False,
                               "warning": True, "detail": ", ".join(cols)})

    if name.alr_table:
        one(name.alr_table, name.name, lambda: path.open("rb"))
        return files, checks
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                member = info.filename.rsplit("/", 1)[-1]
                try:
                    table = parse_name(member).alr_table
                except UnrecognisedFileName:
                    table = None
                if info.is_dir() or not table:
                    checks.append({"file": member, "check": "ALR table recognised",
                                   "passed": False, "warning": True, "detail": "skipped"})
                    continue
                one(table, member, lambda info=info: zf.open(info))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise AlrError(f"{name.name}: not a readable zip file ({exc})") from exc
    if not files:
        raise AlrError(f"{name.name}: the zip holds no ALR table CSV")
    return files, checks


def _period_covered(staging: Path) -> dict[str, str | None]:
    lows, highs = [], []
    for ft, col in PERIOD_COLUMNS.items():
        path = staging / ft.lower() / "part-0.parquet"
        if path.exists():
            mm = pc.min_max(pq.read_table(path, columns=[col])[col])
            if mm["min"].is_valid:
                lows.append(mm["min"].as_py())
                highs.append(mm["max"].as_py())
    return {
        "claims_from": min(lows).isoformat() if lows else None,
        "claims_thru": max(highs).isoformat() if highs else None,
    }


def _quarantine(ws: Workspace, did: str, error: str, raw_files: list[dict[str, object]]) -> None:
    ws.quarantine_dir.mkdir(parents=True, exist_ok=True)
    report = {"delivery_id": did, "error": error, "at": now(), "raw_files": raw_files,
              "raw_dir": raw_location(ws, did)}
    tmp = ws.quarantine_dir / f".{did}.json.tmp"
    tmp.write_text(json.dumps(report, indent=1), encoding="utf-8")
    tmp.replace(ws.quarantine_dir / f"{did}.json")


def _row(base: dict[str, object], status: str, key: str, detail: str | None,
         checks: list[dict[str, object]], files: list[dict[str, object]]) -> DeliveryRow:
    py = base.get("performance_year")
    return DeliveryRow(
        delivery_id=str(base["delivery_id"]), kind=str(base["kind"]),
        run=base.get("run"),  # type: ignore[arg-type]
        performance_year=int(py) if isinstance(py, int) else None,
        created=base.get("created"),  # type: ignore[arg-type]
        status=status, content_key=key, detail=detail, checks=checks, files=files,
        updated_at=now(),
    )


def _row_from_manifest(m: dict[str, object]) -> DeliveryRow:
    detail = None
    if m.get("claims_from"):
        detail = f"claims {m['claims_from']} to {m['claims_thru']}"
    return _row(m, "published", str(m["content_key"]), detail,
                m["checks"], m["files"])  # type: ignore[arg-type]
