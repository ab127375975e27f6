"""Curator pages behind a token: passages, sources and the question log, in six languages.

The token is SEROV_QA_CURATOR_TOKEN; unset means the pages do not exist (404). People sign in on
/curator/login with the token and get a signed session cookie (server/curator_session.py); scripts
may send `Authorization: Bearer <token>` instead. The question log closes the loop: identical
questions grouped with counts, filters, CSV export, marking as reviewed, and an export of chosen
questions as an evaluation question file (evaluation/README.md), so visitors' real questions
become gold questions.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlencode

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server.curator_session import COOKIE, COOKIE_PATH, SESSION_SECONDS, CuratorSessions, offered_token
from server.i18n import DEFAULT_LANG, primary_subtag
from server.questionlog import STATUSES, QuestionGroup

PAGE_SIZE = 100
LOW_CONFIDENCE = 0.6  # answers below it are worth a curator's look even though they were given
LANG_COOKIE = "serov_qa_curator_lang"
FAILED_SIGN_IN_DELAY = 0.5  # seconds
FILTERS = {  # the statuses each filter shows
    "all": STATUSES, "unanswered": ("abstained",), "corrected": ("corrected",), "answered": ("answered",),
    "low": ("answered", "corrected"),
}


# -- who is asking --------------------------------------------------------------------------------
def sessions(request: Request) -> CuratorSessions | None:
    """The sign-in of this app, made once per token (tests build several apps with different tokens)."""
    token = request.app.state.server.settings.curator_token
    if not token:
        return None
    current = getattr(request.app.state, "curator_sessions", None)
    if current is None or not current.token_matches(token):
        current = CuratorSessions(token)
        request.app.state.curator_sessions = current
    return current


def page_lang(request: Request) -> str:
    translations = request.app.state.server.translations
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        code = primary_subtag(candidate)
        if code in translations.languages:
            return code
    for part in request.headers.get("accept-language", "").split(","):
        code = primary_subtag(part.split(";")[0])
        if code in translations.languages:
            return code
    return DEFAULT_LANG


def _safe_next(target: str | None) -> str:
    """Only a page of ours: never an address elsewhere ('//evil', 'https://...')."""
    if target and target.startswith("/curator") and not target.startswith("//") and "\\" not in target:
        return target
    return "/curator"


def require_curator(request: Request) -> None:
    desk = sessions(request)
    if desk is None:
        raise HTTPException(404, "Not Found")
    if desk.token_matches(offered_token(request.headers.get("authorization", ""))):
        request.state.curator_via = "token"
        return
    if desk.valid(request.cookies.get(COOKIE)):
        request.state.curator_via = "session"
        return
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, "sign in first", headers={"Location": "/curator/login?" + urlencode({"next": target})})
    raise HTTPException(401, "the curator pages need the curator token: sign in at /curator/login or send "
                             "'Authorization: Bearer <token>'")


async def form_fields(request: Request) -> dict[str, list[str]]:
    """The fields of a posted form (application/x-www-form-urlencoded; the body size is limited upstream)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qs(body, keep_blank_values=True)


def check_form(request: Request, fields: dict[str, list[str]]) -> None:
    """A change made through a session must come from our own form (a script with the token needs no form)."""
    if getattr(request.state, "curator_via", "") == "token":
        return
    if not sessions(request).form_token_matches(request.cookies.get(COOKIE), (fields.get("form_token") or [""])[0]):
        raise HTTPException(403, "the form has expired; reload the page and try again")


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    state = request.app.state.server
    corpus = state.assistant.corpus if state.assistant else None
    lang = page_lang(request)
    session = request.cookies.get(COOKIE)
    desk = sessions(request)
    signed_in = getattr(request.state, "curator_via", "") == "session"
    log_problem = state.questions.health().problem() if state.questions else None  # a failing log must be seen
    response = state.templates.TemplateResponse(request, template, {
        "corpus": corpus, "ready": corpus is not None, "lang": lang, "t": state.translations.languages[lang].curator,
        "languages": state.translations.menu(), "path": request.url.path,
        "form_token": desk.form_token(session) if signed_in and desk and session else "",
        "signed_in": signed_in, "log_problem": log_problem, **context,
    }, status_code=status_code)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path=COOKIE_PATH, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
    return response


# -- sign in and out ------------------------------------------------------------------------------
public = APIRouter(prefix="/curator", include_in_schema=False)


