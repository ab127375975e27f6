"""Prometheus metrics in a registry of the app's own (two apps in one process never share counters).

Every label value comes from a fixed set: the method from METHODS, the route from the app's route
templates, the status from the codes the app sends. A client cannot invent a label value, so it
cannot make a scrape grow (an invented method once made one scrape 189 MB).
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "other"
# nginx's code for "the client closed the connection before the answer": not the server's fault, not a 500.
CLIENT_GONE = "499"

access = logging.getLogger("serov_qa.access")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("serov_qa_http_requests", "HTTP requests by method, route and status code.",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("serov_qa_http_request_duration_seconds", "Time to answer an HTTP request.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.answers = Counter("serov_qa_answers", "Answers given, by status (answered, corrected, abstained).",
                               ["status"], registry=r)
        self.cache_hits = Counter("serov_qa_answer_cache_hits", "Answers served from the cache.", registry=r)
        self.cache_misses = Counter("serov_qa_answer_cache_misses", "Answers computed by the pipeline.", registry=r)
        self.ready = Gauge("serov_qa_ready", "1 when the model and the index are loaded.", registry=r)
        self.failed = Gauge("serov_qa_load_failed", "1 when loading failed (see /readyz and the log).", registry=r)
        self.queue_depth = Gauge("serov_qa_answer_queue_depth", "Questions waiting for or in the pipeline.", registry=r)
        self.refused = Counter("serov_qa_answers_refused", "Questions refused with 503 instead of answered, by reason "
                               "(queue_full, queue_timeout, over_budget).", ["reason"], registry=r)
        self.pipeline_restarts = Counter("serov_qa_pipeline_restarts", "Times the answering process was started again "
                                         "after it died or was stopped for running too long.", registry=r)
        self.pipeline_seconds = Histogram("serov_qa_pipeline_seconds", "Time the pipeline took for one question.",
                                          buckets=LATENCY_BUCKETS, registry=r)
        self.log_written = Counter("serov_qa_question_log_written", "Questions written to the question log.", registry=r)
        self.log_failures = Counter("serov_qa_question_log_write_failures",
                                    "Failed attempts to write to the question log (the rows are retried).", registry=r)
        self.log_dropped = Counter("serov_qa_question_log_dropped",
                                   "Questions never logged: the writer's queue was full or the log stayed broken.",
                                   registry=r)
        self.log_pending = Gauge("serov_qa_question_log_pending", "Questions waiting to be written to the log.",
                                 registry=r)
        for status in ("answered", "corrected", "abstained"):
            self.answers.labels(status)  # so each status shows up as 0 before the first answer
        for reason in ("queue_full", "queue_timeout", "over_budget"):
            self.refused.labels(reason)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def route_label(scope: Scope) -> str:
    """The route's template (/api/passages/{passage_id}), never the raw path; `other` when no route matched."""
    path = getattr(scope.get("route"), "path", None)
    return path or OTHER


def method_label(scope: Scope) -> str:
    method = scope.get("method", "")
    return method if method in METHODS else OTHER


class MetricsMiddleware:
    """Counts every request and times it, including the ones refused by other middleware (413, 429).

    With access_log, also one log line per request: method, path, status, milliseconds, and never the
    client's address (the question log promises visitors none is kept; uvicorn's own access log,
    which has it, is off)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status: str | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except BaseException:
            status = status or "500"
            raise
        finally:
            method, route = method_label(scope), route_label(scope)
            seconds = time.perf_counter() - start
            self.metrics.requests.labels(method, route, status or CLIENT_GONE).inc()
            self.metrics.latency.labels(method, route).observe(seconds)
            if self.access_log:
                access.info("%s %s %s %.1f ms", method, scope.get("path", "")[:200], status or CLIENT_GONE, seconds * 1000)
