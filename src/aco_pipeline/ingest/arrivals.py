"""Find CMS files in what the user hands to `aco ingest`: zips, folders and single files.

A folder often holds more than deliveries (a README, the generator's ground-truth Parquet,
a `.DS_Store`): a file found in a folder whose name is clearly not a CMS name
(`naming.looks_like_cms`) is skipped with a notice, and so is anything hidden (a hidden
folder once, not walked). A file named on the command line, or one whose name looks like a
CMS name but does not parse, is rejected: that is an error, not noise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aco_pipeline.naming import CmsFileName, UnrecognisedFileName, looks_like_cms, parse_name


@dataclass(frozen=True, slots=True)
class Arrival:
    path: Path
    name: CmsFileName


@dataclass(frozen=True, slots=True)
class Rejected:
    path: Path
    reason: str


@dataclass(slots=True)
class Discovered:
    arrivals: list[Arrival] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    skipped: list[Rejected] = field(default_factory=list)  # not CMS files: a notice each


def discover(paths: Iterable[Path]) -> Discovered:
    """Recognise every file under `paths` by its name; folders are walked in name order."""
    found = Discovered()
    for path in paths:
        if not path.exists():
            found.rejected.append(Rejected(path, f"{path}: no such file or folder"))
            continue
        if not path.is_dir():
            try:
                found.arrivals.append(Arrival(path, parse_name(path.name)))
            except UnrecognisedFileName as exc:
                found.rejected.append(Rejected(path, str(exc)))
            continue
        _walk(path, found)
    return found


def _walk(folder: Path, found: Discovered) -> None:
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            kind = "a hidden folder" if p.is_dir() else "a hidden file"
            found.skipped.append(Rejected(p, f"{p}: skipped, {kind}"))
        elif p.is_dir():
            if not p.is_symlink():  # as before: a linked folder is not followed
                _walk(p, found)
        elif not p.is_file():
            continue
        elif not looks_like_cms(p.name):
            found.skipped.append(Rejected(p, f"{p}: skipped, not a CMS delivery file"))
        else:
            try:
                found.arrivals.append(Arrival(p, parse_name(p.name)))
            except UnrecognisedFileName as exc:
                found.rejected.append(Rejected(p, str(exc)))
