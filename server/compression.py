"""Gzip for text, scripts and styles (widget.js: 4.8 kB instead of 13.8 kB), except the curator pages.

The curator pages carry a secret (the form token against cross-site requests) next to text a
request can choose (the search box). Compressing such pages lets an observer guess the secret
from the response sizes (BREACH), so they go out uncompressed; they are few and small.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

UNCOMPRESSED_PREFIXES = ("/curator",)


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = 500) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("path", "").startswith(UNCOMPRESSED_PREFIXES):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
