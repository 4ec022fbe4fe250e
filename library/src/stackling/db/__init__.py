"""The state store: SQLAlchemy models, engines/transactions and Alembic migrations."""

from stackling.db.engine import Database, ensure_write_transaction, make_engine


def upgrade(url: str, revision: str = "head") -> None:
    """Run the packaged Alembic migrations on the database at ``url`` up to ``revision`` (idempotent)."""
    from stackling.db.migrate import upgrade as run_upgrade  # alembic is only imported when migrating

    run_upgrade(url, revision)


__all__ = ["Database", "ensure_write_transaction", "make_engine", "upgrade"]
