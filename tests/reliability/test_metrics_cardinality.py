"""/metrics: every label value from a fixed set, whatever a client sends; the scrape stays small; access
can be restricted by address or token; a client that hangs up is not a server error."""

from __future__ import annotations

import asyncio
import re

from fastapi.testclient import TestClient

SCRAPER_TOKEN = "a-scraper-token-of-some-length"


def label_values(text: str, label: str) -> set[str]:
    return set(re.findall(label + r'="([^"]*)"', text))


def test_invented_methods_and_paths_do_not_make_new_series(stub_app):
    app, _ = stub_app()
    with TestClient(app) as client:
        before = len(client.get("/metrics").content)
        for i in range(300):
            client.request(f"X{i}{'M' * 200}", "/api/ask")
            client.get(f"/no/such/path/{i}/{'p' * 200}")
            client.request("PROPFIND", f"/api/passages/{i}")
        text = client.get("/metrics").text
    assert label_values(text, "method") <= {"GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert "other" in label_values(text, "method")
    routes = label_values(text, "route")
    assert "other" in routes and not any("no/such" in r for r in routes)
    assert all(r == "other" or r.startswith("/") and "{" in r or r in ("/api/ask", "/metrics", "/readyz", "/healthz")
               for r in routes)
    assert len(text.encode()) < before + 20_000, "900 hostile requests added only a few fixed series"


def test_metrics_can_be_restricted_to_networks_or_a_token(stub_app):
    app, _ = stub_app(metrics_networks=["10.1.0.0/16"], metrics_token=SCRAPER_TOKEN)
    with TestClient(app, client=("10.1.2.3", 5000)) as inside, TestClient(app, client=("203.0.113.5", 5000)) as outside:
        assert inside.get("/metrics").status_code == 200
        assert outside.get("/metrics").status_code == 404
        assert outside.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER_TOKEN}"}).status_code == 200
        assert outside.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        assert outside.get("/healthz").status_code == 200


def test_metrics_are_open_by_default(stub_app):
    app, _ = stub_app()
    with TestClient(app, client=("203.0.113.5", 5000)) as client:
        assert client.get("/metrics").status_code == 200


def test_a_client_that_hangs_up_mid_body_is_counted_as_gone_not_as_a_server_error(stub_app):
    app, _ = stub_app()
    sent: list[dict] = []

    async def hang_up():
        messages = iter([{"type": "http.request", "body": b'{"question": "Who', "more_body": True},
                         {"type": "http.disconnect"}])

        async def receive():
            return next(messages)

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/api/ask", "raw_path": b"/api/ask", "query_string": b"", "root_path": "",
                 "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
                 "client": ("127.0.0.1", 1234), "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)

    with TestClient(app) as client:  # runs the lifespan
        asyncio.run(hang_up())
        text = client.get("/metrics").text
    assert not [m for m in sent if m["type"] == "http.response.start"]
    assert 'status="500"' not in text
    assert re.search(r'serov_qa_http_requests_total\{method="POST",route="other",status="499"\} 1\.0', text)
