"""The question log's database: SQLite or PostgreSQL behind one small interface, and the schema's migrations.

SQL is written once, with `?` placeholders and what both databases understand (ON CONFLICT upserts,
DELETE ... RETURNING); the only differences are the id column and the type of a float, filled into
the migrations per dialect. Migrations are numbered; each runs once, in a transaction that holds a
lock (BEGIN IMMEDIATE in SQLite, an advisory lock in PostgreSQL), so replicas starting together
upgrade the schema once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

MIGRATION_LOCK = 7_270_115  # the advisory lock id of serov-qa's migrations in PostgreSQL


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]  # with {id} and {float} filled per dialect
    backfill: Callable | None = None  # (tx) -> None, after the statements


def _backfill_counts(tx) -> None:
    """Counts for rows written before the counts tables existed (a log from an older version)."""
    from server.questionlog import _insert  # the same arithmetic as every write

    rows = tx.execute("SELECT asked_at, question, lang, status, confidence, passages FROM questions").fetchall()
    if rows:
        # _insert would insert the rows again; only its count upserts are wanted here.
        counting = _CountsOnly(tx)
        _insert(counting, [tuple(row) for row in rows])


def _backfill_normalized(tx) -> None:
    """The normalized text of rows written before the column existed."""
    from server.questionlog import normalized_question

    rows = tx.execute("SELECT id, question FROM questions WHERE normalized IS NULL").fetchall()
    tx.executemany("UPDATE questions SET normalized = ? WHERE id = ?",
                   [(normalized_question(row[1]), row[0]) for row in rows])


class _CountsOnly:
    """A transaction that skips the row INSERT of questionlog._insert (used by the backfill)."""

    def __init__(self, tx) -> None:
        self.tx = tx

    def executemany(self, sql: str, params) -> None:
        if not sql.startswith("INSERT INTO questions "):
            self.tx.executemany(sql, params)

    def execute(self, sql: str, params=()):
        return self.tx.execute(sql, params)


MIGRATIONS = (
    Migration(1, "the questions table", (
        """CREATE TABLE IF NOT EXISTS questions (
            id {id},
            asked_at TEXT NOT NULL,          -- UTC, ISO 8601, to the second
            question TEXT NOT NULL,
            lang TEXT NOT NULL,
            status TEXT NOT NULL,            -- answered | corrected | abstained
            confidence {float} NOT NULL,
            passages TEXT NOT NULL           -- JSON list of the cited passage ids
        )""",
        "CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at)",
        "CREATE INDEX IF NOT EXISTS questions_status ON questions (status)",
    )),
    Migration(2, "precomputed counts for the curator overview", (
        """CREATE TABLE question_counts (
            normalized TEXT NOT NULL,        -- the question, case and spacing ignored
            status TEXT NOT NULL,
            count BIGINT NOT NULL,
            last_asked TEXT NOT NULL,
            example TEXT NOT NULL,           -- the question as last asked
            PRIMARY KEY (normalized, status)
        )""",
        "CREATE INDEX question_counts_rank ON question_counts (count DESC, last_asked DESC)",
        "CREATE TABLE status_totals (status TEXT PRIMARY KEY, count BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS questions_status_asked_at ON questions (status, asked_at)",
    ), _backfill_counts),
    Migration(3, "the normalized question on each row, and the curators' review marks", (
        "ALTER TABLE questions ADD COLUMN normalized TEXT",
        "CREATE INDEX IF NOT EXISTS questions_normalized ON questions (normalized, status)",
        """CREATE TABLE IF NOT EXISTS reviewed (   -- questions a curator has dealt with, by normalized text
            question TEXT PRIMARY KEY,
            reviewed_at TEXT NOT NULL
        )""",
    ), _backfill_normalized),
)


class _Tx:
    """A transaction's cursor with `?` placeholders whatever the database."""

    def __init__(self, conn, placeholder: str) -> None:
        self.conn = conn
        self.placeholder = placeholder

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def execute(self, sql: str, params: tuple = ()):
        return self.conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, params) -> None:
        params = list(params)
        if params:
            self.conn.cursor().executemany(self._sql(sql), params)


