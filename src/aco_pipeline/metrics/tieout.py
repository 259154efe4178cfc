"""CCLF vs ALR tie-out for one report period and run-out (CMS guide v4 "CCLF Uses and
Limitations", `shared/reference/cclf-uses-and-limitations-v4.md`).

The guide compares the CCLFs with the quarterly expenditure report (QEXPU), whose
beneficiaries are the quarter's assignment list. CMS's own side (the debit/credit table) is not
available to an ACO, so the ALR table 1-1 stands in for the QEXPU beneficiaries and every
dollar here is a CCLF dollar:

- **Beneficiaries** (Appendix A phase 2, Tables 3-4): "in CCLF" = a current MBI (CCLF9
  crosswalk, "XREF/C") with at least one Part A header, Part B or DME line record in scope of
  the period (phase 1, Table 1 row 8: valid, through date in the period, loaded by the
  run-out); "in ALR" = listed in the ALR table 1-1 whose report period holds the period's last
  month (its MBIs mapped through the same crosswalk, "XREF/Q"). Each beneficiary in one but not
  the other gets the reasons of Table 3 rows 11-15 (and Appendix B's "reasons a beneficiary is
  in one file and not the other"), with a primary reason in the guide's order so that reasons
  partition each group.
- **Expenditure** (phase 3, Tables 5-6): net paid per group, by the Medicare part that paid
  (IP v40 5.4; `mart_expenditure_payment`: Part A and Part B payments with the service date in
  the period and the IDR load date on or before the run-out, *every* month, counted or not:
  the tie-out explains the CCLF's dollars, not expenditure per person-year), per beneficiary,
  compared with the beneficiaries in both.
- **Enrollment** (Appendix B, Tables 17-34): the CCLF-derived enrollment type x the ALR's
  EnrollFlag per month (`mart_enrollment_crosstab`) with the agreement rate per month and the
  match rate per ALR category.

Period-independent facts come from dbt (`mart_tieout_*`, `mart_scope_claim_records`,
`mart_expenditure_payment`, `mart_enrollment_crosstab`); this module reads each on its own and
combines them with the period. `aco build` stores the tie-out of the performance year to date
as metric tables `tieout_beneficiary`, `tieout_summary`, `tieout_expenditure`,
`tieout_enrollment` and `tieout_status` (`canonical`).
Results contain MBIs (PHI): nothing here logs, and errors never name a beneficiary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from aco_pipeline.config import Workspace
from aco_pipeline.warehouse.read import WarehouseReadError as ReportError
from aco_pipeline.warehouse.read import money, require, rows
from aco_pipeline.warehouse.reports import Report

if TYPE_CHECKING:
    import duckdb

    from aco_pipeline.metrics.periods import MetricPeriod

# paid by Medicare part (IP v40 5.4); total_paid = Part A + Part B (and any payment of a part
# the seed cannot tell, so that it equals the CCLF's net paid)
PARTS = ("part_a_paid", "part_b_paid")
FAMILIES = (*PARTS, "total_paid")  # the money columns of every section
MARTS = ("mart_tieout_alr_listing", "mart_tieout_beneficiary", "mart_tieout_beneficiary_month",
         "mart_scope_claim_records", "mart_expenditure_payment", "mart_enrollment_crosstab")
GROUPS = ("both", "cclf_only", "alr_only")
PERCENT = Decimal("0.01")

# Reasons, in the order that picks a beneficiary's primary reason (the first that applies).
# In the ALR but without claims in the CCLF (guide Table 3 rows 11-15, Table 4 row 15).
ALR_ONLY_REASONS: tuple[tuple[str, str], ...] = (
    ("opt_out_entire_period", "Opt-out covers entire report period (Table 3 row 12)"),
    ("opt_out_part_of_period", "Opt-out partially covers report period (Table 3 row 13)"),
    ("died_before_period", "Died before the report period"),
    ("not_in_cclf8_in_period",
     "In no monthly CCLF8 of the period: the ACO received no data for them"),
    ("only_invalid_claims_in_period",
     "Only invalid (denied) claims in the period (phase 1, Table 1 row 3)"),
    ("claims_paid_after_runout",
     "In-period claims paid after the run-out only (phase 1, Table 1 row 7)"),
    ("no_claims_in_period",
     "Assigned but no claims in report period (Table 4 row 15; also all-SSAD claims, "
     "Table 3 row 14, which the CCLF cannot tell apart)"),
)
# With claims in the CCLF but not in this ALR (guide phase 2 answers: assignable but not
# assigned, assignment changes, differences in the timing of exclusions).
CCLF_ONLY_REASONS: tuple[tuple[str, str], ...] = (
    ("died_before_alr_period", "Died before the ALR's report period (excluded from it)"),
    ("listed_in_earlier_alr", "Listed in an earlier ALR, not this one (assignment changed)"),
    ("listed_in_later_alr", "Listed in a later ALR, not this one (assigned later)"),
    ("not_in_any_alr",
     "In no ALR: assignable (a visit with an ACO participant) but not assigned"),
)
# Flags beside the primary reason, any group.
FLAGS: tuple[tuple[str, str], ...] = (
    ("mbi_changed",
     "The ALR lists them under a previous MBI: matched only after the crosswalk "
     "(XREF/Q, Table 3 row 7)"),
    ("opt_out_part_of_period",
     "Opt-out covers part of the period: the CCLF lacks the opted-out months' claims "
     "(Table 7 row 13)"),
    ("not_in_cclf8_some_months", "Missing from the monthly CCLF8 of some months of the period"),
)
REASONS: dict[str, str] = dict(ALR_ONLY_REASONS + CCLF_ONLY_REASONS + FLAGS)
GROUP_REASONS: dict[str, tuple[str, ...]] = {
    "both": ("mbi_changed", "opt_out_part_of_period", "not_in_cclf8_some_months"),
    "cclf_only": (*(r for r, _ in CCLF_ONLY_REASONS),
                  "opt_out_part_of_period", "not_in_cclf8_some_months"),
    "alr_only": (*(r for r, _ in ALR_ONLY_REASONS), "mbi_changed", "not_in_cclf8_some_months"),
}
GROUP_DESCRIPTIONS = {
    "both": "In both CCLF and ALR after XREF/Q",
    "cclf_only": "In CCLF but not ALR after XREF/Q",
    "alr_only": "In ALR but not in CCLF after XREF/Q",
}


BENEFICIARY_COLUMNS: tuple[str, ...] = (
    "mr_mbi", "group", "primary_reason", "reasons", "in_cclf", "in_alr",
    "listed_under_current_mbi", "listed_under_previous_mbi", "claim_records", *FAMILIES)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "group", "reason", "description", "beneficiaries", "primary_beneficiaries", *FAMILIES)
EXPENDITURE_COLUMNS: tuple[str, ...] = (
    "ref", "description", "beneficiaries", *FAMILIES, "per_beneficiary",
    "per_beneficiary_vs_both_percent")
ENROLLMENT_COLUMNS: tuple[str, ...] = (
    "month", "alr_enrollment_type", "cclf_enrollment_type", "member_months", "is_agreement",
    "alr_type_member_months", "alr_type_match_rate", "month_member_months",
    "month_agreement_rate")
STATUS_COLUMNS: tuple[str, ...] = ("status", "alr_delivery_id", "note")
SECTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "beneficiaries": BENEFICIARY_COLUMNS, "summary": SUMMARY_COLUMNS,
    "expenditure": EXPENDITURE_COLUMNS, "enrollment": ENROLLMENT_COLUMNS}


class TieoutError(ReportError):
    """The tie-out cannot be computed (no ALR for the period, no warehouse tables, ...)."""


def month_of(d: date) -> date:
    return d.replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    """The first days of every month from `first`'s month to `last`'s month."""
    out: list[date] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT)


# --- inputs --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Facts:
    """One beneficiary's period-independent facts (a row of mart_tieout_beneficiary)."""

    death_date: date | None = None
    first_opt_out_month: date | None = None
    last_opt_out_month: date | None = None
    opted_out_before_any_cclf8: bool = False
    opted_out_in_newest_bnex: bool = False
    first_alr_period_end_month: date | None = None
    last_alr_period_end_month: date | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """The chosen ALR's row for one beneficiary (mart_tieout_alr_listing)."""

    listed_under_current_mbi: bool = True
    listed_under_previous_mbi: bool = False
    alr_death_dt: date | None = None


