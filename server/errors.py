"""Readable error responses: every 4xx and 5xx body is {"detail": "<one sentence a person can read>"}.

A 503 also says why, in `reason`, for programs (the kiosk shows "busy" and "unavailable" differently):
`loading` (the model and the index are loading; retry), `unavailable` (loading failed; an operator
must act), `queue_full`, `queue_timeout`, `over_budget` (overloaded; retry after Retry-After).
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import QuestionError
from server.clients import RateDecision
from server.queueing import Refused

log = logging.getLogger("uvicorn.error").getChild("serov_qa")

_MESSAGES = {
    "missing": "is required",
    "string_type": "must be text (a JSON string)",
    "model_attributes_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
}


def _field(loc: tuple) -> str:
    parts = [str(part) for part in loc if part != "body"]
    return ".".join(parts) or "body"


def readable_errors(errors: list[dict]) -> list[dict[str, str]]:
    """One {field, message} per error; never the input itself (it may be anything a client sent)."""
    readable = []
    for error in errors:
        kind = error.get("type", "")
        loc = tuple(error.get("loc", ()))
        field = _field(loc)
        if kind == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            position = loc[1] if len(loc) > 1 else "?"
            field, message = "body", f"is not valid JSON ({reason} at character {position})".replace(" ()", "")
        elif field == "body" and kind in ("missing", "model_attributes_type", "model_type", "dict_type"):
            message = 'must be a JSON object such as {"question": "Who signed the Serov Instructions?"}'
        else:
            message = _MESSAGES.get(kind, error.get("msg", "is not valid"))
        readable.append({"field": field, "message": message})
    return readable


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = readable_errors(list(exc.errors()))
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "the request is not valid"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


async def question_error_handler(request: Request, exc: QuestionError) -> JSONResponse:
    message = str(exc)
    return JSONResponse({"detail": f"question: {message}", "errors": [{"field": "question", "message": message}]},
                        status_code=422)


async def refused_handler(request: Request, exc: Refused) -> JSONResponse:
    return unavailable(exc.reason, exc.detail, exc.retry_after)


def unavailable(reason: str, detail: str, retry_after: int | None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSONResponse({"detail": detail, "reason": reason}, status_code=503, headers=headers)


def too_many_requests(decision: RateDecision) -> JSONResponse:
    return JSONResponse(
        {"detail": f"too many questions: the limit is {decision.description}; try again in {decision.retry_after} seconds"},
        status_code=429, headers={"Retry-After": str(decision.retry_after), "X-RateLimit-Limit": str(decision.limit),
                                  "X-RateLimit-Remaining": "0"},
    )


class UnexpectedErrorMiddleware:
    """A bug answers like every other error: JSON, with the security headers, and the traceback only in the log.

    Starlette's own handler for unexpected errors sits outside every middleware, so its plain-text 500
    went out without the Content-Security-Policy; this one sits inside the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for an error response: the connection is closed by the server
                raise
            response = JSONResponse({"detail": "something went wrong on our side; please try again"}, status_code=500)
            await response(scope, receive, send)
