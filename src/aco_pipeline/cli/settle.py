"""`aco settle --puf FILE`: recompute every ACO's earned shared savings/losses from the inputs of
a CMS "Performance Year Financial and Quality Results" file and compare with the published ones.

Exit status: 0 when every ACO is within $1 or has a reason the published data cannot determine
it, 1 when an unexplained mismatch remains (or the file cannot be read).
"""

from __future__ import annotations

import csv
import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import console, err_console, fail
from aco_pipeline.metrics.puf import MARKER_TEXT, Marker, PufError, read_puf
from aco_pipeline.metrics.settlement import (
    MATCH,
    MISMATCH,
    MONEY_COLUMNS,
    UNDETERMINED,
    FileComparison,
    compare_file,
    rows,
    write_parquet,
)


class SettleFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


# Columns printed by the table and CSV/JSON views (the Parquet table has every column).
SHOWN: tuple[str, ...] = (
    "performance_year", "aco_id", "track", "assigned_beneficiaries", "savings_rate", "msr",
    "msr_basis", "generated", "share_rate", "loss_rate", "predicted_earned", "published_earned",
    "difference", "status", "predicted_dis_adj", "published_dis_adj", "dis_adj_status",
    "dis_adj_role", "implied_euc_share", "reasons",
)
CENT = Decimal("0.01")
RATE_Q = Decimal("1e-10")


def _text(column: str, value: object) -> object:
    """Exact decimal strings: money to the cent, rates as fractions to 10 places."""
    if isinstance(value, Decimal):
        q = CENT if column in MONEY_COLUMNS else RATE_Q
        return str(value.quantize(q, rounding=ROUND_HALF_UP))
    return value


def _pct(value: object) -> str:
    return f"{value:.4%}" if isinstance(value, Decimal) else ""


def _money(value: object) -> str:
    return f"{value:,.2f}" if isinstance(value, Decimal) else ""


@app.command("settle")
def settle_cmd(
    puf: Annotated[list[Path], typer.Option(
        "--puf", help="A CMS Performance Year Financial and Quality Results CSV (repeatable).",
        show_default=False)],
    fmt: Annotated[SettleFormat, typer.Option("--format", help="Output format.")] = (
        SettleFormat.table),
    only_mismatches: Annotated[bool, typer.Option(
        "--only-mismatches", help="List only ACOs not within $1 of the published amount.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Also write every ACO's full result to this Parquet file.",
        show_default=False)] = None,
    performance_year: Annotated[int | None, typer.Option(
        "--py", help="Performance year (default: from the file name, e.g. PY2022_...).",
        show_default=False)] = None,
) -> None:
    """Recompute earned shared savings/losses per ACO and compare with CMS's published results."""
    comparisons: list[FileComparison] = []
    for path in puf:
        if not path.is_file():
            fail(f"PUF file not found: {path}")
        try:
            comparisons.append(compare_file(read_puf(path, performance_year)))
        except PufError as exc:
            fail(str(exc))

    table_rows = [r for c in comparisons for r in rows(c)]
    if only_mismatches:
        table_rows = [r for r in table_rows if r["status"] != MATCH]

    if fmt is SettleFormat.json:
        data = {
            "files": [_summary(c) for c in comparisons],
            "acos": [{k: _text(k, r[k]) for k in SHOWN} for r in table_rows],
        }
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
    elif fmt is SettleFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(SHOWN)
        for r in table_rows:
            writer.writerow(["" if r[k] is None else _text(k, r[k]) for k in SHOWN])
    else:
        _print_table(table_rows)

    # The summary goes to stdout with the table, to stderr with machine-readable output.
    summary_console = console() if fmt is SettleFormat.table else err_console()
    for c in comparisons:
        _print_summary(summary_console, c)

    if out is not None:
        try:
            n = write_parquet(comparisons, out)
        except OSError as exc:
            fail(f"cannot write {out}: {exc}")
        err_console().print(f"wrote {n} rows to {out}", highlight=False)

    if any(a.status == MISMATCH for c in comparisons for a in c.acos):
        raise typer.Exit(1)


