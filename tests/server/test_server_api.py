"""The HTTP API with the real app and the real pipeline: answers, every error path, the rate limit."""

from __future__ import annotations

import json
import re
import threading

import pytest
from fastapi.testclient import TestClient

from assistant import MAX_QUESTION_CHARS, Answer, SourceRef
from assistant.language import LANGUAGES, registry
from server.app import create_app

ASK = "/api/ask"


def detail(response) -> str:
    return response.json()["detail"]


# -- health, readiness ----------------------------------------------------------------------------
def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["passages"] > 0


def test_readyz_is_503_until_the_assistant_is_loaded(server_settings, assistant):
    release = threading.Event()

    def slow_loader(settings):
        release.wait(30)
        return assistant

    with TestClient(create_app(server_settings, loader=slow_loader)) as client:
        assert client.get("/healthz").status_code == 200
        loading = client.get("/readyz")
        assert loading.status_code == 503 and loading.json()["status"] == "loading"
        refused = client.post(ASK, json={"question": "Who signed the Serov Instructions?"})
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert client.get("/api/sources").status_code == 503
        release.set()
        for _ in range(100):
            if client.get("/readyz").status_code == 200:
                break
            threading.Event().wait(0.05)
        assert client.get("/readyz").status_code == 200
        assert client.post(ASK, json={"question": "Who signed the Serov Instructions?"}).status_code == 200


def test_readyz_reports_a_failed_load_briefly_and_the_log_in_full(server_settings, caplog):
    def broken_loader(settings):
        raise OSError("no such model: /opt/models/secret-path")

    with TestClient(create_app(server_settings, loader=broken_loader)) as client:
        for _ in range(100):
            body = client.get("/readyz").json()
            if body["status"] != "loading":
                break
            threading.Event().wait(0.05)
        response = client.get("/readyz")
        assert response.status_code == 503 and "Retry-After" not in response.headers  # waiting will not help
        assert response.json()["status"] == "failed" and response.json()["reason"] == "model_unavailable"
        assert "/opt/models" not in response.text  # no paths on a public endpoint
        assert "no such model: /opt/models/secret-path" in caplog.text  # the operator's detail is in the log
        assert client.get("/healthz").status_code == 200


# -- /api/ask -------------------------------------------------------------------------------------
def test_ask_returns_the_answer_contract(client):
    response = client.post(ASK, json={"question": "Who signed the Serov Instructions?"})
    assert response.status_code == 200
    answer = Answer.model_validate(response.json())
    assert answer.status == "answered"
    assert answer.quotes and all(q.sources for q in answer.quotes)
    assert any("Serov" in q.text for q in answer.quotes)
    source = answer.quotes[0].sources[0]
    assert source.title and source.locator and source.url.startswith("http")


def test_ask_corrects_a_mixed_up_premise(client):
    response = client.post(ASK, json={"question": "Did Ivan Serov sign Order 001223?"})
    assert response.status_code == 200
    assert response.json()["status"] == "corrected"


def test_ask_passes_the_language_to_the_assistant(client):
    response = client.post(ASK, json={"question": "Who signed the Serov Instructions?", "lang": "de"})
    assert response.status_code == 200
    body = response.json()
    assert body["lang"] == "de"
    assert body["answer"].startswith(registry()["de"].phrase("intro"))


def test_ask_accepts_a_regional_language_tag_and_an_empty_one(client):
    assert client.post(ASK, json={"question": "Who signed Order 001223?", "lang": "lt-LT"}).json()["lang"] == "lt"
    assert client.post(ASK, json={"question": "Who signed Order 001223?", "lang": ""}).status_code == 200


def test_a_question_of_exactly_the_limit_is_accepted(client):
    question = ("Who signed the Serov Instructions? " * 20)[:MAX_QUESTION_CHARS]
    assert client.post(ASK, json={"question": question}).status_code == 200


@pytest.mark.parametrize(("body", "expected"), [
    ({"question": ""}, "question: must not be empty"),
    ({"question": "   \n\t "}, "question: must not be empty"),
    ({"question": "x" * (MAX_QUESTION_CHARS + 1)},
     f"question: must be at most {MAX_QUESTION_CHARS} characters (this one has {MAX_QUESTION_CHARS + 1})"),
    ({"question": 123}, "question: must be text (a JSON string)"),
    ({"question": None}, "question: must be text (a JSON string)"),
    ({"question": ["Who?"]}, "question: must be text (a JSON string)"),
    ({"lang": "en"}, "question: is required"),
    ({"question": "Who signed it?", "lang": "fr"}, f"lang: must be one of {', '.join(LANGUAGES)}"),
    ({"question": "Who signed it?", "lang": 7}, "lang: must be text (a JSON string)"),
])
def test_invalid_questions_get_a_readable_422(client, body, expected):
    response = client.post(ASK, json=body)
    assert response.status_code == 422
    assert detail(response) == expected
    assert response.json()["errors"][0]["field"] == expected.split(":")[0]


