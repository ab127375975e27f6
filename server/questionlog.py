"""The question log curators read: what visitors asked, when, how it was answered, what was cited.

Stored in SQLite. It holds no IP address, no cookie and no other identifier of the visitor;
rows older than the retention period are deleted (at start and then at most once an hour).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from assistant import Answer

log = logging.getLogger(__name__)

STATUSES = ("answered", "corrected", "abstained")
PURGE_EVERY_SECONDS = 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,          -- UTC, ISO 8601, to the second
    question TEXT NOT NULL,
    lang TEXT NOT NULL,
    status TEXT NOT NULL,            -- answered | corrected | abstained
    confidence REAL NOT NULL,
    passages TEXT NOT NULL           -- JSON list of the cited passage ids
);
CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at);
CREATE INDEX IF NOT EXISTS questions_status ON questions (status);
CREATE TABLE IF NOT EXISTS reviewed (   -- questions a curator has dealt with, by normalized text
    question TEXT PRIMARY KEY,
    reviewed_at TEXT NOT NULL
);
"""


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


def normalized_question(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class QuestionLog:
    def __init__(self, path: Path, retention_days: int) -> None:
        self.path = Path(path)
        self.retention = timedelta(days=retention_days)
        self._lock = threading.Lock()
        self._last_purge = 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(SCHEMA)
        self.purge()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        conn.create_function("normalized", 1, normalized_question, deterministic=True)
        return conn

    def _execute(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock, closing(self._connect()) as conn, conn:
            return conn.execute(sql, params).fetchall()

    def record(self, answer: Answer, now: datetime | None = None) -> None:
        """Log one answered question. A failure is logged, never shown to the visitor."""
        try:
            self._execute(
                "INSERT INTO questions (asked_at, question, lang, status, confidence, passages) VALUES (?, ?, ?, ?, ?, ?)",
                ((now or _now()).isoformat(), answer.question, answer.lang, answer.status, answer.confidence,
                 json.dumps([q.passage_id for q in answer.quotes])),
            )
            if time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
                self.purge()
        except sqlite3.Error:
            log.exception("could not write to the question log %s", self.path)

    def purge(self, now: datetime | None = None) -> int:
        """Delete the questions older than the retention period; return how many went."""
        cutoff = ((now or _now()) - self.retention).isoformat()
        with self._lock, closing(self._connect()) as conn, conn:
            deleted = conn.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
            conn.execute("DELETE FROM reviewed WHERE question NOT IN (SELECT normalized(question) FROM questions)")
        self._last_purge = time.monotonic()
        return deleted

    def counts(self) -> dict[str, int]:
        rows = self._execute("SELECT status, COUNT(*) AS n FROM questions GROUP BY status")
        counts = {status: 0 for status in STATUSES}
        counts.update({row["status"]: row["n"] for row in rows})
        return counts

    def recent(self, status: str | None = None, limit: int = 200, offset: int = 0) -> list[LoggedQuestion]:
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = self._execute(
            f"SELECT * FROM questions {where} ORDER BY asked_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
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
        marks = ", ".join("?" for _ in statuses)
        rows = self._execute(
            f"""SELECT MIN(question) AS question, status, COUNT(*) AS n, MAX(asked_at) AS last
                FROM questions WHERE status IN ({marks})
                GROUP BY normalized(question), status ORDER BY n DESC, last DESC LIMIT ?""",
            (*statuses, limit),
        )
        return [
            FrequentQuestion(row["question"], row["status"], row["n"], datetime.fromisoformat(row["last"]))
            for row in rows
        ]

    def groups(self, statuses: tuple[str, ...] = STATUSES, lang: str | None = None, search: str | None = None,
               below_confidence: float | None = None, unreviewed: bool = False, limit: int = -1,
               offset: int = 0) -> list[QuestionGroup]:
        """Identical questions grouped with counts, first and last asked; the most asked first."""
        where = [f"q.status IN ({', '.join('?' for _ in statuses)})"]
        params: list = list(statuses)
        if lang:
            where.append("q.lang = ?")
            params.append(lang)
        if search:
            where.append("normalized(q.question) LIKE ? ESCAPE '\\'")
            params.append("%" + normalized_question(search).replace("\\", "\\\\").replace("%", "\\%")
                          .replace("_", "\\_") + "%")
        having = []
        if below_confidence is not None:
            having.append("AVG(q.confidence) < ?")
        if unreviewed:
            having.append("(r.reviewed_at IS NULL OR r.reviewed_at < MAX(q.asked_at))")
        rows = self._execute(
            f"""SELECT MIN(q.question) AS question, normalized(q.question) AS norm, q.status,
                       GROUP_CONCAT(DISTINCT q.lang) AS langs, COUNT(*) AS n, MIN(q.asked_at) AS first,
                       MAX(q.asked_at) AS last, AVG(q.confidence) AS confidence,
                       '[' || GROUP_CONCAT(DISTINCT q.passages) || ']' AS passages, r.reviewed_at
                FROM questions q LEFT JOIN reviewed r ON r.question = normalized(q.question)
                WHERE {' AND '.join(where)} GROUP BY norm, q.status
                {('HAVING ' + ' AND '.join(having)) if having else ''}
                ORDER BY n DESC, last DESC LIMIT ? OFFSET ?""",
            (*params, *([below_confidence] if below_confidence is not None else []), limit, offset),
        )
        groups = []
        for row in rows:
            last = datetime.fromisoformat(row["last"])
            reviewed = datetime.fromisoformat(row["reviewed_at"]) if row["reviewed_at"] else None
            passages = dict.fromkeys(p for cited in json.loads(row["passages"]) for p in cited)
            groups.append(QuestionGroup(
                question=row["question"], normalized=row["norm"], status=row["status"],
                langs=tuple(sorted(row["langs"].split(","))), count=row["n"],
                first_asked=datetime.fromisoformat(row["first"]), last_asked=last, confidence=row["confidence"],
                passages=tuple(passages), reviewed_at=reviewed if reviewed and reviewed >= last else None,
            ))
        return groups

    def mark_reviewed(self, normalized: list[str], reviewed: bool = True, now: datetime | None = None) -> None:
        """Mark questions (their normalized text) as reviewed by a curator, or not."""
        with self._lock, closing(self._connect()) as conn, conn:
            if reviewed:
                conn.executemany("INSERT OR REPLACE INTO reviewed (question, reviewed_at) VALUES (?, ?)",
                                 [(text, (now or _now()).isoformat()) for text in normalized])
            else:
                conn.executemany("DELETE FROM reviewed WHERE question = ?", [(text,) for text in normalized])
