"""Routers through the policy: an external gateway (a port with an address on an external
network; SNAT on by default, turning it off is for cloud admins as in Neutron) and interfaces on
the project's subnets (each takes the subnet's gateway address). One router never connects
overlapping subnets, its gateway's included (stackling.ipam.check_router_subnets); a subnet is on
at most one router. Counted in the ``routers`` quota; interface ports in ``ports``.

Every change of one call happens in one transaction: a router is never left half made. Once it is
committed, the network host is brought in line through the conductor (stackling.networking.plumbing:
namespace, ports, SNAT and floating IPs). A router whose node work fails on creation is taken
back (records and node side); a failed update or delete raises NodeWorkFailed and leaves the
records as the error says, and ``converge`` (what the cloud module runs on every present run)
retries the node side.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict, ValidationError
from stackling.ipam import check_router_subnets
from stackling.ipam.types import FixedIp, FixedIpRequest, SubnetInfo
from stackling.networking._base import ROUTER_GATEWAY, ROUTER_INTERFACE, NetworkingBase, check_name, describe_users
from stackling.networking.networks import NetworkService
from stackling.networking.plumbing import NodeWorkFailed, RouterPlumbing
from stackling.networking.subnets import SubnetService
from stackling.networking.types import Router, RouterGateway, RouterInterface

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class GatewayRequest:
    """The external gateway wanted: an external network (id or name), SNAT on or off."""

    network: str
    enable_snat: bool = True


def router_for(session: Session, external_network_id: str, subnet_id: str) -> str | None:
    """The router that reaches ``subnet_id`` from ``external_network_id`` (an interface on the subnet
    and a gateway on the network), if any: the router that does a floating IP's NAT."""
    return session.scalars(
        select(m.Router.id)
        .join(m.RouterInterface, m.RouterInterface.router_id == m.Router.id)
        .where(m.RouterInterface.subnet_id == subnet_id, m.Router.external_network_id == external_network_id)
    ).first()


