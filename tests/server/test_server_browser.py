"""The kiosk and the widget in a real browser: Playwright driving Debian's Chromium.

Skipped when /usr/bin/chromium is missing, unless CI=true (then it fails). Screenshots go to
test-output/screenshots/ at the root of the repository.
"""

from __future__ import annotations

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

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}
ANSWER_TIMEOUT_MS = 30_000
SCRIPT = "<script>alert(1)</script>"
TRANSLATIONS = load_translations().languages


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


@pytest.fixture(scope="module")
def module_settings(assistant_settings, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    return assistant_settings.model_copy(update={"question_log": folder / "questions.sqlite3", "rate_limit": "off"})


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

    def assert_clean(self) -> None:
        assert not self.dialogs, f"a dialog fired: {self.dialogs}"
        assert not self.errors, f"errors in the page: {self.errors}"


@pytest.fixture
def open_page(browser):
    contexts = []

    def opener(url: str, viewport=LANDSCAPE, **options):
        context = browser.new_context(viewport=viewport, has_touch=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        watch = Watch(page)
        page.goto(url)
        return page, watch

    yield opener
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def assert_touch_targets(page) -> None:
    small = page.evaluate("""() => [...document.querySelectorAll('button, a.cite-link, input')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
        .filter(([, r]) => r.width < 44 || r.height < 44)
        .map(([text, r]) => `${text}: ${Math.round(r.width)}x${Math.round(r.height)}`)""")
    assert not small, f"touch targets under 44x44 px: {small}"


def assert_fits(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling"


CONTRAST = """(selectors) => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => { const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                              return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const background = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                              if (c.length < 4 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  const out = [];
  for (const selector of selectors) for (const e of document.querySelectorAll(selector)) {
    if (e.offsetParent === null) continue;
    const a = lum(rgb(getComputedStyle(e).color)), b = lum(background(e));
    out.push([selector, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)]);
  }
  return out;
}"""


def assert_contrast(page, selectors: list[str]) -> None:
    ratios = page.evaluate(CONTRAST, selectors)
    assert ratios
    low = [(s, round(r, 2)) for s, r in ratios if r < 4.5]
    assert not low, f"contrast below AA (4.5:1): {low}"


# -- kiosk ----------------------------------------------------------------------------------------
def test_kiosk_portrait_tap_a_suggestion(open_page, base_url):
    page, watch = open_page(base_url + "/", viewport=PORTRAIT)
    shot(page, "kiosk-portrait-start")
    assert_touch_targets(page)
    page.locator("#suggestions .suggestion").first.tap()
    quote = page.locator("#answers .exchange .quote blockquote").first
    quote.wait_for()
    assert quote.text_content().strip()
    card = page.locator("#answers .citation").first
    assert card.locator(".cite-title").text_content().strip()
    assert card.locator(".cite-locator").text_content().strip()
    assert card.locator("a.cite-link").get_attribute("href").startswith("http")
    assert page.locator("#answers .badge").first.is_visible()
    assert page.locator("#answers").get_attribute("aria-live") == "polite"
    shot(page, "kiosk-portrait-answer")
    assert_touch_targets(page)
    assert_fits(page)
    assert_contrast(page, ["h1", ".subtitle", ".suggestion", "button.primary", "label", ".hint", ".intro",
                           "blockquote", ".cite-title", ".cite-link", ".badge", ".asked q", ".bottom p"])
    watch.assert_clean()


def test_kiosk_landscape_type_a_question(open_page, base_url):
    page, watch = open_page(base_url + "/", viewport=LANDSCAPE)
    page.locator("#question").fill("Who signed NKVD Order No. 001223?")
    page.locator("#ask-button").click()
    page.locator("#answers .quote blockquote").first.wait_for()
    assert "Beria" in page.locator("#answers").text_content()
    assert page.locator("#question").input_value() == ""
    shot(page, "kiosk-landscape-answer")
    assert_touch_targets(page)
    assert_fits(page)
    watch.assert_clean()


def test_kiosk_is_usable_with_the_keyboard(open_page, base_url):
    page, watch = open_page(base_url + "/", viewport=LANDSCAPE)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.type("When was Order 0054 issued?")
    assert page.locator("#question").input_value() == "When was Order 0054 issued?"
    page.keyboard.press("Enter")
    page.locator("#answers .exchange .badge").first.wait_for()
    watch.assert_clean()


def test_a_script_in_the_question_is_shown_as_text(open_page, base_url):
    page, watch = open_page(base_url + "/", viewport=LANDSCAPE)
    page.locator("#question").fill(SCRIPT)
    page.keyboard.press("Enter")
    asked = page.locator("#answers .exchange q").first
    asked.wait_for()
    page.locator("#answers .exchange .badge, #answers .exchange .error").first.wait_for()
    assert asked.text_content() == SCRIPT
    assert page.locator("#answers script").count() == 0
    page.wait_for_timeout(300)
    shot(page, "kiosk-script-question")
    watch.assert_clean()


def test_the_idle_reset_warns_then_clears(open_page, idle_url):
    page, watch = open_page(idle_url + "/", viewport=PORTRAIT)
    page.locator("button.lang[data-lang='de']").click()
    page.locator("#suggestions .suggestion").first.tap()
    page.locator("#answers .exchange .badge").first.wait_for()
    dialog = page.locator("#idle-dialog")
    dialog.wait_for(state="visible", timeout=10_000)
    assert TRANSLATIONS["de"].strings["idle_title"] in dialog.text_content()
    assert "Sekunden" in page.locator("#idle-text").text_content()
    assert page.evaluate("() => document.activeElement.id") == "idle-continue"
    shot(page, "kiosk-idle-warning")
    dialog.wait_for(state="hidden", timeout=10_000)
    page.wait_for_function("() => document.querySelectorAll('#answers .exchange').length === 0")
    assert page.locator("#answers .empty").is_visible()
    assert page.evaluate("() => document.documentElement.lang") == "en"  # the visitor's language is forgotten
    shot(page, "kiosk-idle-cleared")

    # "I'm still here" keeps the conversation.
    page.locator("#suggestions .suggestion").nth(1).tap()
    page.locator("#answers .exchange .badge").first.wait_for()
    dialog.wait_for(state="visible", timeout=10_000)
    page.locator("#idle-continue").click()
    assert dialog.is_hidden()
    assert page.locator("#answers .exchange").count() == 1
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
    assert page.evaluate("() => document.documentElement.lang") == "lt"
    assert page.locator("#suggestions .suggestion").all_text_contents() == list(lithuanian.suggestions)
    page.locator("#suggestions .suggestion").first.tap()
    page.locator("#answers .exchange .badge, #answers .exchange .error").first.wait_for()
    assert page.locator("#answers .asked-label").first.text_content() == lithuanian.strings["you_asked"]
    assert page.locator("#answers .intro").first.get_attribute("lang") == "lt"
    assert requests == [{"question": lithuanian.suggestions[0], "lang": "lt"}]
    shot(page, "kiosk-lithuanian")
    watch.assert_clean()


def fake_answer(lang: str):
    english = TRANSLATIONS["en"].suggestions[0]
    return {"question": english, "status": "answered", "answer": f"[{lang}] intro\n\nQuote. [1]", "lang": lang,
            "confidence": 0.9, "suggestions": [],
            "quotes": [{"text": "Quote.", "passage_id": "p", "about": ["serov_instructions"],
                        "sources": [{"id": "S01", "title": "T", "url": "https://example.org/", "locator": "L"}]}]}


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

    page.locator("button.lang[data-lang='lv']").click()  # an explicit choice wins from now on
    page.locator("#suggestions .suggestion").first.click()
    page.wait_for_function("() => document.querySelectorAll('#answers .badge').length === 2")
    assert sent[1]["lang"] == "lv"
    assert page.evaluate("() => document.documentElement.lang") == "lv"
    watch.assert_clean()


# -- widget ---------------------------------------------------------------------------------------
def test_the_widget_opens_and_answers(open_page, base_url):
    page, watch = open_page(base_url + "/widget/demo", viewport={"width": 1280, "height": 900})
    launcher = page.locator("serov-qa-widget .launcher")
    launcher.wait_for()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.evaluate("() => !!document.querySelector('serov-qa-widget').shadowRoot")
    launcher.click()
    panel = page.locator("serov-qa-widget .panel")
    panel.wait_for(state="visible")
    assert launcher.get_attribute("aria-expanded") == "true"
    page.locator("serov-qa-widget .sug button").first.wait_for()
    assert page.locator("serov-qa-widget .head h2").text_content() == "Ask about the Serov Instructions"
    shot(page, "widget-open")
    page.locator("serov-qa-widget input").fill("Who signed the Serov Instructions?")
    page.locator("serov-qa-widget input").press("Enter")
    page.locator("serov-qa-widget blockquote").first.wait_for()
    assert "Serov" in page.locator("serov-qa-widget .a").first.text_content()
    assert page.locator("serov-qa-widget .cite a").first.get_attribute("href").startswith("http")
    shot(page, "widget-answer")

    page.locator("serov-qa-widget input").fill(SCRIPT)
    page.locator("serov-qa-widget .send").click()
    page.wait_for_function("() => document.querySelector('serov-qa-widget').shadowRoot.querySelectorAll('.a').length === 2")
    assert page.locator("serov-qa-widget .q span:not(.vh)").nth(1).text_content() == SCRIPT
    assert page.evaluate("() => document.querySelector('serov-qa-widget').shadowRoot.querySelectorAll('script').length") == 0
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
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
    shot(page, "widget-demo-page")


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
        shot(page, "widget-cross-origin")
        watch.assert_clean()

        page, _ = open_page(refused_url + "/")
        page.locator("serov-qa-widget .launcher").click()
        page.locator("serov-qa-widget input").fill("Who signed the Serov Instructions?")
        page.locator("serov-qa-widget input").press("Enter")
        error = page.locator("serov-qa-widget .err")
        error.wait_for()
        assert error.text_content() == TRANSLATIONS["en"].strings["error_offline"]
