"""ALR tables 1-2 / 1-4 end to end on a generated ACO: the generator's quarterly ALR zips are
ingested and built, and the warehouse's ALR attribution is the TIN / NPI the generator
intended (read here from the CSVs it wrote, by its documented rule), while the counts it
wrote are the claims the CCLF5 files carry (docs/synthetic-data.md)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from aco_pipeline.config import Workspace
from tests.metrics.care_fixtures import synthetic_workspace


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return synthetic_workspace(tmp_path_factory)


def _inbox(ws: Workspace) -> Path:
    return ws.root.parent / "inbox"  # where care_fixtures.synthetic_workspace generated


def _period_end(name: str) -> date:
    period = name.split(".")[4]  # 2024Q3
    return date(int(period[:4]), int(period[5]) * 3, 1)


def _tables(inbox: Path) -> dict[date, dict[str, list[dict[str, str]]]]:
    """Per quarter (last month), the rows of Tables 1-1, 1-2 and 1-4 as written."""
    out: dict[date, dict[str, list[dict[str, str]]]] = {}
    for path in sorted((inbox / "deliveries").glob("*.QALR.*.zip")):
        with zipfile.ZipFile(path) as zf:
            tables = {n.rsplit("_", 1)[1].removesuffix(".csv"): list(csv.DictReader(
                io.StringIO(zf.read(n).decode("ascii")))) for n in zf.namelist()}
        assert set(tables) == {"1-1", "1-2", "1-4"}, path.name
        out[_period_end(path.name)] = tables
    return out


def _current(inbox: Path) -> dict[str, str]:
    history = pq.read_table(inbox / "ground_truth" / "mbi_history.parquet").to_pylist()
    return {r["previous_mbi"]: r["current_mbi"] for r in history}


def _intended(rows_12: list[dict[str, str]], rows_14: list[dict[str, str]],
              current: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """The generator's rule: the TIN with the most lines (then the lowest TIN); the NPI it
    flags NPI_USED = Y within that TIN."""
    lines: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows_12:
        lines[r["BENE_MBI_ID"]][r["TIN"]] = int(r["B_EM_LINE_CNT_T"])
    out: dict[str, tuple[str, str | None]] = {}
    for mbi, tins in lines.items():
        tin = min(tins, key=lambda t: (-tins[t], t))
        used = [r["NPI"] for r in rows_14
                if r["BENE_MBI_ID"] == mbi and r["TIN"] == tin and r["NPI_USED"] == "Y"]
        assert len(used) == 1, "one NPI_USED per beneficiary at the attributed TIN"
        out[current.get(mbi, mbi)] = (tin, used[0])
    return out


def _query(ws: Workspace, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_alr_attribution_is_the_generators_intended_tin_and_npi(generated: Workspace) -> None:
    inbox = _inbox(generated)
    tables = _tables(inbox)
    current = _current(inbox)
    assert sorted(tables) == [date(2024, 3, 1), date(2024, 6, 1), date(2024, 9, 1),
                              date(2024, 12, 1)]
    for period_end, t in tables.items():
        intended = _intended(t["1-2"], t["1-4"], current)
        assert len(intended) > 50, period_end
        got = {r[0]: (r[1], r[2]) for r in _query(
            generated, "select mr_mbi, alr_tin, alr_npi from int_alr_attribution "
                       "where period_end_month = ?", [period_end])}
        assert got == intended, period_end
    # December 2024: ALR Q4 decides for everyone it lists in Table 1-2
    q4 = _intended(tables[date(2024, 12, 1)]["1-2"], tables[date(2024, 12, 1)]["1-4"], current)
    rows = _query(generated, "select mr_mbi, attributed_tin, attributed_npi, attribution_source "
                             "from mart_provider_attribution_month "
                             "where attribution_month = date '2024-12-01'")
    alr_rows = {m: (tin, npi) for m, tin, npi, source in rows if source == "alr"}
    assert alr_rows == q4
    assert all(source == "plurality" for m, _t, _n, source in rows if m not in q4)


def test_alr_line_counts_are_the_claims_in_the_cclf5_files(generated: Workspace) -> None:
    """B_EM_LINE_CNT_T = the valid final-action primary care CCLF5 lines the beneficiary had
    at the TIN in the 12 months ending with the quarter (int_care_em_lines)."""
    inbox = _inbox(generated)
    current = _current(inbox)
    lines = _query(generated, "select mr_mbi, tin, visit_date from int_care_em_lines "
                              "where is_primary_care_service and tin is not null")
    for period_end, t in _tables(inbox).items():
        start = date(period_end.year - (1 if period_end.month < 12 else 0),
                     period_end.month % 12 + 1, 1)
        tins = {r["TIN"] for r in t["1-2"]}
        listed = {current.get(r["BENE_MBI_ID"], r["BENE_MBI_ID"]) for r in t["1-1"]}
        counted: dict[tuple[str, str], int] = defaultdict(int)
        for mbi, tin, day in lines:
            if mbi in listed and tin in tins and start <= day.replace(day=1) <= period_end:
                counted[(mbi, tin)] += 1
        written = {(current.get(r["BENE_MBI_ID"], r["BENE_MBI_ID"]), r["TIN"]):
                   int(r["B_EM_LINE_CNT_T"]) for r in t["1-2"]}
        assert written == dict(counted), period_end
