"""Engines and transactions for the two supported backends.

SQLite (the embedded default): one file, WAL journal, foreign keys on, a busy
timeout; the driver's own transaction handling is switched off so the library
emits ``BEGIN`` itself: ``BEGIN IMMEDIATE`` for write transactions (writers
serialise at BEGIN, so a read-then-write never hits SQLITE_BUSY half-way) and
plain ``BEGIN`` for reads; this also makes SAVEPOINTs work.

PostgreSQL (scale-out): psycopg 3, READ COMMITTED; writers that must not race
lock rows with ``SELECT ... FOR UPDATE`` (see stackling.quota.engine).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from stackling.errors import TransactionMisused

WRITE_OPTION = "stackling_write"
SQLITE_BUSY_TIMEOUT_MS = 30000


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with Stackling's per-backend settings.

    ``hide_parameters``: bound values (password hashes, secrets' hashes) never reach logs or errors."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(parsed, hide_parameters=True, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # the library emits BEGIN itself (see _sqlite_on_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=%d" % SQLITE_BUSY_TIMEOUT_MS)
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def ensure_write_transaction(session: Session) -> None:
    """Begin ``session``'s transaction as a write transaction, or check that it already is one.

    On SQLite a transaction that began as a read cannot safely become a writer
    (SQLITE_BUSY_SNAPSHOT under WAL), so that is refused as a programming error.
    """
    if not session.in_transaction():
        session.connection(execution_options={WRITE_OPTION: True})
        return
    if is_sqlite(session) and not session.connection().get_execution_options().get(WRITE_OPTION, False):
        raise TransactionMisused("this operation needs a write transaction: use Database.write()")


class Database:
    """The state store: an engine plus read and write transactions as context managers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction for reading; rolled back (by closing the session) at the end.

        Records loaded in it stay readable afterwards (closing detaches, it does not expire)."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE on SQLite), committed at the end, rolled back on error."""
        with self._sessions() as session:
            ensure_write_transaction(session)
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()

    def dispose(self) -> None:
        self.engine.dispose()
