"""Allocations (cloud admin) and per-project usage from placement's allocations (project readers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stackling.compute._base import PolicyService
from stackling.compute.types import AllocationRecord
from stackling.context import Context
from stackling.db import models as m
from stackling.errors import NotFound, ValidationError
from stackling.identity import lookup


class AllocationService(PolicyService):
    def allocations(self, ctx: Context, consumer: str | None = None, host: str | None = None) -> list[AllocationRecord]:
        """Every allocation row of ``consumer`` (uuid) and/or on ``host`` (provider name or uuid)."""
        self._enforce(ctx, "placement:list_allocations")
        if consumer is None and host is None:
            raise ValidationError("name a consumer or a host")
        query = _allocations()
        with self._db.read() as session:
            if consumer is not None:
                query = query.where(m.Allocation.consumer_uuid == consumer)
            if host is not None:
                query = query.where(m.ResourceProvider.id == _provider_id(session, host))
            return [AllocationRecord(*row) for row in session.execute(query)]

    def usage(self, ctx: Context, project: str | None = None) -> tuple[str, dict[str, int], int]:
        """(project id, resource class -> amount allocated to the project's consumers, consumers)."""
        with self._db.read() as session:
            if project is None:
                if ctx.project_id is None:
                    raise ValidationError("name the project (a domain-scoped token has none)", field="project")
                row = lookup.project_row(session, ctx.project_id)
            else:
                row = lookup.project_row(session, project)
            self._enforce(ctx, "placement:get_usage", {"project_id": row.id, "domain_id": row.domain_id})
            return (row.id, *_usage(session, row.id))


def _allocations() -> Any:
    return (
        select(
            m.Allocation.consumer_uuid, m.Consumer.project_id, m.Consumer.user_id, m.Consumer.consumer_type,
            m.ResourceProvider.name, m.ResourceProvider.uuid, m.Allocation.resource_class, m.Allocation.used,
        )  # fmt: skip
        .join(m.Consumer, m.Consumer.uuid == m.Allocation.consumer_uuid)
        .join(m.ResourceProvider, m.ResourceProvider.id == m.Allocation.resource_provider_id)
        .order_by(m.Allocation.consumer_uuid, m.ResourceProvider.name, m.Allocation.resource_class)
    )


def _provider_id(session: Session, ref: str) -> int:
    found = session.scalar(
        select(m.ResourceProvider.id).where((m.ResourceProvider.name == ref) | (m.ResourceProvider.uuid == ref))
    )
    if found is None:
        raise NotFound("host", ref)
    return int(found)


def _usage(session: Session, project_id: str) -> tuple[dict[str, int], int]:
    rows: Sequence[Any] = session.execute(
        select(m.Allocation.resource_class, func.sum(m.Allocation.used))
        .join(m.Consumer, m.Consumer.uuid == m.Allocation.consumer_uuid)
        .where(m.Consumer.project_id == project_id)
        .group_by(m.Allocation.resource_class)
    ).all()
    consumers = session.scalar(select(func.count()).select_from(m.Consumer).where(m.Consumer.project_id == project_id))
    return {rc: int(total) for rc, total in rows}, int(consumers or 0)