@public.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/curator", out: int = 0) -> HTMLResponse:  # noqa: A002
    if sessions(request) is None:
        raise HTTPException(404, "Not Found")
    return render(request, "curator_login.html", next=_safe_next(next), failed=False, signed_out=bool(out))


@public.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    desk = sessions(request)
    if desk is None:
        raise HTTPException(404, "Not Found")
    fields = await form_fields(request)
    target = _safe_next((fields.get("next") or [""])[0])
    if not desk.token_matches((fields.get("token") or [""])[0]):
        await asyncio.sleep(FAILED_SIGN_IN_DELAY)  # guessing the token costs time
        return render(request, "curator_login.html", status_code=401, next=target, failed=True, signed_out=False)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, desk.issue(), max_age=SESSION_SECONDS, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


protected = APIRouter(prefix="/curator", include_in_schema=False, dependencies=[Depends(require_curator)])


@protected.post("/logout")
async def logout(request: Request) -> Response:
    check_form(request, await form_fields(request))
    sessions(request).sign_out(request.cookies.get(COOKIE))
    response = RedirectResponse("/curator/login?out=1", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


# -- pages ----------------------------------------------------------------------------------------
@protected.get("", response_class=HTMLResponse)
@protected.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    state = request.app.state.server
    log = state.questions
    return render(
        request, "curator_index.html",
        counts=log.counts() if log else None,
        frequent=log.groups(("abstained", "corrected"), limit=20) if log else [],
        retention_days=state.settings.log_retention_days,
    )


@protected.get("/passages", response_class=HTMLResponse)
def passages(request: Request, about: str | None = None) -> HTMLResponse:
    state = request.app.state.server
    corpus = state.assistant.corpus if state.assistant else None
    shown = [p for p in corpus.passages if not about or about in p.about] if corpus else []
    return render(request, "curator_passages.html", passages=shown, about=about,
                  subjects=sorted(corpus.subjects) if corpus else [])


@protected.get("/passages/{passage_id}", response_class=HTMLResponse)
def passage(request: Request, passage_id: str) -> HTMLResponse:
    state = request.app.state.server
    corpus = state.assistant.corpus if state.assistant else None
    found = corpus.by_id.get(passage_id) if corpus else None
    if corpus is not None and found is None:
        raise HTTPException(404, f"there is no passage {passage_id!r}")
    return render(request, "curator_passage.html", passage=found)


@protected.get("/sources", response_class=HTMLResponse)
def sources(request: Request) -> HTMLResponse:
    state = request.app.state.server
    corpus = state.assistant.corpus if state.assistant else None
    cited: dict[str, int] = {}
    for p in corpus.passages if corpus else ():
        for citation in p.sources:
            cited[citation.source_id] = cited.get(citation.source_id, 0) + 1
    return render(request, "curator_sources.html", cited=cited)


# -- the question log -----------------------------------------------------------------------------
def group_key(group: QuestionGroup) -> str:
    """A short stable name for a question (all its spellings), for checkboxes and links."""
    return hashlib.sha256(group.normalized.encode("utf-8")).hexdigest()[:16]


class LogQuery:
    """The filters of the question log page, from its query string, and the groups they select."""

    def __init__(self, request: Request) -> None:
        params = request.query_params
        self.show = params.get("show") if params.get("show") in FILTERS else "all"
        self.lang = params.get("lang_filter") or ""
        if self.lang not in request.app.state.server.translations.languages:
            self.lang = ""
        self.search = (params.get("q") or "").strip()[:200]
        self.todo = params.get("todo") == "1"
        try:
            self.page = max(1, int(params.get("page") or 1))
        except ValueError:
            self.page = 1

    def groups(self, log, limit: int = -1, offset: int = 0) -> list[QuestionGroup]:
        return log.groups(FILTERS[self.show], lang=self.lang or None, search=self.search or None,
                          below_confidence=LOW_CONFIDENCE if self.show == "low" else None, unreviewed=self.todo,
                          limit=limit, offset=offset)

    def params(self, **changes) -> str:
        values = {"show": self.show, "lang_filter": self.lang, "q": self.search, "todo": "1" if self.todo else "",
                  "page": str(self.page) if self.page > 1 else "", **changes}
        return urlencode({k: v for k, v in values.items() if v})


@protected.get("/questions", response_class=HTMLResponse)
def questions(request: Request) -> HTMLResponse:
    state = request.app.state.server
    log = state.questions
    query = LogQuery(request)
    rows = query.groups(log, limit=PAGE_SIZE + 1, offset=(query.page - 1) * PAGE_SIZE) if log else []
    return render(
        request, "curator_questions.html",
        rows=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, query=query, filters=list(FILTERS), key=group_key,
        counts=log.counts() if log else None, logging=log is not None, languages_filter=state.translations.codes,
        retention_days=state.settings.log_retention_days, low_confidence=LOW_CONFIDENCE,
    )


def _cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: a visitor's "=HYPERLINK(...)" must not become a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@protected.get("/questions.csv")
def questions_csv(request: Request) -> Response:
    log = request.app.state.server.questions
    if log is None:
        raise HTTPException(503, "the question log cannot be opened")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["question", "status", "languages", "times_asked", "first_asked_utc", "last_asked_utc",
                     "mean_confidence", "cited_passages", "reviewed_at_utc"])
    for g in LogQuery(request).groups(log):
        writer.writerow([_cell(g.question), g.status, " ".join(g.langs), g.count, g.first_asked.isoformat(),
                         g.last_asked.isoformat(), f"{g.confidence:.3f}", " ".join(g.passages),
                         g.reviewed_at.isoformat() if g.reviewed_at else ""])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": f'attachment; filename="serov-qa-questions-{stamp}.csv"'})


