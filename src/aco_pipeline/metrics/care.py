"""Care-management lists as of a date: top spenders, frequent ED users, discharges without a
follow-up visit, rising risk. See docs/care-management.md.

Every list is as of a date D: only claims loaded into the IDR on or before D count (IP v40
3.4, CLM_IDR_LD_DT; a pure function of D, never of the clock), beneficiaries who died on or
before D (dim_beneficiary, newest CCLF8) are left out, and every row carries the facts behind
its flag and the thresholds used. Spend is the signed paid amount of Parts A and B (Part A,
Part B physician, DME; IP v40 5.3.1 step 5), exact decimals. Results are published through
metrics.store as `care_top_spenders`, `care_frequent_ed`, `care_discharges_without_followup`
and `care_rising_risk`.

Thresholds come from aco.toml `[care]` (defaults below), overridable per call:

    [care]
    top_n = 50                    # top spenders: the N highest (or:)
    # top_percent = 5             # ... the top 5 percent of beneficiaries with spend
    ed_visits = 4                 # frequent ED: at least this many ED visit days in 12 months
    followup_days = 7             # discharges: no follow-up visit within this many days
    followup_days_extended = 14   # reported beside it
    discharge_lookback_days = 60  # discharges of the last 60 days
    rising_risk_top_n = 50
    rising_risk_min_increase = 0  # annualised spend increase (dollars) to be listed
"""

from __future__ import annotations

import calendar
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from aco_pipeline.config import Workspace, load_section
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics import store
from aco_pipeline.warehouse.read import WarehouseReadError as ReportError
from aco_pipeline.warehouse.read import connect, money

CareList = Literal["top-spenders", "frequent-ed", "discharges", "rising-risk"]
TABLES: dict[str, str] = {
    "top-spenders": "care_top_spenders",
    "frequent-ed": "care_frequent_ed",
    "discharges": "care_discharges_without_followup",
    "rising-risk": "care_rising_risk",
}
MONEY = pa.decimal128(18, 2)
SCORE = pa.decimal128(18, 3)
SPEND_FAMILIES = "('part_a', 'part_b', 'dme')"


class CareConfigError(AcoError, ValueError):
    """The `[care]` section or an override is invalid."""


