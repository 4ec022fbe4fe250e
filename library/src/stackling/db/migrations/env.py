"""Alembic environment: runs on the connection stackling.db.migrate hands over (online only)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from stackling.db.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs go through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through stackling.db.upgrade(url) or `stackling-manage db upgrade`")
run_migrations(connection)
