"""Expenditure per person-year from the warehouse (CMS guide v4 Appendix A phase 5).

The arithmetic of Tables 9-11 is tested with the guide's own figures in test_expenditure.py;
here: the `[expenditure]` parameters, the NCBP input file, and the whole path on the built
synthetic ACO checked against an independent computation from what CMS sent (the lake's CCLF1/5/6
Parquet, de-duplicated and signed here; the ALR files for assignment) and the generator's ground
truth (enrollment types, deaths, opt-outs, MBI history), with plain `Fraction` arithmetic for
Table 10; the canonical tables of `aco build` against an ad-hoc computation.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.metrics.canonical import data_periods
from aco_pipeline.metrics.expenditure import EnrollmentType
from aco_pipeline.metrics.expenditure_report import (
    BeneficiaryInputs,
    ExpenditureConfigError,
    Method,
    NcbpFileError,
    Period,
    assemble,
    beneficiary_expenditures,
    beneficiary_table,
    canonical,
    compute,
    load_parameters,
    read_ncbp,
    summary_table,
)
from aco_pipeline.metrics.periods import PERIOD_COLUMNS
from aco_pipeline.warehouse.read import connect
from tests.synthetic_aco import BuiltAco

D = Decimal
T = EnrollmentType
TYPE_BY_CODE = {1: T.ESRD, 2: T.DISABLED, 3: T.AGED_DUAL, 4: T.AGED_NON_DUAL}
KEYS = ("esrd", "disabled", "aged_dual", "aged_non_dual")
MBI_A = "1AA0AA0AA01"
MBI_B = "1AA0AA0AA02"


def workspace(tmp_path: Path, section: str = "") -> Workspace:
    ws = init_workspace(tmp_path / "ws", aco_id="A1234", performance_year=2024)
    if section:
        with ws.config_path.open("a", encoding="utf-8") as fh:
            fh.write("\n" + section)
    return ws


THRESHOLDS_TOML = """[expenditure]
method = "thresholds"
completion_factor = 1.072
[expenditure.truncation_thresholds]
esrd = "100000"
disabled = 75000
aged_dual = "60000.50"
aged_non_dual = 40000
"""


# --- parameters ---------------------------------------------------------------------------------

def test_parameters_from_toml_as_exact_decimals(tmp_path: Path) -> None:
    p = load_parameters(workspace(tmp_path, THRESHOLDS_TOML))
    assert p.method is Method.thresholds
    assert p.completion_factor == D("1.072")  # a TOML float, not 1.0720000000000000639...
    assert p.truncation_thresholds == {T.ESRD: D(100000), T.DISABLED: D(75000),
                                       T.AGED_DUAL: D("60000.50"), T.AGED_NON_DUAL: D(40000)}
    assert p.ncbp_file is None


def test_cli_values_override_toml(tmp_path: Path) -> None:
    ws = workspace(tmp_path, THRESHOLDS_TOML.replace(
        "[expenditure]\n", '[expenditure]\nncbp_file = "inputs/ncbp.csv"\n', 1))
    p = load_parameters(ws, completion_factor="1.01", thresholds={"esrd": "90000"})
    assert p.completion_factor == D("1.01")
    assert p.truncation_thresholds[T.ESRD] == D(90000)
    assert p.truncation_thresholds[T.DISABLED] == D(75000)
    assert p.ncbp_file == ws.root / "inputs" / "ncbp.csv"
    assert load_parameters(ws, ncbp_file=tmp_path / "x.csv").ncbp_file == tmp_path / "x.csv"


@pytest.mark.parametrize(("section", "kwargs", "message"), [
    ("", {}, "method missing"),
    ('[expenditure]\nmethod = "track9"\n', {}, "method in aco.toml"),
    ('[expenditure]\nmethod = "thresholds"\n', {}, "completion_factor missing"),
    (THRESHOLDS_TOML.replace('aged_dual = "60000.50"\n', ""), {},
     "truncation_thresholds.aged_dual missing"),
    (THRESHOLDS_TOML, {"method": "factors"}, "truncation_factors.esrd missing"),
    (THRESHOLDS_TOML.replace("1.072", '"1.0x"'), {}, "completion_factor in aco.toml"),
    (THRESHOLDS_TOML.replace("1.072", "0.98"), {}, "must be >= 1"),
    (THRESHOLDS_TOML.replace("disabled = 75000", "disabled = true"), {},
     "truncation_thresholds.disabled in aco.toml"),
    (THRESHOLDS_TOML.replace("esrd =", "esrdd ="), {}, "truncation_thresholds.esrdd"),
    (THRESHOLDS_TOML.replace("method =", "methd =", 1), {}, "methd in aco.toml"),
    (THRESHOLDS_TOML + "assigned_only = true\n", {}, "assigned_only in aco.toml"),
    (THRESHOLDS_TOML + "[expenditure.truncation_factors]\nesrd = 1.22\ndisabled = 0\n"
     "aged_dual = 0\naged_non_dual = 0\n",
     {"method": "factors"}, "fractions"),
])
def test_parameter_errors_name_the_key(tmp_path: Path, section: str, kwargs: dict,
                                       message: str) -> None:
    with pytest.raises(ExpenditureConfigError, match=message) as err:
        load_parameters(workspace(tmp_path, section), **kwargs)
    assert "aco.toml [expenditure]" in str(err.value) or "--method" in str(err.value)


def test_period_must_be_whole_months_up_to_a_year() -> None:
    assert len(Period(date(2024, 1, 1), date(2024, 12, 31)).months) == 12
    assert Period(date(2024, 2, 1), date(2024, 2, 29)).months == [date(2024, 2, 1)]
    for start, end, message in [
        (date(2024, 1, 2), date(2024, 3, 31), "first day"),
        (date(2024, 1, 1), date(2024, 3, 30), "last day"),
        (date(2024, 1, 1), date(2025, 1, 31), "longer than 12"),
        (date(2024, 3, 1), date(2024, 1, 31), "before"),
    ]:
        with pytest.raises(ExpenditureConfigError, match=message):
            Period(start, end)


# --- NCBP file ----------------------------------------------------------------------------------

def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_ncbp_file_reads(tmp_path: Path) -> None:
    f = write(tmp_path / "n.csv", "\ufeffMBI,Month,Amount,program\n"
                                  f"{MBI_A},2024-10,40.00,cm\n{MBI_B},2024-11-15,\"-1,012.5\",x\n")
    rows = read_ncbp(f)
    assert [(r.mbi, r.month, r.amount) for r in rows] == [
        (MBI_A, date(2024, 10, 1), D("40.00")), (MBI_B, date(2024, 11, 1), D("-1012.5"))]


@pytest.mark.parametrize(("text", "where"), [
    ("mbi,amount\n", "line 1: missing column(s) month"),
    (f"mbi,month,amount\n{MBI_A},2024-10,1\n{MBI_B},2024-13,2\n", "line 3, field month"),
    (f"mbi,month,amount\n{MBI_B},2024-10,12.345\n", "line 2, field amount"),
    (f"mbi,month,amount\n{MBI_B},2024-10,abc\n", "line 2, field amount"),
    (f"mbi,month,amount\n{MBI_B},2024-10,\n", "line 2, field amount"),
    (f"mbi,month,amount\n{MBI_B},2024-10,NaN\n", "line 2, field amount"),
    ("mbi,month,amount\n,2024-10,1\n", "line 2, field mbi: empty"),
    ("mbi,month,amount\n1AA0AA0AA0,2024-10,1\n", "line 2, field mbi"),
    (f"mbi,month,amount\n{MBI_B},2024-10\n", "line 2, field amount: missing"),
    (f"mbi,month,amount\n{MBI_B},2024-10,1,2\n", "line 2: more fields"),
])
def test_ncbp_errors_name_file_line_and_field_not_the_mbi(tmp_path: Path, text: str,
                                                           where: str) -> None:
    f = write(tmp_path / "ncbp.csv", text)
    with pytest.raises(NcbpFileError) as err:
        read_ncbp(f)
    message = str(err.value)
    assert message.startswith(f"{f}, ") and where in message
    assert MBI_A not in message and MBI_B not in message and "1AA0AA0AA0" not in message


def test_ncbp_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NcbpFileError, match="cannot read"):
        read_ncbp(tmp_path / "absent.csv")


# --- attribution to enrollment types (no warehouse) ---------------------------------------------

def test_assemble_splits_by_service_month_type() -> None:
    from aco_pipeline.metrics.expenditure_report import MonthPayment

    oct_, nov, dec = date(2024, 10, 1), date(2024, 11, 1), date(2024, 12, 1)
    months = [(MBI_A, oct_, T.AGED_DUAL), (MBI_A, nov, T.ESRD), (MBI_A, dec, T.ESRD)]
    z = D(0)
    pays = [MonthPayment(MBI_A, oct_, D(100), D(10), D(5), D(1), D(2)),
            MonthPayment(MBI_A, dec, z, D(20), z, z, z, unknown_part=D(3)),
            MonthPayment(MBI_B, nov, D(7), z, z, z, z)]
    out = assemble(months, pays, [(MBI_A, nov, D(9)), (MBI_A, date(2025, 1, 1), D(1)),
                                  (MBI_B, oct_, D(4))],
                   Period(oct_, date(2024, 12, 31)))
    dual, esrd = sorted(out.rows, key=lambda r: r.enrollment_type.value != "AGED/DUAL")
    assert (dual.enrollment_type, dual.months, dual.paid, dual.ime + dual.dsh + dual.ucc,
            dual.ncbp) == (T.AGED_DUAL, 1, D(110), D(8), z)
    assert (esrd.enrollment_type, esrd.months, esrd.paid, esrd.part_b_paid,
            esrd.unknown_part_paid, esrd.ncbp) == (T.ESRD, 2, D(23), D(20), D(3), D(9))
    assert out.excluded.paid == D(7) and out.excluded.ncbp == D(4)
    assert out.excluded.beneficiary_months == 2 and out.excluded.ncbp_outside_period == 1


# --- end to end on the synthetic ACO ------------------------------------------------------------

PERIOD = Period(date(2024, 10, 1), date(2024, 12, 31))
RUNOUT = date(2025, 2, 28)
THRESHOLDS = {T.ESRD: D(60000), T.DISABLED: D(20000), T.AGED_DUAL: D(15000),
              T.AGED_NON_DUAL: D(12000)}
CF = D("1.072")


def _versions(ws: Workspace, file_type: str, amount: str, lines: bool) -> list[dict]:
    """Distinct versions of CCLF1/5/6 across every delivery (identity: claim id, line,
    adjustment type, effective date), read straight from the lake's Parquet."""
    out: dict[tuple, dict] = {}
    cols = ["cur_clm_uniq_id", "bene_mbi_id", "clm_thru_dt", "clm_adjsmt_type_cd",
            "clm_efctv_dt", "clm_idr_ld_dt", amount]
    if lines:
        cols.append("clm_line_num")
    else:
        cols += ["clm_mdcr_ip_pps_cptl_ime_amt", "clm_oprtnl_ime_amt",
                 "clm_mdcr_ip_pps_dsprprtnt_amt", "clm_oprtnl_dsprprtnt_amt",
                 "clm_hipps_uncompd_care_amt"]
    for f in sorted((ws.lake_dir / "parsed").glob(f"*/{file_type}/*.parquet")):
        for r in pq.read_table(f, columns=cols).to_pylist():
            key = (r["cur_clm_uniq_id"], r.get("clm_line_num"), r["clm_adjsmt_type_cd"].strip(),
                   r["clm_efctv_dt"])
            out[key] = r
    return list(out.values())


