"""The reconciliation bridge: from the total paid in the lake to every report's total, step by
step, in dollars and claim records (issue 11 item 4; docs/bridge.md).

The claim steps read one mart, `mart_bridge_claim_records` (one row per distinct Part A header /
Part B line / DME line version, with the CMS guide v4 Appendix A phase 1 flags and the status of
its beneficiary-month), and apply the period and run-out here, as `aco report scope` does:

 1. every record delivered (guide Table 1 row 1: each copy counted)
 2. duplicate copies (row 2)            -> one row per distinct version
 3. invalid claims (row 3)
 4. incurred before the period (row 5; CLM_THRU_DT)
 5. incurred after the period (row 6)
 6. in-period, loaded after the run-out (row 7; CLM_IDR_LD_DT, IP v40 3.4)
                                        -> scope row 8 = spend total = service-category A + B
 7. beneficiary-months not enrolled (no CCLF8 row for the month, type 0, died; guide App. B)
 8. opted-out months (BNEX)
 9. months known unassigned (an ALR covering the month does not list the beneficiary)
                                        -> counted-month spend = utilization / expenditure raw

Then, given the expenditure report's Table 10 or 11 for the same period and run-out (guide
Appendix A phase 5), its adjustments: sequestration added back (row 3), IME/DSH/UCC removed
(row 6), NCBP (row 8), truncation (Table 10 rows 10-14 net; Table 11 row 11) and completion
(Table 10 row 15; Table 11 row 13). If the expenditure raw total differs from step 9, a
"difference" step says so (the bridge still sums; the note names the gap).

Money is exact: claim steps are sums of DECIMAL cents; the expenditure steps are the table's
exact rows, and each running total is shown to the cent with the step amount defined as the
difference of consecutive running totals, so the printed steps sum exactly to every printed
total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.expenditure import TOTAL, TableRow
from aco_pipeline.warehouse.read import money, require, rows, using
from aco_pipeline.warehouse.reports import period_bucket

if TYPE_CHECKING:
    import duckdb

    from aco_pipeline.config import Workspace

MART = "mart_bridge_claim_records"
ZERO = Decimal(0)
CENT = Decimal("0.01")
PARTS = ("A", "B", "unknown")

# the report totals a running total equals (named once, shown in the `equals` column)
SCOPE_ROW_1 = "aco report scope row 1"
SCOPE_ROW_8 = ("aco report scope row 8 = aco report spend total = "
               "aco report service-category Part A + Part B")
COUNTED = ("aco report utilization spend total = aco report expenditure row 2 "
           "(counted person-months, Part A + B)")

COLUMNS: tuple[str, ...] = (
    "step", "name", "description", "claims", "amount", "part_a_amount", "part_b_amount",
    "part_unknown_amount", "running_claims", "running_total", "equals",
)


class BridgeError(AcoError, ValueError):
    """The bridge's period or inputs are invalid."""


@dataclass(frozen=True)
class BridgeStep:
    """One step: `claims` and `amount` are signed (removals negative); `running_*` after it."""

    step: int
    name: str
    description: str
    claims: int | None
    amount: Decimal
    running_claims: int | None
    running_total: Decimal
    equals: str | None = None
    by_part: Mapping[str, Decimal] | None = None

    def as_row(self) -> dict[str, Any]:
        parts = self.by_part or {}
        return {
            "step": self.step, "name": self.name, "description": self.description,
            "claims": self.claims, "amount": self.amount,
            "part_a_amount": parts.get("A"), "part_b_amount": parts.get("B"),
            "part_unknown_amount": parts.get("unknown"),
            "running_claims": self.running_claims, "running_total": self.running_total,
            "equals": self.equals,
        }


