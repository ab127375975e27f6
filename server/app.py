"""create_app(settings): the FastAPI app of the kiosk, the widget, the API and the curator pages.

Nothing lives at module level: every app has its own state (assistant, cache, metrics
registry, rate limiter, question log) in app.state, so tests can run several side by side.
The assistant is loaded once, in a background thread, so /healthz answers at once and
/readyz says 503 until the model and the index are loaded.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from limits import parse_many
from slowapi import Limiter
from slowapi.errors import RateLimitExceeded
from slowapi.util import get_remote_address

from assistant import QuestionError
from assistant.pipeline import Pipeline
from config import Settings
from server import api, curator, pages
from server.answers import AnswerCache, AnswerService
from server.compression import CompressionMiddleware
from server.errors import question_error_handler, rate_limit_handler, validation_error_handler
from server.i18n import Translations, load_translations
from server.metrics import Metrics, MetricsMiddleware
from server.museum import FrontDesk, Museum, load_museum
from server.questionlog import QuestionLog
from server.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware

log = logging.getLogger("uvicorn.error").getChild("serov_qa")  # shows in the server's own log

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

Loader = Callable[[Settings], Pipeline]


def load_from_settings(settings: Settings) -> Pipeline:
    """The real pipeline (assistant.pipeline.load); the index is built first if it is missing or stale."""
    from assistant.pipeline import load

    return load(settings)


@dataclass
class ServerState:
    settings: Settings
    translations: Translations
    metrics: Metrics
    cache: AnswerCache
    questions: QuestionLog | None
    templates: Jinja2Templates
    service: AnswerService | None = None
    load_error: str | None = None
    museum: Museum = field(default_factory=load_museum)  # read at start: a broken file stops the server

    @property
    def assistant(self) -> Pipeline | None:
        return self.service.assistant if self.service else None

    def set_assistant(self, assistant: Pipeline) -> None:
        self.service = AnswerService(FrontDesk(assistant, self.museum), self.cache, self.metrics, self.questions)
        self.metrics.ready.set(1)


def _load_in_background(state: ServerState, loader: Loader) -> None:
    try:
        log.info("loading the model and the index (building the index if needed) ...")
        started = time.perf_counter()
        state.set_assistant(loader(state.settings))
        # The load time is most of the start-up time (target: ready within 10 s); the log keeps it visible.
        log.info("ready: %d passages (loaded in %.1f s)", len(state.assistant.corpus.passages),
                 time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - any failure must show on /readyz, not kill the server
        state.load_error = f"{type(exc).__name__}: {exc}"
        log.exception("could not load the assistant")


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC")
    return Jinja2Templates(env=env)


def _question_log(settings: Settings) -> QuestionLog | None:
    try:
        return QuestionLog(settings.question_log, settings.log_retention_days)
    except (OSError, sqlite3.Error):
        log.exception("the question log %s cannot be opened; questions will not be logged", settings.question_log)
        return None


def create_app(settings: Settings | None = None, *, assistant: Pipeline | None = None,
               loader: Loader | None = None) -> FastAPI:
    """Build the app. Tests pass an already loaded `assistant` (or a `loader`) to skip the slow load."""
    settings = settings or Settings()
    rate_limit = settings.rate_limit.strip().lower()
    limiting = rate_limit not in ("off", "")
    if limiting:
        parse_many(settings.rate_limit)  # a typo must stop the start, not silently disable the limit

    state = ServerState(
        settings=settings, translations=load_translations(), metrics=Metrics(), cache=AnswerCache(settings.cache_size),
        questions=_question_log(settings), templates=_templates(),
    )
    if assistant is not None:
        state.set_assistant(assistant)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if state.service is None:
            threading.Thread(
                target=_load_in_background, args=(state, loader or load_from_settings),
                name="serov-qa-loader", daemon=True,
            ).start()
        yield

    app = FastAPI(
        title="serov-qa",
        summary="Extractive answers, with citations, about the Serov Instructions and NKVD Orders 001223 and 0054.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN; the schema is at /openapi.json
    )
    app.state.server = state
    limiter = Limiter(key_func=get_remote_address, enabled=limiting, headers_enabled=True, storage_uri="memory://")
    app.state.limiter = limiter

    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(QuestionError, question_error_handler)
    app.add_exception_handler(RateLimitExceeded, rate_limit_handler)

    app.include_router(api.build_router(limiter, settings.rate_limit if limiting else None))
    app.include_router(pages.router)
    app.include_router(curator.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # Added inside out: the last one added sees the request first.
    app.add_middleware(CompressionMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware, allow_origins=list(settings.allowed_origins), allow_credentials=False,
        allow_methods=["GET", "POST"], allow_headers=["Content-Type"], expose_headers=["Retry-After"], max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app
