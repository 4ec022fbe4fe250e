"""Routers on the network host: what playbooks/node/router.yml is given, computed from the
records, and the conductor runs that make the host match them (docs/networking.md).

A router's namespace plugs its gateway port into the external network's bridge and one port per
interface into the tenant network's bridge, so those bridges are made first (network_host.yml,
with the FDB towards the compute hosts carrying the network). An external network declared on a
physical network (``provider_physical_network``, a flat network) uses the bridge the network host
maps that name to: the host variable ``stackling_physical_bridges`` in the conductor's inventory
(``{provider: br-provider}``, written by the controller role from the network role's settings).

Without a conductor inventory (``conductor.inventory`` does not exist: the library's own tests, a
controller without hosts yet) routers are records only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.conductor import Inventory, JobResult, JobRunner, NodeJob, read_inventory
from stackling.config import ConductorConfig
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import ConfigError, Conflict
from stackling.ipam import Ipam
from stackling.networking.nodes import network_job, network_vars, server_hosts

LOG = logging.getLogger(__name__)
PHYSICAL_BRIDGES = "stackling_physical_bridges"
# Ports that need the network's bridge on the network host.
PLUMBED_OWNERS = ("network:router_interface", "network:router_gateway", "network:dhcp")


class NodeWorkFailed(Conflict):
    """The network host could not be brought in line with the records."""


def network_host_of(conductor: ConductorConfig, inventory: Inventory) -> str:
    """The inventory host running DHCP and routers: ``conductor.network_host``, else the first of group ``network``."""
    if conductor.network_host:
        return conductor.network_host
    hosts = inventory.groups.get("network", ())
    if not hosts:
        raise ConfigError("conductor.network_host: not set, and the conductor inventory %s has no host in group "
                          "network" % conductor.inventory)  # fmt: skip
    return hosts[0]


class RouterPlumbing:
    def __init__(self, db: Database, ipam: Ipam, conductor: ConductorConfig, runner: JobRunner) -> None:
        self._db = db
        self._ipam = ipam
        self.conductor = conductor
        self.runner = runner

    @property
    def enabled(self) -> bool:
        return self.conductor.inventory.is_file()

    # --- running -------------------------------------------------------------------------------------
    def converge(self, router_ids: Iterable[str], networks: Iterable[str] = ()) -> bool:
        """Make the network host match the records of ``router_ids`` (a router without a record is
        removed there), then take down the bridges of ``networks`` nothing on the host uses any
        more. True if anything changed; NodeWorkFailed naming the failed step otherwise."""
        if not self.enabled:
            return False
        inventory = read_inventory(self.conductor.inventory)
        host = network_host_of(self.conductor, inventory)
        with self._db.read() as session:
            jobs = [job for router_id in dict.fromkeys(router_ids)
                    for job in self._router_jobs(session, router_id, host, inventory)]  # fmt: skip
            jobs += self._unused_bridges(session, networks, host, inventory)
        return self._run(jobs)

    def check_external(self, network: m.Network) -> None:
        """ConfigError, before anything is saved, when the network host has no bridge for ``network``'s
        physical network (a gateway there could never be plugged in)."""
        if self.enabled and network.physical_network:
            inventory = read_inventory(self.conductor.inventory)
            self._physical_bridge(network, network_host_of(self.conductor, inventory), inventory)

    def remove(self, router_id: str) -> None:
        """Take the router's namespace (ports, NAT) down on the network host, whatever its records say."""
        if self.enabled:
            host = network_host_of(self.conductor, read_inventory(self.conductor.inventory))
            self._run([self._job("router", host, router={"id": router_id, "state": "absent"})])

    def remove_quietly(self, router_id: str) -> None:
        """``remove``, logging (not raising) a failure: for clean-ups."""
        try:
            self.remove(router_id)
        except Exception as exc:  # noqa: BLE001  (a clean-up must not hide the operation's own error)
            LOG.warning("router %s: clean-up on the network host failed: %s", router_id, exc)

    def converge_quietly(self, router_ids: Iterable[str], networks: Iterable[str] = ()) -> None:
        """``converge``, logging (not raising) a failure: after records are already gone."""
        try:
            self.converge(router_ids, networks)
        except Exception as exc:  # noqa: BLE001  (the records are right; the next converge retries)
            LOG.warning("network host clean-up failed: %s", exc)

    def _run(self, jobs: Iterable[NodeJob]) -> bool:
        changed = False
        for job in jobs:
            result = self.runner.run(job)
            if not result.ok:
                raise NodeWorkFailed(self._failure(job, result))
            changed = changed or result.changed
        return changed

    @staticmethod
    def _failure(job: NodeJob, result: JobResult) -> str:
        what = job.extravars.get("router", job.extravars.get("network", {})).get("id", "?")
        return "%s for %s failed on the network host: %s" % (job.playbook, what, result.failure)

    # --- planning ------------------------------------------------------------------------------------
    def _router_jobs(self, session: Session, router_id: str, host: str, inventory: Inventory) -> list[NodeJob]:
        row = session.get(m.Router, router_id)
        if row is None:
            return [self._job("router", host, router={"id": router_id, "state": "absent"})]
        jobs = []
        router: dict[str, Any] = {"id": row.id, "state": "present", "interfaces": [], "floating_ips": []}
        if row.gateway_port_id is not None and row.external_network_id is not None:
            network = self._network(session, row.external_network_id)
            bridge = self._physical_bridge(network, host, inventory)
            if not bridge:
                jobs.append(self._bridge_job(session, network, host, inventory))
            router["gateway"] = self._gateway(session, row, network, bridge)
            router["floating_ips"] = self._floating_ips(session, row)
        for interface in session.scalars(select(m.RouterInterface).where(m.RouterInterface.router_id == row.id)
                                         .order_by(m.RouterInterface.subnet_id)):  # fmt: skip
            subnet = self._ipam.get_subnet(session, interface.subnet_id)
            network = self._network(session, subnet.network_id)
            jobs.append(self._bridge_job(session, network, host, inventory))
            port = self._port(session, interface.port_id)
            address = next(ip.ip_address for ip in self._ipam.get_port(session, port.id).fixed_ips
                           if ip.subnet_id == subnet.id)  # fmt: skip
            router["interfaces"].append({"port_id": port.id, "mac": port.mac_address, "network_id": network.id,
                                         "address": _with_prefix(address, subnet.cidr), "cidr": subnet.cidr})
        jobs.append(self._job("router", host, router=router))
        return jobs

    def _gateway(self, session: Session, row: m.Router, network: m.Network, bridge: str) -> dict[str, Any]:
        assert row.gateway_port_id is not None
        port = self._port(session, row.gateway_port_id)
        v4 = [ip for ip in self._ipam.get_port(session, port.id).fixed_ips if ":" not in ip.ip_address]
        if not v4:
            raise NodeWorkFailed("router %s: its gateway port has no IPv4 address" % row.id)
        subnet = self._ipam.get_subnet(session, v4[0].subnet_id)
        gateway = {"port_id": port.id, "mac": port.mac_address, "network_id": network.id,
                   "address": _with_prefix(v4[0].ip_address, subnet.cidr), "next_hop": subnet.gateway_ip or "",
                   "enable_snat": row.enable_snat}  # fmt: skip
        if bridge:
            gateway["bridge"] = bridge
        return gateway

    @staticmethod
    def _floating_ips(session: Session, row: m.Router) -> list[dict[str, str]]:
        """The floating IPs this router translates: on its external network, pointing at an address
        of one of its interfaces' subnets."""
        held = (m.IpAllocation.port_id == m.FloatingIp.fixed_port_id) & (
            m.IpAllocation.address == m.FloatingIp.fixed_ip_address)  # fmt: skip
        pairs = session.execute(
            select(m.FloatingIp.address, m.FloatingIp.fixed_ip_address)
            .join(m.IpAllocation, held)
            .join(m.RouterInterface, m.RouterInterface.subnet_id == m.IpAllocation.subnet_id)
            .where(m.RouterInterface.router_id == row.id, m.FloatingIp.network_id == row.external_network_id)
            .order_by(m.FloatingIp.address)
        ).all()
        return [{"floating_ip": floating, "fixed_ip": str(fixed)} for floating, fixed in pairs]

    def _bridge_job(self, session: Session, network: m.Network, host: str, inventory: Inventory) -> NodeJob:
        carriers = server_hosts(session, network.id) | {host}
        return network_job(network_vars(network), host, carriers, inventory, self.conductor.job_timeout)

    def _unused_bridges(
        self, session: Session, networks: Iterable[str], host: str, inventory: Inventory
    ) -> list[NodeJob]:
        """network_host.yml ``absent`` on the network host for each of ``networks`` with no port
        left that needs its bridge there (router ports, DHCP, servers on that host)."""
        jobs = []
        for network_id in dict.fromkeys(networks):
            network = session.get(m.Network, network_id)
            if network is None or self._physical_bridge(network, host, inventory):
                continue
            owners = set(session.scalars(select(m.Port.device_owner).where(m.Port.network_id == network_id)))
            if owners & set(PLUMBED_OWNERS) or host in server_hosts(session, network_id):
                continue
            jobs.append(network_job(network_vars(network, "absent"), host, (), inventory, self.conductor.job_timeout))
        return jobs

    def _physical_bridge(self, network: m.Network, host: str, inventory: Inventory) -> str:
        """The bridge ``host`` maps the network's physical network to ("" for tunnelled and local networks)."""
        if not network.physical_network:
            return ""
        mapping = inventory.var(host, PHYSICAL_BRIDGES) or {}
        bridge = mapping.get(network.physical_network) if isinstance(mapping, Mapping) else None
        if not bridge:
            raise ConfigError(
                "network %s is on physical network %r, which network host %s does not map to a bridge: set %s "
                "(e.g. {%s: br-provider}) for it in the conductor inventory %s"
                % (network.name or network.id, network.physical_network, host, PHYSICAL_BRIDGES,
                   network.physical_network, self.conductor.inventory))  # fmt: skip
        return str(bridge)

    def _job(self, playbook: str, host: str, **extravars: Any) -> NodeJob:
        return NodeJob(playbook, host, extravars, timeout=self.conductor.job_timeout)

    @staticmethod
    def _network(session: Session, network_id: str) -> m.Network:
        network = session.get(m.Network, network_id)
        assert network is not None, network_id  # routers' ports keep their networks (RESTRICT)
        return network

    @staticmethod
    def _port(session: Session, port_id: str) -> m.Port:
        port = session.get(m.Port, port_id)
        assert port is not None, port_id
        return port


