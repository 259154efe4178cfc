"""Synthetic CMS reports for the synthetic ACO: QEXPU, BNMRK (with its AEXPU BY1-BY3), NCBP,
BEUR, the excluded-beneficiary MBI crosswalk, the participant list and MCQM lists, derived from
the generator's own output (its ground truth and ALR zips) and written in the shapes of
`shared/reference/mssp-reports.md`, with a ground truth of what a correct pipeline must find.

How the numbers are made (docs/cms-reports.md):
- QEXPU Table 1 (one per complete quarter, calendar year to date, the prospective approach of
  the CMS guide v4 Appendix A phase 5, Table 11 via `metrics.expenditure.table_11`): the
  counted beneficiary-months of `beneficiary_month` (enrollment type 1-4, alive, not opted out)
  with their Part A/B paid (`beneficiary_month_paid`, Part D left out), IME/DSH/UCC of the
  final-action inpatient claims, NCBP from the NCBP file written here, **plus what CMS sees and
  the ACO does not** (guide, "ACO differences regarding the CCLFs"): the months after a
  beneficiary opted out of data sharing, with spending drawn here, and substance-use claims
  drawn here for a few beneficiaries. The ground truth holds both the CMS figure and the
  CCLF-visible replication, and the hidden components between them.
- National, regional and all-ACO columns, BY1-BY3 figures, weights and the ACPT are drawn
  (seeded) around plausible national levels; the BNMRK historical benchmark is set so the ACO's
  projected savings rate (`cms_reports.projection`) sits near its MSR.
- BEUR fractions follow the CCLF8 enrollment of `beneficiary_month`, except for a quarter of
  ESRD beneficiary-months that CMS's own dialysis/transplant source does not count as ESRD
  (guide Appendix B: ESRD agrees worst); each such difference is in the ground truth.
- NCBP columns, BEUR's report keys, the participant list's columns and the MCQM flags are
  plausible, not taken from a CMS data dictionary (none is public).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import xlsxwriter

from aco_pipeline.cms_reports import projection
from aco_pipeline.cms_reports.projection import ProjectionInputs
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.expenditure import (
    TOTAL,
    EnrollmentType,
    TypeExpenditure,
    table_11,
)
from aco_pipeline.metrics.shared_savings import variable_msr

TYPES: tuple[EnrollmentType, ...] = tuple(EnrollmentType)
TYPE_BY_CODE = dict(zip((1, 2, 3, 4), TYPES, strict=True))
# printed labels (mssp-reports.md section 2): AEXPU/QEXPU and BNMRK spell them differently
EU_LABEL = {EnrollmentType.ESRD: "End Stage Renal Disease", EnrollmentType.DISABLED: "Disabled",
            EnrollmentType.AGED_DUAL: "Aged/Dual", EnrollmentType.AGED_NON_DUAL: "Aged/Non-Dual"}
BN_LABEL = {EnrollmentType.ESRD: "ESRD", EnrollmentType.DISABLED: "Disabled",
            EnrollmentType.AGED_DUAL: "Aged/dual", EnrollmentType.AGED_NON_DUAL: "Aged/non-dual"}
EU_COLUMNS = ("ACO-Specific", "All MSSP ACOs", "National Assignable FFS")

PART_D_TYPES = {"01", "02"}
INPATIENT_TYPES = {"60", "61"}
CATEGORY = {"60": "Inpatient", "61": "Inpatient", "20": "Skilled Nursing Facility",
            "30": "Skilled Nursing Facility", "10": "Home Health", "50": "Hospice",
            "40": "Outpatient", "71": "Physician/Supplier", "72": "Physician/Supplier",
            "81": "Durable Medical Equipment", "82": "Durable Medical Equipment"}

# plausible national assignable FFS per capita in BY3 (dollars; ESRD far above the rest)
NATIONAL_BY3 = {EnrollmentType.ESRD: 96_000, EnrollmentType.DISABLED: 12_600,
                EnrollmentType.AGED_DUAL: 19_800, EnrollmentType.AGED_NON_DUAL: 11_400}
DEFAULT_TRUNCATION_FACTORS = {EnrollmentType.ESRD: Decimal("0.0185"),
                              EnrollmentType.DISABLED: Decimal("0.0122"),
                              EnrollmentType.AGED_DUAL: Decimal("0.0141"),
                              EnrollmentType.AGED_NON_DUAL: Decimal("0.0098")}
DEFAULT_COMPLETION_FACTOR = Decimal("1.012")
SUD_SHARE = 0.015  # beneficiaries with substance-use claims in the year (CMS sees, CCLF omits)
NCBP_SHARE = 0.03  # counted beneficiary-months with a non-claims-based payment
ESRD_SOURCE_DIFFERS = 0.25  # ESRD months CMS's own source does not count as ESRD
# the BNMRK deliveries of a performance year: (name, month, target savings rate minus MSR)
BNMRK_DELIVERIES = (("March preliminary", 3, Decimal("-0.004")),
                    ("June", 6, Decimal("0.003")), ("October", 10, Decimal("0.001")))
CENT = Decimal("0.01")


class CmsReportsSynthError(AcoError, ValueError):
    """The generator output cannot support the synthetic reports (no complete quarter...)."""


@dataclass
class CmsReportsSummary:
    files: list[Path] = field(default_factory=list)
    ground_truth: Path | None = None


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 714, stream])))


def _cents(value: object) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


# --- what the generator wrote --------------------------------------------------------------

@dataclass
class Claims:
    """The ground truth, per current MBI and month (cents)."""

    months: dict[tuple[str, date], tuple[int | None, bool, bool]]  # type, alive, opted out
    paid: dict[tuple[str, date], int]  # Part A + B
    category: dict[tuple[str, date, str], int]
    ime_dsh_ucc: dict[tuple[str, date], int]
    stays: dict[tuple[str, date], int]  # final-action inpatient claims
    mbi_history: list[dict[str, object]]


def load_claims(ground_truth: Path) -> Claims:
    bm = pq.read_table(ground_truth / "beneficiary_month.parquet").to_pylist()
    months = {(r["current_mbi"], r["month"]): (r["enrollment_type"], bool(r["alive"]),
                                              bool(r["opted_out"])) for r in bm}
    # after an opt-out no CCLF8 lists the beneficiary, so the ground truth has no type; CMS
    # still knows it: carry the last type the CCLF8 showed forward
    last: dict[str, int] = {}
    for key in sorted(months, key=lambda k: (k[0], k[1])):
        code, alive, opted = months[key]
        if code is not None:
            last[key[0]] = code
        elif opted and key[0] in last:
            months[key] = (last[key[0]], alive, opted)
    paid: dict[tuple[str, date], int] = defaultdict(int)
    category: dict[tuple[str, date, str], int] = defaultdict(int)
    for r in pq.read_table(ground_truth / "beneficiary_month_paid.parquet").to_pylist():
        if r["clm_type_cd"] in PART_D_TYPES:
            continue
        c = _cents(r["net_paid"])
        paid[(r["current_mbi"], r["month"])] += c
        category[(r["current_mbi"], r["month"], CATEGORY.get(r["clm_type_cd"], "Other"))] += c
    idu: dict[tuple[str, date], int] = defaultdict(int)
    stays: dict[tuple[str, date], int] = defaultdict(int)
    fa = pq.read_table(ground_truth / "final_action_claims.parquet").to_pylist()
    for r in fa:
        if r["family"] != "part_a" or r["clm_type_cd"] not in INPATIENT_TYPES:
            continue
        p = _cents(r["paid_amount"])
        key = (r["current_mbi"], r["month"])
        # the synthetic CCLF1 IME, DSH and UCC amounts of an inpatient claim (synth/records.py)
        idu[key] += (p // 200 + p // 20) + (p // 100 + p // 33) + p // 50
        stays[key] += 1
    hist = pq.read_table(ground_truth / "mbi_history.parquet").to_pylist()
    return Claims(months, dict(paid), dict(category), dict(idu), dict(stays), hist)


def read_alr(deliveries: Path | None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Table 1-1 and Table 1-4 rows of the latest ALR zip in the deliveries folder."""
    if deliveries is None:
        return [], []
    zips = sorted(deliveries.glob("P.*.ACO.QALR.*.zip"), key=lambda p: p.name.split(".D")[-1])
    if not zips:
        return [], []
    with zipfile.ZipFile(zips[-1]) as z:
        def table(suffix: str) -> list[dict[str, str]]:
            names = [n for n in z.namelist() if n.endswith(suffix)]
            if not names:
                return []
            text = z.read(names[0]).decode("latin-1")
            return list(csv.DictReader(io.StringIO(text)))
        return table("_1-1.csv"), table("_1-4.csv")


