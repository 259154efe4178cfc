"""Expenditure per person-year from the warehouse: the CMS guide's Tables 10 and 11 for one ACO.

The specification is the CMS guide "CCLF Uses and Limitations" v4, Appendix A phase 5
("Approaches used to adjust raw expenditures to arrive at QEXPU expenditures"), with the
monthly enrollment types of Appendix B. The arithmetic lives in `metrics.expenditure`; this
module reads its inputs from two marts (docs/expenditure.md) and applies the period and run-out:

1. Months: the counted person-months (`mart_expenditure_member_month.is_counted`, the one
   definition of `fct_member_month.is_counted`: enrollment type 1-4, alive, not opted out,
   not known to be unassigned) in the report period. Eligibility fraction = months / 12.
2. Paid: signed Part A and Part B amounts of `mart_expenditure_payment` (Part D is not
   Medicare expenditure) with the service date in the period and the IDR load date on or
   before the run-out (IP v40 3.4, 5.3.1), with the CCLF1 IME/DSH/UCC amounts (step 2). A
   payment belongs to the enrollment type of its service month (guide Table 10 notes).
3. NCBP (step 3) from a per-beneficiary CSV (`read_ncbp`), MBIs mapped to the current MBI.
4. Tables 10 (truncation thresholds, Tracks 1/2) or 11 (truncation factors, prospective).

Payments and NCBP in a month that is not a counted person-month cannot be annualised; they
are left out of the tables and reported as `excluded_*` (CLI notes).

`beneficiary_expenditures(con, ...)` (rows per current MBI x enrollment type) is the reusable
entry point (the forecast uses it); `compute` adds the table; `canonical` computes both metric
tables (`metric_expenditure_beneficiary`, `metric_expenditure_summary`) for `aco build`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from aco_pipeline.config import Workspace, load_section
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.expenditure import (
    COLUMNS,
    MONTHS_PER_YEAR,
    ZERO,
    EnrollmentType,
    TableRow,
    TypeExpenditure,
    contribution,
    pre_sequestration_payment,
    sequestration_adjustment,
    table_10,
    table_11,
)
from aco_pipeline.warehouse.read import require, rows

if TYPE_CHECKING:
    import duckdb

    from aco_pipeline.metrics.periods import MetricPeriod

SECTION = "expenditure"
WHERE = "aco.toml [expenditure]"
BENEFICIARY_TABLE = "expenditure_beneficiary"
SUMMARY_TABLE = "expenditure_summary"

# fct_member_month.enrollment_type codes (seed enrollment_type_codes; guide Appendix B, Table 13)
TYPE_BY_CODE: dict[int, EnrollmentType] = {
    1: EnrollmentType.ESRD,
    2: EnrollmentType.DISABLED,
    3: EnrollmentType.AGED_DUAL,
    4: EnrollmentType.AGED_NON_DUAL,
}
# keys of the per-type tables in aco.toml and of the CLI's TYPE=VALUE options
TYPE_KEYS: dict[str, EnrollmentType] = {
    "esrd": EnrollmentType.ESRD,
    "disabled": EnrollmentType.DISABLED,
    "aged_dual": EnrollmentType.AGED_DUAL,
    "aged_non_dual": EnrollmentType.AGED_NON_DUAL,
}
KEY_BY_TYPE = {t: k for k, t in TYPE_KEYS.items()}

# the rows of Tables 10/11 that are not dollars
NON_MONEY_ROWS = {"thresholds": {"17"}, "factors": {"10", "15"}}

# published decimals: cents would lose person-years and factors; six places keep both
STORED = pa.decimal128(38, 6)
STORED_QUANTUM = Decimal("0.000001")
CENT = Decimal("0.01")


class ExpenditureConfigError(AcoError, ValueError):
    """The `[expenditure]` parameters are missing or invalid."""


class NcbpFileError(AcoError, ValueError):
    """The non-claims based payments file cannot be read; names file, line and field."""


class Method(StrEnum):
    """Guide Appendix A phase 5: `thresholds` = Tracks 1/2 and BASIC/ENHANCED with preliminary
    prospective assignment (Table 10); `factors` = Track 1+/3 and prospective (Table 11)."""

    thresholds = "thresholds"
    factors = "factors"


# --- parameters ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpenditureParameters:
    method: Method
    completion_factor: Decimal
    truncation_thresholds: Mapping[EnrollmentType, Decimal] = field(default_factory=dict)
    truncation_factors: Mapping[EnrollmentType, Decimal] = field(default_factory=dict)
    ncbp_file: Path | None = None

    def truncation_record(self) -> dict[str, dict[str, str]]:
        """The truncation parameters of the chosen method, for a metric table's metadata."""
        if self.method is Method.thresholds:
            return {"truncation_thresholds": {KEY_BY_TYPE[t]: str(v)
                                              for t, v in self.truncation_thresholds.items()}}
        return {"truncation_factors": {KEY_BY_TYPE[t]: str(v)
                                       for t, v in self.truncation_factors.items()}}


