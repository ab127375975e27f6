"""create_app(settings): the FastAPI app of the kiosk, the widget, the API and the curator pages.

Nothing lives at module level: every app has its own state (assistant, cache, queue, metrics
registry, rate limiter, question log) in app.state, so tests can run several side by side.
The assistant is loaded once, in a background thread, so /healthz answers at once and
/readyz says 503 until the model and the index are loaded, or, when loading failed, says why
(briefly: the details, paths included, go to the log only).
"""

from __future__ import annotations

import logging
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

from assistant import Answer, QuestionError
from assistant.pipeline import Pipeline
from config import Settings
from server import api, curator, pages
from server.answers import AnswerCache, AnswerService, QuestionLimits
from server.clients import ClientResolver, MetricsAccess, RateLimiter, rate_limiter
from server.compression import CompressionMiddleware
from server.errors import UnexpectedErrorMiddleware, question_error_handler, refused_handler, validation_error_handler
from server.i18n import Translations, load_translations
from server.metrics import Metrics, MetricsMiddleware
from server.queueing import AnswerQueue, Refused
from server.questionlog import QuestionLog
from server.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from server.worker import PipelinePool, PipelineProcess, WorkerLoadError

log = logging.getLogger("uvicorn.error").getChild("serov_qa")  # shows in the server's own log

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

Loader = Callable[[Settings], Pipeline]


@dataclass(frozen=True)
class LoadFailure:
    """Why the assistant could not be loaded, as /readyz tells anyone: a code and a sentence without paths."""

    reason: str
    detail: str


_FAILURES = {
    "corpus_invalid": "the curated corpus has errors; the server log lists them",
    "index_missing": "there is no search index and this server may not build one; the server log says how to build it",
    "index_stale": "the search index was built from another corpus or model and this server may not rebuild it; "
                   "the server log says how",
    "index_damaged": "the search index is damaged; the server log names the file and says how to rebuild it",
    "model_unavailable": "a model or index file cannot be read; the server log says which",
    "configuration_invalid": "the configuration is not valid; the server log says why",
    "load_failed": "the assistant could not be loaded; the server log says why",
}


def failure_kind(exc: BaseException) -> str:
    """What went wrong while loading, as one of the reasons /readyz gives (the first class that matches)."""
    from corpus import CorpusError
    from index.store import IndexMissing, IndexProblem, IndexStale

    kinds = ((CorpusError, "corpus_invalid"), (IndexMissing, "index_missing"), (IndexStale, "index_stale"),
             (IndexProblem, "index_damaged"), (OSError, "model_unavailable"), (ValueError, "configuration_invalid"))
    return next((kind for cls, kind in kinds if isinstance(exc, cls)), "load_failed")


def load_from_settings(settings: Settings, on_build: Callable[[], None] | None = None) -> Pipeline:
    """The real pipeline (assistant.pipeline.load), after the index is checked, and built if the
    settings allow it (SEROV_QA_INDEX_REBUILD), with each step in the log."""
    from assistant.pipeline import load
    from corpus import load_corpus
    from index.encoders import configured_encoders, configured_models
    from index.store import prepare_index

    corpus = load_corpus(settings.corpus_dir)
    prepare_index(corpus, configured_models(settings), settings.index_dir,
                  rebuild=settings.index_rebuild, report=log.info, on_build=on_build,
                  encoders=lambda: configured_encoders(settings))
    return load(settings, corpus=corpus)  # parsed and checked once, not again by load()


@dataclass
class ServerState:
    settings: Settings
    translations: Translations
    metrics: Metrics
    cache: AnswerCache
    queue: AnswerQueue
    limits: QuestionLimits
    questions: QuestionLog | None
    templates: Jinja2Templates
    clients: ClientResolver
    limiter: RateLimiter | None
    metrics_access: MetricsAccess
    service: AnswerService | None = None
    phase: str = "loading"  # loading | building_index | ready | failed
    failure: LoadFailure | None = None
    loading: threading.Thread | None = None  # started once, even if the lifespan runs again

    @property
    def assistant(self) -> Pipeline | None:
        return self.service.assistant if self.service else None

    def set_assistant(self, assistant: Pipeline) -> None:
        self.service = AnswerService(assistant, self.cache, self.metrics, self.questions, self.queue, self.limits,
                                     self.not_a_question)
        self.phase = "ready"
        self.metrics.ready.set(1)

    def set_failed(self, failure: LoadFailure) -> None:
        self.failure = failure
        self.phase = "failed"
        self.metrics.failed.set(1)

    def not_a_question(self, text: str, lang: str | None) -> Answer:
        """The polite request to ask a question, in the visitor's language, with the kiosk's suggestions."""
        from assistant.language import registry

        code = lang if lang in self.translations.languages else "en"
        return Answer(question=text, status="abstained", reason="not_a_question", confidence=0.0, lang=code,
                      answer=registry()[code].phrase("not_a_question"),
                      suggestions=list(self.translations.languages[code].suggestions[:3]))


