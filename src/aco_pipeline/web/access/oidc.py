"""Single sign-on with OpenID Connect (authorization code flow with PKCE; authlib's OAuth 2
client, the ID token checked with joserfc against the provider's published keys).

Roles come from one claim of the ID token (`role_claim`, a string or a list), mapped through
`role_map` (claim value -> role); a value not in the map grants nothing, and an identity with no
mapped role is refused. A provider's TIN/NPI come from `tin_claim`/`npi_claim`. The first login
creates a user with no password, tied to the subject (`sub`); later logins take the roles the
provider grants then. A local account of the same name that is not tied to this subject is
never taken over. State, nonce and PKCE verifier are kept server-side for `PENDING_SECONDS`,
bound to the browser that started the login.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from aco_pipeline.errors import AcoError
from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.access.store import connect
from aco_pipeline.web.access.users import USERNAME, User, UserError, UserStore

PENDING_SECONDS = 10 * 60
TIMEOUT = 10.0

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import OAuth2Client

_SCHEMA = """
create table if not exists oidc_pending (
    state text primary key,
    nonce text not null,
    verifier text not null,
    next_path text not null,
    binding text not null,
    created_at real not null
)
"""


class OidcError(AcoError, PermissionError):
    """A single-sign-on login that cannot be accepted (the message says why, without PHI)."""


@dataclass(frozen=True)
class OidcSettings:
    """Single sign-on with an OpenID Connect provider."""

    issuer: str
    client_id: str
    client_secret: str
    role_claim: str = "roles"
    role_map: dict[str, str] = field(default_factory=dict)
    """Claim value -> role name; a value not listed grants nothing."""
    tin_claim: str | None = None
    npi_claim: str | None = None
    scope: str = "openid email profile"
    label: str = "single sign-on"


@dataclass(frozen=True)
class Identity:
    sub: str
    username: str
    roles: frozenset[Role]
    tin: str | None
    npi: str | None


def _binding_hash(binding: str) -> str:
    return hashlib.sha256(binding.encode("utf-8", "replace")).hexdigest()


class OidcLogin:
    def __init__(self, settings: OidcSettings, db: Path, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self._metadata: dict[str, Any] | None = None
        with connect(self.db) as con:
            con.execute(_SCHEMA)

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once)."""
        if self._metadata is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                response = httpx.get(url, timeout=TIMEOUT)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise OidcError(f"the identity provider did not answer ({type(exc).__name__})"
                                ) from exc
            self._metadata = response.json()
        return self._metadata

    def _client(self, redirect_uri: str) -> OAuth2Client:
        from authlib.integrations.httpx_client import OAuth2Client

        return OAuth2Client(self.settings.client_id, self.settings.client_secret,
                            scope=self.settings.scope, redirect_uri=redirect_uri,
                            code_challenge_method="S256", timeout=TIMEOUT)

    def start(self, redirect_uri: str, next_path: str, binding: str) -> str:
        """The provider's authorization URL for a new login attempt."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        now = self.clock()
        with connect(self.db) as con:
            con.execute("delete from oidc_pending where created_at < ?",
                        (now - PENDING_SECONDS,))
            con.execute("insert into oidc_pending values (?, ?, ?, ?, ?, ?)",
                        (state, nonce, verifier, next_path, _binding_hash(binding), now))
        params = {"response_type": "code", "client_id": self.settings.client_id,
                  "redirect_uri": redirect_uri, "scope": self.settings.scope, "state": state,
                  "nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
                  "code_challenge_method": "S256"}
        return f"{self.metadata()['authorization_endpoint']}?{urlencode(params)}"

    def finish(self, redirect_uri: str, code: str, state: str, binding: str
               ) -> tuple[Identity, str]:
        """The identity behind an authorization code, and where to go next."""
        with connect(self.db, immediate=True) as con:
            row = con.execute("select * from oidc_pending where state = ?",
                              (state,)).fetchone()
            con.execute("delete from oidc_pending where state = ?", (state,))
        if row is None or self.clock() - row["created_at"] > PENDING_SECONDS:
            raise OidcError("the single-sign-on login expired or was not started here: "
                            "try again")
        if not secrets.compare_digest(row["binding"], _binding_hash(binding)):
            raise OidcError("the single-sign-on login was started in another browser")
        meta = self.metadata()
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(meta["token_endpoint"], code=code,
                                           code_verifier=row["verifier"])
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError("the identity provider refused the login code") from exc
        id_token = token.get("id_token")
        if not id_token:
            raise OidcError("the identity provider sent no ID token")
        claims = self._claims(id_token, row["nonce"])
        return self._identity(claims), row["next_path"]

    def _claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            keys = KeySet.import_key_set(httpx.get(self.metadata()["jwks_uri"],
                                                   timeout=TIMEOUT).json())
            decoded = jwt.decode(id_token, keys)
            jwt.JWTClaimsRegistry(
                now=int(self.clock()), leeway=60,
                iss={"essential": True, "value": self.metadata()["issuer"]},
                aud={"essential": True, "value": self.settings.client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True}, sub={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"the ID token is not valid ({type(exc).__name__})") from exc
        return decoded.claims

    def _identity(self, claims: dict[str, Any]) -> Identity:
        values = claims.get(self.settings.role_claim) or []
        if isinstance(values, str):
            values = [values]
        roles = frozenset(Role(self.settings.role_map[v]) for v in values
                          if isinstance(v, str) and v in self.settings.role_map)
        if not roles:
            raise OidcError("this single-sign-on account has no role in this app")
        name = str(claims.get("preferred_username") or claims.get("email")
                   or claims["sub"]).strip().lower()
        if not USERNAME.match(name):
            raise OidcError("the single-sign-on username is not usable here")

        def claim(key: str | None) -> str | None:
            value = claims.get(key) if key else None
            return str(value) if value is not None else None

        return Identity(str(claims["sub"]), name, roles, claim(self.settings.tin_claim),
                        claim(self.settings.npi_claim))


def provision(users: UserStore, identity: Identity) -> User:
    """The local user for a single-sign-on identity: created on first login, roles refreshed
    on each; never an existing local account that is not tied to this subject."""
    try:
        user = users.by_oidc_sub(identity.sub)
        if user is None:
            if users.by_name(identity.username) is not None:
                raise OidcError("a local account of that name exists and is not linked to "
                                "this single-sign-on identity")
            user = users.add(identity.username, identity.roles, None, tin=identity.tin,
                             npi=identity.npi)
        users.link_oidc(user.id, identity.sub, identity.roles, tin=identity.tin,
                        npi=identity.npi)
    except UserError as exc:
        raise OidcError(f"the single-sign-on account cannot be used: {exc}") from exc
    user = users.get(user.id)
    assert user is not None
    if user.disabled:
        raise OidcError("this account is disabled")
    return user


def settings_from_config(config: dict[str, Any], environ: dict[str, str]) -> OidcSettings | None:
    """`[web.oidc]` of aco.toml, or None when absent. The client secret is never in the file:
    `client_secret_env` names the environment variable holding it.

        [web.oidc]
        issuer = "https://login.example.org/realms/aco"
        client_id = "aco-web"
        client_secret_env = "ACO_OIDC_SECRET"
        role_claim = "groups"
        tin_claim = "tin"            # optional, for the provider role
        [web.oidc.role_map]
        "aco-analysts" = "analyst"
    """
    section = config.get("web", {}).get("oidc")
    if not section:
        return None
    try:
        secret_env = section["client_secret_env"]
        secret = environ.get(secret_env)
        if not secret:
            raise OidcError(f"[web.oidc] client_secret_env names {secret_env}, which is not set")
        role_map = {str(k): Role(str(v)).value for k, v in section.get("role_map", {}).items()}
        return OidcSettings(issuer=str(section["issuer"]), client_id=str(section["client_id"]),
                            client_secret=secret,
                            role_claim=str(section.get("role_claim", "roles")),
                            role_map=role_map, tin_claim=section.get("tin_claim"),
                            npi_claim=section.get("npi_claim"),
                            scope=str(section.get("scope", "openid email profile")))
    except KeyError as exc:
        raise OidcError(f"[web.oidc] needs {exc.args[0]}") from None
    except ValueError as exc:
        raise OidcError(f"[web.oidc] role_map: {exc}") from None
