"""The state store: migrations on both backends, SQLite settings, write transactions."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from stackling.db import Database, upgrade
from stackling.db.migrate import current_revision, head_revision
from stackling.db.models import Base
from stackling.errors import TransactionMisused


def test_upgrade_creates_the_schema_and_is_idempotent(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    upgrade(empty_db_url)
    db = Database(empty_db_url)
    try:
        assert current_revision(db.engine) == head_revision() is not None
    finally:
        db.dispose()


def test_models_match_the_migrations(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_runs_in_wal_mode_with_foreign_keys(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.read() as session:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_read_transaction_cannot_become_a_writer_on_sqlite(db_url: str) -> None:
    from stackling.db import ensure_write_transaction

    db = Database(db_url)
    try:
        with db.read() as session:
            session.execute(text("SELECT 1"))
            with pytest.raises(TransactionMisused):
                ensure_write_transaction(session)
        with db.write() as session:
            ensure_write_transaction(session)  # already a writer: fine
    finally:
        db.dispose()