# --- hidden components and NCBP ------------------------------------------------------------

@dataclass
class Hidden:
    """What CMS sees and the ACO does not, and the NCBP payments (cents per MBI x month)."""

    optout_paid: dict[tuple[str, date], int]
    sud_paid: dict[tuple[str, date], int]
    ncbp: dict[tuple[str, date], int]


def draw_hidden(claims: Claims, seed: int) -> Hidden:
    rng = _rng(seed, 1)
    keys = sorted(claims.months)
    eligible = [k for k in keys if claims.months[k][0] in TYPE_BY_CODE and claims.months[k][1]]
    counted = [k for k in eligible if not claims.months[k][2]]
    opted = [k for k in eligible if claims.months[k][2]]
    mean = (sum(claims.paid.get(k, 0) for k in counted) // max(len(counted), 1)) or 90_000
    optout = {k: int(rng.lognormal(np.log(mean) - 0.7, 1.2)) for k in opted}
    benes = sorted({m for m, _ in counted})
    sud_benes = {b for b in benes if rng.random() < SUD_SHARE}
    sud = {k: int(rng.integers(15_000, 250_000)) for k in counted
           if k[0] in sud_benes and rng.random() < 0.4}
    ncbp = {k: int(rng.integers(1_000, 30_000)) for k in counted if rng.random() < NCBP_SHARE}
    return Hidden(optout, sud, ncbp)


# --- expenditure the CMS way ---------------------------------------------------------------

@dataclass
class QuarterFigures:
    quarter: int
    months: list[date]
    per_capita: dict[str, Decimal | None]  # TOTAL and each type: CMS view
    person_years: dict[str, Decimal]
    visible_per_capita: dict[str, Decimal | None]  # what the CCLF replication finds
    visible_person_years: dict[str, Decimal]
    hidden: dict[str, str]
    ncbp_total: Decimal
    categories: dict[str, Decimal]
    stays: int
    assigned: int
    optout_beneficiaries: int
    optout_person_years: Decimal
    optout_paid: Decimal


def _rows(claims: Claims, hidden: Hidden, months: Sequence[date], *,
          cms_view: bool) -> list[TypeExpenditure]:
    acc: dict[tuple[str, EnrollmentType], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    wanted = set(months)
    for (mbi, month), (code, alive, opted) in claims.months.items():
        if month not in wanted or code not in TYPE_BY_CODE or not alive:
            continue
        if opted and not cms_view:
            continue
        a = acc[(mbi, TYPE_BY_CODE[code])]
        a[0] += 1
        k = (mbi, month)
        if opted:
            a[1] += hidden.optout_paid.get(k, 0)
            continue
        a[1] += claims.paid.get(k, 0) + (hidden.sud_paid.get(k, 0) if cms_view else 0)
        a[2] += claims.ime_dsh_ucc.get(k, 0)
        a[3] += hidden.ncbp.get(k, 0)
    return [TypeExpenditure(mbi, t, m, Decimal(p) / 100, ime=Decimal(i) / 100,
                            ncbp=Decimal(n) / 100)
            for (mbi, t), (m, p, i, n) in sorted(acc.items())]


def _table_values(rows: list[TypeExpenditure], factors: Mapping[EnrollmentType, Decimal],
                  completion: Decimal) -> tuple[dict[str, Decimal | None], dict[str, Decimal]]:
    table = {r.ref: r.values for r in table_11(rows, factors, completion)}
    per_capita = dict(table["16"])
    years = {k: v if v is not None else Decimal(0) for k, v in table["15"].items()}
    return per_capita, years


def quarter_figures(claims: Claims, hidden: Hidden, year: int, quarter: int,
                    factors: Mapping[EnrollmentType, Decimal],
                    completion: Decimal) -> QuarterFigures:
    months = [date(year, m, 1) for m in range(1, quarter * 3 + 1)]
    cms_rows = _rows(claims, hidden, months, cms_view=True)
    vis_rows = _rows(claims, hidden, months, cms_view=False)
    per_capita, years = _table_values(cms_rows, factors, completion)
    vis_pc, vis_years = _table_values(vis_rows, factors, completion)
    wanted = set(months)
    cats: dict[str, int] = defaultdict(int)
    for (_, month, cat), c in claims.category.items():
        if month in wanted:
            cats[cat] += c
    opted = {(m, mo) for (m, mo), (code, alive, o) in claims.months.items()
             if mo in wanted and o and alive and code in TYPE_BY_CODE}
    return QuarterFigures(
        quarter=quarter, months=months, per_capita=per_capita, person_years=years,
        visible_per_capita=vis_pc, visible_person_years=vis_years,
        hidden={"optout_paid": str(sum(hidden.optout_paid.get(k, 0) for k in opted) / 100),
                "substance_use_paid": str(Decimal(sum(c for (m, mo), c in hidden.sud_paid.items()
                                                      if mo in wanted)) / 100)},
        ncbp_total=Decimal(sum(c for (_, mo), c in hidden.ncbp.items() if mo in wanted)) / 100,
        categories={k: Decimal(v) / 100 for k, v in sorted(cats.items())},
        stays=sum(c for (_, mo), c in claims.stays.items() if mo in wanted),
        assigned=len({m for (m, mo), (code, alive, _) in claims.months.items()
                      if mo in wanted and code in TYPE_BY_CODE}),
        optout_beneficiaries=len({m for m, _ in opted}),
        optout_person_years=Decimal(len(opted)) / 12,
        optout_paid=Decimal(sum(hidden.optout_paid.get(k, 0) for k in opted)) / 100,
    )


# --- workbook writing ----------------------------------------------------------------------

Value = Decimal | int | str | None
Block = tuple[str | None, list[tuple[str, Sequence[Value]]]]


def _round(v: Decimal, places: int) -> Decimal:
    """As printed: half up to `places` decimals."""
    return v.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def _num(v: Value, places: int | None) -> Value:
    if isinstance(v, Decimal) and places is not None:
        return _round(v, places)
    return v


def _write_value(ws: xlsxwriter.worksheet.Worksheet, r: int, c: int, v: Value) -> None:
    if v is None:
        ws.write_string(r, c, "-")
    elif isinstance(v, str):
        if v:
            ws.write_string(r, c, v)
    else:
        ws.write_number(r, c, float(v))


def _sheet(wb: xlsxwriter.Workbook, name: str, titles: Sequence[str],
           header: Sequence[str], blocks: Sequence[Block], *,
           groups: Sequence[tuple[str, int, int]] = (), footnotes: Sequence[str] = ()) -> None:
    """Title rows, an optional group row (label, first col, last col), the header, then
    section rows (text in column A only) and data rows, then footnotes."""
    ws = wb.add_worksheet(name)
    r = 0
    for t in titles:
        ws.write_string(r, 0, t)
        r += 1
    r += 1
    if groups:
        for label, c0, c1 in groups:
            if c1 > c0:
                ws.merge_range(r, c0, r, c1, label)
            else:
                ws.write_string(r, c0, label)
        r += 1
    for c, h in enumerate(header, start=1):
        ws.write_string(r, c, h)
    r += 1
    for section, rows in blocks:
        if section:
            ws.write_string(r, 0, section)
            r += 1
        for label, values in rows:
            ws.write_string(r, 0, label)
            for c, v in enumerate(values, start=1):
                _write_value(ws, r, c, v)
            r += 1
    r += 1
    for f in footnotes:
        ws.write_string(r, 0, f)
        r += 1


def _parameters(wb: xlsxwriter.Workbook, items: Sequence[tuple[str, str]]) -> None:
    ws = wb.add_worksheet("Parameters")
    for r, (k, v) in enumerate(items):
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, v)


def _cover(wb: xlsxwriter.Workbook, title: str) -> None:
    for name in ("Cover", "TOC", "Glossary"):
        wb.add_worksheet(name).write_string(0, 0, f"{title} - {name} (synthetic)")


def _workbook(path: Path, created: date) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": datetime(created.year, created.month, created.day),
                       "author": "aco-pipeline synthetic data"})
    return wb


