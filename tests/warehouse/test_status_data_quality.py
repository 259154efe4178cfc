"""`aco status` shows the published warehouse's data-quality problems, without MBIs."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.warehouse.reports import data_quality_summary

from .conftest import BuiltAco

MBI = re.compile(r"\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]"
                 r"[AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}\b")


def test_status_lists_data_quality(built_aco: BuiltAco) -> None:
    rows = data_quality_summary(built_aco.ws)
    checks = {r["check_name"] for r in rows}
    assert "revenue_lines_do_not_sum_to_header" in checks  # the generator shorts ~5%
    r = CliRunner().invoke(app, ["status", "--workspace", str(built_aco.ws.root)],
                           env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "data quality in the published warehouse" in r.output
    assert "revenue_lines_do_not_sum_to_header" in r.output
    dq = r.output[r.output.index("data quality"):]
    assert not MBI.search(dq), "an MBI reached the status output"


def test_build_publishes_a_docs_site(built_aco: BuiltAco) -> None:
    import json

    from aco_pipeline.warehouse.build import docs_dir

    site = docs_dir(built_aco.ws)
    manifest = json.loads((site / "manifest.json").read_text())
    node = manifest["nodes"]["model.aco_warehouse.mart_spend_beneficiary_month"]
    assert node["description"]
    catalog = json.loads((site / "catalog.json").read_text())
    assert "model.aco_warehouse.fct_claim" in catalog["nodes"]
    r = CliRunner().invoke(app, ["docs", "--workspace", str(built_aco.ws.root)],
                           env={"COLUMNS": "300"})
    assert r.exit_code == 0 and "index.html" in r.output


def test_docs_serve_on_loopback(built_aco: BuiltAco) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "aco_pipeline", "docs", "--serve", "--port", str(port),
         "--workspace", str(built_aco.ws.root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = b""
        for _ in range(100):  # bounded: at most ~10 s
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json",
                                            timeout=2) as resp:
                    body = resp.read()
                break
            except OSError:
                time.sleep(0.1)
        assert b"mart_spend_beneficiary_month" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