@dataclass(slots=True)
class Claims:
    """A beneficiary's Part A/B/DME claim records with a through date in the period."""

    in_scope: int = 0       # valid and loaded by the run-out (Table 1 row 8)
    invalid: int = 0        # denied (Table 1 row 3)
    after_runout: int = 0   # valid, loaded after the run-out (Table 1 row 7)
    paid: dict[str, Decimal] = field(default_factory=lambda: {f: money(0) for f in FAMILIES})


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    runout: date | None

    @property
    def months(self) -> list[date]:
        return months_between(self.start, self.end)


@dataclass(frozen=True, slots=True)
class AlrReport:
    delivery_id: str
    delivery_date: date
    report_type: str
    period_start_month: date
    period_end_month: date


# --- the rules -----------------------------------------------------------------------------

def opt_out_coverage(facts: Facts, period: Period) -> str | None:
    """'entire', 'part' or None: how much of the period the BNEX opt-out covers (guide Table 3
    rows 12-13).

    The opt-out runs from its first BNEX month — from before any data when no monthly CCLF8
    listed the beneficiary before it (the guide's "full opt-out: an ACO never received data on
    a beneficiary") — to its last BNEX month, open-ended when the newest BNEX still lists
    them. A reversal and a second opt-out are treated as one span.
    """
    if facts.first_opt_out_month is None or facts.last_opt_out_month is None:
        return None
    first, last = month_of(period.start), month_of(period.end)
    starts_by_first = facts.opted_out_before_any_cclf8 or facts.first_opt_out_month <= first
    lasts_to_last = facts.opted_out_in_newest_bnex or facts.last_opt_out_month >= last
    if starts_by_first and lasts_to_last:
        return "entire"
    span_first = None if facts.opted_out_before_any_cclf8 else facts.first_opt_out_month
    span_last = None if facts.opted_out_in_newest_bnex else facts.last_opt_out_month
    overlaps = (span_first is None or span_first <= last) and (
        span_last is None or span_last >= first)
    return "part" if overlaps else None