def known_unassigned(aco: BuiltAco) -> set[tuple[str, date]]:
    """(current MBI, month) in the quarter of a quarterly ALR table 1-1 that lists no one of
    them, read from the lake's ALR files (fct_member_month.assigned = false)."""
    current = {r["previous_mbi"]: r["current_mbi"]
               for r in pq.read_table(aco.ground_truth / "mbi_history.parquet").to_pylist()}
    listed: dict[date, set[str]] = defaultdict(set)
    for f in sorted((aco.ws.lake_dir / "parsed").glob("*/alr_1_1/*.parquet")):
        quarter = re.search(r"QALR\.(\d{4})Q(\d)", f.parent.parent.name)
        assert quarter, f  # the generator writes quarterly ALRs only
        year, q = int(quarter[1]), int(quarter[2])
        mbis = {current.get(m, m) for m in pq.read_table(f).column("bene_mbi_id").to_pylist()}
        for k in range(3):
            listed[date(year, 3 * q - 2 + k, 1)] |= mbis
    everyone = {r["current_mbi"] for r in pq.read_table(
        aco.ground_truth / "beneficiary_month.parquet").to_pylist()}
    return {(m, month) for month, mbis in listed.items() for m in everyone - mbis}


def counted_months(aco: BuiltAco, period: Period) -> dict[tuple[str, date], T]:
    """The counted person-months (docs/expenditure.md): enrollment type 1-4, alive, not opted
    out, not known to be unassigned, from the ground truth and the ALR files."""
    unassigned = known_unassigned(aco)
    return {(r["current_mbi"], r["month"]): TYPE_BY_CODE[r["enrollment_type"]]
            for r in pq.read_table(aco.ground_truth / "beneficiary_month.parquet").to_pylist()
            if r["enrollment_type"] in TYPE_BY_CODE and r["alive"] and not r["opted_out"]
            and (r["current_mbi"], r["month"]) not in unassigned
            and period.start <= r["month"] <= period.end}


