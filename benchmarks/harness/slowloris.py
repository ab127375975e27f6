"""Slow clients beside a load level: slowloris connections that the server must let go.

Half trickle their request headers a byte every SLOW_BYTE_INTERVAL_S, half send headers and part of a body and
then stall; each is reopened when the server closes it. What a load run records: how many were opened, how many
the server closed (or answered 408), and the longest one held. The benchmarked servers get header and body
timeouts of SLOW_TIMEOUT_S (`server_env`), so a level of a few seconds still shows them closed.
"""

from __future__ import annotations

import asyncio
import time

SLOW_BYTE_INTERVAL_S = 0.5
SLOW_TIMEOUT_S = 5.0  # the benchmarked servers' header and body timeouts (the default is 10 s)


class SlowClients:
    def __init__(self, base_url: str, count: int) -> None:
        host, port = base_url.rsplit("//", 1)[1].split(":")
        self.host, self.port, self.count = host, int(port), count
        self.opened = self.closed_by_server = self.answered_408 = 0
        self.held: list[float] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(i % 2 == 0)) for i in range(self.count)]

    async def stop(self, grace_s: float = SLOW_TIMEOUT_S + 3) -> dict:
        """Stop once each has been let go at least once (or after grace_s); the figures."""
        deadline = time.perf_counter() + grace_s
        while self.closed_by_server < self.count and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return {"count": self.count, "opened": self.opened, "closed": self.closed_by_server,
                "answered_408": self.answered_408, "max_held_s": max(self.held) if self.held else float("nan")}

    async def _run(self, headers_only: bool) -> None:
        while not self._stop.is_set():
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            self.opened += 1
            opened = time.perf_counter()
            if headers_only:
                payload = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000
            else:
                writer.write(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 200\r\n\r\n{\"question\": \"Who")
                payload = b" signed it?" * 100
            if await self._trickle(reader, writer, payload):
                self.closed_by_server += 1
                self.held.append(time.perf_counter() - opened)
            writer.close()

    async def _trickle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> bool:
        """A byte every SLOW_BYTE_INTERVAL_S until the server lets go (True: a 408 or the end of the connection)
        or the level is over (False)."""
        for byte in payload:
            if self._stop.is_set():
                return False
            try:
                writer.write(bytes([byte]))
                await writer.drain()
                data = await asyncio.wait_for(reader.read(4096), SLOW_BYTE_INTERVAL_S)
            except asyncio.TimeoutError:
                continue
            except (ConnectionError, OSError):
                return True
            if data.startswith(b"HTTP/1.1 408"):
                self.answered_408 += 1
            return True
        return False