class Database:
    """What the question log needs from a database; SQLiteDatabase and PostgresDatabase provide it."""

    name = ""
    types: dict[str, str] = {}
    description = ""

    def transaction(self, write: bool = False):
        raise NotImplementedError

    def query(self, sql: str, params: tuple = ()) -> list:
        with self.transaction() as tx:
            return tx.execute(sql, params).fetchall()

    def _lock_for_migrations(self, tx) -> None:
        pass

    def migrate(self) -> list[int]:
        """Apply the migrations not applied yet; return their versions."""
        applied = []
        with self.transaction(write=True) as tx:
            self._lock_for_migrations(tx)
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                       "description TEXT NOT NULL, applied_at TEXT NOT NULL)")
            done = {row[0] for row in tx.execute("SELECT version FROM schema_version").fetchall()}
            for migration in MIGRATIONS:
                if migration.version in done:
                    continue
                for statement in migration.statements:
                    tx.execute(statement.format(**self.types))
                if migration.backfill:
                    migration.backfill(tx)
                tx.execute("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                           (migration.version, migration.description,
                            datetime.now(timezone.utc).replace(microsecond=0).isoformat()))
                applied.append(migration.version)
        return applied

    def versions(self) -> list[int]:
        return [row[0] for row in self.query("SELECT version FROM schema_version ORDER BY version")]


class SQLiteDatabase(Database):
    name = "sqlite"
    types = {"id": "INTEGER PRIMARY KEY", "float": "REAL"}

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            # WAL: readers (the curator pages) never wait for the writer, nor the writer for them.
            conn.execute("PRAGMA journal_mode=WAL")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        # NORMAL in WAL mode: a power cut may lose the last transactions, never corrupt the file; a
        # commit costs no fsync (4.8 ms each before).
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[_Tx]:
        with closing(self._connect()) as conn:
            # IMMEDIATE: a writing transaction takes the write lock at once (waiting up to the timeout), instead
            # of failing with SQLITE_BUSY when it first writes after another connection has.
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _Tx(conn, "?")
            except BaseException:
                conn.rollback()
                raise
            conn.commit()


class PostgresDatabase(Database):
    name = "postgresql"
    types = {"id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "float": "DOUBLE PRECISION"}

    def __init__(self, url: str) -> None:
        import psycopg  # only needed with a PostgreSQL URL

        self._psycopg = psycopg
        self.url = url
        parts = urlsplit(url)
        # Never the password in a log line or on a page.
        self.description = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[_Tx]:
        from psycopg.rows import dict_row

        with self._psycopg.connect(self.url, row_factory=dict_row, connect_timeout=10) as conn:
            with conn.transaction():
                yield _Tx(_DictFirst(conn), "%s")

    def _lock_for_migrations(self, tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))


class _DictFirst:
    """psycopg's dict rows, also readable by position (row[0]) as sqlite3.Row is."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def execute(self, sql: str, params=()):
        return _Rows(self.conn.execute(sql, params))

    def cursor(self):
        return self.conn.cursor()


class _Rows:
    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def fetchall(self) -> list:
        if self.cursor.description is None:
            return []
        return [_Row(row) for row in self.cursor.fetchall()]

    @property
    def rowcount(self) -> int:
        return self.cursor.rowcount


class _Row(dict):
    def __getitem__(self, key):
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)

    def __iter__(self):
        return iter(self.values())


def open_database(where: str | Path) -> Database:
    """A path or sqlite:///PATH: SQLite; postgresql://...: PostgreSQL."""
    text = str(where)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(text)
    if text.startswith("sqlite:///"):
        return SQLiteDatabase(Path(text[len("sqlite:///"):]))
    return SQLiteDatabase(Path(where))