def independent(aco: BuiltAco, period: Period, runout: date,
                ncbp: list[tuple[str, date, Decimal]]) -> dict[tuple[str, T], dict]:
    """Per (current MBI, type): months, paid, IME+DSH+UCC, NCBP, without the warehouse."""
    gt = aco.ground_truth
    current = {r["previous_mbi"]: r["current_mbi"]
               for r in pq.read_table(gt / "mbi_history.parquet").to_pylist()}
    month_type = counted_months(aco, period)
    acc: dict[tuple[str, T], dict] = defaultdict(
        lambda: {"months": 0, "paid": D(0), "idu": D(0), "ncbp": D(0)})
    for (mbi, _), t in month_type.items():
        acc[(mbi, t)]["months"] += 1
    for file_type, amount, lines in (("cclf1", "clm_pmt_amt", False),
                                     ("cclf5", "clm_line_cvrd_pd_amt", True),
                                     ("cclf6", "clm_line_cvrd_pd_amt", True)):
        for v in _versions(aco.ws, file_type, amount, lines):
            if not (period.start <= v["clm_thru_dt"] <= period.end
                    and v["clm_idr_ld_dt"] <= runout):
                continue
            sign = -1 if v["clm_adjsmt_type_cd"].strip() == "1" else 1
            mbi = current.get(v["bene_mbi_id"], v["bene_mbi_id"])
            t = month_type.get((mbi, v["clm_thru_dt"].replace(day=1)))
            if t is None:
                continue
            acc[(mbi, t)]["paid"] += sign * (v[amount] or 0)
            if not lines:
                acc[(mbi, t)]["idu"] += sign * sum(
                    (v[c] or 0) for c in ("clm_mdcr_ip_pps_cptl_ime_amt", "clm_oprtnl_ime_amt",
                                          "clm_mdcr_ip_pps_dsprprtnt_amt",
                                          "clm_oprtnl_dsprprtnt_amt",
                                          "clm_hipps_uncompd_care_amt"))
    for mbi, month, amount in ncbp:
        t = month_type.get((current.get(mbi, mbi), month))
        if t is not None:
            acc[(current.get(mbi, mbi), t)]["ncbp"] += amount
    return dict(acc)


