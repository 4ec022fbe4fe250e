"""Servers through the policy, built on the cloud's hosts by the conductor (docs/servers.md).

    server = cloud.servers.create(ctx, ServerRequest("web-1", flavor="m1.tiny", image="cirros",
                                                     networks=["private"], key_name="laptop"))
    server.status          # ACTIVE, or ERROR with server.fault saying why
    cloud.servers.delete(ctx, server.id)

``create`` is synchronous: it returns when the server is ACTIVE or ERROR. It resolves what the
request names (each must be visible to the caller), then in one write transaction counts the
quota and makes the server row (BUILD) and its ports (all or nothing), lets the scheduler choose
and claim a host, and runs the node playbooks there through the ServerBuilder (on a failure: the
clean-up playbook there, then the next alternate). Every job's outcome is kept in
``server_actions``. An ERROR server holds no host resources, ports or addresses, but its quota
(instances, cores, ram_mb) stays counted until it is deleted, as in nova.
"""

from __future__ import annotations

import builtins
import fcntl
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stackling.allocation_errors import NoValidHost
from stackling.clock import Clock
from stackling.compute._base import PolicyService
from stackling.compute.build_lock import LEASE_GRACE, Builder, BuildLock, builder_state
from stackling.compute.console import MAX_CONSOLE_BYTES, checked_lines, last_lines
from stackling.compute.flavors import FlavorService
from stackling.compute.image_fit import check_image_fits
from stackling.compute.keypairs import KeypairService
from stackling.compute.metadata import checked_metadata, dump_metadata, load_metadata
from stackling.compute.server_groups import ServerGroupService
from stackling.compute.server_groups_change import ServerGroupsChange
from stackling.compute.server_moves import ServerMoves
from stackling.compute.server_rebuild import ServerRebuilds
from stackling.compute.server_snapshot import ServerSnapshots
from stackling.conductor import Inventory, JobResult, JobRunner, NodeJob, ServerBuilder, read_inventory
from stackling.config import ConductorConfig
from stackling.context import Context
from stackling.db import Database
from stackling.db import models as m
from stackling.errors import Conflict, ConfigError, NotFound, ValidationError
from stackling.images import ImageService
from stackling.images.types import Image
from stackling.ipam import Ipam
from stackling.networking.networks import NetworkService
from stackling.networking.port_filter import port_security_absent
from stackling.networking.port_security import group_names, groups_of, items_for, touched_by
from stackling.networking.security_groups import SecurityGroupService
from stackling.networking.nodes import fdb_refresh, network_job, network_vars, server_hosts
from stackling.networking.plumbing import RouterPlumbing, disassociate_from_ports
from stackling.placement.engine import PlacementEngine
from stackling.placement.types import ConsumerRef
from stackling.policy import Enforcer
from stackling.quota import QuotaEngine
from stackling.scheduler import Scheduler, ServerGroups
from stackling.scheduler.manager import Placed
from stackling.scheduler.request import RequestSpec

LOG = logging.getLogger(__name__)
MAX_NAME = 255
MAX_USER_DATA = 65535  # bytes, nova's limit
DHCP_OWNER = "network:dhcp"
COMPUTE_OWNER = "compute:"
SUPPORTED_NETWORK_TYPES = ("vxlan", "local")
# Node playbooks on a network's shared plumbing: its bridge on a host, its DHCP namespace, veth and dnsmasq.
NETWORK_PLAYBOOKS = ("network_host", "dhcp_network")
_HOSTNAME_BAD = re.compile(r"[^a-z0-9-]+")
REBOOTING = ("REBOOT", "HARD_REBOOT")


def may_reboot(status: str, hard: bool) -> bool:
    """Whether a server in ``status`` can be rebooted: ACTIVE or SHUTOFF, and for a hard reboot also
    one that is rebooting (nova's way out of a reboot that hangs). The server module asks this too."""
    return status in ("ACTIVE", "SHUTOFF") + (REBOOTING if hard else ())


@dataclass(frozen=True)
class ServerRequest:
    """What to boot. ``flavor``, ``image``, ``networks``, ``server_group``: ids or names the caller
    may see; ``key_name``: one of the caller's keypairs."""

    name: str
    flavor: str
    image: str
    networks: Sequence[str] = ()
    key_name: str | None = None
    user_data: str | None = None
    server_group: str | None = None
    availability_zone: str | None = None
    timeout: int | None = None  # seconds for the whole build (node jobs); None: no limit beyond each job's
    unique_name: bool = False  # refuse (Conflict) when the project has a server of this name already
    security_groups: Sequence[str] = ()  # of the caller's project, ids or names; none: its default group
    metadata: Mapping[str, str] | None = None  # nova's instance metadata (string keys and values)
    host: str | None = None  # the compute host to build on, no other (compute:migrate_server: cloud admins)
    ports: Sequence[str] = ()  # unbound ports of the caller's project (ids or names): kept when the server goes


@dataclass(frozen=True)
class Server:
    """A server. ``host`` and ``hypervisor`` are None unless the caller passes
    ``compute:get_server_host`` (cloud admins)."""

    id: str
    name: str
    project_id: str
    user_id: str
    status: str
    fault: str
    flavor_id: str
    image_id: str
    key_name: str | None
    availability_zone: str
    server_group_id: str | None
    addresses: Mapping[str, tuple[str, ...]]  # network name (or id) -> fixed IPs
    ports: tuple[str, ...]
    host: str | None
    hypervisor: str | None
    created_at: datetime
    updated_at: datetime
    security_groups: tuple[str, ...] = ()  # the names of its ports' groups
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerActionRecord:
    seq: int
    action: str
    host: str | None  # None unless the caller passes compute:get_server_host
    step: str
    status: str
    message: str
    at: datetime


@dataclass(frozen=True)
class _Net:
    id: str
    name: str
    vni: int
    mtu: int

    @classmethod
    def of(cls, row: m.Network) -> _Net:
        return cls(row.id, row.name, row.segmentation_id or 0, row.mtu)


@dataclass
class _Resolved:
    flavor_id: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    request: RequestSpec
    image_id: str
    networks: list[_Net] = field(default_factory=list)
    public_keys: list[str] = field(default_factory=list)
    group_id: str | None = None
    security_group_ids: list[str] = field(default_factory=list)
    bound_ports: list[tuple[str, _Net]] = field(default_factory=list)  # the request's own ports

    @property
    def all_networks(self) -> list[_Net]:
        """The networks of the new ports and of the request's ports, once each."""
        return list({net.id: net for net in [*self.networks, *(net for _port, net in self.bound_ports)]}.values())


def hostname_of(name: str) -> str:
    """A DNS label from a server name (what the guest and dnsmasq call it)."""
    return _HOSTNAME_BAD.sub("-", name.lower()).strip("-")[:63].strip("-") or "server"


