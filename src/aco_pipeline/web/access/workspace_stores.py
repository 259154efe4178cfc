"""The access stores of a workspace without the web app (for the CLI)."""

from __future__ import annotations

from aco_pipeline.config import Workspace
from aco_pipeline.web.access.accounts import Accounts
from aco_pipeline.web.access.audit import AuditLog
from aco_pipeline.web.access.sessions import SessionStore
from aco_pipeline.web.access.store import AUDIT_DB, WEB_DB
from aco_pipeline.web.access.users import UserStore


def audit_log(ws: Workspace) -> AuditLog:
    return AuditLog(ws.state_dir / AUDIT_DB, ws.state_dir)


def accounts(ws: Workspace) -> Accounts:
    db = ws.state_dir / WEB_DB
    return Accounts(UserStore(db, context=(ws.aco_id,)), SessionStore(db), audit_log(ws))
