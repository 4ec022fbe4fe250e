"""Host aggregates through the policy (cloud admin): named sets of hosts with metadata.

The metadata key ``availability_zone`` makes an aggregate an availability zone; other keys are
matched by flavor extra specs (AggregateInstanceExtraSpecsFilter). Members are placement
providers: compute hosts and storage backends, by name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.compute._base import PolicyService
from stackling.compute.types import HostAggregate
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import NotFound, ValidationError
from stackling.placement.engine import PlacementEngine
from stackling.policy import Enforcer

LOG = logging.getLogger(__name__)


class AggregateService(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, placement: PlacementEngine) -> None:
        super().__init__(db, enforcer)
        self.placement = placement

    def find(self, ctx: Context, ref: str) -> HostAggregate | None:
        """The aggregate named (or with uuid) ``ref``, None if there is none."""
        self._enforce(ctx, "compute:get_aggregate")
        with self._db.read() as session:
            try:
                return self._aggregate(session, ref)
            except NotFound:
                return None

    def unknown_hosts(self, ctx: Context, hosts: Iterable[str]) -> list[str]:
        """The names in ``hosts`` that are no provider (compute host or storage backend)."""
        self._enforce(ctx, "compute:get_aggregate")
        wanted = set(hosts)
        with self._db.read() as session:
            known = set(session.scalars(select(m.ResourceProvider.name).where(m.ResourceProvider.name.in_(wanted))))
        return sorted(wanted - known)

    def list(self, ctx: Context) -> list[HostAggregate]:
        self._enforce(ctx, "compute:list_aggregates")
        with self._db.read() as session:
            uuids = session.scalars(select(m.Aggregate.uuid).order_by(m.Aggregate.name, m.Aggregate.uuid)).all()
            return [self._aggregate(session, uuid) for uuid in uuids]

    def apply(
        self,
        ctx: Context,
        name: str,
        metadata: Mapping[str, str | None] | None = None,
        hosts: Iterable[str] | None = None,
    ) -> HostAggregate:
        """Create the aggregate or update it: ``metadata`` keys set (None deletes a key), members
        set to exactly ``hosts`` when given; one transaction."""
        with self._db.write() as session:
            try:
                current: HostAggregate | None = self._aggregate(session, name)
            except NotFound:
                current = None
            self._enforce(ctx, "compute:update_aggregate" if current else "compute:create_aggregate")
            if current is None:
                uuid = self.placement.create_aggregate(session, name=name).uuid
            else:
                uuid = current.uuid
            if metadata:
                for key, value in metadata.items():
                    if value is not None and not isinstance(value, str):
                        raise ValidationError("metadata.%s: expected a string, got %r" % (key, value), field="metadata")
                self.placement.set_aggregate_metadata(session, uuid, metadata)
            if hosts is not None:
                self._set_hosts(session, uuid, current.hosts if current else (), hosts)
            LOG.info("%s aggregate %s", "updated" if current else "created", name)
            return self._aggregate(session, uuid)

    def delete(self, ctx: Context, ref: str) -> None:
        self._enforce(ctx, "compute:delete_aggregate")
        with self._db.write() as session:
            self.placement.delete_aggregate(session, ref)
            LOG.info("deleted aggregate %s", ref)

    def _set_hosts(self, session: Session, uuid: str, current: Iterable[str], hosts: Iterable[str]) -> None:
        wanted, before = set(hosts), set(current)
        for host in sorted(wanted - before):
            try:
                self.placement.add_to_aggregate(session, host, uuid)
            except NotFound:
                raise NotFound("host", host) from None
        for host in sorted(before - wanted):
            self.placement.remove_from_aggregate(session, host, uuid)

    def _aggregate(self, session: Session, ref: str) -> HostAggregate:
        info = self.placement.aggregate(session, ref)
        hosts = session.scalars(
            select(m.ResourceProvider.name)
            .join(m.ProviderAggregate, m.ProviderAggregate.resource_provider_id == m.ResourceProvider.id)
            .where(m.ProviderAggregate.aggregate_uuid == info.uuid)
            .order_by(m.ResourceProvider.name)
        )
        return HostAggregate(info.uuid, info.name, dict(info.metadata), tuple(hosts))