def fraction_table_10(rows: dict[tuple[str, T], dict]) -> dict[str, dict[str, Fraction]]:
    """Table 10 rows 2, 6, 8, 14, 16, 17, 18 per type and total, in exact fractions."""
    out: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for (_, t), r in rows.items():
        paid, months = Fraction(r["paid"]), r["months"]
        total = paid / Fraction(98, 100) - Fraction(r["idu"]) + Fraction(r["ncbp"])
        annual = total * 12 / months
        weighted = min(annual, Fraction(THRESHOLDS[t])) * months / 12
        for col in (t.value, "TOTAL"):
            out["2"][col] += paid
            out["6"][col] += Fraction(r["idu"])
            out["8"][col] += Fraction(r["ncbp"])
            out["14"][col] += weighted
            out["16"][col] += weighted * Fraction(CF)
            out["17"][col] += Fraction(months, 12)
    out["18"] = {c: out["16"][c] / out["17"][c] for c in out["17"]}
    return out


@pytest.fixture(scope="module")
def ncbp_rows(built_aco: BuiltAco) -> list[tuple[str, date, Decimal]]:
    """Payments for three beneficiaries with counted months (one under a previous MBI), one
    outside the period and one in a month without a counted type."""
    gt = built_aco.ground_truth
    history = pq.read_table(gt / "mbi_history.parquet").to_pylist()
    counted = sorted(counted_months(built_aco, PERIOD))
    uncounted = [(r["current_mbi"], r["month"])
                 for r in pq.read_table(gt / "beneficiary_month.parquet").to_pylist()
                 if r["enrollment_type"] is None and PERIOD.start <= r["month"] <= PERIOD.end]
    changed = next(h for h in history
                   if any(m == h["current_mbi"] for m, _ in counted))
    month_of_changed = next(mo for m, mo in counted if m == changed["current_mbi"])
    rows = [(counted[0][0], counted[0][1], D("40.00")),
            (counted[5][0], counted[5][1], D("-12.34")),
            (changed["previous_mbi"], month_of_changed, D("25.50")),
            (counted[0][0], date(2025, 1, 1), D("99.00"))]
    if uncounted:
        rows.append((uncounted[0][0], uncounted[0][1], D("7.00")))
    return rows


