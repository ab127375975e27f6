"""The curator loop without a browser: sign-in, the grouped question log, exports, reviewing."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from fastapi.testclient import TestClient

from assistant import Answer
from evaluation.questions import load_questions
from evaluation.runner import run_cli
from server.curator import question_file
from server.curator_session import CuratorSessions
from server.i18n import load_translations
from server.questionlog import QuestionLog

TOKEN = "s3cret-curator-token"
HTML = {"Accept": "text/html,application/xhtml+xml"}
# What the log holds: (question, language, status). Written straight into the log, so these tests of the
# curator pages do not depend on how the assistant happens to answer each question today.
QUESTIONS = [
    ("Who signed the Serov Instructions?", "en", "answered"), ("who signed the  SEROV instructions?", "en", "answered"),
    ("Did Ivan Serov sign Order 001223?", "en", "corrected"), ("Where is Serov buried?", "en", "abstained"),
    ("Where is Serov buried?", "en", "abstained"), ("Kur palaidotas Serovas?", "lt", "abstained"),
    ("=HYPERLINK(\"http://x\")", "en", "abstained"),
]


@pytest.fixture
def curator(make_app):
    app = make_app(curator_token=TOKEN)
    with TestClient(app) as client:
        log = app.state.server.questions
        for question, lang, status in QUESTIONS:
            log.record(Answer(question=question, status=status, answer="", lang=lang,
                              confidence=0.9 if status == "answered" else 0.2))
        log.flush()
        yield client


def sign_in(client, token=TOKEN, next_page="/curator/questions"):
    return client.post("/curator/login", data={"token": token, "next": next_page}, follow_redirects=False)


def form_token(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


# -- signing in ----------------------------------------------------------------------------------
def test_a_browser_without_a_session_is_sent_to_the_sign_in_page(curator):
    response = curator.get("/curator/questions?show=unanswered", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/curator/login?next=%2Fcurator%2Fquestions%3Fshow%3Dunanswered"
    assert "www-authenticate" not in response.headers  # no browser Basic-auth prompt any more
    page = curator.get(response.headers["location"])
    assert page.status_code == 200 and 'type="password"' in page.text and 'name="next"' in page.text


def test_a_wrong_token_shows_the_sign_in_page_again_not_json(curator):
    response = sign_in(curator, "wrong")
    assert response.status_code == 401 and response.headers["content-type"].startswith("text/html")
    assert load_translations().languages["en"].curator["login_failed"] in response.text
    assert "set-cookie" not in response.headers


def test_signing_in_sets_a_strict_session_cookie_and_signing_out_ends_it(curator):
    response = sign_in(curator)
    assert response.status_code == 303 and response.headers["location"] == "/curator/questions"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/curator" in cookie and "Max-Age=" in cookie
    page = curator.get("/curator/questions", headers=HTML)
    assert page.status_code == 200 and "Where is Serov buried?" in page.text
    stolen = curator.cookies.get("serov_qa_curator")
    out = curator.post("/curator/logout", data={"form_token": form_token(page.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/curator/login?out=1"
    assert curator.get("/curator/questions", headers=HTML, follow_redirects=False).status_code == 303
    # The signed-out session stays dead even if someone kept a copy of the cookie.
    curator.cookies.set("serov_qa_curator", stolen, path="/curator")
    assert curator.get("/curator/questions", headers=HTML, follow_redirects=False).status_code == 303


def test_sign_in_only_returns_to_our_own_pages(curator):
    for target in ("https://evil.example/", "//evil.example/", "/elsewhere"):
        assert sign_in(curator, next_page=target).headers["location"] == "/curator"


def test_changes_need_the_form_token_of_the_session(curator):
    sign_in(curator)
    assert curator.post("/curator/logout", data={}).status_code == 403
    assert curator.post("/curator/questions/review", data={"key": "x", "form_token": "forged"}).status_code == 403


def test_scripts_use_the_token_and_get_json_errors(curator):
    assert curator.get("/curator/questions", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    refused = curator.get("/curator/questions.csv", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401 and "Bearer" in refused.json()["detail"]


def test_sessions_are_signed_with_the_token_and_expire():
    sessions = CuratorSessions("one")
    value = sessions.issue(now=1_000)
    assert sessions.valid(value, now=1_001)
    assert not sessions.valid(value, now=1_000 + 9 * 3600)  # a working day, then sign in again
    assert not CuratorSessions("another token").valid(value, now=1_001)
    assert not sessions.valid(value[:-2] + "xx", now=1_001)
    assert not sessions.valid("1.2.3", now=1_001) and not sessions.valid("", now=1_001)


def test_the_curator_pages_speak_the_curators_language(curator):
    sign_in(curator)
    lithuanian = load_translations().languages["lt"].curator
    page = curator.get("/curator/questions?lang=lt", headers=HTML)
    assert '<html lang="lt">' in page.text and lithuanian["nav_questions"] in page.text
    assert "serov_qa_curator_lang=lt" in page.headers["set-cookie"]
    again = curator.get("/curator", headers=HTML)  # remembered
    assert lithuanian["nav_overview"] in again.text


def test_without_a_choice_the_browser_language_is_used(curator):
    sign_in(curator)
    german = curator.get("/curator/sources", headers={**HTML, "Accept-Language": "fr-FR, de-DE;q=0.9, en;q=0.5"})
    assert '<html lang="de">' in german.text
    assert load_translations().languages["de"].curator["nav_sources"] in german.text


# -- the grouped log ------------------------------------------------------------------------------
def test_identical_questions_are_grouped_with_counts_and_first_and_last_seen(curator):
    sign_in(curator)
    html = curator.get("/curator/questions", headers=HTML).text
    row = re.search(r'<tr>\s*<td><input type="checkbox" name="key"[^>]*>\s*</td>\s*<td><label[^>]*>Where is Serov buried\?'
                    r'</label></td>(.*?)</tr>', html, re.S)
    assert row, "the question is listed once"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[2].strip() == "2"  # asked twice
    assert len(re.findall(r'<time datetime="[^"]+\+00:00">', row.group(1))) == 2  # first and last, local in the browser
    assert html.count(">Who signed the Serov Instructions?<") == 1  # two spellings, one row


@pytest.mark.parametrize("query, present, absent", [
    ("show=unanswered", "Where is Serov buried?", "Who signed the Serov Instructions?"),
    ("show=corrected", "Did Ivan Serov sign Order 001223?", "Where is Serov buried?"),
    ("lang_filter=lt", "Kur palaidotas Serovas?", "Where is Serov buried?"),
    ("q=BURIED", "Where is Serov buried?", "Kur palaidotas"),
    ("q=%25", "No questions match", "Where is Serov buried?"),  # a % is a percent sign, not a wildcard
])
def test_filters_and_search(curator, query, present, absent):
    sign_in(curator)
    html = curator.get(f"/curator/questions?{query}", headers=HTML).text
    assert present in html and absent not in html


def test_low_confidence_shows_given_answers_below_the_limit(tmp_path):
    log = QuestionLog(tmp_path / "q.sqlite3", retention_days=30)
    for text, status, confidence in [("a?", "answered", 0.3), ("b?", "answered", 0.95), ("c?", "abstained", 0.1)]:
        log.record(Answer(question=text, status=status, answer="…", confidence=confidence))
    low = log.groups(("answered", "corrected"), below_confidence=0.6)
    assert [g.question for g in low] == ["a?"]


def test_a_reviewed_question_leaves_the_to_do_list_until_it_is_asked_again(tmp_path):
    log = QuestionLog(tmp_path / "q.sqlite3", retention_days=30)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    answer = Answer(question="Where is Serov buried?", status="abstained", answer="…", confidence=0.1)
    log.record(answer, now=now - timedelta(hours=2))
    log.mark_reviewed(["where is serov buried?"], now=now - timedelta(hours=1))
    (group,) = log.groups()
    assert group.reviewed_at is not None and log.groups(unreviewed=True) == []
    log.record(answer, now=now)
    (group,) = log.groups(unreviewed=True)
    assert group.count == 2 and group.reviewed_at is None
    log.mark_reviewed(["where is serov buried?"], reviewed=False)
    assert log.groups(unreviewed=True)


def test_marking_reviewed_through_the_page(curator):
    sign_in(curator)
    html = curator.get("/curator/questions?show=unanswered", headers=HTML).text
    key = re.search(r'name="key" value="(\w+)" id="k-\w+-abstained" class="choose"></td>\s*<td><label[^>]*>Where is Serov',
                    html).group(1)
    done = curator.post("/curator/questions/review", data={"key": key, "action": "review",
                                                           "form_token": form_token(html), "back": "show=unanswered&todo=1"},
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/curator/questions?show=unanswered&todo=1"
    todo = curator.get("/curator/questions?show=unanswered&todo=1", headers=HTML).text
    assert "Where is Serov buried?" not in todo and "Kur palaidotas Serovas?" in todo


# -- exports --------------------------------------------------------------------------------------
def test_csv_export_of_the_filtered_log(curator):
    response = curator.get("/curator/questions.csv?show=unanswered", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    by_question = {row["question"]: row for row in rows}
    assert by_question["Where is Serov buried?"]["times_asked"] == "2"
    assert all(row["status"] == "abstained" for row in rows)
    assert "'=HYPERLINK(\"http://x\")" in by_question  # a spreadsheet shows it as text, never runs it
    assert datetime.fromisoformat(rows[0]["first_asked_utc"]).tzinfo is not None


def test_the_question_file_export_is_a_file_serov_qa_evaluate_accepts(curator, tmp_path, assistant):
    sign_in(curator)
    html = curator.get("/curator/questions?show=unanswered", headers=HTML).text
    keys = re.findall(r'name="key" value="(\w+)"', html)
    response = curator.post("/curator/questions/export.yaml", data={"key": keys, "form_token": form_token(html)})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/yaml")
    path = tmp_path / "visitors.yaml"
    path.write_text(response.text, encoding="utf-8")
    questions = load_questions([path])
    by_text = {q.question: q for q in questions}
    assert {"Where is Serov buried?", "Kur palaidotas Serovas?"} <= set(by_text)
    assert by_text["Kur palaidotas Serovas?"].lang == "lt" and by_text["Kur palaidotas Serovas?"].kind == "multilingual"
    assert "Asked 2 times" in by_text["Where is Serov buried?"].note
    assert response.text.count("# TODO: expect") == len(questions)
    # The command itself reads it: exit 0 or 1 (thresholds), never 2 (a malformed file).
    assert run_cli(lambda settings: assistant, None, [path], tmp_path / "report", None) in (0, 1)


def test_exporting_nothing_is_refused(curator):
    sign_in(curator)
    html = curator.get("/curator/questions", headers=HTML).text
    assert curator.post("/curator/questions/export.yaml", data={"form_token": form_token(html)}).status_code == 422


def test_the_question_file_keeps_odd_text_intact(tmp_path):
    log = QuestionLog(tmp_path / "q.sqlite3", retention_days=30)
    odd = 'He said: "no" — #1: [x] {y} & <z>\\'
    log.record(Answer(question=odd, status="abstained", answer="…", confidence=0.1))
    text = question_file(log.groups())
    (entry,) = yaml.safe_load(text)
    assert entry["question"] == odd and entry["expect"]["status"] == "answered"
