"""Server-side tables: sort, filter and paging in SQL, plus the display filters for numbers.

A page describes a table by its `Column`s and a SELECT over canonical `metric_*` tables or
marts (with the principal's `Scope.sql` predicate already inside it); `fetch_page` wraps that
SELECT as a subquery and adds only what the request asked for: ORDER BY one of the declared
column keys (never a name from the request), a case-insensitive filter across the text
columns (a bound parameter), LIMIT and OFFSET. `fetch_all` gives every row for CSV/XLSX.

Request parameters: `sort` (a column key), `desc` (1/0), `q` (filter text), `page` (from 1),
and `table` naming which table of the page they are for (a page may hold several). Anything
else is refused with 400.

Display conventions (docs/metrics.md "Reading the numbers"): money in dollars to the cent,
counts with thousands separators, rates with two places and their unit in the column label,
percentages from 0 to 100 (a `percent` column whose unit is `fraction` holds 0-1 values, as
CMS publishes shared-savings rates and as the scorecards store shares).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from fastapi import HTTPException

from aco_pipeline.web import refusals

if TYPE_CHECKING:
    import duckdb
    from jinja2 import Environment
    from starlette.requests import Request

Kind = Literal["text", "money", "count", "rate", "percent", "date", "link"]
KINDS: frozenset[str] = frozenset({"text", "money", "count", "rate", "percent", "date",
                                   "link"})
TEXT_KINDS = frozenset({"text", "link", "date"})
CONTROL_PARAMS = ("sort", "desc", "q", "page", "format", "table")
MAX_PAGE_SIZE = 500
MAX_FILTER = 200
_KEY = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_TABLE_ID = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")
FRACTION = "fraction"
EMPTY = "–"


@dataclass(frozen=True)
class Column:
    """One column: its row key, header label, kind (how it is shown and exported), unit
    (shown in the header: e.g. 'per 1,000 person-years') and, for `link`, the row key holding
    the URL."""

    key: str
    label: str
    kind: Kind = "text"
    unit: str = ""
    link: str | None = None

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(f"column key {self.key!r} is not a plain identifier")
        if self.kind not in KINDS:
            raise ValueError(f"column kind {self.kind!r} is not one of {sorted(KINDS)}")
        if self.kind == "link" and not self.link:
            raise ValueError(f"link column {self.key!r} names no URL key")

    @property
    def header(self) -> str:
        """The label with its unit, as every table and export shows it."""
        if self.unit and self.unit != FRACTION:
            return f"{self.label} ({self.unit})"
        return self.label


@dataclass(frozen=True)
class TableQuery:
    sort: str | None
    descending: bool
    filter: str
    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @classmethod
    def default(cls, default_sort: str | None = None, size: int = 50,
                descending: bool = False) -> TableQuery:
        return cls(default_sort, descending, "", 1, size)

    @classmethod
    def from_request(cls, request: Request, columns: list[Column] | tuple[Column, ...],
                     default_sort: str | None = None, size: int = 50, *,
                     table_id: str | None = None, descending: bool = False) -> TableQuery:
        """The sort/filter/page the request asks for, validated against `columns` (400 for
        anything else). With `table_id`, parameters addressed to another table (`table=`)
        are ignored and this table gets its defaults."""
        params = request.query_params
        base = cls.default(default_sort, size, descending)
        if table_id is not None and params.get("table", table_id) != table_id:
            return base
        keys = {c.key for c in columns}
        sort = params.get("sort") or default_sort
        if sort is not None and sort not in keys:
            raise HTTPException(400, refusals.UNKNOWN_SORT)
        desc_text = params.get("desc")
        if desc_text is None:
            desc = descending if sort == default_sort else False
        elif desc_text in ("1", "true"):
            desc = True
        elif desc_text in ("0", "false", ""):
            desc = False
        else:
            raise HTTPException(400, "desc must be 1 or 0")
        text = params.get("q", "")
        if len(text) > MAX_FILTER:
            raise HTTPException(400, "filter text too long")
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            raise HTTPException(400, "page must be a number") from None
        if page < 1 or page > 1_000_000:
            raise HTTPException(400, "page out of range")
        return cls(sort, desc, text.strip(), page, min(size, MAX_PAGE_SIZE))


@dataclass
class TablePage:
    columns: list[Column] | tuple[Column, ...]
    rows: list[dict[str, Any]]
    total: int
    query: TableQuery
    table_id: str = "table"
    base_path: str = ""
    base_params: list[tuple[str, str]] = field(default_factory=list)
    caption: str = ""
    sortable_keys: frozenset[str] | None = None
    """The column keys a sort link may name (None: every column): a column the SELECT does not
    carry (e.g. a link whose label is filled in after the fetch) is shown without one."""
    bound: bool = False
    """Whether `for_request` tied the table to a URL (only then do its links make sense)."""

    def sortable(self, key: str) -> bool:
        return self.sortable_keys is None or key in self.sortable_keys

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.size))

    @property
    def first_row(self) -> int:
        return 0 if self.total == 0 else self.query.offset + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.query.offset + len(self.rows))

    def for_request(self, request: Request, table_id: str = "table",
                    caption: str = "") -> TablePage:
        """Bind the page to the URL it was asked on (links keep the page's other
        parameters, e.g. the period) and name it within the page."""
        if not _TABLE_ID.match(table_id):
            raise ValueError(f"table id {table_id!r} is not a plain identifier")
        self.table_id = table_id
        self.bound = True
        self.caption = caption or self.caption
        self.base_path = request.url.path
        self.base_params = [(k, v) for k, v in request.query_params.multi_items()
                            if k not in CONTROL_PARAMS]
        return self

    def href(self, **changes: object) -> str:
        """This table's URL with the current sort/filter/page and `changes` applied
        (`sort`, `desc`, `q`, `page`, `format`)."""
        state: dict[str, object] = {"sort": self.query.sort or "",
                                    "desc": "1" if self.query.descending else "0",
                                    "q": self.query.filter, "page": self.query.page}
        state.update(changes)
        params = [*self.base_params, ("table", self.table_id)]
        params += [(k, str(v)) for k, v in state.items() if v not in (None, "")]
        return f"{self.base_path}?{urlencode(params)}"

    def sort_href(self, key: str) -> str:
        descending = not self.query.descending if self.query.sort == key else False
        return self.href(sort=key, desc="1" if descending else "0", page=1)

    def aria_sort(self, key: str) -> str:
        if self.query.sort != key:
            return "none"
        return "descending" if self.query.descending else "ascending"


def _quote(key: str) -> str:
    if not _KEY.match(key):  # Column validates too; nothing from a request reaches here
        raise ValueError(f"not a column key: {key!r}")
    return f'"{key}"'


def _where(columns: list[Column] | tuple[Column, ...], query: TableQuery,
           selected: frozenset[str]) -> tuple[str, list[object]]:
    """The filter as SQL over the text columns the SELECT carries (a column filled in after
    the fetch, such as a link label, is not searched in SQL)."""
    if not query.filter:
        return "", []
    searchable = [c for c in columns if c.kind in TEXT_KINDS and c.key in selected]
    if not searchable:
        return "", []
    pattern = "%" + query.filter.replace("\\", "\\\\").replace("%", "\\%").replace(
        "_", "\\_") + "%"
    clauses = [f"cast({_quote(c.key)} as varchar) ilike ? escape '\\'" for c in searchable]
    return " where (" + " or ".join(clauses) + ")", [pattern] * len(searchable)


def _order(query: TableQuery) -> str:
    if query.sort is None:
        return ""
    return f" order by {_quote(query.sort)} {'desc' if query.descending else 'asc'} nulls last"


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _selected(con: duckdb.DuckDBPyConnection, select_sql: str, params: list[Any]
              ) -> frozenset[str]:
    """The column names `select_sql` yields (planned, no row read)."""
    cursor = con.execute(f"select * from ({select_sql}) as _t limit 0", params)
    names = frozenset(d[0] for d in cursor.description or [])
    cursor.fetchall()
    return names


def _sortable(con: duckdb.DuckDBPyConnection, select_sql: str, params: list[Any],
              columns: list[Column] | tuple[Column, ...], query: TableQuery) -> frozenset[str]:
    """The declared column keys the SELECT carries; 400 when the query sorts by another one
    (a column filled in after the fetch, such as a link label, cannot be sorted in SQL)."""
    names = _selected(con, select_sql, params)
    keys = frozenset(c.key for c in columns if c.key in names)
    if query.sort is not None and query.sort not in keys:
        raise HTTPException(400, refusals.UNSORTABLE)
    return keys


def fetch_page(con: duckdb.DuckDBPyConnection, select_sql: str, params: list[Any],
               columns: list[Column] | tuple[Column, ...], query: TableQuery) -> TablePage:
    """One page of `select_sql`'s rows, sorted and filtered as `query` asks, with the count
    of every row matching the filter."""
    sortable = _sortable(con, select_sql, params, columns, query)
    where, where_params = _where(columns, query, sortable)
    inner = f"select * from ({select_sql}) as _t{where}"
    [(total,)] = con.execute(f"select count(*) from ({inner}) as _c",
                             [*params, *where_params]).fetchall()
    cursor = con.execute(f"{inner}{_order(query)} limit ? offset ?",
                         [*params, *where_params, query.size, query.offset])
    return TablePage(columns, _records(cursor), int(total), query, sortable_keys=sortable)


def fetch_all(con: duckdb.DuckDBPyConnection, select_sql: str, params: list[Any],
              columns: list[Column] | tuple[Column, ...],
              query: TableQuery) -> list[dict[str, Any]]:
    """Every row matching the filter, in the requested order (for exports)."""
    selected = _sortable(con, select_sql, params, columns, query)
    where, where_params = _where(columns, query, selected)
    cursor = con.execute(f"select * from ({select_sql}) as _t{where}{_order(query)}",
                         [*params, *where_params])
    return _records(cursor)


def page_of_rows(rows: list[dict[str, Any]], columns: list[Column] | tuple[Column, ...],
                 query: TableQuery) -> TablePage:
    """A TablePage over rows already in memory (a chart's table view, a handful of
    rows from a canonical table), sorted and filtered the same way as `fetch_page`."""
    out = rows
    if query.filter:
        needle = query.filter.lower()
        searchable = [c.key for c in columns if c.kind in TEXT_KINDS]
        out = [r for r in out if any(needle in str(r.get(k, "")).lower() for k in searchable)]
    if query.sort is not None:
        key = query.sort
        present = [r for r in out if r.get(key) is not None]
        missing = [r for r in out if r.get(key) is None]
        out = sorted(present, key=lambda r: r[key], reverse=query.descending) + missing
    start = query.offset
    return TablePage(columns, out[start:start + query.size], len(out), query)


def all_rows(rows: list[dict[str, Any]], columns: list[Column] | tuple[Column, ...],
             query: TableQuery) -> list[dict[str, Any]]:
    """Every in-memory row matching the query, in its order (for exports)."""
    whole = replace(query, page=1, size=max(len(rows), 1))
    return page_of_rows(rows, columns, whole).rows


# --- display filters --------------------------------------------------------------------------

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return None
    return None


def money(value: object) -> str:
    """Dollars to the cent: $1,234.56, -$12.00."""
    d = _decimal(value)
    if d is None:
        return EMPTY
    d = d.quantize(CENT, ROUND_HALF_UP)
    return f"-${-d:,.2f}" if d < 0 else f"${d:,.2f}"


def count(value: object) -> str:
    d = _decimal(value)
    if d is None:
        return EMPTY
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"


def rate(value: object, unit: str = "") -> str:
    """A rate with two places, and its unit when given (e.g. '412.50 per 1,000
    person-years')."""
    d = _decimal(value)
    if d is None:
        return EMPTY
    text = f"{d.quantize(CENT, ROUND_HALF_UP):,.2f}"
    return f"{text} {unit}" if unit else text


def percent(value: object, unit: str = "") -> str:
    """A percentage with one place: from 0-100 values, or from fractions with
    unit='fraction'."""
    d = _decimal(value)
    if d is None:
        return EMPTY
    if unit == FRACTION:
        d = d * 100
    return f"{d.quantize(TENTH, ROUND_HALF_UP):,.1f}%"


def iso(value: object) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def cell(value: object, column: Column) -> str:
    """A value as its column shows it."""
    if column.kind == "money":
        return money(value)
    if column.kind == "count":
        return count(value)
    if column.kind == "rate":
        return rate(value)
    if column.kind == "percent":
        return percent(value, column.unit)
    if column.kind == "date":
        return iso(value)
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def register_filters(env: Environment) -> None:
    """The table filters on the app's Jinja environment: money, count, rate, percent, cell."""
    env.filters["money"] = money
    env.filters["count"] = count
    env.filters["rate"] = rate
    env.filters["percent"] = percent
    env.filters["cell"] = cell
