"""Workspace configuration: aco.toml found via --workspace, ACO_WORKSPACE or the cwd."""

from __future__ import annotations

from pathlib import Path

import pytest

from aco_pipeline.config import WorkspaceError, init_workspace, load_workspace


def test_init_then_load(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", aco_id="A1234", performance_year=2025)
    loaded = load_workspace(tmp_path / "ws")
    assert loaded == ws
    assert loaded.raw_dir == (tmp_path / "ws" / "raw").resolve()
    assert loaded.warehouse_path.name == "aco.duckdb"
    assert loaded.engine == "duckdb"


def test_env_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_workspace(tmp_path, aco_id="A1234", performance_year=2025)
    monkeypatch.setenv("ACO_WORKSPACE", str(tmp_path))
    assert load_workspace().root == tmp_path.resolve()
    monkeypatch.delenv("ACO_WORKSPACE")
    monkeypatch.chdir(tmp_path)
    assert load_workspace().aco_id == "A1234"


def test_refuses_to_overwrite_and_bad_values(tmp_path: Path) -> None:
    init_workspace(tmp_path, aco_id="A1234", performance_year=2025)
    with pytest.raises(WorkspaceError, match="already exists"):
        init_workspace(tmp_path, aco_id="A1234", performance_year=2025)
    with pytest.raises(WorkspaceError, match="not a CMS entity id"):
        init_workspace(tmp_path / "x", aco_id="1234", performance_year=2025)
    with pytest.raises(WorkspaceError, match="engine 'oracle'"):
        init_workspace(tmp_path / "y", aco_id="A1234", performance_year=2025, engine="oracle")


def test_missing_or_broken_config(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"no workspace at .*aco init"):
        load_workspace(tmp_path)
    (tmp_path / "aco.toml").write_text("[aco]\nid = 'A1234'\n")
    with pytest.raises(WorkspaceError, match=r"missing \[aco\] performance_year"):
        load_workspace(tmp_path)
    (tmp_path / "aco.toml").write_text("[aco\n")
    with pytest.raises(WorkspaceError, match="not valid TOML"):
        load_workspace(tmp_path)
