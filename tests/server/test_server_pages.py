"""The kiosk and demo pages, the widget script, the translations and the curator pages (without a browser)."""

from __future__ import annotations

import base64
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from assistant import Answer
from assistant.language import LANGUAGES
from server.i18n import I18N_DIR, load_translations
from server.questionlog import QuestionLog

STATIC = Path(__file__).parents[2] / "server" / "static"
SCRIPT = "<script>alert(1)</script>"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"curator:{token}".encode()).decode()}


# -- kiosk ----------------------------------------------------------------------------------------
def test_the_kiosk_page_needs_nothing_from_outside_and_has_no_inline_code(client):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    found = tags(html)
    for tag, attrs in found:
        assert "style" not in attrs, f"inline style on <{tag}>"
        assert not any(name.startswith("on") for name in attrs), f"inline handler on <{tag}>"
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if tag in ("script", "link", "img"):
                assert not re.match(r"^(https?:)?//", value), f"external resource {value}"
        if tag == "script":
            assert attrs.get("src") or attrs.get("type") == "application/json"
    assert 'aria-live="polite"' in html
    form = next(attrs for tag, attrs in found if tag == "form")
    field = next(attrs for tag, attrs in found if tag == "input" and attrs.get("id") == "question")
    # Our own messages in the visitor's language, not the browser's "Please fill out this field".
    assert "novalidate" in form and "required" not in field
    sources = [attrs["src"] for tag, attrs in found if tag == "script" and attrs.get("src")]
    assert [Path(src).name for src in sources] == ["answerview.js", "kiosk.js"]
    assert any(attrs.get("id") == "source-dialog" for tag, attrs in found if tag == "dialog")
    assert len([1 for tag, attrs in found if tag == "button" and "lang" in (attrs.get("class") or "")]) == len(LANGUAGES)
    for suggestion in load_translations().languages["en"].suggestions:
        assert suggestion in html


def test_the_kiosk_starts_in_the_language_asked_for(client):
    html = client.get("/?lang=lt").text
    assert '<html lang="lt">' in html and "Klausti" in html and "Kas pasirašė Serovo instrukciją?" in html
    assert '<html lang="en">' in client.get("/?lang=" + SCRIPT).text


def test_the_kiosk_carries_its_idle_settings(make_app):
    with TestClient(make_app(idle_seconds=45, idle_warning_seconds=25)) as client:
        html = client.get("/").text
    assert 'data-idle-seconds="45"' in html and 'data-warning-seconds="25"' in html


