"""Find CMS files in what the user hands to `aco ingest`: zips, folders and single files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aco_pipeline.naming import CmsFileName, UnrecognisedFileName, parse_name


@dataclass(frozen=True, slots=True)
class Arrival:
    path: Path
    name: CmsFileName


@dataclass(frozen=True, slots=True)
class Rejected:
    path: Path
    reason: str


def discover(paths: Iterable[Path]) -> tuple[list[Arrival], list[Rejected]]:
    """Recognise every file under `paths` by its name; folders are walked in name order."""
    arrivals: list[Arrival] = []
    rejected: list[Rejected] = []
    for path in paths:
        if not path.exists():
            rejected.append(Rejected(path, f"{path}: no such file or folder"))
            continue
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            if path.is_dir()
            else [path]
        )
        for f in files:
            try:
                arrivals.append(Arrival(f, parse_name(f.name)))
            except UnrecognisedFileName as exc:
                rejected.append(Rejected(f, str(exc)))
    return arrivals, rejected


def _hidden(p: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in p.relative_to(root).parts)
