"""Small typed helpers for Core statements run through an ORM Session."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from stackling.db.models import Base


def table(name: str) -> Table:
    """The Core Table of a model (typed, unlike ``Model.__table__``)."""
    return Base.metadata.tables[name]


@lru_cache(maxsize=64)
def _insert_ignoring(dialect: str, name: str, conflict: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table(name)).on_conflict_do_nothing(index_elements=list(conflict))
    return statement.execution_options(preserve_rowcount=True)  # INSERT rowcounts are not kept otherwise


def insert_unless_taken(session: Session, name: str, conflict: tuple[str, ...], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT (conflict) DO NOTHING; True if the row went in. The unique
    constraint decides, so two concurrent callers can never both get the same value."""
    statement = _insert_ignoring(session.get_bind().dialect.name, name, conflict)
    return rowcount(session, statement, values) == 1


def rowcount(session: Session, statement: Executable, parameters: Any = None) -> int:
    """Run an UPDATE/DELETE and return how many rows it matched."""
    result = cast(CursorResult[Any], session.connection().execute(statement, parameters))
    return result.rowcount
