"""Roles, permissions and the logged-in principal with its provider scope.

Deny by default: a role has exactly the permissions listed in `ROLE_PERMISSIONS`; a route
declares the one permission it needs (`access.guard.require`), and a route with none is refused.
Patient-level data (PHI) needs `Permission.PHI`; an admin gets PHI only by also holding a PHI
role. Provider scope (TIN, optionally NPI) is applied inside every query through `Scope`, the one
scope definition (issue 12, "Security").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    EXECUTIVE = "executive"
    FINANCE = "finance"
    CARE_MANAGER = "care_manager"
    PROVIDER = "provider"
    NETWORK = "network"
    ANALYST = "analyst"
    ADMIN = "admin"


class Permission(StrEnum):
    EXECUTIVE = "view.executive"        # forecast, MSR band, spend vs benchmark (aggregates)
    FINANCE = "view.finance"            # service categories, expenditure table, scope waterfall
    NETWORK = "view.network"            # facilities, TIN/NPI utilization, leakage
    PROVIDER = "view.provider"          # a scorecard at the principal's scope
    PHI = "view.phi"                    # patient-level pages, lists and exports
    WORKLIST_EDIT = "edit.worklist"     # assign / contacted / closed with a note
    ADMIN = "admin"                     # users, sessions, data status, audit log, /docs
    SELF = "self"                       # any logged-in user: home, logout, own password


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.EXECUTIVE: frozenset({Permission.SELF, Permission.EXECUTIVE}),
    Role.FINANCE: frozenset({Permission.SELF, Permission.FINANCE, Permission.EXECUTIVE}),
    Role.CARE_MANAGER: frozenset({Permission.SELF, Permission.PHI, Permission.WORKLIST_EDIT}),
    Role.PROVIDER: frozenset({Permission.SELF, Permission.PROVIDER, Permission.PHI}),
    Role.NETWORK: frozenset({Permission.SELF, Permission.NETWORK, Permission.PROVIDER}),
    Role.ANALYST: frozenset({Permission.SELF, Permission.EXECUTIVE, Permission.FINANCE,
                             Permission.NETWORK, Permission.PROVIDER, Permission.PHI}),
    Role.ADMIN: frozenset({Permission.SELF, Permission.ADMIN}),
}


@dataclass(frozen=True)
class Scope:
    """Which providers' data a principal may see: the whole ACO (both None), one TIN, or one
    NPI within a TIN. Only the provider role is scoped; every other role sees the ACO."""

    tin: str | None = None
    npi: str | None = None

    @property
    def whole_aco(self) -> bool:
        return self.tin is None and self.npi is None

    def sql(self, tin_column: str, npi_column: str | None = None) -> tuple[str, list[str]]:
        """A SQL predicate and its parameters restricting rows to this scope, e.g.
        `("tin = ? and npi = ?", ["123456789", "1234567890"])`; `("true", [])` for the ACO.
        Column names come from code, never from a request."""
        clauses: list[str] = []
        params: list[str] = []
        if self.tin is not None:
            clauses.append(f"{tin_column} = ?")
            params.append(self.tin)
        if self.npi is not None:
            if npi_column is None:
                # an NPI-scoped user asking for a TIN-grain table sees nothing, not the TIN
                return "false", []
            clauses.append(f"{npi_column} = ?")
            params.append(self.npi)
        return (" and ".join(clauses) or "true"), params


@dataclass(frozen=True)
class Principal:
    """The logged-in user as every route sees it."""

    user_id: int
    username: str
    roles: frozenset[Role]
    scope: Scope = field(default_factory=Scope)
    session_id: str = ""

    @property
    def permissions(self) -> frozenset[Permission]:
        out: set[Permission] = set()
        for role in self.roles:
            out |= ROLE_PERMISSIONS[role]
        return frozenset(out)

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def role_label(self) -> str:
        return "+".join(sorted(r.value for r in self.roles))