def _summary(c: FileComparison) -> dict[str, object]:
    counts = c.counts
    return {
        "file": str(c.path),
        "performance_year": c.performance_year,
        "style": c.style,
        "acos": len(c.acos),
        "within_1_dollar": counts[MATCH],
        "undetermined": counts[UNDETERMINED],
        "mismatched": counts[MISMATCH],
        "undetermined_by_reason": dict(c.reasons),
        "dis_adj_check": dict(c.dis_adj_counts),
        "dis_adj_used_as_input": len(c.dis_adj_inputs),
        "cells_without_value": {m.value: c.markers[m] for m in Marker if c.markers[m]},
        "unknown_columns": list(c.unknown_columns),
        "not_within_1_dollar": [
            {"aco_id": a.aco_id, "status": a.status, "reasons": a.reasons}
            for a in c.acos if a.status != MATCH
        ],
    }


def _print_table(table_rows: list[dict[str, object]]) -> None:
    if not table_rows:
        console().print("no ACOs to list (every ACO is within $1 of the published amount)")
        return
    t = Table(show_lines=False)
    for name in ("PY", "ACO", "track", "N", "sav. rate", "MSR", "MSR basis", "generated",
                 "share", "predicted", "published", "diff", "status", "reason"):
        t.add_column(name, justify="right" if name not in (
            "ACO", "MSR basis", "status", "reason") else "left")
    for r in table_rows:
        t.add_row(
            str(r["performance_year"]), str(r["aco_id"]), str(r["track"] or ""),
            f"{r['assigned_beneficiaries']:,}" if r["assigned_beneficiaries"] else "",
            _pct(r["savings_rate"]), _pct(r["msr"]), str(r["msr_basis"]),
            _money(r["generated"]), _pct(r["share_rate"]), _money(r["predicted_earned"]),
            _money(r["published_earned"]), _money(r["difference"]), str(r["status"]),
            str(r["reasons"]),
        )
    console().print(t)


def _print_summary(out: Console, c: FileComparison) -> None:
    counts = c.counts
    out.print(
        f"[bold]PY{c.performance_year}[/] {c.path.name}: {len(c.acos)} ACOs: "
        f"[green]{counts[MATCH]} matched within $1[/], [red]{counts[MISMATCH]} mismatched[/], "
        f"{counts[UNDETERMINED]} undetermined from the published data", highlight=False)
    for reason, n in c.reasons.most_common():
        out.print(f"  undetermined, {reason}: {n}", highlight=False)
    marked = ", ".join(f"{c.markers[m]:,} {m.value} ({MARKER_TEXT[m]!r})"
                       for m in Marker if c.markers[m])
    out.print(f"  cells without a value (read, never fatal): {marked or 'none'}",
              highlight=False)
    out.print("  unknown columns (kept as text): "
              + (", ".join(c.unknown_columns) or "none"), highlight=False)
    used = c.dis_adj_inputs
    if used:
        shares = [a.implied_euc_share for a in used if a.implied_euc_share is not None]
        out.print(
            f"  EUC adjustment (DisAdj) used as published for {len(used)} ACOs with losses: "
            f"{min(shares):.2%} to {max(shares):.2%} of the loss offset", highlight=False)
    dis = c.dis_adj_counts
    if dis:
        out.print(
            f"  loss before the EUC offset (DisAdj): {dis[MATCH]} within $1, "
            f"{dis[UNDETERMINED]} use a revenue-based loss limit (participant revenue "
            f"unpublished), {dis[MISMATCH]} mismatched", highlight=False)
    for a in c.acos:
        if a.status != MATCH:
            why = "; ".join(a.reasons) or "no reason found (engine disagrees)"
            out.print(f"  {a.aco_id} (line {a.line}) {a.status}: {why}", highlight=False)
