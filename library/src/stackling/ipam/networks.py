"""Networks (with their segment: a VNI from the pool for tenant VXLAN networks) and subnets
(CIDR, gateway, allocation pools, DNS servers, host routes)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.allocation_errors import NetworkInUse, SegmentationIdExhausted, SubnetOverlap
from stackling.clock import Clock
from stackling.db import models as m
from stackling.db.engine import ensure_write_transaction
from stackling.db.models.base import new_id
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.ipam.config import MAX_VNI, IpamConfig
from stackling.ipam.pools import (
    Pool,
    address_text,
    check_gateway,
    check_pools,
    default_gateway,
    default_pools,
    parse_address,
    parse_cidr,
)
from stackling.ipam.segments import VXLAN, lowest_free_vni
from stackling.ipam.types import HostRoute, NetworkInfo, SubnetInfo

NETWORK_TYPES = ("vxlan", "vlan", "flat", "local")
AUTO = "auto"  # gateway_ip="auto": the first usable address


class IpamBase:
    def __init__(self, config: IpamConfig, clock: Clock, rng: random.Random | None = None) -> None:
        self.config = config
        self._clock = clock
        self.rng = rng or random.SystemRandom()


class NetworkOps(IpamBase):
    # --- networks ----------------------------------------------------------------------------------
    def create_network(
        self,
        session: Session,
        project_id: str,
        name: str,
        network_type: str = VXLAN,
        segmentation_id: int | None = None,
        physical_network: str = "",
        external: bool = False,
        shared: bool = False,
        mtu: int | None = None,
    ) -> NetworkInfo:
        """A network. A VXLAN network without ``segmentation_id`` takes the lowest free VNI of
        ``ipam.vni_ranges``; VLAN needs a physical network and an id; flat needs a physical network."""
        ensure_write_transaction(session)
        _check_segment(network_type, segmentation_id, physical_network)
        if mtu is None:
            mtu = self.config.tunnel_mtu if network_type == VXLAN else self.config.physical_mtu
        for _attempt in range(self.config.allocation_retries):
            vni = segmentation_id
            if network_type == VXLAN and vni is None:
                vni = lowest_free_vni(session, self.config.vni_ranges)
                if vni is None:
                    raise SegmentationIdExhausted(
                        "every VNI of ipam.vni_ranges %s is in use" % (self.config.vni_ranges,)
                    )
            row = m.Network(
                id=new_id(), project_id=project_id, name=name, external=external, shared=shared,
                network_type=network_type, physical_network=physical_network, segmentation_id=vni, mtu=mtu,
                created_at=self._clock(),
            )  # fmt: skip
            try:
                with session.begin_nested():
                    session.add(row)
                return _network_info(row)
            except IntegrityError:  # the segment was taken meanwhile
                if segmentation_id is not None:
                    raise Conflict(
                        "%s segment %s is in use by another network" % (network_type, segmentation_id)
                    ) from None
        raise SegmentationIdExhausted("could not take a free VNI after %d tries" % self.config.allocation_retries)

    def get_network(self, session: Session, network_id: str) -> NetworkInfo:
        return _network_info(self._network_row(session, network_id))

    def delete_network(self, session: Session, network_id: str) -> None:
        """Delete a network with no ports (its subnets go with it); its VNI returns to the pool."""
        ensure_write_transaction(session)
        row = self._network_row(session, network_id)
        if session.scalar(select(exists().where(m.Port.network_id == row.id))):
            raise NetworkInUse("network %s still has ports" % row.name)
        session.delete(row)
        session.flush()

    def _network_row(self, session: Session, network_id: str) -> m.Network:
        row = session.get(m.Network, network_id)
        if row is None:
            raise NotFound("network", network_id)
        return row

    # --- subnets -----------------------------------------------------------------------------------
    def create_subnet(
        self,
        session: Session,
        network_id: str,
        cidr: str,
        project_id: str | None = None,
        name: str = "",
        gateway_ip: str | None = AUTO,
        allocation_pools: Iterable[tuple[str, str]] | None = None,
        dns_nameservers: Sequence[str] = (),
        host_routes: Iterable[tuple[str, str]] = (),
        enable_dhcp: bool = True,
    ) -> SubnetInfo:
        """A subnet. ``gateway_ip``: "auto" (first usable address), None (no gateway) or an
        address. ``allocation_pools``: (start, end) pairs; default: the usable range minus the
        gateway. Refused if it overlaps another subnet of the same network."""
        ensure_write_transaction(session)
        network = self._network_row(session, network_id)
        net = parse_cidr(cidr)
        gateway = (
            default_gateway(net)
            if gateway_ip == AUTO
            else None if gateway_ip is None else check_gateway(net, gateway_ip)
        )
        pools = default_pools(net, gateway) if allocation_pools is None else check_pools(net, gateway, allocation_pools)
        dns = [str(parse_address(server, what="DNS server")) for server in dns_nameservers]
        if len(set(dns)) != len(dns):
            raise ValidationError("a DNS server is listed twice")
        routes = [_route(destination, nexthop) for destination, nexthop in host_routes]
        for other in self.subnets(session, network.id):
            if parse_cidr(other.cidr) in net or net in parse_cidr(other.cidr):
                raise SubnetOverlap(str(net), other.cidr, "subnets of one network may not overlap")
        row = m.Subnet(
            id=new_id(), network_id=network.id, project_id=project_id or network.project_id, name=name,
            ip_version=net.version, cidr=str(net), enable_dhcp=enable_dhcp, created_at=self._clock(),
            gateway_ip=None if gateway is None else address_text(gateway, net.version),
        )  # fmt: skip
        session.add(row)
        session.flush()
        session.add_all(_pool_row(row.id, pool) for pool in pools)
        session.add_all(m.SubnetDnsNameserver(subnet_id=row.id, address=a, position=i) for i, a in enumerate(dns))
        session.add_all(
            m.SubnetHostRoute(subnet_id=row.id, destination=r.destination, nexthop=r.nexthop) for r in routes
        )
        session.flush()
        return self.get_subnet(session, row.id)

    def get_subnet(self, session: Session, subnet_id: str) -> SubnetInfo:
        row = session.get(m.Subnet, subnet_id)
        if row is None:
            raise NotFound("subnet", subnet_id)
        return _subnet_info(session, row)

    def subnets(self, session: Session, network_id: str) -> list[SubnetInfo]:
        rows = session.scalars(
            select(m.Subnet).where(m.Subnet.network_id == network_id).order_by(m.Subnet.created_at, m.Subnet.id)
        )
        return [_subnet_info(session, row) for row in rows]

    def delete_subnet(self, session: Session, subnet_id: str) -> None:
        """Delete a subnet none of whose addresses is allocated."""
        ensure_write_transaction(session)
        row = session.get(m.Subnet, subnet_id)
        if row is None:
            raise NotFound("subnet", subnet_id)
        if session.scalar(select(exists().where(m.IpAllocation.subnet_id == row.id))):
            raise NetworkInUse("subnet %s still has allocated addresses" % row.cidr)
        session.delete(row)
        session.flush()


def _check_segment(network_type: str, segmentation_id: int | None, physical_network: str) -> None:
    if network_type not in NETWORK_TYPES:
        raise ValidationError("network type %r: expected one of %s" % (network_type, ", ".join(NETWORK_TYPES)))
    if network_type == VXLAN:
        if physical_network:
            raise ValidationError("a VXLAN network has no physical network")
        if segmentation_id is not None and not 1 <= segmentation_id <= MAX_VNI:
            raise ValidationError("VNI %d is outside 1-%d" % (segmentation_id, MAX_VNI))
    elif network_type == "vlan":
        if not physical_network or segmentation_id is None or not 1 <= segmentation_id <= 4094:
            raise ValidationError("a VLAN network needs a physical network and a VLAN id in 1-4094")
    elif segmentation_id is not None:
        raise ValidationError("a %s network has no segmentation id" % network_type)
    elif network_type == "flat" and not physical_network:
        raise ValidationError("a flat network needs a physical network")


def _route(destination: str, nexthop: str) -> HostRoute:
    net = parse_cidr(destination)
    hop = parse_address(nexthop, net.version, "host route nexthop")
    return HostRoute(str(net), str(hop))


def _pool_row(subnet_id: str, pool: Pool) -> m.AllocationPool:
    first, last = pool.text()
    return m.AllocationPool(subnet_id=subnet_id, first_ip=first, last_ip=last, next_ip=first)


def _network_info(row: m.Network) -> NetworkInfo:
    return NetworkInfo(
        row.id, row.project_id, row.name, row.external, row.shared, row.network_type, row.physical_network,
        row.segmentation_id, row.mtu,
    )  # fmt: skip


def _subnet_info(session: Session, row: m.Subnet) -> SubnetInfo:
    pools = session.execute(
        select(m.AllocationPool.first_ip, m.AllocationPool.last_ip)
        .where(m.AllocationPool.subnet_id == row.id)
        .order_by(m.AllocationPool.id)
    ).all()
    dns = session.scalars(
        select(m.SubnetDnsNameserver.address)
        .where(m.SubnetDnsNameserver.subnet_id == row.id)
        .order_by(m.SubnetDnsNameserver.position)
    ).all()
    routes = session.execute(
        select(m.SubnetHostRoute.destination, m.SubnetHostRoute.nexthop).where(m.SubnetHostRoute.subnet_id == row.id)
    ).all()
    return SubnetInfo(
        row.id, row.network_id, row.project_id, row.name, row.ip_version, row.cidr, row.gateway_ip,
        tuple((first, last) for first, last in pools), tuple(dns),
        tuple(sorted(HostRoute(d, n) for d, n in routes)), row.enable_dhcp,
    )  # fmt: skip
