"""What users do, in the browser: the analyst's ED question in three clicks, a care manager's
worklist change, CSV and XLSX exports equal to the page."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from urllib.parse import urlsplit

from aco_pipeline.web.access.principal import Role
from tests.web.browser import axe
from tests.web.browser.test_roles import wait_for_charts

ED = "ed_visit"
CENT = Decimal("0.01")


def money(text: str) -> Decimal:
    """'$1,234.56' or '-$12.00' as a Decimal."""
    cleaned = re.sub(r"[^0-9.\-]", "", text.replace("\u2212", "-"))
    return Decimal(cleaned).quantize(CENT)


def column(headers: list[str], name: str) -> int:
    """The index of the column labelled `name` (a label may carry its unit: 'Net paid (...)')."""
    for i, header in enumerate(headers):
        if header.strip() == name or header.startswith(f"{name} ("):
            return i
    raise AssertionError(f"no column {name!r} in {headers}")


def column_values(page, table_id: str, header: str) -> list[str]:
    """The raw values (`data-value`, else the text) of one column of a table on the page."""
    return page.evaluate(
        """([id, header]) => {
            const table = document.querySelector(`#${id} table`);
            const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
            const i = heads.findIndex(h => h === header || h.startsWith(header + ' ('));
            if (i < 0) { throw new Error(`no column ${header} in ${heads}`); }
            return [...table.querySelectorAll('tbody tr')].map(tr => {
                const td = tr.children[i];
                return td.dataset.value !== undefined ? td.dataset.value : td.textContent.trim();
            });
        }""", [table_id, header])


def test_analyst_answers_the_ed_question_in_three_clicks(page, login, shoot):
    """'Which patients drove our ED spending spike?': spend trend -> ED by month -> the
    spike month's beneficiaries ranked by ED spend -> the top patient's page."""
    login(page, Role.ANALYST)
    page.goto("/analyst/spend-trend")
    a11y = axe.blocking(page)  # checked at the end, so the path itself is proven first

    # click 1: the ED category, its net paid by month (chart and table)
    page.locator("#categories").get_by_role("link", name=ED, exact=True).click()
    page.wait_for_load_state()
    assert wait_for_charts(page) >= 1
    months = column_values(page, "trend", "Month")
    paid = [Decimal(v) for v in column_values(page, "trend", "Net paid")]
    assert months and len(months) == len(paid)
    spike = max(range(len(paid)), key=paid.__getitem__)
    a11y += axe.blocking(page)
    shoot(page, "analyst-ed-trend")

    # click 2: the spike month's beneficiaries
    page.locator("#trend tbody tr").nth(spike).get_by_role("link").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == f"/analyst/category/{ED}/month/{months[spike]}"
    heads = [h.strip() for h in page.locator("#beneficiaries thead th").all_text_contents()]
    for name in ("Patient", "Attributed TIN", "Attributed NPI", "Risk score", "Net paid"):
        column(heads, name)
    ranked = [Decimal(v) for v in column_values(page, "beneficiaries", "Net paid")]
    assert ranked == sorted(ranked, reverse=True) and ranked[0] > 0
    assert [int(r) for r in column_values(page, "beneficiaries", "Rank")] == list(
        range(1, len(ranked) + 1))
    # the beneficiaries add up to the month's figure on the trend
    total = page.locator("dt", has_text="Net paid, these beneficiaries").locator("+ dd")
    assert money(total.inner_text()) == paid[spike]
    count = page.locator("dt", has_text=re.compile(r"^Beneficiaries$")).locator("+ dd")
    if len(ranked) == int(count.inner_text().replace(",", "")):  # every row on one page
        assert sum(ranked) == paid[spike]
    a11y += axe.blocking(page)
    shoot(page, "analyst-ed-month")

    # click 3: the top beneficiary's patient page, addressed by an opaque token
    top = page.locator("#beneficiaries tbody tr").first.get_by_role("link")
    name = top.inner_text().strip()
    top.click()
    page.wait_for_load_state()
    assert re.fullmatch(r"/patients/[A-Za-z0-9_-]{20,}", urlsplit(page.url).path), page.url
    assert name and name in page.locator("h1").inner_text()
    shoot(page, "patient")
    a11y += axe.blocking(page)
    assert a11y == []


def worklist_with_rows(page) -> str:
    """The path of the first worklist on /care with at least one patient."""
    for row in page.locator("main table tbody tr").all():
        count = row.locator("td.count").first.inner_text().replace(",", "").strip()
        if count.isdigit() and int(count) > 0:
            return row.get_by_role("link").first.get_attribute("href") or ""
    raise AssertionError("no worklist with rows on /care")


def test_care_manager_changes_a_worklist_item_and_it_stays_changed(page, login, shoot):
    login(page, Role.CARE_MANAGER)
    page.goto("/care")
    a11y = axe.blocking(page)
    path = worklist_with_rows(page)
    page.goto(path)
    item = page.locator("td.worklist-item").first
    item_id = item.get_attribute("id")
    assert item_id and item_id.startswith("item-")
    note = "Called; follow-up visit booked"
    if item.locator("details summary").count():  # the change form folds away
        item.locator("details summary").click()
    item.get_by_label("Action").select_option("contacted")
    item.get_by_label("Note").fill(note)
    item.get_by_role("button", name="Save").click()
    changed = page.locator(f"td#{item_id}")
    changed.locator(".state-contacted").wait_for()
    assert note in changed.inner_text()
    a11y += axe.blocking(page)
    shoot(page, "care-worklist")
    page.reload()
    again = page.locator(f"td#{item_id}")
    assert again.locator(".state").inner_text().strip() == "contacted"
    assert note in again.inner_text()
    assert a11y == []


def test_csv_and_xlsx_exports_hold_the_numbers_the_page_shows(page, login):
    from python_calamine import CalamineWorkbook

    login(page, Role.ANALYST)
    page.goto(f"/analyst/spend-trend?category={ED}")
    months = column_values(page, "trend", "Month")
    paid = [Decimal(v) for v in column_values(page, "trend", "Net paid")]
    shown = dict(zip(months, paid, strict=True))
    assert shown

    # the trend table's own export links (the categories table has its own)
    with page.expect_download() as csv_info:
        page.locator("#trend .table-export").get_by_role("link", name="CSV").click()
    header, *body = list(csv.reader(io.StringIO(csv_info.value.path().read_text("utf-8"))))
    month_col, paid_col = column(header, "Month"), column(header, "Net paid")
    assert {r[month_col]: Decimal(r[paid_col]) for r in body} == shown

    with page.expect_download() as xlsx_info:
        page.locator("#trend .table-export").get_by_role("link", name="XLSX").click()
    assert xlsx_info.value.suggested_filename.endswith(".xlsx")
    book = CalamineWorkbook.from_path(str(xlsx_info.value.path()))
    sheet = book.get_sheet_by_index(0).to_python()
    header, body = [str(h) for h in sheet[0]], sheet[1:]
    month_col, paid_col = column(header, "Month"), column(header, "Net paid")
    assert {str(r[month_col]): Decimal(str(r[paid_col])).quantize(CENT) for r in body} == shown