@pytest.fixture(scope="module")
def ncbp_file(tmp_path_factory: pytest.TempPathFactory,
              ncbp_rows: list[tuple[str, date, Decimal]]) -> Path:
    path = tmp_path_factory.mktemp("ncbp") / "ncbp.csv"
    path.write_text("mbi,month,amount\n" + "".join(
        f"{m},{mo:%Y-%m},{a}\n" for m, mo, a in ncbp_rows), encoding="utf-8")
    return path


def test_beneficiary_rows_match_an_independent_computation(
        built_aco: BuiltAco, ncbp_file: Path,
        ncbp_rows: list[tuple[str, date, Decimal]]) -> None:
    with connect(built_aco.ws) as con:
        got = beneficiary_expenditures(con, period=PERIOD, runout=RUNOUT,
                                       ncbp=read_ncbp(ncbp_file))
        later = beneficiary_expenditures(con, period=PERIOD, runout=date(2025, 3, 31))
    expected = independent(built_aco, PERIOD, RUNOUT, ncbp_rows)
    assert {(r.mbi, r.enrollment_type): {"months": r.months, "paid": r.paid,
                                         "idu": r.ime + r.dsh + r.ucc, "ncbp": r.ncbp}
            for r in got.rows} == expected
    # the data exercise what is being checked
    assert len({r.enrollment_type for r in got.rows}) == 4
    assert any(r.ime + r.dsh + r.ucc for r in got.rows)
    assert all(r.paid == r.part_a_paid + r.part_b_paid + r.unknown_part_paid for r in got.rows)
    assert any(r.part_a_paid for r in got.rows) and any(r.part_b_paid for r in got.rows)
    assert sum(r.ncbp for r in got.rows) == D("53.16")  # 40.00 - 12.34 + 25.50
    assert got.excluded.ncbp_outside_period == 1
    assert got.excluded.ncbp == (D(7) if len(ncbp_rows) == 5 else D(0))
    assert sum(r.paid for r in later.rows) != sum(r.paid for r in got.rows)  # run-out matters


def test_opted_out_and_unassigned_months_are_not_counted(built_aco: BuiltAco) -> None:
    """The denominator is the counted person-month (fct_member_month.is_counted): the
    generated ACO has opted-out months (the CCLF8 does not list them, so they have no type),
    none counted; months an ALR does not list would not count either."""
    truth = pq.read_table(built_aco.ground_truth / "beneficiary_month.parquet").to_pylist()
    unassigned = known_unassigned(built_aco)
    typed = {(r["current_mbi"], r["month"]) for r in truth
             if r["enrollment_type"] in TYPE_BY_CODE and r["alive"]
             and PERIOD.start <= r["month"] <= PERIOD.end}
    opted = {(r["current_mbi"], r["month"]) for r in truth if r["opted_out"]
             and PERIOD.start <= r["month"] <= PERIOD.end}
    assert opted
    with connect(built_aco.ws) as con:
        got = beneficiary_expenditures(con, period=PERIOD, runout=None)
    assert sum(r.months for r in got.rows) == len(typed - opted - unassigned)


