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
