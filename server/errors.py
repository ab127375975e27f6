"""Readable error responses: every 4xx body is {"detail": "<one sentence a person can read>"}."""

from __future__ import annotations

import math
import time

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from slowapi.errors import RateLimitExceeded

from assistant import QuestionError
from assistant.language import LANGUAGES

_MESSAGES = {
    "missing": "is required",
    "string_type": "must be text (a JSON string)",
    "model_attributes_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "literal_error": "must be one of " + ", ".join(LANGUAGES),
}


def _field(loc: tuple) -> str:
    parts = [str(part) for part in loc if part != "body"]
    return ".".join(parts) or "body"


def readable_errors(errors: list[dict]) -> list[dict[str, str]]:
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


async def rate_limit_handler(request: Request, exc: RateLimitExceeded) -> JSONResponse:
    limiter = request.app.state.limiter
    current = getattr(request.state, "view_rate_limit", None)
    retry_after = 60
    if current is not None:
        reset_at, _remaining = limiter.limiter.get_window_stats(current[0], *current[1])
        retry_after = max(1, math.ceil(reset_at - time.time()))
    return JSONResponse(
        {"detail": f"too many questions: the limit is {exc.detail}; try again in {retry_after} seconds"},
        status_code=429, headers={"Retry-After": str(retry_after)},
    )
