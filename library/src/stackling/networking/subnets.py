"""Subnets through the policy: the network's owner (or a cloud admin) adds IPv4 and IPv6 subnets
with a gateway, allocation pools, DNS servers and host routes; readers of the project (and of
any project, for shared and external networks) see them. Counted in the ``subnets`` quota.

The CIDR, IP version and gateway are fixed once made (delete and recreate the subnet); the name,
allocation pools, DNS servers, host routes and DHCP flag may change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stackling.allocation_errors import NetworkInUse
from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict, ValidationError
from stackling.ipam.networks import AUTO
from stackling.ipam.pools import (
    address_value,
    check_gateway,
    check_pools,
    default_gateway,
    parse_address,
    parse_cidr,
)
from stackling.networking._base import NetworkingBase, check_name, describe_port, describe_users, field_of
from stackling.networking.networks import NetworkService
from stackling.networking.types import HostRoute, Subnet

LOG = logging.getLogger(__name__)


def check_dns(servers: Sequence[str]) -> list[str]:
    with field_of("dns_nameservers"):
        out = [str(parse_address(server, what="DNS server")) for server in servers]
        if len(set(out)) != len(out):
            raise ValidationError("a DNS server is listed twice")
    return out


def check_routes(version: int, routes: Iterable[tuple[str, str]]) -> list[HostRoute]:
    out = []
    with field_of("host_routes"):
        for destination, nexthop in routes:
            net = parse_cidr(destination, version)
            out.append(HostRoute(str(net), str(parse_address(nexthop, version, "host route nexthop"))))
    return sorted(set(out))


class SubnetService(NetworkingBase):
    def __init__(self, networks: NetworkService) -> None:
        super().__init__(networks._db, networks._enforcer, networks.ipam, networks.quotas)
        self._networks = networks

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str, network: str | None = None) -> Subnet | None:
        """The subnet with id ``ref``, or named ``ref`` (on ``network`` if given) that the caller sees."""
        self._enforce(ctx, "network:list_subnets")
        with self._db.read() as session:
            row = self._find_row(ctx, session, ref, network)
            return None if row is None else self.ipam.get_subnet(session, row.id)

    def get(self, ctx: Context, ref: str, network: str | None = None) -> Subnet:
        found = self.find(ctx, ref, network)
        return self._require(found, "subnet", ref)

    def list(self, ctx: Context, network: str | None = None) -> list[Subnet]:
        self._enforce(ctx, "network:list_subnets")
        with self._db.read() as session:
            query = select(m.Subnet).order_by(m.Subnet.name, m.Subnet.created_at, m.Subnet.id)
            if network is not None:
                query = query.where(m.Subnet.network_id == self._network_row(ctx, session, network).id)
            rows = session.scalars(query).all()
            return [self.ipam.get_subnet(session, r.id) for r in rows if self._subnet_visible(ctx, session, r)]

    def _network_row(self, ctx: Context, session: Session, network: str) -> m.Network:
        return self._require(self._networks.find_visible_row(ctx, session, network), "network", network)

    def _find_row(self, ctx: Context, session: Session, ref: str, network: str | None = None) -> m.Subnet | None:
        """By id or name among the subnets the caller sees; only those of ``network`` when it is given."""
        if network is None:
            return self._lookup(ctx, session, m.Subnet, "subnet", ref, lambda r: self._subnet_visible(ctx, session, r))
        network_id = self._network_row(ctx, session, network).id
        row = session.get(m.Subnet, ref)
        if row is not None:
            return row if row.network_id == network_id and self._subnet_visible(ctx, session, row) else None
        query = select(m.Subnet).where(m.Subnet.network_id == network_id, m.Subnet.name == ref)
        rows = [r for r in session.scalars(query).all() if self._subnet_visible(ctx, session, r)]
        if len(rows) > 1:
            raise Conflict("several subnets of network %s are named %r; use the id" % (network, ref))
        return rows[0] if rows else None

    # --- writing -------------------------------------------------------------------------------------
    def create(
        self,
        ctx: Context,
        network: str,
        cidr: str,
        *,
        name: str = "",
        ip_version: int | None = None,
        gateway_ip: str | None = AUTO,
        allocation_pools: Iterable[tuple[str, str]] | None = None,
        dns_nameservers: Sequence[str] = (),
        host_routes: Iterable[tuple[str, str]] = (),
        enable_dhcp: bool = True,
    ) -> Subnet:
        """A subnet of ``network`` (id or name), owned by the network's project."""
        check_name("subnet", name)
        with field_of("cidr"):
            net = parse_cidr(cidr)
        if ip_version is not None and ip_version != net.version:
            raise ValidationError("ip_version: %s is an IPv%d CIDR, not IPv%d" % (cidr, net.version, ip_version),
                                  field="ip_version")  # fmt: skip
        with field_of("gateway_ip"):
            gateway = (
                default_gateway(net)
                if gateway_ip == AUTO
                else None if gateway_ip is None else check_gateway(net, gateway_ip)
            )
        pools = None if allocation_pools is None else [(str(a), str(b)) for a, b in allocation_pools]
        if pools is not None:
            with field_of("allocation_pools"):
                check_pools(net, gateway, pools)
        dns = check_dns(dns_nameservers)
        routes = check_routes(net.version, host_routes)
        with self._db.write() as session:
            network_row = self._network_row(ctx, session, network)
            self._enforce(ctx, "network:create_subnet", {"project_id": network_row.project_id})
            with self.quotas.reserve(session, network_row.project_id, subnets=1):
                made = self.ipam.create_subnet(
                    session, network_row.id, cidr, name=name, gateway_ip=gateway_ip,
                    allocation_pools=pools, dns_nameservers=dns,
                    host_routes=[(r.destination, r.nexthop) for r in routes], enable_dhcp=enable_dhcp,
                )  # fmt: skip
            LOG.info("created subnet %s (%s) on network %s", made.id, made.cidr, network_row.id)
            return made

    def update(
        self,
        ctx: Context,
        ref: str,
        *,
        name: str | None = None,
        allocation_pools: Iterable[tuple[str, str]] | None = None,
        dns_nameservers: Sequence[str] | None = None,
        host_routes: Iterable[tuple[str, str]] | None = None,
        enable_dhcp: bool | None = None,
    ) -> Subnet:
        """Change what may change; ``dns_nameservers`` and ``host_routes`` are replaced as given."""
        with self._db.write() as session:
            row = self._require(self._find_row(ctx, session, ref), "subnet", ref)
            self._enforce(ctx, "network:update_subnet", {"project_id": row.project_id})
            if name is not None:
                row.name = check_name("subnet", name)
            if enable_dhcp is not None:
                row.enable_dhcp = enable_dhcp
            if allocation_pools is not None:
                self._replace_pools(session, row, allocation_pools)
            if dns_nameservers is not None:
                session.execute(delete(m.SubnetDnsNameserver).where(m.SubnetDnsNameserver.subnet_id == row.id))
                session.add_all(m.SubnetDnsNameserver(subnet_id=row.id, address=a, position=i)
                                for i, a in enumerate(check_dns(dns_nameservers)))  # fmt: skip
            if host_routes is not None:
                session.execute(delete(m.SubnetHostRoute).where(m.SubnetHostRoute.subnet_id == row.id))
                session.add_all(m.SubnetHostRoute(subnet_id=row.id, destination=r.destination, nexthop=r.nexthop)
                                for r in check_routes(row.ip_version, host_routes))  # fmt: skip
            session.flush()
            LOG.info("updated subnet %s (%s)", row.id, row.cidr)
            return self.ipam.get_subnet(session, row.id)

    def _replace_pools(self, session: Session, row: m.Subnet, pools: Iterable[tuple[str, str]]) -> None:
        """New pools; addresses already handed out stay where they are (as in Neutron)."""
        gateway = None if row.gateway_ip is None else address_value(row.gateway_ip)
        with field_of("allocation_pools"):
            checked = check_pools(parse_cidr(row.cidr), gateway, [(str(a), str(b)) for a, b in pools])
        session.execute(delete(m.AllocationPool).where(m.AllocationPool.subnet_id == row.id))
        for pool in checked:
            first, last = pool.text()
            session.add(m.AllocationPool(subnet_id=row.id, first_ip=first, last_ip=last, next_ip=first))

    def delete(self, ctx: Context, ref: str) -> None:
        """Delete a subnet none of whose addresses is held (by a port, a router interface or gateway,
        a floating IP); the message names what holds them."""
        with self._db.write() as session:
            row = self._require(self._find_row(ctx, session, ref), "subnet", ref)
            self._enforce(ctx, "network:delete_subnet", {"project_id": row.project_id})
            holders = session.scalars(
                select(m.Port).join(m.IpAllocation, m.IpAllocation.port_id == m.Port.id)
                .where(m.IpAllocation.subnet_id == row.id).order_by(m.Port.created_at).distinct()
            ).all()  # fmt: skip
            if holders:
                raise NetworkInUse(
                    "subnet %s (%s) is in use by %s; delete those first"
                    % (row.name or row.id, row.cidr, describe_users([describe_port(p) for p in holders]))
                )
            self.ipam.delete_subnet(session, row.id)
            self.quotas.release(session, row.project_id, subnets=1)
            LOG.info("deleted subnet %s (%s)", row.id, row.cidr)