class _Recorder:
    """Runs node jobs for one server and writes each outcome into ``server_actions``."""

    def __init__(self, service: ServerService, server_id: str, action: str) -> None:
        self.service = service
        self.server_id = server_id
        self.action = action

    def run(self, job: NodeJob) -> JobResult:
        self.service._renew_lease(self.server_id)
        result = self.service.node_jobs.run(job)
        rows: list[tuple[str, str, str]] = []
        if result.ok:
            rows.append((job.playbook, "changed" if result.changed else "ok", ""))
        else:
            failed = [s for s in result.steps if s.status.value in ("failed", "unreachable")]
            rows.extend(("%s: %s" % (job.playbook, s.task), s.status.value, s.message) for s in failed)
            if not failed:
                rows.append((job.playbook, result.status.value, result.failure))
        with self.service._db.write() as session:
            if session.get(m.Server, self.server_id) is not None:
                for step, status, message in rows:
                    self.service._record(session, self.server_id, self.action, job.host, step, status, message)
        return result


@contextmanager
def _flocked(path: Path) -> Iterator[None]:
    """An exclusive flock on ``path`` (made if missing, and kept: removing a lock file races its users)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # drops the lock


class _NetworkJobs:
    """The service's runner, with the jobs on one network's shared plumbing (NETWORK_PLAYBOOKS) run one
    at a time per network on this controller (a flock in ``<work_dir>/networks``), and each DHCP job
    carrying the network's reservations as they are when it starts. Builds on one network run side by
    side (N ``server`` tasks, AWX forks): the node modules check and then create (bridge, namespace,
    veth pair, dnsmasq), so without this the second of two racing builds failed ('File exists',
    'Address already in use'), and a DHCP job planned before another server's port existed could run
    last and drop that port's reservation."""

    def __init__(self, service: ServerService) -> None:
        self.service = service

    def run(self, job: NodeJob) -> JobResult:
        network = job.extravars.get("network")
        network_id = network.get("id") if isinstance(network, Mapping) else None
        if job.playbook not in NETWORK_PLAYBOOKS or not isinstance(network_id, str) or not network_id:
            return self.service.runner.run(job)
        with _flocked(self.service.conductor.work_dir / "networks" / (network_id + ".lock")):
            if job.playbook == "dhcp_network" and job.extravars.get("dhcp") is not None:
                with self.service._db.read() as session:
                    dhcp = self.service._dhcp_vars(session, network_id)
                if dhcp is not None:
                    job = NodeJob(job.playbook, job.host, dict(job.extravars, dhcp=dhcp), timeout=job.timeout)
            return self.service.runner.run(job)