def to_decimal(value: object, key: str) -> Decimal:
    """A parameter given as a decimal string or a TOML number, as an exact Decimal."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ExpenditureConfigError(f"{key} in {WHERE} must be a number or a decimal string")
    try:
        out = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ExpenditureConfigError(
            f"{key} in {WHERE} is not a number: {value!r}") from None
    if not out.is_finite():
        raise ExpenditureConfigError(f"{key} in {WHERE} must be finite")
    return out


def _per_type(section: Mapping[str, object], key: str,
              override: Mapping[str, object] | None) -> dict[EnrollmentType, Decimal]:
    table = section.get(key, {})
    if not isinstance(table, dict):
        raise ExpenditureConfigError(f"{key} in {WHERE} must be a table "
                                     f"([{SECTION}.{key}] with {', '.join(TYPE_KEYS)})")
    merged: dict[str, object] = {**table, **(override or {})}
    unknown = sorted(set(merged) - set(TYPE_KEYS))
    if unknown:
        raise ExpenditureConfigError(f"{key}.{unknown[0]} in {WHERE}: unknown enrollment type "
                                     f"(expected {', '.join(TYPE_KEYS)})")
    return {TYPE_KEYS[k]: to_decimal(v, f"{key}.{k}") for k, v in merged.items()}


def load_parameters(ws: Workspace, *, method: str | None = None,
                    completion_factor: object | None = None,
                    ncbp_file: Path | None = None,
                    thresholds: Mapping[str, object] | None = None,
                    factors: Mapping[str, object] | None = None) -> ExpenditureParameters:
    """The `[expenditure]` section of aco.toml, each argument overriding its key.

    Keys: `method` ("thresholds" | "factors"), `completion_factor` (1.072 for 7.2%),
    `[expenditure.truncation_thresholds]` and `[expenditure.truncation_factors]` with
    `esrd`, `disabled`, `aged_dual`, `aged_non_dual` (dollars; fractions, 0.0122 for 1.22%),
    `ncbp_file` (relative to the workspace). The method's per-type values must all be present.
    """
    section = load_section(ws, SECTION)
    if "assigned_only" in section:
        raise ExpenditureConfigError(
            f"assigned_only in {WHERE} was removed: expenditure counts the counted "
            "person-months (assigned where an ALR covers the month, docs/expenditure.md); "
            "delete the key")
    known = {"method", "completion_factor", "truncation_thresholds", "truncation_factors",
             "ncbp_file"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ExpenditureConfigError(f"{unknown[0]} in {WHERE}: unknown key "
                                     f"(expected {', '.join(sorted(known))})")
    raw_method = method if method is not None else section.get("method")
    if raw_method is None:
        raise ExpenditureConfigError(f"method missing: set method = \"thresholds\" or "
                                     f"\"factors\" in {WHERE} or pass --method")
    try:
        chosen = Method(str(raw_method))
    except ValueError:
        raise ExpenditureConfigError(f"method in {WHERE} must be \"thresholds\" or \"factors\", "
                                     f"not {raw_method!r}") from None
    raw_cf = completion_factor if completion_factor is not None else section.get(
        "completion_factor")
    if raw_cf is None:
        raise ExpenditureConfigError(f"completion_factor missing: set it in {WHERE} "
                                     "(e.g. \"1.072\") or pass --completion-factor")
    cf = to_decimal(raw_cf, "completion_factor")
    if cf < 1:
        raise ExpenditureConfigError(f"completion_factor in {WHERE} must be >= 1 "
                                     f"(1.072 adds 7.2%), got {cf}")
    thr = _per_type(section, "truncation_thresholds", thresholds)
    fac = _per_type(section, "truncation_factors", factors)
    needed_key, needed = (("truncation_thresholds", thr) if chosen is Method.thresholds
                          else ("truncation_factors", fac))
    for t, key in KEY_BY_TYPE.items():
        if t not in needed:
            raise ExpenditureConfigError(f"{needed_key}.{key} missing: the {chosen} method needs "
                                         f"it in {WHERE} (or pass it on the command line)")
    if chosen is Method.thresholds and any(v <= 0 for v in thr.values()):
        raise ExpenditureConfigError(f"truncation_thresholds in {WHERE} must be positive dollars")
    if chosen is Method.factors and any(not 0 <= v < 1 for v in fac.values()):
        raise ExpenditureConfigError(f"truncation_factors in {WHERE} must be fractions in "
                                     "[0, 1) (0.0122 for 1.22%)")
    path: Path | None = ncbp_file
    if path is None and section.get("ncbp_file") is not None:
        raw_path = section["ncbp_file"]
        if not isinstance(raw_path, str) or not raw_path:
            raise ExpenditureConfigError(f"ncbp_file in {WHERE} must be a path")
        path = Path(raw_path).expanduser()
        path = path if path.is_absolute() else ws.root / path
    return ExpenditureParameters(chosen, cf, thr, fac, path)


def configured(ws: Workspace) -> bool:
    """Whether aco.toml has an `[expenditure]` section (the canonical tables need it for the
    truncation and completion columns)."""
    return bool(load_section(ws, SECTION))


# --- report period ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Whole months [start, end], at most 12 (guide: eligibility fraction = months / 12)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ExpenditureConfigError("--to is before --from")
        if self.start.day != 1:
            raise ExpenditureConfigError("--from must be the first day of a month")
        if _next_month(self.end) != date.fromordinal(self.end.toordinal() + 1):
            raise ExpenditureConfigError("--to must be the last day of a month")
        if len(self.months) > MONTHS_PER_YEAR:
            raise ExpenditureConfigError("the report period is longer than 12 months")

    @property
    def months(self) -> list[date]:
        out, m = [], self.start
        while m <= self.end:
            out.append(m)
            m = _next_month(m)
        return out


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _month_of(d: date) -> date:
    return date(d.year, d.month, 1)


# --- non-claims based payments ------------------------------------------------------------------

NCBP_COLUMNS = ("mbi", "month", "amount")


@dataclass(frozen=True)
class NcbpPayment:
    mbi: str          # as in the file; mapped to the current MBI by the caller
    month: date       # first day of the month the payment is for
    amount: Decimal   # dollars, may be negative (recoupments; guide Table 10 row 8)


def read_ncbp(path: Path) -> list[NcbpPayment]:
    """A non-claims based payments CSV (guide Appendix A phase 5 step 3): a header row with
    `mbi`, `month` (YYYY-MM or YYYY-MM-DD) and `amount` (dollars, e.g. -12.50), any other columns
    ignored. Errors name the file, line and field, never a value from the file."""
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise NcbpFileError(f"{path}: cannot read the NCBP file ({exc.strerror})") from None
    out: list[NcbpPayment] = []
    with fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in NCBP_COLUMNS if c not in header]
        if missing:
            raise NcbpFileError(f"{path}, line 1: missing column(s) {', '.join(missing)} "
                                f"(expected a header with {', '.join(NCBP_COLUMNS)})")
        reader.fieldnames = header
        try:
            for rec in reader:
                out.append(_ncbp_row(path, reader.line_num, rec))
        except csv.Error as exc:
            raise NcbpFileError(f"{path}, line {reader.line_num}: not valid CSV "
                                f"({exc})") from None
    return out


def _ncbp_row(path: Path, line: int, rec: Mapping[str | None, Any]) -> NcbpPayment:
    if None in rec:
        raise NcbpFileError(f"{path}, line {line}: more fields than the header")
    values = {c: rec.get(c) for c in NCBP_COLUMNS}
    for c in NCBP_COLUMNS:
        if values[c] is None:
            raise NcbpFileError(f"{path}, line {line}, field {c}: missing")
    mbi = str(values["mbi"]).strip()
    if not mbi:
        raise NcbpFileError(f"{path}, line {line}, field mbi: empty")
    if len(mbi) != 11 or not mbi.isalnum():
        raise NcbpFileError(f"{path}, line {line}, field mbi: not an 11-character MBI")
    text = str(values["month"]).strip()
    try:
        month = _month_of(date.fromisoformat(text if len(text) != 7 else f"{text}-01"))
    except ValueError:
        raise NcbpFileError(f"{path}, line {line}, field month: not a month "
                            "(YYYY-MM or YYYY-MM-DD)") from None
    raw = str(values["amount"]).strip().replace(",", "")
    try:
        amount = Decimal(raw.replace("$", "", 1))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise NcbpFileError(f"{path}, line {line}, field amount: not a dollar amount with at "
                            "most two decimal places")
    return NcbpPayment(mbi, month, amount)


# --- per beneficiary x enrollment type ----------------------------------------------------------

MEMBER_MONTHS = "mart_expenditure_member_month"
PAYMENTS = "mart_expenditure_payment"
CROSSWALK = "int_mbi_crosswalk"


@dataclass(frozen=True)
class BeneficiaryExpenditure:
    """One current MBI's report-period inputs within one enrollment type (months > 0).

    `paid` = signed CLM_PMT_AMT (CCLF1) + CLM_LINE_CVRD_PD_AMT (CCLF5, CCLF6), post-sequestration:
    Medicare Part A + Part B (IP v40 5.3.1 step 5), split by the Medicare part that paid (IP v40
    5.4; `unknown_part_paid`: a Part A-file claim whose facility type and classification the seed
    does not list); `ime`, `dsh`, `ucc` = signed CCLF1 amounts at 100%; `ncbp` = non-claims based
    payments.
    """

    mbi: str
    enrollment_type: EnrollmentType
    months: int
    paid: Decimal
    part_a_paid: Decimal
    part_b_paid: Decimal
    unknown_part_paid: Decimal
    ime: Decimal
    dsh: Decimal
    ucc: Decimal
    ncbp: Decimal

    def as_type_expenditure(self) -> TypeExpenditure:
        return TypeExpenditure(self.mbi, self.enrollment_type, self.months, self.paid,
                               self.ime, self.dsh, self.ucc, self.ncbp)


@dataclass(frozen=True)
class Excluded:
    """Amounts in months that are not counted person-months (left out of the tables)."""

    paid: Decimal = ZERO
    ime_dsh_ucc: Decimal = ZERO
    ncbp: Decimal = ZERO
    beneficiary_months: int = 0
    ncbp_outside_period: int = 0


@dataclass(frozen=True)
class BeneficiaryInputs:
    rows: list[BeneficiaryExpenditure]
    excluded: Excluded


@dataclass(frozen=True)
class MonthPayment:
    """Signed amounts of one current MBI and service month (by Medicare part; IME, DSH, UCC)."""

    mbi: str
    month: date
    part_a: Decimal
    part_b: Decimal
    ime: Decimal
    dsh: Decimal
    ucc: Decimal
    unknown_part: Decimal = ZERO


AMOUNTS = ("part_a", "part_b", "unknown_part", "ime", "dsh", "ucc")


def assemble(member_months: Iterable[tuple[str, date, EnrollmentType]],
             payments: Iterable[MonthPayment],
             ncbp: Iterable[tuple[str, date, Decimal]], period: Period) -> BeneficiaryInputs:
    """Per (MBI, enrollment type): months, and the payments and NCBP of its service months.

    `member_months`: the counted (MBI, month, type) of the period; `ncbp`: (current MBI, month,
    amount). A payment or NCBP in a month that is not counted goes to `excluded`.
    """
    month_type: dict[tuple[str, date], EnrollmentType] = {}
    for mbi, month, t in member_months:
        if month_type.setdefault((mbi, month), t) is not t:
            raise ValueError("two enrollment types for one beneficiary-month")
    keys: dict[tuple[str, EnrollmentType], dict[str, Any]] = {}
    for (mbi, _), t in sorted(month_type.items()):
        acc = keys.setdefault((mbi, t), {"months": 0, "ncbp": ZERO,
                                         **{k: ZERO for k in AMOUNTS}})
        acc["months"] += 1
    ex_paid = ex_idu = ex_ncbp = ZERO
    ex_months: set[tuple[str, date]] = set()
    for p in payments:
        t_or_none = month_type.get((p.mbi, p.month))
        if t_or_none is None:
            ex_paid += p.part_a + p.part_b + p.unknown_part
            ex_idu += p.ime + p.dsh + p.ucc
            ex_months.add((p.mbi, p.month))
            continue
        acc = keys[(p.mbi, t_or_none)]
        for k in AMOUNTS:
            acc[k] += getattr(p, k)
    outside = 0
    first, last = period.start, _month_of(period.end)
    for mbi, month, amount in ncbp:
        if not first <= month <= last:
            outside += 1
            continue
        t_or_none = month_type.get((mbi, month))
        if t_or_none is None:
            ex_ncbp += amount
            ex_months.add((mbi, month))
            continue
        keys[(mbi, t_or_none)]["ncbp"] += amount
    rows = [
        BeneficiaryExpenditure(
            mbi=mbi, enrollment_type=t, months=a["months"],
            paid=a["part_a"] + a["part_b"] + a["unknown_part"], part_a_paid=a["part_a"],
            part_b_paid=a["part_b"], unknown_part_paid=a["unknown_part"], ime=a["ime"],
            dsh=a["dsh"], ucc=a["ucc"], ncbp=a["ncbp"])
        for (mbi, t), a in sorted(keys.items(), key=lambda kv: (kv[0][0], kv[0][1].value))
    ]
    return BeneficiaryInputs(rows, Excluded(ex_paid, ex_idu, ex_ncbp, len(ex_months), outside))


COUNTED_MONTHS_SQL = (
    f"select mr_mbi, enrollment_month, enrollment_type from {MEMBER_MONTHS} "
    "where is_counted and enrollment_month between ? and ?"
)
"""The counted person-months of a period (fct_member_month.is_counted, docs/expenditure.md):
shared by the expenditure report and the forecast."""

PAYMENTS_SQL = f"""
select mr_mbi, service_month
     , cast(sum(case when medicare_part = 'A' then signed_paid_amount else 0 end)
            as decimal(18, 2))
     , cast(sum(case when medicare_part = 'B' then signed_paid_amount else 0 end)
            as decimal(18, 2))
     , cast(sum(signed_ime_amount) as decimal(18, 2))
     , cast(sum(signed_dsh_amount) as decimal(18, 2))
     , cast(sum(signed_ucc_amount) as decimal(18, 2))
     , cast(sum(case when medicare_part not in ('A', 'B') then signed_paid_amount else 0 end)
            as decimal(18, 2))
