"""The JSON API: /api/ask, /api/passages/{id}, /api/sources, /api/i18n/{lang}, and /healthz, /readyz, /metrics.

Every route is `async`: none does blocking work on the event loop (the pipeline runs in its own
thread behind server.queueing), so /healthz, /readyz, /metrics and cached answers never wait behind
a question being answered, nor in the thread pool that sync routes share.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from assistant import MAX_QUESTION_CHARS, Answer, SourceRef
from assistant.language import LANGUAGES
from corpus import Corpus
from server.answers import AnswerService
from server.errors import too_many_requests
from server.i18n import primary_subtag
from server.queueing import Refused
from server.security import clean_text

NOT_READY_RETRY_SECONDS = 5
# The body may be longer than the question it carries (runs of spaces count as one, invisible characters
# as none); this bounds what a client may send at all, and is what the schema promises.
MAX_RAW_QUESTION_CHARS = 2 * MAX_QUESTION_CHARS
# Any case, with regional subtags ("lt-LT", "EN"), spelt out per letter: JSON Schema patterns have no flags.
_LANG_TAG = ("^(" + "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in code) for code in LANGUAGES)
             + ")([-_][A-Za-z0-9]{1,8})*$")
LANG_SCHEMA = {
    "anyOf": [
        {"type": "string", "enum": list(LANGUAGES)},
        {"type": "string", "pattern": _LANG_TAG, "description": "the same in any case, or a regional tag, e.g. lt-LT"},
        {"type": "string", "enum": [""], "description": "the same as leaving it out"},
        {"type": "null"},
    ],
    "default": None,
}


class AskRequest(BaseModel):
    question: str = Field(
        description=(f"The visitor's question: text of 1 to {MAX_QUESTION_CHARS} characters once runs of spaces are "
                     "collapsed and invisible characters removed, and at most the configured number of tokens "
                     f"(160 by default); the raw string is at most {MAX_RAW_QUESTION_CHARS} characters."),
        json_schema_extra={"minLength": 1, "maxLength": MAX_RAW_QUESTION_CHARS},
        examples=["Who signed the Serov Instructions?"],
    )
    lang: Annotated[str | None, WithJsonSchema(LANG_SCHEMA)] = Field(
        None, description=f"Language of the question and of the fixed phrases, one of {', '.join(LANGUAGES)} (a "
                          "regional tag such as lt-LT counts as its language); leave it out to let the assistant decide.",
        examples=["en"],
    )

    @field_validator("question")
    @classmethod
    def _question_length(cls, value: str) -> str:
        if len(value) > MAX_RAW_QUESTION_CHARS:
            raise PydanticCustomError(
                "question_too_long", "must be at most {limit} characters (this one has {length})",
                {"limit": MAX_QUESTION_CHARS, "length": len(value)},
            )
        text = clean_text(value)
        if not text:
            raise PydanticCustomError("question_empty", "must not be empty")
        if len(text) > MAX_QUESTION_CHARS:
            raise PydanticCustomError(
                "question_too_long", "must be at most {limit} characters (this one has {length})",
                {"limit": MAX_QUESTION_CHARS, "length": len(text)},
            )
        return text

    @field_validator("lang")
    @classmethod
    def _supported_lang(cls, value: str | None) -> str | None:
        # Exactly what the schema allows, not a cleaned version: a code is short enough to be sent right.
        if not value:
            return None
        if value in LANGUAGES:
            return value
        if re.fullmatch(_LANG_TAG, value) is None:
            raise PydanticCustomError("lang_unsupported", "must be one of {choices}", {"choices": ", ".join(LANGUAGES)})
        return primary_subtag(value)


class Message(BaseModel):
    detail: str


class FieldError(BaseModel):
    field: str
    message: str


class ValidationMessage(Message):
    errors: list[FieldError]


class Unavailable(Message):
    reason: Literal["loading", "unavailable", "queue_full", "queue_timeout", "over_budget"] = Field(
        description="loading: retry after Retry-After; unavailable: loading failed, an operator must act; "
                    "queue_full, queue_timeout, over_budget: too busy now, retry after Retry-After.")


class Alive(BaseModel):
    status: Literal["alive"]


class Ready(BaseModel):
    status: Literal["ready"]
    passages: int


class NotReady(BaseModel):
    status: Literal["loading", "building_index", "failed"]
    reason: str | None = Field(None, description="When failed: corpus_invalid, index_missing, index_stale, "
                                                 "index_damaged, model_unavailable, configuration_invalid, load_failed.")
    detail: str


class PassageOut(BaseModel):
    id: str
    text: str
    about: list[str]
    sources: list[SourceRef]


class SourceOut(BaseModel):
    id: str
    title: str
    author: str
    year: int | None
    url: str
    kind: str
    reliability: str | None = None


class LanguageOut(BaseModel):
    code: str
    name: str


class TranslationOut(BaseModel):
    lang: str
    name: str
    strings: dict[str, str]
    suggestions: list[str]
    languages: list[LanguageOut]
    max_question_chars: int


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer"}}}
NOT_READY = {503: {"model": Unavailable, "headers": RETRY_AFTER,
                   "description": "Still loading (reason `loading`, with Retry-After), or loading failed (`unavailable`)."}}
ASK_RESPONSES = {
    400: {"model": Message, "description": "The body cannot be read (it is not UTF-8)."},
    408: {"model": Message, "description": "The body did not arrive in time (a slow or stalled client)."},
    413: {"model": Message, "description": "The request body is too large."},
    422: {"model": ValidationMessage,
          "description": "Empty, over-long or too costly question, wrong types, unknown language, malformed JSON."},
    429: {"model": Message, "headers": RETRY_AFTER, "description": "Too many questions from this client."},
    503: {"model": Unavailable, "headers": RETRY_AFTER,
          "description": "Loading (`loading`), failed (`unavailable`), or too busy to answer now (`queue_full`, "
                         "`queue_timeout`, `over_budget`): ask again after Retry-After."},
}


def _state(request: Request):
    return request.app.state.server


def answer_service(request: Request) -> AnswerService:
    """The service, or 503: `loading` while the assistant loads, `unavailable` when loading failed."""
    state = _state(request)
    if state.service is not None:
        return state.service
    if state.failure is not None:
        raise Refused("unavailable", 0, f"the assistant is unavailable: {state.failure.detail}")
    raise Refused("loading", NOT_READY_RETRY_SECONDS, "the assistant is still loading; try again in a few seconds")


def passage_out(corpus: Corpus, passage_id: str) -> PassageOut:
    passage = corpus.by_id.get(passage_id)
    if passage is None:
        raise HTTPException(404, f"there is no passage {passage_id[:100]!r}")
    sources = []
    for citation in passage.sources:
        source = corpus.sources[citation.source_id]
        sources.append(SourceRef(id=source.id, title=source.title, url=source.best_url, locator=citation.locator,
                                 kind=source.kind, author=source.author, year=source.year))
    return PassageOut(id=passage.id, text=passage.text, about=list(passage.about), sources=sources)


def _json(model: BaseModel, headers: dict[str, str] | None = None) -> Response:
    # Serialised by pydantic-core directly: FastAPI would validate the model again first.
    return Response(model.model_dump_json(), media_type="application/json", headers=headers)


router = APIRouter()


@router.post(
    "/api/ask", response_model=Answer, tags=["api"], summary="Answer a question", responses=ASK_RESPONSES,
    description=(
        "Extractive answer with quotes and citations. Status `answered`, `corrected` (the question mixed up "
        "documents) or `abstained` (the curated sources do not answer it; `reason` says why: `not_a_question` "
        "for input without a letter, a digit or a word that is not a stop word, such as `?`, `the` or an emoji). "
        "Rate limited per client (429 with Retry-After). When more questions wait for the answering pipeline "
        "than the server is configured to queue, or one waits or takes too long, the answer is 503 with "
        "Retry-After instead of a long wait."
    ),
)
async def ask(request: Request, body: AskRequest) -> Response:
    state = _state(request)
    service = answer_service(request)
    headers = None
    if state.limiter is not None:
        decision = state.limiter.check(request.scope)
        if not decision.allowed:
            return too_many_requests(decision)
        headers = {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining)}
    answer = await service.ask(body.question, lang=body.lang)
    return _json(answer, headers)


@router.get("/api/passages/{passage_id}", response_model=PassageOut, tags=["api"], summary="One passage",
            responses={404: {"model": Message}, **NOT_READY})
async def get_passage(request: Request, passage_id: str) -> Response:
    service = answer_service(request)
    return _json(passage_out(service.assistant.corpus, passage_id))


@router.get("/api/sources", response_model=list[SourceOut], tags=["api"], summary="All sources", responses=NOT_READY)
async def list_sources(request: Request) -> Response:
    service = answer_service(request)
    sources = [SourceOut(id=s.id, title=s.title, author=s.author, year=s.year, url=s.url, kind=s.kind,
                         reliability=s.reliability).model_dump(mode="json")
               for s in service.assistant.corpus.sources.values()]
    return JSONResponse(sources)


@router.get("/api/i18n/{lang}", response_model=TranslationOut, tags=["api"],
            summary="UI texts and suggested questions of one language (used by the kiosk and the widget)",
            responses={404: {"model": Message}})
async def translation(lang: str, request: Request) -> Response:
    translations = _state(request).translations
    code = primary_subtag(lang)
    if code not in translations.languages:
        raise HTTPException(404, f"no such language; available: {', '.join(translations.codes)}")
    language = translations.languages[code]
    return _json(TranslationOut(**language.as_json(), languages=translations.menu(), max_question_chars=MAX_QUESTION_CHARS))


@router.get("/healthz", response_model=Alive, tags=["operations"],
            summary="Liveness: the process answers (also while loading, and when loading failed: restarting "
                    "would not help; /readyz says what is wrong)")
async def healthz() -> Response:
    return Response(b'{"status":"alive"}', media_type="application/json")


@router.get("/readyz", response_model=Ready, tags=["operations"],
            summary="Readiness: 503 while loading or when loading failed (with a short reason; the details are in the log)",
            responses={503: {"model": NotReady, "headers": RETRY_AFTER,
                             "description": "Loading (with Retry-After), building the index, or failed."}})
async def readyz(request: Request) -> Response:
    state = _state(request)
    if state.service is not None:
        return _json(Ready(status="ready", passages=len(state.assistant.corpus.passages)))
    if state.failure is not None:
        body = NotReady(status="failed", reason=state.failure.reason, detail=state.failure.detail)
        return Response(body.model_dump_json(), status_code=503, media_type="application/json")
    phase = "building_index" if state.phase == "building_index" else "loading"
    body = NotReady(status=phase, detail="the model and the index are loading" if phase == "loading"
                    else "the search index is being built; this takes a few minutes")
    return Response(body.model_dump_json(), status_code=503, media_type="application/json",
                    headers={"Retry-After": str(NOT_READY_RETRY_SECONDS)})


@router.get("/metrics", tags=["operations"], summary="Prometheus metrics (may be restricted by address or token)",
            response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Metrics."},
                       404: {"model": Message, "description": "Not for this client (SEROV_QA_METRICS_*)."}})
async def metrics(request: Request) -> Response:
    state = _state(request)
    if not state.metrics_access.allows(request.scope):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    content, media_type = state.metrics.render()
    return Response(content, media_type=media_type)
