"""Reports read from the published warehouse (read-only): spend and enrollment.

Money comes back as `Decimal` with two places, never floats. The spend report sums the
signed payments of `fct_claim_payment` (IP v40 5.3.1) whose service date is in the period
and whose IDR load date is on or before the run-out cut-off (IP v40 3.4).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from aco_pipeline.config import Workspace

CENT = Decimal("0.01")
FAMILIES = ("part_a", "part_b", "dme", "part_d")
SpendBy = Literal["beneficiary", "month", "category"]


class ReportError(RuntimeError):
    """The warehouse is missing or cannot answer the report."""


@dataclass(frozen=True, slots=True)
class Report:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


@contextmanager
def open_warehouse(path: Path) -> Iterator[Any]:
    """A read-only connection to the published warehouse file."""
    import duckdb

    if not path.is_file():
        raise ReportError(f"no warehouse at {path}; build it with `aco build`")
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def money(value: Decimal | int | None) -> Decimal:
    return (Decimal(0) if value is None else Decimal(value)).quantize(CENT)


def spend(ws: Workspace, *, start: date, end: date, runout: date | None = None,
          by: SpendBy = "beneficiary") -> Report:
    """Net paid per Part A / Part B / DME / Part D, and total (Parts A and B, IP v40 5.3.1
    step 5), for services in [start, end] loaded by `runout` (no cut-off when None)."""
    if end < start:
        raise ReportError("--to is before --from")
    where = "service_date between ? and ? and (cast(? as date) is null or clm_idr_ld_dt <= ?)"
    params: list[object] = [start, end, runout, runout]
    with open_warehouse(ws.warehouse_path) as con:
        if by == "category":
            rows = con.execute(
                "select claim_family, clm_type_cd, "
                "cast(sum(signed_paid_amount) as decimal(18, 2)) "
                f"from fct_claim_payment where {where} "
                "group by claim_family, clm_type_cd order by claim_family, clm_type_cd",
                params,
            ).fetchall()
            return Report(
                ("claim_family", "clm_type_cd", "net_paid"),
                [{"claim_family": f, "clm_type_cd": t, "net_paid": money(v)}
                 for f, t, v in rows],
            )
        group = "mr_mbi" if by == "beneficiary" else "service_month"
        rows = con.execute(
            f"select {group}, claim_family, cast(sum(signed_paid_amount) as decimal(18, 2)) "
            f"from fct_claim_payment where {where} group by {group}, claim_family "
            f"order by {group}, claim_family",
            params,
        ).fetchall()
    label = "mr_mbi" if by == "beneficiary" else "month"
    out: dict[object, dict[str, Any]] = {}
    for key, family, value in rows:
        row = out.setdefault(key, {label: key, **{f: money(0) for f in FAMILIES}})
        row[family] = money(value)
    for row in out.values():
        row["total"] = money(row["part_a"] + row["part_b"] + row["dme"])
    return Report((label, *FAMILIES, "total"), list(out.values()))


def enrollment(ws: Workspace, *, start: date | None = None,
               end: date | None = None) -> Report:
    """Enrollment type per beneficiary and month: CCLF-derived (CMS guide Appendix B) and
    the ALR's EnrollFlag where an ALR covers the month."""
    with open_warehouse(ws.warehouse_path) as con:
        rows = con.execute(
            "select mr_mbi, enrollment_month, enrollment_type, alr_enrollment_type "
            "from fct_member_month "
            "where (cast(? as date) is null or enrollment_month >= ?) "
            "and (cast(? as date) is null or enrollment_month <= ?) "
            "order by mr_mbi, enrollment_month",
            [start, start, end, end],
        ).fetchall()
    return Report(
        ("mr_mbi", "month", "enrollment_type", "alr_enrollment_type"),
        [{"mr_mbi": m, "month": mo, "enrollment_type": t, "alr_enrollment_type": a}
         for m, mo, t, a in rows],
    )
