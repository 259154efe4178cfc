"""Time-based one-time codes (RFC 6238, pyotp): the optional second factor.

A code is accepted during its 30-second step and the step after it (a code typed as it rolled
over, or a phone clock a little behind), so at most 60 s; and only once: the user store keeps
the last step used (ASVS 5.0 6.5.1, 6.5.5; docs/security.md).
"""

from __future__ import annotations

import hmac

import pyotp

ISSUER = "aco-pipeline"


def step_of(secret: str, code: str, now: float) -> int | None:
    """The time step whose code `code` is, or None."""
    totp = pyotp.TOTP(secret)
    code = code.strip().replace(" ", "")
    if not code.isdigit():
        return None
    for drift in (0, -1):
        at = int(now) + drift * totp.interval
        if hmac.compare_digest(totp.at(at), code):
            return at // totp.interval
    return None


def provisioning_uri(secret: str, username: str, workspace_label: str) -> str:
    """The otpauth:// URI an authenticator app takes (typed in, or as a QR code elsewhere)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username,
                                               issuer_name=f"{ISSUER} {workspace_label}")
