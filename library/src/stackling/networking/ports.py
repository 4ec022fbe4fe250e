"""Ports through the policy: a MAC (``fa:16:3e`` plus three random octets, or a given one) and
fixed IPs on a network the caller's project owns or that is shared. ``device_id`` /
``device_owner`` say what uses the port; owners starting with ``network:`` are the cloud's own
(router interfaces and gateways, floating IPs) and are set by the routers and floating IPs, or
by a cloud admin. Counted in the ``ports`` quota (router interface ports too; the ports that
hold floating IPs and router gateways on external networks are not)."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict, ValidationError
from stackling.ipam.pools import parse_address
from stackling.networking._base import INTERNAL_OWNERS, NetworkingBase, check_name, describe_port, field_of
from stackling.networking.networks import NetworkService
from stackling.networking.plumbing import RouterPlumbing, disassociate_from_ports
from stackling.networking.types import FixedIp, FixedIpRequest, Port

LOG = logging.getLogger(__name__)
CLOUD_OWNER = "network:"


def counted(device_owner: str) -> bool:
    """Whether a port with this owner counts in its project's ``ports`` quota."""
    return device_owner not in INTERNAL_OWNERS


class PortService(NetworkingBase):
    def __init__(self, networks: NetworkService, plumbing: RouterPlumbing | None = None) -> None:
        super().__init__(networks._db, networks._enforcer, networks.ipam, networks.quotas)
        self._networks = networks
        self.plumbing = plumbing  # routers whose floating IPs pointed at a deleted port; None: records only

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str) -> Port | None:
        self._enforce(ctx, "network:list_ports")
        with self._db.read() as session:
            row = self._find_row(ctx, session, ref)
            return None if row is None else self.ipam.get_port(session, row.id)

    def get(self, ctx: Context, ref: str) -> Port:
        return self._require(self.find(ctx, ref), "port", ref)

    def list(self, ctx: Context, network: str | None = None, device_id: str | None = None) -> list[Port]:
        self._enforce(ctx, "network:list_ports")
        with self._db.read() as session:
            query = select(m.Port).order_by(m.Port.name, m.Port.created_at, m.Port.id)
            if network is not None:
                net = self._require(self._networks.find_visible_row(ctx, session, network), "network", network)
                query = query.where(m.Port.network_id == net.id)
            if device_id is not None:
                query = query.where(m.Port.device_id == device_id)
            rows = session.scalars(query).all()
            return [self.ipam.get_port(session, row.id) for row in rows if self._port_visible(ctx, row)]

    def _find_row(self, ctx: Context, session: Session, ref: str) -> m.Port | None:
        return self._lookup(ctx, session, m.Port, "port", ref, lambda row: self._port_visible(ctx, row))

    # --- writing -------------------------------------------------------------------------------------
    def create(
        self,
        ctx: Context,
        network: str,
        *,
        name: str = "",
        fixed_ips: Sequence[FixedIpRequest] | None = None,
        mac_address: str | None = None,
        device_id: str = "",
        device_owner: str = "",
        project: str | None = None,
    ) -> Port:
        """A port on ``network`` (id or name). ``fixed_ips``: None gives one address of the first IPv4
        and of the first IPv6 subnet; a request's ``subnet_id`` may be a subnet's id or name."""
        check_name("port", name)
        with self._db.write() as session:
            project_id = self._owner(ctx, session, project)
            net = self._require(self._networks.find_visible_row(ctx, session, network), "network", network)
            self._enforce(ctx, "network:create_port", {"project_id": project_id})
            self._check_device_owner(ctx, project_id, device_owner)
            if net.project_id != project_id and not net.shared:
                self._enforce(ctx, "network:create_port_on_any_network", {"project_id": net.project_id})
            requests = None if fixed_ips is None else self._requests(session, net.id, fixed_ips)
            with self.quotas.reserve(session, project_id, ports=1 if counted(device_owner) else 0):
                with field_of("fixed_ips"):
                    made = self.ipam.create_port(session, net.id, project_id, fixed_ips=requests, name=name,
                                                 mac_address=mac_address, device_id=device_id,
                                                 device_owner=device_owner)  # fmt: skip
            LOG.info("created port %s (%s) on network %s", made.id, made.mac_address, net.id)
            return made

    def update(
        self,
        ctx: Context,
        ref: str,
        *,
        name: str | None = None,
        fixed_ips: Sequence[FixedIpRequest] | None = None,
        device_id: str | None = None,
        device_owner: str | None = None,
    ) -> Port:
        """Change the name, device, or the fixed IPs (exactly ``fixed_ips``: requests a current address
        satisfies are kept, the others are allocated, addresses no request asks for are released)."""
        with self._db.write() as session:
            row = self._require(self._find_row(ctx, session, ref), "port", ref)
            self._enforce(ctx, "network:update_port", {"project_id": row.project_id})
            if name is not None:
                row.name = check_name("port", name)
            if device_owner is not None and device_owner != row.device_owner:
                self._check_device_owner(ctx, row.project_id, device_owner)
                self._check_not_cloud_owned(ctx, row, "its device_owner")
                row.device_owner = device_owner
            if device_id is not None:
                row.device_id = device_id
            session.flush()
            if fixed_ips is not None:
                self._set_fixed_ips(ctx, session, row, self._requests(session, row.network_id, fixed_ips))
            LOG.info("updated port %s", row.id)
            return self.ipam.get_port(session, row.id)

    def delete(self, ctx: Context, ref: str) -> None:
        """Delete a port (floating IPs pointing at it are disassociated, as in Neutron). The ports of
        routers and floating IPs go with those."""
        with self._db.write() as session:
            row = self._require(self._find_row(ctx, session, ref), "port", ref)
            self._enforce(ctx, "network:delete_port", {"project_id": row.project_id})
            if row.device_owner.startswith(CLOUD_OWNER):
                raise Conflict("port %s is the %s: remove it there" % (row.id, describe_port(row)))
            routers = disassociate_from_ports(session, [row.id])
            self.ipam.delete_port(session, row.id)
            if counted(row.device_owner):
                self.quotas.release(session, row.project_id, ports=1)
            LOG.info("deleted port %s", row.id)
        if routers and self.plumbing is not None:  # the floating IPs' NAT goes too
            self.plumbing.converge_quietly(routers)

    # --- helpers -------------------------------------------------------------------------------------
    def _check_device_owner(self, ctx: Context, project_id: str, device_owner: str) -> None:
        if device_owner.startswith(CLOUD_OWNER):
            self._enforce(ctx, "network:set_cloud_device_owner", {"project_id": project_id})

    def _check_not_cloud_owned(self, ctx: Context, row: m.Port, what: str) -> None:
        if row.device_owner.startswith(CLOUD_OWNER):
            raise Conflict("port %s is the %s: %s cannot change" % (row.id, describe_port(row), what))

    def _requests(
        self, session: Session, network_id: str, wanted: Sequence[FixedIpRequest]
    ) -> Sequence[FixedIpRequest]:
        """The requests with subnet names turned into ids (subnets of the port's network only)."""
        subnets = session.scalars(select(m.Subnet).where(m.Subnet.network_id == network_id)).all()
        out = []
        for request in wanted:
            subnet_id = request.subnet_id
            if subnet_id is not None:
                match = [s.id for s in subnets if subnet_id in (s.id, s.name)]
                if len(match) != 1:
                    raise ValidationError(
                        "fixed_ips: %s subnet %r on the port's network"
                        % ("no" if not match else "more than one", subnet_id),
                        field="fixed_ips",
                    )
                subnet_id = match[0]
            address = request.ip_address
            if address is not None:
                with field_of("fixed_ips"):
                    address = str(parse_address(address))
            out.append(FixedIpRequest(subnet_id=subnet_id, ip_address=address))
        return out

    def _set_fixed_ips(self, ctx: Context, session: Session, row: m.Port, wanted: Sequence[FixedIpRequest]) -> None:
        current = list(self.ipam.get_port(session, row.id).fixed_ips)
        keep: builtins.list[FixedIp] = []
        missing: builtins.list[FixedIpRequest] = []
        for request in wanted:
            match = next((ip for ip in current if ip not in keep and _satisfies(ip, request)), None)
            if match is None:
                missing.append(request)
            else:
                keep.append(match)
        drop = [ip for ip in current if ip not in keep]
        if not drop and not missing:
            return
        self._check_not_cloud_owned(ctx, row, "its fixed IPs")
        for ip in drop:
            pointing = (m.FloatingIp.fixed_port_id == row.id) & (m.FloatingIp.fixed_ip_address == ip.ip_address)
            fip = session.scalars(select(m.FloatingIp.id).where(pointing)).first()
            if fip is not None:
                raise Conflict(
                    "fixed_ips: %s of port %s has floating IP %s; disassociate it first" % (ip.ip_address, row.id, fip)
                )
            self.ipam.release_ip(session, row.id, ip.ip_address)
        with field_of("fixed_ips"):
            for request in missing:
                self.ipam.add_fixed_ip(session, row.id, request)


def _satisfies(ip: FixedIp, request: FixedIpRequest) -> bool:
    if request.subnet_id is not None and request.subnet_id != ip.subnet_id:
        return False
    return request.ip_address is None or request.ip_address == ip.ip_address
