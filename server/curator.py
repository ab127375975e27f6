"""Curator pages behind a token: passages, sources and the question log.

The token is SEROV_QA_CURATOR_TOKEN; unset means the pages do not exist (404). A browser
asks for it with HTTP Basic authentication (any user name, the token as password); scripts
may send `Authorization: Bearer <token>` instead.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from server.questionlog import STATUSES

PAGE_SIZE = 100

FILTERS = {"all": None, "unanswered": "abstained", "corrected": "corrected", "answered": "answered"}


def _offered_token(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def require_curator(request: Request) -> None:
    token = request.app.state.server.settings.curator_token
    if not token:
        raise HTTPException(404, "Not Found")
    offered = _offered_token(request.headers.get("authorization", ""))
    if offered is None or not secrets.compare_digest(offered.encode(), token.encode()):
        raise HTTPException(401, "the curator pages need the curator token",
                            headers={"WWW-Authenticate": 'Basic realm="serov-qa curators", charset="UTF-8"'})


router = APIRouter(prefix="/curator", include_in_schema=False, dependencies=[Depends(require_curator)])


def _render(request: Request, template: str, **context) -> HTMLResponse:
    state = request.app.state.server
    corpus = state.assistant.corpus if state.assistant else None
    log_problem = state.questions.health().problem() if state.questions else None  # a failing log must be seen
    return state.templates.TemplateResponse(request, template, {"corpus": corpus, "ready": corpus is not None,
                                                                  "log_problem": log_problem, **context})


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    state = request.app.state.server
    log = state.questions
    return _render(
        request, "curator_index.html",
        counts=log.counts() if log else None,
        frequent=log.frequent() if log else [],
        retention_days=state.settings.log_retention_days,
    )


@router.get("/passages", response_class=HTMLResponse)
def passages(request: Request, about: str | None = None) -> HTMLResponse:
    state = request.app.state.server
    corpus = state.assistant.corpus if state.assistant else None
    shown = [p for p in corpus.passages if not about or about in p.about] if corpus else []
    return _render(request, "curator_passages.html", passages=shown, about=about,
                   subjects=sorted(corpus.subjects) if corpus else [])


@router.get("/passages/{passage_id}", response_class=HTMLResponse)
def passage(request: Request, passage_id: str) -> HTMLResponse:
    state = request.app.state.server
    corpus = state.assistant.corpus if state.assistant else None
    found = corpus.by_id.get(passage_id) if corpus else None
    if corpus is not None and found is None:
        raise HTTPException(404, f"there is no passage {passage_id!r}")
    return _render(request, "curator_passage.html", passage=found)


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request) -> HTMLResponse:
    state = request.app.state.server
    corpus = state.assistant.corpus if state.assistant else None
    cited: dict[str, int] = {}
    for p in corpus.passages if corpus else ():
        for citation in p.sources:
            cited[citation.source_id] = cited.get(citation.source_id, 0) + 1
    return _render(request, "curator_sources.html", cited=cited)


@router.get("/questions", response_class=HTMLResponse)
def questions(request: Request, show: str = "all", page: int = 1) -> HTMLResponse:
    state = request.app.state.server
    log = state.questions
    show = show if show in FILTERS else "all"
    page = max(1, page)
    rows = log.recent(FILTERS[show], limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE) if log else []
    return _render(
        request, "curator_questions.html",
        rows=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page=page, show=show, filters=list(FILTERS),
        counts=log.counts() if log else None, statuses=STATUSES, logging=log is not None,
        retention_days=state.settings.log_retention_days,
    )
