"""How every report prints: a table on the terminal by default, `--format json|csv` for tools.

Conventions (docs/metrics.md, "Reading the numbers"):
- money is an exact decimal: two places in CSV and tables, a JSON *number* (written from the
  Decimal's digits, never through a float);
- percentages are numbers from 0 to 100 in columns named `*_percent`;
- person-years are stored exactly and shown with two places in the terminal table;
- dates are ISO (YYYY-MM-DD); an empty cell is NULL / null.
Notes (e.g. "scores are not normalised", "December is 31% complete") print to stderr in the
table format and are a `notes` list beside `rows` in JSON, so piped CSV stays clean.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from aco_pipeline.cli.common import console, err_console

CENT = Decimal("0.01")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    Format, typer.Option("--format", help="table (terminal, default), json or csv.")]


def _text(value: Any, column: str = "", *, display: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if display and column.endswith("person_years"):
            return f"{value.quantize(CENT):,}"
        if display:
            return f"{value:,}"
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_json(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_json(v) for v in value) + "]"
    return json.dumps(str(value))


def to_json(columns: Sequence[str], rows: Iterable[Mapping[str, Any]],
            notes: Sequence[str] = (), extra: Mapping[str, Any] | None = None) -> str:
    """`{"rows": [...], "notes": [...]}` with money as JSON numbers (exact digits)."""
    lines = ",\n  ".join("{" + ", ".join(f"{json.dumps(c)}: {_json(r.get(c))}"
                                          for c in columns) + "}" for r in rows)
    parts = [f'"rows": [\n  {lines}\n ]' if lines else '"rows": []',
             f'"notes": {_json(list(notes))}']
    for key, value in (extra or {}).items():
        parts.append(f"{json.dumps(key)}: {_json(value)}")
    return "{\n " + ",\n ".join(parts) + "\n}\n"


def emit(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], fmt: Format, *,
         title: str | None = None, notes: Sequence[str] = (),
         extra: Mapping[str, Any] | None = None) -> None:
    """Print a report's rows in `fmt`."""
    if fmt is Format.json:
        sys.stdout.write(to_json(columns, rows, notes, extra))
        return
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_text(r.get(c), c) for c in columns])
        for note in notes:
            err_console().print(f"note: {note}", highlight=False, markup=False)
        return
    table = Table(title=title, show_lines=False)
    for c in columns:
        numeric = any(isinstance(r.get(c), int | Decimal) and not isinstance(r.get(c), bool)
                      for r in rows[:50])
        table.add_column(c, justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*(Text(_text(r.get(c), c, display=True)) for c in columns))
    out = console()
    out.print(table)
    for note in notes:
        err_console().print(f"note: {note}", highlight=False, markup=False)
