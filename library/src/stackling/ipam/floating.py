"""Floating IPs: addresses from the subnets of external networks (the floating-IP pools),
each held by an internal port on that network (device_owner ``network:floatingip``, as in
Neutron), optionally associated with a fixed address of a tenant port."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.db import models as m
from stackling.db.engine import ensure_write_transaction
from stackling.db.models.base import new_id
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.ipam.ports import PortOps
from stackling.ipam.types import FixedIpRequest, FloatingIpInfo

FLOATING_IP_OWNER = "network:floatingip"


class FloatingIpOps(PortOps):
    def create_floating_ip(
        self,
        session: Session,
        network_id: str,
        project_id: str,
        ip_address: str | None = None,
        subnet_id: str | None = None,
    ) -> FloatingIpInfo:
        """Take an address from the external network's IPv4 subnets (or exactly ``ip_address``)."""
        ensure_write_transaction(session)
        network = session.get(m.Network, network_id)
        if network is None:
            raise NotFound("network", network_id)
        if not network.external:
            raise ValidationError("network %s is not external: it has no floating IP pool" % network.name)
        if ip_address is None and subnet_id is None:
            v4 = list(self.subnets_v4(session, network_id))
            if not v4:
                raise ValidationError("external network %s has no IPv4 subnet" % network.name)
            request = None
        else:
            request = [FixedIpRequest(subnet_id=subnet_id, ip_address=ip_address)]
        fip_id = new_id()
        port = self.create_port(
            session, network_id, project_id, fixed_ips=request, device_id=fip_id, device_owner=FLOATING_IP_OWNER
        )
        address = (
            next(ip for ip in port.fixed_ips if ":" not in ip.ip_address) if request is None else port.fixed_ips[0]
        )
        session.add(m.FloatingIp(
            id=fip_id, project_id=project_id, network_id=network_id, port_id=port.id, address=address.ip_address,
            created_at=self._clock(),
        ))  # fmt: skip
        session.flush()
        return self.get_floating_ip(session, fip_id)

    def subnets_v4(self, session: Session, network_id: str) -> list[str]:
        return list(
            session.scalars(select(m.Subnet.id).where(m.Subnet.network_id == network_id, m.Subnet.ip_version == 4))
        )

    def get_floating_ip(self, session: Session, floating_ip_id: str) -> FloatingIpInfo:
        row = session.get(m.FloatingIp, floating_ip_id, populate_existing=True)
        if row is None:
            raise NotFound("floating IP", floating_ip_id)
        return FloatingIpInfo(
            row.id, row.project_id, row.network_id, row.address, row.port_id, row.fixed_port_id, row.fixed_ip_address
        )

    def associate_floating_ip(
        self, session: Session, floating_ip_id: str, port_id: str, fixed_ip_address: str | None = None
    ) -> FloatingIpInfo:
        """Point the floating IP at a tenant port's IPv4 address (the first one by default)."""
        ensure_write_transaction(session)
        row = session.get(m.FloatingIp, floating_ip_id)
        if row is None:
            raise NotFound("floating IP", floating_ip_id)
        port = self.get_port(session, port_id)
        v4 = [ip.ip_address for ip in port.fixed_ips if ":" not in ip.ip_address]
        if fixed_ip_address is None:
            if not v4:
                raise ValidationError("port %s has no IPv4 address to associate" % port_id)
            fixed_ip_address = v4[0]
        elif fixed_ip_address not in v4:
            raise ValidationError("%s is not an IPv4 address of port %s" % (fixed_ip_address, port_id))
        taken = session.scalars(
            select(m.FloatingIp.id).where(
                m.FloatingIp.fixed_port_id == port_id, m.FloatingIp.fixed_ip_address == fixed_ip_address,
                m.FloatingIp.id != floating_ip_id,
            )
        ).first()  # fmt: skip
        if taken is not None:
            raise Conflict("%s of port %s already has floating IP %s" % (fixed_ip_address, port_id, taken))
        row.fixed_port_id = port_id
        row.fixed_ip_address = fixed_ip_address
        session.flush()
        return self.get_floating_ip(session, floating_ip_id)

    def disassociate_floating_ip(self, session: Session, floating_ip_id: str) -> FloatingIpInfo:
        ensure_write_transaction(session)
        row = session.get(m.FloatingIp, floating_ip_id)
        if row is None:
            raise NotFound("floating IP", floating_ip_id)
        row.fixed_port_id = None
        row.fixed_ip_address = None
        session.flush()
        return self.get_floating_ip(session, floating_ip_id)

    def delete_floating_ip(self, session: Session, floating_ip_id: str) -> None:
        """Release the floating IP (its address returns to the pool)."""
        ensure_write_transaction(session)
        row = session.get(m.FloatingIp, floating_ip_id)
        if row is None:
            raise NotFound("floating IP", floating_ip_id)
        port_id = row.port_id
        session.delete(row)
        session.flush()
        self.delete_port(session, port_id)
