"""The question log on SQLite and on PostgreSQL: background writes, failures that are counted, shown and
retried, nothing lost, numbered migrations, precomputed counts, and two writers on one database."""

from __future__ import annotations

import base64
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant import Answer
from server.metrics import Metrics
from server.questionlog import QuestionLog

TOKEN = "a-curator-token-of-some-length"


def answer(text: str = "Who signed Order 001223?", status: str = "answered") -> Answer:
    return Answer(question=text, status=status, answer="…", confidence=0.5)


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def refuse_writes(log: QuestionLog) -> None:
    """Make every INSERT fail as a full disk would (a trigger, so both databases fail for real)."""
    with log.db.transaction(write=True) as tx:
        if log.db.name == "sqlite":
            tx.execute("CREATE TRIGGER refuse BEFORE INSERT ON questions "
                       "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        else:
            tx.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; "
                       "END $$")
            tx.execute("CREATE TRIGGER refuse BEFORE INSERT ON questions FOR EACH ROW EXECUTE FUNCTION refuse()")


def allow_writes(log: QuestionLog) -> None:
    with log.db.transaction(write=True) as tx:
        tx.execute("DROP TRIGGER refuse" if log.db.name == "sqlite" else "DROP TRIGGER refuse ON questions")


def sample(metrics: Metrics, name: str) -> float:
    return metrics.registry.get_sample_value(name) or 0.0


@pytest.fixture
def open_log(database_url):
    logs = []

    def make(**kwargs) -> QuestionLog:
        log = QuestionLog(database_url, kwargs.pop("retention_days", 30), **kwargs)
        logs.append(log)
        return log

    yield make
    for log in logs:
        log.close(timeout=1)


def test_rows_are_written_by_the_background_writer_and_kept(open_log):
    log = open_log()
    for i in range(25):
        log.record(answer(f"Question {i}?", "abstained" if i % 5 == 0 else "answered"))
    assert log.flush(10)
    assert log.counts() == {"answered": 20, "corrected": 0, "abstained": 5}
    assert [q.question for q in log.recent(limit=3)][0].startswith("Question")
    log.close()
    reopened = open_log()
    assert sum(reopened.counts().values()) == 25


def test_a_write_failure_is_counted_shown_and_retried_and_nothing_is_lost(open_log):
    metrics = Metrics()
    log = open_log(metrics=metrics)
    refuse_writes(log)
    for i in range(45):
        log.record(answer(f"Question {i}?"))
    assert wait_for(lambda: sample(metrics, "serov_qa_question_log_write_failures_total") >= 1)
    health = log.health()
    assert health.failing_since is not None and health.pending == 45
    assert "cannot be written" in health.problem() and "45 question(s) are waiting" in health.problem()
    assert ("disk is full" in health.last_error) or ("No space left" in health.last_error)
    allow_writes(log)
    assert log.flush(40), "the writer retries until the database works again"
    assert log.counts()["answered"] == 45  # all 45, none lost
    assert log.health().failing_since is None and log.health().problem() is None
    assert sample(metrics, "serov_qa_question_log_written_total") == 45


def test_what_overflows_the_queue_while_the_log_is_broken_is_dropped_and_counted(open_log):
    metrics = Metrics()
    log = open_log(metrics=metrics, queue_size=10)
    refuse_writes(log)
    log.record(answer("The first one?"))
    assert wait_for(lambda: log.health().failing_since is not None)
    for i in range(40):
        log.record(answer(f"Question {i}?"))
    dropped = log.health().dropped
    assert dropped > 0 and sample(metrics, "serov_qa_question_log_dropped_total") == dropped
    assert f"{dropped} question(s) could not be logged" in log.health().problem()
    allow_writes(log)
    assert log.flush(40)
    assert log.counts()["answered"] + dropped == 41  # every row is either written or counted as dropped


def test_closing_writes_what_is_still_queued(open_log):
    log = open_log()
    for i in range(300):
        log.record(answer(f"Question {i}?"))
    log.close(timeout=20)
    assert open_log().counts()["answered"] == 300


def test_the_migrations_run_once_even_for_replicas_starting_together(database_url):
    logs: list[QuestionLog] = []
    errors: list[BaseException] = []

    def start():
        try:
            logs.append(QuestionLog(database_url, 30))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert not errors and len(logs) == 3
        assert logs[0].db.versions() == [1, 2, 3]
        assert logs[0].db.migrate() == []  # nothing left to apply
    finally:
        for log in logs:
            log.close(timeout=1)


def test_two_replicas_write_to_one_database(open_log):
    first, second = open_log(), open_log()
    for i in range(60):
        (first if i % 2 else second).record(answer("Where is Serov buried?" if i % 3 else "where is  SEROV buried?",
                                                   "abstained"))
    assert first.flush(20) and second.flush(20)
    assert first.counts()["abstained"] == 60 == second.counts()["abstained"]
    top = second.frequent()[0]
    assert top.count == 60 and top.question.lower().startswith("where is")


