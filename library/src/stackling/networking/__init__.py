"""The tenant's networking API (Neutron's), through the policy, over the IPAM engine: networks,
subnets, ports, routers and floating IPs. Each service takes a Context first; what a caller may
not see does not exist for it (NotFound). Quotas are counted in the creating transaction.

    net = cloud.networking.networks.create(ctx, "private")
    subnet = cloud.networking.subnets.create(ctx, net.id, "10.0.0.0/24", dns_nameservers=["10.0.0.2"])
    router = cloud.networking.routers.create(ctx, "r1", external_gateway=GatewayRequest("public"),
                                             interfaces=[subnet.id])
    port = cloud.networking.ports.create(ctx, net.id, name="web-0")
    fip = cloud.networking.floating_ips.create(ctx, "public", port=port.id)
"""

from __future__ import annotations

from dataclasses import dataclass

from stackling.db import Database
from stackling.ipam import Ipam
from stackling.networking.floating_ips import FloatingIpService
from stackling.networking.networks import NetworkService
from stackling.networking.plumbing import NodeWorkFailed, RouterPlumbing
from stackling.networking.ports import PortService
from stackling.networking.routers import GatewayRequest, RouterService
from stackling.networking.security_groups import RuleRequest, SecurityGroup, SecurityGroupRule, SecurityGroupService
from stackling.networking.subnets import SubnetService
from stackling.networking.types import FixedIpRequest, FloatingIp, Router, RouterGateway, RouterInterface
from stackling.policy import Enforcer
from stackling.quota import QuotaEngine

__all__ = [
    "FixedIpRequest",
    "FloatingIp",
    "FloatingIpService",
    "GatewayRequest",
    "NetworkService",
    "Networking",
    "NodeWorkFailed",
    "PortService",
    "Router",
    "RouterGateway",
    "RouterInterface",
    "RouterPlumbing",
    "RouterService",
    "RuleRequest",
    "SecurityGroup",
    "SecurityGroupRule",
    "SecurityGroupService",
    "SubnetService",
]


@dataclass
class Networking:
    networks: NetworkService
    subnets: SubnetService
    ports: PortService
    routers: RouterService
    floating_ips: FloatingIpService
    security_groups: SecurityGroupService

    @classmethod
    def build(
        cls, db: Database, enforcer: Enforcer, ipam: Ipam, quotas: QuotaEngine, plumbing: RouterPlumbing | None = None
    ) -> Networking:
        """The services; ``plumbing``: how routers reach the network host (None: records only)."""
        networks = NetworkService(db, enforcer, ipam, quotas)
        subnets = SubnetService(networks)
        ports = PortService(networks, plumbing)
        return cls(networks, subnets, ports, RouterService(networks, subnets, plumbing),
                   FloatingIpService(networks, ports, plumbing), SecurityGroupService(networks))  # fmt: skip
