"""Slow and stalled clients against a real uvicorn server on loopback: headers that trickle or never come
are cut off after the header timeout, a stalled body gets 408 after the body timeout, and meanwhile
everyone else is served. (The timeouts are set to 1 s here; the bounds checked are generous.)"""

from __future__ import annotations

import socket
import time

import httpx
import pytest

PARSERS = pytest.mark.parametrize("parser", ["httptools", "h11"])


def trickle_headers(port: int, seconds: float) -> tuple[float, bytes]:
    """Send a request's headers a byte every 0.1 s; return when the server closed the connection, and what it said."""
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"a" * 200
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(0.1)
    started = time.monotonic()
    received = b""
    try:
        for byte in request:
            if time.monotonic() - started > seconds:
                break
            try:
                sock.sendall(bytes([byte]))
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
    finally:
        sock.close()
    return time.monotonic() - started, received


@PARSERS
def test_trickling_headers_are_cut_off_and_others_are_served_meanwhile(stub_app, settings, live_server, parser):
    app, _ = stub_app(header_timeout_seconds=1.0)
    with live_server(app, settings.model_copy(update={"header_timeout_seconds": 1.0}), parser) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
        elapsed, said = trickle_headers(server.port, seconds=10)
        assert elapsed < 5, "the connection was closed after about the 1 s header timeout"
        assert b"408 Request Timeout" in said
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
        for sock in idle:  # connected and never sent a byte: closed too
            sock.settimeout(5)
            assert sock.recv(1) == b""
            sock.close()


@PARSERS
def test_a_stalled_body_gets_408(stub_app, settings, live_server, parser):
    app, _ = stub_app(body_timeout_seconds=1.0)
    with live_server(app, settings, parser) as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.settimeout(5)
        sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"question\": \"Who")
        started = time.monotonic()
        response = b""
        while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            response += chunk
        sock.close()
        assert time.monotonic() - started < 5
        assert response.startswith(b"HTTP/1.1 408") and b"did not arrive within 1 seconds" in response
        metrics = httpx.get(f"{server.url}/metrics", timeout=5).text
        assert 'route="other",status="408"' in metrics or 'status="408"' in metrics


@PARSERS
def test_a_keep_alive_connection_may_send_its_next_request_later(stub_app, settings, live_server, parser):
    """The header timeout runs per request: a client that pauses between requests (within keep-alive) is fine."""
    app, _ = stub_app()
    with live_server(app, settings.model_copy(update={"header_timeout_seconds": 1.0, "keep_alive_seconds": 5.0}),
                     parser) as server:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            assert client.get("/healthz").status_code == 200
            time.sleep(1.5)
            assert client.get("/healthz").status_code == 200
