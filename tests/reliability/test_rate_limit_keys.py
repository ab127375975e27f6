"""Rate-limit keys: the client's address, believed from a forwarded header only when the peer is a
configured proxy; or per kiosk. uvicorn trusts no proxy by default. 200s carry no Retry-After."""

from __future__ import annotations

from fastapi.testclient import TestClient

from config.settings import Settings
from server.serving import uvicorn_options

ASK = "/api/ask"
QUESTION = {"question": "Who signed the Serov Instructions?"}
PROXY = ("10.0.0.2", 40000)


def asks(client, n: int, **headers) -> list[int]:
    return [client.post(ASK, json=QUESTION, headers=headers).status_code for _ in range(n)]


def test_behind_a_trusted_proxy_each_visitor_has_an_allowance(stub_app):
    app, _ = stub_app(rate_limit="2/minute", trusted_proxies=["10.0.0.0/24"])
    with TestClient(app, client=PROXY) as proxy:
        assert asks(proxy, 3, **{"X-Forwarded-For": "203.0.113.7"}) == [200, 200, 429]
        assert asks(proxy, 2, **{"X-Forwarded-For": "198.51.100.4"}) == [200, 200]  # another visitor
        # A visitor writing its own X-Forwarded-For: the proxy appends the real address, which counts.
        assert asks(proxy, 1, **{"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}) == [429]


def test_a_forwarded_header_from_anyone_else_is_ignored(stub_app):
    app, _ = stub_app(rate_limit="2/minute", trusted_proxies=["10.0.0.0/24"])
    with TestClient(app, client=("203.0.113.99", 5000)) as visitor:
        assert asks(visitor, 2, **{"X-Forwarded-For": "1.1.1.1"}) == [200, 200]
        assert asks(visitor, 1, **{"X-Forwarded-For": "2.2.2.2"}) == [429]  # no new allowance by inventing addresses


def test_without_trusted_proxies_loopback_is_not_trusted_either(stub_app):
    app, _ = stub_app(rate_limit="1/minute")
    with TestClient(app, client=("127.0.0.1", 5000)) as local:
        assert asks(local, 1, **{"X-Forwarded-For": "203.0.113.1"}) == [200]
        assert asks(local, 1, **{"X-Forwarded-For": "203.0.113.2"}) == [429]


def test_a_configured_header_and_a_chain_of_proxies(stub_app):
    app, _ = stub_app(rate_limit="1/minute", trusted_proxies=["10.0.0.0/24", "192.168.5.1"], client_ip_header="X-Real-IP")
    with TestClient(app, client=PROXY) as proxy:
        assert asks(proxy, 1, **{"X-Real-IP": "203.0.113.7"}) == [200]
        assert asks(proxy, 1, **{"X-Real-IP": "203.0.113.8"}) == [200]
        assert asks(proxy, 1, **{"X-Forwarded-For": "203.0.113.9"}) == [200]  # not the configured header: the proxy's own
        assert asks(proxy, 1, **{"X-Forwarded-For": "203.0.113.10"}) == [429]


def test_kiosks_behind_one_address_each_have_an_allowance(stub_app):
    app, _ = stub_app(rate_limit="1/minute", rate_limit_key="kiosk", kiosk_ids=["hall-1", "hall-2"])
    with TestClient(app, client=("198.51.100.20", 5000)) as museum:
        assert asks(museum, 2, **{"X-Kiosk-Id": "hall-1"}) == [200, 429]
        assert asks(museum, 1, **{"X-Kiosk-Id": "hall-2"}) == [200]
        assert asks(museum, 1, **{"X-Kiosk-Id": "made-up"}) == [200]  # an unknown name counts as the address
        assert asks(museum, 1, **{"X-Kiosk-Id": "made-up-too"}) == [429]


def test_successful_answers_carry_no_retry_after(stub_app):
    app, _ = stub_app(rate_limit="5/minute")
    with TestClient(app) as client:
        response = client.post(ASK, json=QUESTION)
        assert response.status_code == 200 and "retry-after" not in response.headers
        assert response.headers["X-RateLimit-Limit"] == "5" and response.headers["X-RateLimit-Remaining"] == "4"


def test_uvicorn_trusts_the_configured_proxies_only():
    default = uvicorn_options(Settings(trusted_proxies=[]))
    assert default["forwarded_allow_ips"] == [] and default["proxy_headers"] is False
    assert default["access_log"] is False  # uvicorn's access log records IP:port
    proxied = uvicorn_options(Settings(trusted_proxies="10.0.0.1, 10.0.1.0/24"))
    assert proxied["forwarded_allow_ips"] == ["10.0.0.1/32", "10.0.1.0/24"] and proxied["proxy_headers"] is True


def test_settings_refuse_short_tokens_and_bad_kiosk_names():
    import pytest

    for bad in ({"curator_token": "tok-1234"}, {"curator_token": "x" * 15}, {"metrics_token": "tok-1234"},
                {"kiosk_ids": ["hall 1"]}, {"rate_limit_key": "kiosk", "kiosk_ids": []},
                {"trusted_proxies": ["not-an-address"]}, {"database_url": "mysql://x"}):
        with pytest.raises(ValueError) as raised:
            Settings(**bad)
        assert "tok-1234" not in str(raised.value)  # a rejected token is not echoed
    assert Settings(curator_token="x" * 16).curator_token == "x" * 16
