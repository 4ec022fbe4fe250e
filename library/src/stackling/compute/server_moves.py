"""Resize and cold migration: a server moves to a new size, a new host, or both (docs/servers.md).

    cloud.servers.resize(ctx, "web-1", "m1.small")       # ACTIVE again, with the new flavor
    cloud.servers.migrate(admin, "web-1", host="cmp2")   # host=None: the scheduler chooses

One path for both: nova's resize, confirmed at once (as nova's ``resize_confirm_window`` does).
The server is RESIZE while it moves. The scheduler places its new size; a migration never stays
on the server's host, a resize may (then that host must hold both sizes during the move, as in
nova with ``allow_resize_to_same_host``). The claim is made for a migration consumer, so the
server's own allocations stay where they are until the move is done. On the source the guest is
shut down (ACPI, then powered off) and, for a new host, its disk and config drive are fetched
into the conductor's work directory; the target gets the network plumbing, the port filters and
the server (its disk copied or kept, grown for a larger root disk; the new vCPUs and RAM),
running again if it ran. Then one transaction gives the server the migration's allocations, the
new flavor and host, and the source is cleaned as a deleted server's host is. A failure cleans
the target, gives the claim and the quota back and starts the server on its source again: the
server is as before, and the caller gets Conflict saying why.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stackling.allocation_errors import NoValidHost
from stackling.conductor import Inventory, JobRunner, NodeJob, read_inventory
from stackling.compute.image_fit import check_image_fits
from stackling.compute.types import Flavor
from stackling.context import Context
from stackling.db import models as m
from stackling.errors import Conflict, NotFound, ValidationError
from stackling.networking.nodes import fdb_refresh, server_hosts
from stackling.placement.types import ConsumerRef
from stackling.scheduler.manager import Placed
from stackling.scheduler.request import RequestSpec

if TYPE_CHECKING:
    from stackling.compute.servers import Server, ServerService

LOG = logging.getLogger(__name__)
MOVABLE = ("ACTIVE", "SHUTOFF")


@dataclass(frozen=True)
class _Sizes:
    flavor_id: str
    vcpus: int
    ram_mb: int
    disk_gb: int


@dataclass(frozen=True)
class _Move:
    """A move under way: the server as it was, and where and at what size it goes."""

    action: str  # resize | migrate
    server_id: str
    name: str
    project_id: str
    was: str  # ACTIVE or SHUTOFF: what it is again afterwards
    source: str
    image_id: str
    old: _Sizes
    new: _Sizes
    migration_id: str  # the placement consumer holding the new claim until the move is done

    @property
    def power_state(self) -> str:
        """server_boot.yml's and server_power.yml's run state: what the server was."""
        return "running" if self.was == "ACTIVE" else "shutdown"

    @property
    def more(self) -> dict[str, int]:
        """Quota the move adds (counted while it runs)."""
        return {"cores": max(0, self.new.vcpus - self.old.vcpus), "ram_mb": max(0, self.new.ram_mb - self.old.ram_mb)}

    @property
    def less(self) -> dict[str, int]:
        """Quota the move gives back once it is done."""
        return {"cores": max(0, self.old.vcpus - self.new.vcpus), "ram_mb": max(0, self.old.ram_mb - self.new.ram_mb)}


class ServerMoves:
    """The server service's resize and migrate (``ServerService.resize`` / ``migrate`` call these)."""

    def __init__(self, servers: ServerService) -> None:
        self._s = servers

    # --- what is asked -------------------------------------------------------------------------------
    def resize(self, ctx: Context, ref: str, flavor: str) -> Server:
        """The server with ``flavor`` (a flavor the caller may see). Its root disk never shrinks; a
        server already of that flavor is returned as it is."""
        s = self._s
        new = s._flavors.get(ctx, flavor)
        with s._db.read() as session:
            row = s._permitted_row(ctx, session, ref, "compute:resize_server")
            if row.flavor_id == new.id:
                return s._view(ctx, session, row)
            server_id, image_id, disk_gb = row.id, row.image_id, row.disk_gb
        if new.disk_gb < disk_gb or (disk_gb and not new.disk_gb):
            raise ValidationError("flavor %s has a %d GiB root disk, the server's is %d GiB: a root disk is never "
                                  "shrunk; pick a flavor with at least %d GiB" % (new.name, new.disk_gb, disk_gb, disk_gb),
                                  field="flavor")  # fmt: skip
        properties = self._image_checked(ctx, image_id, new)
        spec = RequestSpec.from_flavor(new, image_properties=properties)
        return self._move(ctx, server_id, "resize", _Sizes(new.id, new.vcpus, new.ram_mb, new.disk_gb), spec)

    def migrate(self, ctx: Context, ref: str, host: str | None = None) -> Server:
        """The server on another host: ``host`` (a compute host's name), or the scheduler's choice.
        A server on ``host`` already is returned as it is. Cloud admins only
        (``compute:migrate_server``)."""
        s = self._s
        with s._db.read() as session:
            row = s._permitted_row(ctx, session, ref, "compute:migrate_server")
            if host is not None and row.host == host:
                return s._view(ctx, session, row)
            server_id, image_id, source = row.id, row.image_id, row.host
            sizes = _Sizes(row.flavor_id, row.vcpus, row.ram_mb, row.disk_gb)
        ignore = s._all_hosts_but(ctx, host) | ({source} if source else set())
        try:
            flavor: Flavor | None = s._flavors.get(ctx, sizes.flavor_id)
        except NotFound:  # the flavor was deleted: the server's own sizes, without its extra specs
            flavor = None
        properties = self._image_checked(ctx, image_id, None)
        if flavor is not None:
            spec = RequestSpec.from_flavor(flavor, image_properties=properties, ignore_hosts=frozenset(ignore))
        else:
            spec = RequestSpec.from_flavor(sizes.vcpus, ram_mb=sizes.ram_mb, disk_gb=sizes.disk_gb,
                                           image_properties=properties, ignore_hosts=frozenset(ignore))  # fmt: skip
        return self._move(ctx, server_id, "migrate", sizes, spec)

    def _image_checked(self, ctx: Context, image_id: str, flavor: Flavor | None) -> dict[str, str]:
        """The image's properties for the scheduler, with ``flavor`` checked against its minimums;
        an image gone (or no longer shared with the caller) places by the flavor alone."""
        try:
            image = self._s._images.get(ctx, image_id)
        except NotFound:
            return {}
        if flavor is not None:
            check_image_fits(image, flavor.name, flavor.ram_mb, flavor.disk_gb, "flavor")
        return dict(image.properties)

    # --- the move ------------------------------------------------------------------------------------
    def _move(self, ctx: Context, server_id: str, action: str, new: _Sizes, spec: RequestSpec) -> Server:
        inventory = read_inventory(self._s.conductor.inventory)  # the conductor's settings are checked first
        with self._s.operation_lock(server_id):  # a delete meanwhile waits for the move to end
            return self._locked_move(ctx, server_id, action, new, spec, inventory)

    def _locked_move(self, ctx: Context, server_id: str, action: str, new: _Sizes, spec: RequestSpec,
                     inventory: Inventory) -> Server:  # fmt: skip
        s = self._s
        move = self._begin(ctx, server_id, action, new)
        try:
            placed = self._claim(ctx, move, spec.resolved(group_id=self._group_of(server_id)))
            network_host = s._network_host(inventory) if self._has_ports(server_id) else ""
        except BaseException as exc:
            self._end(move, None, "%s: %s" % (type(exc).__name__, exc))
            raise
        target, tried = placed.host.name, []
        files = s.conductor.work_dir / "moves" / server_id
        recorder = s.recorder(server_id, action)
        try:
            failure = self._run(recorder, [s._job("server_power", move.source, server={"uuid": server_id},
                                                  power_state="shutdown")])  # fmt: skip
            while failure is None:
                failure = self._bring_up(move, target, network_host, inventory, files, recorder)
                if failure is None:
                    break
                tried.append(target)
                self._clean_target(move, target, network_host)
                moved = self._alternate(move, placed)  # nova's reschedule: the next host of the selection
                if moved is None:
                    break
                placed, target, failure = moved, moved.host.name, None
        except BaseException as exc:
            if target not in tried:
                self._clean_target(move, target, network_host)
            self._restore(move, "%s: %s" % (type(exc).__name__, exc), tried + [target])
            raise
        finally:
            shutil.rmtree(files, ignore_errors=True)
        if failure is not None:
            shown = self._restore(move, failure, tried)
            raise Conflict("server %s could not be %s, it is back as it was: %s"
                           % (move.name, _done(move.action), shown))  # fmt: skip
        self._finish(move, target, network_host)
        LOG.info("server %s: %s to %s done", server_id, action, target)
        with s._db.read() as session:
            return s._view(ctx, session, s._row(session, server_id))

    def _begin(self, ctx: Context, server_id: str, action: str, new: _Sizes) -> _Move:
        """RESIZE, with the added quota counted (OverQuota leaves the server as it was)."""
        s = self._s
        with s._db.write() as session:
            row = s._row(session, server_id)
            if row.status not in MOVABLE or row.host is None:
                raise Conflict("server %s is %s: only an ACTIVE or SHUTOFF server can be %s"
                               % (row.name, row.status, _done(action)))
            attached = session.scalars(select(m.VolumeAttachment.volume_id).where(
                m.VolumeAttachment.server_id == server_id)).all()  # fmt: skip
            if attached:
                raise Conflict("server %s has volumes attached (%s): detach them, %s it, then attach them again"
                               % (row.name, ", ".join(attached), action))  # fmt: skip
            move = _Move(action, row.id, row.name, row.project_id, row.status, row.host, row.image_id,
                         _Sizes(row.flavor_id, row.vcpus, row.ram_mb, row.disk_gb), new, m.new_id())  # fmt: skip
            s._quotas.claim(session, row.project_id, move.more)
            row.status, row.updated_at = "RESIZE", s._clock()
            s._record(session, server_id, action, row.host, "request", "ok",
                      "flavor %s" % new.flavor_id if action == "resize" else "")  # fmt: skip
        return move

    def _group_of(self, server_id: str) -> str | None:
        with self._s._db.read() as session:
            return self._s._row(session, server_id).server_group_id

    def _has_ports(self, server_id: str) -> bool:
        with self._s._db.read() as session:
            return bool(self._s._ports(session, server_id))

    def _claim(self, ctx: Context, move: _Move, spec: RequestSpec) -> Placed:
        """The new size claimed for the migration consumer on the host the scheduler picks (the
        group's policy checked by the filters against its other members); Conflict with the
        scheduler's reasons (host names hidden from tenants) when none fits."""
        s = self._s
        with s._db.read() as session:
            row = s._row(session, move.server_id)
            consumer = ConsumerRef(move.migration_id, row.project_id, row.user_id)
        try:
            with s._db.read() as session:
                selection = s._scheduler.select_destinations(session, spec)
            # The group's policy was checked by the filters; the claim does not join the group:
            # the migration consumer is not a member, the server is.
            placed = s._scheduler.claim_selection(s._db, consumer, spec.resolved(group_id=None, group=None), selection)
        except NoValidHost as exc:
            with s._db.read() as session:
                row = s._row(session, move.server_id)
                why = str(exc) if s._is_admin(ctx, row) else s._without_hosts(session, move.server_id, str(exc))
            raise Conflict("server %s cannot be %s: %s" % (move.name, _done(move.action), why)) from exc
        with s._db.write() as session:
            s._record(session, move.server_id, move.action, placed.host.name, "schedule", "ok", "")
        return placed

    def _alternate(self, move: _Move, placed: Placed) -> Placed | None:
        """The migration's claim moved to the next host of the selection that takes it, or None."""
        s = self._s
        try:
            moved = s._scheduler.reschedule(s._db, move.migration_id, placed.selection, failed=placed.host)
        except NoValidHost:
            return None
        with s._db.write() as session:
            s._record(session, move.server_id, move.action, moved.host.name, "schedule", "ok",
                      "rescheduled after %s failed" % placed.host.name)  # fmt: skip
        return moved

    @staticmethod
    def _run(recorder: JobRunner, jobs: list[NodeJob]) -> str | None:
        """The jobs in order, until one fails: its message, or None."""
        for job in jobs:
            result = recorder.run(job)
            if not result.ok:
                return "%s on %s: %s" % (job.playbook, job.host, result.failure)
        return None

    def _bring_up(self, move: _Move, target: str, network_host: str, inventory: Inventory, files: Path,
                  recorder: JobRunner) -> str | None:  # fmt: skip
        """The shut-down guest brought up on ``target`` at its new size: on another host its disk and
        drive fetched (once for all attempts), the network plumbing and port filters there, then
        server_boot.yml. The failed step's message, or None."""
        s = self._s
        jobs: list[NodeJob] = []
        elsewhere = target != move.source
        if elsewhere and not (files / "disk.qcow2").exists():
            jobs.append(s._job("server_files_fetch", move.source, server={"uuid": move.server_id},
                               server_files=str(files)))  # fmt: skip
        with s._db.read() as session:
            row = s._row(session, move.server_id)
            if elsewhere:
                networks = s.networks_of(session, move.server_id)
                jobs += s.plumbing_jobs(session, move.server_id, target, network_host, networks, inventory)
            extra: dict[str, Any] = {"power_state": move.power_state}
            if elsewhere:
                extra["server_files"] = str(files)
            sizes = (move.new.vcpus, move.new.ram_mb, move.new.disk_gb)
            jobs.append(s.boot_job(session, row, target, move.image_id, sizes=sizes, **extra))
        return self._run(recorder, jobs)

    def _finish(self, move: _Move, target: str, network_host: str) -> None:
        """The server takes the new claim, size and host; the source (when it is another host) loses
        the guest, its port filters and the networks nothing else there uses; the hosts on the
        server's networks learn the target's tunnel endpoint."""
        s = self._s
        jobs: list[NodeJob] = []
        with s._db.write() as session:
            row = s._row(session, move.server_id)
            self._take_claim(session, move)
            s._quotas.release(session, move.project_id, **move.less)
            new = move.new
            row.flavor_id, row.vcpus, row.ram_mb, row.disk_gb = new.flavor_id, new.vcpus, new.ram_mb, new.disk_gb
            row.host, row.status, row.fault, row.updated_at = target, move.was, "", s._clock()
            s._record(session, move.server_id, move.action, target, move.action, move.was, "")
            if target != move.source:
                ports = [p.id for p in s._ports(session, move.server_id)]
                networks = [n.id for n in s.networks_of(session, move.server_id)]
                jobs.append(s._job("server_delete", move.source, server={"uuid": move.server_id}))
                jobs += s._port_tables_gone([move.source], ports)
                # Where the source left a network, the refresh rewrites every carrier's flood entries.
                jobs += s._network_refresh(session, networks, [move.source], network_host, refresh_dhcp=False)
                inventory = read_inventory(s.conductor.inventory)
                for network_id in networks:  # the source stays on it: the other carriers learn the target
                    carriers = server_hosts(session, network_id)
                    if move.source in carriers:
                        jobs += fdb_refresh(session, network_id, carriers | {network_host}, (target, network_host),
                                            inventory, s.conductor.job_timeout)  # fmt: skip
        s._run_quietly(s.recorder(move.server_id, "cleanup"), jobs)

    def _take_claim(self, session: Session, move: _Move) -> None:
        """The server's allocations replaced by the migration consumer's, in the caller's transaction."""
        placement = self._s._placement
        claimed = placement.allocations(session, move.migration_id)
        placement.delete_allocations(session, move.migration_id)
        generation = placement.consumer_generation(session, move.server_id)
        row = self._s._row(session, move.server_id)
        consumer = ConsumerRef(move.server_id, row.project_id, row.user_id)
        placement.claim(session, consumer, claimed, consumer_generation=generation)

    def _clean_target(self, move: _Move, target: str, network_host: str) -> None:
        """What an attempt left on another host than the source: the domain and files, the port
        tables, the networks nothing else there uses (quietly: the move's outcome is already known)."""
        s = self._s
        if target == move.source:
            return
        with s._db.write() as session:
            ports = [p.id for p in s._ports(session, move.server_id)]
            networks = [n.id for n in s.networks_of(session, move.server_id)]
            jobs = [s._job("server_delete", target, server={"uuid": move.server_id})]
            jobs += s._port_tables_gone([target], ports)
            jobs += s._network_refresh(session, networks, [target], network_host, refresh_dhcp=False)
        s._run_quietly(s.recorder(move.server_id, "cleanup"), jobs)

    def _restore(self, move: _Move, failure: str, tried: list[str]) -> str:
        """After the move failed: the server as it was on its source (its old size written back
        there if an attempt ran on it, started again if it ran), the claim and the added quota given
        back. ``failure`` with the host names hidden."""
        s = self._s
        with s._db.read() as session:
            row = s._row(session, move.server_id)
            if move.source in tried:  # a same-host attempt may have redefined the domain: the old size again
                old = (move.old.vcpus, move.old.ram_mb, 0)  # 0: the disk as it is (a grown one never shrinks)
                job = s.boot_job(session, row, move.source, move.image_id, sizes=old, power_state=move.power_state)
            else:
                job = s._job("server_power", move.source, server={"uuid": move.server_id}, power_state=move.power_state)
        s._run_quietly(s.recorder(move.server_id, "cleanup"), [job])
        self._end(move, tried[-1] if tried else None, failure)
        with s._db.read() as session:
            return s._without_hosts(session, move.server_id, failure)

    def _end(self, move: _Move, target: str | None, why: str) -> None:
        """A move that did not happen: the claim and the added quota given back, the status as before."""
        s = self._s
        with s._db.write() as session:
            s._placement.delete_allocations(session, move.migration_id)
            s._quotas.release(session, move.project_id, **move.more)
            row = session.get(m.Server, move.server_id)
            if row is not None and row.status == "RESIZE":
                row.status, row.updated_at = move.was, s._clock()
                s._record(session, move.server_id, move.action, target, move.action, "failed", why[:20000])


def _done(action: str) -> str:
    return "resized" if action == "resize" else "migrated"