class ServerService(PolicyService):
    def __init__(
        self,
        db: Database,
        enforcer: Enforcer,
        clock: Clock,
        *,
        conductor: ConductorConfig,
        default_zone: str,
        runner: JobRunner,
        placement: PlacementEngine,
        scheduler: Scheduler,
        group_engine: ServerGroups,
        ipam: Ipam,
        quotas: QuotaEngine,
        flavors: FlavorService,
        images: ImageService,
        keypairs: KeypairService,
        server_groups: ServerGroupService,
        networks: NetworkService,
        release_volumes: Callable[[str], None] | None = None,
        security_groups: SecurityGroupService | None = None,
    ) -> None:
        super().__init__(db, enforcer)
        self._security_groups = security_groups  # None: ports are not put in groups (not filtered)
        # Called with a deleted server's id once its domain is gone: its volumes are detached.
        self._release_volumes = release_volumes
        self._clock = clock
        self.conductor = conductor
        self.default_zone = default_zone
        self.runner = runner
        self.node_jobs = _NetworkJobs(self)  # what builds, deletes and refreshes run their jobs through
        self._placement = placement
        self._scheduler = scheduler
        self._group_engine = group_engine
        self._ipam = ipam
        self._quotas = quotas
        self._flavors = flavors
        self._images = images
        self._keypairs = keypairs
        self._server_groups = server_groups
        self._networks = networks
        self._moves = ServerMoves(self)
        self._rebuilds = ServerRebuilds(self)
        self._snapshots = ServerSnapshots(self)
        self._groups_change = ServerGroupsChange(self)

    # --- reading -------------------------------------------------------------------------------------
    def find(self, ctx: Context, ref: str) -> Server | None:
        """The server with id ``ref``, or named ``ref`` in the caller's project; None if the caller
        may not see it (what a caller may not see does not exist for it)."""
        self._enforce(ctx, "compute:list_servers", {"project_id": ctx.project_id})
        with self._db.read() as session:
            row = self._find_row(ctx, session, ref)
            return None if row is None else self._view(ctx, session, row)

    def get(self, ctx: Context, ref: str) -> Server:
        found = self.find(ctx, ref)
        if found is None:
            raise NotFound("server", ref)
        return found

    def list(self, ctx: Context, *, all_projects: bool = False) -> builtins.list[Server]:
        """The caller's project's servers by name; ``all_projects``: every server the caller may see."""
        self._enforce(ctx, "compute:list_servers", {"project_id": ctx.project_id})
        with self._db.read() as session:
            query = select(m.Server).order_by(m.Server.name, m.Server.created_at, m.Server.id)
            if not all_projects:
                query = query.where(m.Server.project_id == ctx.project_id)
            rows = [row for row in session.scalars(query) if self._may_see(ctx, row)]
            return [self._view(ctx, session, row) for row in rows]

    def actions(self, ctx: Context, ref: str) -> builtins.list[ServerActionRecord]:
        """What was done for the server, in order (hosts shown to cloud admins only)."""
        with self._db.read() as session:
            row = self._find_row(ctx, session, ref)
            if row is None:
                raise NotFound("server", ref)
            admin = self._is_admin(ctx, row)
            rows = session.scalars(
                select(m.ServerAction).where(m.ServerAction.server_id == row.id).order_by(m.ServerAction.seq)
            ).all()
            return [ServerActionRecord(a.seq, a.action, a.host if admin else None, a.step, a.status,
                                       a.message if admin or not a.message else
                                       self._without_hosts(session, row.id, a.message), a.at)
                    for a in rows]  # fmt: skip

    def console_log(self, ctx: Context, ref: str, lines: int | None = None) -> str:
        """What the guest printed on its serial console: the end of it (at most the last 100 KiB, as
        nova), or its last ``lines`` lines; '' before it printed anything. Read on its host by
        ``server_console.yml`` (policy ``compute:get_console_output``); not an action of the server."""
        lines = checked_lines(lines)
        with self._db.read() as session:
            row = self._permitted_row(ctx, session, ref, "compute:get_console_output")
            if row.host is None or row.status == "DELETING":
                raise Conflict("server %s is %s: it has no console to read" % (row.name, row.status))
            server_id, host = row.id, row.host
        result = self.runner.run(self._job("server_console", host, server={"uuid": server_id},
                                           console_bytes=MAX_CONSOLE_BYTES))  # fmt: skip
        if not result.ok:
            why = self._failure_shown(server_id, result)
            raise Conflict("server %s: its console could not be read: %s" % (server_id, why))
        return last_lines(str(result.data.get("console_log") or ""), lines)

    @staticmethod
    def _without_hosts(session: Session, server_id: str, text: str) -> str:
        """``text`` with the names of the cloud's hosts (compute hosts, and the hosts this server's
        jobs ran on) replaced by ``<host>``: where a server runs is for cloud admins only."""
        names = set(session.scalars(select(m.ResourceProvider.name)))
        names.update(h for h in session.scalars(select(m.ServerAction.host).where(
            m.ServerAction.server_id == server_id, m.ServerAction.host.is_not(None))) if h)  # fmt: skip
        for name in sorted(names, key=len, reverse=True):
            text = re.sub(r"(?<![\w.-])%s(?![\w.-])" % re.escape(name), "<host>", text)
        return text

    def _may_see(self, ctx: Context, row: m.Server) -> bool:
        return self._enforcer.check("compute:get_server", {"project_id": row.project_id}, ctx)

    def _is_admin(self, ctx: Context, row: m.Server) -> bool:
        return self._enforcer.check("compute:get_server_host", {"project_id": row.project_id}, ctx)

    def _permitted_row(self, ctx: Context, session: Session, ref: str, rule: str) -> m.Server:
        """The server ``ref`` the caller may see (NotFound otherwise), once ``rule`` allows the caller
        to act on its project."""
        row = self._find_row(ctx, session, ref)
        if row is None:
            raise NotFound("server", ref)
        self._enforce(ctx, rule, {"project_id": row.project_id})
        return row

    def _failure_shown(self, server_id: str, result: JobResult) -> str:
        """A failed node job's message with the cloud's host names hidden (``_without_hosts``)."""
        with self._db.read() as session:
            return self._without_hosts(session, server_id, result.failure)

    def _find_row(self, ctx: Context, session: Session, ref: str) -> m.Server | None:
        row = session.get(m.Server, ref)
        if row is not None:
            return row if self._may_see(ctx, row) else None
        named = session.scalars(
            select(m.Server)
            .where(m.Server.name == ref, m.Server.project_id == ctx.project_id)
            .order_by(m.Server.created_at, m.Server.id)
        ).all()
        seen = [r for r in named if self._may_see(ctx, r)]
        if len(seen) > 1:
            raise Conflict("several servers are named %r; use the id" % ref)
        return seen[0] if seen else None

    def _view(self, ctx: Context, session: Session, row: m.Server) -> Server:
        addresses: dict[str, builtins.list[str]] = {}
        port_ids = []
        for port in self._ports(session, row.id):
            network = session.get(m.Network, port.network_id)
            label = (network.name if network is not None else "") or port.network_id
            info = self._ipam.get_port(session, port.id)
            addresses.setdefault(label, []).extend(ip.ip_address for ip in info.fixed_ips)
            port_ids.append(port.id)
        admin = self._is_admin(ctx, row)
        fault = row.fault if admin or not row.fault else self._without_hosts(session, row.id, row.fault)
        hypervisor = None
        if admin and row.host is not None:
            hypervisor = session.scalars(
                select(m.ComputeHost.hypervisor_type)
                .join(m.ResourceProvider, m.ResourceProvider.id == m.ComputeHost.resource_provider_id)
                .where(m.ResourceProvider.name == row.host)
            ).first()
        return Server(
            id=row.id, name=row.name, project_id=row.project_id, user_id=row.user_id, status=row.status,
            fault=fault, flavor_id=row.flavor_id, image_id=row.image_id, key_name=row.key_name,
            availability_zone=row.availability_zone, server_group_id=row.server_group_id,
            addresses={k: tuple(v) for k, v in addresses.items()}, ports=tuple(port_ids),
            host=row.host if admin else None, hypervisor=hypervisor, created_at=row.created_at,
            updated_at=row.updated_at, security_groups=group_names(session, port_ids),
            metadata=load_metadata(row.metadata_json),
        )  # fmt: skip

    @staticmethod
    def _ports(session: Session, server_id: str) -> builtins.list[m.Port]:
        return list(
            session.scalars(
                select(m.Port)
                .where(m.Port.device_id == server_id, m.Port.device_owner.startswith(COMPUTE_OWNER))
                .order_by(m.Port.created_at, m.Port.id)
            )
        )

    # --- creating ------------------------------------------------------------------------------------
    def create(self, ctx: Context, request: ServerRequest) -> Server:
        """Boot a server; returns it ACTIVE, or ERROR with ``fault`` saying why (NoValidHost, or
        each host's failed step). Bad requests raise before anything is made."""
        if ctx.project_id is None:
            raise ValidationError("servers belong to a project: use a project-scoped token")
        self._enforce(ctx, "compute:create_server", {"project_id": ctx.project_id, "user_id": ctx.user_id})
        if not isinstance(request.name, str) or not request.name.strip() or len(request.name) > MAX_NAME:
            raise ValidationError("a server name must have 1 to 255 characters", field="name")
        if request.timeout is not None and (isinstance(request.timeout, bool) or request.timeout < 1):
            raise ValidationError("timeout: expected seconds >= 1, got %r" % (request.timeout,), field="timeout")
        if request.user_data is not None and len(request.user_data.encode()) > MAX_USER_DATA:
            raise ValidationError("user_data: at most %d bytes" % MAX_USER_DATA, field="user_data")
        checked_metadata(request.metadata)
        resolved = self._resolve(ctx, request)
        zone = request.availability_zone or self.default_zone
        server_id = self._insert(ctx, request, resolved, zone)
        self._build_locked(server_id, BuildLock(self.conductor.work_dir, server_id), ctx, resolved, request, None)
        with self._db.read() as session:
            return self._view(ctx, session, self._row(session, server_id))

    def _build_locked(
        self, server_id: str, lock: BuildLock, ctx: Context, resolved: _Resolved, request: ServerRequest,
        host: str | None,
    ) -> None:  # fmt: skip
        """Build while holding the server's build lock (a delete or a re-run meanwhile is refused)."""
        lock.acquire()
        try:
            self._build(server_id, ctx, resolved, request, host)
        except BaseException as exc:
            try:
                self._fail(server_id, "%s: %s" % (type(exc).__name__, exc), node_hosts=None)
            except Exception:  # keep the first error; the server may stay BUILD, delete still cleans it
                LOG.exception("server %s: could not record the failed build", server_id)
            raise
        finally:
            lock.release()

    def resume(self, ctx: Context, ref: str, request: ServerRequest) -> Server:
        """Finish the build of a BUILD server whose builder is gone (its process killed, its
        controller rebooted): the build's jobs run again on the host it holds (they converge on what
        the interrupted run left), or it is scheduled now if it had none. A server in another state
        is returned as it is; one whose builder is alive raises Conflict."""
        with self._db.read() as session:
            found = self._find_row(ctx, session, ref)
            if found is None:
                raise NotFound("server", ref)
            self._enforce(ctx, "compute:create_server", {"project_id": found.project_id, "user_id": ctx.user_id})
            server_id, status = found.id, found.status
        if status != "BUILD":
            return self.get(ctx, server_id)
        resolved = self._resolve(ctx, request)
        lock = BuildLock(self.conductor.work_dir, server_id)
        host = self._take_over(server_id, lock, "resume")
        self._build_locked(server_id, lock, ctx, resolved, request, host)
        with self._db.read() as session:
            return self._view(ctx, session, self._row(session, server_id))

    def _take_over(self, server_id: str, lock: BuildLock, action: str) -> str | None:
        """Lock a BUILD server whose builder is gone (recorded as ``action``); its host. Conflict
        (lock released) while its builder is alive."""
        left = lock.acquire()
        state = Builder.LIVE
        with self._db.write() as session:
            row = self._row(session, server_id)
            if left is not None and row.status == "BUILD":
                state = builder_state(left, row.updated_at, self._clock(), self.conductor.job_timeout)
            if left is not None and state is Builder.GONE:
                row.updated_at = self._clock()  # the lease is ours now: another controller keeps off
                self._record(session, server_id, action, row.host, "take over", "ok",
                             "the build's earlier run ended without finishing it")  # fmt: skip
                return row.host
            name, since = row.name, row.updated_at
        if left is not None:
            lock.release()
        raise Conflict("server %s (%s) is being built by another run (last step at %s UTC); wait for it to end, or "
                       "for %d s without progress if its process is gone on another controller"
                       % (name, server_id, since.strftime("%H:%M:%S"), self.conductor.job_timeout + LEASE_GRACE))

    def _renew_lease(self, server_id: str) -> None:
        """A build's step starts: the row's ``updated_at`` is the lease other controllers read."""
        with self._db.write() as session:
            row = session.get(m.Server, server_id)
            if row is not None and row.status == "BUILD":
                row.updated_at = self._clock()

    def _resolve(self, ctx: Context, request: ServerRequest) -> _Resolved:
        """Everything the request names, as the caller may see it, with the sizes checked."""
        flavor = self._flavors.get(ctx, request.flavor)
        image = self._images.get(ctx, request.image)
        if image.status != "active":
            raise ValidationError("image %s is %s, not active" % (image.name, image.status), field="image")
        check_image_fits(image, flavor.name, flavor.ram_mb, flavor.disk_gb, "flavor")
        group_id = None
        if request.server_group is not None:
            group = self._server_groups.find(ctx, request.server_group)
            if group is None:
                raise NotFound("server group", request.server_group)
            group_id = group.id
        spec = RequestSpec.from_flavor(
            flavor, image_properties=dict(image.properties), availability_zone=request.availability_zone,
            group_id=group_id, ignore_hosts=self._all_hosts_but(ctx, request.host),
        )  # fmt: skip
        resolved = _Resolved(flavor.id, flavor.vcpus, flavor.ram_mb, flavor.disk_gb, spec, image.id, group_id=group_id)
        if request.key_name is not None:
            resolved.public_keys.append(self._keypairs.get(ctx, request.key_name).public_key)
        with self._db.read() as session:
            for ref in request.networks:
                row = self._networks.find_visible_row(ctx, session, ref)
                if row is None:
                    raise NotFound("network", ref)
                if row.network_type not in SUPPORTED_NETWORK_TYPES:
                    raise ValidationError("network %s is a %s network; servers attach to %s networks for now"
                                          % (ref, row.network_type, " and ".join(SUPPORTED_NETWORK_TYPES)),
                                          field="networks")  # fmt: skip
                if row.project_id != ctx.project_id and not row.shared:
                    self._enforce(ctx, "network:create_port_on_any_network", {"project_id": row.project_id})
                if not any(s.ip_version == 4 for s in self._ipam.subnets(session, row.id)):
                    raise ValidationError("network %s has no IPv4 subnet: add one before booting servers on it"
                                          % ref, field="networks")
                resolved.networks.append(_Net.of(row))
            for ref in dict.fromkeys(request.ports):
                resolved.bound_ports.append(self._bindable_port(ctx, session, ref))
        if self._security_groups is not None and resolved.all_networks:
            resolved.security_group_ids = self._security_groups.resolve(ctx, request.security_groups)
        return resolved

    def _bindable_port(self, ctx: Context, session: Session, ref: str) -> tuple[str, _Net]:
        """A port of the caller's project (id or name) that no device uses, on a network servers
        attach to, with its network."""
        port = session.get(m.Port, ref)
        if port is None:
            named = session.scalars(select(m.Port).where(m.Port.name == ref, m.Port.project_id == ctx.project_id)).all()
            if len(named) > 1:
                raise Conflict("several ports are named %r; use the id" % ref)
            port = named[0] if named else None
        if port is None or port.project_id != ctx.project_id:
            raise NotFound("port", ref)
        if port.device_id or port.device_owner:
            raise Conflict("port %s is in use (%s %s): give a port no server or router uses"
                           % (ref, port.device_owner or "device", port.device_id))  # fmt: skip
        network = session.get(m.Network, port.network_id)
        if network is None or network.network_type not in SUPPORTED_NETWORK_TYPES:
            raise ValidationError("port %s is on a network servers do not attach to" % ref, field="ports")
        if not any(":" not in ip.ip_address for ip in self._ipam.get_port(session, port.id).fixed_ips):
            raise ValidationError("port %s has no IPv4 address: servers get theirs by DHCP" % ref, field="ports")
        return port.id, _Net.of(network)

    def _all_hosts_but(self, ctx: Context, host: str | None) -> frozenset[str]:
        """The scheduler's ``ignore_hosts`` that leave only ``host`` (nova's requested destination:
        the filters still apply, so a host that cannot take the server gives NoValidHost)."""
        if host is None:
            return frozenset()
        self._enforce(ctx, "compute:migrate_server", {"project_id": ctx.project_id})
        with self._db.read() as session:
            names = set(session.scalars(select(m.ResourceProvider.name)))
        if host not in names:
            raise NotFound("compute host", host)
        return frozenset(names - {host})

    def _insert(self, ctx: Context, request: ServerRequest, resolved: _Resolved, zone: str) -> str:
        """The server row (BUILD) and its ports, with the quota counted: all or nothing."""
        assert ctx.project_id is not None
        with self._db.write() as session:
            now = self._clock()
            amounts = {"instances": 1, "cores": resolved.vcpus, "ram_mb": resolved.ram_mb,
                       "ports": len(resolved.networks)}  # fmt: skip
            with self._quotas.reserve(session, ctx.project_id, **amounts):
                # The quota rows are locked: two creates in one project pass here one at a time.
                if request.unique_name and session.scalars(select(m.Server.id).where(
                        m.Server.project_id == ctx.project_id, m.Server.name == request.name)).first():  # fmt: skip
                    raise Conflict("a server named %s is in the project already (another run may be building "
                                   "it)" % request.name)  # fmt: skip
                row = m.Server(
                    id=m.new_id(), project_id=ctx.project_id, user_id=ctx.user_id, name=request.name,
                    flavor_id=resolved.flavor_id, image_id=resolved.image_id, vcpus=resolved.vcpus,
                    ram_mb=resolved.ram_mb, disk_gb=resolved.disk_gb, key_name=request.key_name, status="BUILD",
                    fault="", host=None, availability_zone=zone, server_group_id=resolved.group_id,
                    metadata_json=dump_metadata(checked_metadata(request.metadata)), created_at=now, updated_at=now,
                )  # fmt: skip
                session.add(row)
                session.flush()
                for net in resolved.networks:
                    self._ensure_dhcp_port(session, net.id)
                    port = self._ipam.create_port(session, net.id, ctx.project_id, device_id=row.id,
                                                  device_owner=COMPUTE_OWNER + zone)  # fmt: skip
                    SecurityGroupService.bind(session, port.id, resolved.security_group_ids)
                for port_id, net in resolved.bound_ports:  # the tenant's own ports, counted when made
                    self._ensure_dhcp_port(session, net.id)
                    own = session.get(m.Port, port_id, with_for_update=True, populate_existing=True)
                    if own is None or own.device_id or own.device_owner:
                        raise Conflict("port %s was taken by another device meanwhile" % port_id)
                    own.device_id, own.device_owner, own.preserve_on_delete = row.id, COMPUTE_OWNER + zone, True
                    if not groups_of(session, [port_id]):  # a port without groups takes the server's
                        SecurityGroupService.bind(session, port_id, resolved.security_group_ids)
                self._record(session, row.id, "create", None, "request", "ok", "")
            LOG.info("server %s (%s) in project %s: BUILD", row.id, request.name, ctx.project_id)
            return row.id

    def _ensure_dhcp_port(self, session: Session, network_id: str) -> None:
        """The network's DHCP port (the cloud's, in the network's project, not counted in quota)."""
        found = session.scalars(
            select(m.Port.id).where(m.Port.network_id == network_id, m.Port.device_owner == DHCP_OWNER)
        ).first()
        if found is None:
            self._ipam.create_port(session, network_id, device_id="dhcp-" + network_id, device_owner=DHCP_OWNER)

    def _build(
        self, server_id: str, ctx: Context, resolved: _Resolved, request: ServerRequest, host: str | None
    ) -> None:
        """Schedule (unless ``host``: a resumed build keeps the host it holds, with no alternates)
        and build."""
        inventory = read_inventory(self.conductor.inventory)
        network_host = self._network_host(inventory) if resolved.all_networks else ""
        current: builtins.list[Placed] = []
        if host is None:
            with self._db.read() as session:
                project_id, user_id = self._row(session, server_id).project_id, self._row(session, server_id).user_id
            try:
                placed = self._scheduler.schedule_and_claim(self._db, ConsumerRef(server_id, project_id, user_id),
                                                            resolved.request)  # fmt: skip
            except NoValidHost as exc:
                self._fail(server_id, str(exc), node_hosts=None)
                return
            current.append(placed)
            host = placed.host.name
            self._set_host(server_id, host, "scheduled")
        recorder = _Recorder(self, server_id, "create")
        networks = resolved.all_networks

        deadline = None if request.timeout is None else time.monotonic() + request.timeout

        def jobs_for(host: str) -> builtins.list[NodeJob]:
            jobs = self._build_jobs(server_id, host, network_host, networks, inventory, resolved, request)
            if deadline is None:
                return jobs
            left = max(1, int(deadline - time.monotonic()))
            return [NodeJob(j.playbook, j.host, j.extravars, timeout=min(left, j.timeout or left)) for j in jobs]

        def cleanup_for(host: str) -> NodeJob:
            return self._job("server_delete", host, server={"uuid": server_id})

        def next_host(failed: str, why: str) -> str | None:
            if not current or (deadline is not None and time.monotonic() >= deadline):
                return None  # a resumed build, or out of time: no further host is tried
            try:
                moved = self._scheduler.reschedule(self._db, server_id, current[0].selection, failed=current[0].host)
            except NoValidHost:
                return None
            current[0] = moved
            self._set_host(server_id, moved.host.name, "rescheduled after %s failed" % failed)
            return moved.host.name

        outcome = ServerBuilder(recorder).build(host, jobs_for, cleanup_for, next_host)
        tried = [a.host for a in outcome.attempts if a.host != outcome.host]
        if not outcome.ok:
            fault = "build failed on every host tried: " + outcome.fault
            if outcome.leftovers:
                fault += " (clean-up failed too on %s)" % ", ".join(outcome.leftovers)
            self._fail(server_id, fault, node_hosts=tried, network_host=network_host,
                       keep_host=outcome.leftovers[-1] if outcome.leftovers else None)  # fmt: skip
            return
        with self._db.write() as session:
            row = self._row(session, server_id)
            row.status, row.host, row.fault, row.updated_at = "ACTIVE", outcome.host, "", self._clock()
            self._record(session, server_id, "create", outcome.host, "build", "ACTIVE", "")
            ports = [p.id for p in self._ports(session, server_id)]
            groups = groups_of(session, ports)
            jobs = self.port_security_jobs(session, groups, membership=True, exclude_server=server_id)
            jobs += self._port_tables_gone(tried, ports)
            jobs += self._network_refresh(session, [n.id for n in networks], tried, network_host, refresh_dhcp=False,
                                          refresh_fdb=False)  # the build's own jobs left the tried hosts out
            for net in networks:  # a host new on the network: the hosts already there learn its VTEP
                if outcome.host not in server_hosts(session, net.id, exclude=server_id):
                    carriers = server_hosts(session, net.id) | {network_host}
                    jobs += fdb_refresh(session, net.id, carriers, (row.host, network_host), inventory,
                                        self.conductor.job_timeout)  # fmt: skip
        LOG.info("server %s: ACTIVE on %s", server_id, outcome.host)
        self._run_quietly(_Recorder(self, server_id, "cleanup"), jobs)

    def _network_host(self, inventory: Inventory) -> str:
        if self.conductor.network_host:
            return self.conductor.network_host
        hosts = inventory.groups.get("network", ())
        if not hosts:
            raise ConfigError("conductor.network_host: not set, and the conductor inventory %s has no host in "
                              "group network" % self.conductor.inventory)  # fmt: skip
        return hosts[0]

    def _job(self, playbook: str, host: str, **extravars: Any) -> NodeJob:
        return NodeJob(playbook, host, extravars, timeout=self.conductor.job_timeout)

    def _build_jobs(
        self, server_id: str, host: str, network_host: str, networks: Sequence[_Net], inventory: Inventory,
        resolved: _Resolved, request: ServerRequest,
    ) -> builtins.list[NodeJob]:  # fmt: skip
        """The jobs that build the server on ``host``: its plumbing (``plumbing_jobs``), then the
        server itself."""
        with self._db.read() as session:
            row = self._row(session, server_id)
            jobs = self.plumbing_jobs(session, server_id, host, network_host, networks, inventory)
            drive: dict[str, Any] = {"hostname": hostname_of(row.name), "ssh_public_keys": resolved.public_keys}
            if request.user_data is not None:
                drive["user_data"] = request.user_data
            return jobs + [self.boot_job(session, row, host, resolved.image_id, config_drive=drive)]

    def plumbing_jobs(
        self, session: Session, server_id: str, host: str, network_host: str, networks: Sequence[_Net],
        inventory: Inventory,
    ) -> builtins.list[NodeJob]:  # fmt: skip
        """What the server's ports need on ``host`` before it starts there: each network's plumbing
        there and on the network host (FDB flood entries towards the other hosts carrying it), the
        network's DHCP with the reservations of all its ports, and the ports' filters on ``host``."""
        jobs: builtins.list[NodeJob] = []
        for net in networks:
            carriers = server_hosts(session, net.id, exclude=server_id) | {host, network_host}
            for where in dict.fromkeys((host, network_host)):
                jobs.append(self._network_job(net, where, carriers, inventory))
            dhcp = self._dhcp_vars(session, net.id)
            if dhcp is not None:
                jobs.append(self._job("dhcp_network", network_host, network={"id": net.id}, dhcp=dhcp))
        filters = items_for(session, self._ipam, [p.id for p in self._ports(session, server_id)])
        if filters:  # before the guest starts (the rules match the tap by name, it need not exist yet)
            jobs.append(self._job("port_security", host, port_security=filters))
        return jobs

    def boot_job(
        self, session: Session, row: m.Server, host: str, image_id: str, sizes: tuple[int, int, int] | None = None,
        **extravars: Any,
    ) -> NodeJob:  # fmt: skip
        """server_boot.yml for ``row`` on ``host`` with its ports, and its sizes or ``sizes`` (vcpus,
        ram_mb, disk_gb); no config drive: the caller adds ``config_drive``, or the drive is there."""
        ports = [{"id": p.id, "mac": p.mac_address, "network_id": p.network_id} for p in self._ports(session, row.id)]
        vcpus, ram_mb, disk_gb = sizes or (row.vcpus, row.ram_mb, row.disk_gb)
        server = {"uuid": row.id, "name": row.name, "vcpus": vcpus, "memory_mb": ram_mb, "disk_gb": disk_gb,
                  "project_id": row.project_id}  # fmt: skip
        return self._job(
            "server_boot", host, server=server, ports=ports, image_id=image_id,
            image_source=str(self._images.store.path_of(image_id)), image_cache_dir=self.conductor.image_cache_dir,
            **extravars,
        )  # fmt: skip

    def networks_of(self, session: Session, server_id: str) -> builtins.list[_Net]:
        """The networks of the server's ports, once each."""
        found: dict[str, _Net] = {}
        for port in self._ports(session, server_id):
            row = session.get(m.Network, port.network_id)
            if row is not None:
                found.setdefault(row.id, _Net.of(row))
        return list(found.values())

    def _network_job(self, net: _Net, host: str, carriers: Iterable[str], inventory: Inventory) -> NodeJob:
        network = {"id": net.id, "vni": net.vni, "mtu": net.mtu}
        return network_job(network, host, carriers, inventory, self.conductor.job_timeout)

    def _dhcp_vars(self, session: Session, network_id: str) -> dict[str, Any] | None:
        """dhcp_network.yml's ``dhcp``: the DHCP port on the first IPv4 subnet with DHCP, and the
        reservations of every server port on the network (None: no DHCP port or subnet)."""
        subnets = [s for s in self._ipam.subnets(session, network_id) if s.ip_version == 4 and s.enable_dhcp]
        port = session.scalars(
            select(m.Port).where(m.Port.network_id == network_id, m.Port.device_owner == DHCP_OWNER)
        ).first()
        if not subnets or port is None:
            return None
        subnet = subnets[0]
        own = [ip.ip_address for ip in self._ipam.get_port(session, port.id).fixed_ips if ip.subnet_id == subnet.id]
        if not own:
            return None
        prefix = subnet.cidr.split("/")[1]
        reservations = []
        rows = session.execute(
            select(m.Port, m.Server.name)
            .join(m.Server, m.Server.id == m.Port.device_id)
            .where(m.Port.network_id == network_id, m.Port.device_owner.startswith(COMPUTE_OWNER))
            .order_by(m.Port.created_at, m.Port.id)
        )
        for server_port, server_name in rows:
            for ip in self._ipam.get_port(session, server_port.id).fixed_ips:
                if ip.subnet_id == subnet.id:
                    reservations.append({"mac": server_port.mac_address, "ip": ip.ip_address,
                                         "hostname": hostname_of(server_name)})  # fmt: skip
        first, last = subnet.allocation_pools[0]
        dhcp: dict[str, Any] = {
            "port_id": port.id, "mac": port.mac_address, "address": "%s/%s" % (own[0], prefix),
            "range_start": first, "range_end": last, "dns_servers": list(subnet.dns_nameservers),
            "reservations": reservations,
        }  # fmt: skip
        if subnet.gateway_ip:
            dhcp["gateway"] = subnet.gateway_ip
        return dhcp

    def _network_refresh(
        self, session: Session, network_ids: Iterable[str], hosts: Iterable[str], network_host: str,
        refresh_dhcp: bool = True, refresh_fdb: bool = True,
    ) -> builtins.list[NodeJob]:  # fmt: skip
        """After servers left the networks (in this transaction): the jobs that bring the nodes in
        line. DHCP keeps the remaining reservations, or goes (with its port) when no server port is
        left; a host's bridge goes when nothing on it uses the network any more, and (``refresh_fdb``)
        the hosts still on the network drop their flood entries towards it."""
        jobs: builtins.list[NodeJob] = []
        for network_id in dict.fromkeys(network_ids):
            network = session.get(m.Network, network_id)
            if network is None:
                continue
            ports = session.scalars(select(m.Port).where(m.Port.network_id == network_id)).all()
            servers_left = any(p.device_owner.startswith(COMPUTE_OWNER) for p in ports)
            others = any(not p.device_owner.startswith(COMPUTE_OWNER) and p.device_owner != DHCP_OWNER for p in ports)
            carriers = server_hosts(session, network_id)
            gone = network_vars(network, "absent")  # with its VNI: the VXLAN device goes too
            if servers_left:
                dhcp = self._dhcp_vars(session, network_id) if refresh_dhcp and network_host else None
                if dhcp is not None:  # no network host: nothing ran on a node (a build refused by the scheduler)
                    jobs.append(self._job("dhcp_network", network_host, network={"id": network_id}, dhcp=dhcp))
            else:
                for port in ports:
                    if port.device_owner == DHCP_OWNER:
                        self._ipam.delete_port(session, port.id)
                if network_host:
                    jobs.append(self._job("dhcp_network", network_host, network=gone))
                    if not others and network_host not in carriers:
                        jobs.append(self._job("network_host", network_host, network=gone))
            left = [h for h in dict.fromkeys(hosts) if h not in carriers and h != network_host]
            for host in left:
                jobs.append(self._job("network_host", host, network=gone))
            if left and refresh_fdb:  # the hosts still on the network forget the VTEPs of those that left
                stays = carriers | ({network_host} if network_host and (servers_left or others) else set())
                jobs += fdb_refresh(session, network_id, stays, (), read_inventory(self.conductor.inventory),
                                    self.conductor.job_timeout)  # fmt: skip
        return jobs

    def _run_quietly(self, runner: JobRunner, jobs: Sequence[NodeJob]) -> None:
        """Clean-up jobs: a failure is recorded and logged, not raised (the cloud's state is already right)."""
        for job in jobs:
            try:
                result = runner.run(job)
            except Exception as exc:  # noqa: BLE001  (a clean-up must not hide the operation's outcome)
                LOG.warning("clean-up %s on %s could not run: %s", job.playbook, job.host, exc)
                continue
            if not result.ok:
                LOG.warning("clean-up %s on %s failed: %s", job.playbook, job.host, result.failure)

    def _set_host(self, server_id: str, host: str, why: str) -> None:
        with self._db.write() as session:
            row = self._row(session, server_id)
            row.host, row.updated_at = host, self._clock()
            self._record(session, server_id, "create", host, "schedule", "ok", why)

    def _fail(
        self, server_id: str, fault: str, node_hosts: Sequence[str] | None, network_host: str = "",
        keep_host: str | None = None,
    ) -> None:  # fmt: skip
        """ERROR with ``fault``: the allocations, the group membership and the ports (their quota
        too) are given back; the instance quota stays until the server is deleted. ``node_hosts``:
        the hosts a build touched (their network plumbing is taken back); None: no node work ran."""
        with self._db.write() as session:
            row = session.get(m.Server, server_id)
            if row is None:
                return
            networks = [p.network_id for p in self._ports(session, server_id)]
            ports = [p.id for p in self._ports(session, server_id)]
            self._release_host_side(session, row)
            row.status, row.fault, row.host, row.updated_at = "ERROR", fault[:20000], keep_host, self._clock()
            self._record(session, server_id, "create", None, "build", "ERROR", fault[:20000])
            jobs = self._network_refresh(session, networks, node_hosts or (), network_host)
            jobs += self._port_tables_gone(node_hosts or (), ports)
            if node_hosts is None:  # nothing ran on a node: only the rows (a DHCP port) needed fixing
                jobs = []
        LOG.warning("server %s: ERROR: %s", server_id, fault)
        self._run_quietly(_Recorder(self, server_id, "cleanup"), jobs)

    def _release_host_side(self, session: Session, row: m.Server) -> None:
        """Allocations, group membership, ports and the ports' quota of ``row`` given back."""
        self._placement.delete_allocations(session, row.id)
        self._group_engine.remove_member(session, row.id)
        made = 0
        for port in self._ports(session, row.id):
            if port.preserve_on_delete:  # the tenant's own port: unbound, with its addresses and groups
                port.device_id, port.device_owner, port.preserve_on_delete = "", "", False
            else:
                self._ipam.delete_port(session, port.id)
                made += 1
        self._quotas.release(session, row.project_id, ports=made)

    # --- run state -----------------------------------------------------------------------------------
    def start(self, ctx: Context, ref: str) -> Server:
        """Power on a SHUTOFF server (an ACTIVE one is left as it is)."""
        return self._power(ctx, ref, running=True)

    def stop(self, ctx: Context, ref: str) -> Server:
        """Shut an ACTIVE server down (ACPI, then power off after a minute); a SHUTOFF one is left."""
        return self._power(ctx, ref, running=False)

    def set_metadata(self, ctx: Context, ref: str, metadata: Mapping[str, str]) -> Server:
        """Replace the server's metadata (nova's PUT /servers/{id}/metadata); nothing runs on a node."""
        wanted = dump_metadata(checked_metadata(metadata))
        with self._db.write() as session:
            row = self._permitted_row(ctx, session, ref, "compute:update_server")
            if row.status == "DELETING":
                raise Conflict("server %s is being deleted" % row.name)
            if row.metadata_json != wanted:
                row.metadata_json, row.updated_at = wanted, self._clock()
                session.flush()
            return self._view(ctx, session, row)

    def _power(self, ctx: Context, ref: str, running: bool) -> Server:
        action, wanted = ("start", "ACTIVE") if running else ("stop", "SHUTOFF")
        with self._db.write() as session:
            row = self._permitted_row(ctx, session, ref, "compute:%s_server" % action)
            server_id, host, status = row.id, row.host, row.status
            if status != wanted:
                if status not in ("ACTIVE", "SHUTOFF") or host is None:
                    raise Conflict("server %s is %s: it cannot be %s" % (row.name, status,
                                                                         "started" if running else "stopped"))
                self._record(session, server_id, action, host, "request", "ok", "")
        if status != wanted:
            assert host is not None
            job = self._job("server_power", host, server={"uuid": server_id},
                            power_state="running" if running else "shutdown")  # fmt: skip
            result = _Recorder(self, server_id, action).run(job)
            if not result.ok:
                raise Conflict("server %s could not be %s: %s" % (server_id, "started" if running else "stopped",
                                                                  self._failure_shown(server_id, result)))  # fmt: skip
            with self._db.write() as session:
                row = self._row(session, server_id)
                row.status, row.updated_at = wanted, self._clock()
                LOG.info("server %s: %s", server_id, wanted)
        with self._db.read() as session:
            return self._view(ctx, session, self._row(session, server_id))

    def reboot(self, ctx: Context, ref: str, hard: bool = False) -> Server:
        """Reboot a server: soft asks the guest through ACPI (and resets it when it ignores that for a
        minute), ``hard`` resets it at once; a SHUTOFF server is started either way. It is REBOOT
        (HARD_REBOOT) while ``server_power.yml`` runs, then ACTIVE; a failed job puts back the status
        it had and raises Conflict. A soft reboot is refused while a reboot runs, a hard one is not
        (nova's way out of a reboot that hangs)."""
        during = "HARD_REBOOT" if hard else "REBOOT"
        with self._db.write() as session:
            row = self._permitted_row(ctx, session, ref, "compute:reboot_server")
            if not may_reboot(row.status, hard) or row.host is None:
                hint = "; a hard reboot can" if row.status in REBOOTING else ""
                raise Conflict("server %s is %s: it cannot be rebooted%s" % (row.name, row.status, hint))
            server_id, host, before = row.id, row.host, row.status
            row.status, row.updated_at = during, self._clock()
            self._record(session, server_id, "reboot", host, "request", "ok", "hard" if hard else "soft")
        job = self._job("server_power", host, server={"uuid": server_id}, power_state="rebooted",
                        reboot_type="hard" if hard else "soft")  # fmt: skip
        result: JobResult | None = None
        try:
            result = _Recorder(self, server_id, "reboot").run(job)
        finally:
            with self._db.write() as session:
                after = session.get(m.Server, server_id)
                if after is not None and after.status == during:  # not taken over meanwhile (a delete, a hard reboot)
                    after.status = "ACTIVE" if result is not None and result.ok else before
                    after.updated_at = self._clock()
        if not result.ok:
            raise Conflict("server %s could not be rebooted: %s" % (server_id, self._failure_shown(server_id, result)))
        LOG.info("server %s: rebooted (%s)", server_id, "hard" if hard else "soft")
        with self._db.read() as session:
            return self._view(ctx, session, self._row(session, server_id))

    # --- moving (stackling.compute.server_moves) -----------------------------------------------------
    def resize(self, ctx: Context, ref: str, flavor: str) -> Server:
        """The server with a new flavor, through a new claim (it may move to another host); ACTIVE
        (or SHUTOFF) again when done, confirmed at once. Conflict (the server as before) on failure."""
        return self._moves.resize(ctx, ref, flavor)

    def migrate(self, ctx: Context, ref: str, host: str | None = None) -> Server:
        """Cold migration to ``host`` or to the scheduler's choice (cloud admins)."""
        return self._moves.migrate(ctx, ref, host)

    def rebuild(self, ctx: Context, ref: str, image: str) -> Server:
        """A fresh root disk from ``image`` (stackling.compute.server_rebuild); ERROR if it fails."""
        return self._rebuilds.rebuild(ctx, ref, image)

    def snapshot(self, ctx: Context, ref: str, name: str) -> Image:
        """The server's root disk as a new image ``name`` of the caller's project
        (stackling.compute.server_snapshot)."""
        return self._snapshots.snapshot(ctx, ref, name)

    def set_security_groups(self, ctx: Context, ref: str, groups: Sequence[str]) -> Server:
        """Every port of the server in exactly ``groups`` (none: ``default``), filters rewritten at
        once (stackling.compute.server_groups_change)."""
        return self._groups_change.set_security_groups(ctx, ref, groups)

    @contextmanager
    def operation_lock(self, server_id: str) -> Iterator[None]:
        """The server's build lock held for a resize, migration or rebuild: a delete meanwhile is
        refused (the lock is free again if that run's process died). Conflict if another run holds it."""
        lock = BuildLock(self.conductor.work_dir, server_id)
        if lock.acquire() is None:
            raise Conflict("server %s is being built, moved or rebuilt by another run; try again when it ends"
                           % server_id)  # fmt: skip
        try:
            yield
        finally:
            lock.release()

    def recorder(self, server_id: str, action: str) -> _Recorder:
        """A runner of node jobs for the server whose outcomes go into its action record."""
        return _Recorder(self, server_id, action)

    # --- deleting ------------------------------------------------------------------------------------
    def delete(self, ctx: Context, ref: str) -> None:
        """Delete a server: its domain, disks and config drive on its host, its DHCP reservations,
        ports and addresses, allocations and quota. If its host cannot be cleaned, the server stays
        (ERROR, the fault saying why) so the delete can be retried."""
        with self._db.read() as session:
            found = self._permitted_row(ctx, session, ref, "compute:delete_server")
            server_id, networks = found.id, [p.network_id for p in self._ports(session, found.id)]
            status = found.status
        # The conductor's settings are checked before anything changes.
        network_host = self._network_host(read_inventory(self.conductor.inventory)) if networks else ""
        lock = BuildLock(self.conductor.work_dir, server_id)
        if status == "BUILD":  # only once its builder is gone (Conflict while it runs)
            self._take_over(server_id, lock, "delete")
        elif status in ("RESIZE", "REBUILD") and lock.acquire() is None:  # a live run moves or rebuilds it
            raise Conflict("server %s is %s by another run; delete it when that ends"
                           % (server_id, "being resized or migrated" if status == "RESIZE" else "being rebuilt"))
        try:
            self._delete(server_id, networks, network_host)
        finally:
            lock.release()

    def _delete(self, server_id: str, networks: builtins.list[str], network_host: str) -> None:
        with self._db.write() as session:
            row = self._row(session, server_id)
            host = row.host
            row.status, row.updated_at = "DELETING", self._clock()
            self._record(session, server_id, "delete", host, "request", "ok", "")
        if host is not None:
            result = _Recorder(self, server_id, "delete").run(self._job("server_delete", host,
                                                                        server={"uuid": server_id}))
            if not result.ok:
                fault = "delete failed on %s: %s" % (host, result.failure)
                with self._db.write() as session:
                    row = self._row(session, server_id)
                    row.status, row.fault, row.updated_at = "ERROR", fault, self._clock()
                    message = self._without_hosts(session, server_id, result.failure)
                raise Conflict("server %s: deleting it on its host failed (%s); it stays in ERROR, delete it again "
                               "when the host is back" % (server_id, message))  # fmt: skip
        if self._release_volumes is not None:
            self._release_volumes(server_id)
        with self._db.write() as session:
            row = self._row(session, server_id)
            ports = [p.id for p in self._ports(session, row.id)]
            routers = disassociate_from_ports(session, ports)
            groups = groups_of(session, ports)
            self._release_host_side(session, row)
            self._quotas.release(session, row.project_id, instances=1, cores=row.vcpus, ram_mb=row.ram_mb)
            session.execute(sql_delete(m.ServerAction).where(m.ServerAction.server_id == server_id))
            session.delete(row)
            session.flush()
            jobs = self._network_refresh(session, networks, [host] if host else [], network_host)
            if host and ports:  # its ports' tables go; the remote group sets of the others lose its addresses
                jobs.append(self._job("port_security", host, port_security=[port_security_absent(p) for p in ports]))
            jobs += self.port_security_jobs(session, groups, membership=True)
        LOG.info("deleted server %s", server_id)
        self._run_quietly(self.node_jobs, jobs)
        if routers:  # its floating IPs were disassociated: their NAT goes from the routers
            RouterPlumbing(self._db, self._ipam, self.conductor, self.node_jobs).converge_quietly(routers)

    # --- security groups ---------------------------------------------------------------------------
    def port_security_jobs(self, session: Session, group_ids: Iterable[str], *, membership: bool,
                           exclude_server: str | None = None) -> builtins.list[NodeJob]:  # fmt: skip
        """port_security.yml on every host with a server port whose filter changes (after a change of
        the groups' rules, or of their members: ``membership``)."""
        touched = touched_by(session, self._ipam, group_ids, membership=membership, exclude_server=exclude_server)
        return [self._job("port_security", host, port_security=items) for host, items in touched.items()]

    def _port_tables_gone(self, hosts: Iterable[str], port_ids: Sequence[str]) -> builtins.list[NodeJob]:
        """The ports' tables removed from hosts a build tried and left (the port lives elsewhere or not at all)."""
        if not port_ids:
            return []
        absent = [port_security_absent(port_id) for port_id in port_ids]
        return [self._job("port_security", host, port_security=absent) for host in dict.fromkeys(hosts)]

    def refresh_security_groups(self, group_ids: Iterable[str]) -> None:
        """After a rule change (SecurityGroupService.on_change): the filters of the ports it touches."""
        with self._db.read() as session:
            jobs = self.port_security_jobs(session, group_ids, membership=False)
        self._run_quietly(self.node_jobs, jobs)

    # --- helpers -------------------------------------------------------------------------------------
    @staticmethod
    def _row(session: Session, server_id: str) -> m.Server:
        row = session.get(m.Server, server_id)
        if row is None:
            raise NotFound("server", server_id)
        return row

    def _record(
        self, session: Session, server_id: str, action: str, host: str | None, step: str, status: str, message: str
    ) -> None:
        seq = session.scalar(
            select(func.coalesce(func.max(m.ServerAction.seq), 0)).where(m.ServerAction.server_id == server_id)
        )
        session.add(m.ServerAction(server_id=server_id, seq=int(seq or 0) + 1, action=action, host=host,
                                   step=step[:255], status=status[:16], message=message, at=self._clock()))  # fmt: skip
        session.flush()
