"""Fixtures of the reliability tests: a stand-in pipeline, a real uvicorn server on loopback, and PostgreSQL.

PostgreSQL comes from Debian's `postgresql` package (installed by .ci/run): the tests make a cluster in
a temporary folder with initdb and start it with pg_ctl on a free loopback port, as the `postgres`
user when they run as root (PostgreSQL refuses to run as root). Without the package the PostgreSQL
half of the question-log suite is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn

from assistant import Answer
from config.settings import Settings


class StubPipeline:
    """Answers like the pipeline without a model: fast, or held until `release` is set; counts its calls."""

    def __init__(self, corpus, hold: bool = False) -> None:
        self.corpus = corpus
        self.calls: list[str] = []
        self.release = threading.Event()
        self.entered = threading.Event()
        if not hold:
            self.release.set()

    def answer(self, question: str, lang: str | None = None) -> Answer:
        self.calls.append(question)
        self.entered.set()
        self.release.wait(30)
        return Answer(question=question, status="answered", answer=f"An answer to: {question}", confidence=0.9,
                      lang=lang or "en")


@pytest.fixture(scope="session")
def shipped_corpus():
    from corpus import load_corpus

    return load_corpus(Settings().corpus_dir)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an app around a stand-in pipeline: no rate limit, a private question log."""
    return Settings(index_dir=tmp_path / "index", question_log=tmp_path / "questions.sqlite3", rate_limit="off",
                    curator_token=None, allowed_origins=[], trusted_proxies=[], metrics_networks=[],
                    metrics_token=None, database_url=None)


@pytest.fixture
def stub_app(settings, shipped_corpus) -> Callable:
    """stub_app(hold=False, **settings) -> (app, pipeline)."""
    from server.app import create_app

    def make(hold: bool = False, **overrides):
        pipeline = StubPipeline(shipped_corpus, hold=hold)
        return create_app(settings.model_copy(update=overrides), assistant=pipeline), pipeline

    return make


# -- a real server on loopback ---------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app, settings: Settings, parser: str = "default") -> None:
        from server.serving import protocol_class, uvicorn_options

        self.port = free_port()
        options = uvicorn_options(settings)
        options["log_level"] = "warning"
        if parser != "default":  # the h11 fallback, or httptools explicitly
            options["http"] = protocol_class(settings.header_timeout_seconds, fast=parser == "httptools")
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, **options))
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live_server() -> Callable[..., LiveServer]:
    """live_server(app, settings, parser="default"|"h11"|"httptools"): a context manager running uvicorn with the
    settings' options."""
    return LiveServer


# -- PostgreSQL -------------------------------------------------------------------------------------
def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class Postgres:
    """A throw-away PostgreSQL cluster; `database()` makes a fresh, empty database and returns its URL."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="serov-qa-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._count = 0

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True, timeout=120)

    def start(self) -> Postgres:
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' -c fsync=off"
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        try:
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        import psycopg

        self._count += 1
        name = f"test_{os.getpid()}_{self._count}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    if _pg_bin("initdb") is None or _pg_bin("pg_ctl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL (Debian's postgresql package) is not installed; .ci/run installs it")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = Postgres().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    """The question log's database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'questions.sqlite3'}"
    return request.getfixturevalue("postgres").database()
