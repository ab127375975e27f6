"""Hostile and odd input, through the real pipeline: every string a client can send is cleaned or refused
with a readable 4xx, never a 500; content-free input gets a polite request to ask a question, never a
quoted answer; unexpected errors still answer in JSON with the security headers. And the CLI likewise."""

from __future__ import annotations

import json
import os

import pytest
from fastapi.testclient import TestClient

from assistant.language import registry
from server.app import create_app

ASK = "/api/ask"


@pytest.fixture(scope="module")
def real_client(assistant_settings, assistant, tmp_path_factory):
    settings = assistant_settings.model_copy(update={
        "question_log": tmp_path_factory.mktemp("hostile") / "q.sqlite3", "rate_limit": "off"})
    with TestClient(create_app(settings, assistant=assistant)) as client:
        yield client


def raw_post(client, body: str):
    # json= would refuse to encode a lone surrogate; a client on the wire sends the escape as text.
    return client.post(ASK, content=body.encode("utf-8"), headers={"Content-Type": "application/json"})


# -- surrogates, controls, invisible characters --------------------------------------------------
@pytest.mark.parametrize("body", [
    r'{"question": "\udfff"}',
    r'{"question": "\ud800\ud800"}',
    r'{"question": "\u200b\u200e\u202e\ufeff"}',
    r'{"question": "\u0000\u0007\u001b"}',
])
def test_a_question_of_only_surrogates_controls_or_invisible_characters_is_an_empty_question(real_client, body):
    response = raw_post(real_client, body)
    assert response.status_code == 422
    assert response.json()["detail"] == "question: must not be empty"
    assert response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("body", [
    r'{"question": "Who signed\udfff the Serov Instructions?"}',
    r'{"question": "Who\u0000 signed the \u202eSerov\u202c Instructions?\u200b"}',
    r'{"question": "Who signed the Serov Instructions?", "lang": "en\udfff"}',
])
def test_surrogates_and_invisible_characters_inside_a_question_are_removed(real_client, body):
    response = raw_post(real_client, body)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        answer = response.json()
        text = json.dumps(answer, ensure_ascii=False)
        assert not any(0xD800 <= ord(c) <= 0xDFFF or c in "\u0000\u202e\u200b" for c in text)
        assert answer["question"].startswith("Who")
    else:
        assert response.json()["detail"].startswith("lang:")


@pytest.mark.parametrize("lang", ["\udfff", "en\u0000", "x" * 2000, "de-DE-\u202e", "\u200b", " en"])
def test_a_hostile_lang_gets_a_readable_422_that_does_not_echo_it(real_client, lang):
    response = raw_post(real_client, json.dumps({"question": "Who signed it?", "lang": lang}))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("lang: must be one of")
    assert "\\udfff" not in response.text and "xxxxx" not in response.text


def test_a_body_that_is_not_utf8_is_a_readable_4xx(real_client):
    response = real_client.post(ASK, content=b'{"question": "\xff\xfe"}', headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


# -- content-free input ------------------------------------------------------------------------------
CONTENT_FREE = [".", "a", "?", "!!!", "the", "😀", "🙂🙂🙂", "...?", "the the the", "ir", "und", "и", "what is it",
                "Who was he?", "- - -", "¿¡", "a\u200b"]


@pytest.mark.parametrize("question", CONTENT_FREE)
def test_content_free_input_gets_a_request_to_ask_a_question_and_no_quotes(real_client, question):
    response = real_client.post(ASK, json={"question": question})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "abstained" and body["reason"] == "not_a_question"
    assert body["quotes"] == [] and body["confidence"] == 0
    assert body["answer"] == registry()["en"].phrase("not_a_question")


def test_the_request_to_ask_a_question_is_in_the_visitors_language(real_client):
    body = real_client.post(ASK, json={"question": "?", "lang": "lt"}).json()
    assert body["lang"] == "lt" and body["answer"] == registry()["lt"].phrase("not_a_question")
    assert body["suggestions"], "the kiosk can offer questions instead"


@pytest.mark.parametrize("question", ["Serov?", "0054", "Who signed the Serov Instructions?", "Beria"])
def test_short_questions_with_content_still_reach_the_pipeline(real_client, question):
    assert real_client.post(ASK, json={"question": question}).json()["reason"] != "not_a_question"


def test_a_lone_zero_width_space_is_an_empty_question(real_client):
    response = real_client.post(ASK, json={"question": "\u200b"})
    assert response.status_code == 422 and response.json()["detail"] == "question: must not be empty"


# -- cost ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["谁签署了谢罗夫指令" * 55, "😀" * 500, "a " * 250, "a\u0301\u0302\u0303" * 125])
def test_questions_that_would_cost_far_more_than_their_length_suggests_are_refused(real_client, question):
    response = real_client.post(ASK, json={"question": question})
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert "tokens; the limit is 160" in response.json()["detail"]
    else:  # content-free: answered politely without the pipeline
        assert response.json()["reason"] == "not_a_question"


def test_a_long_question_in_a_supported_language_fits_the_token_limit(real_client):
    question = ("Kas pasirašė Serovo instrukciją ir kada įvyko trėmimai iš Lietuvos, Latvijos ir Estijos? " * 6)[:500]
    assert real_client.post(ASK, json={"question": question}).status_code == 200


# -- unexpected errors -----------------------------------------------------------------------------
def test_an_unexpected_error_is_json_with_the_security_headers_and_a_logged_traceback(stub_app, caplog):
    app, pipeline = stub_app()

    def broken(question, lang=None):
        raise RuntimeError("a bug")

    pipeline.answer = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(ASK, json={"question": "Who signed Order 001223?"})
        assert response.status_code == 500
        assert response.json() == {"detail": "something went wrong on our side; please try again"}
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "RuntimeError: a bug" in caplog.text
        assert "Traceback" not in response.text
        metrics = client.get("/metrics").text
        assert 'serov_qa_http_requests_total{method="POST",route="/api/ask",status="500"} 1.0' in metrics


# -- the command line ------------------------------------------------------------------------------
@pytest.fixture
def cli(monkeypatch, assistant):
    """`serov-qa ask` in process (typer's CliRunner), with the session's pipeline."""
    from typer.testing import CliRunner

    import serov_qa.cli as cli_module

    monkeypatch.setattr(cli_module, "load_assistant_or_exit", lambda settings: assistant)

    def invoke(*args: str):
        return CliRunner().invoke(cli_module.app, ["ask", *args])

    return invoke


@pytest.mark.parametrize("raw", [b"\xff", b"\xc3", b"\xe2\x80\x8b", b"\x1b\x07"])
def test_cli_ask_with_bytes_that_are_no_question_says_so_without_a_traceback(cli, raw):
    result = cli(os.fsdecode(raw))
    assert result.exit_code == 2, result.output
    assert "the question is empty" in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_ask_cleans_invalid_bytes_inside_a_question(cli):
    result = cli(os.fsdecode(b"Who signed the Serov\xff Instructions?"), "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["question"] == "Who signed the Serov Instructions?"
    assert answer["status"] == "answered"
