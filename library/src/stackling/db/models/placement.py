"""Placement and scheduling tables: resource providers, inventories, allocations, traits,
aggregates (with metadata: availability zones), and what the schedulers know about the
hosts behind providers (compute hosts, storage backends, server groups).

``inventories.used`` is the sum of the allocations against the inventory, kept in the
same transaction as every allocation write (stackling.placement.claims), so a claim is
one conditional UPDATE and allocation candidates never aggregate the allocations table.
``stackling.placement.PlacementEngine.verify_usages`` recomputes it from ``allocations``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base

CLASS_LENGTH = 255  # resource class and trait names (placement's limit)


class ResourceProvider(Base):
    """Something with inventory: a compute host, a storage backend. ``generation`` grows by
    one on every change to the provider, its inventories, traits, aggregates or allocations."""

    __tablename__ = "resource_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Inventory(Base):
    __tablename__ = "inventories"
    __table_args__ = (
        UniqueConstraint("resource_provider_id", "resource_class"),
        CheckConstraint("total >= 0 AND reserved >= 0 AND used >= 0", name="amounts"),
        CheckConstraint("min_unit >= 1 AND max_unit >= min_unit AND step_size >= 1", name="units"),
        CheckConstraint("allocation_ratio > 0", name="ratio"),
        Index("ix_inventories_resource_class", "resource_class"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_provider_id: Mapped[int] = mapped_column(ForeignKey("resource_providers.id", ondelete="CASCADE"))
    resource_class: Mapped[str] = mapped_column(String(CLASS_LENGTH))
    total: Mapped[int]
    reserved: Mapped[int] = mapped_column(default=0)
    min_unit: Mapped[int] = mapped_column(default=1)
    max_unit: Mapped[int]
    step_size: Mapped[int] = mapped_column(default=1)
    allocation_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    used: Mapped[int] = mapped_column(default=0)


class Consumer(Base):
    """Who holds allocations (an instance, a volume, a migration). ``generation`` grows on each write."""

    __tablename__ = "consumers"

    uuid: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    consumer_type: Mapped[str] = mapped_column(String(32), default="INSTANCE")
    generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Allocation(Base):
    __tablename__ = "allocations"
    __table_args__ = (
        UniqueConstraint(
            "consumer_uuid", "resource_provider_id", "resource_class", name="uq_allocations_consumer_provider_class"
        ),
        Index("ix_allocations_resource_provider_id_resource_class", "resource_provider_id", "resource_class"),
        CheckConstraint("used >= 1", name="used"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consumer_uuid: Mapped[str] = mapped_column(ForeignKey("consumers.uuid", ondelete="CASCADE"))
    resource_provider_id: Mapped[int] = mapped_column(ForeignKey("resource_providers.id", ondelete="RESTRICT"))
    resource_class: Mapped[str] = mapped_column(String(CLASS_LENGTH))
    used: Mapped[int]


class ProviderTrait(Base):
    __tablename__ = "provider_traits"
    __table_args__ = (Index("ix_provider_traits_trait", "trait"),)

    resource_provider_id: Mapped[int] = mapped_column(
        ForeignKey("resource_providers.id", ondelete="CASCADE"), primary_key=True
    )
    trait: Mapped[str] = mapped_column(String(CLASS_LENGTH), primary_key=True)


class Aggregate(Base):
    """A set of providers (placement knows only the uuid); nova-style host aggregates add a
    name and metadata, e.g. ``availability_zone``."""

    __tablename__ = "aggregates"

    uuid: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH), unique=True)
    created_at: Mapped[datetime]


class AggregateMetadata(Base):
    __tablename__ = "aggregate_metadata"
    __table_args__ = (Index("ix_aggregate_metadata_key", "key"),)

    aggregate_uuid: Mapped[str] = mapped_column(ForeignKey("aggregates.uuid", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(String(NAME_LENGTH))


class ProviderAggregate(Base):
    __tablename__ = "provider_aggregates"
    __table_args__ = (Index("ix_provider_aggregates_aggregate_uuid", "aggregate_uuid"),)

    resource_provider_id: Mapped[int] = mapped_column(
        ForeignKey("resource_providers.id", ondelete="CASCADE"), primary_key=True
    )
    aggregate_uuid: Mapped[str] = mapped_column(ForeignKey("aggregates.uuid", ondelete="CASCADE"), primary_key=True)


class ComputeHost(Base):
    """The compute service on a host, as the scheduler sees it (nova's service + compute node)."""

    __tablename__ = "compute_hosts"

    resource_provider_id: Mapped[int] = mapped_column(
        ForeignKey("resource_providers.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    hypervisor_type: Mapped[str] = mapped_column(String(NAME_LENGTH), default="QEMU")
    hypervisor_version: Mapped[int] = mapped_column(default=0)
    architecture: Mapped[str] = mapped_column(String(32), default="x86_64")
    updated_at: Mapped[datetime]


class StorageBackend(Base):
    """A volume backend (cinder's pool) with the capacity figures its storage node last reported.

    ``provisioned_capacity_gb`` is not stored: it is the DISK_GB used on the backend's provider."""

    __tablename__ = "storage_backends"
    __table_args__ = (
        CheckConstraint("reserved_percentage >= 0 AND reserved_percentage <= 100", name="reserved_percentage"),
        CheckConstraint("max_over_subscription_ratio >= 1", name="ratio"),
    )

    resource_provider_id: Mapped[int] = mapped_column(
        ForeignKey("resource_providers.id", ondelete="CASCADE"), primary_key=True
    )
    driver: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(default=True)
    thin_provisioning_support: Mapped[bool] = mapped_column(default=False)
    thick_provisioning_support: Mapped[bool] = mapped_column(default=True)
    max_over_subscription_ratio: Mapped[float] = mapped_column(Float, default=20.0)
    reserved_percentage: Mapped[int] = mapped_column(default=0)
    total_capacity_gb: Mapped[float] = mapped_column(Float, default=0.0)
    free_capacity_gb: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime]


class ServerGroup(Base):
    __tablename__ = "server_groups"
    __table_args__ = (
        CheckConstraint(
            "policy IN ('affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity')", name="policy"
        ),
        CheckConstraint("max_server_per_host >= 1", name="max_server_per_host"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    policy: Mapped[str] = mapped_column(String(32))
    max_server_per_host: Mapped[int] = mapped_column(default=1)  # anti-affinity rule, as in nova
    created_at: Mapped[datetime]


class ServerGroupMember(Base):
    __tablename__ = "server_group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("server_groups.id", ondelete="CASCADE"), primary_key=True)
    consumer_uuid: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, index=True)
