"""The museum's referral for practical questions (assistant/museum.py), the QR codes of sources and compression."""

from __future__ import annotations

import gzip

import pytest
import yaml
from fastapi.testclient import TestClient

from assistant.language import LANGUAGES
from assistant.museum import MUSEUM_FILE, MuseumFileError, load_museum
from server.qr import qr_svg

ASK = "/api/ask"


@pytest.fixture(scope="module")
def museum():
    return load_museum()


# -- the museum file ------------------------------------------------------------------------------
def test_the_museum_file_has_a_referral_and_words_for_every_topic_in_every_language(museum):
    data = yaml.safe_load(MUSEUM_FILE.read_text(encoding="utf-8"))
    assert set(data["referral"]) == set(LANGUAGES)
    assert {"hours", "tickets", "cafe", "toilets", "tours"} <= {t.name for t in museum.topics}
    for name, by_lang in data["topics"].items():
        assert set(by_lang) == set(LANGUAGES), name
    english = data["referral"]["en"]
    assert all(text != english for code, text in data["referral"].items() if code != "en")


@pytest.mark.parametrize("question, topic", [
    ("Where is the cafe?", "cafe"), ("What are the opening hours?", "hours"), ("How much is a ticket?", "tickets"),
    ("Are there guided tours?", "tours"), ("Where are the toilets?", "toilets"), ("Kur yra kavinė?", "cafe"),
    ("Kiek kainuoja bilietas?", "tickets"), ("Cik maksā biļete?", "tickets"), ("Kui palju maksab pilet?", "tickets"),
    ("Сколько стоит билет?", "tickets"), ("Wann ist das Museum geöffnet?", "hours"), ("Gibt es Führungen?", "tours"),
    # parking, with the toilets and the lift, in every language
    ("Where can I park my car?", "toilets"), ("Kur galima parkuotis?", "toilets"), ("kur var noparkot masinu?", "toilets"),
    ("Kus saab autot parkida?", "toilets"), ("Где можно припарковаться?", "toilets"), ("Wo kann ich parken?", "toilets"),
])
def test_practical_questions_in_six_languages_match_a_topic_firmly(museum, question, topic):
    found, strength = museum.match(question)
    assert found is not None and found.name == topic and strength == 2, question


def test_a_practical_word_alone_matches_weakly_and_a_phrase_firmly(museum):
    topic, strength = museum.match("Was there a toilet in the wagons?")
    assert (topic.name, strength) == ("toilets", 1)
    topic, strength = museum.match("toilet? and what are the opening hours")  # a phrase outranks a word
    assert (topic.name, strength) == ("hours", 2)


@pytest.mark.parametrize("question", [
    "Who signed the Serov Instructions?", "Где кафедра?", "Wer war die Führung des NKWD?",
    "When was Order 001223 issued?", "Kas pasirašė Serovo instrukciją?",
])
def test_questions_about_the_documents_are_not_practical(museum, question):
    assert museum.match(question) == (None, 0)


def test_a_broken_museum_file_stops_the_start(tmp_path):
    path = tmp_path / "museum.yaml"
    path.write_text("referral: {en: Ask at the desk}\ntopics: {}\n", encoding="utf-8")
    with pytest.raises(MuseumFileError, match="no text for lt, lv, et, ru, de"):
        load_museum(path)
    path.write_text(yaml.safe_dump({"referral": {c: "x" for c in LANGUAGES},
                                    "topics": {"cafe": {"en": {"phrases": ["cafe"]}}}}), encoding="utf-8")
    with pytest.raises(MuseumFileError, match=r"topics\.cafe\.lt: give phrases or words"):
        load_museum(path)