@pytest.mark.parametrize(("content", "expected"), [
    ('{"question": "Who signed', "body: is not valid JSON"),
    ("not json at all", "body: is not valid JSON"),
    ('["Who signed the Serov Instructions?"]', "body: must be a JSON object"),
    ('"Who signed the Serov Instructions?"', "body: must be a JSON object"),
    ("", "body: must be a JSON object"),
])
def test_malformed_json_gets_a_readable_422(client, content, expected):
    response = client.post(ASK, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert detail(response).startswith(expected)


def test_a_body_that_is_not_json_gets_422(client):
    response = client.post(ASK, content="question=Who", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422
    assert detail(response).startswith("body: must be a JSON object")


def test_an_over_long_body_is_refused_with_413(client):
    big = json.dumps({"question": "Who signed it?", "padding": "x" * 5000})
    response = client.post(ASK, content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert detail(response) == "the request body is too large; the limit is 4096 bytes"


def test_an_over_long_chunked_body_is_refused_with_413(client):
    def chunks():
        yield b'{"question": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = client.post(ASK, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


# -- rate limit -----------------------------------------------------------------------------------
def test_the_rate_limit_answers_429_with_retry_after(make_app):
    with TestClient(make_app(rate_limit="3/minute")) as client:
        for _ in range(3):
            ok = client.post(ASK, json={"question": "Who signed the Serov Instructions?"})
            assert ok.status_code == 200
            assert ok.headers["X-RateLimit-Limit"] == "3"
        refused = client.post(ASK, json={"question": "Who signed the Serov Instructions?"})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert "too many questions" in detail(refused)
        assert client.get("/api/sources").status_code == 200  # only /api/ask is limited
        metrics = client.get("/metrics").text
        assert 'serov_qa_http_requests_total{method="POST",route="/api/ask",status="429"} 1.0' in metrics


def test_the_rate_limit_is_per_app_and_can_be_switched_off(make_app):
    with TestClient(make_app(rate_limit="off")) as client:
        for _ in range(35):
            assert client.post(ASK, json={"question": "Who signed Order 001223?"}).status_code == 200
    with TestClient(make_app(rate_limit="2/minute")) as first, TestClient(make_app(rate_limit="2/minute")) as second:
        for _ in range(2):
            assert first.post(ASK, json={"question": "Who signed Order 001223?"}).status_code == 200
        assert second.post(ASK, json={"question": "Who signed Order 001223?"}).status_code == 200


def test_a_misspelt_rate_limit_stops_the_start(server_settings, assistant):
    with pytest.raises(ValueError):
        create_app(server_settings.model_copy(update={"rate_limit": "30 a minute"}), assistant=assistant)


# -- cache and metrics ----------------------------------------------------------------------------
def test_repeated_questions_come_from_the_cache(client):
    first = client.post(ASK, json={"question": "When was Order 0054 issued?"}).json()
    second = client.post(ASK, json={"question": "  when was ORDER 0054   issued? "}).json()
    assert second["question"] == "when was ORDER 0054 issued?"
    assert {k: v for k, v in second.items() if k != "question"} == {k: v for k, v in first.items() if k != "question"}
    client.post(ASK, json={"question": "When was Order 0054 issued?", "lang": "lt"})  # another language: computed
    metrics = client.get("/metrics").text
    assert "serov_qa_answer_cache_hits_total 1.0" in metrics
    assert "serov_qa_answer_cache_misses_total 2.0" in metrics


def test_metrics_count_requests_latency_and_answers(client):
    client.post(ASK, json={"question": "Who signed the Serov Instructions?"})
    client.post(ASK, json={"question": "What is the capital of Australia?"})
    client.get("/api/passages/no-such-passage")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'serov_qa_http_requests_total{method="POST",route="/api/ask",status="200"} 2.0' in text
    assert 'serov_qa_http_requests_total{method="GET",route="/api/passages/{passage_id}",status="404"} 1.0' in text
    assert 'serov_qa_http_request_duration_seconds_bucket{le="0.5",method="POST",route="/api/ask"}' in text
    assert re.search(r'serov_qa_answers_total\{status="answered"\} [1-9]', text)
    assert 'serov_qa_answers_total{status="abstained"}' in text
    assert "serov_qa_ready 1.0" in text


def test_each_app_has_its_own_metrics(make_app):
    with TestClient(make_app()) as first, TestClient(make_app()) as second:
        first.post(ASK, json={"question": "Who signed the Serov Instructions?"})
        assert 'route="/api/ask"' not in second.get("/metrics").text


# -- passages, sources, languages -----------------------------------------------------------------
def test_a_passage(client, assistant):
    passage = assistant.corpus.passages[0]
    response = client.get(f"/api/passages/{passage.id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "text", "about", "sources"}
    assert body["id"] == passage.id and body["text"] == passage.text and body["about"] == list(passage.about)
    assert {s["id"] for s in body["sources"]} == {c.source_id for c in passage.sources}
    # The fields of a citation in an answer (the stage rebuild added kind, author and year).
    assert all(set(s) == set(SourceRef.model_fields) for s in body["sources"])


def test_an_unknown_passage_is_404(client):
    response = client.get("/api/passages/no-such-passage")
    assert response.status_code == 404 and "no-such-passage" in detail(response)


def test_sources(client, assistant):
    body = client.get("/api/sources").json()
    assert [s["id"] for s in body] == list(assistant.corpus.sources)
    assert all(s["title"] and s["url"] for s in body)


def test_translations(client):
    body = client.get("/api/i18n/lt").json()
    assert body["lang"] == "lt" and body["name"] == "Lietuvių"
    assert body["strings"]["ask"] == "Klausti"
    assert 4 <= len(body["suggestions"]) <= 6
    assert [lang["code"] for lang in body["languages"]] == list(LANGUAGES) == ["en", "lt", "lv", "et", "ru", "de"]
    assert client.get("/api/i18n/xx").status_code == 404


def test_the_openapi_schema_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/passages/{passage_id}", "/api/sources", "/healthz", "/readyz", "/metrics"} <= set(schema["paths"])
    ask = schema["paths"]["/api/ask"]["post"]
    assert {"200", "400", "408", "413", "422", "429", "503"} <= set(ask["responses"])
    assert "Retry-After" in ask["responses"]["503"]["headers"] and "Retry-After" in ask["responses"]["429"]["headers"]
    lang = schema["components"]["schemas"]["AskRequest"]["properties"]["lang"]
    assert {"type": "string", "enum": list(LANGUAGES)} in lang["anyOf"]
    assert "404" in schema["paths"]["/metrics"]["get"]["responses"]
    assert "503" in schema["paths"]["/readyz"]["get"]["responses"]
    request = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert request["maxLength"] == 2 * MAX_QUESTION_CHARS  # the raw string; 500 once spaces are collapsed
    assert client.get("/docs").status_code == 404  # it would load scripts from a CDN


# -- security -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/widget/demo", "/api/sources", "/healthz", "/static/kiosk.css"])
def test_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_frame_ancestors_is_configurable(make_app):
    with TestClient(make_app(frame_ancestors="https://museum.example")) as client:
        assert "frame-ancestors https://museum.example" in client.get("/").headers["Content-Security-Policy"]


def test_cors_allows_only_the_configured_origins_without_credentials(make_app):
    with TestClient(make_app(allowed_origins=["https://museum.example"])) as client:
        allowed = client.post(ASK, json={"question": "Who signed Order 001223?"},
                              headers={"Origin": "https://museum.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://museum.example"
        assert "access-control-allow-credentials" not in allowed.headers
        assert "Retry-After" in allowed.headers["access-control-expose-headers"]  # the widget reads it on 429
        preflight = client.options(ASK, headers={
            "Origin": "https://museum.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        })
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://museum.example"
        other = client.post(ASK, json={"question": "Who signed Order 001223?"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        bad_preflight = client.options(ASK, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert bad_preflight.status_code == 400


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    from config.settings import Settings

    monkeypatch.setenv("SEROV_QA_RATE_LIMIT", "off")
    monkeypatch.setenv("SEROV_QA_ALLOWED_ORIGINS", '["https://museum.example"]')
    monkeypatch.setenv("SEROV_QA_CURATOR_TOKEN", "s3cret-s3cret-s3cret")
    monkeypatch.setenv("SEROV_QA_IDLE_SECONDS", "45")
    monkeypatch.setenv("SEROV_QA_INDEX_DIR", str(tmp_path / "index"))
    settings = Settings()
    assert settings.rate_limit == "off" and settings.allowed_origins == ["https://museum.example"]
    assert settings.curator_token == "s3cret-s3cret-s3cret" and settings.idle_seconds == 45
    assert settings.index_dir == tmp_path / "index"
    monkeypatch.setenv("SEROV_QA_IDLE_WARNING_SECONDS", "5")
    with pytest.raises(ValueError):
        Settings()  # WCAG 2.2.1: at least 20 seconds to extend
