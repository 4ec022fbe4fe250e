"""What every part of the placement engine shares: the clock, provider lookup, generation bumps."""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from stackling.allocation_errors import ConcurrentUpdate
from stackling.clock import Clock
from stackling.db import models as m
from stackling.db.engine import ensure_write_transaction
from stackling.errors import NotFound
from stackling.placement.types import Provider
from stackling.sql import rowcount


class EngineBase:
    def __init__(self, clock: Clock, claim_retries: int = 10) -> None:
        self._clock = clock
        self.claim_retries = claim_retries

    def _provider_row(self, session: Session, ref: str, lock: bool = False) -> m.ResourceProvider:
        """The provider whose uuid or name is ``ref`` (PostgreSQL: row locked when ``lock``)."""
        query = select(m.ResourceProvider).where(or_(m.ResourceProvider.uuid == ref, m.ResourceProvider.name == ref))
        if lock:
            query = query.with_for_update()
        row = session.scalars(query.execution_options(populate_existing=True)).first()
        if row is None:
            raise NotFound("resource provider", ref)
        return row

    def provider(self, session: Session, ref: str) -> Provider:
        row = self._provider_row(session, ref)
        return Provider(row.id, row.uuid, row.name, row.generation)

    def _begin_change(self, session: Session, ref: str, expected_generation: int | None) -> m.ResourceProvider:
        """Start changing a provider: lock it, check the caller's generation (if given)."""
        ensure_write_transaction(session)
        row = self._provider_row(session, ref, lock=True)
        if expected_generation is not None and row.generation != expected_generation:
            raise ConcurrentUpdate(
                "resource provider %s changed: generation %d, expected %d"
                % (row.name, row.generation, expected_generation)
            )
        return row

    def _bump(self, session: Session, provider_id: int, seen_generation: int) -> int:
        """generation += 1 if it is still ``seen_generation``; ConcurrentUpdate otherwise."""
        bumped = rowcount(
            session,
            update(m.ResourceProvider)
            .where(m.ResourceProvider.id == provider_id, m.ResourceProvider.generation == seen_generation)
            .values(generation=m.ResourceProvider.generation + 1, updated_at=self._clock())
            .execution_options(synchronize_session=False),
        )
        if bumped != 1:
            raise ConcurrentUpdate("resource provider %d changed while it was being updated" % provider_id)
        return seen_generation + 1
