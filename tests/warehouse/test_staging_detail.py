"""CCLFA/CCLFB (benefit enhancement files) are staged like every other CCLF file."""

from __future__ import annotations

import duckdb
import pytest

from .conftest import BuiltAco


@pytest.mark.parametrize(("staged", "parent"), [("cclfa", "cclf1"), ("cclfb", "cclf5")])
def test_every_record_staged_and_joins_its_claim(built_aco: BuiltAco, staged: str,
                                                 parent: str) -> None:
    lake = built_aco.ws.lake_dir / "parsed" / "*" / staged / "*.parquet"
    expected = duckdb.sql(
        f"select count(*) from read_parquet('{lake}', hive_partitioning = false)"
    ).fetchall()[0][0]
    con = duckdb.connect(str(built_aco.ws.warehouse_path), read_only=True)
    try:
        assert con.execute(f"select count(*) from stg_{staged}").fetchall()[0][0] == expected
        assert expected > 0, "the generator writes benefit-enhancement rows"
        orphans = con.execute(
            f"select count(*) from stg_{staged} as d "
            f"where not exists (select 1 from stg_{parent} as p "
            f"where p.cur_clm_uniq_id = d.cur_clm_uniq_id)"
        ).fetchall()[0][0]
        assert orphans == 0
    finally:
        con.close()
