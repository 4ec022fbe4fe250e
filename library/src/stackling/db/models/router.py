"""Routers (Neutron's L3): an optional external gateway (a port on an external network, with
SNAT or not) and interfaces, each a port holding an address of one tenant subnet.

A subnet is on at most one router (``router_interfaces.subnet_id`` is unique), so its gateway
address has one owner; one router never connects overlapping subnets (checked by the service
with stackling.ipam.check_router_subnets).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from stackling.db.models.base import ID_LENGTH, NAME_LENGTH, Base


class Router(Base):
    __tablename__ = "routers"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    external_network_id: Mapped[str | None] = mapped_column(ForeignKey("networks.id", ondelete="RESTRICT"), index=True)
    gateway_port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id", ondelete="RESTRICT"), unique=True)
    enable_snat: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class RouterInterface(Base):
    __tablename__ = "router_interfaces"

    router_id: Mapped[str] = mapped_column(ForeignKey("routers.id", ondelete="RESTRICT"), index=True)
    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnets.id", ondelete="RESTRICT"), primary_key=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="RESTRICT"), unique=True)
