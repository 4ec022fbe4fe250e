"""What the compute services return: plain frozen records, never ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stackling.placement.types import Inventory


@dataclass(frozen=True)
class ComputeHost:
    """A compute host: its placement provider, compute record, zone, aggregates and the traits
    the operator set (``COMPUTE_NODE`` and ``COMPUTE_STATUS_DISABLED`` are the library's, not listed)."""

    name: str
    uuid: str
    enabled: bool
    disabled_reason: str
    hypervisor_type: str
    hypervisor_version: int
    architecture: str
    availability_zone: str
    aggregates: tuple[str, ...]
    traits: tuple[str, ...]
    inventories: Mapping[str, Inventory]
    has_allocations: bool


@dataclass(frozen=True)
class HostAggregate:
    """A host aggregate: ``hosts`` are the names of its member providers (hosts or backends)."""

    uuid: str
    name: str | None
    metadata: Mapping[str, str]
    hosts: tuple[str, ...]

    @property
    def availability_zone(self) -> str | None:
        return self.metadata.get("availability_zone")


@dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    ephemeral_gb: int
    swap_mb: int
    is_public: bool
    description: str
    extra_specs: Mapping[str, str]
    projects: tuple[str, ...]  # project ids with access (private flavors)


@dataclass(frozen=True)
class ServerGroupRecord:
    id: str
    name: str
    policy: str
    project_id: str
    user_id: str
    max_server_per_host: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class AllocationRecord:
    """One allocation row: ``used`` of ``resource_class`` on provider ``provider`` for a consumer."""

    consumer_uuid: str
    project_id: str
    user_id: str
    consumer_type: str
    provider: str
    provider_uuid: str
    resource_class: str
    used: int
