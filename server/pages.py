"""HTML pages: the kiosk (/), the widget script (/widget.js) and the widget's demo host page (/widget/demo)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from assistant import MAX_QUESTION_CHARS
from server.i18n import DEFAULT_LANG, primary_subtag

STATIC_DIR = Path(__file__).parent / "static"

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


@router.get("/widget.js")
def widget_script() -> FileResponse:
    return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})


@router.get("/widget/demo", response_class=HTMLResponse)
def widget_demo(request: Request) -> HTMLResponse:
    """A stand-in for a museum's web page that embeds the widget with its one script tag."""
    state = request.app.state.server
    return state.templates.TemplateResponse(request, "widget_demo.html", {
        "widget_src": str(request.url_for("widget_script")),  # shown in the snippet to copy
        "widget_path": request.url_for("widget_script").path,
    })