def _start_worker(state: ServerState) -> PipelineProcess | PipelinePool:
    """The corpus here (the API serves passages from it), the pipeline in its worker process(es)."""
    from corpus import load_corpus

    count = state.settings.pipeline_workers
    workers = [PipelineProcess(state.settings, None, state.settings.answer_hard_limit_seconds,
                               on_stage=lambda stage: setattr(state, "phase", stage),
                               on_restart=state.metrics.pipeline_restarts.inc) for _ in range(count)]
    workers[0].spawn()  # it loads while this process reads the corpus: half a second off the start
    try:
        corpus = load_corpus(state.settings.corpus_dir)
        workers[0].wait_ready()  # the first may build the index; the others then find it built
        for worker in workers[1:]:
            worker.spawn()
        for worker in workers[1:]:
            worker.wait_ready()
    except BaseException:
        for worker in workers:
            worker.close()
        raise
    for worker in workers:
        worker.corpus = corpus
    return workers[0] if count == 1 else PipelinePool(workers)


def _load_in_background(state: ServerState, loader: Loader | None) -> None:
    try:
        log.info("loading the model and the index (building the index if needed and allowed) ...")
        started = time.perf_counter()
        if loader is not None:
            assistant = loader(state.settings)
        elif state.settings.pipeline_process:
            assistant = _start_worker(state)
        else:
            assistant = load_from_settings(state.settings, on_build=lambda: setattr(state, "phase", "building_index"))
        state.set_assistant(assistant)
        # The load time is most of the start-up time (target: ready within 10 s); the log keeps it visible.
        log.info("ready: %d passages (loaded in %.1f s)", len(assistant.corpus.passages), time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - any failure must show on /readyz, not kill the server
        kind = exc.kind if isinstance(exc, WorkerLoadError) else failure_kind(exc)
        state.set_failed(LoadFailure(kind, _FAILURES[kind]))
        problems = getattr(exc, "problems", None)
        if problems:  # a broken corpus: every problem as file:line: message, which curators can act on
            log.error("could not load the assistant (%s): the corpus has %d problem(s):\n%s", kind,
                      len(problems), "\n".join(f"  {p}" for p in problems))
        else:
            log.error("could not load the assistant (%s): %s", kind,
                      exc if isinstance(exc, WorkerLoadError) else f"{type(exc).__name__}: {exc}",
                      exc_info=kind == "load_failed" and not isinstance(exc, WorkerLoadError))


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC")
    return Jinja2Templates(env=env)


def _question_log(settings: Settings, metrics: Metrics) -> QuestionLog | None:
    where = settings.database_url or settings.question_log
    try:
        return QuestionLog(where, settings.log_retention_days, metrics=metrics, queue_size=settings.log_queue_size)
    except Exception as exc:  # noqa: BLE001 - the visitors are served without a log; curators see it is off
        log.error("the question log cannot be opened (%s: %s); questions will not be logged", type(exc).__name__, exc)
        return None


def create_app(settings: Settings | None = None, *, assistant: Pipeline | None = None,
               loader: Loader | None = None) -> FastAPI:
    """Build the app. Tests pass an already loaded `assistant` (or a `loader`) to skip the slow load."""
    settings = settings or Settings()
    metrics = Metrics()
    clients = ClientResolver(settings.trusted_proxies, settings.client_ip_header)
    state = ServerState(
        settings=settings, translations=load_translations(), metrics=metrics, cache=AnswerCache(settings.cache_size),
        # One pipeline thread per worker process; an in-process pipeline (a test's, a loader's) answers alone.
        queue=AnswerQueue(settings.queue_size, settings.queue_wait_seconds, settings.answer_budget_seconds, metrics,
                          workers=settings.pipeline_workers if settings.pipeline_process and assistant is None
                          and loader is None else 1),
        limits=QuestionLimits.for_languages(settings.max_question_tokens),
        questions=_question_log(settings, metrics), templates=_templates(), clients=clients,
        limiter=rate_limiter(settings, clients),  # a misspelt limit raises here: the start stops
        metrics_access=MetricsAccess(clients, settings.metrics_networks, settings.metrics_token),
    )
    if assistant is not None:
        state.set_assistant(assistant)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if state.questions is not None:
            state.questions.start()
        if state.service is None and state.failure is None and state.loading is None:
            state.loading = threading.Thread(target=_load_in_background, args=(state, loader), name="serov-qa-loader",
                                             daemon=True)
            state.loading.start()
        yield
        # Shutdown: what visitors asked is written before the process ends; the worker process is stopped.
        if state.questions is not None:
            state.questions.close()
        if isinstance(state.assistant, (PipelineProcess, PipelinePool)):
            state.assistant.close()
        state.queue.close()

    app = FastAPI(
        title="serov-qa",
        summary="Extractive answers, with citations, about the Serov Instructions and NKVD Orders 001223 and 0054.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN; the schema is at /openapi.json
    )
    app.state.server = state

    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(QuestionError, question_error_handler)
    app.add_exception_handler(Refused, refused_handler)

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(curator.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # Added inside out: the last one added sees the request first.
    app.add_middleware(CompressionMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds)
    app.add_middleware(
        CORSMiddleware, allow_origins=list(settings.allowed_origins), allow_credentials=False,
        allow_methods=["GET", "POST"], allow_headers=["Content-Type"], expose_headers=["Retry-After"], max_age=600,
    )
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors)
    app.add_middleware(MetricsMiddleware, metrics=metrics, access_log=settings.access_log)
    return app