def expected_cclf8_months(facts: Facts, period: Period, delivered: Iterable[date],
                          coverage: str | None) -> set[date]:
    """Months of the period whose monthly CCLF8 should list the beneficiary: those delivered,
    up to the month of death, and outside the opt-out span (an opted-out beneficiary is in no
    CCLF8, guide Appendix B "Data sharing requirements")."""
    months = set(period.months) & set(delivered)
    death = facts.death_date
    out = set()
    for m in months:
        if death is not None and m > month_of(death):
            continue
        if coverage is not None and facts.first_opt_out_month is not None:
            opt_first = None if facts.opted_out_before_any_cclf8 else facts.first_opt_out_month
            opt_last = None if facts.opted_out_in_newest_bnex else facts.last_opt_out_month
            if (opt_first is None or m >= opt_first) and (opt_last is None or m <= opt_last):
                continue
        out.add(m)
    return out


def classify(*, in_cclf: bool, listing: Listing | None, facts: Facts, claims: Claims,
             period: Period, alr: AlrReport, cclf8_months: set[date],
             delivered_cclf8_months: set[date]) -> tuple[str, str | None, tuple[str, ...]]:
    """(group, primary reason, all reasons) of one beneficiary in the CCLF and/or the ALR."""
    in_alr = listing is not None
    if not (in_cclf or in_alr):
        raise ValueError("a beneficiary in neither the CCLF nor the ALR has no tie-out group")
    group = "both" if in_cclf and in_alr else "cclf_only" if in_cclf else "alr_only"
    coverage = opt_out_coverage(facts, period)
    expected = expected_cclf8_months(facts, period, delivered_cclf8_months, coverage)
    listed = cclf8_months & set(period.months)
    reasons: list[str] = []
    if group == "alr_only":
        assert listing is not None
        death = facts.death_date or listing.alr_death_dt
        checks = {
            "opt_out_entire_period": coverage == "entire",
            "opt_out_part_of_period": coverage == "part",
            "died_before_period": death is not None and death < period.start,
            "not_in_cclf8_in_period": bool(expected) and not listed,
            "only_invalid_claims_in_period": claims.invalid > 0 and claims.after_runout == 0,
            "claims_paid_after_runout": claims.after_runout > 0,
        }
        reasons = [r for r, _ in ALR_ONLY_REASONS if checks.get(r)]
        if not reasons:
            reasons = ["no_claims_in_period"]
    elif group == "cclf_only":
        death = facts.death_date
        checks = {
            "died_before_alr_period": death is not None and death < alr.period_start_month,
            "listed_in_earlier_alr": facts.first_alr_period_end_month is not None
            and facts.first_alr_period_end_month < alr.period_end_month,
            "listed_in_later_alr": facts.last_alr_period_end_month is not None
            and facts.last_alr_period_end_month > alr.period_end_month,
        }
        reasons = [r for r, _ in CCLF_ONLY_REASONS if checks.get(r)]
        if not reasons:
            reasons = ["not_in_any_alr"]
    primary = reasons[0] if reasons else None
    if listing is not None and listing.listed_under_previous_mbi:
        reasons.append("mbi_changed")
    if coverage == "part" and "opt_out_part_of_period" not in reasons:
        reasons.append("opt_out_part_of_period")
    if listed and expected - listed:
        reasons.append("not_in_cclf8_some_months")
    return group, primary, tuple(reasons)