def _stamp(d: date, rng: np.random.Generator) -> str:
    t = (f"{int(rng.integers(0, 24)):02d}{int(rng.integers(0, 60)):02d}"
         f"{int(rng.integers(0, 60)):02d}{int(rng.integers(0, 10))}")
    return f"D{d:%y%m%d}.T{t}"


def _ptext(d: Decimal | None) -> str | None:
    return None if d is None else format(d, "f")


# --- QEXPU / AEXPU -------------------------------------------------------------------------

@dataclass
class National:
    """Drawn national and regional levels shared by the QEXPU, AEXPU and BNMRK workbooks."""

    by3: dict[EnrollmentType, Decimal]
    growth: dict[EnrollmentType, Decimal]  # per year
    regional_index: dict[EnrollmentType, Decimal]
    national_weight: dict[EnrollmentType, float]


def draw_national(seed: int, aco_per_capita: Mapping[str, Decimal | None]) -> National:
    """National levels near the ACO's own (so the demo's ratios look plausible), the fixed
    national levels for a type the ACO has no person-years in."""
    rng = _rng(seed, 2)
    growth = {t: Decimal(str(round(rng.uniform(1.03, 1.06), 4))) for t in TYPES}
    by3 = {t: (aco_per_capita.get(t.value) or Decimal(NATIONAL_BY3[t])) / growth[t]
           * Decimal(str(round(rng.uniform(0.95, 1.1), 4))) for t in TYPES}
    regional = {t: Decimal(str(round(rng.uniform(0.96, 1.08), 4))) for t in TYPES}
    weights = {t: round(float(rng.uniform(0.15, 0.45)), 16) for t in TYPES}
    return National(by3, growth, regional, weights)


def _quarter_growth(nat: National, t: EnrollmentType, quarter: int, years: int) -> Decimal:
    """Per-capita level of PY quarter `quarter` relative to BY3 (`years` = PY - BY3)."""
    return nat.growth[t] ** (years - 1) * (1 + (nat.growth[t] - 1) * quarter / 4)


