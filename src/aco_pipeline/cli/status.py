"""`aco status`: what arrived, what covers which period, which checks passed."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, console, open_workspace
from aco_pipeline.naming import parse_name, reference_period

if TYPE_CHECKING:
    from aco_pipeline.config import Workspace

# the extension that makes a delivery id a parseable file name again
_EXT = {"cclf": "", "alr": ".csv", "bnex": ".xml"}


@app.command()
def status(
    workspace: WorkspaceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    checks: Annotated[bool, typer.Option(help="List every check of every delivery.")] = False,
) -> None:
    """Deliveries received, periods covered, files per delivery, checks passed/failed.

    Also lists the warnings of published deliveries (e.g. a harmless file ending), the
    copies of a file that were refused and superseded (kept in quarantine/refused/), and how
    long each incomplete delivery has waited for the rest of its files.
    """
    from aco_pipeline.ingest.ledger import Ledger
    from aco_pipeline.ingest.pipeline import ledger_path
    from aco_pipeline.ingest.waiting import age, incomplete_waits

    ws = open_workspace(workspace)
    path = ledger_path(ws)
    if not path.exists():
        console().print(f"workspace {ws.root} ({ws.aco_id}, PY{ws.performance_year}): "
                      "nothing ingested yet")
        return
    ledger = Ledger(path)
    try:
        rows = ledger.deliveries()
        raw = _by_delivery(ledger.raw_files())
        refused = _by_delivery(ledger.refused_files())
        waits = {w.delivery_id: w for w in incomplete_waits(ledger, datetime.now(UTC))}
    finally:
        ledger.close()
    if as_json:
        out_rows = []
        for r in rows:
            d: dict[str, object] = asdict(r)
            d["warnings"] = _warnings(r.checks)
            d["raw_files"] = raw.get(r.delivery_id, [])
            d["refused"] = refused.get(r.delivery_id, [])
            w = waits.get(r.delivery_id)
            if w is not None:
                d["waiting_since"] = w.since.isoformat()
                d["waiting_hours"] = round(w.hours, 2)
            out_rows.append(d)
        print(json.dumps(out_rows, indent=1, default=str))
        return
    t = Table(title=f"{ws.aco_id} PY{ws.performance_year}: deliveries received")
    t.add_column("delivery", no_wrap=True)
    for col in ("period", "status", "files", "records", "checks", "detail"):
        t.add_column(col, overflow="fold")
    counts: Counter[str] = Counter()
    for r in rows:
        passed = sum(1 for c in r.checks if c.get("passed"))
        warned = sum(1 for c in r.checks if c.get("warning"))
        failed = sum(1 for c in r.checks if not c.get("passed") and not c.get("warning"))
        failed += r.status == "quarantined"
        records = sum(int(f.get("records", 0) or 0) for f in r.files)
        style = {"published": "green", "quarantined": "red", "incomplete": "yellow"}[r.status]
        counts[r.status] += 1
        detail = r.detail or ""
        if r.delivery_id in waits:
            detail = f"{detail}; waiting {age(waits[r.delivery_id].hours)}"
        t.add_row(r.delivery_id, _period(r.delivery_id, r.kind,
                                         [str(f.get("name", "")) for f in r.files]),
                  f"[{style}]{r.status}[/]", str(len(r.files)),
                  f"{records:,}" if r.status == "published" else "",
                  f"{passed} ok" + (f", {warned} warn" if warned else "")
                  + (f", [red]{failed} failed[/]" if failed else ""),
                  detail)
    out = console()
    out.print(t)
    out.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())), highlight=False)
    for w in waits.values():
        out.print(Text("waiting ", style="yellow") + Text(w.describe()), highlight=False,
                  soft_wrap=True)
    for r in rows:
        for warning in _warnings(r.checks):
            out.print(Text("warning ", style="yellow") + Text(f"{r.delivery_id}: {warning}"),
                      highlight=False, soft_wrap=True)
    if refused:
        _copies(raw, refused)
    _data_quality(ws)
    if checks:
        c = Table(title="checks")
        for col in ("delivery", "file", "check", "result", "detail"):
            c.add_column(col, overflow="fold")
        for r in rows:
            for ch in r.checks:
                result = "warn" if ch.get("warning") else ("ok" if ch.get("passed") else "FAIL")
                c.add_row(r.delivery_id, str(ch["file"]), str(ch["check"]), result,
                          str(ch.get("detail", "")))
        console().print(c)


def _period(delivery_id: str, kind: str, files: list[str]) -> str:
    """The period a delivery speaks for (a CMS report's from its names, ingest.cms_report)."""
    if kind in _EXT:
        return reference_period(parse_name(delivery_id + _EXT[kind]))
    from aco_pipeline.ingest.cms_report import report_period

    return report_period(delivery_id, files)


def _by_delivery(rows: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        out.setdefault(str(r["delivery_id"]), []).append(r)
    return out


def _warnings(checks: list[dict[str, object]]) -> list[str]:
    return [f"{c['file']}: {c.get('detail') or c['check']}" for c in checks if c.get("warning")]


def _copies(raw: dict[str, list[dict[str, object]]],
            refused: dict[str, list[dict[str, object]]]) -> None:
    """Every copy received of each file that had a copy refused: the one in raw/ and the
    refused ones kept in the quarantine, with sha256 and why (one line each, unwrapped)."""
    out = console()
    out.print("files received more than once (refused copies are kept):", highlight=False)
    for did, copies in sorted(refused.items()):
        for name in sorted({str(c["name"]) for c in copies}):
            out.print(f"  {did}: {name}", highlight=False, markup=False, soft_wrap=True)
            for f in raw.get(did, []):
                if f["name"] == name:
                    out.print(f"    in raw/  sha256 {f['sha256']}  received {f['received_at']}"
                              f"  at {f['raw_path']}", highlight=False, markup=False,
                              soft_wrap=True)
            for c in copies:
                if c["name"] == name:
                    out.print(f"    refused  sha256 {c['sha256']}  received {c['received_at']}"
                              f"  kept at {c['kept_at']}  reason: {c['reason']}",
                              highlight=False, markup=False, soft_wrap=True)


def _data_quality(ws: Workspace) -> None:
    """Problems the last published warehouse build found (mart_data_quality), with counts."""
    from aco_pipeline.errors import AcoError as ReportError
    from aco_pipeline.warehouse.reports import data_quality_summary

    out = console()
    try:
        rows = data_quality_summary(ws)
    except ReportError:
        out.print("warehouse: not built yet (`aco build`)")
        return
    if not rows:
        out.print("warehouse: no data-quality problems")
        return
    t = Table(title=f"data quality in the published warehouse ({ws.engine})")
    for col in ("area", "check", "severity", "records", "example"):
        t.add_column(col, overflow="fold")
    for r in rows:
        style = "red" if r["severity"] == "error" else "yellow"
        t.add_row(r["area"], r["check_name"], f"[{style}]{r['severity']}[/]",
                  f"{r['records']:,}", r["example"])
    out.print(t)
