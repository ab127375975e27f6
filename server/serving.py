"""Running the app under uvicorn with the settings' limits on clients.

uvicorn closes idle keep-alive connections, but has no limit on how long a client may take to send
its request headers: 1,500 connections trickling a byte at a time were all still open after 40 s.
The protocol classes here close a connection whose request headers are not complete within the
header timeout, counted from the connection, or from the first byte of each later request on it
(with a 408 when part of a request came). The body has its own limit in the app
(server.security.BodySizeLimitMiddleware answers 408).

httptools and uvloop, when installed (they are dependencies), parse and move bytes in C: about twice
the requests per second of h11 on asyncio's loop, which is what keeps /healthz and cached answers
fast while 128 clients are asking; h11 is the fallback.
"""

from __future__ import annotations

import asyncio
import importlib.util

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from config import Settings

_TIMEOUT_BODY = b'{"detail": "the request headers did not arrive in time"}'
TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY))


class _HeaderDeadline:
    """The deadline for a request's headers; the protocol classes below say when it starts and stops."""

    header_timeout = 10.0  # set per server by protocol_class()
    _deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._deadline_passed)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or not self._waiting_for_headers():
            return
        if self._request_begun():  # part of a request arrived: say why it is closed (else close silently)
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class HeaderTimeoutH11Protocol(_HeaderDeadline, H11Protocol):
    def _waiting_for_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def _request_begun(self) -> bool:
        return bool(self.conn.trailing_data[0])

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Bytes of a request whose headers are incomplete (h11 stays IDLE): the deadline stands, and trickling
        # does not move it. Headers complete: the app decides from here on.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # An idle keep-alive connection is uvicorn's (timeout_keep_alive); the next request's headers are ours
        # again from its first byte (data_received).
        self._disarm()


def _httptools_class():
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeaderTimeoutHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
        _begun = False
        _headers_done = False

        def _waiting_for_headers(self) -> bool:
            return not self._headers_done

        def _request_begun(self) -> bool:
            return self._begun

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._begun, self._headers_done = True, False
            self._arm()

        def on_headers_complete(self) -> None:
            self._begun, self._headers_done = False, True
            self._disarm()
            super().on_headers_complete()

    return HeaderTimeoutHttpToolsProtocol


def fast_parser_available() -> bool:
    return importlib.util.find_spec("httptools") is not None


def protocol_class(header_timeout: float, fast: bool | None = None) -> type:
    base = _httptools_class() if (fast_parser_available() if fast is None else fast) else HeaderTimeoutH11Protocol
    return type(base.__name__, (base,), {"header_timeout": header_timeout})


def uvicorn_options(settings: Settings) -> dict:
    """uvicorn.run / uvicorn.Config keyword arguments from the settings (the app and address apart)."""
    trusted = [str(network) for network in settings.trusted_proxies]
    return {
        "http": protocol_class(settings.header_timeout_seconds),
        "loop": "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio",
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.max_connections,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise, so anything on the host could
        # pick its own address (and rate-limit key). Only the configured proxies are trusted, and none by default.
        "proxy_headers": bool(trusted) and settings.client_ip_header.lower() == "x-forwarded-for",
        "forwarded_allow_ips": trusted,
        # Its access log records every visitor's IP:port; the app logs requests without them when asked to.
        "access_log": False,
        "server_header": False,
        "log_level": "info",
    }
