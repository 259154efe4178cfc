"""The audit log: append-only, hash-chained, verifiable from the CLI; its reports and export."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli.app import app as cli
from aco_pipeline.web.access.audit import AuditLog, to_csv
from aco_pipeline.web.access.principal import Principal, Role
from aco_pipeline.web.access.store import AUDIT_DB

ANALYST = Principal(7, "ann", frozenset({Role.ANALYST}))
CARE = Principal(8, "cm", frozenset({Role.CARE_MANAGER}))


@pytest.fixture
def log(core_ws, clock) -> AuditLog:
    audit = AuditLog(core_ws.state_dir / AUDIT_DB, core_ws.state_dir, clock=clock)
    audit.record(principal=None, username="ann", action="login", outcome="failed",
                 client="127.0.0.1", detail="password")
    audit.record(principal=ANALYST, action="login", client="127.0.0.1")
    audit.record(principal=ANALYST, action="patient.timeline", target="tokA", rows=1)
    audit.record(principal=ANALYST, action="list.high_risk", target="high_risk", rows=40)
    audit.record(principal=CARE, action="worklist.contacted", target="tokA", rows=1)
    return audit


def _db(core_ws) -> sqlite3.Connection:
    con = sqlite3.connect(core_ws.state_dir / AUDIT_DB, isolation_level=None)
    con.execute("drop trigger audit_no_update")
    con.execute("drop trigger audit_no_delete")
    return con


def _verify_cli(core_ws):
    return CliRunner().invoke(cli, ["audit", "verify", "--workspace", str(core_ws.root)])


def test_rows_record_who_what_which_and_when_in_utc(log) -> None:
    rows = log.query()
    assert [r.id for r in rows] == [5, 4, 3, 2, 1]
    row = log.query(action="patient.")[0]
    assert (row.username, row.role, row.action, row.target, row.rows, row.outcome) == (
        "ann", "analyst", "patient.timeline", "tokA", 1, "allowed")
    assert row.at.endswith("Z") and row.at.startswith("2025-06-15T")
    assert log.verify().ok and log.verify().rows == 5


def test_update_and_delete_are_refused_by_the_database(log) -> None:
    con = sqlite3.connect(log.path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("update audit set rows = 0 where id = 3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("delete from audit where id = 3")


def test_verify_passes_on_an_untouched_log(log, core_ws) -> None:
    result = _verify_cli(core_ws)
    assert result.exit_code == 0, result.output
    assert "intact: 5 rows" in result.output


def test_an_edited_row_is_found(log, core_ws) -> None:
    _db(core_ws).execute("update audit set rows = 4000 where id = 4")
    assert log.verify().row_id == 4
    result = _verify_cli(core_ws)
    assert result.exit_code == 2
    assert "row 4 was changed" in result.output


def test_an_edited_row_with_a_recomputed_plain_hash_is_still_found(log, core_ws) -> None:
    import hashlib

    con = _db(core_ws)
    con.execute("update audit set target = 'tokB', mac = ? where id = 3",
                (hashlib.sha256(b"forged").hexdigest(),))
    result = log.verify()
    assert not result.ok and result.row_id == 3


def test_a_deleted_row_is_found(log, core_ws) -> None:
    _db(core_ws).execute("delete from audit where id = 2")
    result = log.verify()
    assert not result.ok and result.row_id == 2
    assert _verify_cli(core_ws).exit_code == 2


def test_deleting_the_newest_rows_is_found(log, core_ws) -> None:
    _db(core_ws).execute("delete from audit where id >= 4")
    result = log.verify()
    assert not result.ok
    assert "newest rows are missing" in result.problem
    assert _verify_cli(core_ws).exit_code == 2


def test_renumbered_rows_after_a_delete_are_found(log, core_ws) -> None:
    con = _db(core_ws)
    con.execute("delete from audit where id = 2")
    con.execute("update audit set id = id - 1 where id > 2")
    assert not log.verify().ok


def test_the_chain_continues_across_reopenings(log, core_ws, clock) -> None:
    again = AuditLog(core_ws.state_dir / AUDIT_DB, core_ws.state_dir, clock=clock)
    again.record(principal=CARE, action="logout")
    assert again.verify().ok and again.verify().rows == 6


def test_filters_and_paging(log, clock) -> None:
    assert [r.id for r in log.query(username="ann")] == [4, 3, 2, 1]
    assert [r.id for r in log.query(outcome="failed")] == [1]
    assert [r.id for r in log.query(target="tokA")] == [5, 3]
    assert [r.id for r in log.query(limit=2, offset=1)] == [4, 3]
    assert log.query(since="2999-01-01") == []
    assert len(log.query(until="2999-01-01")) == 5


def test_access_reports(log) -> None:
    viewed = log.patients_viewed()
    assert [(v["username"], v["target"], v["views"]) for v in viewed] == [("ann", "tokA", 1)]
    assert [f.action for f in log.failures()] == ["login"]
    unusual = log.unusual_volume(events=1, rows=10_000)
    assert [(u["username"], u["events"], u["rows"]) for u in unusual] == [("ann", 2, 41)]
    assert [u["username"] for u in log.unusual_volume(events=100, rows=40)] == ["ann"]
    assert log.unusual_volume(events=100, rows=10_000) == []


def test_csv_export_neutralises_formulas(log) -> None:
    log.record(principal=None, username=None, action="login", outcome="failed",
               detail="=HYPERLINK(\"http://x\")")
    text = to_csv(log.query())
    header, first = text.splitlines()[:2]
    assert header == "id,at,user_id,username,role,action,target,rows,outcome,client,detail"
    assert "'=HYPERLINK" in first
