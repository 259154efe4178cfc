"""`aco ingest FOLDER` on a folder that also holds non-CMS files: those are skipped with a
one-line notice each, the exit code comes from the CMS files; a damaged file with a
CMS-looking name is still an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.naming import looks_like_cms

from .helpers import ACO, cclf_bundles, deliveries_in, new_workspace


def _mixed_folder(small_inbox: Path, folder: Path) -> Path:
    folder.mkdir()
    for p in deliveries_in(small_inbox):
        shutil.copy(p, folder / p.name)
    (folder / "README.md").write_text("# what CMS sent this month\n")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    truth = folder / "ground_truth"
    truth.mkdir()
    pq.write_table(pa.table({"bene": [1, 2]}), truth / "beneficiaries.parquet")
    return folder


def _cli(args: list[str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, args, env={"COLUMNS": "80"})


def test_non_cms_files_are_skipped_with_a_notice(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    folder = _mixed_folder(small_inbox, tmp_path / "inbox")
    r = _cli(["ingest", str(folder), "--workspace", str(ws.root)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    skipped = [ln for ln in lines if ln.startswith("skipped")]
    assert len(skipped) == 3, r.output
    for name in ("README.md", ".DS_Store", "beneficiaries.parquet"):
        [line] = [ln for ln in skipped if name in ln]  # one line each, even at 80 columns
        assert str(folder) in line
    published = [ln for ln in lines if ln.startswith("published")]
    assert len(published) == len(deliveries_in(small_inbox))


def test_the_generators_output_folder_ingests(tmp_path: Path, small_inbox: Path) -> None:
    """`aco synth --out DIR` then `aco ingest DIR`: the ground truth is skipped."""
    ws = new_workspace(tmp_path / "ws")
    out = ingest(ws, [small_inbox.parent])
    statuses = {o.status for o in out}
    assert statuses == {"published", "skipped"}, [o.message for o in out]
    assert all("ground_truth" in o.message for o in out if o.status == "skipped")


def test_a_damaged_cms_file_is_still_an_error(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    folder = _mixed_folder(small_inbox, tmp_path / "inbox")
    bundle = cclf_bundles(small_inbox)[0]
    # a CMS name cut short in transfer: looks like CMS, does not parse
    (folder / bundle.name[:-4]).write_bytes(bundle.read_bytes())
    r = _cli(["ingest", str(folder), "--workspace", str(ws.root)])
    assert r.exit_code == 2, r.output
    assert f"rejected    {bundle.name[:-4]}: not a recognised CMS file name" in r.output


def test_a_damaged_delivery_in_a_mixed_folder_is_still_an_error(
        tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    folder = _mixed_folder(small_inbox, tmp_path / "inbox")
    bundle = cclf_bundles(small_inbox)[0]
    (folder / bundle.name).write_bytes(bundle.read_bytes()[:1000])  # a truncated zip
    r = _cli(["ingest", str(folder), "--workspace", str(ws.root)])
    assert r.exit_code == 2, r.output
    assert any(ln.startswith("quarantined") and bundle.name in ln
               for ln in r.output.splitlines())


def test_a_non_cms_file_named_on_the_command_line_is_rejected(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    readme = tmp_path / "README.md"
    readme.write_text("hello")
    r = _cli(["ingest", str(readme), "--workspace", str(ws.root)])
    assert r.exit_code == 2 and "not a recognised CMS file name" in r.output


def test_looks_like_cms() -> None:
    for name in ("README.md", "beneficiaries.parquet", ".DS_Store", "notes.txt",
                 "claims_export_2024.csv"):
        assert not looks_like_cms(name), name
    for name in (f"P.{ACO}.ACO.ZCY24.D240115.T12", f"P.{ACO}.ACO.ZC1Y24.D240115.T1200000.bak",
                 f"copy of P.{ACO}.BNEX.Y24.D240115.T1200000.xml",
                 f"T.{ACO}.ACO.QALR.2024Q1.D249999.T0100000_1-1.txt"):
        assert looks_like_cms(name), name