def _eu_table1(qf: QuarterFigures, national: Mapping[EnrollmentType, Decimal],
               all_aco_factor: Decimal) -> list[Block]:
    def triple(aco: Decimal | None, nat: Decimal | None) -> list[Value]:
        return [_num(aco, 2), _num(None if aco is None else aco * all_aco_factor, 2),
                _num(nat, 2)]
    years = qf.person_years
    total_years = years[TOTAL]
    nat_total = sum((national[t] * years[t.value] for t in TYPES), Decimal(0)) / total_years \
        if total_years else None
    per_capita = [(EU_LABEL[t], triple(qf.per_capita[t.value], national[t])) for t in TYPES]
    per_capita.append(("Total", triple(qf.per_capita[TOTAL], nat_total)))
    person_years = [(EU_LABEL[t], [_num(years[t.value], 0), "", ""]) for t in TYPES]
    person_years.append(("Total", [_num(total_years, 0), "", ""]))
    comp = [(cat, [_num(v / total_years, 2) if total_years else None,
                   _num(v / total_years * all_aco_factor, 2) if total_years else None, ""])
            for cat, v in qf.categories.items()]
    util = [("Inpatient Stays", [_num(Decimal(qf.stays) * 1000 / total_years, 1)
                                 if total_years else None, "", ""])]
    ncbp = [("Total Non-Claims Based Payments", [_num(qf.ncbp_total, 2), "", ""]),
            ("Non-Claims Based Payments Per Capita",
             [_num(qf.ncbp_total / total_years, 2) if total_years else None, "", ""]),
            ("Person Years", [_num(total_years, 0), "", ""])]
    declined = [("Beneficiaries Who Declined Data Sharing", [qf.optout_beneficiaries, "", ""]),
                ("Expenditures Per Capita",
                 [_num(qf.optout_paid / qf.optout_person_years, 2)
                  if qf.optout_person_years else None, "", ""]),
                ("Person Years", [_num(qf.optout_person_years, 0), "", ""])]
    return [
        (None, [("Total Assigned Beneficiaries", [qf.assigned, qf.assigned * 480, ""]),
                ("Number of ACOs", [1, 480, ""])]),
        ("Total Expenditures Per Capita", per_capita),
        ("Person Years", person_years),
        ("Component Expenditures Per Beneficiary", comp),
        ("Additional Utilization Rates Per 1000 Person Years", util),
        ("Non-Claims Based Payments", ncbp),
        ("Declined Data Sharing", declined),
    ]


def _snf_sheet(wb: xlsxwriter.Workbook, qf: QuarterFigures, titles: Sequence[str]) -> None:
    snf = qf.categories.get("Skilled Nursing Facility", Decimal(0))
    _sheet(wb, "Table_3-SNF_Report", titles, ("Total", "With Prior Stay", "Total",
                                              "With Prior Stay"),
           [(None, [("SNF Payments", [_num(snf, 2), _num(snf * Decimal("0.8"), 2),
                                      _num(snf * Decimal("0.6"), 2), None])])],
           groups=(("ACO-Specific", 1, 2), ("Affiliated SNFs", 3, 4)))


@dataclass
class Table2:
    """QEXPU Table 2 as written: per type, BY3 and Q1..Qn regional, weights of the latest."""

    regional: dict[EnrollmentType, list[float]]  # [BY3, Q1, ..]
    national_weight: dict[EnrollmentType, float]
    regional_weight: dict[EnrollmentType, float]


def table2_values(nat: National, quarter: int, years: int) -> Table2:
    regional = {}
    for t in TYPES:
        base = nat.by3[t] * nat.regional_index[t]
        regional[t] = [round(float(base), 2)] + [
            round(float(base * _quarter_growth(nat, t, q, years)), 2)
            for q in range(1, quarter + 1)]
    rw = {t: float(Decimal(1) - Decimal(repr(nat.national_weight[t]))) for t in TYPES}
    return Table2(regional, dict(nat.national_weight), rw)


def write_qexpu(folder: Path, aco_id: str, year: int, qf: QuarterFigures, nat: National,
                created: date, stamp: str, years_since_by3: int,
                all_aco_factor: Decimal) -> tuple[Path, dict[str, object]]:
    """A QEXPU bundle folder holding the quarter's workbook; returns the bundle and what a
    pipeline must find in it."""
    bundle = folder / f"P.{aco_id}.ACO.QEXPU.{stamp}"
    bundle.mkdir()
    name = f"P.{aco_id}.ACO.QEXPU.{year}Q{qf.quarter}.{stamp}.xlsx"
    national = {t: nat.by3[t] * _quarter_growth(nat, t, qf.quarter, years_since_by3)
                for t in TYPES}
    wb = _workbook(bundle / name, created)
    _cover(wb, "QEXPU")
    titles = ("Aggregate Expenditure/Utilization Report (synthetic)",
              f"ACO {aco_id}, {year} Q{qf.quarter}, calendar year to date")
    _sheet(wb, "Table_1-Aggregate_EU_Report", titles, EU_COLUMNS,
           _eu_table1(qf, national, all_aco_factor),
           footnotes=("Note: person years are rounded by row; rows need not add to the total.",))
    t2 = table2_values(nat, qf.quarter, years_since_by3)
    header = ("Benchmark Year 3", "Q1", "Q2", "Q3", "Q4")
    pad: list[Value] = [""] * (4 - qf.quarter)
    _sheet(wb, "Table_2-Regional_Expenditures", titles, header, [
        ("Regional Expenditures", [(EU_LABEL[t], [*(Decimal(repr(v)) for v in t2.regional[t]),
                                                  *pad]) for t in TYPES]),
        ("National Weight", [(EU_LABEL[t], ["", *[""] * (qf.quarter - 1),
                                            Decimal(repr(t2.national_weight[t])), *pad])
                             for t in TYPES]),
        ("Regional Weight", [(EU_LABEL[t], ["", *[""] * (qf.quarter - 1),
                                            Decimal(repr(t2.regional_weight[t])), *pad])
                             for t in TYPES]),
    ])
    _snf_sheet(wb, qf, titles)
    _parameters(wb, [("ACO ID", aco_id), ("Performance Year", str(year)),
                     ("Report Period", f"01/01/{year} - "
                      f"{_month_end(qf.months[-1]):%m/%d/%Y}"),
                     ("Assignment Methodology", "Prospective")])
    wb.close()
    truth = {
        "bundle": bundle.name, "file": name, "quarter": f"{year}Q{qf.quarter}",
        "per_capita": {k: _ptext(_num(v, 2)) for k, v in qf.per_capita.items()},
        "person_years_unrounded": {k: _ptext(v) for k, v in qf.person_years.items()},
        "person_years_printed": {k: _ptext(_num(v, 0)) for k, v in qf.person_years.items()},
        "national_assignable_ffs": {t.value: _ptext(_num(national[t], 2)) for t in TYPES},
        "cclf_visible_replication": {
            "per_capita": {k: _ptext(v) for k, v in qf.visible_per_capita.items()},
            "person_years": {k: _ptext(v) for k, v in qf.visible_person_years.items()},
        },
        "hidden_components": qf.hidden,
        "ncbp_total": _ptext(qf.ncbp_total),
        "assigned_beneficiaries": qf.assigned,
        "declined_data_sharing": {"beneficiaries": qf.optout_beneficiaries,
                                  "person_years": _ptext(qf.optout_person_years)},
        "latest_quarter_column": f"Q{qf.quarter}",
    }
    return bundle, truth


def _month_end(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1) - timedelta(days=1)