def test_table_10_matches_fraction_arithmetic(
        built_aco: BuiltAco, ncbp_file: Path,
        ncbp_rows: list[tuple[str, date, Decimal]]) -> None:
    ws = built_aco.ws
    params = load_parameters(ws, method="thresholds", completion_factor=str(CF),
                             thresholds={k: str(THRESHOLDS[t]) for k, t in zip(
                                 KEYS, THRESHOLDS, strict=True)},
                             ncbp_file=ncbp_file)
    with connect(ws) as con:
        result = compute(con, period=PERIOD, runout=RUNOUT, parameters=params)
        # row 2 (raw paid) is the Part A + Part B paid in counted months: the bridge
        raw = con.execute(
            "select sum(signed_paid_amount) from mart_expenditure_payment where is_counted "
            "and service_date between ? and ? and clm_idr_ld_dt <= ?",
            [PERIOD.start, PERIOD.end, RUNOUT]).fetchone()[0]
    expected = fraction_table_10(independent(built_aco, PERIOD, RUNOUT, ncbp_rows))
    table = {r.ref: r.values for r in result.table}
    assert table["2"]["TOTAL"] == raw
    tiny = Fraction(1, 10**9)
    for ref, per_col in expected.items():
        for col, value in per_col.items():
            assert abs(Fraction(table[ref][col]) - value) < tiny, (ref, col)
    truncated = [r for r in beneficiary_table(result.inputs, params).to_pylist()
                 if r["truncated"]]
    assert truncated and len(truncated) < len(result.inputs.rows)  # both branches taken
    summary = summary_table(result).to_pylist()
    assert [r["ref"] for r in summary] == [r.ref for r in result.table]
    row18 = next(r for r in summary if r["ref"] == "18")
    assert abs(Fraction(row18["total"]) - expected["18"]["TOTAL"]) <= Fraction(1, 10**6)
    assert {r["unit"] for r in summary} == {"dollars", "person_years"}
    assert {r["method"] for r in summary} == {"thresholds"}


def test_table_11_factor_method(built_aco: BuiltAco, tmp_path: Path) -> None:
    ws = copy_workspace(built_aco, tmp_path)
    factors = {"esrd": "0.0122", "disabled": "0.0578", "aged_dual": "0.0216",
               "aged_non_dual": "0.0450"}
    params = load_parameters(ws, method="factors", completion_factor="1.2828", factors=factors)
    with connect(ws) as con:
        result = compute(con, period=PERIOD, runout=RUNOUT, parameters=params)
    rows = independent(built_aco, PERIOD, RUNOUT, [])
    by_ref = {r.ref: r.values for r in result.table}
    for key, t in zip(KEYS, THRESHOLDS, strict=True):
        items = [r for (_, tt), r in rows.items() if tt is t]
        r9 = sum(Fraction(r["paid"]) / Fraction(98, 100) - Fraction(r["idu"]) for r in items)
        r14 = r9 * (1 - Fraction(D(factors[key]))) * Fraction(D("1.2828"))
        years = Fraction(sum(r["months"] for r in items), 12)
        assert abs(Fraction(by_ref["14"][t.value]) - r14) < Fraction(1, 10**9)
        assert abs(Fraction(by_ref["15"][t.value]) - years) < Fraction(1, 10**9)
    assert summary_table(result).column("unit").to_pylist().count("fraction") == 1


# --- canonical tables ---------------------------------------------------------------------------

def _without_period(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in PERIOD_COLUMNS} for r in rows]


def test_built_warehouse_has_the_parameter_free_rows(built_aco: BuiltAco) -> None:
    """Without `[expenditure]` the build stores the beneficiary rows (truncation columns NULL)
    for the PY to date, the quarters and the prior year, and no summary rows."""
    with connect(built_aco.ws) as con:
        periods = {p.period_id: p for p in data_periods(con, 2024)}
        stored = con.sql("select * from metric_expenditure_beneficiary").to_arrow_table()
        assert con.execute("select count(*) from metric_expenditure_summary").fetchone() == (0,)
        ytd = periods["py2024_ytd"]
        inputs = beneficiary_expenditures(con, period=Period(ytd.period_start, ytd.period_end),
                                          runout=None)
    rows = stored.to_pylist()
    assert stored.schema.names[:len(PERIOD_COLUMNS)] == list(PERIOD_COLUMNS)
    assert {r["period_kind"] for r in rows} <= {"performance_year_to_date", "quarter",
                                                 "prior_year"}
    assert _without_period([r for r in rows if r["period_id"] == "py2024_ytd"]) == \
        beneficiary_table(inputs, None).to_pylist()
    assert all(r["weighted"] is None for r in rows)


