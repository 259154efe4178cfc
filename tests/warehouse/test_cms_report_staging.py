"""The staging models of CMS's own reports (stg_qexpu_cells, stg_bnmrk_cells, stg_aexpu_cells,
stg_ncbp, stg_beur, ...), built from a synthetic ACO ingested with `--cms-reports`: a later
QEXPU of the same quarter supersedes the earlier one, the latest of three BNMRK deliveries is
marked, the figures equal the ground truth (ground_truth/cms_reports.json); a warehouse
without any report builds with the models empty."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from aco_pipeline.cms_reports.deliveries import latest, superseded
from aco_pipeline.cms_reports.names import parse_report_name
from aco_pipeline.config import init_workspace
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.synth import generate
from aco_pipeline.warehouse.build import build_warehouse
from tests.synthetic_aco import ACO, BuiltAco

REPORT_MODELS = ("stg_qexpu_cells", "stg_bnmrk_cells", "stg_aexpu_cells", "stg_ncbp",
                 "stg_beur", "stg_excluded_mbi_crosswalk", "stg_participants",
                 "stg_providers_suppliers")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """60 beneficiaries, 2024-01..04 with the CMS reports: ingested and built; returns the
    warehouse and the reports' ground truth."""
    root = tmp_path_factory.mktemp("reports")
    generate(root / "syn", beneficiaries=60, start="2024-01", months=4, seed=3, aco_id=ACO,
             cms_reports=True)
    ws = init_workspace(root / "ws", aco_id=ACO, performance_year=2024)
    outcomes = ingest(ws, [root / "syn" / "deliveries"])
    assert outcomes and {o.status for o in outcomes} == {"published"}, outcomes
    result = build_warehouse(ws)
    assert result.success, result.failures
    truth = json.loads((root / "syn" / "ground_truth" / "cms_reports.json").read_text())
    return ws.warehouse_path, truth


@pytest.fixture
def con(built: tuple[Path, dict[str, Any]]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(built[0]), read_only=True)
    yield c
    c.close()


def test_a_later_qexpu_of_the_same_quarter_supersedes(con: duckdb.DuckDBPyConnection,
                                                      built: tuple[Path, dict[str, Any]]
                                                      ) -> None:
    truth = built[1]
    rows = con.sql("select distinct delivery_id, period, is_superseded, is_latest "
                   "from stg_qexpu_cells").fetchall()
    assert all(s != lt for _, _, s, lt in rows)
    flags = {d: s for d, _, s, _ in rows}
    assert len(flags) == len(rows) == len(truth["qexpu"]) >= 2
    expected = {q["bundle"] for q in truth["qexpu"] if q["superseded_by"]}
    assert expected and {d for d, s in flags.items() if s} == expected
    # the SQL rule is the reader's (cms_reports.deliveries.superseded)
    names = [parse_report_name(d, is_dir=True) for d in flags]
    assert superseded(n for n in names if n is not None) == expected


def test_three_bnmrk_deliveries_with_the_latest_marked(con: duckdb.DuckDBPyConnection,
                                                       built: tuple[Path, dict[str, Any]]
                                                       ) -> None:
    truth = built[1]
    rows = dict(con.sql("select distinct delivery_id, is_latest from stg_bnmrk_cells"
                        ).fetchall())
    assert len(rows) == 3
    assert rows == {b["bundle"]: b["latest"] for b in truth["bnmrk"]}
    assert sum(rows.values()) == 1
    names = [n for n in (parse_report_name(d, is_dir=True) for d in rows) if n is not None]
    assert latest(names) == rows
    aexpu = con.sql("select delivery_id, count(distinct benchmark_year) from stg_aexpu_cells "
                    "where is_latest group by 1").fetchall()
    assert aexpu == [(next(d for d, is_latest in rows.items() if is_latest), 3)]


def test_qexpu_figures_equal_the_ground_truth(con: duckdb.DuckDBPyConnection,
                                              built: tuple[Path, dict[str, Any]]) -> None:
    truth = built[1]
    [standing] = [q for q in truth["qexpu"] if not q["superseded_by"]]
    figures = dict(con.sql(
        "select section_label, value_number from stg_qexpu_cells "
        "where not is_superseded and sheet = 'Table_1-Aggregate_EU_Report' "
        "and row_label = 'Total' and column_label = 'ACO-Specific' "
        "and section_label in ('Total Expenditures Per Capita', 'Person Years')").fetchall())
    assert figures["Total Expenditures Per Capita"] == Decimal(standing["per_capita"]["TOTAL"])
    assert figures["Person Years"] == Decimal(standing["person_years_printed"]["TOTAL"])
    [(amount, lines)] = con.sql("select sum(payment_amount), count(*) from stg_ncbp").fetchall()
    assert amount == sum(Decimal(n["total"]) for n in truth["ncbp"])
    assert lines == sum(n["rows"] for n in truth["ncbp"])
    [(beur,)] = con.sql("select count(*) from stg_beur").fetchall()
    assert beur == truth["beur"]["rows"]
    [(participants,)] = con.sql("select count(distinct tin) from stg_participants").fetchall()
    assert participants == truth["participant_list"]["participants"]


def test_a_warehouse_without_reports_builds_with_the_models_empty(built_aco: BuiltAco) -> None:
    assert built_aco.build.success
    with duckdb.connect(str(built_aco.ws.warehouse_path), read_only=True) as c:
        for model in REPORT_MODELS:
            [(n,)] = c.sql(f"select count(*) from {model}").fetchall()
            assert n == 0, model
