"""Care-management lists as of a date: top spenders, frequent ED users, discharges without a
follow-up visit, rising risk. See docs/care-management.md.

Every list is as of a date D: only claims loaded into the IDR on or before D count (IP v40
3.4, CLM_IDR_LD_DT; a pure function of D, never of the clock), beneficiaries who died on or
before D (dim_beneficiary, newest CCLF8) are left out, and every row carries the facts behind
its flag and the thresholds used. Spend is the signed paid amount of Parts A and B (Part A,
Part B, by the Medicare part that paid, IP v40 5.3.1 step 5 and 5.4), exact decimals. Every
patient-level row carries the beneficiary's name and attributed provider beside the MBI.

Every list reads one finished mart (`mart_care_payment`, `mart_care_discharge_followup`) and
applies only the as-of date, windows and thresholds. `aco build` stores each list as of the
data's as-of date as canonical tables `metric_care_top_spenders`, `metric_care_frequent_ed`,
`metric_care_discharges_without_followup` and `metric_care_rising_risk` (`canonical`); an
ad-hoc `aco report care` prints and writes nothing.

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
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from aco_pipeline.config import Workspace, load_section
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.periods import MetricPeriod, stack
from aco_pipeline.warehouse.read import money, require, rows

if TYPE_CHECKING:
    import duckdb

CareList = Literal["top-spenders", "frequent-ed", "discharges", "rising-risk"]
TABLES: dict[str, str] = {
    "top-spenders": "care_top_spenders",
    "frequent-ed": "care_frequent_ed",
    "discharges": "care_discharges_without_followup",
    "rising-risk": "care_rising_risk",
}
MONEY = pa.decimal128(18, 2)
SCORE = pa.decimal128(18, 3)


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

PAYMENTS = "mart_care_payment"
DISCHARGES = "mart_care_discharge_followup"
# not dead on or before the as-of date (dim_beneficiary's death date, carried by the marts)
LIVING = "(death_date is null or death_date > ?)"
PATIENT = [("mr_mbi", pa.string()), ("beneficiary_name", pa.string()),
           ("attributed_tin", pa.string()), ("attributed_npi", pa.string())]


TOP_SCHEMA = pa.schema([
    ("rank", pa.int32()), *PATIENT, ("total_paid", MONEY), ("part_a_paid", MONEY),
    ("part_b_paid", MONEY), ("inpatient_admissions", pa.int32()), ("ed_visit_days", pa.int32()),
    ("beneficiaries_with_spend", pa.int32()), ("top_n", pa.int32()),
    ("top_percent", pa.decimal128(9, 4)), ("threshold_paid", MONEY),
    ("window_start", pa.date32()), ("window_end", pa.date32()), ("as_of", pa.date32()),
])
ED_SCHEMA = pa.schema([
    *PATIENT, ("ed_visit_days", pa.int32()), ("ed_claims", pa.int32()),
    ("first_ed_date", pa.date32()), ("last_ed_date", pa.date32()), ("ed_paid", MONEY),
    ("ed_visits_threshold", pa.int32()), ("window_start", pa.date32()),
    ("window_end", pa.date32()), ("as_of", pa.date32()),
])


def _require(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    require(con, names, "care-management marts")


def top_spenders(con: duckdb.DuckDBPyConnection, *, as_of: date,
                 config: CareConfig) -> pa.Table:
    """Beneficiaries with the highest Part A + B spend in the 12 months ending `as_of`."""
    _require(con, PAYMENTS)
    start, end = window(as_of, 12)
    sql = f"""
        select mr_mbi, max(beneficiary_name), max(attributed_tin), max(attributed_npi)
             , cast(sum(signed_paid_amount) as decimal(18, 2)) as total_paid
             , cast(sum(case when medicare_part = 'A' then signed_paid_amount else 0 end)
                    as decimal(18, 2))
             , cast(sum(case when medicare_part = 'B' then signed_paid_amount else 0 end)
                    as decimal(18, 2))
             , count(distinct admission_key)
             , count(distinct ed_visit_date)
        from {PAYMENTS}
        where service_date between ? and ? and clm_idr_ld_dt <= ? and {LIVING}
        group by mr_mbi
        having sum(signed_paid_amount) > 0
        order by total_paid desc, mr_mbi
    """
    found = rows(con, sql, [start, end, as_of, as_of])
    eligible = len(found)
    if config.top_percent is not None:
        keep = math.ceil(Decimal(eligible) * config.top_percent / 100)
    else:
        keep = config.top_n or 0
    kept = found[:keep]
    threshold = money(kept[-1][4]) if kept else None
    n = len(kept)
    return pa.table({
        "rank": pa.array(range(1, n + 1), pa.int32()),
        **_patient(kept),
        "total_paid": pa.array([money(r[4]) for r in kept], MONEY),
        "part_a_paid": pa.array([money(r[5]) for r in kept], MONEY),
        "part_b_paid": pa.array([money(r[6]) for r in kept], MONEY),
        "inpatient_admissions": pa.array([int(r[7]) for r in kept], pa.int32()),
        "ed_visit_days": pa.array([int(r[8]) for r in kept], pa.int32()),
        "beneficiaries_with_spend": pa.array([eligible] * n, pa.int32()),
        "top_n": pa.array([config.top_n] * n, pa.int32()),
        "top_percent": pa.array([config.top_percent] * n, pa.decimal128(9, 4)),
        "threshold_paid": pa.array([threshold] * n, MONEY),
        "window_start": pa.array([start] * n, pa.date32()),
        "window_end": pa.array([end] * n, pa.date32()),
        "as_of": pa.array([as_of] * n, pa.date32()),
    }, schema=TOP_SCHEMA)


def _patient(found: Sequence[tuple[Any, ...]]) -> dict[str, pa.Array]:
    """The MBI, name and attributed provider columns from the first four fields of rows."""
    return {name: pa.array([r[i] for r in found], kind)
            for i, (name, kind) in enumerate(PATIENT)}


def frequent_ed(con: duckdb.DuckDBPyConnection, *, as_of: date,
                config: CareConfig) -> pa.Table:
    """Beneficiaries with at least `ed_visits` ED visit days in the 12 months ending `as_of`.

    An ED visit is a final-action valid outpatient claim with an ED revenue centre or a Part B
    ED E&M line (mart_service_category_payment); the facility and professional claims of one
    visit fall on the same day, so visits are counted as distinct days."""
    _require(con, PAYMENTS)
    start, end = window(as_of, 12)
    in_window = "ed_visit_date between ? and ?"
    sql = f"""
        select mr_mbi, max(beneficiary_name), max(attributed_tin), max(attributed_npi)
             , count(distinct case when {in_window} then ed_visit_date end) as ed_days
             , count(distinct case when {in_window} then ed_visit_key end)
             , min(case when {in_window} then ed_visit_date end)
             , max(case when {in_window} then ed_visit_date end)
             , cast(sum(case when service_date between ? and ? then signed_paid_amount
                             else 0 end) as decimal(18, 2))
        from {PAYMENTS}
        where service_category = 'ed_visit' and clm_idr_ld_dt <= ? and {LIVING}
        group by mr_mbi
        having count(distinct case when {in_window} then ed_visit_date end) >= ?
        order by ed_days desc, mr_mbi
    """
    found = rows(con, sql, [start, end] * 5 + [as_of, as_of, start, end, config.ed_visits])
    n = len(found)
    return pa.table({
        **_patient(found),
        "ed_visit_days": pa.array([int(r[4]) for r in found], pa.int32()),
        "ed_claims": pa.array([int(r[5]) for r in found], pa.int32()),
        "first_ed_date": pa.array([r[6] for r in found], pa.date32()),
        "last_ed_date": pa.array([r[7] for r in found], pa.date32()),
        "ed_paid": pa.array([money(r[8]) for r in found], MONEY),
        "ed_visits_threshold": pa.array([config.ed_visits] * n, pa.int32()),
        "window_start": pa.array([start] * n, pa.date32()),
        "window_end": pa.array([end] * n, pa.date32()),
        "as_of": pa.array([as_of] * n, pa.date32()),
    }, schema=ED_SCHEMA)


DISCHARGE_SCHEMA = pa.schema([
    *PATIENT, ("cur_clm_uniq_id", pa.string()), ("ccn", pa.string()),
    ("ccn_facility_type", pa.string()), ("admission_date", pa.date32()),
    ("discharge_date", pa.date32()), ("discharge_status_cd", pa.string()),
    ("discharge_status", pa.string()), ("drg_cd", pa.string()), ("paid_amount", MONEY),
    ("days_since_discharge", pa.int32()), ("next_followup_date", pa.date32()),
    ("days_to_followup", pa.int32()), ("followup_within_extended_days", pa.bool_()),
    ("window_closed", pa.bool_()), ("followup_days", pa.int32()),
    ("followup_days_extended", pa.int32()), ("lookback_start", pa.date32()),
    ("as_of", pa.date32()),
])


def discharges_without_followup(con: duckdb.DuckDBPyConnection, *, as_of: date,
                                config: CareConfig) -> pa.Table:
    """Live inpatient discharges of the last `discharge_lookback_days` days (as of `as_of`)
    without a follow-up E&M visit on days 1..`followup_days` after the discharge.

    A follow-up is an office/outpatient, home, domiciliary or TCM visit (seed
    primary_care_service_codes, is_followup_visit) after the discharge day, on or before
    `as_of`, loaded by `as_of` (visits up to 365 days after the discharge are considered). A
    stay followed by another inpatient admission on the discharge day or the day after (a
    transfer known by `as_of`) is left out: its follow-up belongs to the later stay.
    `window_closed` says whether `followup_days` have passed."""
    _require(con, DISCHARGES)
    lookback_start = as_of - timedelta(days=config.discharge_lookback_days - 1)
    sql = f"""
        select mr_mbi, max(beneficiary_name), max(attributed_tin), max(attributed_npi)
             , cur_clm_uniq_id, max(ccn), max(ccn_facility_type), max(admission_date)
             , discharge_date, max(discharge_status_cd), max(discharge_status), max(drg_cd)
             , max(paid_amount)
             , min(case when visit_date <= ? and visit_loaded_date <= ? then visit_date end)
        from {DISCHARGES}
        where discharge_date between ? and ? and clm_idr_ld_dt <= ? and is_live_discharge
          and (transfer_known_date is null or transfer_known_date > ?)
          and {LIVING}
        group by version_key, mr_mbi, cur_clm_uniq_id, discharge_date
        order by discharge_date, mr_mbi, cur_clm_uniq_id
    """
    found = rows(con, sql, [as_of, as_of, lookback_start, as_of, as_of, as_of, as_of])
    out: list[dict[str, Any]] = []
    for mbi, name, tin, npi, clm, ccn, ftype, admit, discharge, status, label, drg, paid, \
            follow in found:
        days = (follow - discharge).days if follow is not None else None
        if days is not None and days <= config.followup_days:
            continue
        out.append({
            "mr_mbi": mbi, "beneficiary_name": name, "attributed_tin": tin,
            "attributed_npi": npi, "cur_clm_uniq_id": clm, "ccn": ccn,
            "ccn_facility_type": ftype, "admission_date": admit, "discharge_date": discharge,
            "discharge_status_cd": status, "discharge_status": label, "drg_cd": drg,
            "paid_amount": money(paid), "days_since_discharge": (as_of - discharge).days,
            "next_followup_date": follow, "days_to_followup": days,
            "followup_within_extended_days": days is not None
            and days <= config.followup_days_extended,
            "window_closed": (as_of - discharge).days >= config.followup_days,
            "followup_days": config.followup_days,
            "followup_days_extended": config.followup_days_extended,
            "lookback_start": lookback_start, "as_of": as_of,
        })
    return pa.Table.from_pylist(out, schema=DISCHARGE_SCHEMA)


# --- rising risk ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RiskScores:
    """CMS-HCC scores per MBI for the diagnoses of the last 12 months (`recent`) and of the
    12 before (`prior`), and where they came from (`cms_hcc`, or `unavailable (...)`)."""

    source: str = "unavailable"
    recent: dict[str, Decimal] = field(default_factory=dict)
    prior: dict[str, Decimal] = field(default_factory=dict)


def _score_dict(table: pa.Table) -> dict[str, Decimal]:
    return {m: Decimal(s) for m, s in zip(table.column("mr_mbi").to_pylist(),
                                          table.column("risk_score").to_pylist(), strict=True)
            if s is not None}


def risk_scores(con: duckdb.DuckDBPyConnection, ws: Workspace, *, as_of: date) -> RiskScores:
    """CMS-HCC scores (metrics.risk) of the warehouse behind `con` for the diagnoses of the
    12 months ending `as_of` and of the 12 before, for payment year as-of year + 1 (the
    prospective model scores the diagnoses of the year before), with the workspace's `[risk]`
    settings. `unavailable (...)` when the risk registry has no models for that payment
    year (the error type is recorded, never its text)."""
    from aco_pipeline.metrics import risk

    config = risk.load_config(ws, risk.load_models())
    s12, e12 = window(as_of, 12)
    s24, e24 = window(as_of, 12, ending_months_before=12)
    try:
        recent = risk.beneficiary_scores(con, payment_year=as_of.year + 1, config=config,
                                         diagnosis_start=s12, diagnosis_end=e12)
        prior = risk.beneficiary_scores(con, payment_year=as_of.year + 1, config=config,
                                        diagnosis_start=s24, diagnosis_end=e24)
    except risk.RiskError as exc:
        return RiskScores(f"unavailable ({type(exc).__name__})")
    return RiskScores("cms_hcc", _score_dict(recent), _score_dict(prior))


RISING_SCHEMA = pa.schema([
    ("rank", pa.int32()), *PATIENT, ("recent_paid", MONEY),
    ("prior_paid", MONEY), ("recent_paid_annualised", MONEY),
    ("prior_paid_annualised", MONEY), ("spend_increase_annualised", MONEY),
    ("spend_increase_percent", pa.decimal128(18, 2)), ("risk_score_recent", SCORE),
    ("risk_score_prior", SCORE), ("risk_score_change", SCORE),
    ("risk_score_source", pa.string()), ("min_increase", MONEY), ("top_n", pa.int32()),
    ("recent_start", pa.date32()), ("recent_end", pa.date32()),
    ("prior_start", pa.date32()), ("prior_end", pa.date32()), ("as_of", pa.date32()),
])


def rising_risk(con: duckdb.DuckDBPyConnection, *, as_of: date, config: CareConfig,
                scores: RiskScores | None = None) -> pa.Table:
    """Beneficiaries whose annualised Part A + B spend rose most: the last 6 months against
    the 6 before (each x 2), loaded by `as_of`; increase above `rising_risk_min_increase`.

    With `scores` (risk_scores) the CMS-HCC scores of the last 12 months' and the 12 before's
    diagnoses are shown beside the spend and beneficiaries are ranked by score change first,
    then by the spend increase; without, the score columns are NULL and `risk_score_source`
    says why."""
    _require(con, PAYMENTS)
    scores = scores or RiskScores()
    recent_start, recent_end = window(as_of, 6)
    prior_start, prior_end = window(as_of, 6, ending_months_before=6)
    sql = f"""
        select mr_mbi, max(beneficiary_name), max(attributed_tin), max(attributed_npi)
             , cast(sum(case when service_date >= ? then signed_paid_amount else 0 end)
                    as decimal(18, 2))
             , cast(sum(case when service_date < ? then signed_paid_amount else 0 end)
                    as decimal(18, 2))
        from {PAYMENTS}
        where service_date between ? and ? and clm_idr_ld_dt <= ? and {LIVING}
        group by mr_mbi
    """
    found = rows(con, sql, [recent_start, recent_start, prior_start, recent_end, as_of, as_of])
    out: list[dict[str, Any]] = []
    for mbi, name, tin, npi, recent, prior in found:
        recent_a, prior_a = money(recent) * 2, money(prior) * 2
        increase = recent_a - prior_a
        if increase <= config.rising_risk_min_increase:
            continue
        rs, ps = scores.recent.get(mbi), scores.prior.get(mbi)
        change = rs - ps if rs is not None and ps is not None else None
        out.append({
            "mr_mbi": mbi, "beneficiary_name": name, "attributed_tin": tin,
            "attributed_npi": npi, "recent_paid": money(recent), "prior_paid": money(prior),
            "recent_paid_annualised": recent_a, "prior_paid_annualised": prior_a,
            "spend_increase_annualised": increase,
            "spend_increase_percent": ((increase * 100 / prior_a).quantize(Decimal("0.01"))
                                       if prior_a > 0 else None),
            "risk_score_recent": rs, "risk_score_prior": ps, "risk_score_change": change,
            "risk_score_source": scores.source,
        })
    out.sort(key=lambda r: (-(r["risk_score_change"] or Decimal(0)),
                            -r["spend_increase_annualised"], r["mr_mbi"]))
    out = out[:config.rising_risk_top_n]
    for rank, r in enumerate(out, start=1):
        r.update(rank=rank, min_increase=money(config.rising_risk_min_increase),
                 top_n=config.rising_risk_top_n, recent_start=recent_start,
                 recent_end=recent_end, prior_start=prior_start, prior_end=prior_end,
                 as_of=as_of)
    return pa.Table.from_pylist(out, schema=RISING_SCHEMA)


SCHEMAS: dict[str, pa.Schema] = {
    "top-spenders": TOP_SCHEMA, "frequent-ed": ED_SCHEMA, "discharges": DISCHARGE_SCHEMA,
    "rising-risk": RISING_SCHEMA,
}


def compute_list(con: duckdb.DuckDBPyConnection, which: CareList, *, as_of: date,
                 config: CareConfig, scores: RiskScores | None = None) -> pa.Table:
    """One care list as of `as_of` (nothing is written)."""
    if which == "top-spenders":
        return top_spenders(con, as_of=as_of, config=config)
    if which == "frequent-ed":
        return frequent_ed(con, as_of=as_of, config=config)
    if which == "discharges":
        return discharges_without_followup(con, as_of=as_of, config=config)
    if which == "rising-risk":
        return rising_risk(con, as_of=as_of, config=config, scores=scores)
    raise CareConfigError(f"unknown care list {which!r}; one of {', '.join(TABLES)}")


# --- canonical tables -------------------------------------------------------------------------

def list_period(periods: Sequence[MetricPeriod]) -> MetricPeriod | None:
    """The period the canonical lists are keyed by: the performance year to date, else the
    period ending last (the lists themselves are as of the period's as-of date)."""
    ytd = [p for p in periods if p.period_kind == "performance_year_to_date"]
    if ytd:
        return ytd[0]
    return max(periods, key=lambda p: (p.period_end, -p.months), default=None)


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """The four lists as of the data's as-of date (the newest IDR load date) with the
    workspace's `[care]` thresholds, keyed by `list_period(periods)`."""
    config = load_care_config(ws)
    period = list_period(periods)
    out: dict[str, pa.Table] = {}
    scores = risk_scores(con, ws, as_of=period.as_of_date) if period else RiskScores()
    for which, name in TABLES.items():
        parts = []
        if period is not None:
            parts.append((period, compute_list(con, which, as_of=period.as_of_date,  # type: ignore[arg-type]
                                               config=config, scores=scores)))
        out[name] = stack(parts, SCHEMAS[which])
    return out

