"""End to end on generated deliveries: land, verify, parse, publish; idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.ingest.cclf0 import parse_cclf0
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.layouts import CLAIM_FILE_TYPES, lake_schema

from .helpers import cclf_bundles, deliveries_in, extract, lake_snapshot, new_workspace


def test_ingest_publishes_every_delivery_exactly(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    outcomes = ingest(ws, deliveries_in(small_inbox))
    assert outcomes, "nothing ingested"
    assert {o.status for o in outcomes} == {"published"}, [o.message for o in outcomes]

    bundles = cclf_bundles(small_inbox)
    con = duckdb.connect()
    for bundle in bundles:
        files = extract(bundle, tmp_path / "x" / bundle.name)
        counts = parse_cclf0(files["CCLF0"].read_bytes(), files["CCLF0"].name)
        ddir = ws.lake_dir / "parsed" / f"delivery={bundle.name}"
        manifest = json.loads((ddir / "_manifest.json").read_text())
        assert manifest["raw_files"][0]["name"] == bundle.name
        for ft in CLAIM_FILE_TYPES:
            part = ddir / ft.lower() / "part-0.parquet"
            src = f"read_parquet('{part}', hive_partitioning = false)"
            rel = con.execute(f"select * from {src}")
            rows = rel.fetchall()
            assert len(rows) == counts[ft].record_count, ft
            got = con.execute(f"describe select * from {src}").fetchall()
            assert [r[0] for r in got] == lake_schema(ft).names
            if rows:  # lineage: line numbers 1..n, source file is the inner file
                meta = con.execute(
                    f"select min(line_number), max(line_number), count(distinct source_file),"
                    f" any_value(source_file) from {src}").fetchone()
                assert meta[:3] == (1, len(rows), 1)
                assert meta[3] == files[ft].name
    # the raw copy is the bytes received, read-only
    raw = ws.raw_dir / ws.aco_id / bundles[0].name / bundles[0].name
    assert raw.read_bytes() == bundles[0].read_bytes()
    assert not raw.stat().st_mode & 0o222


def test_same_bytes_twice_change_nothing(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    ingest(ws, deliveries_in(small_inbox))
    before = lake_snapshot(ws)
    again = ingest(ws, deliveries_in(small_inbox))
    assert {o.status for o in again} == {"unchanged"}
    assert all("nothing changed" in o.message for o in again)
    assert lake_snapshot(ws) == before


def test_loose_files_arriving_in_pieces(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    files = extract(bundle, tmp_path / "loose")
    first = [files[ft] for ft in ("CCLF0", "CCLF1", "CCLF2")]
    out = ingest(ws, first)
    assert [o.status for o in out] == ["incomplete"]
    assert "missing CCLF3" in out[0].message
    assert lake_snapshot(ws) == {}
    out = ingest(ws, [p for ft, p in files.items() if ft not in ("CCLF0", "CCLF1", "CCLF2")])
    assert [o.status for o in out] == ["published"]


def test_other_aco_and_unknown_files_rejected(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    other = tmp_path / "P.A1111.BNEX.Y24.D240115.T1200000.xml"
    other.write_text("<PFDCACOBeneData/>")
    out = ingest(ws, [odd, other])
    assert [o.status for o in out] == ["rejected", "rejected"]
    assert "not a recognised CMS file name" in out[0].message
    assert "belongs to A1111, this workspace is A9999" in out[1].message
    assert not (ws.raw_dir / "A1111").exists()


def test_cli_ingest_and_status(tmp_path: Path, small_inbox: Path) -> None:
    runner = CliRunner()
    ws_dir = tmp_path / "ws"
    r = runner.invoke(app, ["init", str(ws_dir), "--aco-id", "A9999"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["ingest", *map(str, deliveries_in(small_inbox)),
                            "--workspace", str(ws_dir)])
    assert r.exit_code == 0, r.output
    assert "published" in r.output
    r = runner.invoke(app, ["status", "--workspace", str(ws_dir), "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    kinds = {row["kind"] for row in rows}
    assert {"cclf", "alr", "bnex"} <= kinds
    assert all(row["status"] == "published" for row in rows)
    monthly = [row for row in rows if row["kind"] == "cclf"]
    assert all(row["performance_year"] == 2024 for row in monthly)
    r = runner.invoke(app, ["status", "--workspace", str(ws_dir), "--checks"],
                      env={"COLUMNS": "300"})
    assert r.exit_code == 0 and "record count = CCLF0" in r.output


@pytest.mark.parametrize("missing", ["nope"])
def test_missing_path_is_reported(tmp_path: Path, missing: str) -> None:
    ws = new_workspace(tmp_path / "ws")
    out = ingest(ws, [tmp_path / missing])
    assert out[0].status == "rejected" and "no such file or folder" in out[0].message


def test_alr_zip_of_tables(tmp_path: Path, small_inbox: Path) -> None:
    import zipfile

    ws = new_workspace(tmp_path / "ws")
    generated = next(p for p in deliveries_in(small_inbox) if "ALR" in p.name)
    with zipfile.ZipFile(generated) as zf:  # the generator's ALR zip: take its Table 1-1
        name = next(n for n in zf.namelist() if n.endswith("_1-1.csv"))
        table = zf.read(name)
    stem = name.rsplit("_", 1)[0]
    z = tmp_path / f"{stem}.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(name, table)
        zf.writestr("README.txt", "not a table")
    out = ingest(ws, [z])
    assert [o.status for o in out] == ["published"], out[0].message
    ddir = ws.lake_dir / "parsed" / f"delivery={stem}"
    rows = duckdb.sql(f"select count(*) from '{ddir}/alr_1_1/part-0.parquet'").fetchall()[0]
    assert rows is not None and rows[0] > 0
    manifest = json.loads((ddir / "_manifest.json").read_text())
    assert any(c["file"] == "README.txt" and c["warning"] for c in manifest["checks"])