def test_the_translations_embedded_in_the_kiosk_are_escaped(client):
    html = client.get("/").text
    data = re.search(r'<script type="application/json" id="i18n-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data  # tojson escapes < > & ' so no data can close the script element


# -- widget ---------------------------------------------------------------------------------------
def test_widget_js_is_small_compressed_and_never_uses_inner_html(client):
    response = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < 8_000  # what travels: the widget with its answer view
    assert len(response.content) < 25_000
    assert "SerovAnswerView" in response.text and "/*" not in response.text  # bundled, comments left out
    for script in ("widget.js", "kiosk.js", "answerview.js"):
        source = (STATIC / script).read_text(encoding="utf-8")
        assert not re.search(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(", source), script


def test_the_demo_page_embeds_the_widget_with_one_tag(client):
    html = client.get("/widget/demo").text
    scripts = [attrs for tag, attrs in tags(html) if tag == "script"]
    assert len(scripts) == 1
    assert scripts[0]["src"].endswith("/widget.js") and scripts[0]["data-title"] and "async" in scripts[0]


# -- translations ---------------------------------------------------------------------------------
# Words that are the same in a language and in English (a column heading "Status", "ID", "Text").
SAME_AS_ENGLISH = {"col_status", "col_id", "col_text", "col_passage", "col_author", "col_year", "nav_sources",
                   "card_address", "kind_primary", "kind_reference", "kind_secondary", "filter_low"}


def test_every_language_has_every_text_and_its_own_suggestions():
    translations = load_translations()
    assert translations.codes == LANGUAGES
    english = translations.languages["en"]
    for code, language in translations.languages.items():
        assert set(language.strings) == set(english.strings), code
        assert set(language.curator) == set(english.curator), code
        assert 4 <= len(language.suggestions) <= 6
        assert all(text.strip() for text in [*language.strings.values(), *language.curator.values()])
        if code != "en":
            assert not set(language.suggestions) & set(english.suggestions), f"{code} suggestions are not translated"
            same = [k for k, v in language.strings.items() if v == english.strings[k]]
            assert not same, f"{code}: untranslated {same}"
            same = [k for k, v in language.curator.items() if v == english.curator[k] and k not in SAME_AS_ENGLISH]
            assert not same, f"{code}: untranslated curator texts {same}"
        for text in language.strings.values():
            assert set(re.findall(r"\{(\w+)\}", text)) <= {"max", "seconds", "n", "title", "claims", "a", "b"}
        for key, text in language.curator.items():
            assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", english.curator[key])), key


def test_every_text_the_kiosk_and_the_widget_use_exists():
    english = load_translations().languages["en"].strings
    used = set()
    for name in ("kiosk.js", "answerview.js", "widget.js"):
        source = (STATIC / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'label\((?:t, )?"\w+", (?:"[\w -]+"|null|className), "(\w+)"', source))
        used |= set(re.findall(r'(?:key|i18nLabel|i18nAlt) ?[:=] ?"(\w+)"', source))
        used |= set(re.findall(r'\bt\("(\w+)"', source))
    used |= set(re.findall(r'data-i18n(?:-placeholder)?="(\w+)"', (Path(STATIC).parent / "templates" / "kiosk.html").read_text()))
    assert len(used) > 30
    assert used <= set(english), sorted(used - set(english))


def test_the_suggestions_cover_the_three_documents_and_the_deportation():
    for path in sorted(I18N_DIR.glob("*.yaml")):
        suggestions = " ".join(yaml.safe_load(path.read_text(encoding="utf-8"))["suggestions"])
        assert "001223" in suggestions and "0054" in suggestions and "1941" in suggestions, path.name
        assert re.search(r"Serov|Serow|Серов", suggestions), path.name


def test_suggested_english_questions_are_answered(client):
    for question in load_translations().languages["en"].suggestions:
        body = client.post("/api/ask", json={"question": question}).json()
        assert body["status"] in ("answered", "corrected"), question
        assert body["quotes"], question


# -- curator pages --------------------------------------------------------------------------------
def test_curator_pages_are_disabled_without_a_token(client):
    assert client.get("/curator").status_code == 404
    assert client.get("/curator/questions", headers=basic("anything")).status_code == 404


def test_curator_pages_need_the_token(make_app):
    with TestClient(make_app(curator_token="s3cret-token")) as client:
        missing = client.get("/curator/questions")
        assert missing.status_code == 401 and "www-authenticate" not in missing.headers  # no Basic-auth prompt
        browser = client.get("/curator/questions", headers={"Accept": "text/html"}, follow_redirects=False)
        assert browser.status_code == 303 and browser.headers["location"].startswith("/curator/login?next=")
        assert client.get("/curator/questions", headers=basic("wrong")).status_code == 401
        assert client.get("/curator/questions", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/curator/questions", headers={"Authorization": "Basic %%%"}).status_code == 401
        ok = client.get("/curator/questions", headers=basic("s3cret-token"))  # `curl -u curator:TOKEN` still works
        assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
        assert client.get("/curator", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def test_curators_browse_passages_and_sources(make_app, assistant):
    passage = assistant.corpus.passages[0]
    with TestClient(make_app(curator_token="tok")) as client:
        auth = basic("tok")
        listing = client.get("/curator/passages", headers=auth).text
        assert all(p.id in listing for p in assistant.corpus.passages)
        filtered = client.get("/curator/passages?about=order_0054", headers=auth).text
        assert "order-0054" in filtered or "0054" in filtered
        detail = client.get(f"/curator/passages/{passage.id}", headers=auth)
        assert detail.status_code == 200 and passage.sentences[0][:40] in detail.text.replace("&#39;", "'").replace("&#34;", '"')
        assert client.get("/curator/passages/no-such-passage", headers=auth).status_code == 404
        sources = client.get("/curator/sources", headers=auth).text
        assert all(source_id in sources for source_id in assistant.corpus.sources)


def test_the_question_log_shows_unanswered_and_corrected_questions_escaped(make_app, server_settings):
    with TestClient(make_app(curator_token="tok")) as client:
        client.post("/api/ask", json={"question": "Who signed the Serov Instructions?"})
        client.post("/api/ask", json={"question": "Did Ivan Serov sign Order 001223?"})
        client.post("/api/ask", json={"question": f"What is the capital of Australia? {SCRIPT}"})
        auth = basic("tok")
        everything = client.get("/curator/questions", headers=auth).text
        assert "Who signed the Serov Instructions?" in everything
        assert SCRIPT not in everything and "&lt;script&gt;alert(1)&lt;/script&gt;" in everything
        unanswered = client.get("/curator/questions?show=unanswered", headers=auth).text
        assert "capital of Australia" in unanswered and "Who signed the Serov" not in unanswered
        corrected = client.get("/curator/questions?show=corrected", headers=auth).text
        assert "Did Ivan Serov sign Order 001223?" in corrected and "capital of Australia" not in corrected
        assert re.search(r'href="/curator/passages/[\w-]+"', corrected)  # cited passages link to the passage
        overview = client.get("/curator", headers=auth).text
        assert "capital of Australia" in overview and SCRIPT not in overview


def test_the_question_log_stores_no_visitor_identifiers(client, server_settings):
    client.post("/api/ask", json={"question": "Who signed Order 001223?"},
                headers={"X-Forwarded-For": "203.0.113.9", "Cookie": "visitor=abc", "User-Agent": "probe-agent"})
    assert client.app.state.server.questions.flush()  # written by a background thread, off the request path
    with sqlite3.connect(server_settings.question_log) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(questions)")]
        rows = conn.execute("SELECT * FROM questions").fetchall()
    # "normalized" is the question again, case and spacing ignored (for grouping): nothing about the visitor.
    assert columns == ["id", "asked_at", "question", "lang", "status", "confidence", "passages", "normalized"]
    assert len(rows) == 1
    dump = repr(rows)
    assert "testclient" not in dump and "203.0.113.9" not in dump and "abc" not in dump and "probe" not in dump


def test_the_question_log_forgets_after_the_retention_period(tmp_path):
    log = QuestionLog(tmp_path / "q.sqlite3", retention_days=30)
    answer = Answer(question="Who signed Order 001223?", status="answered", answer="…", confidence=0.9)
    now = datetime.now(timezone.utc)
    log.record(answer, now=now - timedelta(days=31))
    log.record(answer, now=now - timedelta(days=29))
    assert log.counts()["answered"] == 2
    assert log.purge(now=now) == 1
    assert [q.asked_at.date() for q in log.recent()] == [(now - timedelta(days=29)).date()]
    reopened = QuestionLog(tmp_path / "q.sqlite3", retention_days=1)  # purges at start
    assert reopened.counts()["answered"] == 0


def test_frequent_unanswered_questions_are_grouped(tmp_path):
    log = QuestionLog(tmp_path / "q.sqlite3", retention_days=30)
    for text in ("Where is Serov buried?", "where is  serov BURIED?", "Who was Guzevičius's wife?"):
        log.record(Answer(question=text, status="abstained", answer="…", confidence=0.1))
    frequent = log.frequent()
    assert frequent[0].count == 2 and frequent[0].question.lower().startswith("where is")
    assert frequent[1].count == 1


@pytest.mark.parametrize("path", ["/", "/widget/demo", "/curator"])
def test_pages_do_not_set_cookies(client, path):
    assert "set-cookie" not in client.get(path).headers
