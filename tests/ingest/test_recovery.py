"""What a killed run leaves behind is cleaned up, and the ledger repaired, on the next run."""

from __future__ import annotations

from pathlib import Path

from aco_pipeline.ingest.ledger import Ledger
from aco_pipeline.ingest.pipeline import ledger_path, recover
from aco_pipeline.lake.publish import new_staging_dir, publish, write_manifest

from .helpers import new_workspace

DID = "P.A9999.BNEX.Y24.D240115.T1200000"


def test_recover_cleans_leftovers_and_repairs_ledger(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    # a landing killed mid-copy, a staging folder never published
    (ws.raw_dir / "A9999" / DID).mkdir(parents=True)
    (ws.raw_dir / "A9999" / DID / ".tmp-abc").write_bytes(b"partial")
    leftover = new_staging_dir(ws.lake_dir, "P.A9999.ACO.ZCY24.D240215.T0000000")
    (leftover / "cclf1").mkdir()
    # a delivery published just before the ledger could record it
    staged = new_staging_dir(ws.lake_dir, DID)
    write_manifest(staged, {
        "delivery_id": DID, "kind": "bnex", "run": None, "performance_year": 2024,
        "created": "2024-01-15", "content_key": "k", "raw_files": [], "checks": [],
        "files": [{"name": DID + ".xml", "records": 3}],
    })
    publish(staged, ws.lake_dir, DID)

    ledger = Ledger(ledger_path(ws))
    try:
        recover(ws, ledger)
        row = ledger.delivery(DID)
        assert row is not None and row.status == "published" and row.content_key == "k"
        assert ledger.events()[0][2] == "recovered"
    finally:
        ledger.close()
    assert not list((ws.lake_dir / "_staging").iterdir())
    assert not list(ws.raw_dir.rglob(".tmp-*"))