def disassociate_from_ports(session: Session, port_ids: Iterable[str]) -> list[str]:
    """Disassociate the floating IPs pointing at ``port_ids`` (ports about to go, as in Neutron);
    returns the routers whose NAT must change on the network host."""
    wanted = list(port_ids)
    if not wanted:
        return []
    held = (m.IpAllocation.port_id == m.FloatingIp.fixed_port_id) & (
        m.IpAllocation.address == m.FloatingIp.fixed_ip_address)  # fmt: skip
    routers = session.scalars(
        select(m.Router.id)
        .join(m.RouterInterface, m.RouterInterface.router_id == m.Router.id)
        .join(m.IpAllocation, m.IpAllocation.subnet_id == m.RouterInterface.subnet_id)
        .join(m.FloatingIp, held & (m.FloatingIp.network_id == m.Router.external_network_id))
        .where(m.FloatingIp.fixed_port_id.in_(wanted))
    ).all()
    for row in session.scalars(select(m.FloatingIp).where(m.FloatingIp.fixed_port_id.in_(wanted))).all():
        row.fixed_port_id = row.fixed_ip_address = None
    session.flush()
    return list(dict.fromkeys(routers))


def _with_prefix(address: str, cidr: str) -> str:
    return "%s/%s" % (address, cidr.split("/")[1])
