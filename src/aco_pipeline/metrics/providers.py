"""Provider scorecards (per TIN or per TIN and NPI) and the facility view (per CCN) for a
report period and run-out. See docs/providers.md.

Attribution: each beneficiary belongs to the TIN (and the NPI within it) of
`mart_provider_attribution_month` for the period's last month: the ALR's (tables 1-2 / 1-4)
when an ALR covering that month lists the beneficiary, else the plurality of primary care
visits in the 12 months ending then; each row counts its panel by `attribution_source`
(`attributed_alr`, `attributed_plurality`). Per TIN / NPI: panel size, person-years (counted
person-months of the panel in the period, `fct_member_month.is_counted`, / 12), Part A + B
spend of the panel in those counted months (signed payments with service dates in the
period loaded by the run-out, IP v40 3.4, 5.3.1, by Medicare part IP v40 5.4) per
person-year, ED visit days and inpatient admissions per 1,000 person-years, and, with a
participant list, the share of the panel's spend paid inside the ACO (to a participant TIN,
NPI or CCN) against outside it (leakage). A period is at most 12 months long: the marts
(`mart_provider_panel_month`, `mart_provider_panel_payment`) hold each month's panel with
its 12 months.

Facility view: per CCN (CCLF1 claims), spend by Medicare part and service category, claims,
admissions, ED visits and beneficiaries in the period, in or out of network (a participant
CCN).

`aco build` stores the scorecards and the facility view for the performance year to date,
each complete quarter and the rolling 12 months as canonical tables
`metric_provider_scorecard_tin`, `metric_provider_scorecard_npi` and `metric_facility_view`
(`canonical`, with the workspace's configured participant list); an ad-hoc `aco report
providers|facilities` prints and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from aco_pipeline.config import Workspace
from aco_pipeline.metrics.participants import Participants, participants_for
from aco_pipeline.metrics.periods import MetricPeriod, add_months, stack
from aco_pipeline.warehouse.read import WarehouseReadError as ReportError
from aco_pipeline.warehouse.read import money, require, rows, using

if TYPE_CHECKING:
    import duckdb

ScorecardBy = Literal["tin", "npi"]
MONEY = pa.decimal128(18, 2)
RATE = pa.decimal128(18, 2)
SHARE = pa.decimal128(9, 4)
PERSON_YEARS = pa.decimal128(18, 4)
RATE_Q = Decimal("0.01")
SHARE_Q = Decimal("0.0001")
PY_Q = Decimal("0.0001")
MAX_MONTHS = 12
FACILITY_CATEGORIES = ("inpatient_acute", "inpatient_other", "snf", "hha", "hospice",
                       "outpatient", "ed_visit")
CANONICAL_KINDS = ("performance_year_to_date", "quarter", "rolling_12")
PANEL_MONTHS = "mart_provider_panel_month"
PANEL_PAYMENTS = "mart_provider_panel_payment"
PAYMENTS = "mart_provider_payment"


def _check_period(start: date, end: date, runout: date | None) -> None:
    if end < start:
        raise ReportError("--to is before --from")
    if runout is not None and runout < start:
        raise ReportError("--runout is before --from")


@contextmanager
def _participant_filters(con: duckdb.DuckDBPyConnection,
                         participants: Participants | None) -> Iterator[None]:
    """Arrow tables participant_tins / _npis / _ccns (one column `id`, empty without a list),
    registered for the duration of one query: runtime filters, never joined."""
    names = []
    for kind in ("tin", "npi", "ccn"):
        values = sorted(getattr(participants, f"{kind}s")) if participants else []
        name = f"participant_{kind}s"
        con.register(name, pa.table({"id": pa.array(values, pa.string())}))
        names.append(name)
    try:
        yield
    finally:
        for name in names:
            con.unregister(name)


INSIDE = """(
    tin in (select id from participant_tins)
    or ccn in (select id from participant_ccns)
    or npi in (select id from participant_npis)
)"""


def _rate(count: int, person_years: Decimal) -> Decimal | None:
    return (Decimal(count) * 1000 / person_years).quantize(RATE_Q) if person_years else None


def scorecard_schema(by: ScorecardBy) -> pa.Schema:
    fields: list[tuple[str, pa.DataType]] = [("tin", pa.string())]
    if by == "npi":
        fields.append(("npi", pa.string()))
    fields += [
        ("is_participant", pa.bool_()), ("panel_size", pa.int32()),
        ("attributed_step_1", pa.int32()), ("attributed_alr", pa.int32()),
        ("attributed_plurality", pa.int32()), ("counted_months", pa.int32()),
        ("person_years", PERSON_YEARS), ("part_a_paid", MONEY), ("part_b_paid", MONEY),
        ("total_paid", MONEY), ("paid_per_person_year", MONEY), ("ed_visit_days", pa.int32()),
        ("ed_visits_per_1000_person_years", RATE), ("inpatient_admissions", pa.int32()),
        ("admissions_per_1000_person_years", RATE), ("paid_inside_aco", MONEY),
        ("paid_outside_aco", MONEY), ("leakage_share", SHARE),
        ("attribution_month", pa.date32()), ("period_start", pa.date32()),
        ("period_end", pa.date32()), ("runout", pa.date32()),
    ]
    return pa.schema(fields)


def scorecard(source: duckdb.DuckDBPyConnection | Workspace, *, start: date, end: date,
              runout: date | None = None, by: ScorecardBy = "tin",
              participants: Participants | None = None) -> pa.Table:
    """One row per attributed TIN (`by="tin"`) or TIN and NPI (`by="npi"`), from the
    warehouse behind `source` (a connection, or a workspace's published warehouse)."""
    with using(source) as con:
        return _scorecard(con, start=start, end=end, runout=runout, by=by,
                          participants=participants)


def _scorecard(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
               runout: date | None, by: ScorecardBy,
               participants: Participants | None) -> pa.Table:
    _check_period(start, end, runout)
    if by not in ("tin", "npi"):
        raise ReportError(f"--by must be tin or npi, not {by!r}")
    attribution_month = end.replace(day=1)
    if start < add_months(attribution_month, -(MAX_MONTHS - 1)):
        raise ReportError(f"a scorecard period is at most {MAX_MONTHS} months long "
                          f"(--from {start} is before {add_months(attribution_month, -11)})")
    require(con, [PANEL_MONTHS, PANEL_PAYMENTS], "provider panel marts")
    keys = "attributed_tin" if by == "tin" else "attributed_tin, attributed_npi"
    panel_sql = f"""
        select {keys}
             , count(distinct mr_mbi)
             , count(distinct case when attribution_step = 1 then mr_mbi end)
             , count(distinct case when attribution_source = 'alr' then mr_mbi end)
             , count(distinct case when attribution_source = 'plurality' then mr_mbi end)
             , count(case when is_counted and enrollment_month between ? and ? then 1 end)
        from {PANEL_MONTHS}
        where attribution_month = ?
        group by {keys}
        order by {keys}
    """
    paid_sql = f"""
        select {keys}
             , cast(coalesce(sum(case when medicare_part = 'A' then signed_paid_amount end), 0)
                    as decimal(18, 2))
             , cast(coalesce(sum(case when medicare_part = 'B' then signed_paid_amount end), 0)
                    as decimal(18, 2))
             , cast(coalesce(sum(signed_paid_amount), 0) as decimal(18, 2))
             , cast(coalesce(sum(case when {INSIDE} then signed_paid_amount end), 0)
                    as decimal(18, 2))
             , count(distinct ed_visit_day_key)
             , count(distinct admission_key)
        from {PANEL_PAYMENTS}
        where attribution_month = ? and in_counted_month and service_date between ? and ?
          and (cast(? as date) is null or clm_idr_ld_dt <= ?)
        group by {keys}
    """
    width = 1 if by == "tin" else 2
    panels = rows(con, panel_sql, [start.replace(day=1), attribution_month, attribution_month])
    with _participant_filters(con, participants):
        paid_rows = rows(con, paid_sql, [attribution_month, start, end, runout, runout])
    # both are aggregates of the same panel keys: combined per TIN (NPI), not per beneficiary
    paid_by_key = {tuple(r[:width]): r[width:] for r in paid_rows}
    out: list[dict[str, Any]] = []
    known = participants is not None
    for row in panels:
        key = tuple(row[:width])
        tin, npi = key[0], key[1] if by == "npi" else None
        panel, step_1, from_alr, from_plurality, months = row[width:]
        part_a, part_b, paid, inside, ed_days, admissions = paid_by_key.get(
            key, (0, 0, 0, 0, 0, 0))
        person_years = (Decimal(int(months)) / 12).quantize(PY_Q)
        paid, inside = money(paid), money(inside)
        record: dict[str, Any] = {"tin": tin}
        if by == "npi":
            record["npi"] = npi
        record.update({
            "is_participant": (tin in participants.tins or (npi is not None
                                                            and npi in participants.npis))
            if participants else None,
            "panel_size": int(panel), "attributed_step_1": int(step_1),
            "attributed_alr": int(from_alr), "attributed_plurality": int(from_plurality),
            "counted_months": int(months), "person_years": person_years,
            "part_a_paid": money(part_a), "part_b_paid": money(part_b), "total_paid": paid,
            "paid_per_person_year": (paid / person_years).quantize(RATE_Q)
            if person_years else None,
            "ed_visit_days": int(ed_days),
            "ed_visits_per_1000_person_years": _rate(int(ed_days), person_years),
            "inpatient_admissions": int(admissions),
            "admissions_per_1000_person_years": _rate(int(admissions), person_years),
            "paid_inside_aco": inside if known else None,
            "paid_outside_aco": paid - inside if known else None,
            "leakage_share": ((paid - inside) / paid).quantize(SHARE_Q)
            if known and paid > 0 else None,
            "attribution_month": attribution_month, "period_start": start,
            "period_end": end, "runout": runout,
        })
        out.append(record)
    return pa.Table.from_pylist(out, schema=scorecard_schema(by))


FACILITY_SCHEMA = pa.schema(
    [("ccn", pa.string()), ("ccn_facility_type", pa.string()),
     ("in_network", pa.bool_()), ("part_a_paid", MONEY), ("part_b_paid", MONEY),
     ("total_paid", MONEY), ("share_of_facility_paid", SHARE)]
    + [(f"{c}_paid", MONEY) for c in FACILITY_CATEGORIES]
    + [("claims", pa.int32()), ("inpatient_admissions", pa.int32()),
       ("ed_visits", pa.int32()), ("beneficiaries", pa.int32()),
       ("period_start", pa.date32()), ("period_end", pa.date32()), ("runout", pa.date32())])


def facility_view(source: duckdb.DuckDBPyConnection | Workspace, *, start: date, end: date,
                  runout: date | None = None,
                  participants: Participants | None = None) -> pa.Table:
    """One row per facility CCN seen on CCLF1 (Part A-file) claims with service dates in the
    period; `part_a_paid` / `part_b_paid` split it by the Medicare part that paid (IP v40
    5.4: e.g. hospital outpatient is Part B). `source`: a connection or a workspace."""
    with using(source) as con:
        return _facility_view(con, start=start, end=end, runout=runout,
                              participants=participants)


def _facility_view(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                   runout: date | None, participants: Participants | None) -> pa.Table:
    _check_period(start, end, runout)
    require(con, [PAYMENTS], "provider tables")
    category_sums = "".join(
        f"\n             , cast(sum(case when service_category = '{c}' then signed_paid_amount"
        f" else 0 end) as decimal(18, 2))"
        for c in FACILITY_CATEGORIES)
    sql = f"""
        select ccn, max(ccn_facility_type)
             , cast(sum(case when medicare_part = 'A' then signed_paid_amount else 0 end)
                    as decimal(18, 2))
             , cast(sum(case when medicare_part = 'B' then signed_paid_amount else 0 end)
                    as decimal(18, 2))
             , cast(sum(signed_paid_amount) as decimal(18, 2)){category_sums}
             , count(distinct case when is_final_action and not is_invalid
                                   then cur_clm_uniq_id end)
             , count(distinct admission_key)
             , count(distinct case when service_category = 'ed_visit' then visit_key end)
             , count(distinct case when is_final_action and not is_invalid then mr_mbi end)
             , max(case when ccn in (select id from participant_ccns) then 1 else 0 end)
        from {PAYMENTS}
        where claim_family = 'part_a' and ccn is not null
          and service_date between ? and ?
          and (cast(? as date) is null or clm_idr_ld_dt <= ?)
        group by ccn
        order by ccn
    """
    with _participant_filters(con, participants):
        found = rows(con, sql, [start, end, runout, runout])
    total = sum((money(r[4]) for r in found), money(0))
    out: list[dict[str, Any]] = []
    n_cat = len(FACILITY_CATEGORIES)
    for r in found:
        paid = money(r[4])
        cats = dict(zip(FACILITY_CATEGORIES, (money(v) for v in r[5:5 + n_cat]), strict=True))
        claims, admissions, ed_visits, benes, inside = r[5 + n_cat:]
        out.append({
            "ccn": r[0], "ccn_facility_type": r[1],
            "in_network": bool(inside) if participants else None,
            "part_a_paid": money(r[2]), "part_b_paid": money(r[3]), "total_paid": paid,
            "share_of_facility_paid": (paid / total).quantize(SHARE_Q) if total else None,
            **{f"{c}_paid": v for c, v in cats.items()},
            "claims": int(claims), "inpatient_admissions": int(admissions),
            "ed_visits": int(ed_visits), "beneficiaries": int(benes),
            "period_start": start, "period_end": end, "runout": runout,
        })
    return pa.Table.from_pylist(out, schema=FACILITY_SCHEMA)


# --- canonical tables -------------------------------------------------------------------------

def scorecard_periods(periods: Sequence[MetricPeriod]) -> list[MetricPeriod]:
    """The canonical periods of the scorecards and the facility view: performance year to
    date, each complete quarter and the rolling 12 months (all at most 12 months long)."""
    return [p for p in periods if p.period_kind in CANONICAL_KINDS and p.months <= MAX_MONTHS]


OWN_PERIOD = ("period_start", "period_end")


def _in_period(table: pa.Table) -> pa.Table:
    """A per-period result without its own period_start / period_end (the canonical table's
    period columns say the same)."""
    return table.drop_columns(list(OWN_PERIOD))


def _period_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f for f in schema if f.name not in OWN_PERIOD])


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """`provider_scorecard_tin`, `provider_scorecard_npi` and `facility_view` per
    scorecard period, everything loaded (no run-out cut-off), with the workspace's configured
    participant list (`[network] participants_file`; leakage columns NULL without one)."""
    participants = participants_for(ws)
    chosen = scorecard_periods(periods)
    out: dict[str, pa.Table] = {}
    for by in ("tin", "npi"):
        out[f"provider_scorecard_{by}"] = stack(
            [(p, _in_period(scorecard(con, start=p.period_start, end=p.period_end, by=by,
                                      participants=participants))) for p in chosen],
            _period_schema(scorecard_schema(by)))
    out["facility_view"] = stack(
        [(p, _in_period(facility_view(con, start=p.period_start, end=p.period_end,
                                      participants=participants))) for p in chosen],
        _period_schema(FACILITY_SCHEMA))
    return out
