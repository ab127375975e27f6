"""The kiosk, the widget, the curator pages and the report in a real browser: Playwright driving Debian's Chromium.

Skipped when /usr/bin/chromium is missing, unless CI=true (then it fails). Every page state is
photographed at 1080x1920 (portrait kiosk), 1920x1080 (landscape kiosk) and 390x844 (a phone) into
test-output/screenshots/ and checked with axe-core for WCAG 2.2 AA: 0 violations. The number of
states checked and their violations go to test-output/axe-summary.json.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from server.app import create_app
from server.i18n import load_translations
from assistant.museum import load_museum

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
VIEWPORTS = {
    "portrait": {"width": 1080, "height": 1920},
    "landscape": {"width": 1920, "height": 1080},
    "phone": {"width": 390, "height": 844},
}
PORTRAIT, LANDSCAPE, PHONE = VIEWPORTS["portrait"], VIEWPORTS["landscape"], VIEWPORTS["phone"]
ANSWER_TIMEOUT_MS = 30_000
SCRIPT = "<script>alert(1)</script>"
TRANSLATIONS = load_translations().languages
TOKEN = "browser-curator-token"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RESULTS: dict[str, int] = {}

CORRECTED = "Did Ivan Serov sign Order 001223?"
ANSWERED = "Who signed the Serov Instructions?"
OUT_OF_SCOPE = "What is the capital of Australia?"
CAFE = "Where is the cafe?"


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def origin(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def live_server(app, sock: socket.socket | None = None) -> Iterator[str]:
    """Serve the app with uvicorn in a background thread on a free loopback port."""
    sock = sock or free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield origin(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    # What the closing note of the issue asks for: every state checked, and its violations.
    summary = OUTPUT / "axe-summary.json"
    known = json.loads(summary.read_text(encoding="utf-8")) if summary.is_file() else {}
    known.update(AXE_RESULTS)
    summary.write_text(json.dumps(dict(sorted(known.items())), indent=2), encoding="utf-8")


@pytest.fixture(scope="module")
def module_settings(assistant_settings, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    return assistant_settings.model_copy(update={"question_log": folder / "questions.sqlite3", "rate_limit": "off",
                                                 "curator_token": TOKEN})


@pytest.fixture(scope="module")
def base_url(module_settings, assistant) -> Iterator[str]:
    with live_server(create_app(module_settings, assistant=assistant)) as url:
        yield url


@pytest.fixture(scope="module")
def idle_url(module_settings, assistant) -> Iterator[str]:
    # model_copy skips validation: production settings require at least 20 s, the test wants 2 + 3.
    settings = module_settings.model_copy(update={"idle_seconds": 2, "idle_warning_seconds": 3})
    with live_server(create_app(settings, assistant=assistant)) as url:
        yield url


@pytest.fixture(scope="module")
def english_questions(assistant) -> set[str]:
    """The curated English questions: what a suggestion may still be when no translation exists."""
    return {q for p in assistant.corpus.passages for q in p.questions}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


class Watch:
    """What went wrong in the page: JS errors, CSP violations, alert() dialogs."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self, allow: tuple[str, ...] = ()) -> None:
        assert not self.dialogs, f"a dialog fired: {self.dialogs}"
        errors = [e for e in self.errors if not any(a in e for a in allow)]
        assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def open_page(browser):
    contexts = []

    def opener(url: str, viewport=LANDSCAPE, **options):
        # Reduced motion: the screenshots show the finished page, not an answer fading in.
        options = {"has_touch": True, "reduced_motion": "reduce", **options}
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        watch = Watch(page)
        page.goto(url)
        return page, watch

    yield opener
    for context in contexts:
        context.close()


def check(page, state: str) -> None:
    """The screenshot of a page state, and axe-core's WCAG 2.2 AA check of it: no violation."""
    from axe_playwright_python.sync_playwright import Axe

    page.screenshot(path=str(SCREENSHOTS / f"{state}.png"))
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    AXE_RESULTS[state] = results.violations_count
    assert results.violations_count == 0, f"{state}: {results.generate_report()}"


def ask(page, question: str) -> None:
    page.locator("#question").fill(question)
    page.locator("#ask-button").click()
    page.locator("#answers .exchange").last.locator(".answer, .failure").first.wait_for()