@dataclass(frozen=True)
class Bridge:
    start: date
    end: date
    runout: date | None
    steps: list[BridgeStep]
    notes: list[str] = field(default_factory=list)

    def after(self, name: str) -> BridgeStep:
        """The step called `name` (its running total is the total after it)."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def rows(self) -> list[dict[str, Any]]:
        return [s.as_row() for s in self.steps]


@dataclass
class _Cell:
    """Claim records and signed dollars of one bucket, by Medicare part."""

    versions: int = 0
    records: int = 0
    duplicates: int = 0
    amount: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(PARTS, ZERO))
    delivered: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(PARTS, ZERO))
    duplicated: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(PARTS, ZERO))
    ime_dsh_ucc: Decimal = ZERO
    ime_dsh_ucc_versions: int = 0


# bucket -> (step name, description); the claim steps in order after the two delivery steps
REMOVALS: tuple[tuple[str, str, str], ...] = (
    ("invalid", "invalid", "less invalid (denied) claim records (guide Table 1 row 3)"),
    ("before", "before_period", "less claims incurred before the period (CLM_THRU_DT; row 5)"),
    ("after", "after_period", "less claims incurred after the period (row 6)"),
    ("runout", "after_runout",
     "less in-period claims loaded after the run-out (IP v40 3.4; row 7)"),
    ("not_enrolled", "not_enrolled",
     "less payments in months not enrolled: no CCLF8 row, type 0 or died "
     "(guide Appendix B)"),
    ("opted_out", "opted_out", "less payments in months opted out of data sharing (BNEX)"),
    ("unassigned", "unassigned",
     "less payments in months the covering ALR does not list"),
)
EQUALS_AFTER = {"after_runout": SCOPE_ROW_8, "unassigned": COUNTED}

BUCKET_SQL = f"""
    with bucketed as (
        select
              medicare_part
            , records_delivered
            , duplicate_records
            , signed_paid_amount
            , signed_ime_amount + signed_dsh_amount + signed_ucc_amount as ime_dsh_ucc
            , {period_bucket("service_date", "clm_idr_ld_dt", "month_status")} as bucket
        from {MART}
    )
    select
          bucket
        , medicare_part
        , count(*)
        , sum(records_delivered)
        , sum(duplicate_records)
        , cast(sum(signed_paid_amount) as decimal(18, 2))
        , cast(sum(signed_paid_amount * records_delivered) as decimal(18, 2))
        , cast(sum(signed_paid_amount * duplicate_records) as decimal(18, 2))
        , cast(sum(ime_dsh_ucc) as decimal(18, 2))
        , sum(case when ime_dsh_ucc <> 0 then 1 else 0 end)
    from bucketed
    group by bucket, medicare_part