from {PAYMENTS}
where service_date between ? and ?
  and (cast(? as date) is null or clm_idr_ld_dt <= ?)
group by mr_mbi, service_month
"""


def member_months(con: duckdb.DuckDBPyConnection, *,
                  period: Period) -> list[tuple[str, date, EnrollmentType]]:
    """The counted (current MBI, month, enrollment type) of the period."""
    require(con, [MEMBER_MONTHS], "expenditure person-months")
    found = rows(con, COUNTED_MONTHS_SQL, [period.start, period.months[-1]])
    return [(m, month, TYPE_BY_CODE[int(code)]) for m, month, code in found]


def current_mbis(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Previous MBI -> current MBI (the CCLF9 crosswalk, IP v40 5.1.1)."""
    require(con, [CROSSWALK], "MBI crosswalk")
    return dict(rows(con, f"select previous_mbi, current_mbi from {CROSSWALK}"))


def beneficiary_expenditures(con: duckdb.DuckDBPyConnection, *, period: Period,
                             runout: date | None,
                             ncbp: Sequence[NcbpPayment] = ()) -> BeneficiaryInputs:
    """The report period's inputs per current MBI x enrollment type from the warehouse behind
    `con` (no cut-off when `runout` is None), plus what could not be attributed."""
    require(con, [PAYMENTS], "expenditure payments")
    mm = member_months(con, period=period)
    pay = rows(con, PAYMENTS_SQL, [period.start, period.end, runout, runout])
    crosswalk = current_mbis(con) if ncbp else {}
    return assemble(
        mm,
        (MonthPayment(m, month, *(Decimal(v) for v in amounts)) for m, month, *amounts in pay),
        ((crosswalk.get(p.mbi, p.mbi), p.month, p.amount) for p in ncbp),
        period,
    )


