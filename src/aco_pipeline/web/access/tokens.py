"""Opaque beneficiary tokens: a beneficiary is never identified by MBI in a URL (issue 12).

A token is the current MBI encrypted with AES-SIV under a key kept in the workspace's state
folder (created 0600 on first use). AES-SIV is deterministic, so one beneficiary has one token
per workspace (links stay stable across pages and builds), and authenticated, so an edited or
made-up token decodes to nothing rather than to another beneficiary. Another workspace's key
gives different tokens for the same MBI.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

_ASSOCIATED = [b"aco-pipeline beneficiary token v1"]
KEY_FILE = "web_token.key"


def load_or_create_key(state_dir: Path) -> bytes:
    """The workspace's 512-bit AES-SIV key, created on first use with owner-only access."""
    path = state_dir / KEY_FILE
    if path.exists():
        return path.read_bytes()
    state_dir.mkdir(parents=True, exist_ok=True)
    key = AESSIV.generate_key(512)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    with contextlib.suppress(FileExistsError):
        os.link(tmp, path)  # first writer wins; a concurrent second keeps the first key
    tmp.unlink()
    return path.read_bytes()


class BeneficiaryTokens:
    """Turns a current MBI into its URL token and back."""

    def __init__(self, key: bytes) -> None:
        self._siv = AESSIV(key)

    def token(self, mbi: str) -> str:
        sealed = self._siv.encrypt(mbi.encode("ascii"), _ASSOCIATED)
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def mbi(self, token: str) -> str | None:
        """The MBI behind a token, or None for anything that is not one of ours."""
        if not token or len(token) > 96:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return self._siv.decrypt(raw, _ASSOCIATED).decode("ascii")
        except (ValueError, InvalidTag, UnicodeDecodeError):
            return None
