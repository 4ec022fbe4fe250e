"""IPAM values returned to callers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkInfo:
    id: str
    project_id: str
    name: str
    external: bool
    shared: bool
    network_type: str
    physical_network: str
    segmentation_id: int | None
    mtu: int


@dataclass(frozen=True, order=True)
class HostRoute:
    destination: str
    nexthop: str


@dataclass(frozen=True)
class SubnetInfo:
    id: str
    network_id: str
    project_id: str
    name: str
    ip_version: int
    cidr: str
    gateway_ip: str | None
    allocation_pools: tuple[tuple[str, str], ...]
    dns_nameservers: tuple[str, ...]
    host_routes: tuple[HostRoute, ...]
    enable_dhcp: bool


@dataclass(frozen=True)
class FixedIp:
    subnet_id: str
    ip_address: str


@dataclass(frozen=True)
class FixedIpRequest:
    """One address for a port: from ``subnet_id`` (any free one, or exactly ``ip_address``),
    or, with only ``ip_address``, from the network's subnet that contains it."""

    subnet_id: str | None = None
    ip_address: str | None = None


@dataclass(frozen=True)
class PortInfo:
    id: str
    network_id: str
    project_id: str
    name: str
    mac_address: str
    device_id: str
    device_owner: str
    fixed_ips: tuple[FixedIp, ...]


@dataclass(frozen=True)
class FloatingIpInfo:
    id: str
    project_id: str
    network_id: str
    address: str
    port_id: str
    fixed_port_id: str | None
    fixed_ip_address: str | None
