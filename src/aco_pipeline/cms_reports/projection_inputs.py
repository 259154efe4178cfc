"""The inputs of CMS's quarterly projection, selected from the cell grain by name.

Where each lettered input lives is data (`layouts/projection_inputs.csv`: family, sheet,
section code or label, column label); enrollment types are read from the row labels through
`layouts/enrollment_types.csv` (AEXPU and BNMRK spell them differently). A value that is absent,
`-` or not a number is None, so the projection flags the pairing not calculable.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc

from aco_pipeline.cms_reports import catalog
from aco_pipeline.cms_reports.projection import TYPES, ProjectionInputs, project, to_table
from aco_pipeline.metrics.expenditure import EnrollmentType

QUARTER_COLUMN = re.compile(r"^q([1-4])$")
LATEST = "latest quarter"


@dataclass(frozen=True, slots=True)
class Source:
    step: str
    family: str
    sheet: str
    section_code: str
    section_label: str
    column_label: str
    row: str


@cache
def sources() -> dict[str, Source]:
    text = resources.files(__package__).joinpath("layouts", "projection_inputs.csv").read_text(
        encoding="utf-8")
    return {r["step"]: Source(r["step"], r["family"], r["sheet"], r["section_code"],
                              r["section_label"], r["column_label"], r["row"])
            for r in csv.DictReader(io.StringIO(text))}


def number(text: str | None) -> Decimal | None:
    """A cell's text as an exact Decimal; `-`, blank and non-numbers are None."""
    if text is None:
        return None
    t = text.strip().replace(",", "").replace("$", "")
    if not t or t == "-":
        return None
    try:
        d = Decimal(t.rstrip("%")) / (100 if t.endswith("%") else 1)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


Cells = list[dict[str, object]]


def _cells(table: pa.Table | None, src: Source) -> Cells:
    if table is None or table.num_rows == 0:
        return []
    sheet = catalog.norm(src.sheet)
    out = []
    for row in table.to_pylist():
        if catalog.norm(str(row["sheet"])) != sheet:
            continue
        code = (row["section_code"] or "").upper()
        label = catalog.norm(str(row["section_label"] or ""))
        if src.section_code and code != src.section_code.upper():
            continue
        if not src.section_code and src.section_label and label != catalog.norm(
                src.section_label):
            continue
        if not src.section_code and not src.section_label and row["section_label"]:
            continue
        out.append(row)
    return out


def _column(cells: Cells, label: str) -> Cells:
    key = catalog.norm(label)
    return [c for c in cells if catalog.norm(str(c["column_label"] or "")) == key]


def per_type(cells: Cells) -> dict[EnrollmentType, Decimal | None]:
    out: dict[EnrollmentType, Decimal | None] = dict.fromkeys(TYPES)
    for c in cells:
        t = catalog.enrollment_type(str(c["row_label"] or ""))
        if t in {e.value for e in TYPES}:
            out[EnrollmentType(t)] = number(str(c["value_text"]))
    return out


def total(cells: Cells, row_label: str = "Total") -> Decimal | None:
    key = catalog.norm(row_label)
    found = [c for c in cells if catalog.norm(str(c["row_label"] or "")) == key]
    return number(str(found[0]["value_text"])) if found else None


def latest_quarter(cells: Cells) -> str | None:
    """The last Q1..Q4 column holding a number (unreported quarters are blank, section 3)."""
    best = 0
    for c in cells:
        m = QUARTER_COLUMN.match(catalog.norm(str(c["column_label"] or "")))
        if m and number(str(c["value_text"])) is not None:
            best = max(best, int(m[1]))
    return f"Q{best}" if best else None


def _acpt(cells: Cells) -> dict[EnrollmentType, Decimal | None]:
    """[J]: section F split ESRD / aged and disabled, or one row for every type."""
    out: dict[EnrollmentType, Decimal | None] = dict.fromkeys(TYPES)
    single: Decimal | None = None
    for c in cells:
        value = number(str(c["value_text"]))
        t = catalog.enrollment_type(str(c["row_label"] or ""))
        if t == EnrollmentType.ESRD.value:
            out[EnrollmentType.ESRD] = value
        elif t == "AGED_AND_DISABLED":
            for e in TYPES[1:]:
                out[e] = value
        elif t in {e.value for e in TYPES}:
            out[EnrollmentType(t)] = value
        else:
            single = value
    if single is not None and all(v is None for v in out.values()):
        out = dict.fromkeys(TYPES, single)
    return out


def _delivery(bnmrk: pa.Table | None) -> str:
    if bnmrk is None or bnmrk.num_rows == 0:
        return ""
    names = set(bnmrk.column("bundle").to_pylist()) - {None}
    return str(sorted(names)[-1]) if names else ""


