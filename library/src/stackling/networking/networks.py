"""Networks through the policy. A project member makes tenant networks (VXLAN, a VNI from
``ipam.vni_ranges``); ``shared``, ``external`` and the provider attributes (network type,
physical network, segmentation id) are for cloud admins, as in Neutron. Shared and external
networks are visible to every project.

    net = cloud.networking.networks.create(ctx, "private")
    cloud.networking.networks.update(ctx, net.id, mtu=1400)
"""

from __future__ import annotations

import logging

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from stackling.allocation_errors import NetworkInUse
from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict, ValidationError
from stackling.ipam.segments import VXLAN
from stackling.networking._base import NetworkingBase, check_name, describe_port, describe_users
from stackling.networking.types import Network

LOG = logging.getLogger(__name__)
MIN_MTU = 68


class NetworkService(NetworkingBase):
    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str, project: str | None = None) -> Network | None:
        """The network with id ``ref``, or named ``ref`` (the caller's project's first, then the shared
        and external ones), if the caller may see it; else None."""
        self._enforce(ctx, "network:list_networks")
        with self._db.read() as session:
            row = self.find_visible_row(ctx, session, ref, project)
            return None if row is None else self.ipam.get_network(session, row.id)

    def get(self, ctx: Context, ref: str, project: str | None = None) -> Network:
        self._enforce(ctx, "network:list_networks")
        with self._db.read() as session:
            row = self._require(self.find_visible_row(ctx, session, ref, project), "network", ref)
            return self.ipam.get_network(session, row.id)

    def list(self, ctx: Context) -> list[Network]:
        """The networks the caller may see: its project's, the shared and the external ones (all: cloud admin)."""
        self._enforce(ctx, "network:list_networks")
        with self._db.read() as session:
            rows = session.scalars(select(m.Network).order_by(m.Network.name, m.Network.id)).all()
            return [self.ipam.get_network(session, row.id) for row in rows if self._network_visible(ctx, row)]

    def find_visible_row(
        self, ctx: Context, session: Session, ref: str, project: str | None = None
    ) -> m.Network | None:
        """The network row with id ``ref``, or named ``ref`` (``project``'s first, default the caller's),
        in ``session``, if the caller may see it; None otherwise. For services that work on the row
        inside their own transaction (routers, ports, servers)."""
        project_id = None if project is None else self._owner(ctx, session, project)
        return self._lookup(ctx, session, m.Network, "network", ref, lambda r: self._network_visible(ctx, r),
                            project_id)  # fmt: skip

    # --- writing -------------------------------------------------------------------------------------
    def create(
        self,
        ctx: Context,
        name: str,
        *,
        project: str | None = None,
        shared: bool = False,
        external: bool = False,
        mtu: int | None = None,
        network_type: str | None = None,
        physical_network: str | None = None,
        segmentation_id: int | None = None,
    ) -> Network:
        """A network in the caller's project (or ``project``: cloud admins). Counted in the
        ``networks`` quota in the same transaction."""
        check_name("network", name)
        with self._db.write() as session:
            project_id = self._owner(ctx, session, project)
            self._enforce(ctx, "network:create_network", {"project_id": project_id})
            self._enforce_admin_attributes(ctx, project_id, shared, external,
                                           (network_type, physical_network, segmentation_id))  # fmt: skip
            kind = network_type or VXLAN
            with self.quotas.reserve(session, project_id, networks=1):
                made = self.ipam.create_network(
                    session, project_id, name, network_type=kind, segmentation_id=segmentation_id,
                    physical_network=physical_network or "", external=external, shared=shared,
                    mtu=self._check_mtu(kind, mtu),
                )  # fmt: skip
            LOG.info("created network %s (%s) in project %s", made.id, name, project_id)
            return made

    def update(
        self,
        ctx: Context,
        ref: str,
        *,
        name: str | None = None,
        shared: bool | None = None,
        external: bool | None = None,
        mtu: int | None = None,
    ) -> Network:
        """Change the name, MTU, ``shared`` or ``external`` (the last two: cloud admins; refused while
        other projects or floating IPs depend on the current value)."""
        with self._db.write() as session:
            row = self._require(self.find_visible_row(ctx, session, ref), "network", ref)
            self._enforce(ctx, "network:update_network", {"project_id": row.project_id})
            changing_shared = shared is not None and shared != row.shared
            changing_external = external is not None and external != row.external
            self._enforce_admin_attributes(ctx, row.project_id, changing_shared, changing_external, ())
            if name is not None:
                row.name = check_name("network", name)
            if mtu is not None:
                row.mtu = self._check_mtu(row.network_type, mtu) or row.mtu
            if changing_shared and not shared:
                self._check_unshare(session, row)
            if changing_external and not external:
                self._check_not_external(session, row)
            if shared is not None:
                row.shared = shared
            if external is not None:
                row.external = external
            session.flush()
            LOG.info("updated network %s (%s)", row.id, row.name)
            return self.ipam.get_network(session, row.id)

    def delete(self, ctx: Context, ref: str) -> None:
        """Delete a network without ports (its subnets go with it, and their quota)."""
        with self._db.write() as session:
            row = self._require(self.find_visible_row(ctx, session, ref), "network", ref)
            self._enforce(ctx, "network:delete_network", {"project_id": row.project_id})
            ports = session.scalars(select(m.Port).where(m.Port.network_id == row.id).order_by(m.Port.created_at)).all()
            if ports:
                raise NetworkInUse(
                    "network %s is in use by %s; delete those first"
                    % (row.name or row.id, describe_users([describe_port(p) for p in ports]))
                )
            for subnet in session.scalars(select(m.Subnet).where(m.Subnet.network_id == row.id)).all():
                self.quotas.release(session, subnet.project_id, subnets=1)
            self.ipam.delete_network(session, row.id)
            self.quotas.release(session, row.project_id, networks=1)
            LOG.info("deleted network %s (%s)", row.id, row.name)

    # --- rules ---------------------------------------------------------------------------------------
    def _enforce_admin_attributes(
        self, ctx: Context, project_id: str, shared: bool, external: bool, provider: tuple[object, ...]
    ) -> None:
        target = {"project_id": project_id}
        if shared:
            self._enforce(ctx, "network:create_shared_network", target)
        if external:
            self._enforce(ctx, "network:create_external_network", target)
        if any(value is not None for value in provider):
            self._enforce(ctx, "network:create_provider_network", target)

    def _check_mtu(self, network_type: str, mtu: int | None) -> int | None:
        if mtu is None:
            return None
        highest = self.ipam.config.tunnel_mtu if network_type == VXLAN else self.ipam.config.physical_mtu
        if isinstance(mtu, bool) or not isinstance(mtu, int) or not MIN_MTU <= mtu <= highest:
            raise ValidationError("mtu: a %s network's MTU must be %d to %d, got %r"
                                  % (network_type, MIN_MTU, highest, mtu), field="mtu")  # fmt: skip
        return mtu

    def _check_unshare(self, session: Session, row: m.Network) -> None:
        others = exists().where(m.Port.network_id == row.id, m.Port.project_id != row.project_id)
        subnets = exists().where(m.Subnet.network_id == row.id, m.Subnet.project_id != row.project_id)
        if session.scalar(select(others)) or session.scalar(select(subnets)):
            raise Conflict("network %s is used by other projects (ports or subnets): it must stay shared" % row.name)

    def _check_not_external(self, session: Session, row: m.Network) -> None:
        if session.scalar(select(exists().where(m.FloatingIp.network_id == row.id))) or session.scalar(
            select(exists().where(m.Router.external_network_id == row.id))
        ):
            raise Conflict("network %s holds floating IPs or router gateways: it must stay external" % row.name)
