"""CCLF files as they arrive: one empty line or a DOS end-of-file byte after the last record
is accepted with a warning in the manifest and `aco status`; any other ending stays an error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.lake.fixed_width import ENDING_DOS_EOF, ENDING_EMPTY_LINE

from .helpers import cclf_bundles, extract, lake_snapshot, new_workspace, rezip


def _append(path: Path, tail: bytes) -> None:
    path.write_bytes(path.read_bytes() + tail)


def test_harmless_endings_publish_with_a_warning(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    files = extract(bundle, tmp_path / "x")
    _append(files["CCLF5"], b"\n")        # ends with one empty line
    _append(files["CCLF1"], b"\x1a")      # a DOS end-of-file byte after the last line
    _append(files["CCLF0"], b"\x1a")      # the summary file too
    empty = next(ft for ft, p in sorted(files.items()) if p.stat().st_size == 0)
    _append(files[empty], b"\x1a")       # even a file without records
    work = tmp_path / "work"
    work.mkdir()
    out = ingest(ws, [rezip(files, bundle.name, work)])
    assert [o.status for o in out] == ["published"], out[0].message

    manifest = json.loads((ws.lake_dir / "parsed" / f"delivery={bundle.name}"
                           / "_manifest.json").read_text())
    warned = {(c["file"], c["detail"]) for c in manifest["checks"]
              if c["check"] == "file ending"}
    assert warned == {(files["CCLF5"].name, ENDING_EMPTY_LINE),
                      (files["CCLF1"].name, ENDING_DOS_EOF),
                      (files["CCLF0"].name, ENDING_DOS_EOF),
                      (files[empty].name, ENDING_DOS_EOF)}
    assert all(c["warning"] and not c["passed"] for c in manifest["checks"]
               if c["check"] == "file ending")
    records = {f["file_type"]: f["records"] for f in manifest["files"]}
    assert records[empty] == 0 and records["CCLF5"] > 0

    runner = CliRunner()
    r = runner.invoke(app, ["status", "--workspace", str(ws.root)], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    assert f"{files['CCLF5'].name}: {ENDING_EMPTY_LINE}" in r.output
    assert f"{files['CCLF1'].name}: {ENDING_DOS_EOF}" in r.output
    r = runner.invoke(app, ["status", "--workspace", str(ws.root), "--json"])
    assert r.exit_code == 0, r.output
    [row] = json.loads(r.output)
    assert f"{files['CCLF5'].name}: {ENDING_EMPTY_LINE}" in row["warnings"]
    assert len(row["warnings"]) == 4


@pytest.mark.parametrize(("file_type", "tail", "length"), [
    ("CCLF5", b"\n\n", 0),          # two empty lines: the first is reported
    ("CCLF5", b"\n\x1a", 0),        # an empty line and an EOF byte: only one is forgiven
    ("CCLF1", b"\x1a\x1a", 1),      # two EOF bytes
])
def test_other_endings_quarantine_naming_file_and_line(
        tmp_path: Path, small_inbox: Path, file_type: str, tail: bytes, length: int) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    files = extract(bundle, tmp_path / "x")
    lines = files[file_type].read_bytes().count(b"\n")
    _append(files[file_type], tail)
    work = tmp_path / "work"
    work.mkdir()
    out = ingest(ws, [rezip(files, bundle.name, work)])
    assert [o.status for o in out] == ["quarantined"]
    assert re.search(rf"{re.escape(files[file_type].name)}: line {lines + 1}: "
                     rf"record length {length}, expected \d+", out[0].message), out[0].message
    assert lake_snapshot(ws) == {}


def test_empty_line_in_the_middle_is_an_error(tmp_path: Path, small_inbox: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    bundle = cclf_bundles(small_inbox)[0]
    files = extract(bundle, tmp_path / "x")
    p = files["CCLF5"]
    lines = p.read_bytes().split(b"\n")
    p.write_bytes(b"\n".join([lines[0], b"", *lines[1:]]))
    work = tmp_path / "work"
    work.mkdir()
    out = ingest(ws, [rezip(files, bundle.name, work)])
    assert [o.status for o in out] == ["quarantined"]
    assert f"{p.name}: line 2: record length 0" in out[0].message