class RouterService(NetworkingBase):
    def __init__(
        self, networks: NetworkService, subnets: SubnetService, plumbing: RouterPlumbing | None = None
    ) -> None:
        super().__init__(networks._db, networks._enforcer, networks.ipam, networks.quotas)
        self._networks = networks
        self._subnets = subnets
        self.plumbing = plumbing  # None: records only

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str, project: str | None = None) -> Router | None:
        """The router with id ``ref``, or named ``ref`` (in ``project`` first, default the caller's)."""
        self._enforce(ctx, "network:list_routers")
        with self._db.read() as session:
            row = self._find_row(ctx, session, ref, project)
            return None if row is None else _router(session, row)

    def get(self, ctx: Context, ref: str) -> Router:
        return self._require(self.find(ctx, ref), "router", ref)

    def list(self, ctx: Context) -> list[Router]:
        self._enforce(ctx, "network:list_routers")
        with self._db.read() as session:
            rows = session.scalars(select(m.Router).order_by(m.Router.name, m.Router.created_at, m.Router.id)).all()
            return [_router(session, r) for r in rows if self._may(ctx, "network:get_router", r.project_id)]

    def _find_row(self, ctx: Context, session: Session, ref: str, project: str | None = None) -> m.Router | None:
        project_id = None if project is None else self._owner(ctx, session, project)
        return self._lookup(
            ctx, session, m.Router, "router", ref, lambda row: self._may(ctx, "network:get_router", row.project_id),
            project_id,
        )  # fmt: skip

    # --- writing -------------------------------------------------------------------------------------
    def create(
        self,
        ctx: Context,
        name: str,
        *,
        project: str | None = None,
        external_gateway: GatewayRequest | None = None,
        interfaces: Iterable[str] = (),
    ) -> Router:
        """A router with its gateway and interfaces (subnet ids or names), in one transaction."""
        check_name("router", name)
        with self._db.write() as session:
            project_id = self._owner(ctx, session, project)
            self._enforce(ctx, "network:create_router", {"project_id": project_id})
            with self.quotas.reserve(session, project_id, routers=1):
                row = m.Router(id=m.new_id(), project_id=project_id, name=name, enable_snat=True,
                               created_at=self.ipam._clock())  # fmt: skip
                session.add(row)
                session.flush()
                if external_gateway is not None:
                    self._set_gateway(ctx, session, row, external_gateway)
                for subnet in interfaces:
                    self._add_interface(ctx, session, row, subnet)
            LOG.info("created router %s (%s) in project %s", row.id, name, project_id)
            made = _router(session, row)
        try:
            self._converge([made.id])
        except BaseException:
            self._take_back(made.id)
            raise
        return made

    def update(
        self,
        ctx: Context,
        ref: str,
        *,
        name: str | None = None,
        external_gateway: GatewayRequest | None = None,
        clear_gateway: bool = False,
        add_interfaces: Sequence[str] = (),
        remove_interfaces: Sequence[str] = (),
    ) -> Router:
        """Rename, set or change the gateway (or clear it), add and remove interfaces (subnet ids or
        names): all or nothing. Removing comes first, so one call may swap overlapping subnets."""
        with self._db.write() as session:
            row = self._require(self._find_row(ctx, session, ref), "router", ref)
            self._enforce(ctx, "network:update_router", {"project_id": row.project_id})
            before = _networks_of(session, row)
            if name is not None:
                row.name = check_name("router", name)
            for subnet in remove_interfaces:
                self._remove_interface(ctx, session, row, subnet)
            if clear_gateway:
                self._clear_gateway(session, row)
            elif external_gateway is not None:
                self._set_gateway(ctx, session, row, external_gateway)
            for subnet in add_interfaces:
                self._add_interface(ctx, session, row, subnet)
            session.flush()
            LOG.info("updated router %s (%s)", row.id, row.name)
            updated = _router(session, row)
        try:
            self._converge([updated.id], before)
        except NodeWorkFailed as exc:
            raise NodeWorkFailed("router %s: the change is saved, but the network host does not match it yet (%s); "
                                 "run the same change again to retry" % (updated.name or updated.id, exc)) from None
        return updated

    def converge(self, ctx: Context, ref: str) -> bool:
        """Bring the network host in line with the router's records (a retry after a failed node
        run). True if anything changed there; False too when the caller may not update the router."""
        with self._db.read() as session:
            row = self._require(self._find_row(ctx, session, ref), "router", ref)
            if not self._may(ctx, "network:update_router", row.project_id):
                return False
            router_id = row.id
        return self._converge([router_id])

    def delete(self, ctx: Context, ref: str) -> None:
        """Delete a router without interfaces (its gateway goes with it): on the network host first,
        then the records."""
        with self._db.read() as session:
            row = self._require(self._find_row(ctx, session, ref), "router", ref)
            self._enforce(ctx, "network:delete_router", {"project_id": row.project_id})
            subnets = self._interface_subnets(session, row.id)
            if subnets:
                raise Conflict(
                    "router %s still has interfaces on subnet(s) %s; remove them first"
                    % (row.name or row.id, describe_users(["%s (%s)" % (s.id, s.cidr) for s in subnets]))
                )
            router_id, label = row.id, row.name or row.id
        if self.plumbing is not None:  # the node side first: a failure leaves the router as it was
            try:
                self.plumbing.remove(router_id)
            except NodeWorkFailed as exc:
                raise NodeWorkFailed("router %s is kept: removing it from the network host failed (%s); delete it "
                                     "again to retry" % (label, exc)) from None
        self._delete_rows(router_id, taking_back=False)

    def _delete_rows(self, router_id: str, taking_back: bool) -> None:
        with self._db.write() as session:
            row = session.get(m.Router, router_id)
            if row is None:
                return
            networks = _networks_of(session, row)
            for subnet_id in _interface_subnet_ids(session, row.id):
                if not taking_back:  # an interface added while the node side was being removed
                    raise Conflict("router %s got an interface while it was being deleted; run the delete again"
                                   % (row.name or row.id))  # fmt: skip
                self._detach(session, row, subnet_id)
            self._clear_gateway(session, row)
            session.delete(row)
            session.flush()
            self.quotas.release(session, row.project_id, routers=1)
            LOG.info("deleted router %s (%s)", row.id, row.name)
        if self.plumbing is not None:
            self.plumbing.converge_quietly([], networks)

    def _take_back(self, router_id: str) -> None:
        """A router whose node work failed on creation: its node side and its records go."""
        if self.plumbing is not None:
            self.plumbing.remove_quietly(router_id)
        self._delete_rows(router_id, taking_back=True)

    def _converge(self, router_ids: Sequence[str], networks: Iterable[str] = ()) -> bool:
        return self.plumbing is not None and self.plumbing.converge(router_ids, networks)

    # --- the gateway ---------------------------------------------------------------------------------
    def _set_gateway(self, ctx: Context, session: Session, row: m.Router, wanted: GatewayRequest) -> None:
        network = self._networks.find_visible_row(ctx, session, wanted.network)
        if network is None or not network.external:
            raise ValidationError("external_gateway.network: %s is not an external network"
                                  % wanted.network, field="external_gateway")  # fmt: skip
        if self.plumbing is not None:
            self.plumbing.check_external(network)
        if not wanted.enable_snat and row.enable_snat:
            self._enforce(ctx, "network:disable_router_snat", {"project_id": row.project_id})
        row.enable_snat = wanted.enable_snat
        if row.external_network_id == network.id:
            return
        self._clear_gateway(session, row)
        port = self.ipam.create_port(session, network.id, row.project_id, device_id=row.id, device_owner=ROUTER_GATEWAY)
        if not port.fixed_ips:
            raise ValidationError("external_gateway.network: external network %s has no subnet" % network.name,
                                  field="external_gateway")  # fmt: skip
        row.external_network_id, row.gateway_port_id = network.id, port.id
        session.flush()
        self._check_overlap(session, row, [])

    def _clear_gateway(self, session: Session, row: m.Router) -> None:
        if row.gateway_port_id is None or row.external_network_id is None:
            return
        users = self._floating_ips_through(session, row, _interface_subnet_ids(session, row.id))
        if users:
            raise Conflict("floating IP(s) %s reach their ports through the gateway of router %s; disassociate them "
                           "first" % (describe_users(users), row.name or row.id))  # fmt: skip
        port_id = row.gateway_port_id
        row.external_network_id = row.gateway_port_id = None
        session.flush()
        self.ipam.delete_port(session, port_id)

    # --- interfaces ----------------------------------------------------------------------------------
    def _add_interface(self, ctx: Context, session: Session, row: m.Router, ref: str) -> None:
        subnet = self._subnets._find_row(ctx, session, ref)
        if subnet is None:
            raise ValidationError("interfaces: subnet %r not found" % ref, field="interfaces")
        network = session.get(m.Network, subnet.network_id)
        if network is not None and network.external:
            raise ValidationError("interfaces: subnet %s is on external network %s; use external_gateway"
                                  % (ref, network.name), field="interfaces")  # fmt: skip
        if subnet.project_id != row.project_id:
            self._enforce(ctx, "network:add_router_interface_any_subnet", {"project_id": subnet.project_id})
        taken = session.get(m.RouterInterface, subnet.id)
        if taken is not None:
            if taken.router_id == row.id:
                return
            raise Conflict("interfaces: subnet %s (%s) is already on router %s" % (ref, subnet.cidr, taken.router_id))
        self._check_overlap(session, row, [self.ipam.get_subnet(session, subnet.id)])
        request = FixedIpRequest(subnet_id=subnet.id, ip_address=subnet.gateway_ip)
        with self.quotas.reserve(session, row.project_id, ports=1):
            port = self.ipam.create_port(session, subnet.network_id, row.project_id, fixed_ips=[request],
                                         device_id=row.id, device_owner=ROUTER_INTERFACE)  # fmt: skip
            try:
                with session.begin_nested():  # a concurrent caller may have put the subnet on a router
                    session.add(m.RouterInterface(router_id=row.id, subnet_id=subnet.id, port_id=port.id))
            except IntegrityError:
                raise Conflict(
                    "interfaces: subnet %s (%s) was just put on another router" % (ref, subnet.cidr)
                ) from None

    def _remove_interface(self, ctx: Context, session: Session, row: m.Router, ref: str) -> None:
        subnet = self._subnets._find_row(ctx, session, ref)
        interface = None if subnet is None else session.get(m.RouterInterface, subnet.id)
        if subnet is None or interface is None or interface.router_id != row.id:
            raise ValidationError("interfaces: router %s has no interface on subnet %r" % (row.name or row.id, ref),
                                  field="interfaces")  # fmt: skip
        users = self._floating_ips_through(session, row, [subnet.id])
        if users:
            raise Conflict("interfaces: floating IP(s) %s reach subnet %s through router %s; disassociate them first"
                           % (describe_users(users), subnet.cidr, row.name or row.id))  # fmt: skip
        self._detach(session, row, subnet.id)

    def _detach(self, session: Session, row: m.Router, subnet_id: str) -> None:
        interface = session.get(m.RouterInterface, subnet_id)
        assert interface is not None
        port_id = interface.port_id
        session.delete(interface)
        session.flush()
        self.ipam.delete_port(session, port_id)
        self.quotas.release(session, row.project_id, ports=1)

    def _interface_subnets(self, session: Session, router_id: str) -> builtins.list[SubnetInfo]:
        return [self.ipam.get_subnet(session, subnet_id) for subnet_id in _interface_subnet_ids(session, router_id)]

    def _check_overlap(self, session: Session, row: m.Router, new: builtins.list[SubnetInfo]) -> None:
        """SubnetOverlap when the router's subnets (interfaces, gateway) plus ``new`` overlap."""
        connected = self._interface_subnets(session, row.id)
        if row.gateway_port_id is not None:
            gateway = self.ipam.get_port(session, row.gateway_port_id)
            connected += [self.ipam.get_subnet(session, ip.subnet_id) for ip in gateway.fixed_ips]
        check_router_subnets(connected + new)

    def _floating_ips_through(
        self, session: Session, row: m.Router, subnet_ids: builtins.list[str]
    ) -> builtins.list[str]:
        """Floating IPs on the router's external network associated with an address of ``subnet_ids``."""
        if row.external_network_id is None or not subnet_ids:
            return []
        return list(session.scalars(
            select(m.FloatingIp.address)
            .join(m.IpAllocation, (m.IpAllocation.port_id == m.FloatingIp.fixed_port_id)
                  & (m.IpAllocation.address == m.FloatingIp.fixed_ip_address))
            .where(m.FloatingIp.network_id == row.external_network_id, m.IpAllocation.subnet_id.in_(subnet_ids))
            .order_by(m.FloatingIp.address)
        ).all())  # fmt: skip