# --- the tables ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExpenditureResult:
    period: Period
    runout: date | None
    parameters: ExpenditureParameters
    inputs: BeneficiaryInputs
    table: list[TableRow]

    def notes(self, source: str = WHERE) -> list[str]:
        """What the numbers were computed with, and what was left out."""
        p = self.parameters
        out = [f"period {self.period.start.isoformat()} to {self.period.end.isoformat()}, "
               f"claims loaded by {'any date' if self.runout is None else self.runout}",
               f"method {p.method.value} (Table {'10' if p.method is Method.thresholds else '11'})"
               f", completion factor {p.completion_factor}, "
               + ", ".join(f"{k} {v}" for k, v in next(iter(
                   p.truncation_record().values())).items()) + f" (from {source})",
               "NCBP: " + ("none" if p.ncbp_file is None else p.ncbp_file.name),
               "counted person-months only (docs/expenditure.md): raw paid (row 2) = Part A + "
               "Part B paid in counted months"]
        ex = self.inputs.excluded
        if ex.beneficiary_months:
            out.append(f"{ex.beneficiary_months} beneficiary-months that are not counted "
                       f"person-months left out: paid {ex.paid}, IME/DSH/UCC "
                       f"{ex.ime_dsh_ucc}, NCBP {ex.ncbp}")
        if ex.ncbp_outside_period:
            out.append(f"{ex.ncbp_outside_period} NCBP row(s) outside the period ignored")
        unknown = sum((r.unknown_part_paid for r in self.inputs.rows), ZERO)
        if unknown:
            out.append(f"{unknown} paid on Part A-file claims of an unknown Medicare part "
                       "(seed institutional_medicare_part) is in total_paid only")
        return out


