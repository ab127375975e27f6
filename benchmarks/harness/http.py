"""The load client: a light keep-alive HTTP/1.1 connection and a driver that sends POST /api/ask concurrently.

Why: httpx spends about a millisecond of CPU per request, which at concurrency 128 on two shared cores made
the client, not the server, the slowest part; so each worker has one connection written by hand. A 503 with
a Retry-After and a `reason` of queue_full, queue_timeout or over_budget is the server's documented overload
answer: it is recorded apart, and the worker that got it waits its Retry-After, as the kiosk does. Any other
status but 200, a malformed answer, a timeout or a connection error is an error.
Usage: results, wall_s, not_sent, statuses = asyncio.run(drive(base_url, plan, concurrency=8))
       (plan: objects with a .question; each Result keeps its plan item as .request)
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

OVERLOAD_REASONS = ("queue_full", "queue_timeout", "over_budget")
ANSWER_STATUSES = ("answered", "corrected", "abstained")


class Connection:
    """One keep-alive HTTP/1.1 connection to host:port, reopened when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        reused = self.writer is not None
        try:
            return await self._post(path, body)
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
            # The server closes a keep-alive connection idle for its keep-alive time (5 s); a worker that waited out
            # a Retry-After finds it closed on its next request, as any HTTP client does: one retry, fresh connection.
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
            return await self._post(path, body)

    async def _post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\n\r\n%s" % (path.encode(), self.host.encode(), len(body), body))
            await self.writer.drain()
            lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {name.strip().lower(): value.strip()
                       for name, _, value in (line.partition(":") for line in lines[1:]) if name}
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Result:
    request: Any  # the plan item
    seconds: float = float("nan")
    status: int = 0
    error: str = ""  # "" for a well-formed answer or a documented overload 503
    overload: str = ""  # the reason of a documented overload 503
    sent: float = float("nan")  # perf_counter when sent and when the answer was in
    received: float = float("nan")

    @property
    def ok(self) -> bool:
        return not self.error and not self.overload


def overload_reason(status: int, headers: dict[str, str], body: bytes) -> str:
    """The reason of a documented overload answer (503 with reason and Retry-After), else ""."""
    if status != 503 or "retry-after" not in headers:
        return ""
    try:
        reason = json.loads(body).get("reason", "")
    except ValueError:
        return ""
    return reason if reason in OVERLOAD_REASONS else ""


def answer_status(status: int, body: bytes) -> tuple[str, str]:
    """(answer status, error): the error is "" for a well-formed answer."""
    if status != 200:
        return "", f"HTTP {status}"
    try:
        answer = json.loads(body)
    except ValueError:
        return "", "not JSON"
    if answer.get("status") not in ANSWER_STATUSES or not answer.get("answer"):
        return "", "malformed answer"
    return answer["status"], ""


async def drive(base_url: str, plan: list, concurrency: int, request_timeout_s: float = 60.0,
                level_timeout_s: float = 600.0) -> tuple[list[Result], float, int, dict[str, int]]:
    """Send the plan with `concurrency` workers, each on its own connection; returns the results, the wall time,
    how many requests were not sent within level_timeout_s, and the count of each answer status."""
    queue: asyncio.Queue = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    results: list[Result] = []
    statuses: dict[str, int] = {}
    host, port = base_url.rsplit("//", 1)[1].split(":")
    clock = time.perf_counter

    async def worker() -> None:
        connection = Connection(host, int(port))
        try:
            while not queue.empty():
                result = Result(queue.get_nowait())
                body = json.dumps({"question": result.request.question}).encode()
                result.sent = clock()
                pause = 0.0
                try:
                    status, headers, content = await asyncio.wait_for(connection.post("/api/ask", body), request_timeout_s)
                    result.received = clock()
                    result.seconds, result.status = result.received - result.sent, status
                    result.overload = overload_reason(status, headers, content)
                    if result.overload:
                        pause = float(headers["retry-after"])
                    else:
                        answer, result.error = answer_status(status, content)
                        if answer:
                            statuses[answer] = statuses.get(answer, 0) + 1
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                        ValueError) as exc:
                    result.seconds, result.error = clock() - result.sent, type(exc).__name__
                results.append(result)
                if pause:
                    await asyncio.sleep(pause)
        finally:
            connection.close()

    started = clock()
    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    done, pending = await asyncio.wait(tasks, timeout=level_timeout_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    wall = clock() - started
    for task in done:
        if task.exception() is not None:
            raise task.exception()
    return results, wall, len(plan) - len(results), statuses
