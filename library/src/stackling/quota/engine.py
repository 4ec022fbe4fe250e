"""Quota accounting inside the caller's transaction, so concurrent creates cannot exceed a limit.

    with db.write() as session:
        with quotas.reserve(session, project_id, instances=1, cores=2, ram_mb=512):
            session.add(Server(...))            # the resource, in the same transaction

``reserve`` locks the project's usage rows (PostgreSQL: ``SELECT ... FOR UPDATE``, in
resource-name order so two reservations cannot deadlock; SQLite: the transaction
began with ``BEGIN IMMEDIATE``, so writers are already serialised), checks every
limit, then adds the amounts. All or nothing: it runs in a SAVEPOINT, and if the
body raises, the usage increment is undone with whatever the body wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.db import models as m
from stackling.db.engine import ensure_write_transaction
from stackling.errors import OverQuota, ValidationError
from stackling.quota.resources import RESOURCES, UNLIMITED

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuotaUsage:
    resource: str
    limit: int  # -1: unlimited
    in_use: int


def _check_amounts(amounts: Mapping[str, int], allow_zero_limit: bool = False) -> None:
    for resource, amount in amounts.items():
        if resource not in RESOURCES:
            raise ValidationError("unknown quota resource %r (known: %s)" % (resource, ", ".join(RESOURCES)))
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValidationError("%s: expected an integer, got %r" % (resource, amount))
        if amount < (UNLIMITED if allow_zero_limit else 0):
            raise ValidationError("%s: %d is out of range" % (resource, amount))


class QuotaEngine:
    def __init__(self, defaults: Mapping[str, int], clock: Clock) -> None:
        _check_amounts(defaults, allow_zero_limit=True)
        self._defaults = dict(defaults)
        self._clock = clock

    def limits(self, session: Session, project_id: str) -> dict[str, int]:
        """Every resource's limit for the project: its override, else the configured default."""
        limits = {resource: self._defaults.get(resource, UNLIMITED) for resource in RESOURCES}
        rows = session.execute(
            select(m.QuotaLimit.resource, m.QuotaLimit.hard_limit).where(m.QuotaLimit.project_id == project_id)
        )
        limits.update({resource: limit for resource, limit in rows if resource in limits})
        return limits

    def usage(self, session: Session, project_id: str) -> dict[str, QuotaUsage]:
        rows = session.execute(
            select(m.QuotaUsage.resource, m.QuotaUsage.in_use).where(m.QuotaUsage.project_id == project_id)
        )
        in_use = dict(rows.all())
        return {
            resource: QuotaUsage(resource, limit, in_use.get(resource, 0))
            for resource, limit in self.limits(session, project_id).items()
        }

    def set_limits(self, session: Session, project_id: str, limits: Mapping[str, int]) -> None:
        """Override limits for a project (``-1``: unlimited). Lowering below usage is allowed
        (nothing is deleted; new reservations fail until usage drops), as in Nova."""
        _check_amounts(limits, allow_zero_limit=True)
        for resource, limit in limits.items():
            row = session.get(m.QuotaLimit, (project_id, resource))
            if row is None:
                session.add(m.QuotaLimit(project_id=project_id, resource=resource, hard_limit=limit))
            else:
                row.hard_limit = limit
        LOG.info("quota limits of project %s set: %s", project_id, dict(limits))

    def _locked_rows(self, session: Session, project_id: str, resources: list[str]) -> dict[str, m.QuotaUsage]:
        """The usage rows, created if missing, locked until the transaction ends."""
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now = self._clock()
        statement = insert(m.QuotaUsage).on_conflict_do_nothing(index_elements=["project_id", "resource"])
        session.execute(
            statement, [{"project_id": project_id, "resource": r, "in_use": 0, "updated_at": now} for r in resources]
        )
        query = (
            select(m.QuotaUsage)
            .where(m.QuotaUsage.project_id == project_id, m.QuotaUsage.resource.in_(resources))
            .order_by(m.QuotaUsage.resource)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.resource: row for row in session.scalars(query)}

    def claim(self, session: Session, project_id: str, amounts: Mapping[str, int]) -> None:
        """Add ``amounts`` to the project's usage, or raise OverQuota naming the first resource over."""
        _check_amounts(amounts)
        wanted = {resource: amount for resource, amount in amounts.items() if amount}
        if not wanted:
            return
        ensure_write_transaction(session)
        rows = self._locked_rows(session, project_id, sorted(wanted))
        limits = self.limits(session, project_id)
        for resource in sorted(wanted):
            limit, in_use = limits[resource], rows[resource].in_use
            if limit != UNLIMITED and in_use + wanted[resource] > limit:
                raise OverQuota(resource, limit, in_use, wanted[resource])
        now = self._clock()
        for resource, amount in wanted.items():
            rows[resource].in_use += amount
            rows[resource].updated_at = now
        session.flush()

    @contextmanager
    def reserve(self, session: Session, project_id: str, **amounts: int) -> Iterator[None]:
        """Claim ``amounts`` for the body; undone (SAVEPOINT rollback) if the body raises."""
        ensure_write_transaction(session)
        with session.begin_nested():
            self.claim(session, project_id, amounts)
            yield

    def release(self, session: Session, project_id: str, **amounts: int) -> None:
        """Give back usage when resources are deleted (never below zero)."""
        _check_amounts(amounts)
        wanted = {resource: amount for resource, amount in amounts.items() if amount}
        if not wanted:
            return
        ensure_write_transaction(session)
        rows = self._locked_rows(session, project_id, sorted(wanted))
        now = self._clock()
        for resource, amount in wanted.items():
            if rows[resource].in_use < amount:
                LOG.warning("quota usage of %s for project %s would drop below zero; clamped", resource, project_id)
            rows[resource].in_use = max(0, rows[resource].in_use - amount)
            rows[resource].updated_at = now
        session.flush()
