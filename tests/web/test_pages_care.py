"""The care manager's worklists: the canonical lists (the same rows as `aco report care`) with
stored, audited item state; changes need WORKLIST_EDIT and a CSRF token, or change nothing."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app as cli
from aco_pipeline.metrics.care import load_care_config
from aco_pipeline.web.worklist import State
from tests.web.conftest import csrf_from
from tests.web.pages_helpers import audit_rows, csv_rows, dollars, warehouse_rows

ITEM = re.compile(r'/care/worklists/([a-z_]+)/items/([A-Za-z0-9_-]+)"')


def _items(html: str, name: str) -> list[str]:
    return list(dict.fromkeys(t for n, t in ITEM.findall(html) if n == name))


def _as_of(ws) -> str:
    [(day,)] = warehouse_rows(ws, "select max(as_of) from metric_care_top_spenders")
    return day.isoformat()


def test_top_spenders_equal_the_cli_report(client_as, built_aco) -> None:
    cm = client_as("care_manager")
    page = cm.get("/care/worklists/top_spenders")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    rows = csv_rows(cm, "/care/worklists/top_spenders?format=csv")
    out = CliRunner().invoke(cli, ["report", "care", "--list", "top-spenders", "--as-of",
                                   _as_of(built_aco.ws), "--format", "json",
                                   "--workspace", str(built_aco.ws.root)])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout, parse_float=Decimal)["rows"]
    assert len(rows) == len(report) > 0
    assert [(r["Patient"], dollars(r["Paid, 12 months (Part A + B)"])) for r in rows] == \
        [(r["beneficiary_name"], Decimal(str(r["total_paid"]))) for r in report]
    assert {"State", "Assigned to", "Note"} <= set(rows[0])
    assert audit_rows(cm, action="list.export.csv", target="worklist:top_spenders")[0].rows \
        == len(rows)


@pytest.mark.parametrize(("name", "table"), [
    ("frequent_ed", "metric_care_frequent_ed"),
    ("rising_risk", "metric_care_rising_risk"),
    ("discharges_without_followup", "metric_care_discharges_without_followup"),
])
def test_each_worklist_is_its_canonical_table(client_as, built_aco, name: str,
                                              table: str) -> None:
    cm = client_as("care_manager")
    rows = csv_rows(cm, f"/care/worklists/{name}?format=csv")
    stored = warehouse_rows(built_aco.ws, f"select beneficiary_name from {table}")
    assert sorted(r["Patient"] for r in rows) == sorted(r[0] for r in stored)
    view = audit_rows(cm, action="list.view")
    cm.get(f"/care/worklists/{name}")
    assert len(audit_rows(cm, action="list.view")) == len(view) + 1


def test_high_risk_is_the_highest_canonical_scores(client_as, built_aco) -> None:
    cm = client_as("care_manager")
    rows = csv_rows(cm, "/care/worklists/high_risk?format=csv")
    # the living (docs/care-management.md: nobody who died by the as-of date)
    scores = [r[0] for r in warehouse_rows(built_aco.ws, """
        select r.risk_score from metric_risk_scores as r
        join dim_beneficiary as b on b.mr_mbi = r.mr_mbi
        where r.period_kind = 'performance_year_to_date'
          and (b.death_date is null or b.death_date > r.as_of_date)
        order by r.risk_score desc""")]
    n = load_care_config(built_aco.ws).top_n
    assert n is not None
    shown = [Decimal(r["Risk score (CMS-HCC, payment year PY + 1)"]) for r in rows]
    assert shown == scores[:len(shown)] and len(shown) == min(n, len(scores))


def test_discharges_within_14_days_are_a_subset_of_7(client_as) -> None:
    cm = client_as("care_manager")
    seven = csv_rows(cm, "/care/worklists/discharges_without_followup?format=csv")
    fourteen = csv_rows(cm, "/care/worklists/discharges_without_followup?days=14&format=csv")
    assert len(fourteen) <= len(seven)
    assert {tuple(r.items()) for r in fourteen} <= {tuple(r.items()) for r in seven}
    assert cm.get("/care/worklists/discharges_without_followup?days=9").status_code == 400
    assert cm.get("/care/worklists/nope").status_code == 404


def _post(client, name: str, token: str, csrf: str | None, **fields: str):
    data = {"version": "0", **fields}
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post(f"/care/worklists/{name}/items/{token}", data=data,
                       headers={"HX-Request": "true"})


def test_a_change_is_stored_shown_and_audited(client_as) -> None:
    cm = client_as("care_manager")
    page = cm.get("/care/worklists/frequent_ed")
    token = _items(page.text, "frequent_ed")[0]
    store = cm.app.state.services.worklist
    mbi = cm.app.state.services.tokens.mbi(token)
    version = store.item("frequent_ed", mbi).version
    nurse = client_as("care_manager").aco_username
    # only an active user who works worklists can be assigned
    for nobody in ("nobody-here", client_as("analyst").aco_username):
        assert _post(cm, "frequent_ed", token, csrf_from(page.text), action="assign",
                     assignee=nobody, version=str(version)).status_code == 400
    done = _post(cm, "frequent_ed", token, csrf_from(page.text), action="assign",
                 assignee=nurse, note="call about ED visits", version=str(version))
    assert done.status_code == 200 and done.headers["cache-control"] == "no-store"
    assert nurse in done.text and "assigned" in done.text
    item = store.item("frequent_ed", mbi)
    assert (item.state, item.assignee, item.note, item.updated_by) == (
        State.ASSIGNED, nurse, "call about ED visits", cm.aco_username)
    [row] = audit_rows(cm, action="worklist.change", outcome="allowed")
    assert (row.target, row.rows, row.outcome, row.detail) == (
        token, 1, "allowed", "frequent_ed:assigned")
    # the list shows it, and the state filter finds it
    assigned = csv_rows(cm, "/care/worklists/frequent_ed?state=assigned&format=csv")
    assert [r["Assigned to"] for r in assigned if r["Note"] == "call about ED visits"]
    open_rows = cm.get("/care/worklists/frequent_ed?state=open")
    assert token not in _items(open_rows.text, "frequent_ed")
    # the patient page shows the item
    patient = cm.get(f"/patients/{token}")
    assert "Worklist items" in patient.text and "call about ED visits" in patient.text
    # a plain form post (no htmx) is answered with a redirect back to the list
    plain = cm.post(f"/care/worklists/frequent_ed/items/{token}",
                    data={"action": "contacted", "version": str(item.version), "note": "ok",
                          "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == "/care/worklists/frequent_ed"
    assert store.item("frequent_ed", mbi).state is State.CONTACTED


def test_changes_without_csrf_or_permission_change_nothing(client_as) -> None:
    cm = client_as("care_manager")
    page = cm.get("/care/worklists/rising_risk")
    token = _items(page.text, "rising_risk")[-1]
    store = cm.app.state.services.worklist
    mbi = cm.app.state.services.tokens.mbi(token)
    before = store.history("rising_risk", mbi)
    assert _post(cm, "rising_risk", token, None, action="close").status_code == 403
    assert _post(cm, "rising_risk", token, "forged", action="close").status_code == 403
    analyst = client_as("analyst")  # PHI, but not WORKLIST_EDIT
    seen = analyst.get("/care/worklists/rising_risk")
    assert seen.status_code == 200 and "/items/" not in seen.text
    refused = _post(analyst, "rising_risk", token, csrf_from(seen.text), action="close")
    assert refused.status_code == 403
    assert any(a.outcome == "denied" for a in audit_rows(analyst, action="authorize"))
    assert store.history("rising_risk", mbi) == before
    assert not audit_rows(cm, action="worklist.change", outcome="allowed")


def test_bad_or_stale_changes_are_4xx_and_change_nothing(client_as) -> None:
    cm = client_as("care_manager")
    page = cm.get("/care/worklists/top_spenders")
    csrf = csrf_from(page.text)
    token = _items(page.text, "top_spenders")[-1]
    store = cm.app.state.services.worklist
    mbi = cm.app.state.services.tokens.mbi(token)
    before = store.history("top_spenders", mbi)
    version = str(store.item("top_spenders", mbi).version)
    assert _post(cm, "top_spenders", token, csrf, action="delete",
                 version=version).status_code == 400
    assert _post(cm, "top_spenders", token, csrf, action="close", version=version,
                 note="x" * 501).status_code in (400, 422)
    assert _post(cm, "top_spenders", token, csrf, action="close",
                 version=str(int(version) + 5)).status_code == 409
    assert _post(cm, "top_spenders", token[:-2] + "zz", csrf, action="close",
                 version=version).status_code == 404
    # a beneficiary who is not on this list cannot be given an item on it
    other = next(t for t in _items(cm.get("/care/worklists/high_risk").text, "high_risk")
                 if t not in _items(page.text, "top_spenders"))
    assert _post(cm, "top_spenders", other, csrf, action="close",
                 version="0").status_code == 404
    assert store.history("top_spenders", mbi) == before
    assert not audit_rows(cm, action="worklist.change", outcome="allowed")


def test_the_index_counts_each_list(client_as, built_aco) -> None:
    cm = client_as("care_manager")
    page = cm.get("/care")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for name in ("high_risk", "top_spenders", "frequent_ed", "discharges_without_followup",
                 "rising_risk"):
        assert f'href="/care/worklists/{name}"' in page.text
    [(n,)] = warehouse_rows(built_aco.ws, "select count(*) from metric_care_frequent_ed")
    assert re.search(rf'frequent_ed">Frequent ED</a></td>\s*<td class="count">{n}</td>',
                     page.text)


def test_worklist_tables_sort_filter_page_and_export_on_the_server(client_as) -> None:
    cm = client_as("care_manager")
    base = "/care/worklists/top_spenders?table=top_spenders"
    part = cm.get(f"{base}&sort=total_paid&desc=0", headers={"HX-Request": "true"})
    assert part.status_code == 200 and part.headers["cache-control"] == "no-store"
    assert "<html" not in part.text and 'id="top_spenders"' in part.text
    assert "/items/" in part.text  # the item actions come with the fragment
    rising = csv_rows(cm, f"{base}&sort=total_paid&desc=0&format=csv")
    paid = [dollars(r["Paid, 12 months (Part A + B)"]) for r in rising]
    assert paid == sorted(paid) and len(paid) > 1
    name = rising[0]["Patient"]
    found = csv_rows(cm, f"{base}&q={name.split(',')[0]}&format=csv")
    assert found and all(name.split(",")[0] in r["Patient"] for r in found)
    assert len(found) < len(rising)
    last = cm.get(f"{base}&page=99")
    assert last.status_code == 200 and "No rows." in last.text
    book = cm.get(f"{base}&format=xlsx")
    assert book.status_code == 200 and book.headers["cache-control"] == "no-store"
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert audit_rows(cm, action="list.export.xlsx")[0].rows == len(rising)
    assert cm.get(f"{base}&format=pdf").status_code == 400
