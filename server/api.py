"""The JSON API: /api/ask, /api/passages/{id}, /api/sources, /api/i18n/{lang}, and /healthz, /readyz, /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from slowapi import Limiter

from assistant import MAX_QUESTION_CHARS, Answer, SourceRef
from assistant.language import LANGUAGES
from corpus import Corpus
from server.answers import AnswerService
from server.i18n import primary_subtag
from server.museum import DeskAnswer

NOT_READY_RETRY_SECONDS = 5


class AskRequest(BaseModel):
    question: str = Field(
        description=f"The visitor's question: text, 1 to {MAX_QUESTION_CHARS} characters once runs of spaces are collapsed.",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS},
        examples=["Who signed the Serov Instructions?"],
    )
    lang: str | None = Field(
        None, description=f"Language of the question and of the fixed phrases, one of {', '.join(LANGUAGES)}; "
                          "leave it out to let the assistant decide.",
        examples=["en"],
    )

    @field_validator("question")
    @classmethod
    def _question_length(cls, value: str) -> str:
        text = " ".join(value.split())
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
        code = primary_subtag(value)
        if not code:
            return None
        if code not in LANGUAGES:
            raise PydanticCustomError("lang_unsupported", "must be one of {choices}", {"choices": ", ".join(LANGUAGES)})
        return code


class Message(BaseModel):
    detail: str


class FieldError(BaseModel):
    field: str
    message: str


class ValidationMessage(Message):
    errors: list[FieldError]


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


NOT_READY = {503: {"model": Message, "description": "The model and the index are still loading."}}


def _state(request: Request):
    return request.app.state.server


def answer_service(request: Request) -> AnswerService:
    state = _state(request)
    if state.service is None:
        raise HTTPException(503, "the assistant is still loading; try again in a few seconds",
                            headers={"Retry-After": str(NOT_READY_RETRY_SECONDS)})
    return state.service


def loaded_corpus(service: AnswerService = Depends(answer_service)) -> Corpus:
    return service.assistant.corpus


def passage_out(corpus: Corpus, passage_id: str) -> PassageOut:
    passage = corpus.by_id.get(passage_id)
    if passage is None:
        raise HTTPException(404, f"there is no passage {passage_id!r}")
    sources = []
    for citation in passage.sources:
        source = corpus.sources[citation.source_id]
        sources.append(SourceRef(id=source.id, title=source.title, url=source.url, locator=citation.locator))
    return PassageOut(id=passage.id, text=passage.text, about=list(passage.about), sources=sources)


def build_router(limiter: Limiter, rate_limit: str | None) -> APIRouter:
    """The routes; /api/ask is rate limited per client address unless rate_limit is None."""
    router = APIRouter()

    def ask(request: Request, response: Response, body: AskRequest,
            service: AnswerService = Depends(answer_service)) -> DeskAnswer:
        return service.ask(body.question, lang=body.lang)

    if rate_limit:
        ask = limiter.limit(rate_limit)(ask)
    router.add_api_route(
        "/api/ask", ask, methods=["POST"], response_model=DeskAnswer, tags=["api"], summary="Answer a question",
        description=(
            "Extractive answer with quotes and citations. Status `answered`, `corrected` (the question mixed up "
            "documents) or `abstained` (the curated sources do not answer it). The question is limited to "
            f"{MAX_QUESTION_CHARS} characters; request bodies above the configured size (4 kB by default) get 413."
        ),
        responses={
            413: {"model": Message, "description": "The request body is too large."},
            422: {"model": ValidationMessage, "description": "Empty or over-long question, wrong types, malformed JSON."},
            429: {"model": Message, "description": "Too many questions from this client; see Retry-After."},
            **NOT_READY,
        },
    )

    @router.get("/api/passages/{passage_id}", response_model=PassageOut, tags=["api"], summary="One passage",
                responses={404: {"model": Message}, **NOT_READY})
    def get_passage(passage_id: str, corpus: Corpus = Depends(loaded_corpus)) -> PassageOut:
        return passage_out(corpus, passage_id)

    @router.get("/api/sources", response_model=list[SourceOut], tags=["api"], summary="All sources", responses=NOT_READY)
    def list_sources(corpus: Corpus = Depends(loaded_corpus)) -> list[SourceOut]:
        return [
            SourceOut(id=s.id, title=s.title, author=s.author, year=s.year, url=s.url, kind=s.kind,
                      reliability=s.reliability)
            for s in corpus.sources.values()
        ]

    @router.get("/api/i18n/{lang}", response_model=TranslationOut, tags=["api"],
                summary="UI texts and suggested questions of one language (used by the kiosk and the widget)",
                responses={404: {"model": Message}})
    def translation(lang: str, request: Request) -> TranslationOut:
        translations = _state(request).translations
        code = primary_subtag(lang)
        if code not in translations.languages:
            raise HTTPException(404, f"no such language; available: {', '.join(translations.codes)}")
        language = translations.languages[code]
        return TranslationOut(**language.as_json(), languages=translations.menu(), max_question_chars=MAX_QUESTION_CHARS)

    @router.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz", tags=["operations"], summary="Readiness: 503 until the model and the index are loaded",
                responses=NOT_READY)
    def readyz(request: Request) -> JSONResponse:
        state = _state(request)
        if state.service is not None:
            return JSONResponse({"status": "ready", "passages": len(state.assistant.corpus.passages)})
        if state.load_error:
            return JSONResponse({"status": "failed", "detail": state.load_error}, status_code=503)
        return JSONResponse({"status": "loading"}, status_code=503,
                            headers={"Retry-After": str(NOT_READY_RETRY_SECONDS)})

    @router.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    def metrics(request: Request) -> Response:
        content, media_type = _state(request).metrics.render()
        return Response(content, media_type=media_type)

    return router
