"""Helpers for ingest tests: a small generated ACO, lake snapshots, byte-level edits."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.layouts import current_layout
from aco_pipeline.naming import parse_name

ACO = "A9999"


def new_workspace(root: Path) -> Workspace:
    return init_workspace(root, aco_id=ACO, performance_year=2024)


def cclf_bundles(inbox: Path) -> list[Path]:
    return sorted(p for p in inbox.iterdir() if _kind(p.name) == "cclf_bundle")


def _kind(name: str) -> str | None:
    try:
        return parse_name(name).kind
    except ValueError:
        return None


def extract(bundle: Path, into: Path) -> dict[str, Path]:
    """Unzip a bundle into loose files; returns {CCLF0..CCLFB: path}."""
    into.mkdir(parents=True, exist_ok=True)
    out = {}
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            p = into / info.filename
            p.write_bytes(zf.read(info))
            ft = parse_name(info.filename).file_type
            assert ft
            out[ft] = p
    return out


def rezip(files: dict[str, Path], bundle_name: str, into: Path) -> Path:
    target = into / bundle_name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in files.values():
            zf.write(p, p.name)
    return target


def record_length(path: Path) -> int:
    with path.open("rb") as fh:
        return len(fh.readline().rstrip(b"\r\n"))


def set_field(path: Path, line: int, field: str, value: str) -> None:
    """Overwrite one field of one record (1-based line) in place, keeping its width."""
    ft = parse_name(path.name).file_type
    assert ft
    f = current_layout(ft).field(field)
    assert len(value) == f.length, f"{field} is {f.length} wide"
    lines = path.read_bytes().split(b"\n")
    rec = bytearray(lines[line - 1])
    rec[f.offset:f.end] = value.encode("ascii")
    lines[line - 1] = bytes(rec)
    path.write_bytes(b"\n".join(lines))


def edit_line(path: Path, line: int, new: bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = new
    path.write_bytes(b"\n".join(lines))


def lake_snapshot(ws: Workspace) -> dict[str, str]:
    """Every file under lake/parsed by relative path and sha256."""
    root = ws.lake_dir / "parsed"
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def lake_tables(ws: Workspace) -> dict[str, list[dict[str, object]]]:
    """Every published Parquet file's rows, for content comparison across runs."""
    root = ws.lake_dir / "parsed"
    return {
        str(p.relative_to(root)): pq.read_table(p).to_pylist()
        for p in sorted(root.rglob("*.parquet"))
    }


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def deliveries_in(inbox: Path) -> list[Path]:
    """The CMS files of a generated inbox (its ground truth is not a delivery)."""
    return sorted(p for p in inbox.iterdir() if p.is_file() and _kind(p.name))
