"""`aco build` refuses a lake that fails verification, says which object and what to do, and
leaves the published warehouse as it was; its check costs what is new, not the whole lake."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.config import Workspace, init_workspace, load_workspace
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.lake.verify import LakeVerificationError, check_lake_for_build
from aco_pipeline.naming import parse_name
from aco_pipeline.synth import generate
from aco_pipeline.warehouse.build import build_warehouse

ACO = "A9999"


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    """50 beneficiaries, two months: the first month's files, then the rest."""
    out = tmp_path_factory.mktemp("inbox")
    generate(out, beneficiaries=50, start="2024-01", months=2, seed=5, aco_id=ACO)
    files = sorted((out / "deliveries").iterdir())
    first = min(parse_name(p.name).created for p in files)  # type: ignore[type-var]
    early = [p for p in files if parse_name(p.name).created == first]
    return early, [p for p in files if p not in early]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory,
          batches: tuple[list[Path], list[Path]]) -> Path:
    """The first month ingested and built (one real dbt build for the whole module)."""
    ws = init_workspace(tmp_path_factory.mktemp("built") / "ws", aco_id=ACO,
                        performance_year=2024)
    assert {o.status for o in ingest(ws, batches[0])} == {"published"}
    result = build_warehouse(ws, docs=False)
    assert result.success, result.failures
    return ws.root


@pytest.fixture
def ws(built: Path, tmp_path: Path) -> Workspace:
    return load_workspace(Path(shutil.copytree(built, tmp_path / "ws")))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parts(ws: Workspace, delivery_marker: str, source: str) -> Path:
    [p] = (ws.lake_dir / "parsed").glob(f"delivery=*{delivery_marker}*/{source}/part-0.parquet")
    return p


def test_clean_lake_still_builds(ws: Workspace) -> None:
    result = build_warehouse(ws, docs=False)
    assert result.success and result.mode == "up-to-date"


def test_build_refuses_a_truncated_part_it_was_built_from(ws: Workspace) -> None:
    part = parts(ws, "ZCY24", "cclf1")
    did = part.parent.parent.name.removeprefix("delivery=")
    os.truncate(part, part.stat().st_size - 1)
    before = sha(ws.warehouse_path)
    with pytest.raises(LakeVerificationError) as err:
        build_warehouse(ws, docs=False)
    message = str(err.value)
    assert f"delivery={did}/cclf1/part-0.parquet: size" in message
    assert f"aco ingest {ws.raw_dir / ACO / did}" in message  # what to do
    assert "published warehouse is unchanged" in message
    assert sha(ws.warehouse_path) == before
    assert [f.kind for f in err.value.findings] == ["size"]


def test_build_refuses_an_altered_part_of_a_new_delivery(
        ws: Workspace, batches: tuple[list[Path], list[Path]]) -> None:
    assert {o.status for o in ingest(ws, batches[1])} == {"published"}
    bnex = sorted((ws.lake_dir / "parsed").glob("delivery=*.BNEX.*"))[-1] / "bnex"
    part = bnex / "part-0.parquet"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size: only a hash finds it
    part.write_bytes(bytes(data))
    before = sha(ws.warehouse_path)
    with pytest.raises(LakeVerificationError, match=r"bnex/part-0\.parquet: changed") as err:
        build_warehouse(ws, docs=False)
    assert "re-ingest delivery" in str(err.value)
    assert sha(ws.warehouse_path) == before


def test_cli_build_prints_what_to_do(ws: Workspace) -> None:
    part = parts(ws, "BNEX", "bnex")
    part.unlink()
    r = CliRunner().invoke(app, ["build", "--workspace", str(ws.root)],
                           env={"COLUMNS": "400"})
    assert r.exit_code == 1
    text = " ".join(r.output.split())
    assert "bnex/part-0.parquet: missing" in text and "aco ingest" in text, r.output
    assert "Traceback" not in r.output


def test_build_refuses_a_published_delivery_gone_from_the_lake(ws: Workspace,
                                                               tmp_path: Path) -> None:
    folder = parts(ws, "BNEX", "bnex").parent.parent
    shutil.move(folder, tmp_path / "away")
    with pytest.raises(LakeVerificationError) as err:
        build_warehouse(ws, docs=False)
    kinds = {(f.kind, f.area) for f in err.value.findings}
    assert kinds == {("missing", "lake"), ("missing", "warehouse")}


def test_build_hashes_only_deliveries_new_since_the_published_build(
        ws: Workspace, batches: tuple[list[Path], list[Path]]) -> None:
    gate = check_lake_for_build(ws)
    total_parts = len(list((ws.lake_dir / "parsed").rglob("*.parquet")))
    assert gate.lake_parts == total_parts > 0  # every part checked for existence and size
    assert gate.hashed_deliveries == set() and gate.bytes_hashed == 0
    new = {o.delivery_id for o in ingest(ws, batches[1])}
    gate = check_lake_for_build(ws)
    assert gate.hashed_deliveries == new
    new_bytes = sum(p.stat().st_size for did in new
                    for p in (ws.lake_dir / "parsed" / f"delivery={did}").rglob("*.parquet"))
    assert gate.bytes_hashed == new_bytes
