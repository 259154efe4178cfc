"""Account changes that touch more than the user table: each ends the user's sessions when it
should and writes its audit row, whether the CLI or an admin page asks for it.

A password reset, a disable and a role change end every session of that user ("logout
everywhere"), so a stolen session or an old role does not outlive the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from aco_pipeline.web.access.audit import AuditLog
from aco_pipeline.web.access.principal import Principal, Role
from aco_pipeline.web.access.sessions import SessionStore
from aco_pipeline.web.access.users import User, UserStore, generate_password


@dataclass(frozen=True)
class Actor:
    """Who asks: an admin principal (web) or a named operator (CLI, e.g. `cli:alice`)."""

    principal: Principal | None = None
    name: str | None = None
    client: str | None = None


class Accounts:
    def __init__(self, users: UserStore, sessions: SessionStore, audit: AuditLog) -> None:
        self.users = users
        self.sessions = sessions
        self.audit = audit

    def _record(self, actor: Actor, action: str, target: str | None,
                detail: str | None = None) -> None:
        self.audit.record(principal=actor.principal, username=actor.name, action=action,
                          target=target, client=actor.client, detail=detail)

    def add(self, actor: Actor, username: str, roles: frozenset[Role], *,
            password: str | None = None, tin: str | None = None, npi: str | None = None,
            sso_only: bool = False, initial: bool = True) -> tuple[User, str | None]:
        """The new user and the password to hand over (generated unless given; None for a
        single-sign-on-only user). The password is an initial one (`initial`): it must be
        changed at the first login and stops working after 72 hours."""
        secret = None if sso_only else (
            password or generate_password(username.strip().lower(), self.users.context))
        user = self.users.add(username, roles, secret, tin=tin, npi=npi, initial=initial)
        self._record(actor, "admin.user.add", user.username,
                     f"roles={','.join(sorted(r.value for r in roles))}"
                     + (f" tin={tin}" if tin else "") + (f" npi={npi}" if npi else ""))
        return user, secret

    def reset_password(self, actor: Actor, username: str, password: str | None = None, *,
                       initial: bool = True) -> tuple[User, str, int]:
        """The user, the new (initial) password, and how many sessions were ended."""
        secret = password or generate_password(username.strip().lower(), self.users.context)
        user = self.users.reset_password(username, secret, initial=initial)
        ended = self.sessions.revoke_user(user.id)
        self._record(actor, "admin.user.reset_password", user.username,
                     f"sessions ended={ended}")
        return user, secret, ended

    def set_disabled(self, actor: Actor, username: str, disabled: bool = True
                     ) -> tuple[User, int]:
        user = self.users.set_disabled(username, disabled)
        ended = self.sessions.revoke_user(user.id) if disabled else 0
        self._record(actor, "admin.user.disable" if disabled else "admin.user.enable",
                     user.username, f"sessions ended={ended}")
        return user, ended

    def set_roles(self, actor: Actor, username: str, roles: frozenset[Role], *,
                  tin: str | None = None, npi: str | None = None) -> tuple[User, int]:
        user = self.users.set_roles(username, roles, tin=tin, npi=npi)
        ended = self.sessions.revoke_user(user.id)
        self._record(actor, "admin.user.roles", user.username,
                     f"roles={','.join(sorted(r.value for r in roles))}"
                     + (f" tin={tin}" if tin else "") + (f" npi={npi}" if npi else "")
                     + f" sessions ended={ended}")
        return user, ended

    def remove_totp(self, actor: Actor, username: str) -> User:
        user = self.users.require(username)
        self.users.set_totp(user.id, None)
        ended = self.sessions.revoke_user(user.id)
        self._record(actor, "admin.user.totp_removed", user.username,
                     f"sessions ended={ended}")
        return self.users.require(username)

    def end_sessions_of(self, actor: Actor, username: str) -> int:
        user = self.users.require(username)
        ended = self.sessions.revoke_user(user.id)
        self._record(actor, "admin.session.end_user", user.username, f"sessions ended={ended}")
        return ended

    def end_all_sessions(self, actor: Actor) -> int:
        ended = self.sessions.revoke_all()
        self._record(actor, "admin.session.end_all", None, f"sessions ended={ended}")
        return ended

    def end_session(self, actor: Actor, handle: str) -> bool:
        ended = self.sessions.revoke_handle(handle)
        if ended:
            self._record(actor, "admin.session.end", handle)
        return ended