def _networks_of(session: Session, row: m.Router) -> list[str]:
    """The networks the router has ports on (its gateway's and its interfaces')."""
    networks = [row.external_network_id] if row.external_network_id else []
    return networks + list(session.scalars(
        select(m.Subnet.network_id).join(m.RouterInterface, m.RouterInterface.subnet_id == m.Subnet.id)
        .where(m.RouterInterface.router_id == row.id)
    ).all())  # fmt: skip


def _interface_subnet_ids(session: Session, router_id: str) -> list[str]:
    return list(session.scalars(
        select(m.RouterInterface.subnet_id).where(m.RouterInterface.router_id == router_id)
        .order_by(m.RouterInterface.subnet_id)
    ).all())  # fmt: skip


def _router(session: Session, row: m.Router) -> Router:
    gateway = None
    if row.gateway_port_id is not None and row.external_network_id is not None:
        ips = session.execute(
            select(m.IpAllocation.subnet_id, m.IpAllocation.address).where(
                m.IpAllocation.port_id == row.gateway_port_id
            )
        ).all()
        fixed = sorted((FixedIp(s, a) for s, a in ips), key=lambda ip: (":" in ip.ip_address, ip.ip_address))
        gateway = RouterGateway(row.external_network_id, row.gateway_port_id, row.enable_snat, tuple(fixed))
    interfaces = session.execute(
        select(m.RouterInterface.subnet_id, m.RouterInterface.port_id, m.IpAllocation.address)
        .join(m.IpAllocation, (m.IpAllocation.port_id == m.RouterInterface.port_id)
              & (m.IpAllocation.subnet_id == m.RouterInterface.subnet_id))
        .where(m.RouterInterface.router_id == row.id).order_by(m.RouterInterface.subnet_id)
    ).all()  # fmt: skip
    return Router(row.id, row.project_id, row.name, gateway,
                  tuple(RouterInterface(s, p, a) for s, p, a in interfaces))  # fmt: skip