@dataclass(frozen=True, slots=True)
class CareConfig:
    top_n: int | None = 50
    top_percent: Decimal | None = None
    ed_visits: int = 4
    followup_days: int = 7
    followup_days_extended: int = 14
    discharge_lookback_days: int = 60
    rising_risk_top_n: int = 50
    rising_risk_min_increase: Decimal = Decimal(0)

    def with_overrides(self, **values: Any) -> CareConfig:
        """A copy with the given non-None values; `top_percent` replaces `top_n` and back."""
        given = {k: v for k, v in values.items() if v is not None}
        if "top_percent" in given:
            given.setdefault("top_n", None)
        elif "top_n" in given:
            given["top_percent"] = None
        cfg = replace(self, **given)
        cfg.validate("override")
        return cfg

    def validate(self, where: str) -> None:
        if (self.top_n is None) == (self.top_percent is None):
            raise CareConfigError(f"{where}: give exactly one of top_n and top_percent")
        if self.top_n is not None and self.top_n < 1:
            raise CareConfigError(f"{where}: top_n must be at least 1")
        if self.top_percent is not None and not Decimal(0) < self.top_percent <= Decimal(100):
            raise CareConfigError(f"{where}: top_percent must be in (0, 100]")
        for name in ("ed_visits", "followup_days", "followup_days_extended",
                     "discharge_lookback_days", "rising_risk_top_n"):
            if getattr(self, name) < 1:
                raise CareConfigError(f"{where}: {name} must be at least 1")
        if self.followup_days_extended < self.followup_days:
            raise CareConfigError(f"{where}: followup_days_extended must be >= followup_days")
        if self.rising_risk_min_increase < 0:
            raise CareConfigError(f"{where}: rising_risk_min_increase must be >= 0")

    def as_parameters(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def load_care_config(ws: Workspace) -> CareConfig:
    """The workspace's `[care]` thresholds over the defaults."""
    section = load_section(ws, "care")
    where = f"{ws.config_path} [care]"
    known = {f.name for f in fields(CareConfig)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise CareConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key, raw in section.items():
        if key in ("top_percent", "rising_risk_min_increase"):
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise CareConfigError(f"{where}: {key} must be a number")
            try:
                values[key] = Decimal(str(raw))
            except ArithmeticError:
                raise CareConfigError(f"{where}: {key} must be a number") from None
        elif isinstance(raw, bool) or not isinstance(raw, int):
            raise CareConfigError(f"{where}: {key} must be a whole number")
        else:
            values[key] = raw
    if "top_percent" in values and "top_n" not in values:
        values["top_n"] = None
    cfg = replace(CareConfig(), **values)
    cfg.validate(where)
    return cfg


# --- dates ------------------------------------------------------------------------------------

def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def window(as_of: date, months: int, *, ending_months_before: int = 0) -> tuple[date, date]:
    """The `months` months ending `ending_months_before` months before `as_of`, inclusive,
    both ends counted from `as_of` so consecutive windows meet: as of 2024-12-31, 12 months
    are 2024-01-01..2024-12-31, the 6 before the last 6 are 2024-01-01..2024-06-30."""
    end = months_before(as_of, ending_months_before)
    start = months_before(as_of, ending_months_before + months) + timedelta(days=1)
    return start, end


# --- lists ------------------------------------------------------------------------------------

def _living(as_of: date) -> str:
    """SQL predicate on `mr_mbi`: not dead on or before `as_of` (dim_beneficiary)."""
    return (f"mr_mbi not in (select mr_mbi from dim_beneficiary where death_date is not null "
            f"and death_date <= date '{as_of.isoformat()}')")


def _query(ws: Workspace, sql: str, params: list[object]) -> list[tuple[Any, ...]]:
    with connect(ws) as con:
        try:
            return con.execute(sql, params).fetchall()
        except Exception as exc:  # a warehouse built before these models existed
            if "does not exist" in str(exc) or "not found" in str(exc).lower():
                raise ReportError("the warehouse has no care-management tables; rebuild it "
                                  "with `aco build`") from exc
            raise


def top_spenders(ws: Workspace, *, as_of: date, config: CareConfig) -> pa.Table:
    """Beneficiaries with the highest Part A + B spend in the 12 months ending `as_of`."""
    start, end = window(as_of, 12)
    sql = f"""
        with paid as (
            select mr_mbi, claim_family, signed_paid_amount
            from fct_claim_payment
            where claim_family in {SPEND_FAMILIES}
              and service_date between ? and ? and clm_idr_ld_dt <= ?
        ),
        per_bene as (
            select mr_mbi
                 , cast(sum(signed_paid_amount) as decimal(18, 2)) as total_paid
                 , cast(sum(case when claim_family = 'part_a' then signed_paid_amount
                                 else 0 end) as decimal(18, 2)) as part_a_paid
                 , cast(sum(case when claim_family = 'part_b' then signed_paid_amount
                                 else 0 end) as decimal(18, 2)) as part_b_paid
                 , cast(sum(case when claim_family = 'dme' then signed_paid_amount
                                 else 0 end) as decimal(18, 2)) as dme_paid
            from paid group by mr_mbi
        ),
        events as (
            select mr_mbi
                 , count(distinct admission_key) as inpatient_admissions
                 , count(distinct case when service_category = 'ed_visit'
                                       then visit_date end) as ed_visit_days
            from mart_provider_payment
            where service_date between ? and ? and clm_idr_ld_dt <= ?
            group by mr_mbi
        )
        select per_bene.*, coalesce(events.inpatient_admissions, 0)
             , coalesce(events.ed_visit_days, 0)
        from per_bene left join events using (mr_mbi)
        where total_paid > 0 and {_living(as_of)}
        order by total_paid desc, mr_mbi
    """
    rows = _query(ws, sql, [start, end, as_of] * 2)
    eligible = len(rows)
    if config.top_percent is not None:
        keep = math.ceil(Decimal(eligible) * config.top_percent / 100)
    else:
        keep = config.top_n or 0
    kept = rows[:keep]
    threshold = money(kept[-1][1]) if kept else None
    return pa.table({
        "rank": pa.array(range(1, len(kept) + 1), pa.int32()),
        "mr_mbi": pa.array([r[0] for r in kept], pa.string()),
        "total_paid": pa.array([money(r[1]) for r in kept], MONEY),
        "part_a_paid": pa.array([money(r[2]) for r in kept], MONEY),
        "part_b_paid": pa.array([money(r[3]) for r in kept], MONEY),
        "dme_paid": pa.array([money(r[4]) for r in kept], MONEY),
        "inpatient_admissions": pa.array([int(r[5]) for r in kept], pa.int32()),
        "ed_visit_days": pa.array([int(r[6]) for r in kept], pa.int32()),
        "beneficiaries_with_spend": pa.array([eligible] * len(kept), pa.int32()),
        "top_n": pa.array([config.top_n] * len(kept), pa.int32()),
        "top_percent": pa.array([config.top_percent] * len(kept), pa.decimal128(9, 4)),
        "threshold_paid": pa.array([threshold] * len(kept), MONEY),
        "window_start": pa.array([start] * len(kept), pa.date32()),
        "window_end": pa.array([end] * len(kept), pa.date32()),
        "as_of": pa.array([as_of] * len(kept), pa.date32()),
    })


def frequent_ed(ws: Workspace, *, as_of: date, config: CareConfig) -> pa.Table:
    """Beneficiaries with at least `ed_visits` ED visit days in the 12 months ending `as_of`.

    An ED visit is a final-action valid outpatient claim with an ED revenue centre or a Part B
    ED E&M line (mart_service_category_payment); the facility and professional claims of one
    visit fall on the same day, so visits are counted as distinct days."""
    start, end = window(as_of, 12)
    sql = f"""
        with ed as (
            select mr_mbi, visit_key, visit_date
            from mart_provider_payment
            where service_category = 'ed_visit' and visit_key is not null
              and visit_date between ? and ? and clm_idr_ld_dt <= ?
        ),
        paid as (
            select mr_mbi, cast(sum(signed_paid_amount) as decimal(18, 2)) as ed_paid
            from mart_provider_payment
            where service_category = 'ed_visit'
              and service_date between ? and ? and clm_idr_ld_dt <= ?
            group by mr_mbi
        )
        select ed.mr_mbi, count(distinct ed.visit_date), count(distinct ed.visit_key)
             , min(ed.visit_date), max(ed.visit_date), max(paid.ed_paid)
        from ed left join paid using (mr_mbi)
        where {_living(as_of)}
        group by ed.mr_mbi
        having count(distinct ed.visit_date) >= ?
        order by count(distinct ed.visit_date) desc, ed.mr_mbi
    """
    rows = _query(ws, sql, [start, end, as_of] * 2 + [config.ed_visits])
    n = len(rows)
    return pa.table({
        "mr_mbi": pa.array([r[0] for r in rows], pa.string()),
        "ed_visit_days": pa.array([int(r[1]) for r in rows], pa.int32()),
        "ed_claims": pa.array([int(r[2]) for r in rows], pa.int32()),
        "first_ed_date": pa.array([r[3] for r in rows], pa.date32()),
        "last_ed_date": pa.array([r[4] for r in rows], pa.date32()),
        "ed_paid": pa.array([money(r[5]) for r in rows], MONEY),
        "ed_visits_threshold": pa.array([config.ed_visits] * n, pa.int32()),
        "window_start": pa.array([start] * n, pa.date32()),
        "window_end": pa.array([end] * n, pa.date32()),
        "as_of": pa.array([as_of] * n, pa.date32()),
    })


def discharges_without_followup(ws: Workspace, *, as_of: date, config: CareConfig) -> pa.Table:
    """Live inpatient discharges of the last `discharge_lookback_days` days (as of `as_of`)
    without a follow-up E&M visit on days 1..`followup_days` after the discharge.

    A follow-up is an office/outpatient, home, domiciliary or TCM visit (seed
    primary_care_service_codes, is_followup_visit) after the discharge day, on or before
    `as_of`, loaded by `as_of`. A stay followed by another inpatient admission on the
    discharge day or the day after (a transfer) is left out: its follow-up belongs to the
    later stay. `window_closed` says whether `followup_days` have passed."""
    lookback_start = as_of - timedelta(days=config.discharge_lookback_days - 1)
    sql = f"""
        with stays as (
            select * from mart_care_inpatient_discharges
            where discharge_date between ? and ? and clm_idr_ld_dt <= ? and is_live_discharge
        ),
        known_stays as (
            select mr_mbi, admission_date from mart_care_inpatient_discharges
            where clm_idr_ld_dt <= ?
        ),
        transferred as (
            select distinct stays.version_key
            from stays join known_stays
              on stays.mr_mbi = known_stays.mr_mbi
             and known_stays.admission_date between stays.discharge_date
                 and stays.discharge_date + interval 1 day
             and not (known_stays.admission_date = stays.admission_date)
        ),
        followups as (
            select stays.version_key, min(visits.visit_date) as next_followup_date
            from stays join mart_care_em_visits as visits
              on stays.mr_mbi = visits.mr_mbi
             and visits.is_followup_visit
             and visits.visit_date > stays.discharge_date
             and visits.visit_date <= ? and visits.first_loaded_date <= ?
            group by stays.version_key
        )
        select stays.mr_mbi, stays.cur_clm_uniq_id, stays.ccn, stays.ccn_facility_type
             , stays.admission_date, stays.discharge_date, stays.discharge_status_cd
             , stays.drg_cd, stays.paid_amount, followups.next_followup_date
        from stays
        left join followups using (version_key)
        where stays.version_key not in (select version_key from transferred)
          and {_living(as_of)}
        order by stays.discharge_date, stays.mr_mbi, stays.cur_clm_uniq_id
    """
    rows = _query(ws, sql, [lookback_start, as_of, as_of, as_of, as_of, as_of])
    out: list[dict[str, Any]] = []
    for mbi, clm, ccn, ftype, admit, discharge, status, drg, paid, follow in rows:
        days = (follow - discharge).days if follow is not None else None
        if days is not None and days <= config.followup_days:
            continue
        out.append({
            "mr_mbi": mbi, "cur_clm_uniq_id": clm, "ccn": ccn, "ccn_facility_type": ftype,
            "admission_date": admit, "discharge_date": discharge,
            "discharge_status_cd": status, "drg_cd": drg, "paid_amount": money(paid),
            "days_since_discharge": (as_of - discharge).days,
            "next_followup_date": follow, "days_to_followup": days,
            "followup_within_extended_days": days is not None
            and days <= config.followup_days_extended,
            "window_closed": (as_of - discharge).days >= config.followup_days,
            "followup_days": config.followup_days,
            "followup_days_extended": config.followup_days_extended,
            "lookback_start": lookback_start, "as_of": as_of,
        })
    schema = pa.schema([
        ("mr_mbi", pa.string()), ("cur_clm_uniq_id", pa.string()), ("ccn", pa.string()),
        ("ccn_facility_type", pa.string()), ("admission_date", pa.date32()),
        ("discharge_date", pa.date32()), ("discharge_status_cd", pa.string()),
        ("drg_cd", pa.string()), ("paid_amount", MONEY), ("days_since_discharge", pa.int32()),
        ("next_followup_date", pa.date32()), ("days_to_followup", pa.int32()),
        ("followup_within_extended_days", pa.bool_()), ("window_closed", pa.bool_()),
        ("followup_days", pa.int32()), ("followup_days_extended", pa.int32()),
        ("lookback_start", pa.date32()), ("as_of", pa.date32()),
    ])
    return pa.Table.from_pylist(out, schema=schema)


RiskScorer = Callable[..., pa.Table]


def risk_scorer() -> RiskScorer | None:
    """`aco_pipeline.metrics.risk.beneficiary_scores` when that module is installed."""
    try:
        module = importlib.import_module("aco_pipeline.metrics.risk")
    except ModuleNotFoundError:
        return None
    return getattr(module, "beneficiary_scores", None)


def _scores(ws: Workspace, scorer: RiskScorer, *, payment_year: int, start: date,
            end: date) -> dict[str, Decimal]:
    table = scorer(ws, payment_year=payment_year, diagnosis_start=start, diagnosis_end=end)
    return {m: Decimal(s) for m, s in zip(table.column("mr_mbi").to_pylist(),
                                          table.column("risk_score").to_pylist(), strict=True)
            if s is not None}


def rising_risk(ws: Workspace, *, as_of: date, config: CareConfig,
                scorer: RiskScorer | None = None, use_scores: bool = True) -> pa.Table:
    """Beneficiaries whose annualised Part A + B spend rose most: the last 6 months against
    the 6 before (each x 2), loaded by `as_of`; increase above `rising_risk_min_increase`.

    When the risk-score module is available and runs, the CMS-HCC score from the diagnoses
    of the last 12 months and of the 12 before is given beside it (one payment year for both,
    the as-of year + 1: the prospective model scores diagnoses of the year before), and
    beneficiaries are ranked by score change first, then by the spend increase.
    Without it (or when it fails) the score columns are NULL and `risk_score_source` says
    `unavailable` (with the exception type when it failed)."""
    recent_start, recent_end = window(as_of, 6)
    prior_start, prior_end = window(as_of, 6, ending_months_before=6)
    sql = f"""
        select mr_mbi
             , cast(sum(case when service_date >= ? then signed_paid_amount else 0 end)
                    as decimal(18, 2))
             , cast(sum(case when service_date < ? then signed_paid_amount else 0 end)
                    as decimal(18, 2))
        from fct_claim_payment
        where claim_family in {SPEND_FAMILIES}
          and service_date between ? and ? and clm_idr_ld_dt <= ?
          and {_living(as_of)}
        group by mr_mbi
    """
    rows = _query(ws, sql, [recent_start, recent_start, prior_start, recent_end, as_of])
    scorer = (scorer or risk_scorer()) if use_scores else None
    recent_scores: dict[str, Decimal] = {}
    prior_scores: dict[str, Decimal] = {}
    source = "unavailable"
    if scorer is not None:
        s12, e12 = window(as_of, 12)
        s24, e24 = window(as_of, 12, ending_months_before=12)
        try:
            recent_scores = _scores(ws, scorer, payment_year=as_of.year + 1, start=s12, end=e12)
            prior_scores = _scores(ws, scorer, payment_year=as_of.year + 1, start=s24, end=e24)
            source = "cms_hcc"
        except Exception as exc:  # the score module cannot run on this warehouse
            # the list stays useful on spend alone; the reason (exception type only, never
            # its text, which could quote data) is recorded in the published parameters
            recent_scores, prior_scores = {}, {}
            source = f"unavailable ({type(exc).__name__})"
    out: list[dict[str, Any]] = []
    for mbi, recent, prior in rows:
        recent_a, prior_a = money(recent) * 2, money(prior) * 2
        increase = recent_a - prior_a
        if increase <= config.rising_risk_min_increase:
            continue
        rs, ps = recent_scores.get(mbi), prior_scores.get(mbi)
        change = rs - ps if rs is not None and ps is not None else None
        out.append({
            "mr_mbi": mbi, "recent_paid": money(recent), "prior_paid": money(prior),
            "recent_paid_annualised": recent_a, "prior_paid_annualised": prior_a,
            "spend_increase_annualised": increase,
            "spend_increase_percent": ((increase * 100 / prior_a).quantize(Decimal("0.01"))
                                       if prior_a > 0 else None),
            "risk_score_recent": rs, "risk_score_prior": ps, "risk_score_change": change,
            "risk_score_source": source,
        })
    out.sort(key=lambda r: (-(r["risk_score_change"] or Decimal(0)),
                            -r["spend_increase_annualised"], r["mr_mbi"]))
    out = out[:config.rising_risk_top_n]
    for rank, r in enumerate(out, start=1):
        r.update(rank=rank, min_increase=money(config.rising_risk_min_increase),
                 top_n=config.rising_risk_top_n, recent_start=recent_start,
                 recent_end=recent_end, prior_start=prior_start, prior_end=prior_end,
                 as_of=as_of)
    schema = pa.schema([
        ("rank", pa.int32()), ("mr_mbi", pa.string()), ("recent_paid", MONEY),
        ("prior_paid", MONEY), ("recent_paid_annualised", MONEY),
        ("prior_paid_annualised", MONEY), ("spend_increase_annualised", MONEY),
        ("spend_increase_percent", pa.decimal128(18, 2)), ("risk_score_recent", SCORE),
        ("risk_score_prior", SCORE), ("risk_score_change", SCORE),
        ("risk_score_source", pa.string()), ("min_increase", MONEY), ("top_n", pa.int32()),
        ("recent_start", pa.date32()), ("recent_end", pa.date32()),
        ("prior_start", pa.date32()), ("prior_end", pa.date32()), ("as_of", pa.date32()),
    ])
    return pa.Table.from_pylist(out, schema=schema)


BUILDERS: dict[str, Callable[..., pa.Table]] = {
    "top-spenders": top_spenders,
    "frequent-ed": frequent_ed,
    "discharges": discharges_without_followup,
    "rising-risk": rising_risk,
}


def compute_list(ws: Workspace, which: CareList, *, as_of: date,
                 config: CareConfig | None = None) -> tuple[pa.Table, Path]:
    """Compute one care list as of `as_of` and publish it; returns the table and its path."""
    if which not in BUILDERS:
        raise CareConfigError(f"unknown care list {which!r}; one of {', '.join(BUILDERS)}")
    cfg = config or load_care_config(ws)
    table = BUILDERS[which](ws, as_of=as_of, config=cfg)
    params: dict[str, object] = {"list": which, "as_of": as_of, **cfg.as_parameters()}
    if which == "rising-risk" and len(table):
        params["risk_score_source"] = table.column("risk_score_source")[0].as_py()
    path = store.publish(ws, TABLES[which], table, params)
    return table, path