def write_aexpu(path: Path, aco_id: str, by: int, by_index: int, nat: National,
                qf: QuarterFigures, created: date, years_since_by3: int) -> dict[str, str]:
    """An AEXPU workbook for benchmark year `by` (BY1-BY3): ACO figures deflated from the
    performance year's; national per capita the drawn BY3 level, deflated for BY1/BY2."""
    back = 3 - by_index  # years before BY3
    national = {t: nat.by3[t] / nat.growth[t] ** back for t in TYPES}
    deflate = {t: Decimal(1) / (_quarter_growth(nat, t, qf.quarter, years_since_by3)
                                * nat.growth[t] ** back) for t in TYPES}
    per_capita: dict[str, Decimal | None] = {
        t.value: (None if qf.per_capita[t.value] is None else
                  qf.per_capita[t.value] * deflate[t]) for t in TYPES}
    scaled = QuarterFigures(**{**qf.__dict__, "per_capita": {**per_capita,
                                                             TOTAL: qf.per_capita[TOTAL]}})
    wb = _workbook(path, created)
    _cover(wb, "AEXPU")
    titles = ("Aggregate Expenditure/Utilization Report, annual (synthetic)",
              f"ACO {aco_id}, benchmark year {by} (BY{by_index})")
    _sheet(wb, "Table_1-Aggregate_EU_Report", titles, EU_COLUMNS,
           _eu_table1(scaled, national, Decimal("1.02")))
    if by_index < 3:
        _sheet(wb, "Table_1A-EU_Excluding_COVID", titles, EU_COLUMNS,
               _eu_table1(scaled, national, Decimal("1.02"))[:3])
    _snf_sheet(wb, scaled, titles)
    trunc = [(EU_LABEL[t], [_num(national[t] * 25, 2), Decimal("0.01"), ""]) for t in TYPES]
    _sheet(wb, "Table_4-Exp_Truncation", titles, ("Threshold", "Truncated", "ACO-Specific"),
           [("Truncation", trunc)])
    if by_index < 3:
        _sheet(wb, "Table_4A-Ex_Trc_Excluding_COVID", titles,
               ("Threshold", "Truncated", "ACO-Specific"), [("Truncation", trunc)])
    _parameters(wb, [("ACO ID", aco_id), (f"Benchmark Year {by_index} (BY{by_index})",
                                          f"01/01/{by} - 12/31/{by}")])
    wb.close()
    return {t.value: _ptext(_num(national[t], 2)) or "" for t in TYPES}


# --- BNMRK ---------------------------------------------------------------------------------

def _acpt_values(nat: National) -> tuple[Decimal, Decimal]:
    """Section F of Table 6 (ESRD, aged/disabled) for PY1: ~one year of national growth."""
    esrd = nat.growth[EnrollmentType.ESRD]
    others = sum((nat.growth[t] for t in TYPES[1:]), Decimal(0)) / 3
    return esrd.quantize(Decimal("0.000001")), others.quantize(Decimal("0.000001"))


def _acpt_for(nat: National, agreement_year: int) -> dict[EnrollmentType, Decimal]:
    esrd, others = _acpt_values(nat)
    return {t: (esrd if t is EnrollmentType.ESRD else others) ** agreement_year for t in TYPES}


def write_bnmrk(folder: Path, aco_id: str, year: int, nat: National, qf: QuarterFigures,
                benchmark: Mapping[EnrollmentType, Decimal], created: date, stamp: str,
                with_acpt: bool, years_since_by3: int) -> tuple[Path, dict[str, object]]:
    bundle = folder / f"P.{aco_id}.ACO.BNMRK.{stamp}"
    bundle.mkdir()
    name = f"P.{aco_id}.ACO.BNMRK.{stamp}.xlsx"
    wb = _workbook(bundle / name, created)
    _cover(wb, "BNMRK")
    titles = ("Historical Benchmark Report (synthetic)", f"ACO {aco_id}, performance year {year}")
    bys = [year - 3, year - 2, year - 1]
    count = qf.assigned
    weights = (Decimal("0.1"), Decimal("0.3"), Decimal("0.6"))

    def by_row(t: EnrollmentType, values: Sequence[Value], bench: Value = None) -> tuple[
            str, list[Value]]:
        return BN_LABEL[t], [*values, bench]
    _sheet(wb, "Table 1 - Historical Benchmark", titles, ("BY1", "BY2", "BY3", "Benchmark"), [
        ("[A1] Assigned Beneficiaries", [by_row(t, [count, count, count], None)
                                         for t in TYPES]),
        ("[A2] Person Years", [by_row(t, [_num(qf.person_years[t.value], 0)] * 3, None)
                               for t in TYPES]),
        ("[I] Benchmark Year Weights", [("All", [*weights, None])]),
        ("[L] Historical Benchmark Expenditures", [
            by_row(t, [None, None, None], _num(benchmark[t], 2)) for t in TYPES]),
    ])
    _sheet(wb, "Table 1A - Regional Adjustment", titles, ("Value",),
           [("[A] Regional Adjustment", [(BN_LABEL[t], [Decimal("0")]) for t in TYPES])])
    _sheet(wb, "Table 2 - Trend Factor", titles, ("BY1", "BY2", "BY3"), [
        ("[A] National Assignable FFS Per Capita Expenditures",
         [(BN_LABEL[t], [_num(nat.by3[t] / nat.growth[t] ** (2 - i), 2) for i in range(3)])
          for t in TYPES]),
        ("[E] National Weight", [(BN_LABEL[t], ["", "", Decimal(repr(nat.national_weight[t]))])
                                 for t in TYPES]),
    ])
    for sheet in ("Table 3 - Truncation", "Table 4 - Renormalization"):
        _sheet(wb, sheet, titles, ("BY1", "BY2", "BY3"),
               [("[A] Values", [(BN_LABEL[t], [Decimal(1), Decimal(1), Decimal(1)])
                                for t in TYPES])])
    _sheet(wb, "Table 5 - Reg Adj Weight", titles, ("Value",),
           [("[A] Weight", [("All", [Decimal("0.35")])])])
    esrd, others = _acpt_values(nat)
    if with_acpt:
        cum = [(esrd ** k, others ** k) for k in range(1, 6)]
        _sheet(wb, "Table 6 - ACPT", titles, ("BY3", "PY1", "PY2", "PY3", "PY4", "PY5"), [
            ("[A] Projected Growth (ESRD / Aged and Disabled)",
             [("ESRD", [None, *[esrd] * 5]), ("Aged and Disabled", [None, *[others] * 5])]),
            ("[F] Accountable Care Prospective Trend",
             [("ESRD", [None, *(c[0].quantize(Decimal("0.000001")) for c in cum)]),
              ("Aged and Disabled", [None, *(c[1].quantize(Decimal("0.000001"))
                                             for c in cum)])]),
        ])
    _parameters(wb, [("ACO ID", aco_id), ("ACO Track", "BASIC Level E"),
                     *((f"Benchmark Year {i + 1} (BY{i + 1})", f"01/01/{b} - 12/31/{b}")
                       for i, b in enumerate(bys))])
    wb.close()
    national_by3: dict[str, str] = {}
    for i, by in enumerate(bys, start=1):
        aexpu = bundle / f"P.{aco_id}.ACO.AEXPU.Y{by}.{stamp}.xlsx"
        values = write_aexpu(aexpu, aco_id, by, i, nat, qf, created, years_since_by3)
        if i == 3:
            national_by3 = values
    return bundle, {"bundle": bundle.name, "historical_benchmark": {
        t.value: _ptext(_num(benchmark[t], 2)) for t in TYPES},
        "has_table_6": with_acpt, "aexpu_by3_national_assignable_ffs": national_by3}