def tables_of(inputs: BeneficiaryInputs, parameters: ExpenditureParameters) -> list[TableRow]:
    typed = [r.as_type_expenditure() for r in inputs.rows]
    if parameters.method is Method.thresholds:
        return table_10(typed, parameters.truncation_thresholds, parameters.completion_factor)
    return table_11(typed, parameters.truncation_factors, parameters.completion_factor)


def compute(con: duckdb.DuckDBPyConnection, *, period: Period, runout: date | None,
            parameters: ExpenditureParameters) -> ExpenditureResult:
    """Guide Appendix A phase 5 for the warehouse behind `con`: Table 10 (`thresholds`) or
    Table 11 (`factors`), with the NCBP file of the parameters."""
    ncbp = read_ncbp(parameters.ncbp_file) if parameters.ncbp_file is not None else []
    inputs = beneficiary_expenditures(con, period=period, runout=runout, ncbp=ncbp)
    return ExpenditureResult(period, runout, parameters, inputs, tables_of(inputs, parameters))


# --- metric tables ------------------------------------------------------------------------------

BENEFICIARY_SCHEMA = pa.schema([
    ("mr_mbi", pa.string()), ("enrollment_type", pa.string()), ("counted_months", pa.int32()),
    ("person_years", STORED), ("total_paid", STORED), ("part_a_paid", STORED),
    ("part_b_paid", STORED), ("unknown_part_paid", STORED), ("sequestration", STORED),
    ("ime", STORED), ("dsh", STORED), ("ucc", STORED), ("ncbp", STORED),
    ("pre_sequestration_net", STORED), ("before_truncation", STORED), ("annualised", STORED),
    ("truncated_annualised", STORED), ("weighted", STORED), ("truncated", pa.bool_()),
])
BENEFICIARY_COLUMNS: tuple[str, ...] = tuple(BENEFICIARY_SCHEMA.names)
TYPE_COLUMN_NAMES: tuple[str, ...] = tuple(
    c.lower().replace("/", "_").replace("-", "_") for c in COLUMNS)