def inputs_from_cells(*, quarter: str, qexpu: pa.Table | None, aexpu_by3: pa.Table | None,
                      bnmrk: pa.Table | None, agreement_year: int,
                      msr_election: Decimal | None = None,
                      benchmark_delivery: str | None = None) -> ProjectionInputs:
    """One quarter's QEXPU cells, the BY3 AEXPU cells and the BNMRK cells of one benchmark
    delivery -> the projection's inputs. `agreement_year` (1-5) picks the ACPT column."""
    if not 1 <= agreement_year <= 5:
        raise ValueError(f"agreement year must be 1..5, got {agreement_year}")
    s = sources()
    tables = {"qexpu": qexpu, "aexpu": aexpu_by3, "bnmrk": bnmrk}

    def section(step: str) -> Cells:
        return _cells(tables[s[step].family], s[step])

    regional = section("E")
    latest = latest_quarter(regional)

    def col(step: str) -> Cells:
        label = s[step].column_label
        if label == LATEST:
            return _column(section(step), latest) if latest else []
        return _column(section(step), label.replace("{agreement_year}", str(agreement_year)))

    person_years = col("N")
    beneficiaries = total(col("S"), "Total Assigned Beneficiaries")
    return ProjectionInputs(
        quarter=quarter,
        benchmark_delivery=benchmark_delivery or _delivery(bnmrk),
        national_by3=per_type(col("A")),
        national_quarter=per_type(col("B")),
        regional_by3=per_type(col("D")),
        regional_latest=per_type(col("E")),
        national_weight=per_type(col("G")),
        regional_weight=per_type(col("H")),
        acpt=_acpt(col("J")),
        historical_benchmark=per_type(col("L")),
        person_years=per_type(person_years),
        person_years_total=total(person_years),
        aco_per_capita=total(col("Q")),
        assigned_beneficiaries=int(beneficiaries) if beneficiaries is not None else None,
        msr_election=msr_election,
        latest_quarter=latest,
    )



def _stamp_key(stamp: str | None) -> tuple[int, str]:
    """Order of delivery stamps; a placeholder date (`D259999`) sorts before real ones."""
    s = stamp or ""
    return (0 if s[3:7] == "9999" else 1, s)


def _split(table: pa.Table | None, column: str) -> dict[str, pa.Table]:
    if table is None or table.num_rows == 0:
        return {}
    keys = sorted({str(k) for k in table.column(column).to_pylist() if k is not None})
    return {k: table.filter(pc.equal(table[column], k)) for k in keys}


def projection_table(*, qexpu_cells: pa.Table | None, bnmrk_cells: pa.Table | None,
                     aexpu_cells: pa.Table | None, agreement_year: int,
                     msr_election: Decimal | None = None) -> pa.Table:
    """The projection metric over everything ingested: every quarter (its latest QEXPU
    delivery; earlier ones are superseded) x every BNMRK delivery (all kept, the latest
    marked in `benchmark_is_latest`), with the BY3 AEXPU of the same BNMRK bundle."""
    quarters: dict[str, pa.Table] = {}
    for period, cells in _split(qexpu_cells, "period").items():
        stamps = {str(s) for s in cells.column("delivery_stamp").to_pylist() if s}
        latest = max(stamps, key=_stamp_key) if stamps else None
        quarters[period] = cells.filter(pc.equal(cells["delivery_stamp"], latest)) \
            if latest else cells
    aexpu = _split(aexpu_cells, "bundle")
    bundles = _split(bnmrk_cells, "bundle")
    stamp = {b: max((str(s) for s in t.column("delivery_stamp").to_pylist() if s),
                    key=_stamp_key, default="") for b, t in bundles.items()}
    newest = max(bundles, key=lambda b: _stamp_key(stamp[b])) if bundles else None
    results = []
    latest_flags: list[bool] = []
    for bundle, bn in bundles.items():
        by = aexpu.get(bundle)
        by3 = by.filter(pc.equal(by["benchmark_year"], pc.max(by["benchmark_year"]))) \
            if by is not None and by.num_rows else None
        for period, q in sorted(quarters.items()):
            x = inputs_from_cells(quarter=period, qexpu=q, aexpu_by3=by3, bnmrk=bn,
                                  agreement_year=agreement_year, msr_election=msr_election,
                                  benchmark_delivery=bundle)
            results.append(project(x))
            latest_flags.append(bundle == newest)
    table = to_table(results)
    per_pairing = len(TYPES) + 1
    flags = [f for f in latest_flags for _ in range(per_pairing)]
    return table.append_column("benchmark_is_latest", pa.array(flags, pa.bool_()))