def _chosen(log, keys: list[str]) -> list[QuestionGroup]:
    wanted = set(keys)
    return [g for g in log.groups() if group_key(g) in wanted]


def question_file(groups: list[QuestionGroup], now: datetime | None = None) -> str:
    """An evaluation question file (evaluation/README.md): one entry per question, `expect` for the curator."""
    now = now or datetime.now(timezone.utc)
    by_question: dict[str, list[QuestionGroup]] = {}
    for g in groups:
        by_question.setdefault(g.normalized, []).append(g)
    lines = [
        f"# Visitors' questions from the serov-qa question log, exported {now:%Y-%m-%d %H:%M} UTC.",
        "# For each: set expect.status (answered | corrected | abstained), the subjects an answer may cite",
        "# (documents: ids of corpus/subjects.yaml) and the words it must include; then add the file to",
        "# `serov-qa evaluate --questions ...`. Until then every question expects an answer.",
    ]
    for normalized, found in by_question.items():
        first = found[0]
        lang = first.langs[0] if len(first.langs) == 1 else "en"
        statuses = ", ".join(sorted({g.status for g in found}))
        count = sum(g.count for g in found)
        entry = {
            "id": "visitor-" + group_key(first),
            "question": first.question,
            "kind": "factual" if lang == "en" else "multilingual",
            "lang": lang,
            "expect": {"status": "answered", "documents": [], "must_include": []},
            "note": (f"Asked {count} times by visitors ({min(g.first_asked for g in found):%Y-%m-%d} to "
                     f"{max(g.last_asked for g in found):%Y-%m-%d}); the assistant gave: {statuses}."),
        }
        lines += ["", f"# TODO: expect (the assistant gave: {statuses})",
                  yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=100).rstrip()]
    return "\n".join(lines) + "\n"


async def posted_choice(request: Request) -> tuple[dict[str, list[str]], object, list[QuestionGroup]]:
    """A form of the question log page: its fields, the log, and the questions ticked in it."""
    fields = await form_fields(request)
    check_form(request, fields)
    log = request.app.state.server.questions
    if log is None:
        raise HTTPException(503, "the question log cannot be opened")
    return fields, log, _chosen(log, fields.get("key", []))


@protected.post("/questions/export.yaml")
async def questions_yaml(request: Request) -> Response:
    _fields, _log, chosen = await posted_choice(request)
    if not chosen:
        raise HTTPException(422, "choose at least one question to export")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    return Response(question_file(chosen), media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="visitor-questions-{stamp}.yaml"'})


@protected.post("/questions/review")
async def review(request: Request) -> Response:
    fields, log, chosen = await posted_choice(request)
    log.mark_reviewed(sorted({g.normalized for g in chosen}), reviewed=(fields.get("action") or [""])[0] != "unreview")
    back = (fields.get("back") or [""])[0]
    return RedirectResponse("/curator/questions" + (f"?{back}" if back and "\n" not in back else ""), status_code=303)


router = APIRouter()
router.include_router(public)
router.include_router(protected)
