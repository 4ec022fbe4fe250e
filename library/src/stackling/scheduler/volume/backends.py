"""Storage backends: a placement provider with a DISK_GB inventory (what volumes claim) plus
the capacity figures the storage node reports.

The inventory mirrors cinder's rules so a placement claim agrees with the CapacityFilter:
total = total_capacity_gb, reserved = floor(total x reserved_percentage / 100), and
allocation_ratio = max_over_subscription_ratio for thin backends (1.0 for thick-only ones).
``provisioned_capacity_gb`` is the DISK_GB used on the provider.
"""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.db import models as m
from stackling.errors import NotFound, ValidationError
from stackling.placement.engine import PlacementEngine
from stackling.placement.resource_classes import DISK_GB
from stackling.placement.types import InventorySpec
from stackling.scheduler.volume.backend_state import BackendState


class StorageBackends:
    def __init__(self, placement: PlacementEngine, clock: Clock, default_availability_zone: str = "nova") -> None:
        self.placement = placement
        self._clock = clock
        self.default_availability_zone = default_availability_zone

    def register(
        self,
        session: Session,
        name: str,
        driver: str,
        total_capacity_gb: float,
        free_capacity_gb: float | None = None,
        thin_provisioning_support: bool = False,
        thick_provisioning_support: bool = True,
        max_over_subscription_ratio: float = 20.0,
        reserved_percentage: int = 0,
    ) -> BackendState:
        """Create or update a backend and its DISK_GB inventory."""
        if total_capacity_gb < 1 or not 0 <= reserved_percentage <= 100 or max_over_subscription_ratio < 1:
            raise ValidationError("backend %s: total >= 1 GiB, 0 <= reserved_percentage <= 100, ratio >= 1" % name)
        existing = session.scalars(select(m.ResourceProvider).where(m.ResourceProvider.name == name)).first()
        provider = (
            self.placement.create_provider(session, name)
            if existing is None
            else self.placement.provider(session, name)
        )
        total = int(total_capacity_gb)
        ratio = max_over_subscription_ratio if thin_provisioning_support else 1.0
        spec = InventorySpec(total, reserved=math.floor(total * reserved_percentage / 100), allocation_ratio=ratio)
        self.placement.set_inventory(session, provider.uuid, DISK_GB, spec)
        row = session.get(m.StorageBackend, provider.id) or m.StorageBackend(resource_provider_id=provider.id)
        row.driver = driver
        row.thin_provisioning_support = thin_provisioning_support
        row.thick_provisioning_support = thick_provisioning_support
        row.max_over_subscription_ratio = max_over_subscription_ratio
        row.reserved_percentage = reserved_percentage
        row.total_capacity_gb = total_capacity_gb
        row.free_capacity_gb = total_capacity_gb if free_capacity_gb is None else free_capacity_gb
        row.enabled = True if row.enabled is None else row.enabled
        row.updated_at = self._clock()
        session.add(row)
        session.flush()
        return self.get(session, name)

    def report_capacity(self, session: Session, name: str, free_capacity_gb: float) -> None:
        """The storage node's periodic report of physically free space (a thin pool's data free)."""
        provider = self.placement.provider(session, name)
        row = session.get(m.StorageBackend, provider.id)
        if row is None:
            raise NotFound("storage backend", name)
        row.free_capacity_gb = free_capacity_gb
        row.updated_at = self._clock()
        session.flush()

    def set_enabled(self, session: Session, name: str, enabled: bool) -> None:
        """A disabled backend takes no new volumes (the AvailabilityZoneFilter skips it)."""
        provider = self.placement.provider(session, name)
        row = session.get(m.StorageBackend, provider.id)
        if row is None:
            raise NotFound("storage backend", name)
        row.enabled = enabled
        row.updated_at = self._clock()
        session.flush()

    def driver(self, session: Session, name: str) -> str:
        provider = self.placement.provider(session, name)
        row = session.get(m.StorageBackend, provider.id)
        if row is None:
            raise NotFound("storage backend", name)
        return row.driver

    def delete(self, session: Session, name: str) -> None:
        """Remove the backend (refused with ProviderInUse while volumes hold allocations on it)."""
        self.get(session, name)
        self.placement.delete_provider(session, name)

    def get(self, session: Session, name: str) -> BackendState:
        for backend in self.load(session):
            if backend.name == name or backend.uuid == name:
                return backend
        raise NotFound("storage backend", name)

    def load(self, session: Session) -> list[BackendState]:
        """Every backend with its provisioned capacity (DISK_GB used) and availability zone."""
        zones = self._zones(session)
        rows = session.execute(
            select(
                m.ResourceProvider.id,
                m.ResourceProvider.uuid,
                m.ResourceProvider.name,
                m.StorageBackend,
                m.Inventory.used,
            )
            .join(m.StorageBackend, m.StorageBackend.resource_provider_id == m.ResourceProvider.id)
            .outerjoin(
                m.Inventory,
                (m.Inventory.resource_provider_id == m.ResourceProvider.id) & (m.Inventory.resource_class == DISK_GB),
            )
            .order_by(m.ResourceProvider.id)
        )
        return [
            BackendState(
                name=name, uuid=uuid, total_capacity_gb=row.total_capacity_gb, free_capacity_gb=row.free_capacity_gb,
                provisioned_capacity_gb=float(used or 0), thin_provisioning_support=row.thin_provisioning_support,
                thick_provisioning_support=row.thick_provisioning_support,
                max_over_subscription_ratio=row.max_over_subscription_ratio, reserved_percentage=row.reserved_percentage,
                availability_zone=zones.get(provider_id, self.default_availability_zone), enabled=row.enabled,
            )  # fmt: skip
            for provider_id, uuid, name, row, used in rows
        ]

    def _zones(self, session: Session) -> dict[int, str]:
        rows = session.execute(
            select(m.ProviderAggregate.resource_provider_id, m.AggregateMetadata.value)
            .join(m.AggregateMetadata, m.AggregateMetadata.aggregate_uuid == m.ProviderAggregate.aggregate_uuid)
            .where(m.AggregateMetadata.key == "availability_zone")
        )
        return dict(rows.all())
