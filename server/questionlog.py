"""The question log curators read: what visitors asked, when, how it was answered, what was cited.

It holds no IP address, no cookie and no other identifier of the visitor; rows older than the
retention period are deleted (at start and then at most once an hour).

Where: SQLite (the default, one file, WAL mode) or PostgreSQL (`SEROV_QA_DATABASE_URL`, psycopg 3),
which replicas behind a load balancer share. One schema for both, created and upgraded by the
numbered migrations in server/logstore.py.

How: answering never waits for the database. `record` puts the row in a bounded queue; one
background thread writes the queue in batches (one transaction, one fsync for many rows). A write that
fails (disk full, read-only, database down) is retried with back-off, counted in the metrics and
shown on the curator pages; only what overflows the queue meanwhile is dropped, and counted.

The curator overview reads precomputed counts (question_counts, status_totals), kept in the same
transactions as the rows, so it costs the same at a million rows as at ten.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from assistant import Answer
from server.logstore import Database, open_database
from server.metrics import Metrics

log = logging.getLogger("uvicorn.error").getChild("serov_qa")

STATUSES = ("answered", "corrected", "abstained")
PURGE_EVERY_SECONDS = 3600
BATCH_ROWS = 500
PURGE_CHUNK_ROWS = 5000
FLUSH_WAIT_SECONDS = 1.0  # a curator page waits this long, at most, for rows still in the writer's queue
MAX_BACKOFF_SECONDS = 30.0
MAX_OFFSET = 2**62  # SQLite's integers are 64-bit: a larger OFFSET is an error, not an empty page


@dataclass(frozen=True)
class LoggedQuestion:
    id: int
    asked_at: datetime
    question: str
    lang: str
    status: str
    confidence: float
    passages: tuple[str, ...]


@dataclass(frozen=True)
class FrequentQuestion:
    question: str
    status: str
    count: int
    last_asked: datetime


@dataclass(frozen=True)
class QuestionGroup:
    """One question as visitors asked it (ignoring case and spacing) with one status."""

    question: str
    normalized: str
    status: str
    langs: tuple[str, ...]
    count: int
    first_asked: datetime
    last_asked: datetime
    confidence: float  # the mean
    passages: tuple[str, ...]
    reviewed_at: datetime | None  # set when a curator reviewed it after it was last asked


@dataclass(frozen=True)
class LogHealth:
    """What the curator pages say about the log itself."""

    failing_since: datetime | None  # writes have been failing since then (None: the last write worked)
    last_error: str | None
    failures: int  # failed write attempts since the start
    dropped: int  # rows never written (queue full, or shut down while broken)
    pending: int  # rows waiting to be written

    def problem(self) -> str | None:
        parts = []
        if self.failing_since is not None:
            parts.append(f"The question log cannot be written since {self.failing_since:%Y-%m-%d %H:%M} UTC "
                         f"({self.last_error}); {self.pending} question(s) are waiting and will be written when it "
                         "works again.")
        if self.dropped:
            parts.append(f"{self.dropped} question(s) could not be logged since the server started.")
        return " ".join(parts) or None


def normalized_question(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _row(answer: Answer, now: datetime | None) -> tuple:
    when = (now or _now()).astimezone(timezone.utc).replace(microsecond=0)  # one format: rows sort as text
    return (when.isoformat(), answer.question, answer.lang, answer.status, float(answer.confidence),
            json.dumps([q.passage_id for q in answer.quotes]))


def _insert(tx, rows: list[tuple]) -> None:
    """Rows and their precomputed counts, in one transaction (keys in sorted order, so two replicas
    upserting the same counts never deadlock)."""
    tx.executemany("INSERT INTO questions (asked_at, question, lang, status, confidence, passages, normalized) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", [(*row, normalized_question(row[1])) for row in rows])
    groups: dict[tuple[str, str], list] = {}
    for asked_at, question, _lang, status, _conf, _passages in rows:
        group = groups.setdefault((normalized_question(question), status), [0, asked_at, question])
        group[0] += 1
        if asked_at >= group[1]:
            group[1], group[2] = asked_at, question
    tx.executemany(
        "INSERT INTO question_counts (normalized, status, count, last_asked, example) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (normalized, status) DO UPDATE SET count = question_counts.count + excluded.count, "
        "last_asked = CASE WHEN excluded.last_asked >= question_counts.last_asked THEN excluded.last_asked "
        "ELSE question_counts.last_asked END, "
        "example = CASE WHEN excluded.last_asked >= question_counts.last_asked THEN excluded.example "
        "ELSE question_counts.example END",
        [(n, s, c, last, example) for (n, s), (c, last, example) in sorted(groups.items())])
    totals = Counter(row[3] for row in rows)
    tx.executemany("INSERT INTO status_totals (status, count) VALUES (?, ?) "
                   "ON CONFLICT (status) DO UPDATE SET count = status_totals.count + excluded.count",
                   sorted(totals.items()))


def _forget(tx, deleted: list) -> None:
    """Take deleted rows (question, status) out of the precomputed counts."""
    groups = Counter((normalized_question(row[0]), row[1]) for row in deleted)
    tx.executemany("UPDATE question_counts SET count = count - ? WHERE normalized = ? AND status = ?",
                   [(c, n, s) for (n, s), c in sorted(groups.items())])
    tx.execute("DELETE FROM question_counts WHERE count <= 0")
    totals = Counter(row[1] for row in deleted)
    tx.executemany("UPDATE status_totals SET count = count - ? WHERE status = ?",
                   [(c, s) for s, c in sorted(totals.items())])


class _Writer(threading.Thread):
    """The one thread that writes: batches from the queue, retried with back-off while the database fails."""

    def __init__(self, owner: QuestionLog, size: int) -> None:
        super().__init__(name="serov-qa-question-log", daemon=True)
        self.owner = owner
        self.queue: queue.Queue[tuple] = queue.Queue(maxsize=size)
        self.stopping = threading.Event()
        self.idle = threading.Condition()
        self.unwritten = 0  # rows recorded and neither written nor dropped
        self.batch: list[tuple] = []

    def put(self, row: tuple) -> bool:
        with self.idle:
            try:
                self.queue.put_nowait(row)
            except queue.Full:
                return False
            self.unwritten += 1
            return True

    def _settle(self, count: int) -> None:
        with self.idle:
            self.unwritten -= count
            if self.unwritten <= 0:
                self.idle.notify_all()

    def flush(self, timeout: float) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.unwritten <= 0, timeout)

    def _fill(self, block: float) -> None:
        try:
            if not self.batch:
                self.batch.append(self.queue.get(timeout=block))
            while len(self.batch) < BATCH_ROWS:
                self.batch.append(self.queue.get_nowait())
        except queue.Empty:
            pass

    def run(self) -> None:
        backoff = 0.5
        while True:
            stopping = self.stopping.is_set()
            self._fill(block=0.0 if stopping else 0.5)
            if not self.batch:
                if stopping:
                    return
            elif self.owner.write(self.batch):
                self._settle(len(self.batch))
                self.batch = []
                backoff = 0.5
            elif stopping:  # the database is still broken at shutdown: say how much is lost
                self.owner.dropped(self.unwritten)
                self._settle(self.unwritten)
                return
            else:
                self.stopping.wait(backoff)
                backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)
            self.owner.maybe_purge()


class QuestionLog:
    def __init__(self, database: str | Path, retention_days: int, metrics: Metrics | None = None,
                 queue_size: int = 10_000) -> None:
        self.db: Database = open_database(database)
        self.retention = timedelta(days=retention_days)
        self.metrics = metrics or Metrics()
        self._health_lock = threading.Lock()
        self._failing_since: datetime | None = None
        self._last_error: str | None = None
        self._failures = 0
        self._dropped = 0
        self._last_purge = 0.0
        self.db.migrate()
        self.purge()
        self._queue_size = queue_size
        self._writer = _Writer(self, queue_size)
        self.metrics.log_pending.set_function(lambda: self._writer.unwritten)
        self._writer.start()

    def start(self) -> None:
        """Start the writer again after close() (an app's lifespan may run more than once: test clients)."""
        if not self._writer.is_alive():
            self._writer = _Writer(self, self._queue_size)
            self._writer.start()

    @property
    def where(self) -> str:
        return self.db.description

    # -- writing (the writer thread) -----------------------------------------------------------
    def record(self, answer: Answer, now: datetime | None = None) -> None:
        """Queue one answered question for the writer; never blocks, never raises."""
        if not self._writer.put(_row(answer, now)):
            self.dropped(1)

    def write(self, rows: list[tuple]) -> bool:
        try:
            with self.db.transaction(write=True) as tx:
                _insert(tx, rows)
        except Exception as exc:  # noqa: BLE001 - any database error: keep the rows, say so, retry
            self._failed(exc)
            return False
        self.metrics.log_written.inc(len(rows))
        with self._health_lock:
            if self._failing_since is not None:
                log.warning("the question log %s works again", self.where)
            self._failing_since = None
        return True

    def _failed(self, exc: Exception) -> None:
        self.metrics.log_failures.inc()
        with self._health_lock:
            self._failures += 1
            self._last_error = f"{type(exc).__name__}: {exc}".strip()[:300]
            first = self._failing_since is None
            if first:
                self._failing_since = _now()
        if first:  # once per outage, not once per retry
            log.error("cannot write to the question log %s (%s); retrying, rows are kept meanwhile",
                      self.where, self._last_error)

    def dropped(self, count: int) -> None:
        if count <= 0:
            return
        self.metrics.log_dropped.inc(count)
        with self._health_lock:
            self._dropped += count

    def maybe_purge(self) -> None:
        if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
            try:
                self.purge()
            except Exception as exc:  # noqa: BLE001 - retried next hour; the failure shows like a write failure
                self._last_purge = time.monotonic()
                self._failed(exc)

    def purge(self, now: datetime | None = None) -> int:
        """Delete the questions older than the retention period; return how many went."""
        cutoff = ((now or _now()) - self.retention).isoformat()
        total = 0
        while True:  # in chunks: a long purge must not hold the write lock for long
            with self.db.transaction(write=True) as tx:
                deleted = tx.execute(
                    "DELETE FROM questions WHERE id IN (SELECT id FROM questions WHERE asked_at < ? "
                    "ORDER BY asked_at LIMIT ?) RETURNING question, status", (cutoff, PURGE_CHUNK_ROWS)).fetchall()
                if deleted:
                    _forget(tx, deleted)
            total += len(deleted)
            if len(deleted) < PURGE_CHUNK_ROWS:
                break
        if total:  # review marks of questions no longer in the log go with them
            with self.db.transaction(write=True) as tx:
                tx.execute("DELETE FROM reviewed WHERE question NOT IN "
                           "(SELECT normalized FROM questions WHERE normalized IS NOT NULL)")
        self._last_purge = time.monotonic()
        return total

    def flush(self, timeout: float = FLUSH_WAIT_SECONDS) -> bool:
        """Wait until every recorded row is written (or dropped); False if that took longer than timeout."""
        return self._writer.flush(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer (at shutdown: nothing recorded is lost)."""
        self._writer.stopping.set()
        self._writer.join(timeout)

    def health(self) -> LogHealth:
        with self._health_lock:
            return LogHealth(self._failing_since, self._last_error, self._failures, self._dropped,
                             self._writer.unwritten)

    # -- reading (any thread) ------------------------------------------------------------------
    def _fresh(self) -> None:
        # Read-your-writes for the curator pages of this replica; not worth waiting for while the log is broken.
        if self._failing_since is None:
            self.flush()

    def counts(self) -> dict[str, int]:
        self._fresh()
        counts = {status: 0 for status in STATUSES}
        counts.update({row["status"]: int(row["count"]) for row in self.db.query("SELECT status, count FROM status_totals")})
        return counts

    def recent(self, status: str | None = None, limit: int = 200, offset: int = 0) -> list[LoggedQuestion]:
        if offset >= MAX_OFFSET or limit <= 0:
            return []
        self._fresh()
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = self.db.query(f"SELECT * FROM questions {where} ORDER BY asked_at DESC, id DESC LIMIT ? OFFSET ?",
                             (*params, limit, max(0, offset)))
        return [
            LoggedQuestion(
                id=row["id"], asked_at=datetime.fromisoformat(row["asked_at"]), question=row["question"],
                lang=row["lang"], status=row["status"], confidence=row["confidence"],
                passages=tuple(json.loads(row["passages"])),
            )
            for row in rows
        ]

    def frequent(self, statuses: tuple[str, ...] = ("abstained", "corrected"), limit: int = 50) -> list[FrequentQuestion]:
        """The questions asked most often (ignoring case and spacing) with the given statuses."""
        self._fresh()
        marks = ", ".join("?" for _ in statuses)
        rows = self.db.query(
            f"SELECT example, status, count, last_asked FROM question_counts WHERE status IN ({marks}) "
            "ORDER BY count DESC, last_asked DESC LIMIT ?", (*statuses, limit))
        return [FrequentQuestion(row["example"], row["status"], int(row["count"]), datetime.fromisoformat(row["last_asked"]))
                for row in rows]

    def groups(self, statuses: tuple[str, ...] = STATUSES, lang: str | None = None, search: str | None = None,
               below_confidence: float | None = None, unreviewed: bool = False, limit: int = -1,
               offset: int = 0) -> list[QuestionGroup]:
        """Identical questions grouped with counts, first and last asked; the most asked first (both databases:
        no GROUP_CONCAT; languages and passages are gathered for the page's groups in a second query)."""
        if offset >= MAX_OFFSET:
            return []
        self._fresh()
        where = [f"q.status IN ({', '.join('?' for _ in statuses)})"]
        params: list = list(statuses)
        if lang:
            where.append("q.lang = ?")
            params.append(lang)
        if search:
            where.append("q.normalized LIKE ? ESCAPE '\\'")
            params.append("%" + normalized_question(search).replace("\\", "\\\\").replace("%", "\\%")
                          .replace("_", "\\_") + "%")
        having = []
        if below_confidence is not None:
            having.append("AVG(q.confidence) < ?")
            params_having = [below_confidence]
        else:
            params_having = []
        if unreviewed:
            having.append("(MAX(r.reviewed_at) IS NULL OR MAX(r.reviewed_at) < MAX(q.asked_at))")
        rows = self.db.query(
            f"""SELECT MIN(q.question) AS question, q.normalized AS norm, q.status AS status, COUNT(*) AS n,
                       MIN(q.asked_at) AS first, MAX(q.asked_at) AS last, AVG(q.confidence) AS confidence,
                       MAX(r.reviewed_at) AS reviewed_at
                FROM questions q LEFT JOIN reviewed r ON r.question = q.normalized
                WHERE {' AND '.join(where)} GROUP BY q.normalized, q.status
                {('HAVING ' + ' AND '.join(having)) if having else ''}
                ORDER BY n DESC, last DESC LIMIT ? OFFSET ?""",
            (*params, *params_having, limit if limit >= 0 else MAX_OFFSET, max(0, offset)))
        if not rows:
            return []
        keys = sorted({row["norm"] for row in rows})
        detail: dict[tuple[str, str], tuple[set, dict]] = {}
        for row in self.db.query(f"SELECT normalized, status, lang, passages FROM questions "
                                 f"WHERE normalized IN ({', '.join('?' for _ in keys)})", tuple(keys)):
            langs, passages = detail.setdefault((row["normalized"], row["status"]), (set(), {}))
            langs.add(row["lang"])
            passages.update(dict.fromkeys(json.loads(row["passages"])))
        groups = []
        for row in rows:
            last = datetime.fromisoformat(row["last"])
            reviewed = datetime.fromisoformat(row["reviewed_at"]) if row["reviewed_at"] else None
            langs, passages = detail.get((row["norm"], row["status"]), (set(), {}))
            groups.append(QuestionGroup(
                question=row["question"], normalized=row["norm"], status=row["status"], langs=tuple(sorted(langs)),
                count=int(row["n"]), first_asked=datetime.fromisoformat(row["first"]), last_asked=last,
                confidence=float(row["confidence"]), passages=tuple(passages),
                reviewed_at=reviewed if reviewed and reviewed >= last else None))
        return groups

    def mark_reviewed(self, normalized: list[str], reviewed: bool = True, now: datetime | None = None) -> None:
        """Mark questions (their normalized text) as reviewed by a curator, or not."""
        with self.db.transaction(write=True) as tx:
            if reviewed:
                when = (now or _now()).isoformat()
                tx.executemany("INSERT INTO reviewed (question, reviewed_at) VALUES (?, ?) ON CONFLICT (question) "
                               "DO UPDATE SET reviewed_at = excluded.reviewed_at", [(t, when) for t in normalized])
            else:
                tx.executemany("DELETE FROM reviewed WHERE question = ?", [(t,) for t in normalized])