"""


def claim_buckets(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                  runout: date | None) -> dict[str, _Cell]:
    """Per bucket (invalid, before, after, runout, not_enrolled, opted_out, unassigned,
    counted): versions, records, duplicates, and signed dollars by Medicare part."""
    require(con, [MART], "reconciliation bridge table")
    cells: dict[str, _Cell] = {}
    for (bucket, part, versions, records, dups, amount, delivered, duplicated, idu,
         idu_versions) in rows(con, BUCKET_SQL, [start, end, runout, runout]):
        cell = cells.setdefault(bucket, _Cell())
        key = part if part in PARTS else "unknown"
        cell.versions += int(versions)
        cell.records += int(records or 0)
        cell.duplicates += int(dups or 0)
        cell.amount[key] += money(amount)
        cell.delivered[key] += money(delivered)
        cell.duplicated[key] += money(duplicated)
        cell.ime_dsh_ucc += money(idu)
        cell.ime_dsh_ucc_versions += int(idu_versions or 0)
    return cells


def _sum_parts(cells: Sequence[_Cell], attr: str) -> dict[str, Decimal]:
    out = dict.fromkeys(PARTS, ZERO)
    for c in cells:
        for p, v in getattr(c, attr).items():
            out[p] += v
    return out


def _negate(parts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    return {p: -v for p, v in parts.items()}


class _Walk:
    """Appends steps, keeping the running claims and the exact and displayed running totals."""

    def __init__(self) -> None:
        self.steps: list[BridgeStep] = []
        self.claims: int | None = 0
        self.exact = ZERO
        self.shown = ZERO

    def add(self, name: str, description: str, claims: int | None, amount: Decimal, *,
            equals: str | None = None, by_part: Mapping[str, Decimal] | None = None,
            removes: bool = True) -> None:
        """`removes`: the step adds or removes `claims` records (else it only adjusts the
        dollars of `claims` records, and the running count stays)."""
        self.exact += amount
        if removes and claims is not None and self.claims is not None:
            self.claims += claims
        shown = self.exact.quantize(CENT)
        self.steps.append(BridgeStep(
            step=len(self.steps) + 1, name=name, description=description, claims=claims,
            amount=shown - self.shown, running_claims=self.claims, running_total=shown,
            equals=equals,
            by_part=None if by_part is None else {p: v.quantize(CENT)
                                                  for p, v in by_part.items()}))
        self.shown = shown


def _total(table: Sequence[TableRow], ref: str) -> Decimal:
    for row in table:
        if row.ref == ref:
            value = row.values[TOTAL]
            if value is None:
                raise BridgeError(f"expenditure table row {ref} has no total")
            return value
    raise BridgeError(f"expenditure table has no row {ref}")


# (step name, description, table rows, report row reached) per method: the step's amount is
# the reached row minus the previous one (Table 10 rows 10-14 are annualisation, truncation and
# weighting back, whose net is the truncation's effect on the weighted total).
EXPENDITURE_STEPS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "thresholds": (
        ("sequestration", "plus the 2% sequestration added back (guide App. A phase 5 step 1; "
                          "Table 10 row 3)", "4"),
        ("ime_dsh_ucc", "less IME/DSH/UCC at 100% (step 2; row 6)", "7"),
        ("ncbp", "plus non-claims based payments (step 3; row 8)", "9"),
        ("truncation", "less truncation at the per-type thresholds, annualised and weighted "
                       "back (steps 4-6; rows 10-14)", "14"),
        ("completion", "plus completion (step 7; row 15)", "16"),
    ),
    "factors": (
        ("sequestration", "plus the 2% sequestration added back (guide App. A phase 5 step 1; "
                          "Table 11 row 3)", "4"),
        ("ime_dsh_ucc", "less IME/DSH/UCC at 100% (step 2; row 6)", "7"),
        ("ncbp", "plus non-claims based payments (step 3; row 8)", "9"),
        ("truncation", "less the amount truncated by the truncation factors (step 5; row 11)",
         "12"),
        ("completion", "plus completion (step 6; row 13)", "14"),
    ),
}


def compute(source: Workspace | duckdb.DuckDBPyConnection, *, start: date, end: date,
            runout: date | None = None, expenditure: Sequence[TableRow] | None = None,
            method: str | None = None) -> Bridge:
    """The bridge for services in [start, end] loaded by `runout` (no cut-off when None).

    `expenditure`: the expenditure report's Table 10 (`method="thresholds"`) or Table 11
    (`"factors"`) for the same period and run-out; without it the bridge ends at the
    counted-month spend. `source`: a connection, or a workspace (its published warehouse).
    """
    if end < start:
        raise BridgeError("--to is before --from")
    if expenditure is not None and method not in EXPENDITURE_STEPS:
        raise BridgeError(f"unknown expenditure method {method!r}")
    with using(source) as con:
        cells = claim_buckets(con, start=start, end=end, runout=runout)
    every = list(cells.values())
    notes: list[str] = []
    walk = _Walk()
    delivered = _sum_parts(every, "delivered")
    walk.add("delivered", "every Part A header / Part B / DME line record delivered, "
             "each copy counted (guide Table 1 row 1)",
             sum(c.records for c in every), sum(delivered.values(), ZERO),
             equals=SCOPE_ROW_1, by_part=delivered)
    duplicated = _negate(_sum_parts(every, "duplicated"))
    walk.add("duplicates", "less re-sent copies of a claim version (row 2)",
             -sum(c.duplicates for c in every), sum(duplicated.values(), ZERO),
             by_part=duplicated)
    for bucket, name, description in REMOVALS:
        cell = cells.get(bucket, _Cell())
        removed = _negate(cell.amount)
        walk.add(name, description, -cell.versions, sum(removed.values(), ZERO),
                 equals=EQUALS_AFTER.get(name), by_part=removed)
    counted = cells.get("counted", _Cell())
    if expenditure is None:
        return Bridge(start, end, runout, walk.steps, notes)

    assert method is not None
    raw = _total(expenditure, "2")
    gap = raw - walk.exact
    if gap:
        walk.add("difference", "difference between the counted-month spend and the "
                 "expenditure report's raw total (row 2)", None, gap,
                 equals="aco report expenditure row 2", removes=False)
        notes.append(f"the expenditure report's raw total (row 2) differs from the "
                     f"counted-month spend by ${gap:,.2f}; the two should use the same "
                     "months and payments (docs/bridge.md)")
    idu = _total(expenditure, "6")
    if idu != counted.ime_dsh_ucc:
        notes.append(f"IME/DSH/UCC of the counted months in the warehouse "
                     f"(${counted.ime_dsh_ucc:,.2f}) differs from expenditure row 6 "
                     f"(${idu:,.2f})")
    previous = raw
    for name, description, ref in EXPENDITURE_STEPS[method]:
        reached = _total(expenditure, ref)
        claims = counted.ime_dsh_ucc_versions if name == "ime_dsh_ucc" else None
        walk.add(name, description, claims, reached - previous,
                 equals=f"aco report expenditure row {ref}", removes=False)
        previous = reached
    return Bridge(start, end, runout, walk.steps, notes)
