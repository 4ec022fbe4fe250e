"""What the compute services share: the store, the policy, and the zone aggregates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict
from stackling.placement.engine import PlacementEngine
from stackling.placement.tagging import AVAILABILITY_ZONE
from stackling.policy import Enforcer

Item = TypeVar("Item")


class PolicyService:
    def __init__(self, db: Database, enforcer: Enforcer) -> None:
        self._db = db
        self._enforcer = enforcer

    def _enforce(self, ctx: Context, action: str, target: Mapping[str, Any] | None = None) -> None:
        self._enforcer.enforce(action, target or {}, ctx)

    def _visible(self, ctx: Context, action: str, items: Iterable[tuple[Item, Mapping[str, Any]]]) -> list[Item]:
        """The items whose target passes ``action`` (lists are filtered through the get rule)."""
        return [item for item, target in items if self._enforcer.check(action, target, ctx)]


def aggregate_label(row: m.Aggregate) -> str:
    """How an aggregate is shown and named: its name, or its uuid when it has none."""
    return row.name if row.name is not None else row.uuid


def zone_aggregates(session: Session) -> dict[str, str]:
    """Aggregate label -> the availability zone it defines (aggregates with that metadata key)."""
    rows = session.execute(
        select(m.Aggregate, m.AggregateMetadata.value)
        .join(m.AggregateMetadata, m.AggregateMetadata.aggregate_uuid == m.Aggregate.uuid)
        .where(m.AggregateMetadata.key == AVAILABILITY_ZONE)
    )
    return {aggregate_label(row): zone for row, zone in rows}


def zone_aggregate(session: Session, zone: str) -> str:
    """The aggregate that defines ``zone``: the one named like the zone if it defines it, else the
    first by name; the zone's own name when none exists yet (ensure_zone_aggregate creates it)."""
    defining = sorted(label for label, value in zone_aggregates(session).items() if value == zone)
    if zone in defining or not defining:
        return zone
    return defining[0]


def ensure_zone_aggregate(session: Session, placement: PlacementEngine, zone: str) -> str:
    """zone_aggregate(), created (named like the zone, metadata ``availability_zone: zone``) if missing."""
    label = zone_aggregate(session, zone)
    if label in zone_aggregates(session):
        return label
    existing = session.scalars(select(m.Aggregate).where(m.Aggregate.name == label)).first()
    if existing is not None:
        raise Conflict(
            "aggregate %s exists but does not define availability zone %s; set its availability_zone metadata"
            % (label, zone)
        )
    placement.create_aggregate(session, name=label, metadata={AVAILABILITY_ZONE: zone})
    return label


def membership(
    session: Session, current: Iterable[str], aggregates: Iterable[str] | None, zone: str | None
) -> tuple[str, ...]:
    """The aggregates a provider should belong to: exactly ``aggregates`` when given (else the
    current ones), without those defining another zone than ``zone``, plus the zone's aggregate
    (when ``zone`` is given and no kept aggregate defines it)."""
    wanted = set(current if aggregates is None else aggregates)
    if zone is not None:
        zones = zone_aggregates(session)
        wanted = {label for label in wanted if zones.get(label, zone) == zone}
        if not any(zones.get(label) == zone for label in wanted):
            wanted.add(zone_aggregate(session, zone))
    return tuple(sorted(wanted))
