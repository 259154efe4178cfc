"""Expenditure per person-year the QEXPU way, in exact decimals.

The specification is the CMS guide "CCLF Uses and Limitations" v4
(`shared/reference/cclf-uses-and-limitations-v4.md`), Appendix A phase 5: "Example of creating
weighted truncated annualized expenditures" (Table 9) and "Approaches used to adjust raw
expenditures to arrive at QEXPU expenditures" (the numbered steps, Tables 10 and 11 and their
notes).  Every function names the step or table row it implements.

Money is `Decimal` dollars, nothing is rounded (CMS rounds only what it prints), and there is no
I/O: callers aggregate CCLF claims to one `TypeExpenditure` per beneficiary and enrollment type.

- Tracks 1/2 (and BASIC/ENHANCED with preliminary prospective assignment): annualise per
  beneficiary-type, truncate at the per-type threshold, weight back by the eligibility fraction
  (`table_10`).
- Track 1+/3 (and BASIC/ENHANCED with prospective assignment): aggregate per type, apply the
  ACO-level truncation factor (`table_11`).
Both then apply the completion factor and divide by person-years.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

ZERO = Decimal(0)
ONE = Decimal(1)

# Guide, Table 10 notes (rows 3-7): CLM_PMT = (BASEPAY + IME + DSH + UCC) * 0.98, so the
# pre-sequestration payment is CLM_PMT / 0.98 (2% sequestration, step 1).
PAID_SHARE = Decimal("0.98")

# Guide, Table 10 notes (row 14/17): eligibility fraction = months in the type / 12;
# 12 months = 1 person-year.
MONTHS_PER_YEAR = 12

TOTAL = "TOTAL"


class EnrollmentType(StrEnum):
    """Medicare enrollment type, determined per beneficiary per month (guide, Table 9 intro)."""

    ESRD = "ESRD"
    DISABLED = "DISABLED"
    AGED_DUAL = "AGED/DUAL"
    AGED_NON_DUAL = "AGED/NON-DUAL"


# Column order of Tables 10 and 11.
COLUMNS: tuple[str, ...] = (TOTAL, *(t.value for t in EnrollmentType))


@dataclass(frozen=True)
class TypeExpenditure:
    """One beneficiary's report-period inputs within one enrollment type.

    `paid` is the post-sequestration CLM_PMT_AMT summed over Part A, Part B and DME claims in the
    type's months; `ime`, `dsh`, `ucc` are the CCLF1 amounts (capital + operating IME, capital +
    operating DSH, UCC), recorded at 100% (guide, Table 10 notes); `ncbp` is the non-claims based
    payment from the quarterly NCBP file (step 3).
    """

    beneficiary_id: str
    enrollment_type: EnrollmentType
    months: int
    paid: Decimal
    ime: Decimal = ZERO
    dsh: Decimal = ZERO
    ucc: Decimal = ZERO
    ncbp: Decimal = ZERO

    def __post_init__(self) -> None:
        if not 0 <= self.months <= MONTHS_PER_YEAR:
            raise ValueError(f"{self.beneficiary_id}/{self.enrollment_type}: months must be "
                             f"0..12, got {self.months}")


# --- single-value steps -------------------------------------------------------------------------

def sequestration_adjustment(paid: Decimal) -> Decimal:
    """Step 1 / Table 10 row 3: the 2% withheld, added back: `paid / 0.98 - paid`."""
    return paid / PAID_SHARE - paid


def pre_sequestration_payment(paid: Decimal, ime: Decimal = ZERO, dsh: Decimal = ZERO,
                              ucc: Decimal = ZERO) -> Decimal:
    """Steps 1-2 / Table 10 notes: `(CLM_PMT / 0.98) - IME - DSH - UCC`.

    Sequestration is added back before IME/DSH/UCC are removed because those amounts are recorded
    on the claim at 100%, not 98%.  The result may be negative (adjustments, IME larger than the
    net payment); it is not floored.
    """
    return paid / PAID_SHARE - ime - dsh - ucc


def eligibility_fraction(months: int) -> Decimal:
    """Step 4 / Table 10 notes row 14: months in the enrollment type / 12."""
    if not 0 <= months <= MONTHS_PER_YEAR:
        raise ValueError(f"months must be 0..12, got {months}")
    return Decimal(months) / MONTHS_PER_YEAR


def person_years(months: int) -> Decimal:
    """Table 10 notes row 17: 12 months = 1 person-year (same value as the eligibility fraction)."""
    return eligibility_fraction(months)


def annualise(amount: Decimal, months: int) -> Decimal:
    """Step 4 / Table 9 row 1: divide by the eligibility fraction (`amount * 12 / months`)."""
    if months <= 0:
        raise ValueError("cannot annualise over zero months")
    eligibility_fraction(months)
    return amount * MONTHS_PER_YEAR / months


def truncate(annualised: Decimal, threshold: Decimal) -> Decimal:
    """Step 5 / Table 9 row 2: cap at the type's truncation threshold (a value equal to the
    threshold is not truncated; negative values are not floored)."""
    return min(annualised, threshold)


def weight(truncated_annualised: Decimal, months: int) -> Decimal:
    """Step 6 / Table 9 row 3: multiply by the eligibility fraction (`x * months / 12`)."""
    eligibility_fraction(months)
    return truncated_annualised * months / MONTHS_PER_YEAR


def apply_truncation_factor(aggregate: Decimal, factor: Decimal) -> Decimal:
    """Prospective step 5 / Table 11 row 11: amount truncated = aggregate * factor (a fraction,
    0.0122 for 1.22%)."""
    return aggregate * factor


def completion_amount(expenditure: Decimal, completion_factor: Decimal) -> Decimal:
    """Step 7 / Table 10 row 15, Table 11 row 13: `expenditure * (factor - 1)` (1.072 -> 7.2%)."""
    return expenditure * (completion_factor - ONE)


def per_person_year(expenditure: Decimal, years: Decimal) -> Decimal | None:
    """Step 9 / Table 10 row 18, Table 11 row 16; `None` (the guide's dash) with no person-years."""
    return None if years == 0 else expenditure / years


# --- one beneficiary-type (Tracks 1/2) ----------------------------------------------------------

@dataclass(frozen=True)
class Contribution:
    """Table 9 for one beneficiary-type: rows 1-5 plus the pre-annualisation amount."""

    total: Decimal                  # Table 10 row 9 share: pre-sequestration net + NCBP
    annualised: Decimal | None      # Table 9 row 1 (None for zero months)
    truncated_annualised: Decimal | None  # Table 9 row 2
    weighted: Decimal               # Table 9 rows 3-4
    person_years: Decimal           # Table 9 row 5
    truncated: bool


def contribution(row: TypeExpenditure, threshold: Decimal) -> Contribution:
    """Table 9 rows 1-5 (steps 1-6 of the Tracks 1/2 approach) for one beneficiary-type.

    The weighted amount is computed exactly: annualising then weighting back is the identity, so
    it is the step-9 total when `total * 12 <= threshold * months` and `threshold * months / 12`
    otherwise (the same numbers as Table 9, without a 1/12 rounding round trip).  Zero months
    contribute nothing; spending without months in the type is an input error.
    """
    total = pre_sequestration_payment(row.paid, row.ime, row.dsh, row.ucc) + row.ncbp
    if row.months == 0:
        if total != 0:
            raise ValueError(f"{row.beneficiary_id}/{row.enrollment_type}: expenditure {total} "
                             "in an enrollment type with zero months")
        return Contribution(total, None, None, ZERO, ZERO, False)
    annualised = annualise(total, row.months)
    is_truncated = total * MONTHS_PER_YEAR > threshold * row.months
    weighted = weight(threshold, row.months) if is_truncated else total
    return Contribution(total, annualised, truncate(annualised, threshold), weighted,
                        person_years(row.months), is_truncated)


# --- Tables 10 and 11 ---------------------------------------------------------------------------

class TableRow(NamedTuple):
    """One row of Table 10/11: guide REF, description, value per column (`COLUMNS`)."""

    ref: str
    label: str
    values: dict[str, Decimal | None]


@dataclass(frozen=True)
class Table10Inputs:
    """One enrollment type's Table 10 rows that are not derived from other rows of the table
    (rows 10, 12 and 14 are beneficiary-level sums, so they are inputs here)."""

    raw: Decimal            # row 2
    sequestration: Decimal  # row 3
    ime_dsh_ucc: Decimal    # row 6
    ncbp: Decimal           # row 8
    annualisation: Decimal  # row 10
    truncation: Decimal     # row 12
    weighted: Decimal       # row 14
    person_years: Decimal   # row 17


@dataclass(frozen=True)
class Table11Inputs:
    """One enrollment type's Table 11 rows that are not derived from other rows."""

    raw: Decimal            # row 2
    sequestration: Decimal  # row 3
    ime_dsh_ucc: Decimal    # row 6
    ncbp: Decimal           # row 8
    person_years: Decimal   # row 15


def _by_type(rows: Iterable[TypeExpenditure]) -> dict[EnrollmentType, list[TypeExpenditure]]:
    out: dict[EnrollmentType, list[TypeExpenditure]] = {t: [] for t in EnrollmentType}
    for r in rows:
        out[r.enrollment_type].append(r)
    return out


def table_10_inputs(rows: Iterable[TypeExpenditure],
                    thresholds: Mapping[EnrollmentType, Decimal]
                    ) -> dict[EnrollmentType, Table10Inputs]:
    """Aggregate beneficiary-types to Table 10's input rows (steps 1-6, Tracks 1/2 approach)."""
    out: dict[EnrollmentType, Table10Inputs] = {}
    for t, items in _by_type(rows).items():
        if items and t not in thresholds:
            raise ValueError(f"no truncation threshold for enrollment type {t}")
        cs = [contribution(r, thresholds[t]) for r in items]
        out[t] = Table10Inputs(
            raw=sum((r.paid for r in items), ZERO),
            sequestration=sum((sequestration_adjustment(r.paid) for r in items), ZERO),
            ime_dsh_ucc=sum((r.ime + r.dsh + r.ucc for r in items), ZERO),
            ncbp=sum((r.ncbp for r in items), ZERO),
            annualisation=sum((c.annualised - c.total for c in cs if c.annualised is not None),
                              ZERO),
            truncation=sum((c.annualised - c.truncated_annualised for c in cs
                            if c.annualised is not None and c.truncated_annualised is not None),
                           ZERO),
            weighted=sum((c.weighted for c in cs), ZERO),
            person_years=Decimal(sum(r.months for r in items)) / MONTHS_PER_YEAR,
        )
    return out


def table_11_inputs(rows: Iterable[TypeExpenditure]) -> dict[EnrollmentType, Table11Inputs]:
    """Aggregate beneficiary-types to Table 11's input rows (prospective steps 1-4)."""
    return {
        t: Table11Inputs(
            raw=sum((r.paid for r in items), ZERO),
            sequestration=sum((sequestration_adjustment(r.paid) for r in items), ZERO),
            ime_dsh_ucc=sum((r.ime + r.dsh + r.ucc for r in items), ZERO),
            ncbp=sum((r.ncbp for r in items), ZERO),
            person_years=Decimal(sum(r.months for r in items)) / MONTHS_PER_YEAR,
        )
        for t, items in _by_type(rows).items()
    }


def _row(ref: str, label: str, per_type: Mapping[EnrollmentType, Decimal | None],
         total: Decimal | None = None, *, summed: bool = True) -> TableRow:
    """A table row; the TOTAL column is the sum of the types (Table 10 notes: "the values found
    in the last four columns of the table sum to the value found in the column labeled Total")
    unless `summed` is False (ratios and factors)."""
    values: dict[str, Decimal | None] = {TOTAL: total}
    values.update({t.value: per_type[t] for t in EnrollmentType})
    if summed:
        values[TOTAL] = sum((v for v in values.values() if v is not None), ZERO)
    return TableRow(ref, label, values)


def derive_table_10(inputs: Mapping[EnrollmentType, Table10Inputs],
                    completion_factor: Decimal) -> list[TableRow]:
    """Table 10 rows 2-18, each derived row computed from the rows its description names."""
    ts = list(EnrollmentType)
    i = {t: inputs[t] for t in ts}
    r4 = {t: i[t].raw + i[t].sequestration for t in ts}
    r7 = {t: r4[t] - i[t].ime_dsh_ucc for t in ts}
    r9 = {t: r7[t] + i[t].ncbp for t in ts}
    r11 = {t: r9[t] + i[t].annualisation for t in ts}
    r13 = {t: r11[t] - i[t].truncation for t in ts}
    r15 = {t: completion_amount(i[t].weighted, completion_factor) for t in ts}
    r16 = {t: i[t].weighted + r15[t] for t in ts}
    rows = [
        _row("2", "Total raw expenditures for QEXPU", {t: i[t].raw for t in ts}),
        _row("3", "Sequestration Adjustment", {t: i[t].sequestration for t in ts}),
        _row("4", "Total expenditures with sequestration [2 + 3]", r4),
        _row("6", "Total IME/DSH/UCC Removal", {t: i[t].ime_dsh_ucc for t in ts}),
        _row("7", "Total expenditures with Seq. less IME/DSH/UCC [4 - 6]", r7),
        _row("8", "Non-Claims Based Payments", {t: i[t].ncbp for t in ts}),
        _row("9", "Total Expenditures before Ann & Truncated [7 + 8]", r9),
        _row("10", "Annualization [(9 / respective Eligibility Fraction) - 9]",
             {t: i[t].annualisation for t in ts}),
        _row("11", "Total Annualized Expenditures [9 + 10]", r11),
        _row("12", "Truncation (at person/eligibility level, thresholds)",
             {t: i[t].truncation for t in ts}),
        _row("13", "Total Expenditures after Ann & Truncation [11 - 12]", r13),
        _row("14", "Total truncated expenditure (weight applied) [13 * Eligibility Fraction]",
             {t: i[t].weighted for t in ts}),
        _row("15", f"Completion Factor ({completion_factor}) [14 * (factor - 1)]", r15),
        _row("16", "Completion Expenditure [14 + 15]", r16),
        _row("17", "Person years", {t: i[t].person_years for t in ts}),
    ]
    total16 = rows[-2].values[TOTAL]
    total17 = rows[-1].values[TOTAL]
    assert total16 is not None and total17 is not None
    rows.append(_row("18", "Total expenditures per person year [16 / 17]",
                     {t: per_person_year(r16[t], i[t].person_years) for t in ts},
                     per_person_year(total16, total17), summed=False))
    return rows


def derive_table_11(inputs: Mapping[EnrollmentType, Table11Inputs],
                    truncation_factors: Mapping[EnrollmentType, Decimal],
                    completion_factor: Decimal) -> list[TableRow]:
    """Table 11 rows 2-16 (prospective approach), each derived row from the rows it names."""
    ts = list(EnrollmentType)
    missing = [t.value for t in ts if t not in truncation_factors]
    if missing:
        raise ValueError(f"no truncation factor for enrollment type(s) {', '.join(missing)}")
    i = {t: inputs[t] for t in ts}
    r4 = {t: i[t].raw + i[t].sequestration for t in ts}
    r7 = {t: r4[t] - i[t].ime_dsh_ucc for t in ts}
    r9 = {t: r7[t] + i[t].ncbp for t in ts}
    r11 = {t: apply_truncation_factor(r9[t], truncation_factors[t]) for t in ts}
    r12 = {t: r9[t] - r11[t] for t in ts}
    r13 = {t: completion_amount(r12[t], completion_factor) for t in ts}
    r14 = {t: r12[t] + r13[t] for t in ts}
    rows = [
        _row("2", "Total raw expenditures for QEXPU", {t: i[t].raw for t in ts}),
        _row("3", "Sequestration Adjustment", {t: i[t].sequestration for t in ts}),
        _row("4", "Total expenditures with sequestration [2 + 3]", r4),
        _row("6", "Total IME/DSH/UCC Removal", {t: i[t].ime_dsh_ucc for t in ts}),
        _row("7", "Total expenditures with seq. less IME/DSH/UCC [4 - 6]", r7),
        _row("8", "Non-Claims Based Payments", {t: i[t].ncbp for t in ts}),
        _row("9", "Total Expenditures before Truncation and Completion [7 + 8]", r9),
        _row("10", "Truncation Factor", {t: truncation_factors[t] for t in ts},
             summed=False),
        _row("11", "Amount Truncated [9 * 10]", r11),
        _row("12", "Total Expenditures after Truncation [9 - 11]", r12),
        _row("13", f"Completion Factor ({completion_factor}) [12 * (factor - 1)]", r13),
        _row("14", "Total Expenditures after Truncation and Completion [12 + 13]", r14),
        _row("15", "Person years", {t: i[t].person_years for t in ts}),
    ]
    total14 = rows[-2].values[TOTAL]
    total15 = rows[-1].values[TOTAL]
    assert total14 is not None and total15 is not None
    rows.append(_row("16", "Total expenditures per person year [14 / 15]",
                     {t: per_person_year(r14[t], i[t].person_years) for t in ts},
                     per_person_year(total14, total15), summed=False))
    return rows


def table_10(rows: Iterable[TypeExpenditure], thresholds: Mapping[EnrollmentType, Decimal],
             completion_factor: Decimal) -> list[TableRow]:
    """Tracks 1/2 approach, steps 1-9: Table 10 rows 2-18 from beneficiary-type inputs."""
    return derive_table_10(table_10_inputs(rows, thresholds), completion_factor)


def table_11(rows: Iterable[TypeExpenditure],
             truncation_factors: Mapping[EnrollmentType, Decimal],
             completion_factor: Decimal) -> list[TableRow]:
    """Prospective approach, steps 1-7: Table 11 rows 2-16 from beneficiary-type inputs."""
    return derive_table_11(table_11_inputs(rows), truncation_factors, completion_factor)
