"""IPAM tables: networks (with their segmentation id), subnets, allocation pools, DNS servers,
host routes, ports (with their MAC), fixed-IP allocations and floating IPs.

Uniqueness is the database's job, so concurrent callers cannot hand out a thing twice:
``(subnet_id, address)`` is the primary key of ``ip_allocations``, ``ports.mac_address`` is
unique, and ``(network_type, physical_network, segmentation_id)`` is unique on ``networks``
(``physical_network`` is ``''`` for tunnels, never NULL, so the constraint holds on every backend).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base

ADDRESS_LENGTH = 64  # an IPv6 address or CIDR in text form
MAC_LENGTH = 17


class Network(Base):
    __tablename__ = "networks"
    __table_args__ = (
        UniqueConstraint("network_type", "physical_network", "segmentation_id"),
        CheckConstraint("network_type IN ('vxlan', 'vlan', 'flat', 'local')", name="network_type"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    external: Mapped[bool] = mapped_column(default=False)  # router:external, holds floating IP pools
    shared: Mapped[bool] = mapped_column(default=False)
    network_type: Mapped[str] = mapped_column(String(16))
    physical_network: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    segmentation_id: Mapped[int | None]
    mtu: Mapped[int] = mapped_column(default=1450)
    created_at: Mapped[datetime]


class Subnet(Base):
    __tablename__ = "subnets"
    __table_args__ = (CheckConstraint("ip_version IN (4, 6)", name="ip_version"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    ip_version: Mapped[int]
    cidr: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    gateway_ip: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    enable_dhcp: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class AllocationPool(Base):
    """An inclusive address range of a subnet; ``next_ip`` is where the next search starts
    (allocation walks the pools round-robin, so a released address is reused last)."""

    __tablename__ = "subnet_allocation_pools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnets.id", ondelete="CASCADE"), index=True)
    first_ip: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    last_ip: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    next_ip: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))


class SubnetDnsNameserver(Base):
    __tablename__ = "subnet_dns_nameservers"

    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    position: Mapped[int]


class SubnetHostRoute(Base):
    __tablename__ = "subnet_host_routes"

    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True)
    destination: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    nexthop: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)


class Port(Base):
    __tablename__ = "ports"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="RESTRICT"), index=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    mac_address: Mapped[str] = mapped_column(String(MAC_LENGTH), unique=True)
    device_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    device_owner: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    # a port the tenant made before booting a server on it: unbound, not deleted, with the server (0012)
    preserve_on_delete: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]


class IpAllocation(Base):
    __tablename__ = "ip_allocations"

    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnets.id", ondelete="RESTRICT"), primary_key=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"), index=True)


class FloatingIp(Base):
    """A floating IP: an address on an external network (held by an internal port there, as in
    Neutron), optionally associated with a fixed address of a tenant port."""

    __tablename__ = "floating_ips"
    __table_args__ = (Index("ix_floating_ips_fixed_port_id", "fixed_port_id"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id", ondelete="RESTRICT"))
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="RESTRICT"), unique=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    fixed_port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id", ondelete="SET NULL"))
    fixed_ip_address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    created_at: Mapped[datetime]
