"""The ACO's participant list: which TINs (and optionally NPIs and CCNs) are inside the ACO.

Input is a CSV file with a header row naming any of the columns `tin`, `npi`, `ccn` (other
columns are ignored, so the CMS participant list export can be used after renaming). Every
row needs at least one identifier: a TIN is 9 digits, an NPI 10 digits, a CCN 6 letters or
digits (IP v40 field formats of CLM_RNDRG_PRVDR_TAX_NUM, RNDRG_PRVDR_NPI_NUM,
PRVDR_OSCAR_NUM). The file is given by `--participants FILE` or by `aco.toml`:

    [network]
    participants_file = "participants.csv"   # relative to the workspace

Errors name the file, the line and the field. Provider identifiers are not PHI.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from aco_pipeline.config import Workspace, load_section
from aco_pipeline.errors import AcoError

FIELDS = {
    "tin": (re.compile(r"^\d{9}$"), "a TIN of 9 digits"),
    "npi": (re.compile(r"^\d{10}$"), "an NPI of 10 digits"),
    "ccn": (re.compile(r"^[0-9A-Z]{6}$"), "a CCN of 6 letters or digits"),
}


class ParticipantsError(AcoError, ValueError):
    """The participant list is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Participants:
    source: Path
    tins: frozenset[str]
    npis: frozenset[str]
    ccns: frozenset[str]

    def describe(self) -> dict[str, object]:
        """What a published metric records about the list it used."""
        return {"participants_file": str(self.source), "participant_tins": len(self.tins),
                "participant_npis": len(self.npis), "participant_ccns": len(self.ccns)}


def load_participants(path: Path) -> Participants:
    """Read and validate a participant CSV."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ParticipantsError(f"{path}: cannot read the participant list ({exc})") from exc
    reader = csv.reader(text.splitlines())
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ParticipantsError(f"{path}, line 1: empty file; expected a header row with "
                                "columns tin, npi and/or ccn") from None
    columns = {name: header.index(name) for name in FIELDS if name in header}
    if not columns:
        raise ParticipantsError(f"{path}, line 1: the header names none of the columns "
                                "tin, npi, ccn")
    found: dict[str, set[str]] = {name: set() for name in FIELDS}
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        seen = 0
        for name, index in columns.items():
            value = row[index].strip().upper() if index < len(row) else ""
            if not value:
                continue
            pattern, what = FIELDS[name]
            if not pattern.match(value):
                raise ParticipantsError(
                    f"{path}, line {line_no}, field {name}: {value!r} is not {what}")
            found[name].add(value)
            seen += 1
        if not seen:
            raise ParticipantsError(
                f"{path}, line {line_no}: no identifier (fill {', '.join(columns)})")
    if not any(found.values()):
        raise ParticipantsError(f"{path}: the participant list has no rows")
    return Participants(path, frozenset(found["tin"]), frozenset(found["npi"]),
                        frozenset(found["ccn"]))


def configured_participants_file(ws: Workspace) -> Path | None:
    """`[network] participants_file` of aco.toml, resolved against the workspace."""
    section = load_section(ws, "network")
    unknown = sorted(set(section) - {"participants_file"})
    if unknown:
        raise ParticipantsError(f"{ws.config_path}: [network] has unknown key(s) "
                                f"{', '.join(unknown)}; known: participants_file")
    value = section.get("participants_file")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ParticipantsError(f"{ws.config_path}: [network] participants_file must be a path")
    p = Path(value).expanduser()
    return p if p.is_absolute() else ws.root / p


def participants_for(ws: Workspace, override: Path | None = None) -> Participants | None:
    """The participant list given on the command line, else the configured one, else None."""
    path = override if override is not None else configured_participants_file(ws)
    return None if path is None else load_participants(path)
