"""Find CMS files in what the user hands to `aco ingest`: zips, folders and single files.

A folder often holds more than deliveries (a README, the generator's ground-truth Parquet,
a `.DS_Store`): a file found in a folder whose name is clearly not a CMS name
(`naming.looks_like_cms`) is skipped with a notice, and so is anything hidden (a hidden
folder once, not walked). A file named on the command line, or one whose name looks like a
CMS name but does not parse, is rejected: that is an error, not noise. A name that is not a
CCLF, ALR or BNEX name is tried as a CMS report's (ingest.cms_report); a folder named like a
report bundle (`P.A1234.ACO.BNMRK.D….T…`) is one delivery of the files directly in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aco_pipeline.ingest.cms_report import recognise
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
            _recognise(path, found)
            continue
        if not _report_bundle(path, found):
            _walk(path, found)
    return found


def _walk(folder: Path, found: Discovered) -> None:
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            kind = "a hidden folder" if p.is_dir() else "a hidden file"
            found.skipped.append(Rejected(p, f"{p}: skipped, {kind}"))
        elif p.is_dir():
            if not p.is_symlink() and not _report_bundle(p, found):
                _walk(p, found)  # as before: a linked folder is not followed
        elif not p.is_file():
            continue
        elif not looks_like_cms(p.name):
            found.skipped.append(Rejected(p, f"{p}: skipped, not a CMS delivery file"))
        else:
            _recognise(p, found)


def _recognise(p: Path, found: Discovered) -> None:
    try:
        found.arrivals.append(Arrival(p, parse_name(p.name)))
    except UnrecognisedFileName as exc:
        names = recognise(p)
        if names is None:
            found.rejected.append(Rejected(p, str(exc)))
        else:
            found.arrivals.extend(Arrival(p, n) for n in names)


def _report_bundle(folder: Path, found: Discovered) -> bool:
    """A folder named like a CMS report bundle: its files as one delivery. False otherwise."""
    names = recognise(folder)
    if names is None:
        return False
    nested = [p for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    for p in nested:
        found.rejected.append(Rejected(p, f"{p}: a folder inside the report bundle "
                                       f"{folder.name}; its files are not read"))
    if not names:
        found.rejected.append(Rejected(folder, f"{folder}: an empty report bundle"))
    found.arrivals.extend(Arrival(folder / n.name, n) for n in names)
    return True