# --- the computation -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Tieout:
    period: Period
    alr: AlrReport
    beneficiaries: Report
    summary: Report
    expenditure: Report
    enrollment: Report

    def section(self, name: str) -> Report:
        return {"beneficiaries": self.beneficiaries, "summary": self.summary,
                "expenditure": self.expenditure, "enrollment": self.enrollment}[name]


def choose_alr(reports: list[AlrReport], period: Period, alr: str | None) -> AlrReport:
    """The ALR named by `alr` (a delivery id), else the newest whose report period holds the
    period's last month (the guide uses the assignment of the report's quarter)."""
    if alr is not None:
        for r in reports:
            if r.delivery_id == alr:
                return r
        raise TieoutError(f"no ALR table 1-1 delivery {alr!r} in the warehouse; ingest it and "
                          "run `aco build`, or leave out the ALR to pick one by period")
    last = month_of(period.end)
    covering = [r for r in reports if r.period_start_month <= last <= r.period_end_month]
    if not covering:
        raise TieoutError(f"no ALR table 1-1 covers {last:%Y-%m} (the month of --to); ingest "
                          "the ALR of that quarter or year and run `aco build`")
    return max(covering, key=lambda r: (r.delivery_date, r.delivery_id))


def tieout(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
           runout: date | None = None, alr: str | None = None) -> Tieout:
    """The tie-out of the CCLF and the ALR for services from `start` to `end` loaded by
    `runout` (no cut-off when None), against the ALR `alr` (default: chosen by period), on
    the warehouse behind `con`."""
    if end < start:
        raise TieoutError("--to is before --from")
    period = Period(start, end, runout)
    first_month, last_month = month_of(start), month_of(end)
    require(con, MARTS, "tie-out tables")
    reports = [AlrReport(*r) for r in rows(
        con, "select distinct alr_delivery_id, alr_delivery_date, report_type, "
             "period_start_month, period_end_month from mart_tieout_alr_listing")]
    chosen = choose_alr(reports, period, alr)
    listings = {m: Listing(bool(cur), bool(prev), death) for m, cur, prev, death in rows(
        con, "select mr_mbi, listed_under_current_mbi, listed_under_previous_mbi, "
             "alr_death_dt from mart_tieout_alr_listing where alr_delivery_id = ?",
        [chosen.delivery_id])}
    claims: dict[str, Claims] = {}
    # phase 1 buckets per beneficiary (the scope waterfall's rows 3, 7 and 8)
    for mbi, in_scope, invalid, late in rows(con, """
            select mr_mbi
                 , sum(case when not is_invalid and (cast(? as date) is null
                        or clm_idr_ld_dt <= ?) then 1 else 0 end)
                 , sum(case when is_invalid then 1 else 0 end)
                 , sum(case when not is_invalid and cast(? as date) is not null
                        and clm_idr_ld_dt > ? then 1 else 0 end)
            from mart_scope_claim_records
            where clm_thru_dt between ? and ?
            group by mr_mbi""", [runout, runout, runout, runout, start, end]):
        claims[mbi] = Claims(int(in_scope), int(invalid), int(late))
    # dollars: every Part A and Part B payment of the period (mart_expenditure_payment)
    for mbi, part_a, part_b, total in rows(con, """
            select mr_mbi
                 , cast(sum(case when medicare_part = 'A' then signed_paid_amount
                            else 0 end) as decimal(18, 2))
                 , cast(sum(case when medicare_part = 'B' then signed_paid_amount
                            else 0 end) as decimal(18, 2))
                 , cast(sum(signed_paid_amount) as decimal(18, 2))
            from mart_expenditure_payment
            where service_date between ? and ?
              and (cast(? as date) is null or clm_idr_ld_dt <= ?)
            group by mr_mbi""", [start, end, runout, runout]):
        claims.setdefault(mbi, Claims()).paid.update(
            part_a_paid=money(part_a), part_b_paid=money(part_b), total_paid=money(total))
    facts = {r[0]: Facts(*r[1:]) for r in rows(con, """
            select mr_mbi, death_date, first_opt_out_month, last_opt_out_month,
                   opted_out_before_any_cclf8, opted_out_in_newest_bnex,
                   first_alr_period_end_month, last_alr_period_end_month
            from mart_tieout_beneficiary""")}
    cclf8: dict[str, set[date]] = {}
    for mbi, month in rows(con, """
            select mr_mbi, enrollment_month from mart_tieout_beneficiary_month
            where in_cclf8 and enrollment_month between ? and ?""",
                         [first_month, last_month]):
        cclf8.setdefault(mbi, set()).add(month)
    crosstab = rows(con, """
            select enrollment_month, alr_enrollment_type, cclf_enrollment_type,
                   member_months
            from mart_enrollment_crosstab
            where enrollment_month between ? and ?
            order by enrollment_month, alr_enrollment_type, cclf_enrollment_type""",
                      [first_month, last_month])
    delivered = set().union(*cclf8.values()) if cclf8 else set()
    in_cclf = {m for m, c in claims.items() if c.in_scope > 0}
    out: list[dict[str, Any]] = []
    for mbi in sorted(in_cclf | set(listings)):
        c = claims.get(mbi, Claims())
        listing = listings.get(mbi)
        group, primary, reasons = classify(
            in_cclf=mbi in in_cclf, listing=listing, facts=facts.get(mbi, Facts()), claims=c,
            period=period, alr=chosen, cclf8_months=cclf8.get(mbi, set()),
            delivered_cclf8_months=delivered)
        out.append({
            "mr_mbi": mbi, "group": group, "primary_reason": primary,
            "reasons": ";".join(reasons), "in_cclf": mbi in in_cclf,
            "in_alr": listing is not None,
            "listed_under_current_mbi": bool(listing and listing.listed_under_current_mbi),
            "listed_under_previous_mbi": bool(listing and listing.listed_under_previous_mbi),
            "claim_records": c.in_scope, **c.paid,
        })
    beneficiaries = Report(BENEFICIARY_COLUMNS, out)
    return Tieout(period, chosen, beneficiaries, _summary(out), _expenditure(out),
                  _enrollment(crosstab))


