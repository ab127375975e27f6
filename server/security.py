"""Security headers on every response, limits on request bodies (size, time), and cleaning of client text.

The Content-Security-Policy allows no inline script or style anywhere: every script and
stylesheet is a file under server/static/. The widget's styles live in its Shadow DOM as a
constructed stylesheet, which the host page's CSP does not govern.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import unicodedata

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Characters that show nothing but change what text means to a program: zero-width spaces and joiners,
# bidirectional embeddings, overrides and isolates ("Trojan source"), the BOM, variation selectors, tag
# characters (invisible ASCII), and U+FFFD, which only ever stands for bytes that were not text.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffd\U000e0000-\U000e0fff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain(c: str) -> str:
    category = unicodedata.category(c)
    if category[0] == "C":  # controls, private use, unassigned
        return " "
    if category == "No" and c.isdigit():  # a digit that is no decimal digit ("⓵", "፩"): int() refuses it
        return str(unicodedata.digit(c))
    return c


def clean_text(value: str) -> str:
    """Client text as the rest of the server may safely handle it: lone surrogates (which cannot even be
    encoded as UTF-8), control characters and invisible formatting removed; NFKC, so that presentation
    forms are the plain letters and digits they show ("²" is 2, "ﬁ" is fi, fullwidth "Ｓ" is S), and
    every digit one that int() reads; runs of spaces as one."""
    value = _SURROGATE.sub(" ", value)
    value = _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))
    return " ".join("".join(_plain(c) for c in value).split())


def clean_argument(value: str) -> str:
    """A command-line argument: bytes that were not UTF-8 reach Python as lone surrogates (surrogateescape);
    they are decoded again with replacement, and then cleaned like any client text."""
    try:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte
        pass
    return clean_text(value)


def has_content(text: str) -> bool:
    """Whether the text has a letter or a digit at all ("?", "!!!", an emoji have none)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def content_security_policy(frame_ancestors: str) -> str:
    ancestors = frame_ancestors.strip() or "'none'"
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
        f"frame-ancestors {ancestors}",
    ])


def cross_origin_resource_policy(path: str) -> str:
    """The widget script and the API are fetched by other sites; everything else stays ours."""
    if path == "/widget.js" or path.startswith("/api/"):
        return "cross-origin"
    return "same-origin"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self.app = app
        self.csp = content_security_policy(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", self.csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Resource-Policy", cross_origin_resource_policy(path))
                if path.startswith("/curator"):
                    headers["Cache-Control"] = "no-store"
                    headers.setdefault("X-Robots-Tag", "noindex, nofollow")
            await send(message)

        await self.app(scope, receive, send_wrapper)


class BodySizeLimitMiddleware:
    """Refuses request bodies above max_bytes with 413, and bodies slower than timeout seconds with 408.

    The body is read here, up to the limit, and replayed to the app, so a body without a
    Content-Length (chunked) is limited too. Bodies are small (a question), so buffering is cheap.
    The time limit runs from the first read: a client that sends its headers and then trickles
    (or stops) its body holds a connection and a task only that long.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        too_large = f"the request body is too large; the limit is {self.max_bytes} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self._refuse(send, 413, too_large)
                    return
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                await self._refuse(send, 408, f"the request body did not arrive within {self.timeout:g} seconds")
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
