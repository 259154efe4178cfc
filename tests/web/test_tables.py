"""Server-side tables: sort, filter and paging happen in SQL over a whitelisted column; bad
input is a 400, never SQL; the display filters format money, rates and percentages."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from fastapi import HTTPException
from starlette.requests import Request

from aco_pipeline.web.tables import (
    Column,
    TableQuery,
    count,
    fetch_all,
    fetch_page,
    money,
    page_of_rows,
    percent,
    rate,
)

COLUMNS = (Column("name", "Name"), Column("paid", "Paid", "money"),
           Column("visits", "Visits", "count"))
SQL = "select name, paid, visits from t where grp = ?"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("create table t (grp varchar, name varchar, paid decimal(18, 2), visits int)")
    rows = [("a", f"clinic {i:02d}", Decimal(f"{i * 10}.05"), i % 4) for i in range(1, 26)]
    rows += [("a", "100% care_o'hara", Decimal("1.00"), 9), ("b", "other group", Decimal(5), 1)]
    c.executemany("insert into t values (?, ?, ?, ?)", rows)
    return c


def request(query: str, path: str = "/page") -> Request:
    return Request({"type": "http", "method": "GET", "path": path,
                    "query_string": query.encode(), "headers": []})


def test_sort_page_and_total(con) -> None:
    q = TableQuery("paid", True, "", 2, 10)
    page = fetch_page(con, SQL, ["a"], COLUMNS, q)
    assert page.total == 26  # group b's row is outside the caller's predicate
    assert [r["paid"] for r in page.rows] == sorted(
        (Decimal(f"{i * 10}.05") for i in range(1, 26)), reverse=True)[10:20]
    assert page.pages == 3 and page.first_row == 11 and page.last_row == 20


def test_filter_is_literal_and_case_insensitive(con) -> None:
    assert fetch_page(con, SQL, ["a"], COLUMNS, TableQuery(None, False, "CLINIC 1", 1, 50)
                      ).total == 10  # clinic 10..19
    # % _ and ' are characters to match, not wildcards or SQL
    literal = fetch_all(con, SQL, ["a"], COLUMNS, TableQuery(None, False, "100% care_o'", 1, 5))
    assert [r["name"] for r in literal] == ["100% care_o'hara"]
    assert fetch_page(con, SQL, ["a"], COLUMNS, TableQuery(None, False, "0_", 1, 50)).total == 0


def test_filter_skips_a_column_filled_in_after_the_fetch(con) -> None:
    # a link column's label (e.g. the trend's "drill" link) is added to each row after the
    # SELECT; filtering must search only what the SELECT carries, not fail on the rest
    columns = (*COLUMNS, Column("drill", "Drill", "link", link="drill_url"))
    assert fetch_page(con, SQL, ["a"], columns, TableQuery(None, False, "clinic 2", 1, 50)
                      ).total == 6  # clinic 02 and 20..24
    assert len(fetch_all(con, SQL, ["a"], columns, TableQuery(None, False, "0", 1, 50))) == 12


def test_from_request_validates(con) -> None:
    q = TableQuery.from_request(request("sort=paid&desc=1&q=clinic&page=2"), COLUMNS)
    assert (q.sort, q.descending, q.filter, q.page) == ("paid", True, "clinic", 2)
    for bad in ("sort=paid;drop table t", "sort=grp", "page=0", "page=x", "desc=maybe",
                "q=" + "x" * 201):
        with pytest.raises(HTTPException) as err:
            TableQuery.from_request(request(bad), COLUMNS)
        assert err.value.status_code == 400
    assert con.execute("select count(*) from t").fetchone()[0] == 27


def test_parameters_for_another_table_are_ignored() -> None:
    q = TableQuery.from_request(request("table=other&sort=nope&page=9"), COLUMNS,
                                default_sort="name", table_id="mine")
    assert (q.sort, q.page) == ("name", 1)


def test_links_keep_the_page_parameters(con) -> None:
    page = fetch_page(con, SQL, ["a"], COLUMNS, TableQuery("name", False, "", 1, 10))
    page.for_request(request("period=2024-Q1&table=t1&sort=name"), "t1")
    assert page.href(page=2) == "/page?period=2024-Q1&table=t1&sort=name&desc=0&page=2"
    assert "desc=1" in page.sort_href("name") and "format=csv" in page.href(format="csv")


def test_in_memory_rows_page_the_same_way() -> None:
    rows = [{"name": "b", "paid": Decimal(2)}, {"name": "a", "paid": None},
            {"name": "c", "paid": Decimal(1)}]
    page = page_of_rows(rows, COLUMNS, TableQuery("paid", False, "", 1, 2))
    assert [r["name"] for r in page.rows] == ["c", "b"] and page.total == 3  # NULL last


def test_display_filters() -> None:
    assert money(Decimal("1234.565")) == "$1,234.57"
    assert money(Decimal("-12")) == "-$12.00"
    assert money(None) == "–"
    assert count(1234567) == "1,234,567"
    assert rate(Decimal("412.345"), "per 1,000 person-years") == "412.35 per 1,000 person-years"
    assert percent(Decimal("12.34")) == "12.3%"
    assert percent(Decimal("0.0696"), "fraction") == "7.0%"


def test_columns_are_plain_identifiers() -> None:
    with pytest.raises(ValueError):
        Column('x" from t; --', "bad")
    with pytest.raises(ValueError):
        Column("u", "URL", "link")  # a link column names its URL key
