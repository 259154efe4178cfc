"""Errors of the CMS report readers.

Messages name the file, and where there is one the sheet, row and column; they never carry a
cell's value (a beneficiary list holds MBIs, names and birth dates), only positions and the
names CMS gave to sheets and columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from aco_pipeline.errors import AcoError


def where(file: str, sheet: str | None = None, row: int | None = None,
          column: str | int | None = None) -> str:
    """`file, sheet S, row R, column C` for the parts that are known (rows 1-based)."""
    parts = [file]
    if sheet is not None:
        parts.append(f"sheet {sheet!r}")
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}" if isinstance(column, str) else f"column {column}")
    return ", ".join(parts)


class CmsReportError(AcoError, ValueError):
    """A CMS report file that cannot be read at all (not a workbook, a damaged zip, no header).

    Problems the reader can work around (a missing sheet, an extra section, an unknown column)
    are `Issue`s in the result instead.
    """

    def __init__(self, message: str, *, file: str, sheet: str | None = None,
                 row: int | None = None, column: str | int | None = None) -> None:
        super().__init__(f"{where(file, sheet, row, column)}: {message}")
        self.file, self.sheet, self.row, self.column = file, sheet, row, column


@dataclass(frozen=True, slots=True)
class Issue:
    """Something a reader noticed and worked around; reported, not fatal.

    `kind`: missing_sheet | unknown_sheet | unknown_section | unknown_column | no_header |
    unknown_member | not_a_number | placeholder_date | ...
    """

    kind: str
    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | int | None = None

    def __str__(self) -> str:
        return f"{where(self.file, self.sheet, self.row, self.column)}: {self.message}"
