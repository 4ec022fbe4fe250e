"""Records the networking services return: frozen, plain values (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass

from stackling.ipam.types import FixedIp, FixedIpRequest, HostRoute, NetworkInfo, PortInfo, SubnetInfo

Network = NetworkInfo
Subnet = SubnetInfo
Port = PortInfo

__all__ = [
    "FixedIp",
    "FixedIpRequest",
    "FloatingIp",
    "HostRoute",
    "Network",
    "Port",
    "Router",
    "RouterGateway",
    "RouterInterface",
    "Subnet",
]


@dataclass(frozen=True)
class RouterGateway:
    """The router's leg on an external network: its port and the addresses that port holds."""

    network_id: str
    port_id: str
    enable_snat: bool
    fixed_ips: tuple[FixedIp, ...]


@dataclass(frozen=True)
class RouterInterface:
    subnet_id: str
    port_id: str
    ip_address: str


@dataclass(frozen=True)
class Router:
    id: str
    project_id: str
    name: str
    external_gateway: RouterGateway | None
    interfaces: tuple[RouterInterface, ...]  # sorted by subnet id


@dataclass(frozen=True)
class FloatingIp:
    """``port_id`` is the tenant port it points at (None: not associated); ``router_id`` the router
    that does its NAT (the router with a gateway on ``network_id`` and an interface on the port's subnet)."""

    id: str
    project_id: str
    network_id: str
    floating_ip_address: str
    port_id: str | None
    fixed_ip_address: str | None
    router_id: str | None