# -- the front desk (in the pipeline: assistant/decide.py and compose.py) ---------------------------
def test_an_unanswered_practical_question_gets_the_referral_and_no_suggestions(assistant, museum):
    answer = assistant.answer("Kur yra kavinė?")
    assert answer.status == "abstained" and answer.reason == "practical"
    assert answer.referral.topic == "cafe" and answer.lang == "lt"
    assert answer.referral.text == museum.referrals["lt"] and answer.referral.text in answer.answer
    assert answer.suggestions == [] and answer.quotes == []


def test_a_firmly_practical_question_is_referred_whatever_the_sources_hold(assistant):
    answer = assistant.answer("Where are the toilets?")
    assert answer.status == "abstained" and answer.reason == "practical" and answer.confidence == 0
    assert answer.referral.topic == "toilets" and answer.quotes == [] and answer.suggestions == []


def test_a_practical_word_alone_does_not_override_an_answer(assistant):
    question = assistant.understanding.parse("Was there a toilet in the wagons?")
    assert question.practical == ("toilets", 1)  # a word, not a phrase
    answer = assistant.answer("Was there a toilet in the wagons?")
    assert answer.status != "abstained" or answer.reason == "practical"
    assert answer.referral is None or answer.status == "abstained"


def test_suggestions_still_in_english_are_tagged_english(assistant):
    english = {q for p in assistant.corpus.passages for q in p.questions}
    answer = assistant.answer("Wann starb Iwan Serow?")
    assert len(answer.suggestion_langs) == len(answer.suggestions) > 0
    assert answer.suggestion_langs == ["en" if s in english else "de" for s in answer.suggestions]


def test_the_api_refers_the_cafe_question_and_logs_it_as_unanswered(make_app, server_settings):
    with TestClient(make_app()) as client:
        body = client.post(ASK, json={"question": "Where is the cafe?"}).json()
        assert body["status"] == "abstained" and body["referral"]["topic"] == "cafe"
        assert body["suggestions"] == [] and body["quotes"] == []
        german = client.post(ASK, json={"question": "Where is the cafe?", "lang": "de"}).json()
        assert german["referral"]["text"] == load_museum().referrals["de"] and german["lang"] == "de"
        answer = client.post(ASK, json={"question": "Who signed the Serov Instructions?"}).json()
        assert answer["referral"] is None and len(answer["suggestion_langs"]) == len(answer["suggestions"])
        log = client.app.state.server.questions
        assert log.counts()["abstained"] == 2


# -- QR codes -------------------------------------------------------------------------------------
def test_a_source_has_a_qr_code_of_the_address_visitors_are_shown(client, assistant):
    source = next(s for s in assistant.corpus.sources.values() if s.canonical_url)
    response = client.get(f"/sources/{source.id}/qr.svg")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    assert response.content == qr_svg(source.canonical_url)  # the original, not the mirror in `url`
    assert response.content.startswith(b"<svg") and b"<script" not in response.content
    assert "max-age" in response.headers["cache-control"]
    assert client.get("/sources/S-none/qr.svg").status_code == 404


def test_the_qr_code_encodes_the_address():
    import segno

    address = "https://en.wikipedia.org/wiki/Serov_Instructions"
    assert qr_svg(address) == qr_svg(address)  # cached, identical
    code = segno.make(address, error="m", micro=False)
    assert code.error == "M" and code.version <= 5  # few modules: a phone reads it from a screen at arm's length


# -- compression ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/widget.js", "/static/kiosk.css", "/static/kiosk.js", "/api/i18n/lt"])
def test_text_scripts_and_styles_are_compressed(client, path):
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip", path
    assert int(response.headers["content-length"]) < len(response.content)


def test_the_curator_pages_are_never_compressed(make_app):
    with TestClient(make_app(curator_token="tok")) as client:
        response = client.get("/curator/login", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and "content-encoding" not in response.headers


def test_compressed_widget_is_what_the_browser_gets(client):
    raw = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    packed = client.stream("GET", "/widget.js", headers={"Accept-Encoding": "gzip"})
    with packed as response:
        body = b"".join(response.iter_raw())
    assert gzip.decompress(body) == raw.content