def assert_touch_targets(page) -> None:
    small = page.evaluate("""() => [...document.querySelectorAll('button, input, a')]
        .filter(e => e.offsetParent !== null && !e.closest('.skip'))
        .map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 44 || r.height < 44)
        .map(([text, r]) => `${text}: ${Math.round(r.width)}x${Math.round(r.height)}`)""")
    assert not small, f"touch targets under 44x44 px: {small}"


def assert_fits(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling"


def assert_in_view(page, *selectors: str) -> None:
    """Wholly inside the window and not covered or clipped: what is at its centre is the element itself."""
    for selector in selectors:
        seen = page.evaluate("""(selector) => {
            const e = document.querySelector(selector), r = e.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, hit: !!hit && (hit === e || e.contains(hit)),
                    height: innerHeight, width: innerWidth};
        }""", selector)
        assert seen["top"] >= 0 and seen["bottom"] <= seen["height"] and seen["left"] >= 0 and seen["right"] <= seen["width"], (selector, seen)
        assert seen["hit"], f"{selector} is covered or scrolled away: {seen}"


def t(lang: str, key: str, **values) -> str:
    text = TRANSLATIONS[lang].strings[key]
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


# -- kiosk: start, answer, source card ---------------------------------------------------------------
def test_kiosk_start(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/", viewport=VIEWPORTS[viewport])
    assert_in_view(page, "#question", "#ask-button")
    assert_touch_targets(page)
    assert_fits(page)
    check(page, f"kiosk-start-{viewport}")
    watch.assert_clean()


def test_type_is_sized_by_the_smaller_side_of_the_screen(open_page, base_url):
    sizes = {}
    for name in ("portrait", "landscape"):
        page, _ = open_page(base_url + "/", viewport=VIEWPORTS[name])
        sizes[name] = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert sizes["portrait"] == sizes["landscape"] >= 26  # one screen, one type size, turned either way


def test_kiosk_answer_cites_each_source_once_and_opens_it_in_a_card(open_page, base_url, viewport, assistant):
    page, watch = open_page(base_url + "/", viewport=VIEWPORTS[viewport])
    page.locator("#suggestions .suggestion").first.tap()
    answer = page.locator("#answers .answer").first
    answer.wait_for()
    assert answer.locator("blockquote").first.text_content().strip()
    assert answer.locator(".badge").first.is_visible()
    # The answer gets the room; the question field stays in view.
    share = page.evaluate("() => document.getElementById('conversation').clientHeight / innerHeight")
    assert share >= 0.6, f"the answer area has {share:.0%} of the height"
    assert_in_view(page, "#question", "#ask-button")
    # Sources: each once, numbered, referenced from every quote, with its kind.
    references = answer.locator(".reference")
    shown = [r.locator(".reference-title").text_content() for r in references.all()]
    cited = page.evaluate("""() => [...document.querySelectorAll('#answers .quote .ref')].map(b => b.textContent)""")
    assert len(shown) == len(set(shown)) >= 1 and sorted(set(cited), key=int) == [str(i) for i in range(1, len(shown) + 1)]
    assert all(q.locator(".ref").count() >= 1 for q in answer.locator(".quote").all())
    kinds = {t("en", f"kind_{k}") for k in ("primary", "secondary", "reference")}
    assert {k.text_content() for k in answer.locator(".reference .kind").all()} <= kinds
    assert page.locator("#answers a[href]").count() == 0  # nothing on the kiosk leads off the page
    check(page, f"kiosk-answer-{viewport}")
    assert_touch_targets(page)
    assert_fits(page)

    start = page.url
    pages_before = len(page.context.pages)
    ref = answer.locator(".quote .ref").first
    ref.tap()
    card = page.locator("#source-dialog")
    card.wait_for(state="visible")
    page.wait_for_function("() => { const i = document.querySelector('#card-qr-place img'); return i && i.complete && i.naturalWidth > 0; }")
    title = card.locator("#card-title").text_content()
    source = next(s for s in assistant.corpus.sources.values() if s.title == title)
    assert card.locator("#card-url").text_content() == source.best_url  # the original, never the mirror
    assert page.url == start and len(page.context.pages) == pages_before  # no new page, no navigation
    assert page.evaluate("() => document.activeElement.id") == "card-close"
    check(page, f"kiosk-source-card-{viewport}")
    page.locator("#card-close").tap()
    card.wait_for(state="hidden")
    assert page.evaluate("() => document.activeElement.classList.contains('ref')")  # back where the visitor was
    watch.assert_clean()


def test_kiosk_correction_comes_first_and_says_what_was_wrong(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/", viewport=VIEWPORTS[viewport])
    ask(page, CORRECTED)
    answer = page.locator("#answers .answer").first
    first = page.evaluate("""() => [...document.querySelector('#answers .answer').children]
                                   .find(e => !e.classList.contains('understood')).className""")
    assert first == "correction"
    correction = answer.locator(".correction")
    text = correction.text_content()
    assert t("en", "correction_heading") in text and "“Ivan Serov”" in text
    assert t("en", "doc_order_001223") in text
    box = correction.bounding_box()
    assert box["y"] + box["height"] <= VIEWPORTS[viewport]["height"]  # seen without scrolling
    assert "Beria" in answer.locator("blockquote").first.text_content()  # the correcting quote first
    check(page, f"kiosk-correction-{viewport}")
    watch.assert_clean()


def test_kiosk_practical_question_gets_the_museum_referral(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/", viewport=VIEWPORTS[viewport])
    ask(page, CAFE)
    referral = page.locator("#answers .referral")
    referral.wait_for()
    assert referral.locator(".referral-text").text_content() == load_museum().referrals["en"]
    assert referral.locator("h3").text_content() == t("en", "museum_heading")
    assert page.locator("#answers .more").count() == 0  # no random suggestions
    check(page, f"kiosk-museum-referral-{viewport}")
    watch.assert_clean()


def test_kiosk_not_in_the_sources(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/", viewport=VIEWPORTS[viewport])
    ask(page, OUT_OF_SCOPE)
    assert page.locator("#answers .badge.status-abstained").text_content() == t("en", "status_abstained")
    check(page, f"kiosk-abstained-{viewport}")
    watch.assert_clean()


# -- kiosk: waiting, failing, retrying, limits ----------------------------------------------------
def test_kiosk_waits_visibly_then_keeps_the_question_and_retries(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/", viewport=VIEWPORTS[viewport])
    held = []
    page.route("**/api/ask", lambda route: held.append(route))
    suggestions = page.locator("#suggestions .suggestion")
    question = suggestions.first.text_content()
    suggestions.first.tap()
    page.locator("#answers .pending").wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('button.suggestion')].every(b => b.getAttribute('aria-disabled') === 'true')")
    assert page.locator("#ask-button").get_attribute("aria-disabled") == "true"
    check(page, f"kiosk-waiting-{viewport}")
    if suggestions.nth(1).is_visible():  # in portrait the starting suggestions have folded away for the answer
        # A tap while waiting is said so, not silently dropped, and nothing is sent. (force: Playwright itself
        # would not tap what says it is disabled.)
        suggestions.nth(1).tap(force=True)
        assert page.locator("#question-error").text_content() == t("en", "busy_wait")
        page.wait_for_timeout(200)
    assert len(held) == 1
    held[0].abort("internetdisconnected")
    page.locator("#answers .failure .error").wait_for()
    assert page.locator("#answers .failure .error").text_content() == t("en", "error_offline")
    assert page.locator("#question").input_value() == question  # the visitor's words are kept
    assert page.evaluate("() => document.querySelectorAll('button.suggestion[aria-disabled]').length") == 0
    check(page, f"kiosk-failed-retry-{viewport}")
    page.unroute("**/api/ask")
    page.locator("#answers .retry").tap()
    page.locator("#answers .answer").wait_for()
    assert page.locator("#answers .exchange").count() == 1 and page.locator("#answers .failure").count() == 0
    assert page.locator("#question").input_value() == ""
    watch.assert_clean(allow=("ERR_INTERNET_DISCONNECTED", "Failed to load resource"))


def test_kiosk_too_many_questions_does_not_blame_the_visitor(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/?lang=de", viewport=VIEWPORTS[viewport])
    page.route("**/api/ask", lambda route: route.fulfill(status=429, headers={"Retry-After": "7"},
                                                          content_type="application/json", body='{"detail": "x"}'))
    page.locator("#suggestions .suggestion").first.tap()
    error = page.locator("#answers .failure .error")
    error.wait_for()
    assert error.text_content() == t("de", "error_busy", seconds=7)
    assert page.locator("#answers .retry").text_content() == t("de", "retry")
    check(page, f"kiosk-rate-limited-{viewport}")
    watch.assert_clean(allow=("429",))


def test_kiosk_empty_question_is_explained_in_the_visitors_language(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/?lang=lt", viewport=VIEWPORTS[viewport], locale="en-US")
    page.locator("#ask-button").click()
    assert page.locator("#question-error").text_content() == t("lt", "error_empty")
    assert page.locator("#question").get_attribute("aria-invalid") == "true"
    assert page.evaluate("() => document.getElementById('question').validationMessage") == ""  # no browser bubble
    assert page.locator("#answers .exchange").count() == 0
    check(page, f"kiosk-empty-question-{viewport}")
    page.locator("#question").type("K")
    assert page.locator("#question").get_attribute("aria-invalid") is None
    watch.assert_clean()


# -- kiosk: languages ---------------------------------------------------------------------------
def test_a_lithuanian_page_marks_only_english_text_as_english(open_page, base_url, viewport, english_questions):
    lithuanian = TRANSLATIONS["lt"]
    page, watch = open_page(base_url + "/?lang=lt", viewport=VIEWPORTS[viewport])
    page.locator("#suggestions .suggestion").first.tap()
    page.locator("#answers .answer").wait_for()
    assert page.locator("#answers .asked-label").first.text_content() == lithuanian.strings["you_asked"]
    marked = page.evaluate("""() => [...document.querySelectorAll('[lang]')].map(e => ({
        tag: e.tagName.toLowerCase(), cls: e.className, lang: e.lang, text: e.textContent.trim(),
        data: e.dataset.lang || ''}))""")
    assert {m["lang"] for m in marked} <= {"en", "lt", "lv", "et", "ru", "de"}
    for m in marked:
        if m["lang"] != "en":
            continue
        english_quote = m["tag"] == "blockquote"
        language_menu = m["cls"] == "lang" and m["data"] == "en"  # "English" names itself in English
        untranslated = m["cls"] == "suggestion" and m["text"] in english_questions
        assert english_quote or language_menu or untranslated, f"lang=en on Lithuanian text: {m}"
    assert page.locator("html").get_attribute("lang") == "lt"
    check(page, f"kiosk-lithuanian-answer-{viewport}")
    watch.assert_clean()


def test_switching_to_lithuanian(open_page, base_url):
    lithuanian = TRANSLATIONS["lt"]
    page, watch = open_page(base_url + "/", viewport=PORTRAIT)
    requests: list[dict] = []
    page.on("request", lambda r: requests.append(json.loads(r.post_data)) if r.url.endswith("/api/ask") else None)
    page.locator("button.lang[data-lang='lt']").tap()
    assert page.locator("button.lang[data-lang='lt']").get_attribute("aria-pressed") == "true"
    assert page.locator("h1").text_content() == lithuanian.strings["title"]
    assert page.locator("#ask-button").text_content() == lithuanian.strings["ask"]
    assert page.locator("#question").get_attribute("placeholder") == lithuanian.strings["question_placeholder"]
    assert page.locator("#question-hint").text_content() == t("lt", "question_hint", max=500)
    assert page.evaluate("() => document.documentElement.lang") == "lt"
    assert page.locator("#suggestions .suggestion").all_text_contents() == list(lithuanian.suggestions)
    page.locator("#suggestions .suggestion").first.tap()
    page.locator("#answers .answer, #answers .failure").first.wait_for()
    assert page.locator("#answers .intro, #answers .correction").first.get_attribute("lang") in ("lt", None)
    assert requests == [{"question": lithuanian.suggestions[0], "lang": "lt"}]
    watch.assert_clean()


def fake_answer(lang: str):
    english = TRANSLATIONS["en"].suggestions[0]
    return {"question": english, "status": "answered", "answer": f"[{lang}] intro\n\nQuote. [1]", "lang": lang,
            "confidence": 0.9, "suggestions": [], "reason": "answered", "understood": None, "corrected_claims": [],
            "referral": None, "suggestion_langs": [],
            "quotes": [{"text": "Quote.", "passage_id": "p", "about": ["serov_instructions"],
                        "sources": [{"id": "S01", "title": "T", "url": "https://example.org/", "locator": "L",
                                     "kind": "primary", "author": "A", "year": 2000}]}]}


def test_the_kiosk_follows_the_answer_language_unless_the_visitor_chose_one(open_page, base_url):
    page, watch = open_page(base_url + "/", viewport=LANDSCAPE)
    sent: list[dict] = []

    def reply_in_german(route):
        sent.append(json.loads(route.request.post_data))
        route.fulfill(status=200, content_type="application/json", body=json.dumps(fake_answer("de")))

    page.route("**/api/ask", reply_in_german)
    page.locator("#suggestions .suggestion").first.click()
    page.locator("#answers .badge").first.wait_for()
    assert "lang" not in sent[0]  # no explicit choice: the server decides
    page.wait_for_function("() => document.documentElement.lang === 'de'")
    assert page.locator("h1").text_content() == TRANSLATIONS["de"].strings["title"]
    assert page.locator("#answers .badge").text_content() == t("de", "status_answered")  # the answer's own texts too

    page.locator("button.lang[data-lang='lv']").click()  # an explicit choice wins from now on
    page.locator("#suggestions .suggestion").first.click()
    page.wait_for_function("() => document.querySelectorAll('#answers .badge').length === 2")
    assert sent[1]["lang"] == "lv"
    assert page.evaluate("() => document.documentElement.lang") == "lv"
    assert page.locator("#answers .reference .kind").first.text_content() == t("lv", "kind_primary")
    watch.assert_clean()


# -- kiosk: keyboard, scripts, idle --------------------------------------------------------------
def test_kiosk_is_usable_with_the_keyboard(open_page, base_url):
    page, watch = open_page(base_url + "/", viewport=LANDSCAPE)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.type(ANSWERED)
    page.keyboard.press("Enter")
    page.locator("#answers .answer .ref").first.wait_for()
    page.locator("#answers .answer .ref").first.focus()
    page.keyboard.press("Enter")
    page.locator("#source-dialog").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator("#source-dialog").wait_for(state="hidden")
    watch.assert_clean()


def test_a_script_in_the_question_is_shown_as_text(open_page, base_url):
    page, watch = open_page(base_url + "/", viewport=LANDSCAPE)
    page.locator("#question").fill(SCRIPT)
    page.keyboard.press("Enter")
    asked = page.locator("#answers .exchange q").first
    asked.wait_for()
    page.locator("#answers .exchange .answer, #answers .exchange .failure").first.wait_for()
    assert asked.text_content() == SCRIPT
    assert page.locator("#answers script").count() == 0
    watch.assert_clean()


def test_the_idle_reset_warns_then_clears(open_page, idle_url, viewport):
    page, watch = open_page(idle_url + "/", viewport=VIEWPORTS[viewport])
    page.locator("button.lang[data-lang='de']").click()
    page.locator("#suggestions .suggestion").first.tap()
    page.locator("#answers .answer").first.wait_for()
    page.locator("#answers .quote .ref").first.tap()  # even with a source card open
    dialog = page.locator("#idle-dialog")
    dialog.wait_for(state="visible", timeout=10_000)
    assert TRANSLATIONS["de"].strings["idle_title"] in dialog.text_content()
    assert "Sekunden" in page.locator("#idle-text").text_content()
    assert page.evaluate("() => document.activeElement.id") == "idle-continue"
    check(page, f"kiosk-idle-warning-{viewport}")
    dialog.wait_for(state="hidden", timeout=10_000)
    page.wait_for_function("() => document.querySelectorAll('#answers .exchange').length === 0")
    assert page.locator("#answers .empty").is_visible() and page.locator("#source-dialog").is_hidden()
    assert page.evaluate("() => document.documentElement.lang") == "en"  # the visitor's language is forgotten
    assert page.locator("#starting").is_visible()  # the starting suggestions are back
    if viewport == "portrait":
        page.screenshot(path=str(SCREENSHOTS / "kiosk-idle-cleared-portrait.png"))

        # "I'm still here" keeps the conversation.
        page.locator("#suggestions .suggestion").nth(1).tap()
        page.locator("#answers .answer").first.wait_for()
        dialog.wait_for(state="visible", timeout=10_000)
        page.locator("#idle-continue").click()
        assert dialog.is_hidden()
        assert page.locator("#answers .exchange").count() == 1
    watch.assert_clean()


# -- widget -------------------------------------------------------------------------------------
def widget_focus(page) -> str:
    return page.evaluate("""() => { const a = document.querySelector('serov-qa-widget').shadowRoot.activeElement;
        return a ? (a.tagName.toLowerCase() + '.' + a.className) : ''; }""")


def test_the_widget_opens_answers_and_is_keyboard_friendly(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/widget/demo", viewport=VIEWPORTS[viewport])
    launcher = page.locator("serov-qa-widget .launcher")
    launcher.wait_for()
    assert launcher.get_attribute("aria-expanded") == "false"
    check(page, f"widget-closed-{viewport}")
    launcher.click()
    panel = page.locator("serov-qa-widget .panel")
    panel.wait_for(state="visible")
    page.locator("serov-qa-widget .sug button").first.wait_for()
    page.wait_for_function("() => document.querySelector('serov-qa-widget').shadowRoot.activeElement?.id === 'q'")
    assert page.locator("serov-qa-widget .head h2").text_content() == "Ask about the Serov Instructions"
    box = panel.bounding_box()
    if viewport == "phone":  # under 480 px the panel is the screen
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
        assert page.locator("serov-qa-widget .launcher").is_hidden()
    else:
        assert box["width"] <= 420 and box["x"] > 0
    check(page, f"widget-open-{viewport}")

    page.locator("serov-qa-widget input").fill(CORRECTED)
    page.locator("serov-qa-widget input").press("Enter")
    page.locator("serov-qa-widget .answer").first.wait_for()
    assert page.locator("serov-qa-widget .answer > :first-child").get_attribute("class") == "correction"
    links = page.locator("serov-qa-widget a.reference")
    assert links.count() >= 1
    for link in links.all():
        assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
        assert link.get_attribute("href").startswith("https://")
    check(page, f"widget-answer-{viewport}")

    # The field first, then what it brought: citations and suggestions, all reachable with Tab.
    page.locator("serov-qa-widget input").focus()
    stops = []
    for _ in range(14):
        page.keyboard.press("Tab")
        stops.append(widget_focus(page))
    assert stops[0] == "button.send"
    assert any(s.startswith("a.reference") for s in stops) and any(s == "button.suggestion" for s in stops)
    assert stops.index(next(s for s in stops if s.startswith("a.reference"))) < stops.index("button.suggestion")

    page.locator("serov-qa-widget input").fill(SCRIPT)
    page.locator("serov-qa-widget .send").click()
    page.wait_for_function("() => document.querySelector('serov-qa-widget').shadowRoot.querySelectorAll('.a .answer, .a .err').length === 2")
    assert page.locator("serov-qa-widget .q span:not(.vh)").nth(1).text_content() == SCRIPT
    assert page.evaluate("() => document.querySelector('serov-qa-widget').shadowRoot.querySelectorAll('script').length") == 0
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    watch.assert_clean()


def test_the_widget_explains_an_empty_question_and_refers_practical_ones(open_page, base_url):
    page, watch = open_page(base_url + "/widget/demo", viewport=PHONE)
    page.locator("serov-qa-widget .launcher").click()
    page.locator("serov-qa-widget .sug button").first.wait_for()
    page.locator("serov-qa-widget .send").click()
    assert page.locator("serov-qa-widget .ferr").text_content() == t("en", "error_empty")
    page.locator("serov-qa-widget input").fill(CAFE)
    page.locator("serov-qa-widget input").press("Enter")
    page.locator("serov-qa-widget .referral").wait_for()
    assert page.locator("serov-qa-widget .ferr").text_content() == ""
    check(page, "widget-museum-referral-phone")
    watch.assert_clean()


WIDGET_STYLE = """() => {
  const root = document.querySelector('serov-qa-widget').shadowRoot;
  const props = ['font-family', 'font-size', 'color', 'background-color', 'padding-top', 'border-top-style',
                 'text-transform', 'letter-spacing', 'border-radius'];
  const pick = e => Object.fromEntries(props.map(p => [p, getComputedStyle(e).getPropertyValue(p)]));
  return {launcher: pick(root.querySelector('.launcher')), send: pick(root.querySelector('.send')),
          input: pick(root.querySelector('input')), empty: pick(root.querySelector('.empty'))};
}"""

HOST_STYLE = """() => {
  const props = ['font-family', 'font-size', 'color', 'background-color', 'padding-top', 'border-top-style',
                 'text-transform', 'letter-spacing', 'line-height'];
  const pick = e => Object.fromEntries(props.map(p => [p, getComputedStyle(e).getPropertyValue(p)]));
  return Object.fromEntries(['body', '#host-button', '#host-paragraph', '#host-input', 'h1', 'ul, p']
    .map(s => [s, pick(document.querySelector(s))]));
}"""


def test_the_widget_styles_do_not_leak(open_page, base_url):
    # The host page's stylesheet does not reach into the widget ...
    page, watch = open_page(base_url + "/widget/demo")
    page.locator("serov-qa-widget .launcher").click()
    page.locator("serov-qa-widget .sug button").first.wait_for()
    with_host_css = page.evaluate(WIDGET_STYLE)
    page.evaluate("() => document.querySelector('link[rel=stylesheet]').disabled = true")
    without_host_css = page.evaluate(WIDGET_STYLE)
    assert with_host_css == without_host_css
    assert "Georgia" not in with_host_css["launcher"]["font-family"]
    assert with_host_css["send"]["text-transform"] == "none"
    watch.assert_clean()

    # ... and the widget's styles do not reach the host page.
    plain, _ = open_page("about:blank")
    plain.route("**/widget.js", lambda route: route.abort())
    plain.goto(base_url + "/widget/demo")
    without_widget = plain.evaluate(HOST_STYLE)
    assert plain.locator("serov-qa-widget").count() == 0
    host_with_widget = page.evaluate(
        "() => document.querySelector('link[rel=stylesheet]').disabled = false") or page.evaluate(HOST_STYLE)
    assert host_with_widget == without_widget
    assert host_with_widget["#host-button"]["text-transform"] == "uppercase"  # the host's own rule still applies


def museum_site(widget_src: str) -> Starlette:
    """Another origin's page that embeds the widget with its one tag."""
    page = (f'<!DOCTYPE html><html lang="en"><head><title>Museum</title><link rel="icon" href="data:,"></head><body><h1>Museum</h1>'
            f'<script src="{widget_src}" data-title="Ask the museum" async></script></body></html>')
    return Starlette(routes=[Route("/", lambda request: HTMLResponse(page))])


def test_the_widget_works_from_another_origin_only_when_allowed(open_page, module_settings, assistant):
    allowed, refused, api = free_socket(), free_socket(), free_socket()
    settings = module_settings.model_copy(update={"allowed_origins": [origin(allowed)]})
    with live_server(create_app(settings, assistant=assistant), api) as api_url, \
            live_server(museum_site(api_url + "/widget.js"), allowed) as allowed_url, \
            live_server(museum_site(api_url + "/widget.js"), refused) as refused_url:
        page, watch = open_page(allowed_url + "/")
        page.locator("serov-qa-widget .launcher").click()
        page.locator("serov-qa-widget .sug button").first.click()  # the suggestions came from the API, too
        page.locator("serov-qa-widget blockquote").first.wait_for()
        assert page.locator("serov-qa-widget .head h2").text_content() == "Ask the museum"
        watch.assert_clean()

        page, _ = open_page(refused_url + "/")
        page.locator("serov-qa-widget .launcher").click()
        page.locator("serov-qa-widget input").fill(ANSWERED)
        page.locator("serov-qa-widget input").press("Enter")
        error = page.locator("serov-qa-widget .err")
        error.wait_for()
        assert error.text_content() == TRANSLATIONS["en"].strings["error_offline"]
        assert page.locator("serov-qa-widget .retry").is_visible()
        assert page.locator("serov-qa-widget input").input_value() == ANSWERED


# -- curator pages ------------------------------------------------------------------------------
def seed_questions(base_url: str, page) -> None:
    for question in (OUT_OF_SCOPE, OUT_OF_SCOPE, "Where is Serov buried?", CORRECTED, ANSWERED, "Kur palaidotas Serovas?"):
        page.request.post(base_url + "/api/ask", data={"question": question})


def sign_in(page, token: str = TOKEN) -> None:
    page.locator("#token").fill(token)
    page.locator(".login-form button[type=submit]").click()


def test_the_curator_pages(open_page, base_url, viewport):
    page, watch = open_page(base_url + "/curator/questions", viewport=VIEWPORTS[viewport])
    seed_questions(base_url, page)
    assert "/curator/login" in page.url  # a sign-in page, not raw JSON or the browser's prompt
    check(page, f"curator-login-{viewport}")
    sign_in(page, "not the token")
    page.locator("#login-error").wait_for()
    assert page.locator("#token").get_attribute("aria-invalid") == "true"
    check(page, f"curator-login-failed-{viewport}")
    sign_in(page)
    page.wait_for_url("**/curator/questions")
    assert page.locator("td label", has_text=OUT_OF_SCOPE).count() == 1  # asked twice, listed once
    check(page, f"curator-questions-{viewport}")
    for path, state in (("/curator", "overview"), ("/curator/passages", "passages"), ("/curator/sources", "sources"),
                        ("/curator/passages/serov-signatory", "passage"), ("/curator/questions?lang=lt", "questions-lt")):
        page.goto(base_url + path)
        check(page, f"curator-{state}-{viewport}")
    assert page.locator("html").get_attribute("lang") == "lt"
    page.locator(".logout button").click()
    page.wait_for_url("**/curator/login?out=1")
    check(page, f"curator-signed-out-{viewport}")
    page.goto(base_url + "/curator/questions")
    assert "/curator/login" in page.url
    watch.assert_clean(allow=("401",))


def test_the_curator_exports_csv_and_a_question_file_that_evaluate_accepts(open_page, base_url, tmp_path, assistant):
    from evaluation.questions import load_questions
    from evaluation.runner import run_cli

    page, watch = open_page(base_url + "/curator/questions?show=unanswered", viewport=LANDSCAPE, accept_downloads=True)
    seed_questions(base_url, page)
    sign_in(page)
    page.wait_for_url("**/curator/questions?show=unanswered")
    page.reload()
    # Times are the curator's local time (the page writes UTC; the script rewrites it).
    first_time = page.locator("td time").first
    assert first_time.get_attribute("title").endswith("UTC") and "UTC" not in first_time.text_content()
    with page.expect_download() as download:
        page.locator("a[href^='/curator/questions.csv']").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {row["status"] for row in rows} == {"abstained"} and OUT_OF_SCOPE in {row["question"] for row in rows}

    page.locator("#choose-all").check()
    assert all(box.is_checked() for box in page.locator("input.choose").all())
    with page.expect_download() as download:
        page.locator("button[formaction='/curator/questions/export.yaml']").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    questions = load_questions([exported])
    assert OUT_OF_SCOPE in {q.question for q in questions}
    assert run_cli(lambda settings: assistant, None, [exported], tmp_path / "report", None) in (0, 1)  # never 2

    page.locator("input.choose").first.check()
    page.locator("button[value='review']").click()
    page.wait_for_url("**/curator/questions?show=unanswered")
    assert page.locator("tr.reviewed").count() >= 1
    watch.assert_clean()


# -- the evaluation report ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    from evaluation.runner import Evaluation, QuestionResult, missed_thresholds, summarize, write_report

    def result(id_, kind, correct, lang="en"):
        return QuestionResult(id=id_, question=f"Sample question {id_}?", kind=kind, lang=lang, expected_status="answered",
                              status="answered" if correct else "abstained", answer="…", quotes=[], correct=correct,
                              reasons=[] if correct else ["status abstained, expected answered", "missing 'NKGB'"],
                              conflates=False, invalid_quotes=0, latency_ms=10.0)

    def evaluation(name, flags):
        results = [result(f"q{i}", kind, ok, lang) for i, (kind, ok, lang) in enumerate(flags)]
        found = Evaluation(name, results)
        found.summary = summarize(results)
        return found

    kinds = ([("factual", True, "en")] * 9 + [("factual", False, "en")] + [("comparison", True, "en")] * 3
             + [("comparison", False, "en")] + [("multilingual", True, "lt")] * 4)
    evaluations = [evaluation("assistant", kinds), evaluation("naive baseline", [(k, i % 2 == 0, l) for i, (k, _, l) in enumerate(kinds)])]
    folder = tmp_path_factory.mktemp("report")
    thresholds = {"accuracy": 0.9}
    write_report(evaluations, folder, thresholds, missed_thresholds(evaluations[0].summary, thresholds))
    write_report(evaluations, folder, thresholds, missed_thresholds(evaluations[0].summary, thresholds))
    return folder / "report.html"


def test_the_evaluation_report(open_page, report_file, viewport):
    page, watch = open_page(report_file.as_uri(), viewport=VIEWPORTS[viewport])
    assert page.locator(".verdict.bad").is_visible()
    assert page.locator("svg.chart").count() == 2
    check(page, f"report-{viewport}")
    page.locator("details summary").first.click()
    page.locator("details .failure").first.scroll_into_view_if_needed()
    assert "Expected the answer to mention “NKGB”." in page.locator("details").first.text_content()
    check(page, f"report-failures-{viewport}")
    watch.assert_clean()
