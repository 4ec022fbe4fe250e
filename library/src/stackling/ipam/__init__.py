"""IP address management: networks (VXLAN VNI pool), subnets (IPv4/IPv6 pools, gateway, DNS,
host routes), ports (unique MACs, fixed IPs), floating IPs, and the router overlap check."""

from stackling.ipam.config import IpamConfig, ipam_config_from_mapping
from stackling.ipam.engine import Ipam
from stackling.ipam.routers import check_router_subnets, overlaps
from stackling.ipam.types import FixedIp, FixedIpRequest, FloatingIpInfo, HostRoute, NetworkInfo, PortInfo, SubnetInfo

__all__ = [
    "FixedIp",
    "FixedIpRequest",
    "FloatingIpInfo",
    "HostRoute",
    "Ipam",
    "IpamConfig",
    "NetworkInfo",
    "PortInfo",
    "SubnetInfo",
    "check_router_subnets",
    "ipam_config_from_mapping",
    "overlaps",
]