# --- CSV files -----------------------------------------------------------------------------

def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("ascii")


def _zip(path: Path, members: Sequence[tuple[str, bytes]], created: date) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(created.year, created.month, created.day,
                                                    12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


def _mbi_at_end(claims: Claims) -> set[str]:
    last = max(m for _, m in claims.months)
    return {mbi for (mbi, m) in claims.months if m == last}


def beur_rows(claims: Claims, year: int, quarters: Sequence[int],
              seed: int) -> tuple[list[list[str]], list[dict[str, str]]]:
    """BEUR fractions per beneficiary and quarter: months in each type / 12, from the CCLF8
    types except ESRD months CMS's own source does not count as ESRD (then disabled if under
    65 in CCLF terms is unknown here: counted as aged/non-dual)."""
    rng = _rng(seed, 3)
    esrd_benes = sorted({m for (m, _), (code, _, _) in claims.months.items() if code == 1})
    differs = {b for b in esrd_benes if rng.random() < ESRD_SOURCE_DIFFERS}
    rows: list[list[str]] = []
    diffs: list[dict[str, str]] = []
    for q in quarters:
        months = {date(year, m, 1) for m in range(q * 3 - 2, q * 3 + 1)}
        per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        moved: set[str] = set()
        for (mbi, mo), (code, alive, opted) in claims.months.items():
            if mo not in months or code not in TYPE_BY_CODE or not alive or opted:
                continue
            k = code - 1
            if code == 1 and mbi in differs:
                k = 3
                moved.add(mbi)
            per[mbi][k] += 1
        for mbi in sorted(per):
            f = [format(Decimal(n) / 12, ".4f") for n in per[mbi]]
            rows.append([mbi, str(year), str(year), str(q), *f])
            if mbi in moved:
                diffs.append({"mbi": mbi, "quarter": str(q), "cclf8": "ESRD",
                              "beur": "AGED/NON-DUAL"})
    return rows, diffs


# --- MCQM ----------------------------------------------------------------------------------

MEASURES = (("DM_001SSP", "DM", ("AGE", "DX", "ENCOUNTER", "EXCLUSION", "FILTER"), 0.25),
            ("BCS_112SSP", "BCS", ("AGE", "ENCOUNTER", "FEMALE", "EXCLUSION", "FILTER"), 0.35),
            ("DEP_134SSP", "DEP", ("AGE", "ENCOUNTER", "EXCLUSION", "FILTER"), 0.5),
            ("HTN_236SSP", "HTN", ("AGE", "DX", "ENCOUNTER", "EXCLUSION", "FILTER"), 0.4))
DEMOGRAPHICS = ("BENE_MBI_ID", "BENE_1ST_NAME", "BENE_LAST_NAME", "BENE_SEX_CD", "BENE_BRTH_DT",
                "BENE_DEATH_DT", "VA_SELECTION_ONLY")
PROVIDERS = ("PROVIDER_1_NPI", "PROVIDER_2_NPI", "PROVIDER_3_NPI", "TOP_CLINIC_ID")


def _yyyymmdd(mdy: str) -> str:
    if not mdy:
        return ""
    m, d, y = mdy.split("/")
    return f"{y}{m}{d}"


def write_mcqm(folder: Path, aco_id: str, year: int, quarter: int, alr_11: list[dict[str, str]],
               alr_14: list[dict[str, str]], created: date, stamp: str,
               seed: int) -> tuple[Path, dict[str, object]]:
    """A QMCQM bundle folder holding an extension-less zip that holds the .xlsx list."""
    rng = _rng(seed, 4)
    npis: dict[str, list[str]] = defaultdict(list)
    for r in alr_14:
        npis[r["BENE_MBI_ID"]].append(r["NPI"])
    chosen = [r for r in alr_11 if not r.get("BENE_DEATH_DT") and rng.random() < 0.6]
    bundle = folder / f"P.{aco_id}.QMCQM.{stamp}"
    bundle.mkdir()
    inner = f"P.{aco_id}.ACO.MCQM.{year}Q{quarter}.{stamp}"
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": datetime(created.year, created.month, created.day)})

    def demo(r: dict[str, str]) -> list[str]:
        return [r["BENE_MBI_ID"], r.get("BENE_1ST_NAME", ""), r.get("BENE_LAST_NAME", ""),
                r.get("BENE_SEX_CD", ""), _yyyymmdd(r.get("BENE_BRTH_DT", "")), "", "N"]

    def provs(r: dict[str, str]) -> list[str]:
        p = [*npis.get(r["BENE_MBI_ID"], []), "", "", ""][:3]
        return [*p, "1"]

    ws = wb.add_worksheet("Medicare_CQM_Beneficiaries")
    for c, h in enumerate(DEMOGRAPHICS):
        ws.write_string(0, c, h)
    for i, r in enumerate(chosen, start=1):
        for c, v in enumerate(demo(r)):
            ws.write_string(i, c, v)
    counts: dict[str, int] = {"Medicare_CQM_Beneficiaries": len(chosen)}
    for sheet, prefix, flags, share in MEASURES:
        ws = wb.add_worksheet(sheet)
        header = [*DEMOGRAPHICS, *(f"{prefix}_{f}" for f in flags), *PROVIDERS]
        for c, h in enumerate(header):
            ws.write_string(0, c, h)
        rows = [r for r in chosen if (prefix != "BCS" or r.get("BENE_SEX_CD") == "2")
                and rng.random() < share]
        for i, r in enumerate(rows, start=1):
            values = [*demo(r), *("Y" if f != "EXCLUSION" else "N" for f in flags), *provs(r)]
            for c, v in enumerate(values):
                ws.write_string(i, c, v)
        counts[sheet] = len(rows)
    wb.close()
    _zip(bundle / inner, [(f"{inner}.xlsx", buf.getvalue())], created)
    return bundle, {"bundle": bundle.name, "inner_zip": inner, "rows": counts}


# --- the whole set -------------------------------------------------------------------------

def _complete_quarters(claims: Claims, year: int) -> list[int]:
    have = {m for _, m in claims.months}
    return [q for q in range(1, 5)
            if all(date(year, m, 1) in have for m in range(q * 3 - 2, q * 3 + 1))]


def write_cms_reports(out_dir: Path, ground_truth_dir: Path, *, aco_id: str, seed: int = 0,
                      performance_year: int | None = None,
                      deliveries_dir: Path | None = None, agreement_year: int = 1,
                      msr_election: Decimal | None = None,
                      truncation_factors: Mapping[EnrollmentType, Decimal] | None = None,
                      completion_factor: Decimal = DEFAULT_COMPLETION_FACTOR
                      ) -> CmsReportsSummary:
    """Write the synthetic CMS reports into `out_dir` (normally the synth's `deliveries`
    folder) from the generator's ground truth in `ground_truth_dir` (and the ALR zips in
    `deliveries_dir`, default `out_dir`), and `cms_reports.json` into `ground_truth_dir`."""
    claims = load_claims(ground_truth_dir)
    if not claims.months:
        raise CmsReportsSynthError(f"{ground_truth_dir}: no beneficiary months")
    year = performance_year or max(m for _, m in claims.months).year
    quarters = _complete_quarters(claims, year)
    if not quarters:
        raise CmsReportsSynthError(f"no complete calendar quarter of {year} in the ground truth "
                                   "(synthesize at least January-March)")
    factors = dict(truncation_factors or DEFAULT_TRUNCATION_FACTORS)
    hidden = draw_hidden(claims, seed)
    rng = _rng(seed, 5)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = CmsReportsSummary()
    truth: dict[str, object] = {"aco_id": aco_id, "performance_year": year,
                                "agreement_year": agreement_year,
                                "msr_election": None if msr_election is None
                                else str(msr_election),
                                "method": "Table 11 (prospective), calendar year to date",
                                "truncation_factors": {t.value: str(v) for t, v in factors.items()},
                                "completion_factor": str(completion_factor)}
    years_since_by3 = 1
    figures = {q: quarter_figures(claims, hidden, year, q, factors, completion_factor)
               for q in quarters}
    all_aco = Decimal(str(round(rng.uniform(0.95, 1.1), 4)))
    nat = draw_national(seed, figures[quarters[-1]].per_capita)

    # QEXPU: one bundle per quarter, and Q1 delivered twice (the later supersedes)
    qexpu_truth: list[dict[str, object]] = []
    qexpu_paths: dict[int, Path] = {}
    for q in quarters:
        end = _month_end(date(year, q * 3, 1))
        made = end + timedelta(days=int(rng.integers(40, 55)))
        path, t = write_qexpu(out_dir, aco_id, year, figures[q], nat, made, _stamp(made, rng),
                              years_since_by3, all_aco)
        t["superseded_by"] = None
        qexpu_truth.append(t)
        qexpu_paths[q] = path
        summary.files.append(path)
    first = quarters[0]
    end = _month_end(date(year, first * 3, 1))
    early = end + timedelta(days=int(rng.integers(20, 30)))
    earlier_fig = figures[first]
    draft = QuarterFigures(**{**earlier_fig.__dict__, "per_capita": {
        k: None if v is None else v * Decimal("0.985") for k, v in
        earlier_fig.per_capita.items()}})
    path, t = write_qexpu(out_dir, aco_id, year, draft, nat, early, _stamp(early, rng),
                          years_since_by3, all_aco)
    t["superseded_by"] = qexpu_paths[first].name
    qexpu_truth.append(t)
    summary.files.append(path)
    truth["qexpu"] = qexpu_truth

    # BNMRK: March preliminary (no Table 6), June, October; the benchmark set so the last
    # quarter's projected savings rate sits near the MSR (target = MSR + offset)
    last = figures[quarters[-1]]
    msr = projection.step_u(last.assigned, msr_election) or variable_msr(max(last.assigned, 1))
    acpt = _acpt_for(nat, agreement_year)
    t2 = table2_values(nat, last.quarter, years_since_by3)
    k_factor: dict[EnrollmentType, Decimal] = {}
    for tt in TYPES:
        national_q = nat.by3[tt] * _quarter_growth(nat, tt, last.quarter, years_since_by3)
        c = projection.step_c(_round(national_q, 2), _round(nat.by3[tt], 2))
        f = projection.step_f(Decimal(repr(t2.regional[tt][-1])), Decimal(repr(t2.regional[tt][0])))
        i = projection.step_i(c, Decimal(repr(t2.national_weight[tt])), f,
                              Decimal(repr(t2.regional_weight[tt])))
        k_factor[tt] = projection.step_k(i, acpt[tt]) or Decimal(1)
    bnmrk_truth: list[dict[str, object]] = []
    projections: list[dict[str, object]] = []
    stamps: list[str] = []
    for label, month, offset in BNMRK_DELIVERIES:
        made = date(year, month, int(rng.integers(5, 25)))
        target = msr + offset
        benchmark = {}
        for tt in TYPES:
            pc = last.per_capita[tt.value] or Decimal(NATIONAL_BY3[tt])
            benchmark[tt] = pc / k_factor[tt] / (1 - target)
        stamp = _stamp(made, rng)
        stamps.append(stamp)
        path, bt = write_bnmrk(out_dir, aco_id, year, nat, last, benchmark, made, stamp,
                               with_acpt=month != 3, years_since_by3=years_since_by3)
        bt["delivery"] = label
        bt["target_savings_rate"] = str(target)
        bnmrk_truth.append(bt)
        summary.files.append(path)
        for q in quarters:
            inputs = _expected_inputs(figures[q], nat, q, years_since_by3, agreement_year,
                                      benchmark, path.name, month != 3, msr_election)
            pr = projection.project(inputs)
            projections.append({"quarter": f"{year}Q{q}", "benchmark_delivery": path.name,
                                "status": pr.status, "calculable": pr.calculable,
                                "p": _ptext(pr.p), "r": _ptext(pr.r), "u": _ptext(pr.u),
                                "not_calculable": list(pr.not_calculable)})
    latest_bnmrk = max(stamps)
    for bt in bnmrk_truth:
        bt["latest"] = str(bt["bundle"]).endswith(latest_bnmrk)
    truth["bnmrk"] = bnmrk_truth
    truth["msr"] = str(msr)
    truth["projection"] = projections

    # NCBP (quarterly, an extension-less zip holding a CSV; columns not public: invented)
    ncbp_truth = []
    for q in quarters:
        months = {date(year, m, 1) for m in range(q * 3 - 2, q * 3 + 1)}
        rows = [[mbi, f"{mo:%Y-%m}", format(Decimal(c) / 100, ".2f"), "SYNTHETIC DEMO"]
                for (mbi, mo), c in sorted(hidden.ncbp.items()) if mo in months]
        made = _month_end(date(year, q * 3, 1)) + timedelta(days=int(rng.integers(30, 45)))
        stamp = _stamp(made, rng)
        name = f"P.{aco_id}.ACO.NCBPQ.{year}Q{q}.{stamp}"
        _zip(out_dir / name, [(f"{name}.csv", _csv_bytes(
            ("BENE_MBI_ID", "PAYMENT_MONTH", "PAYMENT_AMT", "PROGRAM_NAME"), rows))], made)
        summary.files.append(out_dir / name)
        ncbp_truth.append({"file": name, "rows": len(rows),
                           "total": format(sum(Decimal(r[2]) for r in rows), "f")})
    truth["ncbp"] = ncbp_truth

    # BEUR (CSV)
    rows_b, diffs = beur_rows(claims, year, quarters, seed)
    made = _month_end(date(year, quarters[-1] * 3, 1)) + timedelta(days=50)
    name = f"P.{aco_id}.ACO.BEUR.{year}Q{quarters[-1]}.{_stamp(made, rng)}.csv"
    (out_dir / name).write_bytes(_csv_bytes(
        ("BENE_MBI_ID", "RPT_YR_NUM", "PRFMNC_YR_NUM", "RPT_QTR_NUM", "ESRD_FRAC", "DSBL_FRAC",
         "AGDU_FRAC", "AGND_FRAC"), rows_b))
    summary.files.append(out_dir / name)
    truth["beur"] = {"file": name, "rows": len(rows_b), "differs_from_cclf8": diffs}

    # excluded-beneficiary MBI crosswalk: MBI changes of beneficiaries no longer listed
    present = _mbi_at_end(claims)
    xw = [h for h in claims.mbi_history if h["current_mbi"] not in present]
    made = date(year, max(m for _, m in claims.months).month, 1) + timedelta(days=40)
    name = f"P.{aco_id}.ACO.MBI.{_stamp(made, rng)}.csv"
    (out_dir / name).write_bytes(_csv_bytes(
        ("PERFORMANCE_YEAR", "REPORT_MONTH", "CURRENT_BENE_MBI", "PREVIOUS_BENE_MBI",
         "PREVIOUS_IDENTIFIER_EFFECTIVE_DATE", "PREVIOUS_IDENTIFIER_OBSOLETE_DATE"),
        ([str(year), f"{made:%Y%m}", h["current_mbi"], h["previous_mbi"],
          f"{h['previous_effective_dt']:%Y%m%d}" if h["previous_effective_dt"] else "",
          f"{h['previous_obsolete_dt']:%Y%m%d}" if h["previous_obsolete_dt"] else ""]
         for h in xw)))
    summary.files.append(out_dir / name)
    truth["mbi_crosswalk"] = {"file": name, "rows": len(xw)}

    # participant list and MCQM, from the latest ALR the generator wrote
    alr_11, alr_14 = read_alr(deliveries_dir or out_dir)
    if alr_14:
        tins = sorted({r["TIN"] for r in alr_14})
        pairs = sorted({(r["TIN"], r["NPI"]) for r in alr_14})
        made = date(year, 1, 15)
        name = f"P.{aco_id}.ACO.PATB.{_stamp(made, rng)}"
        _zip(out_dir / name, [
            ("Participants List.csv", _csv_bytes(("TIN", "PARTICIPANT_LEGAL_BUSINESS_NAME"),
                                                 ([t, f"SYNTHETIC PRACTICE {i + 1}"]
                                                  for i, t in enumerate(tins)))),
            ("Providers and Suppliers List.csv", _csv_bytes(("TIN", "NPI"), pairs))], made)
        summary.files.append(out_dir / name)
        truth["participant_list"] = {"file": name, "participants": len(tins),
                                     "providers_suppliers": len(pairs)}
    if alr_11:
        q = quarters[-1]
        made = _month_end(date(year, q * 3, 1)) + timedelta(days=20)
        path, mt = write_mcqm(out_dir, aco_id, year, q, alr_11, alr_14, made,
                              _stamp(made, rng), seed)
        summary.files.append(path)
        truth["mcqm"] = mt
    ground_truth_dir.mkdir(parents=True, exist_ok=True)
    summary.ground_truth = ground_truth_dir / "cms_reports.json"
    summary.ground_truth.write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n",
                                    encoding="utf-8")
    return summary


