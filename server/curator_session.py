"""Curator sign-in: a signed session cookie instead of the browser's Basic-auth prompt.

The curator token (SEROV_QA_CURATOR_TOKEN) stays the only secret: the cookie is signed with a key
derived from it, so changing the token signs everyone out, and nothing about sessions is stored
except the sessions signed out before they expired (in memory: a restart forgets them, and they
expire within a working day anyway). Forms that change
something carry a token derived from the session (against cross-site requests); the cookie is also
SameSite=Strict and HttpOnly, and lives under /curator only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

COOKIE = "serov_qa_curator"
COOKIE_PATH = "/curator"
SESSION_SECONDS = 8 * 3600  # a working day


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def offered_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` or Basic (any user, the token as password) header."""
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


class CuratorSessions:
    def __init__(self, token: str) -> None:
        self._token = token.encode()
        self._key = hmac.new(self._token, b"serov-qa curator session", hashlib.sha256).digest()
        self._signed_out: dict[str, int] = {}  # nonce -> expiry, of sessions signed out early

    def token_matches(self, offered: str | None) -> bool:
        return offered is not None and secrets.compare_digest(offered.encode(), self._token)

    def _sign(self, text: str) -> str:
        return _b64(hmac.new(self._key, text.encode(), hashlib.sha256).digest())

    def issue(self, now: float | None = None) -> str:
        """A new cookie value: issued-at, expiry, a random nonce and the signature of the three."""
        issued = int(now if now is not None else time.time())
        body = f"{issued}.{issued + SESSION_SECONDS}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, value: str | None, now: float | None = None) -> bool:
        if not value or value.count(".") != 3:
            return False
        body, _, signature = value.rpartition(".")
        if not secrets.compare_digest(signature, self._sign(body)):
            return False
        _issued, expires, nonce = body.split(".")
        try:
            expires_at = int(expires)
        except ValueError:
            return False
        current = now if now is not None else time.time()
        return current < expires_at and nonce not in self._signed_out

    def sign_out(self, value: str | None, now: float | None = None) -> None:
        """This session stops counting at once, not only when the browser drops the cookie."""
        if not self.valid(value, now):
            return
        current = now if now is not None else time.time()
        self._signed_out = {n: e for n, e in self._signed_out.items() if e > current}
        _issued, expires, nonce = value.rpartition(".")[0].split(".")
        self._signed_out[nonce] = int(expires)

    def form_token(self, session: str) -> str:
        return self._sign("form:" + session)

    def form_token_matches(self, session: str | None, offered: str | None) -> bool:
        return bool(session and offered) and secrets.compare_digest(offered, self.form_token(session))
