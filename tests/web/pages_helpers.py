"""What the patient-level page tests share: reading CSV exports exactly, finding links, the
warehouse's MBIs, the audit rows of a user."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from fastapi.testclient import TestClient

from aco_pipeline.warehouse.read import connect

TOKEN_LINK = re.compile(r'href="/patients/([A-Za-z0-9_-]+)"')
MBI_LIKE = re.compile(r"[0-9A-Z]{11}")


def csv_rows(client: TestClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["cache-control"] == "no-store"
    return list(csv.DictReader(io.StringIO(response.text)))


def dollars(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def warehouse_rows(ws, sql: str, params: list | None = None) -> list[tuple]:
    with connect(ws) as con:
        return con.execute(sql, params or []).fetchall()


def all_mbis(ws) -> set[str]:
    return {r[0] for r in warehouse_rows(ws, "select mr_mbi from mart_patient_beneficiary")}


def mbis_in(text: str, mbis: set[str]) -> set[str]:
    """The warehouse MBIs that appear anywhere in `text`."""
    return {m for m in MBI_LIKE.findall(text) if m in mbis}


def audit_rows(client: TestClient, **filters):
    services = client.app.state.services
    return services.audit.query(username=client.aco_username, **filters)