def _expected_inputs(qf: QuarterFigures, nat: National, quarter: int, years: int,
                     agreement_year: int, benchmark: Mapping[EnrollmentType, Decimal],
                     delivery: str, with_acpt: bool,
                     msr_election: Decimal | None) -> ProjectionInputs:
    """The projection inputs exactly as the written workbooks print them."""
    t2 = table2_values(nat, quarter, years)
    national_q: dict[EnrollmentType, Decimal | None] = {
        t: _round(nat.by3[t] * _quarter_growth(nat, t, quarter, years), 2) for t in TYPES}
    total = qf.per_capita[TOTAL]
    acpt = _acpt_for(nat, agreement_year)
    return ProjectionInputs(
        quarter=f"Q{quarter}", benchmark_delivery=delivery,
        national_by3={t: _round(nat.by3[t], 2) for t in TYPES},
        national_quarter=national_q,
        regional_by3={t: Decimal(repr(t2.regional[t][0])) for t in TYPES},
        regional_latest={t: Decimal(repr(t2.regional[t][-1])) for t in TYPES},
        national_weight={t: Decimal(repr(t2.national_weight[t])) for t in TYPES},
        regional_weight={t: Decimal(repr(t2.regional_weight[t])) for t in TYPES},
        acpt={t: (acpt[t].quantize(Decimal("0.000001")) if with_acpt else None)
              for t in TYPES},
        historical_benchmark={t: _round(benchmark[t], 2) for t in TYPES},
        person_years={t: _round(qf.person_years[t.value], 0) for t in TYPES},
        person_years_total=_round(qf.person_years[TOTAL], 0),
        aco_per_capita=None if total is None else _round(total, 2),
        assigned_beneficiaries=qf.assigned, msr_election=msr_election,
        latest_quarter=f"Q{quarter}")