def test_purging_keeps_the_precomputed_counts_right(open_log):
    log = open_log(retention_days=30)
    now = datetime.now(timezone.utc)
    for days, text, status in [(40, "Old one?", "abstained"), (35, "old ONE?", "abstained"), (10, "Old one?", "abstained"),
                               (31, "Gone?", "corrected"), (1, "Recent?", "answered")]:
        log.record(answer(text, status), now=now - timedelta(days=days))
    assert log.flush(10)
    assert log.purge(now=now) == 3
    assert log.counts() == {"answered": 1, "corrected": 0, "abstained": 1}
    frequent = {(f.question.lower(), f.status): f.count for f in log.frequent(("abstained", "corrected", "answered"))}
    assert frequent == {("old one?", "abstained"): 1, ("recent?", "answered"): 1}


def test_a_huge_page_is_an_empty_page(open_log):
    log = open_log()
    log.record(answer())
    assert log.flush(10)
    assert log.recent(offset=10**17 * 100) == [] and len(log.recent()) == 1


def test_the_log_keeps_no_visitor_identifier(open_log):
    log = open_log()
    log.record(answer())
    assert log.flush(10)
    row = log.db.query("SELECT * FROM questions")[0]
    assert set(dict(row) if not isinstance(row, sqlite3.Row) else dict(zip(row.keys(), row))) == {
        "id", "asked_at", "question", "lang", "status", "confidence", "passages", "normalized"}  # the question itself


# -- the curator pages ---------------------------------------------------------------------------
def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"curator:{token}".encode()).decode()}


def test_the_curator_pages_and_metrics_show_a_broken_log(stub_app, database_url):
    app, _ = stub_app(curator_token=TOKEN, database_url=database_url)
    with TestClient(app) as client:
        log = app.state.server.questions
        refuse_writes(log)
        for i in range(3):
            assert client.post("/api/ask", json={"question": f"Who signed Order 00{i}?"}).status_code == 200
        assert wait_for(lambda: log.health().failing_since is not None)
        for page in ("/curator", "/curator/questions"):
            html = client.get(page, headers=basic(TOKEN)).text
            assert "The question log cannot be written since" in html and "3 question(s) are waiting" in html
        metrics = client.get("/metrics").text
        assert "serov_qa_question_log_write_failures_total" in metrics
        assert "serov_qa_question_log_pending 3.0" in metrics
        allow_writes(log)
        assert log.flush(40)
        assert "cannot be written" not in client.get("/curator", headers=basic(TOKEN)).text
        assert client.get("/curator/questions?page=100000000000000000", headers=basic(TOKEN)).status_code == 200


# -- SQLite only -----------------------------------------------------------------------------------
def test_an_sqlite_log_of_the_previous_version_is_upgraded(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE questions (id INTEGER PRIMARY KEY, asked_at TEXT NOT NULL, question TEXT NOT NULL, "
                     "lang TEXT NOT NULL, status TEXT NOT NULL, confidence REAL NOT NULL, passages TEXT NOT NULL)")
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        conn.executemany("INSERT INTO questions (asked_at, question, lang, status, confidence, passages) "
                         "VALUES (?, ?, 'en', ?, 0.1, '[]')",
                         [(now, "Where is Serov buried?", "abstained"), (now, "where is serov buried?", "abstained"),
                          (now, "Who signed it?", "answered")])
    log = QuestionLog(path, 30)
    try:
        assert log.db.versions() == [1, 2, 3]
        assert log.counts() == {"answered": 1, "corrected": 0, "abstained": 2}
        assert log.frequent()[0].count == 2
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        log.close()


def test_the_curator_overview_never_reads_the_question_rows(tmp_path: Path):
    """The overview's two queries read only the precomputed tables, through an index: their cost does not
    grow with the number of logged questions (benchmarks/questionlog.py times them at a million rows)."""
    log = QuestionLog(tmp_path / "q.sqlite3", 30)
    try:
        log.record(answer(status="abstained"))
        assert log.flush(10)
        statements: list[str] = []
        real_connect = log.db._connect

        def traced():
            conn = real_connect()
            conn.set_trace_callback(statements.append)
            return conn

        log.db._connect = traced
        log.counts()
        log.frequent()
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert selects and not any("FROM questions" in s for s in selects)
        with sqlite3.connect(tmp_path / "q.sqlite3") as conn:
            plan = " ".join(row[-1] for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT example, status, count, last_asked FROM question_counts "
                "WHERE status IN ('abstained', 'corrected') ORDER BY count DESC, last_asked DESC LIMIT 50"))
        assert "question_counts_rank" in plan and "TEMP B-TREE" not in plan
    finally:
        log.close()