SUMMARY_SCHEMA = pa.schema([
    ("method", pa.string()), ("ref", pa.string()), ("description", pa.string()),
    ("unit", pa.string()), *((c, STORED) for c in TYPE_COLUMN_NAMES),
])
SUMMARY_COLUMNS: tuple[str, ...] = tuple(SUMMARY_SCHEMA.names)
MONEY_BENEFICIARY_COLUMNS = frozenset(
    c for c in BENEFICIARY_COLUMNS[4:] if c not in ("person_years", "truncated"))

# the canonical periods of the expenditure tables (docs/expenditure.md)
CANONICAL_KINDS = ("performance_year_to_date", "quarter", "prior_year")


def _stored(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(STORED_QUANTUM)


def beneficiary_table(inputs: BeneficiaryInputs,
                      parameters: ExpenditureParameters | None) -> pa.Table:
    """One row per current MBI x enrollment type with every intermediate amount (the
    per-beneficiary steps of the method); annualised/truncated/weighted only for the
    `thresholds` method (NULL for `factors`, and without parameters)."""
    cols: dict[str, list[Any]] = {c: [] for c in BENEFICIARY_COLUMNS}
    by_threshold = parameters is not None and parameters.method is Method.thresholds
    for r in inputs.rows:
        c = contribution(r.as_type_expenditure(),
                         parameters.truncation_thresholds[r.enrollment_type]) \
            if by_threshold and parameters is not None else None
        net = pre_sequestration_payment(r.paid, r.ime, r.dsh, r.ucc)
        values: dict[str, Any] = {
            "mr_mbi": r.mbi, "enrollment_type": r.enrollment_type.value,
            "counted_months": r.months,
            "person_years": Decimal(r.months) / MONTHS_PER_YEAR,
            "total_paid": r.paid, "part_a_paid": r.part_a_paid, "part_b_paid": r.part_b_paid,
            "unknown_part_paid": r.unknown_part_paid,
            "sequestration": sequestration_adjustment(r.paid),
            "ime": r.ime, "dsh": r.dsh, "ucc": r.ucc, "ncbp": r.ncbp,
            "pre_sequestration_net": net, "before_truncation": net + r.ncbp,
            "annualised": None if c is None else c.annualised,
            "truncated_annualised": None if c is None else c.truncated_annualised,
            "weighted": None if c is None else c.weighted,
            "truncated": None if c is None else c.truncated,
        }
        for k, v in values.items():
            cols[k].append(_stored(v) if isinstance(v, Decimal) else v)
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in BENEFICIARY_SCHEMA},
                    schema=BENEFICIARY_SCHEMA)


