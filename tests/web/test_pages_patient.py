"""The patient page and the attributed patient list: the claims in the warehouse, provider
scope inside every query, opaque tokens only, audited and never cached."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.web.pages_helpers import (
    TOKEN_LINK,
    all_mbis,
    audit_rows,
    csv_rows,
    dollars,
    mbis_in,
    warehouse_rows,
)


def _token(client, mbi: str) -> str:
    return client.app.state.services.tokens.token(mbi)


@pytest.fixture(scope="module")
def two_practices(built_aco) -> tuple[str, str, str]:
    """(TIN A, TIN B, an MBI attributed to A with claims): the two busiest TINs."""
    [(tin_a,), (tin_b,)] = warehouse_rows(built_aco.ws, """
        select attributed_tin from mart_patient_beneficiary where attributed_tin is not null
        group by attributed_tin order by count(*) desc, attributed_tin limit 2""")
    [(mbi,)] = warehouse_rows(built_aco.ws, """
        select b.mr_mbi from mart_patient_beneficiary as b
        join mart_patient_timeline as t on t.mr_mbi = b.mr_mbi
        where b.attributed_tin = ? group by b.mr_mbi order by count(*) desc, 1 limit 1""",
        [tin_a])
    return tin_a, tin_b, mbi


def test_the_patient_page_shows_the_warehouse_claims(client_as, built_aco,
                                                     two_practices) -> None:
    mbi = two_practices[2]
    analyst = client_as("analyst")
    token = _token(analyst, mbi)
    page = analyst.get(f"/patients/{token}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    [(name,)] = warehouse_rows(built_aco.ws, "select last_name || ', ' || first_name "
                                             "from dim_beneficiary where mr_mbi = ?", [mbi])
    assert name in page.text
    [(score,)] = warehouse_rows(built_aco.ws, """
        select risk_score from metric_risk_scores
        where mr_mbi = ? and period_kind = 'performance_year_to_date'""", [mbi])
    assert f"<dd>{score} <small>" in page.text  # three decimals, as the CLI prints it
    for section in ("Claims timeline", "Inpatient admissions", "ED visits", "Diagnoses",
                    "HCCs", "Providers seen", "Enrollment and attribution"):
        assert section in page.text
    timeline = csv_rows(analyst, f"/patients/{token}?table=timeline&format=csv")
    [(claims, paid, ed)] = warehouse_rows(built_aco.ws, """
        select count(distinct claim_family || '|' || cur_clm_uniq_id), sum(paid_amount),
               (select count(*) from mart_patient_timeline where mr_mbi = ? and is_ed_visit)
        from fct_claim where mr_mbi = ?""", [mbi, mbi])
    assert len(timeline) == claims
    assert sum(dollars(r["Paid (dollars; Part D: beneficiary-paid)"]) for r in timeline) \
        == Decimal(paid)
    assert len(csv_rows(analyst, f"/patients/{token}?table=ed_visits&format=csv")) == ed
    [(codes,)] = warehouse_rows(built_aco.ws, "select count(distinct icd_code) from fct_diagnosis "
                                              "where mr_mbi = ?", [mbi])
    diagnoses = csv_rows(analyst, f"/patients/{token}?table=diagnoses&format=csv")
    assert len({r["ICD code"] for r in diagnoses}) == codes
    [(months,)] = warehouse_rows(built_aco.ws, "select count(*) from fct_member_month "
                                               "where mr_mbi = ?", [mbi])
    enrollment = csv_rows(analyst, f"/patients/{token}?table=enrollment&format=csv")
    assert sum(1 for r in enrollment if r["Enrollment type"]) <= months <= len(enrollment)
    # every view and export is audited against the token, with its row count
    rows = audit_rows(analyst, target=token)
    assert {"patient.view", "patient.export.csv"} <= {a.action for a in rows}
    assert any(a.action == "patient.export.csv" and a.rows == claims and a.detail == "timeline"
               for a in rows)
    # the JSON API serves the same rows
    api = analyst.get(f"/api/patients/{token}?table=timeline")
    assert api.status_code == 200 and api.headers["cache-control"] == "no-store"
    assert api.json()["tables"]["timeline"]["total"] == claims


def test_another_practice_cannot_open_or_list_the_patient(client_as, built_aco,
                                                          two_practices) -> None:
    tin_a, tin_b, mbi = two_practices
    provider_a = client_as("provider", tin=tin_a)
    provider_b = client_as("provider", tin=tin_b)
    token = _token(provider_a, mbi)
    assert provider_a.get(f"/patients/{token}").status_code == 200
    refused = provider_b.get(f"/patients/{token}")
    assert refused.status_code == 404
    assert refused.headers["cache-control"] == "no-store"
    assert any(a.outcome == "denied" and a.action == "patient.view"
               for a in audit_rows(provider_b, target=token))
    assert provider_b.get(f"/api/patients/{token}").status_code == 404
    # nor in any list or export of provider B
    own = provider_b.get("/provider/patients")
    assert own.status_code == 200 and own.headers["cache-control"] == "no-store"
    listed = set(TOKEN_LINK.findall(own.text))
    assert listed and token not in listed
    panel = csv_rows(provider_b, "/provider/patients?table=patients&format=csv")
    assert {r["Attributed TIN"] for r in panel} == {tin_b}
    [(count_b,)] = warehouse_rows(built_aco.ws, "select count(*) from mart_patient_beneficiary "
                                                "where attributed_tin = ?", [tin_b])
    assert len(panel) == count_b
    assert token not in provider_b.get("/api/provider/patients").text
    # a TIN filter cannot widen a scoped user's view
    assert csv_rows(provider_b, f"/provider/patients?tin={tin_a}&table=patients&format=csv") == []
    for name in ("high_risk", "top_spenders", "frequent_ed", "rising_risk",
                 "discharges_without_followup"):
        page = provider_b.get(f"/care/worklists/{name}")
        assert page.status_code == 200 and token not in page.text
        assert token not in provider_b.get(f"/care/worklists/{name}?format=csv").text
    month = provider_b.get("/analyst/category/ed_visit/month/2024-11")
    assert month.status_code == 200 and token not in month.text


def test_an_npi_scoped_provider_sees_only_that_npis_patients(client_as, built_aco) -> None:
    [(tin, npi, n)] = warehouse_rows(built_aco.ws, """
        select attributed_tin, attributed_npi, count(*) from mart_patient_beneficiary
        where attributed_npi is not null group by 1, 2 order by 3 desc, 1, 2 limit 1""")
    provider = client_as("provider", tin=tin, npi=npi)
    panel = csv_rows(provider, "/provider/patients?table=patients&format=csv")
    assert len(panel) == n and {r["Attributed NPI"] for r in panel} == {npi}


@pytest.mark.parametrize("token", ["", "AAAA", "x" * 97])
def test_a_tampered_token_is_a_plain_404(client_as, two_practices, token: str) -> None:
    analyst = client_as("analyst")
    good = _token(analyst, two_practices[2])
    for bad in (token or good[:-2] + ("AA" if good[-2:] != "AA" else "BB"),):
        response = analyst.get(f"/patients/{bad}")
        assert response.status_code == 404
        assert bad not in response.text and two_practices[2] not in response.text
        assert analyst.get(f"/api/patients/{bad}").json() == {"detail": "There is no such page."}


def test_no_mbi_in_any_page_link_or_export(client_as, built_aco, two_practices) -> None:
    mbis = all_mbis(built_aco.ws)
    analyst = client_as("analyst")
    token = _token(analyst, two_practices[2])
    urls = ["/provider/patients", "/care", f"/patients/{token}",
            "/analyst/spend-trend", "/analyst/spend-trend?category=ed_visit",
            "/analyst/category/ed_visit/month/2024-11",
            *[f"/care/worklists/{n}" for n in ("high_risk", "top_spenders", "frequent_ed",
                                               "rising_risk", "discharges_without_followup")]]
    for url in urls:
        response = analyst.get(url)
        assert response.status_code == 200, url
        assert mbis_in(response.text, mbis) == set(), url
        assert mbis_in(response.headers.get("location", ""), mbis) == set()
    for url in (f"/patients/{token}?table=timeline&format=csv",
                "/provider/patients?table=patients&format=xlsx",
                "/care/worklists/top_spenders?format=csv",
                f"/api/patients/{token}", "/api/care/worklists/frequent_ed"):
        assert mbis_in(analyst.get(url).text, mbis) == set(), url
    # the links point at tokens: each one opens
    links = set(TOKEN_LINK.findall(analyst.get("/provider/patients").text))
    assert links and all(analyst.app.state.services.tokens.mbi(t) in mbis for t in links)


def test_patient_pages_need_the_phi_permission(client_as, anonymous_client,
                                               two_practices) -> None:
    executive = client_as("executive")
    token = _token(executive, two_practices[2])
    assert executive.get(f"/patients/{token}").status_code == 403
    assert executive.get("/provider/patients").status_code == 403
    away = anonymous_client.get(f"/patients/{token}", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login")
    assert two_practices[2] not in away.headers["location"]
    assert anonymous_client.get(f"/api/patients/{token}").status_code == 401


def test_the_timeline_mart_is_every_final_action_claim_once(built_aco) -> None:
    [(claims, paid, timeline, timeline_paid, untyped)] = warehouse_rows(built_aco.ws, """
        select (select count(distinct claim_family || '|' || cur_clm_uniq_id) from fct_claim)
             , (select sum(paid_amount) from fct_claim)
             , (select count(*) from mart_patient_timeline)
             , (select sum(paid_amount) from mart_patient_timeline)
             , (select count(*) from mart_patient_timeline where setting = 'other')""")
    assert timeline == claims > 0 and timeline_paid == paid and untyped == 0
    [(admissions, stays)] = warehouse_rows(built_aco.ws, """
        select (select count(*) from mart_patient_timeline where is_admission)
             , (select count(distinct admission_key) from mart_provider_payment
                where admission_key is not null)""")
    assert admissions == stays > 0
