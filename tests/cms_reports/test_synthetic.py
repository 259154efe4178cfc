"""The synthetic CMS reports (`synth.cms_reports`): written from a small synthetic ACO, read
back with the package's own readers, and checked against the ground truth and the generator's
files. The last test is the tie-out the CMS guide describes: our CCLF replication (the
warehouse's Table 11) equals the report's CCLF-visible part to the last digit."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from aco_pipeline.cms_reports.deliveries import latest, superseded
from aco_pipeline.cms_reports.names import parse_report_name
from aco_pipeline.cms_reports.projection import project
from aco_pipeline.cms_reports.projection_inputs import inputs_from_cells
from aco_pipeline.cms_reports.read import ReportRead, read_report
from aco_pipeline.synth import cms_reports as synth
from aco_pipeline.synth import generate
from aco_pipeline.synth.cms_reports import write_cms_reports

ACO = "A9999"


@dataclass
class Reports:
    out: Path
    ground_truth: Path
    deliveries: Path
    truth: dict[str, Any]
    read: dict[str, ReportRead]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    root = tmp_path_factory.mktemp("cms")
    generate(root / "syn", beneficiaries=150, start="2024-01", months=6, seed=5, aco_id=ACO)
    out = root / "reports"
    summary = write_cms_reports(out, root / "syn" / "ground_truth", aco_id=ACO, seed=5,
                                deliveries_dir=root / "syn" / "deliveries")
    assert summary.ground_truth is not None
    truth = json.loads(summary.ground_truth.read_text())
    read = {p.name: read_report(p) for p in summary.files}
    return Reports(out, root / "syn" / "ground_truth", root / "syn" / "deliveries", truth, read)


def test_every_file_is_recognised_and_read_without_issues(reports: Reports) -> None:
    kinds = set()
    for name, r in reports.read.items():
        assert parse_report_name(name, is_dir=(reports.out / name).is_dir()) is not None
        assert r.issues == [], (name, [str(i) for i in r.issues])
        kinds.add(r.name.kind)
    assert kinds == {"qexpu", "bnmrk", "ncbp", "beur", "mbi_crosswalk", "participant_list",
                     "mcqm"}
    tables = {k for r in reports.read.values() for k in r.tables}
    assert {"qexpu_cells", "bnmrk_cells", "aexpu_cells", "mcqm_dm_001ssp"} <= tables


def _value(cells: Any, sheet: str, section: str, row: str, column: str) -> str:
    t = cells.filter(pc.and_(pc.and_(pc.equal(cells["sheet"], sheet),
                                     pc.equal(cells["section_label"], section)),
                             pc.and_(pc.equal(cells["row_label"], row),
                                     pc.equal(cells["column_label"], column))))
    values = t.column("value_text").to_pylist()
    assert len(values) == 1, (sheet, section, row, column)
    return str(values[0])


def test_qexpu_table_1_prints_the_ground_truth(reports: Reports) -> None:
    for q in reports.truth["qexpu"]:
        cells = reports.read[q["bundle"]].tables["qexpu_cells"]
        assert set(cells.column("period").to_pylist()) == {q["quarter"]}
        for key, label in [("TOTAL", "Total"), *((t.value, synth.EU_LABEL[t])
                                                 for t in synth.TYPES)]:
            text = _value(cells, "Table_1-Aggregate_EU_Report", "Total Expenditures Per Capita",
                          label, "ACO-Specific")
            expected = q["per_capita"][key]
            assert (Decimal(text) if text != "-" else None) == (
                Decimal(expected) if expected is not None else None)
            py = _value(cells, "Table_1-Aggregate_EU_Report", "Person Years", label,
                        "ACO-Specific")
            assert Decimal(py) == Decimal(q["person_years_printed"][key])


def test_a_qexpu_redelivery_supersedes_and_bnmrk_deliveries_stand_beside(
        reports: Reports) -> None:
    names = [r.name for r in reports.read.values()] + [
        parse_report_name(m.rsplit("/", 1)[-1]) for r in reports.read.values()
        for m in r.members if r.name.kind == "qexpu"]
    inner = [n for n in names if n is not None and n.kind == "qexpu" and n.period]
    expected = {q["file"] for q in reports.truth["qexpu"] if q["superseded_by"]}
    assert superseded(inner) == expected and len(expected) == 1
    bn = [r.name for r in reports.read.values() if r.name.kind == "bnmrk"]
    assert latest(bn) == {b["bundle"]: b["latest"] for b in reports.truth["bnmrk"]}
    march = next(b for b in reports.truth["bnmrk"] if b["delivery"] == "March preliminary")
    sheets = set(reports.read[march["bundle"]].tables["bnmrk_cells"].column("sheet").to_pylist())
    assert "Table 6 - ACPT" not in sheets and not march["has_table_6"]


def test_the_projection_from_the_read_files_equals_the_ground_truth(reports: Reports) -> None:
    expected = {(p["quarter"], p["benchmark_delivery"]): p for p in reports.truth["projection"]}
    current = [q for q in reports.truth["qexpu"] if not q["superseded_by"]]
    seen = 0
    for b in reports.truth["bnmrk"]:
        tables = reports.read[b["bundle"]].tables
        aexpu = tables["aexpu_cells"]
        by3 = aexpu.filter(pc.equal(aexpu["benchmark_year"], pc.max(aexpu["benchmark_year"])))
        for q in current:
            x = inputs_from_cells(quarter=q["quarter"],
                                  qexpu=reports.read[q["bundle"]].tables["qexpu_cells"],
                                  aexpu_by3=by3, bnmrk=tables["bnmrk_cells"],
                                  agreement_year=reports.truth["agreement_year"])
            pr = project(x)
            e = expected[(q["quarter"], b["bundle"])]
            assert (pr.status, pr.calculable, list(pr.not_calculable)) == (
                e["status"], e["calculable"], e["not_calculable"])
            assert str(pr.p) == str(e["p"]) and str(pr.r) == str(e["r"])
            seen += 1
            if b["has_table_6"]:
                assert pr.calculable and pr.r is not None
                if q is current[-1]:  # the benchmark is set on the latest quarter
                    # near its MSR: person years printed whole move [O] a little
                    assert abs(pr.r - Decimal(b["target_savings_rate"])) < Decimal("0.02")
            else:
                assert pr.not_calculable[0] == "[J] ESRD"
    assert seen == len(expected)


def test_the_hidden_components_are_exactly_the_difference(reports: Reports) -> None:
    """CMS's paid = the CCLF-visible paid + the opted-out months' + the substance-use claims',
    and its person-years = the visible ones + the opted-out months (guide, "ACO differences
    regarding the CCLFs")."""
    claims = synth.load_claims(reports.ground_truth)
    hidden = synth.draw_hidden(claims, 5)
    assert hidden.optout_paid and hidden.sud_paid  # the scenario has both
    for q in reports.truth["qexpu"]:
        if q["superseded_by"]:
            continue
        months = [date(2024, m, 1) for m in range(1, int(q["quarter"][-1]) * 3 + 1)]
        cms = synth._rows(claims, hidden, months, cms_view=True)
        visible = synth._rows(claims, hidden, months, cms_view=False)
        gap = sum((r.paid for r in cms), Decimal(0)) - sum((r.paid for r in visible), Decimal(0))
        named = q["hidden_components"]
        assert gap == Decimal(named["optout_paid"]) + Decimal(named["substance_use_paid"])
        assert gap > 0
        opted = Decimal(q["declined_data_sharing"]["person_years"])
        assert Decimal(q["person_years_unrounded"]["TOTAL"]) == Decimal(
            q["cclf_visible_replication"]["person_years"]["TOTAL"]) + opted
        # the opted-out months were counted by CMS, not by the CCLF view
        assert sum(r.months for r in cms) - sum(r.months for r in visible) == opted * 12


def _dec(d: dict[str, str | None]) -> dict[str, Decimal | None]:
    return {k: Decimal(v) if v is not None else None for k, v in d.items()}


def test_ncbp_file_agrees_with_table_1(reports: Reports) -> None:
    totals: dict[int, Decimal] = {}
    for n in reports.truth["ncbp"]:
        t = reports.read[n["file"]].tables["ncbp"]
        totals[int(n["file"].split(".")[4][-1])] = sum(
            (Decimal(v) for v in t.column("PAYMENT_AMT").to_pylist()), Decimal(0))
        assert str(totals[max(totals)]) == n["total"]
    for q in reports.truth["qexpu"]:
        if q["superseded_by"]:
            continue
        cells = reports.read[q["bundle"]].tables["qexpu_cells"]
        printed = _value(cells, "Table_1-Aggregate_EU_Report", "Non-Claims Based Payments",
                         "Total Non-Claims Based Payments", "ACO-Specific")
        ytd = sum((v for k, v in totals.items() if k <= int(q["quarter"][-1])), Decimal(0))
        assert Decimal(printed) == ytd


def test_beur_agrees_with_cclf8_enrollment_except_where_recorded(reports: Reports) -> None:
    bm = pq.read_table(reports.ground_truth / "beneficiary_month.parquet").to_pylist()
    expect: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in bm:
        if r["enrollment_type"] in (1, 2, 3, 4) and r["alive"] and not r["opted_out"]:
            q = (r["month"].month - 1) // 3 + 1
            expect[(r["current_mbi"], str(q))][r["enrollment_type"] - 1] += 1
    beur = reports.truth["beur"]
    rows = reports.read[beur["file"]].tables["beur"].to_pylist()
    differs = {(d["mbi"], d["quarter"]) for d in beur["differs_from_cclf8"]}
    assert len(rows) == len(expect) == beur["rows"]
    for r in rows:
        months = expect[(r["BENE_MBI_ID"], r["RPT_QTR_NUM"])]
        got = [Decimal(r[c]) for c in ("ESRD_FRAC", "DSBL_FRAC", "AGDU_FRAC", "AGND_FRAC")]
        if (r["BENE_MBI_ID"], r["RPT_QTR_NUM"]) in differs:
            assert months[0] > 0  # a recorded difference is a moved ESRD month
            months = [0, months[1], months[2], months[3] + months[0]]
        assert got == [(Decimal(m) / 12).quantize(Decimal("0.0001")) for m in months]


def test_participant_list_and_mcqm_follow_the_alr(reports: Reports) -> None:
    alr = sorted(reports.deliveries.glob("*.QALR.*.zip"))[-1]
    with zipfile.ZipFile(alr) as z:
        t14 = list(csv.DictReader(io.StringIO(z.read(
            next(n for n in z.namelist() if n.endswith("_1-4.csv"))).decode())))
        t11 = list(csv.DictReader(io.StringIO(z.read(
            next(n for n in z.namelist() if n.endswith("_1-1.csv"))).decode())))
    plist = reports.read[reports.truth["participant_list"]["file"]].tables
    assert set(plist["participants"].column("TIN").to_pylist()) == {r["TIN"] for r in t14}
    sexes = {r["BENE_MBI_ID"]: r["BENE_SEX_CD"] for r in t11}
    mcqm = reports.read[reports.truth["mcqm"]["bundle"]].tables
    benes = mcqm["mcqm_medicare_cqm_beneficiaries"].column("BENE_MBI_ID").to_pylist()
    assert benes and set(benes) <= set(sexes)
    assert len(benes) == reports.truth["mcqm"]["rows"]["Medicare_CQM_Beneficiaries"]
    bcs = mcqm["mcqm_bcs_112ssp"].column("BENE_MBI_ID").to_pylist()
    assert all(sexes[m] == "2" for m in bcs) and set(bcs) <= set(benes)


def test_same_seed_same_reports(reports: Reports, tmp_path: Path) -> None:
    gt = tmp_path / "gt"
    gt.mkdir()
    for p in reports.ground_truth.glob("*.parquet"):
        (gt / p.name).write_bytes(p.read_bytes())
    write_cms_reports(tmp_path / "again", gt, aco_id=ACO, seed=5,
                      deliveries_dir=reports.deliveries)
    assert json.loads((gt / "cms_reports.json").read_text()) == reports.truth
    for name, r in reports.read.items():
        again = read_report(tmp_path / "again" / name)
        for key, table in r.tables.items():
            assert again.tables[key].equals(table), (name, key)


def test_without_a_complete_quarter_it_refuses(tmp_path: Path) -> None:
    generate(tmp_path / "syn", beneficiaries=20, start="2024-01", months=2, seed=1, aco_id=ACO)
    with pytest.raises(synth.CmsReportsSynthError, match="no complete calendar quarter"):
        write_cms_reports(tmp_path / "out", tmp_path / "syn" / "ground_truth", aco_id=ACO)


def test_our_cclf_replication_ties_out_to_the_synthetic_qexpu(built_aco: Any,
                                                              tmp_path: Path) -> None:
    """The CMS guide's tie-out on the built synthetic ACO: the warehouse's Table 11
    (`metrics.expenditure_report`) equals the QEXPU's CCLF-visible part, and what is left is
    the hidden components the ground truth names."""
    from aco_pipeline.metrics import expenditure_report as er
    from aco_pipeline.warehouse.read import connect

    gt = tmp_path / "gt"
    gt.mkdir()
    for p in built_aco.ground_truth.glob("*.parquet"):
        (gt / p.name).write_bytes(p.read_bytes())
    deliveries = built_aco.ground_truth.parent / "deliveries"
    summary = write_cms_reports(tmp_path / "out", gt, aco_id=ACO, seed=7,
                                performance_year=2024, deliveries_dir=deliveries)
    truth = json.loads(summary.ground_truth.read_text())  # type: ignore[union-attr]
    rows = []
    for n in truth["ncbp"]:
        t = read_report(tmp_path / "out" / n["file"]).tables["ncbp"]
        rows += zip(t.column("BENE_MBI_ID").to_pylist(), t.column("PAYMENT_MONTH").to_pylist(),
                    t.column("PAYMENT_AMT").to_pylist(), strict=True)
    ncbp = tmp_path / "ncbp.csv"
    ncbp.write_text("mbi,month,amount\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    params = er.ExpenditureParameters(er.Method.factors, synth.DEFAULT_COMPLETION_FACTOR, {},
                                      synth.DEFAULT_TRUNCATION_FACTORS, ncbp)
    current = [q for q in truth["qexpu"] if not q["superseded_by"]]
    assert current
    with connect(built_aco.ws) as con:
        for q in current:
            quarter = int(q["quarter"][-1])
            end = date(2024, quarter * 3 + 1, 1) if quarter < 4 else date(2025, 1, 1)
            period = er.Period(date(2024, 1, 1), date.fromordinal(end.toordinal() - 1))
            result = er.compute(con, period=period, runout=None, parameters=params)
            table = {r.ref: r.values for r in result.table}
            visible = q["cclf_visible_replication"]
            assert {k: str(v) for k, v in table["16"].items()} == {
                k: str(v) for k, v in visible["per_capita"].items()}
            assert {k: str(v) for k, v in table["15"].items()} == {
                k: str(v) for k, v in visible["person_years"].items()}


def _all(reports: Reports, key: str) -> Any:
    import pyarrow as pa

    return pa.concat_tables([r.tables[key] for r in reports.read.values() if key in r.tables])


def test_the_projection_metric_over_every_delivery(reports: Reports) -> None:
    """Every quarter x every BNMRK delivery from the lake-shaped tables: the superseded QEXPU
    is not used, the March pairing is kept and flagged, the latest BNMRK is marked."""
    from aco_pipeline.cms_reports.projection_inputs import projection_table

    table = projection_table(qexpu_cells=_all(reports, "qexpu_cells"),
                             bnmrk_cells=_all(reports, "bnmrk_cells"),
                             aexpu_cells=_all(reports, "aexpu_cells"),
                             agreement_year=reports.truth["agreement_year"])
    totals = [r for r in table.to_pylist() if r["enrollment_type"] == "TOTAL"]
    expected = {(p["quarter"], p["benchmark_delivery"]): p for p in reports.truth["projection"]}
    assert {(r["quarter"], r["benchmark_delivery"]) for r in totals} == set(expected)
    latest_bundle = next(b["bundle"] for b in reports.truth["bnmrk"] if b["latest"])
    for r in totals:
        e = expected[(r["quarter"], r["benchmark_delivery"])]
        assert (r["status"], r["calculable"]) == (e["status"], e["calculable"])
        if e["r"] is not None:
            assert r["r_savings_rate"] == Decimal(e["r"]).quantize(Decimal("1e-12"))
        assert r["benchmark_is_latest"] is (r["benchmark_delivery"] == latest_bundle)
    assert table.num_rows == 5 * len(expected)


def test_write_parquet_lands_every_table(reports: Reports, tmp_path: Path) -> None:
    from aco_pipeline.cms_reports.read import write_parquet

    r = next(r for r in reports.read.values() if r.name.kind == "bnmrk")
    paths = write_parquet(r, tmp_path)
    assert set(paths) == {"bnmrk_cells", "aexpu_cells"}
    for key, path in paths.items():
        assert pq.read_table(path).equals(r.tables[key])


def test_damaged_files_give_a_clear_error_or_issues_never_a_traceback(
        reports: Reports) -> None:
    """Truncated, overwritten and cut copies of every kind of synthetic file (seeded)."""
    import random

    from aco_pipeline.cms_reports.errors import CmsReportError

    files: list[tuple[str, bytes]] = []
    for path in sorted(reports.out.iterdir()):
        inner = sorted(path.iterdir()) if path.is_dir() else [path]
        files += [(p.name, p.read_bytes()) for p in inner]
    rng = random.Random(14)
    errors = 0
    for name, data in files:
        for i in range(12):
            d = bytearray(data)
            if i % 3 == 0:
                d = d[: rng.randrange(len(d))]
            elif i % 3 == 1:
                for _ in range(rng.randrange(1, 20)):
                    d[rng.randrange(len(d))] = rng.randrange(256)
            else:
                cut = rng.randrange(len(d))
                d[cut:cut + rng.randrange(1, 200)] = b""
            try:
                read_report(bytes(d), name=name)
            except CmsReportError as exc:
                assert name.split(".")[1] in str(exc)  # names the file
                errors += 1
    assert errors > 0