def test_canonical_tables_equal_an_ad_hoc_compute(built_aco: BuiltAco, tmp_path: Path) -> None:
    ws = copy_workspace(built_aco, tmp_path)
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + THRESHOLDS_TOML)
    params = load_parameters(ws)
    with connect(ws) as con:
        periods = data_periods(con, 2024)
        tables = canonical(con, ws, periods)
        q4 = next(p for p in periods if p.period_id == "2024-Q4")
        ad_hoc = compute(con, period=Period(q4.period_start, q4.period_end), runout=None,
                         parameters=params)
    summary = [r for r in tables["expenditure_summary"].to_pylist() if r["period_id"] == "2024-Q4"]
    assert summary and _without_period(summary) == summary_table(ad_hoc).to_pylist()
    assert all(r["as_of_date"] == q4.as_of_date for r in summary)
    beneficiaries = [r for r in tables["expenditure_beneficiary"].to_pylist()
                     if r["period_id"] == "2024-Q4"]
    assert _without_period(beneficiaries) == beneficiary_table(ad_hoc.inputs, params).to_pylist()


# --- CLI ----------------------------------------------------------------------------------------

def copy_workspace(aco: BuiltAco, tmp_path: Path) -> Workspace:
    """A workspace of its own (own aco.toml) over a copy of the built warehouse, so the shared
    fixture is never modified."""
    ws = init_workspace(tmp_path / "ws", aco_id=aco.ws.aco_id, performance_year=2024)
    ws.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(aco.ws.warehouse_path, ws.warehouse_path)
    return ws


def test_cli_prints_and_writes_nothing(built_aco: BuiltAco, ncbp_file: Path,
                                       tmp_path: Path) -> None:
    if built_aco.ws.engine == "spark":
        pytest.skip("the CLI test copies the DuckDB warehouse file")
    ws = copy_workspace(built_aco, tmp_path)
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + THRESHOLDS_TOML)
    with connect(ws) as con:
        stored_before = con.execute(
            "select * from metric_expenditure_beneficiary order by all").fetchall()
    runner = CliRunner()
    args = ["report", "expenditure", "-w", str(ws.root), "--from", "2024-10-01",
            "--to", "2024-12-31", "--runout", RUNOUT.isoformat(), "--ncbp", str(ncbp_file)]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout, parse_float=D)
    with connect(ws) as con:
        expected = summary_table(compute(con, period=PERIOD, runout=RUNOUT,
                                         parameters=load_parameters(
                                             ws, ncbp_file=ncbp_file))).to_pylist()
    assert [r["ref"] for r in printed["rows"]] == [r["ref"] for r in expected]
    for p, q in zip(printed["rows"], expected, strict=True):
        money = q["unit"] == "dollars"
        for col in ("total", "esrd", "disabled", "aged_dual", "aged_non_dual"):
            value = q[col]
            assert p[col] == (None if value is None else
                              value.quantize(D("0.01")) if money else value), (q["ref"], col)
    notes = " ".join(printed["notes"])
    assert "completion factor 1.072" in notes and "overridden by --ncbp" in notes
    assert f"claims loaded by {RUNOUT.isoformat()}" in notes and "ncbp.csv" in notes

    res = runner.invoke(app, [*args, "--completion-factor", "1.5", "--by", "beneficiary",
                              "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("mr_mbi,enrollment_type,counted_months,person_years,total_paid,")
    assert len(lines) - 1 == len(beneficiary_expenditures_of(ws, ncbp_file).rows)
    res = runner.invoke(app, args)  # the terminal table (default)
    assert res.exit_code == 0 and "Total raw expenditures" in res.stdout
    with connect(ws) as con:  # an ad-hoc run writes nothing
        assert con.execute("select * from metric_expenditure_beneficiary "
                           "order by all").fetchall() == stored_before

    res = runner.invoke(app, [*args, "--method", "factors", "--format", "csv"])
    assert res.exit_code == 1
    assert "truncation_factors.esrd missing" in res.output
    assert "aco.toml [expenditure]" in " ".join(res.output.split())

    bad = write(tmp_path / "bad.csv", f"mbi,month,amount\n{MBI_A},2024-10,x\n")
    res = runner.invoke(app, [*args[:-1], str(bad), "--format", "csv"])
    assert res.exit_code == 1 and "line 2, field amount" in " ".join(res.output.split())
    assert MBI_A not in res.output


def beneficiary_expenditures_of(ws: Workspace, ncbp_file: Path) -> BeneficiaryInputs:
    with connect(ws) as con:
        return beneficiary_expenditures(con, period=PERIOD, runout=RUNOUT,
                                        ncbp=read_ncbp(ncbp_file))
