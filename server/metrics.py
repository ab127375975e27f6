"""Prometheus metrics in a registry of the app's own (two apps in one process never share counters)."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "serov_qa_http_requests", "HTTP requests by method, route and status code.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "serov_qa_http_request_duration_seconds", "Time to answer an HTTP request.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.answers = Counter(
            "serov_qa_answers", "Answers given, by status (answered, corrected, abstained).", ["status"],
            registry=self.registry,
        )
        self.cache_hits = Counter("serov_qa_answer_cache_hits", "Answers served from the cache.", registry=self.registry)
        self.cache_misses = Counter(
            "serov_qa_answer_cache_misses", "Answers computed by the pipeline.", registry=self.registry
        )
        self.ready = Gauge("serov_qa_ready", "1 when the model and the index are loaded.", registry=self.registry)
        for status in ("answered", "corrected", "abstained"):
            self.answers.labels(status)  # so each status shows up as 0 before the first answer

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def route_label(scope: Scope) -> str:
    """The route's template (/api/passages/{id}), never the raw path: label values stay few."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path or "<unmatched>"


class MetricsMiddleware:
    """Counts every request and times it, including the ones refused by other middleware (413, 429)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = route_label(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - start)