def _sums(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    out: dict[str, Any] = {"beneficiaries": len(rows)}
    for f in FAMILIES:
        out[f] = money(sum((r[f] for r in rows), Decimal(0)))
    return out


def _summary(rows: list[dict[str, Any]]) -> Report:
    """Group x reason: beneficiaries with the reason (any), with it as primary reason (these
    partition the group) and the CCLF net paid of those with it."""
    out: list[dict[str, Any]] = []
    for group in GROUPS:
        members = [r for r in rows if r["group"] == group]
        out.append({"group": group, "reason": "all", "description": GROUP_DESCRIPTIONS[group],
                    "primary_beneficiaries": len(members), **_sums(members)})
        for reason in GROUP_REASONS[group]:
            having = [r for r in members if reason in r["reasons"].split(";")]
            out.append({"group": group, "reason": reason, "description": REASONS[reason],
                        "primary_beneficiaries": sum(
                            1 for r in members if r["primary_reason"] == reason),
                        **_sums(having)})
    return Report(SUMMARY_COLUMNS, out)


def _expenditure(rows: list[dict[str, Any]]) -> Report:
    """The guide's Tables 3 and 5 with CCLF dollars: counts before and after mapping the ALR's
    MBIs through the crosswalk (XREF/Q), net paid and net paid per beneficiary per group, and
    each group's per-beneficiary amount against the beneficiaries in both (phase 3 answers)."""
    in_cclf = [r for r in rows if r["in_cclf"]]
    in_alr = [r for r in rows if r["in_alr"]]
    # matched without XREF/Q: the ALR lists the current MBI itself
    raw_match = {r["mr_mbi"] for r in rows
                 if r["group"] == "both" and r["listed_under_current_mbi"]}
    by_group = {g: [r for r in rows if r["group"] == g] for g in GROUPS}
    partial = {r["mr_mbi"] for r in by_group["both"]
               if "opt_out_part_of_period" in r["reasons"].split(";")}
    lines: list[tuple[str, list[dict[str, Any]]]] = [
        ("In CCLF after XREF/C", in_cclf),
        ("In ALR", in_alr),
        ("In CCLF but not ALR without XREF/Q",
         [r for r in in_cclf if r["mr_mbi"] not in raw_match]),
        ("In BOTH without XREF/Q", [r for r in rows if r["mr_mbi"] in raw_match]),
        ("In ALR but not in CCLF without XREF/Q",
         [r for r in in_alr if r["mr_mbi"] not in raw_match]),
        ("XREF/Q beneficiaries in ALR (matched only after the crosswalk)",
         [r for r in by_group["both"] if r["mr_mbi"] not in raw_match]),
        ("In CCLF but not ALR after XREF/Q", by_group["cclf_only"]),
        ("In BOTH after XREF/Q", by_group["both"]),
        ("In ALR but not in CCLF after XREF/Q", by_group["alr_only"]),
        ("In BOTH, opt-out partially covers report period",
         [r for r in by_group["both"] if r["mr_mbi"] in partial]),
        ("In BOTH, no partial opt-out",
         [r for r in by_group["both"] if r["mr_mbi"] not in partial]),
    ]
    both = _sums(by_group["both"])
    both_per = (both["total_paid"] / both["beneficiaries"]) if both["beneficiaries"] else None
    out: list[dict[str, Any]] = []
    for ref, (description, members) in enumerate(lines, start=1):
        s = _sums(members)
        per = money(s["total_paid"] / s["beneficiaries"]) if s["beneficiaries"] else None
        vs_both = (percent(s["total_paid"] / s["beneficiaries"] - both_per, both_per)
                   if per is not None and both_per else None)
        out.append({"ref": ref, "description": description, **s, "per_beneficiary": per,
                    "per_beneficiary_vs_both_percent": vs_both})
    return Report(EXPENDITURE_COLUMNS, out)


def _enrollment(crosstab: list[tuple[Any, ...]]) -> Report:
    """Appendix B Tables 23-34 (the 5 x 5 crosstab per month) with Tables 17-22's rates."""
    month_total: dict[date, int] = {}
    month_agree: dict[date, int] = {}
    alr_total: dict[tuple[date, int], int] = {}
    alr_match: dict[tuple[date, int], int] = {}
    for month, alr_type, cclf_type, n in crosstab:
        month_total[month] = month_total.get(month, 0) + int(n)
        alr_total[(month, alr_type)] = alr_total.get((month, alr_type), 0) + int(n)
        if alr_type == cclf_type:
            month_agree[month] = month_agree.get(month, 0) + int(n)
            alr_match[(month, alr_type)] = int(n)
    rows = [{
        "month": month, "alr_enrollment_type": int(alr_type),
        "cclf_enrollment_type": int(cclf_type), "member_months": int(n),
        "is_agreement": alr_type == cclf_type,
        "alr_type_member_months": alr_total[(month, alr_type)],
        "alr_type_match_rate": percent(alr_match.get((month, alr_type), 0),
                                       alr_total[(month, alr_type)]),
        "month_member_months": month_total[month],
        "month_agreement_rate": percent(month_agree.get(month, 0), month_total[month]),
    } for month, alr_type, cclf_type, n in crosstab]
    return Report(ENROLLMENT_COLUMNS, rows)


# --- publication ---------------------------------------------------------------------------

MONEY = pa.decimal128(18, 2)
RATE = pa.decimal128(9, 2)
COLUMN_TYPES: dict[str, pa.DataType] = {
    "mr_mbi": pa.string(), "group": pa.string(), "primary_reason": pa.string(),
    "reasons": pa.string(), "in_cclf": pa.bool_(), "in_alr": pa.bool_(),
    "listed_under_current_mbi": pa.bool_(), "listed_under_previous_mbi": pa.bool_(),
    "claim_records": pa.int64(),
    **{f: MONEY for f in (*FAMILIES, "per_beneficiary")},
    "reason": pa.string(), "description": pa.string(), "beneficiaries": pa.int64(),
    "primary_beneficiaries": pa.int64(), "ref": pa.int32(),
    "per_beneficiary_vs_both_percent": RATE, "month": pa.date32(),
    "alr_enrollment_type": pa.int32(), "cclf_enrollment_type": pa.int32(),
    "member_months": pa.int64(), "is_agreement": pa.bool_(),
    "alr_type_member_months": pa.int64(), "alr_type_match_rate": RATE,
    "month_member_months": pa.int64(), "month_agreement_rate": RATE,
    "status": pa.string(), "alr_delivery_id": pa.string(), "note": pa.string(),
}
TABLES = {"tieout_beneficiary": "beneficiaries", "tieout_summary": "summary",
          "tieout_expenditure": "expenditure", "tieout_enrollment": "enrollment"}


STATUS_TABLE = "tieout_status"


def schema(columns: Sequence[str]) -> pa.Schema:
    return pa.schema([(c, COLUMN_TYPES[c]) for c in columns])


def to_arrow(report: Report) -> pa.Table:
    return pa.Table.from_pylist([{c: r[c] for c in report.columns} for r in report.rows],
                                schema=schema(report.columns))


def notes(result: Tieout) -> list[str]:
    """Which period, run-out and ALR the tie-out used."""
    p, a = result.period, result.alr
    return [f"services {p.start.isoformat()} to {p.end.isoformat()}, claims loaded by "
            f"{'any date' if p.runout is None else p.runout.isoformat()}",
            f"ALR {a.delivery_id} ({a.report_type}, {a.period_start_month:%Y-%m} to "
            f"{a.period_end_month:%Y-%m})",
            "dollars: every Part A and Part B payment of the period by the Medicare part that "
            "paid (counted person-months or not; docs/tieout.md)"]


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """The tie-out of each performance-year-to-date period, everything loaded (no run-out),
    against the ALR chosen by period; when no ALR covers the period's last month the four
    tables have no rows for it and `tieout_status` says so (docs/tieout.md)."""
    from aco_pipeline.metrics.periods import stack

    parts: dict[str, list[tuple[MetricPeriod, pa.Table]]] = {name: [] for name in TABLES}
    status: list[tuple[MetricPeriod, pa.Table]] = []
    for mp in periods:
        if mp.period_kind != "performance_year_to_date":
            continue
        try:
            result = tieout(con, start=mp.period_start, end=mp.period_end, runout=None)
        except TieoutError as exc:  # no ALR covers the period
            record = {"status": "no_alr", "alr_delivery_id": None, "note": str(exc)}
        else:
            record = {"status": "computed", "alr_delivery_id": result.alr.delivery_id,
                      "note": "; ".join(notes(result))}
            for name, section in TABLES.items():
                parts[name].append((mp, to_arrow(result.section(section))))
        status.append((mp, pa.Table.from_pylist([record], schema=schema(STATUS_COLUMNS))))
    out = {name: stack(parts[name], schema(SECTION_COLUMNS[section]))
           for name, section in TABLES.items()}
    out[STATUS_TABLE] = stack(status, schema(STATUS_COLUMNS))
    return out
