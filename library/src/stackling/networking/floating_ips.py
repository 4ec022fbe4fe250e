"""Floating IPs through the policy: allocated from an external network's IPv4 subnets to a
project (counted in the ``floating_ips`` quota), associated with an IPv4 address of one of that
project's ports, disassociated, released. As in Neutron an association needs a router that
reaches the port: an interface on the address's subnet and a gateway on the floating IP's
network; otherwise it is refused, saying so. Asking for a particular address is for cloud admins
(Neutron's ``create_floatingip:floating_ip_address``).

Once a change is committed, the router doing the NAT (``router_id``; both routers when an
association moves) is brought in line on the network host (stackling.networking.plumbing). If that
fails, the change is taken back (the association as it was; a floating IP allocated by the call
released) and NodeWorkFailed says why. Releasing an associated floating IP disassociates it first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.context import Context
from stackling.db import models as m
from stackling.errors import NotFound, ValidationError
from stackling.networking._base import NetworkingBase
from stackling.networking.networks import NetworkService
from stackling.networking.plumbing import NodeWorkFailed, RouterPlumbing
from stackling.networking.ports import CLOUD_OWNER, PortService
from stackling.networking.routers import router_for
from stackling.networking.types import FloatingIp

LOG = logging.getLogger(__name__)


class FloatingIpService(NetworkingBase):
    def __init__(self, networks: NetworkService, ports: PortService, plumbing: RouterPlumbing | None = None) -> None:
        super().__init__(networks._db, networks._enforcer, networks.ipam, networks.quotas)
        self._networks = networks
        self._ports = ports
        self.plumbing = plumbing  # None: records only

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str) -> FloatingIp | None:
        """The floating IP with id or address ``ref`` if the caller may see it."""
        self._enforce(ctx, "network:list_floatingips")
        with self._db.read() as session:
            row = self._find_row(ctx, session, ref)
            return None if row is None else _record(session, row)

    def get(self, ctx: Context, ref: str) -> FloatingIp:
        return self._require(self.find(ctx, ref), "floating IP", ref)

    def list(self, ctx: Context, port: str | None = None, network: str | None = None) -> list[FloatingIp]:
        self._enforce(ctx, "network:list_floatingips")
        with self._db.read() as session:
            query = select(m.FloatingIp).order_by(m.FloatingIp.address, m.FloatingIp.id)
            if port is not None:
                found = self._ports._find_row(ctx, session, port)
                query = query.where(m.FloatingIp.fixed_port_id == (found.id if found is not None else ""))
            if network is not None:
                net = self._require(self._networks.find_visible_row(ctx, session, network), "network", network)
                query = query.where(m.FloatingIp.network_id == net.id)
            rows = session.scalars(query).all()
            return [_record(session, r) for r in rows if self._may(ctx, "network:get_floatingip", r.project_id)]

    def _find_row(self, ctx: Context, session: Session, ref: str) -> m.FloatingIp | None:
        row = session.get(m.FloatingIp, ref)
        if row is None:
            rows = session.scalars(select(m.FloatingIp).where(m.FloatingIp.address == ref)).all()
            row = rows[0] if len(rows) == 1 else None  # addresses are unique per external network
        return row if row is not None and self._may(ctx, "network:get_floatingip", row.project_id) else None

    # --- writing -------------------------------------------------------------------------------------
    def create(
        self,
        ctx: Context,
        network: str,
        *,
        floating_ip_address: str | None = None,
        port: str | None = None,
        fixed_ip_address: str | None = None,
        project: str | None = None,
    ) -> FloatingIp:
        """Allocate a floating IP from external ``network`` (and associate it with ``port``), in one transaction."""
        with self._db.write() as session:
            project_id = self._owner(ctx, session, project)
            self._enforce(ctx, "network:create_floatingip", {"project_id": project_id})
            if floating_ip_address is not None:
                self._enforce(ctx, "network:create_floatingip_with_address", {"project_id": project_id})
            net = self._networks.find_visible_row(ctx, session, network)
            if net is None or not net.external:
                raise ValidationError("network: %s is not an external network" % network, field="network")
            with self.quotas.reserve(session, project_id, floating_ips=1):
                made = self.ipam.create_floating_ip(session, net.id, project_id, ip_address=floating_ip_address)
                if port is not None:
                    row = session.get(m.FloatingIp, made.id)
                    assert row is not None
                    self._associate(ctx, session, row, port, fixed_ip_address)
            LOG.info("allocated floating IP %s (%s) to project %s", made.id, made.address, project_id)
            record = self._get(session, made.id)
        try:
            self._converge([record.router_id])
        except NodeWorkFailed as exc:
            self._release(record.id)
            self._converge_quietly([record.router_id])
            raise NodeWorkFailed("floating IP %s is not allocated: %s" % (record.floating_ip_address, exc)) from None
        return record

    def associate(self, ctx: Context, ref: str, port: str, fixed_ip_address: str | None = None) -> FloatingIp:
        """Point the floating IP at ``port``'s IPv4 address (the first one unless ``fixed_ip_address``)."""
        with self._db.write() as session:
            row = self._existing(ctx, session, ref)
            self._enforce(ctx, "network:update_floatingip", {"project_id": row.project_id})
            was = _record(session, row)
            self._associate(ctx, session, row, port, fixed_ip_address)
            LOG.info("associated floating IP %s with port %s", row.id, row.fixed_port_id)
            now = self._get(session, row.id)
        return self._converge_or_restore(was, now)

    def disassociate(self, ctx: Context, ref: str) -> FloatingIp:
        with self._db.write() as session:
            row = self._existing(ctx, session, ref)
            self._enforce(ctx, "network:update_floatingip", {"project_id": row.project_id})
            was = _record(session, row)
            self.ipam.disassociate_floating_ip(session, row.id)
            LOG.info("disassociated floating IP %s", row.id)
            now = self._get(session, row.id)
        return self._converge_or_restore(was, now)

    def delete(self, ctx: Context, ref: str) -> None:
        """Release the floating IP: its address goes back to the external network's pool (an
        associated one is disassociated first, on the network host too)."""
        with self._db.read() as session:
            row = self._existing(ctx, session, ref)
            self._enforce(ctx, "network:delete_floatingip", {"project_id": row.project_id})
            fip_id, associated = row.id, row.fixed_port_id is not None
        if associated:
            self.disassociate(ctx, fip_id)
        self._release(fip_id)

    def _release(self, fip_id: str) -> None:
        with self._db.write() as session:
            row = session.get(m.FloatingIp, fip_id)
            if row is None:
                return
            project_id = row.project_id
            self.ipam.delete_floating_ip(session, row.id)
            self.quotas.release(session, project_id, floating_ips=1)
            LOG.info("released floating IP %s", fip_id)

    # --- the network host ----------------------------------------------------------------------------
    def _converge(self, router_ids: Iterable[str | None]) -> None:
        wanted = [r for r in dict.fromkeys(router_ids) if r is not None]
        if self.plumbing is not None and wanted:
            self.plumbing.converge(wanted)

    def _converge_quietly(self, router_ids: Iterable[str | None]) -> None:
        wanted = [r for r in dict.fromkeys(router_ids) if r is not None]
        if self.plumbing is not None and wanted:
            self.plumbing.converge_quietly(wanted)

    def _converge_or_restore(self, was: FloatingIp, now: FloatingIp) -> FloatingIp:
        """Bring the routers of the old and new association in line; if that fails, put the
        association back as it ``was`` (records and routers) and raise."""
        try:
            self._converge([was.router_id, now.router_id])
        except NodeWorkFailed as exc:
            with self._db.write() as session:
                row = session.get(m.FloatingIp, now.id)
                if row is not None:
                    row.fixed_port_id, row.fixed_ip_address = was.port_id, was.fixed_ip_address
                    session.flush()
            self._converge_quietly([was.router_id, now.router_id])
            raise NodeWorkFailed("floating IP %s is left as it was: %s" % (now.floating_ip_address, exc)) from None
        return now

    # --- helpers -------------------------------------------------------------------------------------
    def _existing(self, ctx: Context, session: Session, ref: str) -> m.FloatingIp:
        row = self._find_row(ctx, session, ref)
        if row is None:
            raise NotFound("floating IP", ref)
        return row

    def _get(self, session: Session, floating_ip_id: str) -> FloatingIp:
        row = session.get(m.FloatingIp, floating_ip_id, populate_existing=True)
        assert row is not None
        return _record(session, row)

    def _associate(
        self, ctx: Context, session: Session, row: m.FloatingIp, port_ref: str, fixed_ip_address: str | None
    ) -> None:
        port = self._ports._find_row(ctx, session, port_ref)
        if port is None:
            raise NotFound("port", port_ref)
        if port.project_id != row.project_id:
            raise ValidationError("port: port %s belongs to another project than floating IP %s"
                                  % (port_ref, row.address), field="port")  # fmt: skip
        if port.device_owner.startswith(CLOUD_OWNER):
            raise ValidationError("port: port %s is a %s port of the cloud; floating IPs go to a server's port"
                                  % (port_ref, port.device_owner), field="port")  # fmt: skip
        info = self.ipam.get_port(session, port.id)
        v4 = [ip for ip in info.fixed_ips if ":" not in ip.ip_address]
        chosen = next((ip for ip in v4 if fixed_ip_address in (None, ip.ip_address)), None)
        if chosen is None:
            raise ValidationError("fixed_ip_address: %s is not an IPv4 address of port %s"
                                  % (fixed_ip_address, port_ref) if fixed_ip_address else
                                  "port: port %s has no IPv4 address" % port_ref,
                                  field="fixed_ip_address" if fixed_ip_address else "port")  # fmt: skip
        if router_for(session, row.network_id, chosen.subnet_id) is None:
            subnet = self.ipam.get_subnet(session, chosen.subnet_id)
            network = session.get(m.Network, row.network_id)
            raise ValidationError(
                "port: external network %s is not reachable from subnet %s (%s) of port %s: no router has both a "
                "gateway on %s and an interface on that subnet; add one (stackling.cloud.router)"
                % (network.name if network else row.network_id, subnet.name or subnet.id, subnet.cidr, port_ref,
                   network.name if network else row.network_id), field="port")  # fmt: skip
        self.ipam.associate_floating_ip(session, row.id, port.id, chosen.ip_address)


def _record(session: Session, row: m.FloatingIp) -> FloatingIp:
    router_id = None
    if row.fixed_port_id is not None and row.fixed_ip_address is not None:
        held = (m.IpAllocation.port_id == row.fixed_port_id) & (m.IpAllocation.address == row.fixed_ip_address)
        subnet_id = session.scalars(select(m.IpAllocation.subnet_id).where(held)).first()
        router_id = None if subnet_id is None else router_for(session, row.network_id, subnet_id)
    return FloatingIp(row.id, row.project_id, row.network_id, row.address, row.fixed_port_id, row.fixed_ip_address,
                      router_id)  # fmt: skip