def summary_table(result: ExpenditureResult) -> pa.Table:
    """The Table 10 or 11 rows by enrollment type and total (unit: dollars, person_years or
    fraction)."""
    method = result.parameters.method
    non_money = NON_MONEY_ROWS[method.value]
    cols: dict[str, list[Any]] = {c: [] for c in SUMMARY_COLUMNS}
    for row in result.table:
        cols["method"].append(method.value)
        cols["ref"].append(row.ref)
        cols["description"].append(row.label)
        cols["unit"].append(_unit(method, row.ref) if row.ref in non_money else "dollars")
        for name, key in zip(TYPE_COLUMN_NAMES, COLUMNS, strict=True):
            cols[name].append(_stored(row.values[key]))
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in SUMMARY_SCHEMA},
                    schema=SUMMARY_SCHEMA)


def _unit(method: Method, ref: str) -> str:
    return "fraction" if method is Method.factors and ref == "10" else "person_years"


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """`metric_expenditure_beneficiary` and `metric_expenditure_summary` for the performance
    year to date, each quarter and the prior year, everything loaded (no run-out), with
    `aco.toml [expenditure]`. Without that section the beneficiary rows carry the
    parameter-free columns (truncation columns NULL) and the summary has no rows
    (docs/expenditure.md)."""
    from aco_pipeline.metrics.periods import stack

    params = load_parameters(ws) if configured(ws) else None
    ncbp = read_ncbp(params.ncbp_file) if params is not None and params.ncbp_file else []
    beneficiaries: list[tuple[MetricPeriod, pa.Table]] = []
    summaries: list[tuple[MetricPeriod, pa.Table]] = []
    for mp in periods:
        if mp.period_kind not in CANONICAL_KINDS:
            continue
        period = Period(mp.period_start, mp.period_end)
        inputs = beneficiary_expenditures(con, period=period, runout=None, ncbp=ncbp)
        beneficiaries.append((mp, beneficiary_table(inputs, params)))
        if params is not None:
            result = ExpenditureResult(period, None, params, inputs, tables_of(inputs, params))
            summaries.append((mp, summary_table(result)))
    return {BENEFICIARY_TABLE: stack(beneficiaries, BENEFICIARY_SCHEMA),
            SUMMARY_TABLE: stack(summaries, SUMMARY_SCHEMA)}
