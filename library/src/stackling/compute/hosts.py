"""Compute hosts through the policy (cloud admin): register, change, disable, list, delete.

spec = cloud.compute_hosts.spec(inventory={"VCPU": {"total": 16, "allocation_ratio": 4.0}, ...},
                                traits=["HW_CPU_X86_AVX2"], availability_zone="az1")
host = cloud.compute_hosts.apply(ctx, "cn1", spec)      # create or update, one transaction
cloud.compute_hosts.delete(ctx, "cn1", force=False)     # ProviderInUse while it holds allocations
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from stackling.allocation_errors import ProviderInUse
from stackling.compute._base import PolicyService, aggregate_label, ensure_zone_aggregate, membership
from stackling.compute.types import ComputeHost
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import NotFound, ValidationError
from stackling.placement.resource_classes import validate_resource_class
from stackling.placement.traits import COMPUTE_NODE, COMPUTE_STATUS_DISABLED, validate_traits
from stackling.placement.types import InventorySpec
from stackling.policy import Enforcer
from stackling.scheduler.compute_hosts import ComputeHosts

LOG = logging.getLogger(__name__)
LIBRARY_TRAITS = frozenset({COMPUTE_NODE, COMPUTE_STATUS_DISABLED})  # set by the library, never by the operator
INVENTORY_KEYS = ("total", "reserved", "allocation_ratio", "min_unit", "max_unit", "step_size")


@dataclass(frozen=True)
class HostSpec:
    """What to make of a host; None leaves that part as it is (a new host needs ``inventories``)."""

    inventories: Mapping[str, InventorySpec] | None = None
    traits: frozenset[str] | None = None
    aggregates: tuple[str, ...] | None = None
    availability_zone: str | None = None
    enabled: bool | None = None
    disabled_reason: str | None = None
    hypervisor_type: str = "QEMU"
    architecture: str = "x86_64"


def inventory_spec(resource_class: str, raw: Mapping[str, Any]) -> InventorySpec:
    """One inventory from plain values; ValidationError naming ``inventory.<class>`` otherwise."""
    field = "inventory.%s" % resource_class
    try:
        validate_resource_class(resource_class)
        unknown = sorted(set(raw) - set(INVENTORY_KEYS))
        if unknown:
            raise ValidationError("unknown key(s) %s (known: %s)" % (", ".join(unknown), ", ".join(INVENTORY_KEYS)))
        if "total" not in raw:
            raise ValidationError("total is required")
        values = {key: value for key, value in raw.items() if value is not None}
        return InventorySpec(**values)
    except (ValidationError, TypeError) as exc:
        raise ValidationError("%s: %s" % (field, exc), field=field) from None


def operator_traits(traits: Iterable[str]) -> frozenset[str]:
    """Validated traits the operator may set (not COMPUTE_NODE / COMPUTE_STATUS_DISABLED)."""
    try:
        wanted = validate_traits(traits)
    except ValidationError as exc:
        raise ValidationError("traits: %s" % exc, field="traits") from None
    reserved = sorted(wanted & LIBRARY_TRAITS)
    if reserved:
        raise ValidationError(
            "traits: %s are managed by the library (registration, enabled), not set by hand" % ", ".join(reserved),
            field="traits",
        )
    return wanted


class ComputeHostService(PolicyService):
    def __init__(self, db: Database, enforcer: Enforcer, hosts: ComputeHosts, default_zone: str) -> None:
        super().__init__(db, enforcer)
        self.hosts = hosts
        self.placement = hosts.placement
        self.default_zone = default_zone

    @staticmethod
    def spec(
        inventory: Mapping[str, Mapping[str, Any]] | None = None,
        traits: Iterable[str] | None = None,
        aggregates: Iterable[str] | None = None,
        **fields: Any,
    ) -> HostSpec:
        """A checked HostSpec from plain values (what a module or a CLI has)."""
        inventories = None
        if inventory is not None:
            inventories = {rc: inventory_spec(rc, raw) for rc, raw in inventory.items()}
        return HostSpec(
            inventories=inventories,
            traits=None if traits is None else operator_traits(traits),
            aggregates=None if aggregates is None else tuple(sorted(set(aggregates))),
            **fields,
        )

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, name: str) -> ComputeHost | None:
        self._enforce(ctx, "compute:get_host")
        with self._db.read() as session:
            try:
                return self._host(session, name)
            except NotFound:
                return None

    def get(self, ctx: Context, name: str) -> ComputeHost:
        found = self.find(ctx, name)
        if found is None:
            raise NotFound("compute host", name)
        return found

    def list(self, ctx: Context) -> list[ComputeHost]:
        self._enforce(ctx, "compute:list_hosts")
        with self._db.read() as session:
            return [self._host(session, host.name) for host in self.hosts.list(session)]

    def aggregates_for(
        self, ctx: Context, name: str, aggregates: Iterable[str] | None, zone: str | None
    ) -> tuple[str, ...] | None:
        """The aggregates ``apply`` would give the host (None: membership left as it is)."""
        if aggregates is None and zone is None:
            return None
        self._enforce(ctx, "compute:get_host")
        with self._db.read() as session:
            return membership(session, self._current_aggregates(session, name), aggregates, zone)

    # --- writing -------------------------------------------------------------------------------------
    def apply(self, ctx: Context, name: str, spec: HostSpec) -> ComputeHost:
        """Create the host or update it to ``spec``, in one transaction (all or nothing)."""
        with self._db.write() as session:
            current = self._find(session, name)
            self._enforce(ctx, "compute:update_host" if current else "compute:create_host")
            if current is None and spec.inventories is None:
                raise ValidationError("a new compute host needs its inventory", field="inventory")
            inventories = spec.inventories if spec.inventories is not None else _specs(current)
            traits = spec.traits if spec.traits is not None else frozenset(current.traits if current else ())
            self.hosts.register(
                session, name, inventories, traits, hypervisor_type=spec.hypervisor_type,
                hypervisor_version=current.hypervisor_version if current else 0, architecture=spec.architecture,
            )  # fmt: skip
            if spec.enabled is not None or spec.disabled_reason is not None:
                enabled = spec.enabled if spec.enabled is not None else (current.enabled if current else True)
                self.hosts.set_enabled(session, name, enabled, spec.disabled_reason or "")
            if spec.aggregates is not None or spec.availability_zone is not None:
                self._set_aggregates(session, name, spec.aggregates, spec.availability_zone)
            LOG.info("%s compute host %s", "updated" if current else "registered", name)
            return self._host(session, name)

    def delete(self, ctx: Context, name: str, force: bool = False) -> None:
        """Remove the host. While it holds allocations: ProviderInUse, unless ``force`` (then the
        allocations on this host are dropped: the servers there are gone with it)."""
        self._enforce(ctx, "compute:delete_host")
        with self._db.write() as session:
            host = self._host(session, name)
            provider = self.placement.provider(session, host.uuid)
            if host.has_allocations:
                if not force:
                    raise ProviderInUse("compute host %s holds allocations" % name)
                _drop_allocations(session, provider.id)
            self.hosts.delete(session, host.uuid)
            LOG.info("deleted compute host %s%s", name, " (forced)" if host.has_allocations else "")

    # --- helpers -------------------------------------------------------------------------------------
    def _find(self, session: Session, name: str) -> ComputeHost | None:
        try:
            return self._host(session, name)
        except NotFound:
            return None

    def _current_aggregates(self, session: Session, name: str) -> tuple[str, ...]:
        found = self._find(session, name)
        return found.aggregates if found else ()

    def _set_aggregates(self, session: Session, name: str, aggregates: Iterable[str] | None, zone: str | None) -> None:
        wanted = membership(session, self._current_aggregates(session, name), aggregates, zone)
        if zone is not None:
            ensure_zone_aggregate(session, self.placement, zone)
        uuids = [self.placement.aggregate(session, label).uuid for label in wanted]
        self.placement.set_aggregates(session, name, uuids)

    def _host(self, session: Session, name: str) -> ComputeHost:
        info = self.hosts.get(session, name)
        provider = self.placement.provider(session, info.uuid)
        labels = session.scalars(
            select(m.Aggregate)
            .join(m.ProviderAggregate, m.ProviderAggregate.aggregate_uuid == m.Aggregate.uuid)
            .where(m.ProviderAggregate.resource_provider_id == provider.id)
        )
        return ComputeHost(
            name=info.name, uuid=info.uuid, enabled=info.enabled, disabled_reason=info.disabled_reason,
            hypervisor_type=info.hypervisor_type, hypervisor_version=info.hypervisor_version,
            architecture=info.architecture,
            availability_zone=self.placement.availability_zone(session, info.uuid, self.default_zone),
            aggregates=tuple(sorted(aggregate_label(row) for row in labels)),
            traits=tuple(sorted(self.placement.traits(session, info.uuid) - LIBRARY_TRAITS)),
            inventories=self.placement.inventories(session, info.uuid),
            has_allocations=bool(
                session.scalar(select(exists().where(m.Allocation.resource_provider_id == provider.id)))
            ),
        )  # fmt: skip


def _specs(current: ComputeHost | None) -> dict[str, InventorySpec]:
    return {} if current is None else {rc: inv.spec for rc, inv in current.inventories.items()}


def _drop_allocations(session: Session, provider_id: int) -> None:
    """Delete the allocations against one provider, and the consumers left with none."""
    consumers = set(
        session.scalars(select(m.Allocation.consumer_uuid).where(m.Allocation.resource_provider_id == provider_id))
    )
    session.execute(delete(m.Allocation).where(m.Allocation.resource_provider_id == provider_id))
    for uuid in sorted(consumers):
        if not session.scalar(select(exists().where(m.Allocation.consumer_uuid == uuid))):
            session.execute(delete(m.Consumer).where(m.Consumer.uuid == uuid))
    session.flush()
