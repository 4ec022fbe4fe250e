"""Compute hosts as the scheduler sees them: a placement provider (inventories, traits,
aggregates) plus the compute_hosts record (enabled, hypervisor, architecture).

What a ``compute_host`` cloud module calls:

    hosts = ComputeHosts(placement, clock)
    with db.write() as session:
        hosts.register(session, "cn1", {"VCPU": InventorySpec(16, allocation_ratio=4.0), ...},
                       traits={"HW_CPU_X86_AVX2"}, hypervisor_type="QEMU", architecture="x86_64")
        hosts.set_enabled(session, "cn1", False, reason="maintenance")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from stackling.clock import Clock
from stackling.db import models as m
from stackling.errors import NotFound
from stackling.placement.engine import PlacementEngine
from stackling.placement.traits import COMPUTE_NODE, COMPUTE_STATUS_DISABLED
from stackling.placement.types import InventorySpec, Provider, ProviderSpec


@dataclass(frozen=True)
class ComputeHostSpec:
    name: str
    inventories: Mapping[str, InventorySpec]
    traits: frozenset[str] = frozenset()
    aggregates: frozenset[str] = frozenset()
    hypervisor_type: str = "QEMU"
    hypervisor_version: int = 0
    architecture: str = "x86_64"
    uuid: str | None = None


@dataclass(frozen=True)
class ComputeHostInfo:
    name: str
    uuid: str
    enabled: bool
    disabled_reason: str
    hypervisor_type: str
    hypervisor_version: int
    architecture: str


class ComputeHosts:
    def __init__(self, placement: PlacementEngine, clock: Clock) -> None:
        self.placement = placement
        self._clock = clock

    def register(
        self,
        session: Session,
        name: str,
        inventories: Mapping[str, InventorySpec],
        traits: Iterable[str] = (),
        hypervisor_type: str = "QEMU",
        hypervisor_version: int = 0,
        architecture: str = "x86_64",
        uuid: str | None = None,
    ) -> ComputeHostInfo:
        """Create the host, or update it (inventories, traits, hypervisor facts) if it exists."""
        row = session.scalars(select(m.ResourceProvider).where(m.ResourceProvider.name == name)).first()
        provider = (
            self.placement.create_provider(session, name, uuid)
            if row is None
            else self.placement.provider(session, name)
        )
        self.placement.set_inventories(session, provider.uuid, inventories)
        record = session.get(m.ComputeHost, provider.id)
        if record is None:
            record = m.ComputeHost(resource_provider_id=provider.id, enabled=True, disabled_reason="")
            session.add(record)
        record.hypervisor_type = hypervisor_type
        record.hypervisor_version = hypervisor_version
        record.architecture = architecture
        record.updated_at = self._clock()
        session.flush()
        status = set() if record.enabled else {COMPUTE_STATUS_DISABLED}
        self.placement.set_traits(session, provider.uuid, set(traits) | {COMPUTE_NODE} | status)
        return self.get(session, name)

    def register_many(self, session: Session, specs: Sequence[ComputeHostSpec]) -> list[Provider]:
        """Enrol many new hosts at once (a few multi-row INSERTs; Conflict if a name is taken)."""
        providers = self.placement.create_providers(
            session,
            [ProviderSpec(s.name, s.inventories, s.traits | {COMPUTE_NODE}, s.aggregates, s.uuid) for s in specs],
        )
        now = self._clock()
        rows = [
            {"resource_provider_id": provider.id, "enabled": True, "disabled_reason": "", "hypervisor_type": spec.hypervisor_type,
             "hypervisor_version": spec.hypervisor_version, "architecture": spec.architecture, "updated_at": now}
            for spec, provider in zip(specs, providers)
        ]  # fmt: skip
        if rows:
            session.connection().execute(insert(m.ComputeHost), rows)
        return providers

    def set_enabled(self, session: Session, name: str, enabled: bool, reason: str = "") -> ComputeHostInfo:
        """Enable or disable scheduling to the host (nova's ``compute service set --disable``);
        also mirrored as the COMPUTE_STATUS_DISABLED trait, as nova does."""
        provider = self.placement.provider(session, name)
        record = self._record(session, provider.id, name)
        record.enabled = enabled
        record.disabled_reason = "" if enabled else reason
        record.updated_at = self._clock()
        session.flush()
        if enabled:
            self.placement.remove_traits(session, provider.uuid, {COMPUTE_STATUS_DISABLED})
        else:
            self.placement.add_traits(session, provider.uuid, {COMPUTE_STATUS_DISABLED})
        return self.get(session, name)

    def get(self, session: Session, name: str) -> ComputeHostInfo:
        provider = self.placement.provider(session, name)
        record = self._record(session, provider.id, name)
        return ComputeHostInfo(
            provider.name, provider.uuid, record.enabled, record.disabled_reason, record.hypervisor_type,
            record.hypervisor_version, record.architecture,
        )  # fmt: skip

    def list(self, session: Session) -> list[ComputeHostInfo]:
        names = session.scalars(
            select(m.ResourceProvider.name)
            .join(m.ComputeHost, m.ComputeHost.resource_provider_id == m.ResourceProvider.id)
            .order_by(m.ResourceProvider.name)
        ).all()
        return [self.get(session, name) for name in names]

    def delete(self, session: Session, name: str) -> None:
        """Remove the host (refused with ProviderInUse while it holds allocations)."""
        self.placement.delete_provider(session, name)

    def _record(self, session: Session, provider_id: int, name: str) -> m.ComputeHost:
        record = session.get(m.ComputeHost, provider_id, populate_existing=True)
        if record is None:
            raise NotFound("compute host", name)
        return record
