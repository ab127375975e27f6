"""HTML pages: the kiosk (/), the widget script (/widget.js), the widget's demo host page (/widget/demo),
and the QR code of a source's address (/sources/{id}/qr.svg) for the kiosk's source card."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from assistant import MAX_QUESTION_CHARS
from server.i18n import DEFAULT_LANG, primary_subtag
from server.qr import qr_svg

STATIC_DIR = Path(__file__).parent / "static"
# The widget is one script on another site: the answer view the kiosk shares goes inside it.
WIDGET_PARTS = ("answerview.js", "widget.js")

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def kiosk(request: Request, lang: str | None = None) -> HTMLResponse:
    """The kiosk. ?lang=lt makes Lithuanian the language the kiosk starts in and returns to after a reset."""
    state = request.app.state.server
    translations = state.translations
    code = primary_subtag(lang)
    start = code if code in translations.languages else DEFAULT_LANG
    language = translations.languages[start]
    settings = state.settings
    return state.templates.TemplateResponse(request, "kiosk.html", {
        "lang": start,
        "t": language.strings,
        "suggestions": language.suggestions,
        "languages": translations.menu(),
        "i18n": translations.as_json(),
        "max_chars": MAX_QUESTION_CHARS,
        "idle_seconds": settings.idle_seconds,
        "warning_seconds": settings.idle_warning_seconds,
    })


def compact(source: str) -> str:
    """The script without whole-line comments and indentation: the widget goes to every visitor of the
    museum's site, the comments stay in the source. Only whole lines go, so no string is ever cut."""
    kept, in_comment = [], False
    for line in source.splitlines():
        text = line.strip()
        if in_comment:
            in_comment = "*/" not in text
            continue
        if text.startswith("/*") and ("*/" not in text or text.endswith("*/")):
            in_comment = "*/" not in text
            continue
        if text and not text.startswith("//"):
            kept.append(text)
    return "\n".join(kept)


@lru_cache(maxsize=4)
def _bundle(stamps: tuple[int, ...]) -> bytes:
    parts = [compact((STATIC_DIR / name).read_text(encoding="utf-8")) for name in WIDGET_PARTS]
    return ("(function () {\n" + "\n".join(parts) + "\n})();\n").encode("utf-8")


def widget_bundle() -> bytes:
    """answerview.js and widget.js in one closure, so that nothing of ours lands in the host page's globals
    (rebuilt when either file changes)."""
    return _bundle(tuple((STATIC_DIR / name).stat().st_mtime_ns for name in WIDGET_PARTS))


@router.get("/widget.js")
def widget_script() -> Response:
    return Response(widget_bundle(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/widget/demo", response_class=HTMLResponse)
def widget_demo(request: Request) -> HTMLResponse:
    """A stand-in for a museum's web page that embeds the widget with its one script tag."""
    state = request.app.state.server
    return state.templates.TemplateResponse(request, "widget_demo.html", {
        "widget_src": str(request.url_for("widget_script")),  # shown in the snippet to copy
        "widget_path": request.url_for("widget_script").path,
    })


@router.get("/sources/{source_id}/qr.svg")
def source_qr(request: Request, source_id: str) -> Response:
    """The QR code of the address a visitor is shown for this source (the original, not a mirror)."""
    assistant = request.app.state.server.assistant
    if assistant is None:
        raise HTTPException(503, "the assistant is still loading", headers={"Retry-After": "5"})
    source = assistant.corpus.sources.get(source_id)
    if source is None:
        raise HTTPException(404, f"there is no source {source_id!r}")
    return Response(qr_svg(source.best_url), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})
