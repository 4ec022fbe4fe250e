"""Security groups (Neutron's): per-project groups of rules, and which ports are in which group.

A rule matches one direction and ethertype, a protocol (``any`` for all), for tcp/udp a port
range and for icmp a type (``port_range_min``) and code (``port_range_max``), as Neutron stores
them, and at most one remote: a CIDR or a group (the addresses of that group's member ports).
A port in no group is not filtered; a port in groups allows what any of its groups' rules allow.
``port_security_groups.security_group_id`` is RESTRICT, so a group in use cannot be deleted even
by a caller that skipped the service's own check; a rule whose remote group goes is deleted with
it (CASCADE), as Neutron does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base

ADDRESS_LENGTH = 64

DIRECTIONS = ("ingress", "egress")
ETHERTYPES = ("IPv4", "IPv6")
PROTOCOLS = ("any", "tcp", "udp", "icmp")


class SecurityGroup(Base):
    __tablename__ = "security_groups"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class SecurityGroupRule(Base):
    __tablename__ = "security_group_rules"
    __table_args__ = (
        CheckConstraint("direction IN ('ingress', 'egress')", name="direction"),
        CheckConstraint("ethertype IN ('IPv4', 'IPv6')", name="ethertype"),
        CheckConstraint("protocol IN ('any', 'tcp', 'udp', 'icmp')", name="protocol"),
        CheckConstraint("remote_ip_prefix IS NULL OR remote_group_id IS NULL", name="one_remote"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(ForeignKey("security_groups.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(8))
    protocol: Mapped[str] = mapped_column(String(16))
    port_range_min: Mapped[int | None]
    port_range_max: Mapped[int | None]
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    remote_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("security_groups.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class PortSecurityGroup(Base):
    """A port's membership of a group."""

    __tablename__ = "port_security_groups"

    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("security_groups.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
