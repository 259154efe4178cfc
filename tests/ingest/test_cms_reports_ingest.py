"""`aco ingest` on CMS's own report files (BNMRK, QEXPU, NCBP, BEUR, MBI, PATB, MCQM) as
`aco synth --cms-reports` writes them: recognised by name, landed raw with sha256 in the
ledger, read into cell-grain / text Parquet parts published with their manifest, listed by
`aco status` with their period; a damaged one quarantined; the same bytes again change
nothing; `aco verify` clean."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.cms_reports.names import parse_report_name
from aco_pipeline.cms_reports.workbook import CELL_SCHEMA
from aco_pipeline.config import Workspace
from aco_pipeline.ingest.ledger import Ledger
from aco_pipeline.ingest.pipeline import Outcome, ingest, ledger_path
from aco_pipeline.synth import generate

from .helpers import ACO, lake_snapshot, new_workspace


@dataclass(frozen=True)
class Reports:
    folder: Path  # only the report files and bundles
    names: list[str]
    ground_truth: Path


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    """60 beneficiaries, 2024-01..04 (one complete quarter), with the CMS reports."""
    root = tmp_path_factory.mktemp("reports")
    summary = generate(root / "syn", beneficiaries=60, start="2024-01", months=4, seed=3,
                       aco_id=ACO, cms_reports=True)
    folder = root / "inbox"
    folder.mkdir()
    for p in summary.cms_report_files:
        (shutil.copytree if p.is_dir() else shutil.copy)(p, folder / p.name)
    (folder / "README.md").write_text("what CMS sent\n")
    return Reports(folder, sorted(p.name for p in summary.cms_report_files),
                   root / "syn" / "ground_truth")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory,
             reports: Reports) -> tuple[Workspace, list[Outcome]]:
    ws = new_workspace(tmp_path_factory.mktemp("ws") / "ws")
    return ws, ingest(ws, [reports.folder])


def _cli(args: list[str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, args, env={"COLUMNS": "250"})


def test_synth_writes_every_report_only_on_request(tmp_path: Path, reports: Reports) -> None:
    kinds = {parse_report_name(n, is_dir=(reports.folder / n).is_dir()).kind  # type: ignore[union-attr]
             for n in reports.names}
    assert kinds == {"qexpu", "bnmrk", "ncbp", "beur", "mbi_crosswalk", "participant_list",
                     "mcqm"}
    assert (reports.ground_truth / "cms_reports.json").is_file()
    plain = generate(tmp_path / "plain", beneficiaries=20, start="2024-01", months=3, seed=1,
                     aco_id=ACO)
    assert plain.cms_report_files == []
    assert not (tmp_path / "plain" / "ground_truth" / "cms_reports.json").exists()


def test_every_report_is_published_with_its_raw_copy_and_parts(
        ingested: tuple[Workspace, list[Outcome]], reports: Reports) -> None:
    ws, outcomes = ingested
    published = {o.delivery_id for o in outcomes if o.status == "published"}
    expected = {parse_report_name(n, is_dir=(reports.folder / n).is_dir()).delivery_id  # type: ignore[union-attr]
                for n in reports.names}
    assert published == expected, outcomes
    assert [o.status for o in outcomes if o.status != "published"] == ["skipped"]  # README
    ledger = Ledger(ledger_path(ws))
    try:
        raw = {str(r["name"]): r for r in ledger.raw_files()}
    finally:
        ledger.close()
    sent = [p for n in reports.names for p in ((reports.folder / n).iterdir()
            if (reports.folder / n).is_dir() else [reports.folder / n])]
    assert sorted(raw) == sorted(p.name for p in sent)
    for p in sent:
        row = raw[p.name]
        assert row["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
        copy = ws.root / str(row["raw_path"])
        assert copy.read_bytes() == p.read_bytes()
    qexpu = sorted((ws.lake_dir / "parsed").glob("delivery=*.QEXPU.*/qexpu_cells/part-0.parquet"))
    assert len(qexpu) == 2
    table = pq.read_table(qexpu[0])
    assert table.schema.equals(CELL_SCHEMA) and table.num_rows > 0
    row = table.slice(0, 1).to_pylist()[0]
    assert row["aco_id"] == ACO and row["period"] == "2024Q1" and row["delivery_date"]
    assert row["source_file"].endswith(".xlsx") and row["bundle"] in qexpu[0].parts[-3]
    manifest = json.loads((qexpu[0].parents[1] / "_manifest.json").read_text())
    assert manifest["kind"] == "qexpu" and manifest["status"] == "published"
    assert any(p["path"].endswith("qexpu_cells/part-0.parquet") for p in manifest["parts"])
    assert {"participants", "providers_suppliers"} <= {
        p.parent.name for p in (ws.lake_dir / "parsed").glob("delivery=*.PATB.*/*/*.parquet")}


def test_status_lists_the_reports_with_their_period(
        ingested: tuple[Workspace, list[Outcome]]) -> None:
    ws, _ = ingested
    r = _cli(["status", "--workspace", str(ws.root), "--json"])
    assert r.exit_code == 0, r.output
    kinds = {row["kind"] for row in json.loads(r.output)}
    assert {"qexpu", "bnmrk", "ncbp", "beur", "mbi_crosswalk", "participant_list",
            "mcqm"} <= kinds
    r = _cli(["status", "--workspace", str(ws.root)])
    assert r.exit_code == 0, r.output
    qexpu_lines = [line for line in r.output.splitlines() if ".ACO.QEXPU." in line]
    assert len(qexpu_lines) == 2 and all("2024Q1" in line for line in qexpu_lines)
    bnmrk = [line for line in r.output.splitlines() if ".ACO.BNMRK." in line]
    assert len(bnmrk) == 3 and all("as of 2024-" in line for line in bnmrk)


def test_verify_is_clean_after_ingesting_reports(
        ingested: tuple[Workspace, list[Outcome]]) -> None:
    ws, _ = ingested
    r = _cli(["verify", "--workspace", str(ws.root), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["findings"] == []


def test_the_same_bytes_again_change_nothing(
        ingested: tuple[Workspace, list[Outcome]], reports: Reports) -> None:
    ws, _ = ingested
    before = lake_snapshot(ws)
    again = ingest(ws, [reports.folder])
    assert {o.status for o in again} == {"unchanged", "skipped"}, again
    assert lake_snapshot(ws) == before


def test_a_damaged_report_is_quarantined_naming_the_file(tmp_path: Path,
                                                         reports: Reports) -> None:
    [name] = [n for n in reports.names if ".NCBPQ." in n]
    data = (reports.folder / name).read_bytes()
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / name).write_bytes(data[: len(data) // 2])  # a truncated (extension-less) zip
    ws = new_workspace(tmp_path / "ws")
    [out] = ingest(ws, [folder])
    assert out.status == "quarantined", out
    assert name in out.message and "PAYMENT" not in out.message
    report = json.loads((ws.quarantine_dir / f"{name}.json").read_text())
    assert name in report["error"]
    assert not (ws.lake_dir / "parsed" / f"delivery={name}").exists()
    assert (ws.raw_dir / ACO / name / name).read_bytes() == data[: len(data) // 2]
    [again] = ingest(ws, [folder])
    assert again.status == "unchanged"


def test_an_unknown_column_is_a_warning_not_fatal(tmp_path: Path, reports: Reports) -> None:
    [name] = [n for n in reports.names if ".BEUR." in n]
    lines = (reports.folder / name).read_text().splitlines()
    folder = tmp_path / "inbox"
    folder.mkdir()
    extra = [f"{lines[0]},NEW_FIELD", *(f"{line},x" for line in lines[1:])]
    (folder / name).write_text("\n".join(extra) + "\n")
    ws = new_workspace(tmp_path / "ws")
    [out] = ingest(ws, [folder])
    assert out.status == "published", out
    [part] = (ws.lake_dir / "parsed").glob("delivery=*/beur/part-0.parquet")
    assert "NEW_FIELD" in pq.read_schema(part).names
    r = _cli(["status", "--workspace", str(ws.root), "--json"])
    [row] = json.loads(r.output)
    assert any("NEW_FIELD" in w for w in row["warnings"]), row["warnings"]
