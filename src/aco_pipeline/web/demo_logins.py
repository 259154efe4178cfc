"""One login per role for a demo workspace, with passwords generated for it (never defaults).

Run again on the same workspace, the users are kept and their passwords replaced (the old ones
stop working; their sessions end). The provider login is scoped to the TIN with the most
attributed beneficiaries, so its pages have patients on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aco_pipeline.config import Workspace
from aco_pipeline.warehouse import read
from aco_pipeline.web.access.accounts import Actor
from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.access.workspace_stores import accounts

PREFIX = "demo-"


@dataclass(frozen=True)
class Login:
    role: Role
    username: str
    password: str
    tin: str | None = None


def busiest_tin(ws: Workspace) -> str | None:
    """The TIN with the most attributed beneficiaries in the published warehouse."""
    try:
        with read.connect(ws) as con:
            if "mart_patient_beneficiary" not in read.tables(con):
                return None
            found = read.rows(con, "select attributed_tin from mart_patient_beneficiary "
                                   "where attributed_tin is not null group by 1 "
                                   "order by count(*) desc, 1 limit 1")
    except read.WarehouseReadError:
        return None
    return str(found[0][0]) if found else None


def demo_logins(ws: Workspace) -> list[Login]:
    store = accounts(ws)
    actor = Actor(name="cli:demo")
    tin = busiest_tin(ws)
    out: list[Login] = []
    for role in Role:
        name = PREFIX + role.value.replace("_", "-")
        scope = tin if role is Role.PROVIDER else None
        if store.users.by_name(name) is None:
            _, password = store.add(actor, name, frozenset({role}), tin=scope, initial=False)
        else:
            store.set_roles(actor, name, frozenset({role}), tin=scope)
            store.set_disabled(actor, name, False)
            _, password, _ = store.reset_password(actor, name, initial=False)
        assert password is not None
        out.append(Login(role, name, password, scope))
    return out
