"""The answering pipeline behind a bounded queue: `workers` threads run it, a few questions may wait, the rest 503.

One thread per answering worker process (server.worker.PipelinePool; one by default): a thread only waits
on its process's pipe, so answers run side by side in their processes while the event loop stays free. Why bounded: without a limit,
questions pile up faster than they are answered and every visitor waits longer (17.8 s p99 at
concurrency 128 before this queue). A visitor is better served by a fast 503 with Retry-After.

Three limits, all in settings: how many questions may wait or be in the pipeline (`size`), how long a
question may wait for the pipeline to start on it (`wait_seconds`), and how long a visitor waits for the
pipeline once it started (`budget_seconds`). Python cannot stop a running thread, so a question over
its budget is finished in the background (its answer goes to the cache); the question's length in
tokens bounds that work (server.answers.QuestionLimits).

All bookkeeping (`_jobs`, `_depth`) happens on the event loop; the worker thread only reports back
with call_soon_threadsafe, so there is no lock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from server.metrics import Metrics

MAX_RETRY_AFTER = 30
BUSY = "the assistant is busy answering other visitors; please try again shortly"


class Refused(Exception):
    """The question is not answered now: the API says 503 with Retry-After."""

    def __init__(self, reason: str, retry_after: int, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason  # queue_full | queue_timeout | over_budget
        self.retry_after = retry_after
        self.detail = detail


@dataclass
class _Job:
    loop: asyncio.AbstractEventLoop
    enqueued: float
    started: asyncio.Future = field(init=False)
    done: asyncio.Future = field(init=False)
    started_at: float = 0.0

    def __post_init__(self) -> None:
        self.started = self.loop.create_future()
        self.done = self.loop.create_future()


class AnswerQueue:
    def __init__(self, size: int, wait_seconds: float, budget_seconds: float, metrics: Metrics,
                 workers: int = 1) -> None:
        self.size = size
        self.workers = workers
        self.wait_seconds = wait_seconds
        self.budget_seconds = budget_seconds
        self.metrics = metrics
        self._executor: ThreadPoolExecutor | None = None
        self._jobs: dict[Any, _Job] = {}
        self._depth = 0
        self._service_seconds = 0.05  # running mean of the pipeline's time per question, for Retry-After

    @property
    def depth(self) -> int:
        return self._depth

    def retry_after(self) -> int:
        return max(1, min(MAX_RETRY_AFTER, math.ceil(self._depth * self._service_seconds / self.workers)))

    def _refuse(self, reason: str, detail: str) -> Refused:
        self.metrics.refused.labels(reason).inc()
        return Refused(reason, self.retry_after(), detail)

    async def run(self, key: Any, compute: Callable[[], Any]) -> tuple[Any, bool]:
        """compute()'s result, and whether it was shared with an identical question already in the queue.

        Identical questions (same key) in flight at once share one computation: a group at the kiosk
        tapping the same suggested question costs the pipeline once."""
        job = self._jobs.get(key)
        shared = job is not None
        if job is None:
            if self._depth >= self.size:
                raise self._refuse("queue_full", BUSY)
            job = _Job(asyncio.get_running_loop(), time.monotonic())
            self._jobs[key] = job
            self._depth += 1
            self.metrics.queue_depth.set(self._depth)
            self._pool().submit(self._work, key, job, compute)
        try:
            started = await asyncio.wait_for(asyncio.shield(job.started),
                                             max(0.0, job.enqueued + self.wait_seconds - time.monotonic()))
        except asyncio.TimeoutError:
            started = False
        if not started:
            raise self._refuse("queue_timeout", BUSY)
        try:
            result = await asyncio.wait_for(asyncio.shield(job.done), max(0.0, job.started_at + self.budget_seconds - time.monotonic()))
        except asyncio.TimeoutError:
            raise self._refuse("over_budget", "answering this question took too long; please try again") from None
        return result, shared

    def _work(self, key: Any, job: _Job, compute: Callable[[], Any]) -> None:
        """In the pipeline thread."""
        started = time.monotonic()
        if started - job.enqueued > self.wait_seconds:
            # Everyone waiting for it has been told 503 by now: the pipeline would answer no one.
            job.loop.call_soon_threadsafe(self._finish, key, job, None, None, 0.0)
            return
        job.started_at = started
        job.loop.call_soon_threadsafe(_resolve, job.started, True, None)
        try:
            result, error = compute(), None
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request, which raises it
            result, error = None, exc
        job.loop.call_soon_threadsafe(self._finish, key, job, result, error, time.monotonic() - started)

    def _finish(self, key: Any, job: _Job, result: Any, error: BaseException | None, seconds: float) -> None:
        """On the event loop."""
        if self._jobs.get(key) is job:
            del self._jobs[key]
        self._depth -= 1
        self.metrics.queue_depth.set(self._depth)
        if seconds:
            self._service_seconds = 0.9 * self._service_seconds + 0.1 * seconds
            self.metrics.pipeline_seconds.observe(seconds)
        _resolve(job.started, False, None)  # a skipped job: its waiters have gone
        _resolve(job.done, result, error)

    def _pool(self) -> ThreadPoolExecutor:
        # Made on first use and again after close(): an app's lifespan may run more than once (test clients).
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="serov-qa-pipeline")
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _resolve(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(result)
        return
    future.set_exception(error)
    # Nobody may be waiting any more (they got 503): mark the exception as retrieved, or asyncio logs it.
    future.exception()
